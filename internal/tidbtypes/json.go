package tidbtypes

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// JSONTypeCode is the first byte of a binary JSON value (§3.3).
type JSONTypeCode byte

// Binary JSON type codes (MySQL's "large" object/array layout; TiDB never
// produces the small-object or int16/int32 codes).
const (
	JSONTypeCodeObject    JSONTypeCode = 0x01
	JSONTypeCodeArray     JSONTypeCode = 0x03
	JSONTypeCodeLiteral   JSONTypeCode = 0x04
	JSONTypeCodeInt64     JSONTypeCode = 0x09
	JSONTypeCodeUint64    JSONTypeCode = 0x0a
	JSONTypeCodeFloat64   JSONTypeCode = 0x0b
	JSONTypeCodeString    JSONTypeCode = 0x0c
	JSONTypeCodeOpaque    JSONTypeCode = 0x0d
	JSONTypeCodeDate      JSONTypeCode = 0x0e
	JSONTypeCodeDatetime  JSONTypeCode = 0x0f
	JSONTypeCodeTimestamp JSONTypeCode = 0x10
	JSONTypeCodeDuration  JSONTypeCode = 0x11
)

// JSON literal bytes.
const (
	JSONLiteralNil   byte = 0x00
	JSONLiteralTrue  byte = 0x01
	JSONLiteralFalse byte = 0x02
)

// ErrInvalidJSON is wrapped by every JSON parse error (MySQL error 3140).
var ErrInvalidJSON = errors.New("invalid JSON text")

// BinaryJSON is a JSON document in TiDB's binary form. Layout (little-endian):
//
//	object  = count:u32 size:u32 key-entry*count value-entry*count key* value*
//	array   = count:u32 size:u32 value-entry*count value*
//	key-entry   = offset:u32 length:u16
//	value-entry = type:u8 (offset:u32 | literal:u8 + 3 zero bytes)
//	string  = uvarint(len) bytes;   opaque = type:u8 uvarint(len) bytes
//	int64/uint64/float64 = 8 bytes
//
// Offsets are relative to the start of the enclosing object/array value and
// size counts the whole value including its 8-byte header. Object keys are
// sorted by plain byte order (TiDB's order; MySQL sorts by length first) and
// a repeated key keeps its last value.
type BinaryJSON struct {
	TypeCode JSONTypeCode
	Value    []byte
}

// jsonNode is the parse tree; built in a reusable arena by the parser.
type jsonNode struct {
	tp    JSONTypeCode
	lit   byte
	i     uint64 // int64/uint64/float64 bits
	str   []byte // string bytes, or object key for members
	first int32  // first child index in parser.kids (object/array)
	nkids int32
}

// jsonParser parses JSON text into nodes. It is reusable (keep one per
// converter) so repeated parses do not allocate trees.
type jsonParser struct {
	s     []byte
	pos   int
	nodes []jsonNode
	kids  []int32 // children lists; objects store key node then value node
	strs  []byte  // unescaped string storage
	depth int
}

// maxJSONDepth bounds nesting. MySQL stops at 100, but TiDB parses with Go's
// decoder (limit 10000) and accepts deeper documents — lightning_various_types
// imports a 127-level array — so TiDB's bound is the one to follow.
const maxJSONDepth = 10000

func (p *jsonParser) fail(msg string) error {
	return &jsonSyntaxError{msg: msg, pos: p.pos}
}

type jsonSyntaxError struct {
	msg string
	pos int
}

func (e *jsonSyntaxError) Error() string {
	return "Invalid JSON text: " + e.msg + " at position " + strconv.Itoa(e.pos)
}

func (e *jsonSyntaxError) Unwrap() error { return ErrInvalidJSON }

