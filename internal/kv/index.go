package kv

import (
	"encoding/binary"
	"fmt"
	"unicode/utf8"

	"github.com/tempestdb/tempest/internal/kv/codec"
	"github.com/tempestdb/tempest/internal/tidbtypes"
)

// Markers inside index values (§2.1, §4).
const (
	commonHandleFlag  byte = 0x7f
	partitionIDFlag   byte = 0x7e
	indexVersionFlag  byte = 0x7d
	nonUniqueOldValue byte = '0'
	// newIndexValueMinLen: new-format values are at least 10 bytes so that
	// decoders can tell them from old ones (≤ 9 bytes).
	newIndexValueMinLen = 10
)

// indexPlan is the per-index information precomputed by NewEncoder.
type indexPlan struct {
	info *IndexInfo
	// needRestored: some index column needs restored data (§2.6).
	needRestored bool
	// distinctCapable: UNIQUE, or a NONCLUSTERED PRIMARY KEY.
	unique bool
	// pkRestored: the PK columns needing restored data, with the prefix
	// length used for this index (common-handle version 1 only).
	pkRestored []IndexColumn
}

func (e *Encoder) prepareIndexes() error {
	newColl := !e.opts.LegacyCollation
	for _, idx := range e.tbl.Indices {
		if idx.NoKVs {
			continue
		}
		if idx.Primary && (e.tbl.IsCommonHandle || e.tbl.PKIsHandle) {
			// The clustered PK is the record key; it has no index KVs.
			continue
		}
		if idx.Unsupported != "" {
			return fmt.Errorf("kv: table %s index %s: %s is not supported by the physical import encoder", e.tbl.Name, idx.Name, idx.Unsupported)
		}
		if idx.Global {
			return fmt.Errorf("kv: table %s index %s: global indexes are not supported by the physical import encoder", e.tbl.Name, idx.Name)
		}
		ip := indexPlan{info: idx, unique: idx.Unique || idx.Primary}
		for _, ic := range idx.Columns {
			p := &e.cols[ic.Offset]
			if p.needRestored {
				ip.needRestored = true
			}
			if isStringLike(p.info.Type.Tp) && p.info.Type.Tp != tidbtypes.TypeEnum && p.info.Type.Tp != tidbtypes.TypeSet && p.coll == nil {
				return fmt.Errorf("kv: table %s index %s: collation %s of column %s has no exact key encoding", e.tbl.Name, idx.Name, p.info.Type.Collate, p.info.Name)
			}
		}
		if e.tbl.IsCommonHandle && e.tbl.CommonHandleVersion == 1 && newColl {
			for _, pkc := range e.pkCols {
				if !e.cols[pkc.Offset].needRestored {
					continue
				}
				target := pkc
				for _, ic := range idx.Columns {
					if ic.Offset == pkc.Offset {
						target = maxIndexLen(pkc, ic)
						break
					}
				}
				ip.pkRestored = append(ip.pkRestored, target)
			}
		}
		e.indexes = append(e.indexes, ip)
	}
	if e.tbl.IsCommonHandle {
		for _, pkc := range e.pkCols {
			p := &e.cols[pkc.Offset]
			if isStringLike(p.info.Type.Tp) && p.info.Type.Tp != tidbtypes.TypeEnum && p.info.Type.Tp != tidbtypes.TypeSet && p.coll == nil {
				return fmt.Errorf("kv: table %s: collation %s of primary key column %s has no exact key encoding", e.tbl.Name, p.info.Type.Collate, p.info.Name)
			}
		}
	}
	return nil
}

// maxIndexLen returns whichever index column keeps more of the value: an
// unspecified length (whole value) wins, else the longer prefix.
func maxIndexLen(a, b IndexColumn) IndexColumn {
	if a.Length == tidbtypes.UnspecifiedLength {
		return a
	}
	if b.Length == tidbtypes.UnspecifiedLength {
		return b
	}
	if a.Length >= b.Length {
		return a
	}
	return b
}

// truncateIndexValue applies an index prefix length (§1.3 step 2): bytes
// for binary/ascii charsets, characters otherwise; only string datums.
func truncateIndexValue(d *tidbtypes.Datum, length int, ft *tidbtypes.FieldType) {
	if length == tidbtypes.UnspecifiedLength || length < 0 {
		return
	}
	if d.Kind() != tidbtypes.KindString && d.Kind() != tidbtypes.KindBytes {
		return
	}
	b := d.GetBytes()
	if ft.Charset == tidbtypes.CharsetBin || ft.Charset == "ascii" {
		if len(b) > length {
			// TiDB switches the datum to plain bytes here.
			d.SetBytes(b[:length])
		}
		return
	}
	if utf8.RuneCount(b) <= length {
		return
	}
	n, i := 0, 0
	for i < len(b) && n < length {
		_, size := utf8.DecodeRune(b[i:])
		i += size
		n++
	}
	coll := d.Collation()
	d.SetString(b[:i], coll)
}

