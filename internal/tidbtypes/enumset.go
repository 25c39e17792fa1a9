package tidbtypes

// Enum is an ENUM value: Name is the member text, Value its 1-based index
// (0 is the special ” error value).
type Enum struct {
	Name  string
	Value uint64
}

// String returns the member name.
func (e Enum) String() string { return e.Name }

// Set is a SET value: Name is the comma-joined member list in declaration
// order, Value the bitmask (bit i set = member i+1 present).
type Set struct {
	Name  string
	Value uint64
}

// String returns the member list.
func (s Set) String() string { return s.Name }

// BinaryLiteral holds the bytes of a BIT value or of a hex/bit literal,
// big-endian.
type BinaryLiteral []byte

// ToUint64 returns the unsigned value; leading zero bytes are ignored, more
// than 8 significant bytes gives ok=false.
func (b BinaryLiteral) ToUint64() (uint64, bool) {
	i := 0
	for i < len(b) && b[i] == 0 {
		i++
	}
	if len(b)-i > 8 {
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		v = v<<8 | uint64(b[i])
	}
	return v, true
}

// AppendBinaryLiteralUint appends v as a big-endian literal of byteLen bytes
// (byteLen <= 0 means the shortest form, at least one byte).
func AppendBinaryLiteralUint(dst []byte, v uint64, byteLen int) []byte {
	if byteLen <= 0 {
		byteLen = 1
		for t := v >> 8; t > 0; t >>= 8 {
			byteLen++
		}
	}
	if byteLen > 8 {
		for i := 8; i < byteLen; i++ {
			dst = append(dst, 0)
		}
		byteLen = 8
	}
	for i := byteLen - 1; i >= 0; i-- {
		dst = append(dst, byte(v>>(8*uint(i))))
	}
	return dst
}