func (p *jsonParser) skipWS() {
	for p.pos < len(p.s) {
		switch p.s[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// ParseBinaryJSONFromString parses JSON text into binary JSON.
func ParseBinaryJSONFromString(s string) (BinaryJSON, error) {
	var p jsonParser
	return p.parse(stringToBytes(s), nil)
}

// ParseBinaryJSON parses JSON text (bytes) into binary JSON, appending the
// encoded value to buf (which may be nil).
func ParseBinaryJSON(text []byte, buf []byte) (BinaryJSON, error) {
	var p jsonParser
	return p.parse(text, buf)
}

func (p *jsonParser) parse(text []byte, buf []byte) (BinaryJSON, error) {
	p.s = text
	p.pos = 0
	p.nodes = p.nodes[:0]
	p.kids = p.kids[:0]
	p.strs = p.strs[:0]
	p.depth = 0
	p.skipWS()
	if p.pos >= len(p.s) {
		return BinaryJSON{}, p.fail("The document is empty")
	}
	root, err := p.value()
	if err != nil {
		return BinaryJSON{}, err
	}
	p.skipWS()
	if p.pos < len(p.s) {
		return BinaryJSON{}, p.fail("The document root must not be followed by other values")
	}
	// Nodes refer to unescaped strings by offset into p.strs (which moved
	// while growing), so encoding happens only after parsing finished.
	tp := p.nodes[root].tp
	out := p.encode(buf, root)
	return BinaryJSON{TypeCode: tp, Value: out}, nil
}

func (p *jsonParser) newNode(n jsonNode) int32 {
	p.nodes = append(p.nodes, n)
	return int32(len(p.nodes) - 1)
}

func (p *jsonParser) value() (int32, error) {
	p.skipWS()
	if p.pos >= len(p.s) {
		return 0, p.fail("Invalid value")
	}
	switch c := p.s[p.pos]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		off, n, err := p.str()
		if err != nil {
			return 0, err
		}
		return p.newNode(jsonNode{tp: JSONTypeCodeString, i: uint64(off), first: int32(n)}), nil
	case c == 't':
		return p.literal("true", JSONLiteralTrue)
	case c == 'f':
		return p.literal("false", JSONLiteralFalse)
	case c == 'n':
		return p.literal("null", JSONLiteralNil)
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	}
	return 0, p.fail("Invalid value")
}

func (p *jsonParser) literal(word string, lit byte) (int32, error) {
	if len(p.s)-p.pos < len(word) || string(p.s[p.pos:p.pos+len(word)]) != word {
		return 0, p.fail("Invalid value")
	}
	p.pos += len(word)
	return p.newNode(jsonNode{tp: JSONTypeCodeLiteral, lit: lit}), nil
}

func (p *jsonParser) number() (int32, error) {
	start := p.pos
	s := p.s
	i := p.pos
	if s[i] == '-' {
		i++
	}
	if i >= len(s) || s[i] < '0' || s[i] > '9' {
		p.pos = i
		return 0, p.fail("Invalid value")
	}
	if s[i] == '0' {
		i++
	} else {
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	isFloat := false
	if i < len(s) && s[i] == '.' {
		isFloat = true
		i++
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			p.pos = i
			return 0, p.fail("Missing fraction digits")
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		isFloat = true
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			p.pos = i
			return 0, p.fail("Missing exponent digits")
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	p.pos = i
	txt := bytesToString(s[start:i])
	if !isFloat {
		if v, err := strconv.ParseInt(txt, 10, 64); err == nil {
			return p.newNode(jsonNode{tp: JSONTypeCodeInt64, i: uint64(v)}), nil
		}
		if v, err := strconv.ParseUint(txt, 10, 64); err == nil {
			return p.newNode(jsonNode{tp: JSONTypeCodeUint64, i: v}), nil
		}
	}
	// ParseFloat reports underflow as a range error with a zero result;
	// like MySQL, such numbers are simply (signed) zero.
	f, err := strconv.ParseFloat(txt, 64)
	if math.IsInf(f, 0) {
		return 0, p.fail("Number too big to be stored in double")
	}
	if err != nil && f != 0 {
		return 0, p.fail("Invalid number")
	}
	return p.newNode(jsonNode{tp: JSONTypeCodeFloat64, i: math.Float64bits(f)}), nil
}

// str parses a string literal at p.pos and appends its unescaped bytes to
// p.strs, returning offset and length there. Invalid UTF-8 is replaced by
// U+FFFD as Go's JSON decoder (which TiDB uses) does.
func (p *jsonParser) str() (int, int, error) {
	p.pos++ // opening quote
	off := len(p.strs)
	s := p.s
	for {
		if p.pos >= len(s) {
			return 0, 0, p.fail("Missing a closing quotation mark in string")
		}
		c := s[p.pos]
		switch {
		case c == '"':
			p.pos++
			return off, len(p.strs) - off, nil
		case c == '\\':
			if p.pos+1 >= len(s) {
				return 0, 0, p.fail("Invalid escape character in string")
			}
			e := s[p.pos+1]
			p.pos += 2
			switch e {
			case '"', '\\', '/':
				p.strs = append(p.strs, e)
			case 'b':
				p.strs = append(p.strs, '\b')
			case 'f':
				p.strs = append(p.strs, '\f')
			case 'n':
				p.strs = append(p.strs, '\n')
			case 'r':
				p.strs = append(p.strs, '\r')
			case 't':
				p.strs = append(p.strs, '\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return 0, 0, p.fail("Incorrect hex digit after \\u escape in string")
				}
				if utf16.IsSurrogate(r) {
					// A valid pair needs a following \uDC00-\uDFFF.
					r2 := rune(-1)
					if p.pos+1 < len(s) && s[p.pos] == '\\' && s[p.pos+1] == 'u' {
						save := p.pos
						p.pos += 2
						var ok2 bool
						r2, ok2 = p.hex4()
						if !ok2 {
							return 0, 0, p.fail("Incorrect hex digit after \\u escape in string")
						}
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							r = d
						} else {
							p.pos = save
							r = utf8.RuneError
						}
					} else {
						r = utf8.RuneError
					}
				}
				p.strs = utf8.AppendRune(p.strs, r)
			default:
				return 0, 0, p.fail("Invalid escape character in string")
			}
		case c < 0x20:
			return 0, 0, p.fail("Invalid encoding in string")
		case c < utf8.RuneSelf:
			p.strs = append(p.strs, c)
			p.pos++
		default:
			r, n := utf8.DecodeRune(s[p.pos:])
			if r == utf8.RuneError && n == 1 {
				p.strs = utf8.AppendRune(p.strs, utf8.RuneError)
			} else {
				p.strs = append(p.strs, s[p.pos:p.pos+n]...)
			}
			p.pos += n
		}
	}
}

func (p *jsonParser) hex4() (rune, bool) {
	if len(p.s)-p.pos < 4 {
		return 0, false
	}
	var r rune
	for k := 0; k < 4; k++ {
		c := p.s[p.pos+k]
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	p.pos += 4
	return r, true
}

func (p *jsonParser) array() (int32, error) {
	p.depth++
	if p.depth > maxJSONDepth {
		return 0, p.fail("The JSON document exceeds the maximum depth")
	}
	p.pos++ // '['
	var tmp []int32
	p.skipWS()
	if p.pos < len(p.s) && p.s[p.pos] == ']' {
		p.pos++
	} else {
		for {
			v, err := p.value()
			if err != nil {
				return 0, err
			}
			tmp = append(tmp, v)
			p.skipWS()
			if p.pos >= len(p.s) {
				return 0, p.fail("Missing a comma or ']' after an array element")
			}
			if p.s[p.pos] == ',' {
				p.pos++
				continue
			}
			if p.s[p.pos] == ']' {
				p.pos++
				break
			}
			return 0, p.fail("Missing a comma or ']' after an array element")
		}
	}
	p.depth--
	first := int32(len(p.kids))
	p.kids = append(p.kids, tmp...)
	return p.newNode(jsonNode{tp: JSONTypeCodeArray, first: first, nkids: int32(len(tmp))}), nil
}

func (p *jsonParser) object() (int32, error) {
	p.depth++
	if p.depth > maxJSONDepth {
		return 0, p.fail("The JSON document exceeds the maximum depth")
	}
	p.pos++         // '{'
	var tmp []int32 // key node, value node pairs
	p.skipWS()
	if p.pos < len(p.s) && p.s[p.pos] == '}' {
		p.pos++
	} else {
		for {
			p.skipWS()
			if p.pos >= len(p.s) || p.s[p.pos] != '"' {
				return 0, p.fail("Missing a name for object member")
			}
			off, n, err := p.str()
			if err != nil {
				return 0, err
			}
			if n > math.MaxUint16 {
				return 0, p.fail("The JSON object key is too long")
			}
			k := p.newNode(jsonNode{tp: JSONTypeCodeString, i: uint64(off), first: int32(n)})
			p.skipWS()
			if p.pos >= len(p.s) || p.s[p.pos] != ':' {
				return 0, p.fail("Missing a colon after a name of object member")
			}
			p.pos++
			v, err := p.value()
			if err != nil {
				return 0, err
			}
			tmp = append(tmp, k, v)
			p.skipWS()
			if p.pos >= len(p.s) {
				return 0, p.fail("Missing a comma or '}' after an object member")
			}
			if p.s[p.pos] == ',' {
				p.pos++
				continue
			}
			if p.s[p.pos] == '}' {
				p.pos++
				break
			}
			return 0, p.fail("Missing a comma or '}' after an object member")
		}
	}
	p.depth--
	first := int32(len(p.kids))
	p.kids = append(p.kids, tmp...)
	return p.newNode(jsonNode{tp: JSONTypeCodeObject, first: first, nkids: int32(len(tmp) / 2)}), nil
}

func (p *jsonParser) strOf(n *jsonNode) []byte {
	return p.strs[n.i : int(n.i)+int(n.first)]
}

// encode appends the binary value (without the type byte) of node idx.
func (p *jsonParser) encode(dst []byte, idx int32) []byte {
	n := p.nodes[idx]
	switch n.tp {
	case JSONTypeCodeLiteral:
		return append(dst, n.lit)
	case JSONTypeCodeInt64, JSONTypeCodeUint64, JSONTypeCodeFloat64:
		return binary.LittleEndian.AppendUint64(dst, n.i)
	case JSONTypeCodeString:
		s := p.strOf(&n)
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		return append(dst, s...)
	case JSONTypeCodeArray:
		kids := p.kids[n.first : n.first+n.nkids]
		return p.encodeContainer(dst, nil, kids)
	case JSONTypeCodeObject:
		pairs := p.kids[n.first : n.first+2*n.nkids]
		// Sort member indexes by key bytes (stable so that, among equal
		// keys, the last one written ends up last), then drop all but the
		// last of each run of equal keys.
		ord := make([]int32, n.nkids)
		for i := range ord {
			ord[i] = int32(i)
		}
		slices.SortStableFunc(ord, func(a, b int32) int {
			return bytes.Compare(p.strOf(&p.nodes[pairs[2*a]]), p.strOf(&p.nodes[pairs[2*b]]))
		})
		keys := make([]int32, 0, len(ord))
		vals := make([]int32, 0, len(ord))
		for i, o := range ord {
			if i+1 < len(ord) && bytes.Equal(p.strOf(&p.nodes[pairs[2*o]]), p.strOf(&p.nodes[pairs[2*ord[i+1]]])) {
				continue
			}
			keys = append(keys, pairs[2*o])
			vals = append(vals, pairs[2*o+1])
		}
		return p.encodeContainer(dst, keys, vals)
	}
	return dst
}

// encodeContainer writes an object (keys != nil) or array.
func (p *jsonParser) encodeContainer(dst []byte, keys, vals []int32) []byte {
	start := len(dst)
	isObj := keys != nil
	cnt := len(vals)
	hdr := 8
	if isObj {
		hdr += cnt * 6
	}
	hdr += cnt * 5
	dst = binary.LittleEndian.AppendUint32(dst, uint32(cnt))
	dst = binary.LittleEndian.AppendUint32(dst, 0) // size, patched below
	dst = append(dst, make([]byte, hdr-8)...)
	off := hdr
	if isObj {
		for i, k := range keys {
			ks := p.strOf(&p.nodes[k])
			e := start + 8 + i*6
			binary.LittleEndian.PutUint32(dst[e:], uint32(off))
			binary.LittleEndian.PutUint16(dst[e+4:], uint16(len(ks)))
			dst = append(dst, ks...)
			off += len(ks)
		}
	}
	veBase := start + 8
	if isObj {
		veBase += cnt * 6
	}
	for i, v := range vals {
		vn := p.nodes[v]
		e := veBase + i*5
		dst[e] = byte(vn.tp)
		if vn.tp == JSONTypeCodeLiteral {
			dst[e+1] = vn.lit
			continue
		}
		binary.LittleEndian.PutUint32(dst[e+1:], uint32(len(dst)-start))
		dst = p.encode(dst, v)
	}
	binary.LittleEndian.PutUint32(dst[start+4:], uint32(len(dst)-start))
	return dst
}

// String returns the JSON text (MySQL/TiDB style: ", " and ": " separators).
func (bj BinaryJSON) String() string {
	out, err := bj.MarshalJSON()
	if err != nil {
		return ""
	}
	return string(out)
}

// MarshalJSON renders the binary value as JSON text.
func (bj BinaryJSON) MarshalJSON() ([]byte, error) {
	return appendJSONText(nil, bj.TypeCode, bj.Value, 0)
}

var errCorruptJSON = errors.New("corrupt binary JSON")

func appendJSONText(dst []byte, tp JSONTypeCode, v []byte, depth int) ([]byte, error) {
	if depth > maxJSONDepth+1 {
		return dst, errCorruptJSON
	}
	switch tp {
	case JSONTypeCodeLiteral:
		if len(v) < 1 {
			return dst, errCorruptJSON
		}
		switch v[0] {
		case JSONLiteralNil:
			return append(dst, "null"...), nil
		case JSONLiteralTrue:
			return append(dst, "true"...), nil
		case JSONLiteralFalse:
			return append(dst, "false"...), nil
		}
		return dst, errCorruptJSON
	case JSONTypeCodeInt64:
		if len(v) < 8 {
			return dst, errCorruptJSON
		}
		return strconv.AppendInt(dst, int64(binary.LittleEndian.Uint64(v)), 10), nil
	case JSONTypeCodeUint64:
		if len(v) < 8 {
			return dst, errCorruptJSON
		}
		return strconv.AppendUint(dst, binary.LittleEndian.Uint64(v), 10), nil
	case JSONTypeCodeFloat64:
		if len(v) < 8 {
			return dst, errCorruptJSON
		}
		return appendJSONFloat(dst, math.Float64frombits(binary.LittleEndian.Uint64(v))), nil
	case JSONTypeCodeString:
		l, n := binary.Uvarint(v)
		if n <= 0 || uint64(len(v)-n) < l {
			return dst, errCorruptJSON
		}
		return appendJSONQuoted(dst, v[n:n+int(l)]), nil
	case JSONTypeCodeOpaque:
		if len(v) < 1 {
			return dst, errCorruptJSON
		}
		l, n := binary.Uvarint(v[1:])
		if n <= 0 || uint64(len(v)-1-n) < l {
			return dst, errCorruptJSON
		}
		// MySQL renders opaque values as base64 with a type prefix; keep a
		// simple readable form since Lightning never produces them.
		dst = append(dst, `"base64:type`...)
		dst = strconv.AppendUint(dst, uint64(v[0]), 10)
		dst = append(dst, ':')
		dst = appendBase64(dst, v[1+n:1+n+int(l)])
		return append(dst, '"'), nil
	case JSONTypeCodeDate, JSONTypeCodeDatetime, JSONTypeCodeTimestamp:
		if len(v) < 8 {
			return dst, errCorruptJSON
		}
		t := TimeFromPackedUint(binary.LittleEndian.Uint64(v))
		if tp == JSONTypeCodeDate {
			t.SetType(TypeDate)
		} else {
			t.fsp = MaxFsp
		}
		dst = append(dst, '"')
		dst = t.AppendString(dst)
		return append(dst, '"'), nil
	case JSONTypeCodeDuration:
		if len(v) < 12 {
			return dst, errCorruptJSON
		}
		d := Duration{Duration: durationNs(int64(binary.LittleEndian.Uint64(v))), Fsp: int(binary.LittleEndian.Uint32(v[8:]))}
		dst = append(dst, '"')
		dst = d.AppendString(dst)
		return append(dst, '"'), nil
	case JSONTypeCodeArray, JSONTypeCodeObject:
		if len(v) < 8 {
			return dst, errCorruptJSON
		}
		cnt := int(binary.LittleEndian.Uint32(v))
		size := int(binary.LittleEndian.Uint32(v[4:]))
		if size > len(v) || size < 8 {
			return dst, errCorruptJSON
		}
		v = v[:size]
		isObj := tp == JSONTypeCodeObject
		entry := 5
		if isObj {
			entry = 11
		}
		if cnt < 0 || cnt > (size-8)/entry {
			return dst, errCorruptJSON
		}
		open, close := byte('['), byte(']')
		if isObj {
			open, close = '{', '}'
		}
		dst = append(dst, open)
		veBase := 8
		if isObj {
			veBase += cnt * 6
		}
		for i := 0; i < cnt; i++ {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			if isObj {
				ke := 8 + i*6
				ko := int(binary.LittleEndian.Uint32(v[ke:]))
				kl := int(binary.LittleEndian.Uint16(v[ke+4:]))
				if ko > len(v) || kl > len(v)-ko {
					return dst, errCorruptJSON
				}
				dst = appendJSONQuoted(dst, v[ko:ko+kl])
				dst = append(dst, ": "...)
			}
			ve := veBase + i*5
			etp := JSONTypeCode(v[ve])
			var ev []byte
			if etp == JSONTypeCodeLiteral {
				ev = v[ve+1 : ve+2]
			} else {
				eo := int(binary.LittleEndian.Uint32(v[ve+1:]))
				if eo >= len(v) {
					return dst, errCorruptJSON
				}
				ev = v[eo:]
			}
			var err error
			dst, err = appendJSONText(dst, etp, ev, depth+1)
			if err != nil {
				return dst, err
			}
		}
		return append(dst, close), nil
	}
	return dst, errCorruptJSON
}

// appendJSONFloat formats like TiDB: shortest round-trip digits, plain
// notation for 1e-6 <= |f| < 1e21 and exponent form otherwise; integral
// values in plain notation keep no fraction ("1" style would lose the type,
// so MySQL prints e.g. 1.0 as 1.0).
func appendJSONFloat(dst []byte, f float64) []byte {
	abs := math.Abs(f)
	fmtc := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		fmtc = 'e'
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, fmtc, -1, 64)
	if fmtc == 'e' {
		// Go writes e+21 / e-07; JSON text conventionally uses e+21 / e-7.
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
		return dst
	}
	if bytes.IndexByte(dst[start:], '.') < 0 {
		dst = append(dst, ".0"...)
	}
	return dst
}

func appendJSONQuoted(dst, s []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for _, c := range s {
		switch c {
		case '"':
			dst = append(dst, '\\', '"')
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		default:
			if c < 0x20 {
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			} else {
				dst = append(dst, c)
			}
		}
	}
	return append(dst, '"')
}

func appendBase64(dst, src []byte) []byte {
	const enc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(src); i += 3 {
		var b [3]byte
		n := copy(b[:], src[i:])
		v := uint(b[0])<<16 | uint(b[1])<<8 | uint(b[2])
		out := [4]byte{enc[v>>18&63], enc[v>>12&63], enc[v>>6&63], enc[v&63]}
		if n < 3 {
			out[3] = '='
		}
		if n < 2 {
			out[2] = '='
		}
		dst = append(dst, out[:]...)
	}
	return dst
}

// CreateBinaryJSONString returns a JSON string scalar.
func CreateBinaryJSONString(s []byte) BinaryJSON {
	v := binary.AppendUvarint(nil, uint64(len(s)))
	return BinaryJSON{TypeCode: JSONTypeCodeString, Value: append(v, s...)}
}