// appendIndex writes the KV of one index for the current row.
func (e *Encoder) appendIndex(ip *indexPlan, physID int64, out *Pairs) error {
	idx := ip.info
	vals := e.idxVals[:0]
	distinct := ip.unique
	for _, ic := range idx.Columns {
		d := e.row[ic.Offset]
		if d.IsNull() {
			distinct = false
		}
		truncateIndexValue(&d, ic.Length, &e.cols[ic.Offset].info.Type)
		vals = append(vals, d)
	}
	e.idxVals = vals

	buf, start := out.begin()
	buf = AppendIndexPrefix(buf, physID, idx.ID)
	var err error
	for i, ic := range idx.Columns {
		buf, err = appendKeyDatum(buf, &vals[i], e.cols[ic.Offset].coll, e.loc, &e.scratch)
		if err != nil {
			out.buf = buf[:start]
			return fmt.Errorf("kv: table %s index %s: %w", e.tbl.Name, idx.Name, err)
		}
	}
	if !distinct {
		if e.tbl.IsCommonHandle {
			buf = append(buf, e.common...)
		} else {
			buf = codec.EncodeInt(append(buf, codec.IntFlag), e.handle)
		}
	}
	keyEnd := len(buf)
	if e.tbl.IsCommonHandle && e.tbl.CommonHandleVersion == 1 {
		buf, err = e.appendIndexValueV1(buf, ip, vals, distinct)
	} else {
		buf, err = e.appendIndexValueV0(buf, ip, vals, distinct, physID)
	}
	if err != nil {
		out.buf = buf[:start]
		return fmt.Errorf("kv: table %s index %s: %w", e.tbl.Name, idx.Name, err)
	}
	out.commit(buf, start, keyEnd, KeyIndex)
	return nil
}

// appendIndexValueV1 is the clustered-table (CommonHandleVersion 1) layout
// (§4.1): 00 7D 01 [7F len16 H] [restored row].
func (e *Encoder) appendIndexValueV1(dst []byte, ip *indexPlan, vals []tidbtypes.Datum, distinct bool) ([]byte, error) {
	dst = append(dst, 0, indexVersionFlag, 1)
	if distinct {
		dst = append(dst, commonHandleFlag)
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(e.common)))
		dst = append(dst, e.common...)
	}
	if !ip.needRestored && len(ip.pkRestored) == 0 {
		return dst, nil
	}
	e.rw.Reset()
	for i, ic := range ip.info.Columns {
		p := &e.cols[ic.Offset]
		// PK columns are restored from the handle part below.
		if p.info.Type.Flag&tidbtypes.PriKeyFlag != 0 || !p.needRestored {
			continue
		}
		if p.isBinColl {
			e.rw.AddUint(p.info.ID, uint64(tailSpaceCount(vals[i].GetBytes())))
		} else if err := addRowValue(&e.rw, p.info.ID, &vals[i], e.loc); err != nil {
			return dst, err
		}
	}
	for _, pkc := range ip.pkRestored {
		p := &e.cols[pkc.Offset]
		d := e.row[pkc.Offset]
		truncateIndexValue(&d, pkc.Length, &p.info.Type)
		if p.isBinColl {
			// PK tail counts are int datums (index-column ones are uint).
			e.rw.AddInt(p.info.ID, int64(tailSpaceCount(d.GetBytes())))
		} else if err := addRowValue(&e.rw, p.info.ID, &d, e.loc); err != nil {
			return dst, err
		}
	}
	return e.rw.AppendTo(dst)
}

// appendIndexValueV0 is the layout of int-handle tables (§4.2).
//
// Global indexes (rejected by NewEncoder, kept for the layout tests) carry
// the partition ID physID after the 0x7E flag.
func (e *Encoder) appendIndexValueV0(dst []byte, ip *indexPlan, vals []tidbtypes.Datum, distinct bool, physID int64) ([]byte, error) {
	isInt := !e.tbl.IsCommonHandle
	newEncode := (!isInt && distinct) || ip.info.Global || ip.needRestored
	if !newEncode {
		if distinct {
			return be64(dst, uint64(e.handle)), nil
		}
		return append(dst, nonUniqueOldValue), nil
	}
	start := len(dst)
	dst = append(dst, 0) // TailLen placeholder
	if !isInt && distinct {
		dst = append(dst, commonHandleFlag)
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(e.common)))
		dst = append(dst, e.common...)
	}
	if ip.info.Global {
		dst = codec.EncodeInt(append(dst, partitionIDFlag), physID)
	}
	if ip.needRestored {
		e.rw.Reset()
		for i, ic := range ip.info.Columns {
			if err := addRowValue(&e.rw, e.cols[ic.Offset].info.ID, &vals[i], e.loc); err != nil {
				return dst, err
			}
		}
		var err error
		dst, err = e.rw.AppendTo(dst)
		if err != nil {
			return dst, err
		}
	}
	tail := 0
	if isInt && distinct {
		dst = be64(dst, uint64(e.handle))
		tail = 8
	} else if n := len(dst) - start; n < newIndexValueMinLen {
		pad := newIndexValueMinLen - n
		for range pad {
			dst = append(dst, 0)
		}
		tail = pad
	}
	dst[start] = byte(tail)
	return dst, nil
}
