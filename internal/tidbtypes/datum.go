package tidbtypes

import (
	"encoding/hex"
	"math"
	"strconv"
	"unsafe"
)

// Kind is the kind of value a Datum holds.
type Kind byte

// Datum kinds. The zero Kind is KindNull so the zero Datum is SQL NULL.
const (
	KindNull Kind = iota
	KindInt64
	KindUint64
	KindFloat32
	KindFloat64
	KindString // character string with a collation
	KindBytes  // binary string
	KindDecimal
	KindTime     // DATE / DATETIME / TIMESTAMP
	KindDuration // TIME
	KindEnum
	KindSet
	KindBinaryLiteral // BIT values and hex/bit literals
	KindJSON
	KindMinNotNull
	KindMaxValue
)

// String names the kind (for messages and tests).
func (k Kind) String() string {
	switch k {
	case KindNull:
		return "null"
	case KindInt64:
		return "int64"
	case KindUint64:
		return "uint64"
	case KindFloat32:
		return "float32"
	case KindFloat64:
		return "float64"
	case KindString:
		return "string"
	case KindBytes:
		return "bytes"
	case KindDecimal:
		return "decimal"
	case KindTime:
		return "time"
	case KindDuration:
		return "duration"
	case KindEnum:
		return "enum"
	case KindSet:
		return "set"
	case KindBinaryLiteral:
		return "binary-literal"
	case KindJSON:
		return "json"
	case KindMinNotNull:
		return "min-not-null"
	case KindMaxValue:
		return "max-value"
	}
	return "unknown"
}

// Datum is one SQL value. It is a plain value type (no pointers besides the
// byte slice and the collation string) so rows can be kept in a reusable
// []Datum without per-value heap allocations:
//
//   - i holds int64/uint64 bits, float bits, packed time, duration ns,
//     enum/set numeric value;
//   - b holds string/bytes/bit/JSON payload or the enum/set name; it may
//     alias the caller's buffer (see NewBytesDatum) — copy with Clone;
//   - dec holds a decimal inline (fixed size, no allocation);
//   - x1/x2 hold the small per-kind extras: time type + fsp, duration fsp,
//     JSON type code, decimal precision + frac.
type Datum struct {
	k         Kind
	x1        uint8 // time: type code; decimal: precision; json: type code
	x2        int8  // time/duration: fsp; decimal: frac
	collation string
	i         int64
	b         []byte
	dec       MyDecimal
}

// Kind returns the datum kind.
func (d *Datum) Kind() Kind { return d.k }

// IsNull reports SQL NULL.
func (d *Datum) IsNull() bool { return d.k == KindNull }

// Collation returns the collation of a string/enum/set datum ("" if none).
func (d *Datum) Collation() string { return d.collation }

// SetCollation sets the collation carried by the datum.
func (d *Datum) SetCollation(c string) { d.collation = c }

// GetInt64 returns the int64 (also the raw bits for uint64 datums).
func (d *Datum) GetInt64() int64 { return d.i }

// GetUint64 returns the uint64 value (raw bits of i).
func (d *Datum) GetUint64() uint64 { return uint64(d.i) }

// GetFloat64 returns the float value of a KindFloat32/KindFloat64 datum.
func (d *Datum) GetFloat64() float64 { return math.Float64frombits(uint64(d.i)) }

// GetFloat32 returns the value as float32.
func (d *Datum) GetFloat32() float32 { return float32(d.GetFloat64()) }

// GetBytes returns the payload bytes (string, bytes, bit literal, JSON value,
// enum/set name). The slice may alias an external buffer.
func (d *Datum) GetBytes() []byte { return d.b }

// GetString returns the payload as a string (allocates a copy).
func (d *Datum) GetString() string { return string(d.b) }

// GetDecimal returns a pointer to the inline decimal.
func (d *Datum) GetDecimal() *MyDecimal { return &d.dec }

// Length returns the precision recorded on a decimal datum (the column Flen
// after conversion), 0 when unset.
func (d *Datum) Length() int { return int(d.x1) }

// Frac returns the scale recorded on a decimal datum (the column Decimal
// after conversion), or the fsp of a time/duration datum.
func (d *Datum) Frac() int { return int(d.x2) }

// SetLength sets the decimal precision recorded on the datum.
func (d *Datum) SetLength(l int) {
	if l < 0 || l > 255 {
		l = 0
	}
	d.x1 = uint8(l)
}

// SetFrac sets the decimal scale recorded on the datum.
func (d *Datum) SetFrac(f int) {
	if f < 0 || f > 127 {
		f = 0
	}
	d.x2 = int8(f)
}

