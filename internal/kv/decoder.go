package kv

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/tempestdb/tempest/internal/kv/codec"
	"github.com/tempestdb/tempest/internal/kv/rowcodec"
	"github.com/tempestdb/tempest/internal/tidbtypes"
)

// Decoder turns KV pairs of one table back into column values. It exists
// for tests, the sandbox and the debug command; it is not on the hot path.
type Decoder struct {
	tbl          *TableInfo
	loc          *time.Location
	newCollation bool
	byID         map[int64]int
}

// NewDecoder returns a decoder for tbl with the session time zone loc (nil =
// UTC) and the cluster's new-collation setting.
func NewDecoder(tbl *TableInfo, loc *time.Location, newCollation bool) *Decoder {
	if loc == nil {
		loc = time.UTC
	}
	d := &Decoder{tbl: tbl, loc: loc, newCollation: newCollation, byID: make(map[int64]int, len(tbl.Columns))}
	for i, c := range tbl.Columns {
		d.byID[c.ID] = i
	}
	return d
}

// Handle is a decoded row handle.
type Handle struct {
	IsInt  bool
	Int    int64
	Common []byte // encoded common handle (flag-prefixed datums)
}

func (h Handle) String() string {
	if h.IsInt {
		return fmt.Sprintf("%d", h.Int)
	}
	return fmt.Sprintf("%x", h.Common)
}

// DecodedRow is a decoded record KV. Present[i] is false for columns the
// value does not carry (left out as NULL-with-NULL-default, virtual
// generated); their Values[i] is NULL.
type DecodedRow struct {
	PhysicalID int64
	Handle     Handle
	Values     []tidbtypes.Datum
	Present    []bool
}

// DecodeRecord decodes a record key and value.
func (d *Decoder) DecodeRecord(key, value []byte) (DecodedRow, error) {
	var r DecodedRow
	tid, ih, ch, err := DecodeRecordKey(key)
	if err != nil {
		return r, err
	}
	r.PhysicalID = tid
	r.Handle = Handle{IsInt: ch == nil, Int: ih, Common: ch}
	n := len(d.tbl.Columns)
	r.Values = make([]tidbtypes.Datum, n)
	r.Present = make([]bool, n)
	if len(value) > 0 && value[0] == rowcodec.CodecVer {
		row, err := rowcodec.Parse(value)
		if err != nil {
			return r, err
		}
		for i := 0; i < row.NumNotNull(); i++ {
			id, v := row.NotNull(i)
			off, ok := d.byID[id]
			if !ok {
				return r, fmt.Errorf("kv: row has unknown column id %d", id)
			}
			dt, err := decodeRowValue(v, &d.tbl.Columns[off].Type, d.loc)
			if err != nil {
				return r, fmt.Errorf("kv: column %s: %w", d.tbl.Columns[off].Name, err)
			}
			r.Values[off] = dt.Clone()
			r.Present[off] = true
		}
		for i := 0; i < row.NumNull(); i++ {
			off, ok := d.byID[row.Null(i)]
			if !ok {
				return r, fmt.Errorf("kv: row has unknown column id %d", row.Null(i))
			}
			r.Present[off] = true
		}
	} else if err := d.decodeOldRow(value, &r); err != nil {
		return r, err
	}
	// The handle carries the PK values that the row leaves out.
	if d.tbl.PKIsHandle {
		if c := d.tbl.HandleColumn(); c != nil {
			if c.Type.IsUnsigned() {
				r.Values[c.Offset].SetUint64(uint64(ih))
			} else {
				r.Values[c.Offset].SetInt64(ih)
			}
			r.Present[c.Offset] = true
		}
	} else if d.tbl.IsCommonHandle && ch != nil {
		rest := ch
		for _, ic := range d.tbl.PrimaryIndex().Columns {
			var dt tidbtypes.Datum
			rest, dt, err = decodeKeyDatum(rest)
			if err != nil {
				return r, fmt.Errorf("kv: common handle: %w", err)
			}
			if !r.Present[ic.Offset] {
				r.Values[ic.Offset] = d.fromKeyDatum(dt, &d.tbl.Columns[ic.Offset].Type)
				r.Present[ic.Offset] = true
			}
		}
		if len(rest) != 0 {
			return r, fmt.Errorf("kv: %d trailing bytes in common handle", len(rest))
		}
	}
	return r, nil
}

func (d *Decoder) decodeOldRow(b []byte, r *DecodedRow) error {
	if len(b) == 1 && b[0] == codec.NilFlag {
		return nil
	}
	for len(b) > 0 {
		if b[0] != codec.VarintFlag {
			return fmt.Errorf("kv: old row: bad column id flag %#x", b[0])
		}
		var id int64
		var err error
		b, id, err = codec.DecodeVarint(b[1:])
		if err != nil {
			return err
		}
		off, ok := d.byID[id]
		if !ok {
			return fmt.Errorf("kv: old row has unknown column id %d", id)
		}
		var dt tidbtypes.Datum
		b, dt, err = decodeOldValue(b, &d.tbl.Columns[off].Type, d.loc)
		if err != nil {
			return err
		}
		r.Values[off] = dt
		r.Present[off] = true
	}
	return nil
}

