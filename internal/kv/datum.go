package kv

import (
	"encoding/binary"
	"fmt"

	"time"

	"github.com/tempestdb/tempest/internal/collate"
	"github.com/tempestdb/tempest/internal/kv/codec"
	"github.com/tempestdb/tempest/internal/kv/rowcodec"
	"github.com/tempestdb/tempest/internal/tidbtypes"
)

// timestampToUTC converts a TIMESTAMP value held as session wall-clock time
// to UTC, as TiDB does before packing TIMESTAMPs into keys and rows. Other
// time types are stored as written.
func timestampToUTC(t tidbtypes.Time, loc *time.Location) tidbtypes.Time {
	if t.Type() == tidbtypes.TypeTimestamp && loc != nil && loc != time.UTC {
		return t.ConvertTimeZone(loc, time.UTC)
	}
	return t
}

// bitValue returns the numeric value of a BIT / binary-literal datum.
func bitValue(d *tidbtypes.Datum) (uint64, error) {
	v, ok := d.GetMysqlBitUint64()
	if !ok {
		return 0, fmt.Errorf("kv: bit value %x longer than 8 bytes", d.GetBytes())
	}
	return v, nil
}

// appendDecimal appends prec || frac || WriteBin, using the datum's recorded
// precision/scale (the column's, after the cast) or the value's own when the
// datum carries none.
func appendDecimal(dst []byte, d *tidbtypes.Datum) ([]byte, error) {
	dec := d.GetDecimal()
	prec, frac := d.Length(), d.Frac()
	if prec == 0 {
		prec, frac = dec.PrecisionAndFrac()
	}
	if frac > tidbtypes.MaxDecimalScale {
		frac = tidbtypes.MaxDecimalScale
	}
	dst = append(dst, byte(prec), byte(frac))
	out, err := dec.WriteBin(prec, frac, dst)
	if err != nil {
		return dst, fmt.Errorf("kv: encoding decimal %s as (%d,%d): %w", dec.String(), prec, frac, err)
	}
	return out, nil
}

// appendKeyDatum appends the comparable (memcomparable) encoding of d. coll
// is the column's collator (nil for non-string columns or when keys use raw
// bytes); scratch is a reusable buffer for sort keys.
func appendKeyDatum(dst []byte, d *tidbtypes.Datum, coll collate.Collator, loc *time.Location, scratch *[]byte) ([]byte, error) {
	switch d.Kind() {
	case tidbtypes.KindNull:
		return append(dst, codec.NilFlag), nil
	case tidbtypes.KindInt64:
		return codec.EncodeInt(append(dst, codec.IntFlag), d.GetInt64()), nil
	case tidbtypes.KindUint64:
		return codec.EncodeUint(append(dst, codec.UintFlag), d.GetUint64()), nil
	case tidbtypes.KindFloat32, tidbtypes.KindFloat64:
		return codec.EncodeFloat(append(dst, codec.FloatFlag), d.GetFloat64()), nil
	case tidbtypes.KindString, tidbtypes.KindBytes:
		b := d.GetBytes()
		if coll != nil && d.Kind() == tidbtypes.KindString {
			*scratch = coll.Key((*scratch)[:0], b)
			b = *scratch
		}
		return codec.EncodeBytes(append(dst, codec.BytesFlag), b), nil
	case tidbtypes.KindDecimal:
		return appendDecimal(append(dst, codec.DecimalFlag), d)
	case tidbtypes.KindTime:
		t := timestampToUTC(d.GetTime(), loc)
		return codec.EncodeUint(append(dst, codec.UintFlag), t.ToPackedUint()), nil
	case tidbtypes.KindDuration:
		return codec.EncodeInt(append(dst, codec.DurationFlag), int64(d.GetDuration().Duration)), nil
	case tidbtypes.KindEnum, tidbtypes.KindSet:
		return codec.EncodeUint(append(dst, codec.UintFlag), d.GetUint64()), nil
	case tidbtypes.KindBinaryLiteral:
		v, err := bitValue(d)
		if err != nil {
			return dst, err
		}
		return codec.EncodeUint(append(dst, codec.UintFlag), v), nil
	case tidbtypes.KindJSON:
		j := d.GetJSON()
		return append(append(dst, codec.JSONFlag, byte(j.TypeCode)), j.Value...), nil
	case tidbtypes.KindMinNotNull:
		return append(dst, codec.BytesFlag), nil
	case tidbtypes.KindMaxValue:
		return append(dst, codec.MaxFlag), nil
	}
	return dst, fmt.Errorf("kv: cannot key-encode datum kind %v", d.Kind())
}

