// Package codec implements the byte-level encodings TiDB uses for keys and
// values: memcomparable integers, floats and byte strings, and the varint
// based non-comparable forms of row format v1 and old index values.
//
// Every function appends to dst and returns the extended slice, so callers
// can reuse buffers and encode without allocating. Decoders return the
// remaining input after the consumed bytes.
//
// Invariants the comparable ("key") encodings guarantee, and which the tests
// check: for two values a < b of the same kind, bytes.Compare(enc(a), enc(b))
// < 0; and every encoding is self-delimiting so concatenations of encoded
// datums compare column by column.
package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Flag bytes that prefix every encoded datum (pkg/util/codec in TiDB).
const (
	NilFlag           byte = 0x00
	BytesFlag         byte = 0x01
	CompactBytesFlag  byte = 0x02
	IntFlag           byte = 0x03
	UintFlag          byte = 0x04
	FloatFlag         byte = 0x05
	DecimalFlag       byte = 0x06
	DurationFlag      byte = 0x07
	VarintFlag        byte = 0x08
	UvarintFlag       byte = 0x09
	JSONFlag          byte = 0x0a
	VectorFloat32Flag byte = 0x14
	MaxFlag           byte = 0xfa
)

// signMask flips the sign bit so that two's complement int64 values sort as
// unsigned big-endian bytes.
const signMask uint64 = 0x8000000000000000

// ErrShortInput is returned when the input ends inside an encoded value.
var ErrShortInput = errors.New("codec: input too short")

// EncodeInt appends the 8-byte memcomparable form of v.
func EncodeInt(dst []byte, v int64) []byte {
	return binary.BigEndian.AppendUint64(dst, uint64(v)^signMask)
}

// DecodeInt decodes a value written by EncodeInt.
func DecodeInt(b []byte) ([]byte, int64, error) {
	if len(b) < 8 {
		return b, 0, ErrShortInput
	}
	return b[8:], int64(binary.BigEndian.Uint64(b) ^ signMask), nil
}

// EncodeUint appends v as 8 bytes big-endian.
func EncodeUint(dst []byte, v uint64) []byte {
	return binary.BigEndian.AppendUint64(dst, v)
}

// DecodeUint decodes a value written by EncodeUint.
func DecodeUint(b []byte) ([]byte, uint64, error) {
	if len(b) < 8 {
		return b, 0, ErrShortInput
	}
	return b[8:], binary.BigEndian.Uint64(b), nil
}

// EncodeFloatBits maps a float64 to a uint64 whose unsigned order equals the
// numeric order: non-negative values get the sign bit set, negative values
// are inverted. The test is arithmetic (f >= 0), so -0.0 maps to the same
// bits as +0.0: both compare equal in SQL and must collide in unique indexes.
func EncodeFloatBits(f float64) uint64 {
	u := math.Float64bits(f)
	if f >= 0 {
		return u | signMask
	}
	return ^u
}

// DecodeFloatBits inverts EncodeFloatBits.
func DecodeFloatBits(u uint64) float64 {
	if u&signMask != 0 {
		u &^= signMask
	} else {
		u = ^u
	}
	return math.Float64frombits(u)
}

// EncodeFloat appends the 8-byte memcomparable form of f.
func EncodeFloat(dst []byte, f float64) []byte {
	return binary.BigEndian.AppendUint64(dst, EncodeFloatBits(f))
}

// DecodeFloat decodes a value written by EncodeFloat.
func DecodeFloat(b []byte) ([]byte, float64, error) {
	if len(b) < 8 {
		return b, 0, ErrShortInput
	}
	return b[8:], DecodeFloatBits(binary.BigEndian.Uint64(b)), nil
}

const (
	encGroupSize = 8
	encMarker    = byte(0xFF)
	encPad       = byte(0x00)
)

// EncodeBytes appends the group-of-8 memcomparable form of data: each full
// 8-byte group is followed by 0xFF; the last (possibly empty) group is padded
// with zeros to 8 bytes and followed by 0xFF minus the pad count. The result
// length is (len(data)/8+1)*9.
func EncodeBytes(dst, data []byte) []byte {
	n := len(data)
	dst = growBy(dst, (n/encGroupSize+1)*(encGroupSize+1))
	for i := 0; i <= n; i += encGroupSize {
		rem := n - i
		if rem >= encGroupSize {
			dst = append(dst, data[i:i+encGroupSize]...)
			dst = append(dst, encMarker)
			continue
		}
		pad := encGroupSize - rem
		dst = append(dst, data[i:]...)
		for j := 0; j < pad; j++ {
			dst = append(dst, encPad)
		}
		dst = append(dst, encMarker-byte(pad))
	}
	return dst
}

// EncodedBytesLen is the length EncodeBytes produces for n input bytes.
func EncodedBytesLen(n int) int { return (n/encGroupSize + 1) * (encGroupSize + 1) }