// GetTime returns the time value of a KindTime datum.
func (d *Datum) GetTime() Time {
	t := TimeFromPackedUint(uint64(d.i))
	t.tp = d.x1
	t.fsp = d.x2
	return t
}

// GetDuration returns the value of a KindDuration datum.
func (d *Datum) GetDuration() Duration {
	return Duration{Duration: durationNs(d.i), Fsp: int(d.x2)}
}

// GetEnum returns the enum value (name + 1-based index).
func (d *Datum) GetEnum() Enum { return Enum{Name: bytesToString(d.b), Value: uint64(d.i)} }

// GetSet returns the set value (name + bitmask).
func (d *Datum) GetSet() Set { return Set{Name: bytesToString(d.b), Value: uint64(d.i)} }

// GetBinaryLiteral returns the bytes of a BIT / binary-literal datum.
func (d *Datum) GetBinaryLiteral() BinaryLiteral {
	if d.b == nil && d.k == KindBinaryLiteral {
		// Stored numerically (BIT column values from Convert): materialise
		// the big-endian bytes of the recorded width.
		return AppendBinaryLiteralUint(nil, uint64(d.i), int(d.x1))
	}
	return BinaryLiteral(d.b)
}

// GetJSON returns the binary JSON value.
func (d *Datum) GetJSON() BinaryJSON { return BinaryJSON{TypeCode: JSONTypeCode(d.x1), Value: d.b} }

// GetMysqlBitUint64 returns the numeric value of a binary-literal datum
// (as the row codec stores BIT columns); bytes beyond 8 are an error
// reported as ok=false.
func (d *Datum) GetMysqlBitUint64() (uint64, bool) {
	if d.b == nil {
		return uint64(d.i), true
	}
	return BinaryLiteral(d.b).ToUint64()
}

// Clone returns a deep copy of the datum whose bytes no longer alias any
// external buffer.
func (d Datum) Clone() Datum {
	if d.b != nil {
		nb := make([]byte, len(d.b))
		copy(nb, d.b)
		d.b = nb
	}
	return d
}

// SetNull resets the datum to NULL.
func (d *Datum) SetNull() { *d = Datum{} }

// SetInt64 stores an int64.
func (d *Datum) SetInt64(v int64) { *d = Datum{k: KindInt64, i: v} }

// SetUint64 stores a uint64.
func (d *Datum) SetUint64(v uint64) { *d = Datum{k: KindUint64, i: int64(v)} }

// SetFloat64 stores a float64.
func (d *Datum) SetFloat64(v float64) { *d = Datum{k: KindFloat64, i: int64(math.Float64bits(v))} }

// SetFloat32 stores a float32 (kept widened to float64).
func (d *Datum) SetFloat32(v float32) {
	*d = Datum{k: KindFloat32, i: int64(math.Float64bits(float64(v)))}
}

// SetString stores a character string with its collation; b is aliased.
func (d *Datum) SetString(b []byte, collation string) {
	*d = Datum{k: KindString, b: b, collation: collation}
}

// SetBytes stores a binary string; b is aliased.
func (d *Datum) SetBytes(b []byte) { *d = Datum{k: KindBytes, b: b, collation: CollationBin} }

// SetDecimal stores a decimal with the precision/frac of its target column
// (0,0 meaning "use the value's own").
func (d *Datum) SetDecimal(v *MyDecimal, prec, frac int) {
	*d = Datum{k: KindDecimal, dec: *v}
	d.SetLength(prec)
	d.SetFrac(frac)
}

// SetTime stores a DATE/DATETIME/TIMESTAMP.
func (d *Datum) SetTime(t Time) {
	*d = Datum{k: KindTime, i: int64(t.ToPackedUint()), x1: t.tp, x2: t.fsp}
}

// SetDuration stores a TIME.
func (d *Datum) SetDuration(v Duration) {
	*d = Datum{k: KindDuration, i: int64(v.Duration), x2: int8(clampFsp(v.Fsp))}
}

// SetEnum stores an enum value.
func (d *Datum) SetEnum(e Enum, collation string) {
	*d = Datum{k: KindEnum, i: int64(e.Value), b: stringToBytes(e.Name), collation: collation}
}

// SetSet stores a set value.
func (d *Datum) SetSet(s Set, collation string) {
	*d = Datum{k: KindSet, i: int64(s.Value), b: stringToBytes(s.Name), collation: collation}
}

// SetBinaryLiteral stores a BIT value / binary literal; b is aliased.
func (d *Datum) SetBinaryLiteral(b BinaryLiteral) {
	if b == nil {
		b = BinaryLiteral{}
	}
	*d = Datum{k: KindBinaryLiteral, b: b}
}