// decodeOldValue decodes one row-v1 value into a datum of type ft.
func decodeOldValue(b []byte, ft *tidbtypes.FieldType, loc *time.Location) ([]byte, tidbtypes.Datum, error) {
	var d tidbtypes.Datum
	if len(b) == 0 {
		return b, d, codec.ErrShortInput
	}
	flag := b[0]
	b = b[1:]
	var raw []byte
	switch flag {
	case codec.NilFlag:
		return b, d, nil
	case codec.VarintFlag:
		rest, v, err := codec.DecodeVarint(b)
		if err != nil {
			return b, d, err
		}
		raw = rowcodec.AppendInt(nil, v)
		b = rest
	case codec.UvarintFlag:
		rest, v, err := codec.DecodeUvarint(b)
		if err != nil {
			return b, d, err
		}
		raw = rowcodec.AppendUint(nil, v)
		b = rest
	case codec.CompactBytesFlag:
		rest, v, err := codec.DecodeCompactBytes(b)
		if err != nil {
			return b, d, err
		}
		raw = append([]byte(nil), v...)
		b = rest
	case codec.FloatFlag:
		if len(b) < 8 {
			return b, d, codec.ErrShortInput
		}
		raw, b = b[:8], b[8:]
	case codec.DecimalFlag:
		if len(b) < 2 {
			return b, d, codec.ErrShortInput
		}
		prec, frac := int(b[0]), int(b[1])
		if prec < 1 || prec > tidbtypes.MaxDecimalWidth || frac > tidbtypes.MaxDecimalScale || frac > prec {
			return b, d, fmt.Errorf("kv: invalid decimal precision/scale %d,%d", prec, frac)
		}
		n := tidbtypes.DecimalBinSize(prec, frac)
		if len(b) < 2+n {
			return b, d, codec.ErrShortInput
		}
		raw, b = b[:2+n], b[2+n:]
	default:
		return b, d, fmt.Errorf("kv: old row: unsupported value flag %#x", flag)
	}
	d, err := decodeRowValue(raw, ft, loc)
	return b, d.Clone(), err
}

// fromKeyDatum maps a decoded key datum to the column's datum kind where the
// key is invertible (ints, times, strings keyed by raw bytes).
func (d *Decoder) fromKeyDatum(k tidbtypes.Datum, ft *tidbtypes.FieldType) tidbtypes.Datum {
	switch k.Kind() {
	case tidbtypes.KindInt64:
		if ft.IsUnsigned() {
			var o tidbtypes.Datum
			o.SetUint64(uint64(k.GetInt64()))
			return o
		}
	case tidbtypes.KindUint64:
		switch {
		case tidbtypes.IsTimeType(ft.Tp):
			t := tidbtypes.TimeFromPackedUint(k.GetUint64())
			t.SetType(ft.Tp)
			t.SetFsp(max(ft.Decimal, 0))
			if ft.Tp == tidbtypes.TypeTimestamp {
				t = t.ConvertTimeZone(time.UTC, d.loc)
			}
			var o tidbtypes.Datum
			o.SetTime(t)
			return o
		case ft.Tp == tidbtypes.TypeEnum || ft.Tp == tidbtypes.TypeSet || ft.Tp == tidbtypes.TypeBit:
			o, err := decodeRowValue(rowcodec.AppendUint(nil, k.GetUint64()), ft, d.loc)
			if err == nil {
				return o
			}
		}
	case tidbtypes.KindBytes:
		if !ft.IsBinary() && tidbtypes.IsStringType(ft.Tp) {
			var o tidbtypes.Datum
			o.SetString(k.GetBytes(), ft.Collate)
			return o
		}
	case tidbtypes.KindFloat64:
		if ft.Tp == tidbtypes.TypeFloat {
			var o tidbtypes.Datum
			o.SetFloat32(float32(k.GetFloat64()))
			return o
		}
	case tidbtypes.KindDuration:
		var o tidbtypes.Datum
		o.SetDuration(tidbtypes.Duration{Duration: k.GetDuration().Duration, Fsp: max(ft.Decimal, 0)})
		return o
	}
	return k
}

// DecodedIndex is a decoded index KV.
type DecodedIndex struct {
	PhysicalID int64
	Index      *IndexInfo
	// Values are the indexed values. String columns keyed by a collation
	// sort key are replaced by their restored original when the value
	// carries it (Restored[i] true); otherwise they hold the key bytes.
	Values      []tidbtypes.Datum
	Restored    []bool
	Handle      Handle
	Distinct    bool
	PartitionID int64
}