// addRowValue adds d as column id to a row v2 writer (§3.3).
func addRowValue(w *rowcodec.Writer, id int64, d *tidbtypes.Datum, loc *time.Location) error {
	switch d.Kind() {
	case tidbtypes.KindNull:
		w.AddNull(id)
	case tidbtypes.KindInt64:
		w.AddInt(id, d.GetInt64())
	case tidbtypes.KindUint64, tidbtypes.KindEnum, tidbtypes.KindSet:
		w.AddUint(id, d.GetUint64())
	case tidbtypes.KindString, tidbtypes.KindBytes:
		w.AddBytes(id, d.GetBytes())
	case tidbtypes.KindTime:
		w.AddUint(id, timestampToUTC(d.GetTime(), loc).ToPackedUint())
	case tidbtypes.KindDuration:
		w.AddInt(id, int64(d.GetDuration().Duration))
	case tidbtypes.KindBinaryLiteral:
		v, err := bitValue(d)
		if err != nil {
			return err
		}
		w.AddUint(id, v)
	case tidbtypes.KindFloat32, tidbtypes.KindFloat64:
		w.End(codec.EncodeFloat(w.Begin(id), d.GetFloat64()))
	case tidbtypes.KindDecimal:
		buf, err := appendDecimal(w.Begin(id), d)
		w.End(buf)
		if err != nil {
			return err
		}
	case tidbtypes.KindJSON:
		j := d.GetJSON()
		w.End(append(append(w.Begin(id), byte(j.TypeCode)), j.Value...))
	default:
		return fmt.Errorf("kv: cannot row-encode datum kind %v", d.Kind())
	}
	return nil
}

// appendOldValueDatum appends the non-comparable (row v1 / EncodeValue)
// encoding of d after TiDB's flattening (§2.5).
func appendOldValueDatum(dst []byte, d *tidbtypes.Datum, loc *time.Location) ([]byte, error) {
	switch d.Kind() {
	case tidbtypes.KindNull:
		return append(dst, codec.NilFlag), nil
	case tidbtypes.KindInt64:
		return codec.EncodeVarint(append(dst, codec.VarintFlag), d.GetInt64()), nil
	case tidbtypes.KindDuration:
		return codec.EncodeVarint(append(dst, codec.VarintFlag), int64(d.GetDuration().Duration)), nil
	case tidbtypes.KindUint64, tidbtypes.KindEnum, tidbtypes.KindSet:
		return codec.EncodeUvarint(append(dst, codec.UvarintFlag), d.GetUint64()), nil
	case tidbtypes.KindTime:
		p := timestampToUTC(d.GetTime(), loc).ToPackedUint()
		return codec.EncodeUvarint(append(dst, codec.UvarintFlag), p), nil
	case tidbtypes.KindBinaryLiteral:
		v, err := bitValue(d)
		if err != nil {
			return dst, err
		}
		return codec.EncodeUvarint(append(dst, codec.UvarintFlag), v), nil
	case tidbtypes.KindString, tidbtypes.KindBytes:
		return codec.EncodeCompactBytes(append(dst, codec.CompactBytesFlag), d.GetBytes()), nil
	case tidbtypes.KindFloat32, tidbtypes.KindFloat64:
		return codec.EncodeFloat(append(dst, codec.FloatFlag), d.GetFloat64()), nil
	case tidbtypes.KindDecimal:
		return appendDecimal(append(dst, codec.DecimalFlag), d)
	case tidbtypes.KindJSON:
		j := d.GetJSON()
		return append(append(dst, codec.JSONFlag, byte(j.TypeCode)), j.Value...), nil
	}
	return dst, fmt.Errorf("kv: cannot value-encode datum kind %v", d.Kind())
}