// DecodeBytes decodes a value written by EncodeBytes, appending the original
// bytes to buf. It rejects non-canonical encodings (bad markers or non-zero
// padding) because such keys can never have been written by TiDB.
func DecodeBytes(b, buf []byte) (rest, out []byte, err error) {
	out = buf
	for {
		if len(b) < encGroupSize+1 {
			return b, out, ErrShortInput
		}
		group := b[:encGroupSize]
		marker := b[encGroupSize]
		b = b[encGroupSize+1:]
		pad := int(encMarker - marker)
		if pad == 0 {
			out = append(out, group...)
			continue
		}
		if pad > encGroupSize {
			return b, out, fmt.Errorf("codec: invalid group marker %#x", marker)
		}
		real := encGroupSize - pad
		for _, c := range group[real:] {
			if c != encPad {
				return b, out, fmt.Errorf("codec: invalid padding byte %#x", c)
			}
		}
		return b, append(out, group[:real]...), nil
	}
}

// EncodeVarint appends v in Go's zig-zag varint form.
func EncodeVarint(dst []byte, v int64) []byte { return binary.AppendVarint(dst, v) }

// EncodeUvarint appends v in Go's uvarint form.
func EncodeUvarint(dst []byte, v uint64) []byte { return binary.AppendUvarint(dst, v) }

// DecodeVarint decodes a zig-zag varint.
func DecodeVarint(b []byte) ([]byte, int64, error) {
	v, n := binary.Varint(b)
	if n <= 0 {
		return b, 0, errors.New("codec: invalid varint")
	}
	return b[n:], v, nil
}

// DecodeUvarint decodes a uvarint.
func DecodeUvarint(b []byte) ([]byte, uint64, error) {
	v, n := binary.Uvarint(b)
	if n <= 0 {
		return b, 0, errors.New("codec: invalid uvarint")
	}
	return b[n:], v, nil
}

// EncodeCompactBytes appends varint(len(data)) || data (non-comparable).
func EncodeCompactBytes(dst, data []byte) []byte {
	dst = binary.AppendVarint(dst, int64(len(data)))
	return append(dst, data...)
}

// DecodeCompactBytes decodes a value written by EncodeCompactBytes. The
// returned slice aliases b.
func DecodeCompactBytes(b []byte) ([]byte, []byte, error) {
	rest, n, err := DecodeVarint(b)
	if err != nil {
		return b, nil, err
	}
	if n < 0 || int64(len(rest)) < n {
		return b, nil, ErrShortInput
	}
	return rest[n:], rest[:n], nil
}

// Comparable varint tags: values 0..239 are stored as one byte v+8; larger
// positive values use tag 0xF7+n followed by n big-endian bytes; negative
// values use tag 8-n followed by the low n bytes.
const (
	cmpVarintNegTagEnd = 8
	cmpVarintPosTagEnd = 0xF7
	cmpVarintPosMax    = cmpVarintPosTagEnd - cmpVarintNegTagEnd
)

// EncodeComparableVarint appends the order-preserving variable-length form of
// v (Lightning uses it for row IDs in local-only keys).
func EncodeComparableVarint(dst []byte, v int64) []byte {
	if v < 0 {
		var n int
		switch {
		case v >= -0xff:
			n = 1
		case v >= -0xffff:
			n = 2
		case v >= -0xffffff:
			n = 3
		case v >= -0xffffffff:
			n = 4
		case v >= -0xffffffffff:
			n = 5
		case v >= -0xffffffffffff:
			n = 6
		case v >= -0xffffffffffffff:
			n = 7
		default:
			n = 8
		}
		dst = append(dst, byte(cmpVarintNegTagEnd-n))
		for i := n - 1; i >= 0; i-- {
			dst = append(dst, byte(uint64(v)>>(8*uint(i))))
		}
		return dst
	}
	return EncodeComparableUvarint(dst, uint64(v))
}

// EncodeComparableUvarint appends the order-preserving form of a uint64.
func EncodeComparableUvarint(dst []byte, v uint64) []byte {
	if v <= cmpVarintPosMax {
		return append(dst, byte(v)+cmpVarintNegTagEnd)
	}
	n := 8
	for n > 1 && v>>(8*uint(n-1)) == 0 {
		n--
	}
	dst = append(dst, byte(cmpVarintPosTagEnd+n))
	for i := n - 1; i >= 0; i-- {
		dst = append(dst, byte(v>>(8*uint(i))))
	}
	return dst
}

// DecodeComparableVarint decodes a value written by EncodeComparableVarint.
func DecodeComparableVarint(b []byte) ([]byte, int64, error) {
	if len(b) == 0 {
		return b, 0, ErrShortInput
	}
	tag := b[0]
	b = b[1:]
	switch {
	case tag < cmpVarintNegTagEnd:
		n := int(cmpVarintNegTagEnd - tag)
		if len(b) < n {
			return b, 0, ErrShortInput
		}
		v := ^uint64(0)
		for _, c := range b[:n] {
			v = v<<8 | uint64(c)
		}
		return b[n:], int64(v), nil
	case tag <= cmpVarintPosTagEnd:
		return b, int64(tag) - cmpVarintNegTagEnd, nil
	default:
		n := int(tag - cmpVarintPosTagEnd)
		if n > 8 || len(b) < n {
			return b, 0, ErrShortInput
		}
		var v uint64
		for _, c := range b[:n] {
			v = v<<8 | uint64(c)
		}
		return b[n:], int64(v), nil
	}
}

// growBy makes sure dst has room for n more bytes with at most one allocation.
func growBy(dst []byte, n int) []byte {
	if cap(dst)-len(dst) >= n {
		return dst
	}
	nb := make([]byte, len(dst), 2*cap(dst)+n)
	copy(nb, dst)
	return nb
}