// DecodeIndex decodes an index key and value.
func (d *Decoder) DecodeIndex(key, value []byte) (DecodedIndex, error) {
	var out DecodedIndex
	tid, iid, rest, err := DecodeIndexKeyPrefix(key)
	if err != nil {
		return out, err
	}
	out.PhysicalID = tid
	for _, idx := range d.tbl.Indices {
		if idx.ID == iid {
			out.Index = idx
		}
	}
	if out.Index == nil {
		return out, fmt.Errorf("kv: unknown index id %d", iid)
	}
	n := len(out.Index.Columns)
	out.Values = make([]tidbtypes.Datum, n)
	out.Restored = make([]bool, n)
	for i, ic := range out.Index.Columns {
		var k tidbtypes.Datum
		rest, k, err = decodeKeyDatum(rest)
		if err != nil {
			return out, fmt.Errorf("kv: index %s column %s: %w", out.Index.Name, ic.Name, err)
		}
		out.Values[i] = d.fromKeyDatum(k, &d.tbl.Columns[ic.Offset].Type)
	}
	intHandle := !d.tbl.IsCommonHandle
	switch {
	case len(rest) == 0:
		out.Distinct = true
	case intHandle:
		if rest[0] != codec.IntFlag || len(rest) != 9 {
			return out, fmt.Errorf("kv: index %s: bad handle suffix %x", out.Index.Name, rest)
		}
		_, h, _ := codec.DecodeInt(rest[1:])
		out.Handle = Handle{IsInt: true, Int: h}
	default:
		out.Handle = Handle{Common: append([]byte(nil), rest...)}
	}
	// Value.
	if len(value) <= 9 {
		if out.Distinct {
			if len(value) != 8 || !intHandle {
				return out, fmt.Errorf("kv: index %s: bad unique value %x", out.Index.Name, value)
			}
			out.Handle = Handle{IsInt: true, Int: int64(binary.BigEndian.Uint64(value))}
		} else if !bytes.Equal(value, []byte{nonUniqueOldValue}) {
			return out, fmt.Errorf("kv: index %s: bad non-unique value %x", out.Index.Name, value)
		}
		return out, nil
	}
	tail := int(value[0])
	if tail >= len(value) {
		return out, fmt.Errorf("kv: index %s: bad tail length %d", out.Index.Name, tail)
	}
	body := value[1 : len(value)-tail]
	if intHandle && out.Distinct {
		if tail != 8 {
			return out, fmt.Errorf("kv: index %s: unique value without handle", out.Index.Name)
		}
		out.Handle = Handle{IsInt: true, Int: int64(binary.BigEndian.Uint64(value[len(value)-8:]))}
	}
	if len(body) >= 2 && body[0] == indexVersionFlag {
		body = body[2:]
	}
	for len(body) > 0 {
		switch body[0] {
		case commonHandleFlag:
			if len(body) < 3 {
				return out, codec.ErrShortInput
			}
			l := int(binary.BigEndian.Uint16(body[1:]))
			if len(body) < 3+l {
				return out, codec.ErrShortInput
			}
			out.Handle = Handle{Common: append([]byte(nil), body[3:3+l]...)}
			body = body[3+l:]
		case partitionIDFlag:
			var pid int64
			body, pid, err = codec.DecodeInt(body[1:])
			if err != nil {
				return out, err
			}
			out.PartitionID = pid
		case rowcodec.CodecVer:
			if err := d.applyRestored(&out, body); err != nil {
				return out, err
			}
			body = nil
		default:
			return out, fmt.Errorf("kv: index %s: unexpected byte %#x in value", out.Index.Name, body[0])
		}
	}
	return out, nil
}

// applyRestored replaces sort-key values by the originals stored in the
// restored-data row: full strings, or trailing-space counts for _bin
// collations whose key is the value minus trailing spaces.
func (d *Decoder) applyRestored(out *DecodedIndex, b []byte) error {
	row, err := rowcodec.Parse(b)
	if err != nil {
		return fmt.Errorf("kv: restored data: %w", err)
	}
	for i, ic := range out.Index.Columns {
		c := d.tbl.Columns[ic.Offset]
		v, found, isNull := row.Lookup(c.ID)
		if !found || isNull {
			continue
		}
		if !needRestoredData(&c.Type, d.newCollation) {
			// Version-0 values restore every index column; the key already
			// holds these exactly.
			continue
		}
		if d.tbl.IsCommonHandle && d.tbl.CommonHandleVersion == 1 && isBinCollation(c.Type.Collate) {
			// Version 1 stores only the trailing-space count: uint for
			// index columns, int for PK columns.
			var n int64
			if c.Type.Flag&tidbtypes.PriKeyFlag != 0 {
				n, err = rowcodec.DecodeInt(v)
			} else {
				var u uint64
				u, err = rowcodec.DecodeUint(v)
				n = int64(u)
			}
			if err != nil {
				return err
			}
			s := append(append([]byte(nil), out.Values[i].GetBytes()...), bytes.Repeat([]byte{' '}, int(n))...)
			out.Values[i].SetString(s, c.Type.Collate)
		} else {
			out.Values[i].SetString(append([]byte(nil), v...), c.Type.Collate)
		}
		out.Restored[i] = true
	}
	return nil
}

func isBinCollation(c string) bool { return needRestoredBinSet(c) }