// needRestoredData is TiDB's types.NeedRestoredData (§2.6): with new
// collation on, a non-binary CHAR/VARCHAR/TEXT column needs its original
// value stored next to the index key unless its collation is a _bin one
// and the type is CHAR/TEXT (where the key only loses trailing spaces that
// the cast already removed), and never for utf8mb4_0900_bin.
func needRestoredData(ft *tidbtypes.FieldType, newCollation bool) bool {
	if !newCollation || !isNonBinaryStr(ft) {
		return false
	}
	if ft.Collate == "utf8mb4_0900_bin" {
		return false
	}
	return !collate.IsBin(ft.Collate) || isVarchar(ft.Tp)
}

func isNonBinaryStr(ft *tidbtypes.FieldType) bool {
	if ft.Collate == tidbtypes.CollationBin {
		return false
	}
	switch ft.Tp {
	case tidbtypes.TypeString, tidbtypes.TypeVarchar, tidbtypes.TypeVarString,
		tidbtypes.TypeTinyBlob, tidbtypes.TypeBlob, tidbtypes.TypeMediumBlob, tidbtypes.TypeLongBlob:
		return true
	}
	return false
}

func isVarchar(tp byte) bool { return tp == tidbtypes.TypeVarchar || tp == tidbtypes.TypeVarString }

// tailSpaceCount counts trailing 0x20 bytes.
func tailSpaceCount(b []byte) int {
	n := 0
	for i := len(b) - 1; i >= 0 && b[i] == ' '; i-- {
		n++
	}
	return n
}

// decodeRowValue converts a row v2 value back into a datum of column type ft.
func decodeRowValue(b []byte, ft *tidbtypes.FieldType, loc *time.Location) (tidbtypes.Datum, error) {
	var d tidbtypes.Datum
	switch ft.Tp {
	case tidbtypes.TypeTiny, tidbtypes.TypeShort, tidbtypes.TypeInt24, tidbtypes.TypeLong, tidbtypes.TypeLonglong, tidbtypes.TypeYear:
		if ft.IsUnsigned() {
			v, err := rowcodec.DecodeUint(b)
			if err != nil {
				return d, err
			}
			d.SetUint64(v)
		} else {
			v, err := rowcodec.DecodeInt(b)
			if err != nil {
				return d, err
			}
			d.SetInt64(v)
		}
	case tidbtypes.TypeFloat, tidbtypes.TypeDouble:
		_, f, err := codec.DecodeFloat(b)
		if err != nil {
			return d, err
		}
		if ft.Tp == tidbtypes.TypeFloat {
			d.SetFloat32(float32(f))
		} else {
			d.SetFloat64(f)
		}
	case tidbtypes.TypeNewDecimal:
		if len(b) < 2 {
			return d, codec.ErrShortInput
		}
		var dec tidbtypes.MyDecimal
		if _, err := dec.FromBin(b[2:], int(b[0]), int(b[1])); err != nil {
			return d, err
		}
		d.SetDecimal(&dec, int(b[0]), int(b[1]))
	case tidbtypes.TypeDate, tidbtypes.TypeDatetime, tidbtypes.TypeTimestamp, tidbtypes.TypeNewDate:
		v, err := rowcodec.DecodeUint(b)
		if err != nil {
			return d, err
		}
		t := tidbtypes.TimeFromPackedUint(v)
		t.SetType(ft.Tp)
		t.SetFsp(max(ft.Decimal, 0))
		if ft.Tp == tidbtypes.TypeTimestamp && loc != nil && loc != time.UTC {
			t = t.ConvertTimeZone(time.UTC, loc)
		}
		d.SetTime(t)
	case tidbtypes.TypeDuration:
		v, err := rowcodec.DecodeInt(b)
		if err != nil {
			return d, err
		}
		d.SetDuration(tidbtypes.Duration{Duration: time.Duration(v), Fsp: max(ft.Decimal, 0)})
	case tidbtypes.TypeEnum:
		v, err := rowcodec.DecodeUint(b)
		if err != nil {
			return d, err
		}
		name := ""
		if v >= 1 && int(v) <= len(ft.Elems) {
			name = ft.Elems[v-1]
		}
		d.SetEnum(tidbtypes.Enum{Name: name, Value: v}, ft.Collate)
	case tidbtypes.TypeSet:
		v, err := rowcodec.DecodeUint(b)
		if err != nil {
			return d, err
		}
		d.SetSet(tidbtypes.Set{Name: setName(ft.Elems, v), Value: v}, ft.Collate)
	case tidbtypes.TypeBit:
		v, err := rowcodec.DecodeUint(b)
		if err != nil {
			return d, err
		}
		n := (ft.Flen + 7) / 8
		if n <= 0 {
			n = 1
		}
		d.SetBinaryLiteral(tidbtypes.AppendBinaryLiteralUint(nil, v, n))
	case tidbtypes.TypeJSON:
		if len(b) < 1 {
			return d, codec.ErrShortInput
		}
		d.SetJSON(tidbtypes.BinaryJSON{TypeCode: tidbtypes.JSONTypeCode(b[0]), Value: b[1:]})
	default:
		if ft.IsBinary() {
			d.SetBytes(b)
		} else {
			d.SetString(b, ft.Collate)
		}
	}
	return d, nil
}