// SetJSON stores a binary JSON value; its Value is aliased.
func (d *Datum) SetJSON(j BinaryJSON) { *d = Datum{k: KindJSON, x1: byte(j.TypeCode), b: j.Value} }

// NewDatum constructors.

// NewIntDatum returns an int64 datum.
func NewIntDatum(v int64) Datum { return Datum{k: KindInt64, i: v} }

// NewUintDatum returns a uint64 datum.
func NewUintDatum(v uint64) Datum { return Datum{k: KindUint64, i: int64(v)} }

// NewFloat64Datum returns a float64 datum.
func NewFloat64Datum(v float64) Datum {
	return Datum{k: KindFloat64, i: int64(math.Float64bits(v))}
}

// NewFloat32Datum returns a float32 datum.
func NewFloat32Datum(v float32) Datum {
	return Datum{k: KindFloat32, i: int64(math.Float64bits(float64(v)))}
}

// NewStringDatum returns a string datum with the given collation.
func NewStringDatum(s string, collation string) Datum {
	return Datum{k: KindString, b: []byte(s), collation: collation}
}

// NewCollationStringDatum is NewStringDatum over bytes (aliased).
func NewCollationStringDatum(b []byte, collation string) Datum {
	return Datum{k: KindString, b: b, collation: collation}
}

// NewBytesDatum returns a binary-string datum; b is aliased.
func NewBytesDatum(b []byte) Datum { return Datum{k: KindBytes, b: b, collation: CollationBin} }

// NewDecimalDatum returns a decimal datum carrying the value's own
// precision/frac as length/frac.
func NewDecimalDatum(v *MyDecimal) Datum {
	var d Datum
	p, f := v.PrecisionAndFrac()
	d.SetDecimal(v, p, f)
	return d
}

// NewTimeDatum returns a time datum.
func NewTimeDatum(t Time) Datum {
	var d Datum
	d.SetTime(t)
	return d
}

// NewDurationDatum returns a TIME datum.
func NewDurationDatum(v Duration) Datum {
	var d Datum
	d.SetDuration(v)
	return d
}

// NewEnumDatum returns an enum datum.
func NewEnumDatum(e Enum, collation string) Datum {
	var d Datum
	d.SetEnum(e, collation)
	return d
}

// NewSetDatum returns a set datum.
func NewSetDatum(s Set, collation string) Datum {
	var d Datum
	d.SetSet(s, collation)
	return d
}

// NewBinaryLiteralDatum returns a BIT / binary literal datum.
func NewBinaryLiteralDatum(b BinaryLiteral) Datum {
	var d Datum
	d.SetBinaryLiteral(b)
	return d
}

// NewJSONDatum returns a JSON datum.
func NewJSONDatum(j BinaryJSON) Datum { return Datum{k: KindJSON, x1: byte(j.TypeCode), b: j.Value} }

// NewMinNotNullDatum returns the MinNotNull sentinel (ranges only).
func NewMinNotNullDatum() Datum { return Datum{k: KindMinNotNull} }

// NewMaxValueDatum returns the MaxValue sentinel (ranges only).
func NewMaxValueDatum() Datum { return Datum{k: KindMaxValue} }

// bytesToString views b as a string without copying. Only used for enum/set
// names, whose bytes come from immutable FieldType.Elems strings.
func bytesToString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// stringToBytes views s as bytes without copying; callers never write to the
// result (see bytesToString).
func stringToBytes(s string) []byte {
	if s == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// String renders the value for messages and tests (not an SQL literal):
// NULL, numbers, decimal text, times as MySQL displays them, BIT as 0x..,
// JSON as text.
func (d Datum) String() string {
	switch d.k {
	case KindNull:
		return "NULL"
	case KindInt64:
		return strconv.FormatInt(d.i, 10)
	case KindUint64:
		return strconv.FormatUint(uint64(d.i), 10)
	case KindFloat32:
		return strconv.FormatFloat(d.GetFloat64(), 'g', -1, 32)
	case KindFloat64:
		return strconv.FormatFloat(d.GetFloat64(), 'g', -1, 64)
	case KindString, KindBytes, KindEnum, KindSet:
		return string(d.b)
	case KindDecimal:
		return d.dec.String()
	case KindTime:
		return d.GetTime().String()
	case KindDuration:
		return d.GetDuration().String()
	case KindBinaryLiteral:
		v, ok := d.GetMysqlBitUint64()
		if !ok {
			return "0x" + hex.EncodeToString(d.b)
		}
		return "0x" + strconv.FormatUint(v, 16)
	case KindJSON:
		return d.GetJSON().String()
	}
	return d.k.String()
}