func setName(elems []string, v uint64) string {
	var out []byte
	for i, e := range elems {
		if i < 64 && v&(1<<uint(i)) != 0 {
			if len(out) > 0 {
				out = append(out, ',')
			}
			out = append(out, e...)
		}
	}
	return string(out)
}

// decodeKeyDatum decodes one comparable datum. String keys made from
// collation sort keys cannot be inverted; they come back as the key bytes.
func decodeKeyDatum(b []byte) ([]byte, tidbtypes.Datum, error) {
	var d tidbtypes.Datum
	if len(b) == 0 {
		return b, d, codec.ErrShortInput
	}
	flag := b[0]
	b = b[1:]
	var err error
	switch flag {
	case codec.NilFlag:
	case codec.IntFlag:
		var v int64
		b, v, err = codec.DecodeInt(b)
		d.SetInt64(v)
	case codec.UintFlag:
		var v uint64
		b, v, err = codec.DecodeUint(b)
		d.SetUint64(v)
	case codec.FloatFlag:
		var f float64
		b, f, err = codec.DecodeFloat(b)
		d.SetFloat64(f)
	case codec.BytesFlag:
		var v []byte
		b, v, err = codec.DecodeBytes(b, nil)
		d.SetBytes(v)
	case codec.DecimalFlag:
		if len(b) < 2 {
			return b, d, codec.ErrShortInput
		}
		prec, frac := int(b[0]), int(b[1])
		var dec tidbtypes.MyDecimal
		var n int
		n, err = dec.FromBin(b[2:], prec, frac)
		if err == nil {
			b = b[2+n:]
			d.SetDecimal(&dec, prec, frac)
		}
	case codec.DurationFlag:
		var v int64
		b, v, err = codec.DecodeInt(b)
		d.SetDuration(tidbtypes.Duration{Duration: time.Duration(v)})
	case codec.JSONFlag:
		return b, d, fmt.Errorf("kv: JSON key datums are not decodable")
	default:
		return b, d, fmt.Errorf("kv: invalid key datum flag %#x", flag)
	}
	return b, d, err
}

// be64 appends v as 8 bytes big-endian.
func be64(dst []byte, v uint64) []byte { return binary.BigEndian.AppendUint64(dst, v) }

func needRestoredBinSet(c string) bool { return collate.IsBin(c) }
