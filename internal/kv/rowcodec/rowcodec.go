// Package rowcodec implements TiDB's row format v2 ("rowcodec").
//
// Layout (all multi-byte integers little-endian):
//
//	byte 0     CodecVer 0x80
//	byte 1     flags: 0x01 large, 0x02 has checksum (never written here)
//	bytes 2-3  N = number of not-null columns
//	bytes 4-5  M = number of null columns
//	ids        N not-null column IDs ascending, then M null IDs ascending;
//	           1 byte each (small) or 4 bytes each (large)
//	offsets    N cumulative END offsets into the data area; 2 bytes each
//	           (small) or 4 bytes each (large)
//	data       the N values concatenated in ID order
//
// A row is large when any column ID exceeds 255 or the data area exceeds
// 65535 bytes. Values are encoded without flag bytes; integers use the
// shortest of 1/2/4/8 bytes that round-trips (see AppendInt / AppendUint).
//
// Writer accumulates one row at a time in reusable buffers and sorts the
// columns by ID at the end, so callers may add columns in table order (which
// after ALTER TABLE ... FIRST/AFTER is not ID order).
package rowcodec

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// CodecVer is the first byte of every row v2 value.
const CodecVer byte = 0x80

const (
	flagLarge    byte = 0x01
	flagChecksum byte = 0x02
)

// emptyRow is the encoding of a row without columns.
var emptyRow = [...]byte{CodecVer, 0, 0, 0, 0, 0}

// AppendEmpty appends the encoding of a row without columns.
func AppendEmpty(dst []byte) []byte { return append(dst, emptyRow[:]...) }

// AppendInt appends v in the shortest little-endian width (1, 2, 4 or 8
// bytes) that sign-extends back to v.
func AppendInt(dst []byte, v int64) []byte {
	switch {
	case v == int64(int8(v)):
		return append(dst, byte(v))
	case v == int64(int16(v)):
		return binary.LittleEndian.AppendUint16(dst, uint16(v))
	case v == int64(int32(v)):
		return binary.LittleEndian.AppendUint32(dst, uint32(v))
	}
	return binary.LittleEndian.AppendUint64(dst, uint64(v))
}

// AppendUint appends v in the shortest little-endian width (1, 2, 4 or 8).
func AppendUint(dst []byte, v uint64) []byte {
	switch {
	case v <= math.MaxUint8:
		return append(dst, byte(v))
	case v <= math.MaxUint16:
		return binary.LittleEndian.AppendUint16(dst, uint16(v))
	case v <= math.MaxUint32:
		return binary.LittleEndian.AppendUint32(dst, uint32(v))
	}
	return binary.LittleEndian.AppendUint64(dst, v)
}

// DecodeInt decodes a value written by AppendInt.
func DecodeInt(b []byte) (int64, error) {
	switch len(b) {
	case 1:
		return int64(int8(b[0])), nil
	case 2:
		return int64(int16(binary.LittleEndian.Uint16(b))), nil
	case 4:
		return int64(int32(binary.LittleEndian.Uint32(b))), nil
	case 8:
		return int64(binary.LittleEndian.Uint64(b)), nil
	}
	return 0, fmt.Errorf("rowcodec: invalid int width %d", len(b))
}

// DecodeUint decodes a value written by AppendUint.
func DecodeUint(b []byte) (uint64, error) {
	switch len(b) {
	case 1:
		return uint64(b[0]), nil
	case 2:
		return uint64(binary.LittleEndian.Uint16(b)), nil
	case 4:
		return uint64(binary.LittleEndian.Uint32(b)), nil
	case 8:
		return binary.LittleEndian.Uint64(b), nil
	}
	return 0, fmt.Errorf("rowcodec: invalid uint width %d", len(b))
}

// Writer builds one row v2 value. The zero value is ready to use; Reset
// starts a new row while keeping the buffers.
type Writer struct {
	ids    []int64  // not-null column IDs in insertion order
	starts []uint32 // start of each value in data
	nulls  []int64
	data   []byte
	order  []int32 // scratch permutation for sorting
}

// Reset discards the current row.
func (w *Writer) Reset() {
	w.ids = w.ids[:0]
	w.starts = w.starts[:0]
	w.nulls = w.nulls[:0]
	w.data = w.data[:0]
}

// Len is the number of columns (null or not) added so far.
func (w *Writer) Len() int { return len(w.ids) + len(w.nulls) }

// AddNull records column id as NULL.
func (w *Writer) AddNull(id int64) { w.nulls = append(w.nulls, id) }

// Begin starts the value of column id and returns the data buffer to append
// the value bytes to; the caller must pass the extended buffer to End.
func (w *Writer) Begin(id int64) []byte {
	w.ids = append(w.ids, id)
	w.starts = append(w.starts, uint32(len(w.data)))
	return w.data
}

// End finishes the value started by Begin.
func (w *Writer) End(data []byte) { w.data = data }

// AddInt adds a signed integer value.
func (w *Writer) AddInt(id int64, v int64) { w.End(AppendInt(w.Begin(id), v)) }

// AddUint adds an unsigned integer value.
func (w *Writer) AddUint(id int64, v uint64) { w.End(AppendUint(w.Begin(id), v)) }

// AddBytes adds a string/bytes value (stored raw).
func (w *Writer) AddBytes(id int64, v []byte) { w.End(append(w.Begin(id), v...)) }

// ErrColumnID is returned for column IDs outside 1..2^32-1.
var ErrColumnID = errors.New("rowcodec: column id out of range")

// AppendTo appends the encoded row to dst.
func (w *Writer) AppendTo(dst []byte) ([]byte, error) {
	n := len(w.ids)
	large := len(w.data) > math.MaxUint16
	for _, id := range w.ids {
		if id <= 0 || id > math.MaxUint32 {
			return dst, ErrColumnID
		}
		if id > math.MaxUint8 {
			large = true
		}
	}
	for _, id := range w.nulls {
		if id <= 0 || id > math.MaxUint32 {
			return dst, ErrColumnID
		}
		if id > math.MaxUint8 {
			large = true
		}
	}
	if n > math.MaxUint16 || len(w.nulls) > math.MaxUint16 {
		return dst, errors.New("rowcodec: too many columns")
	}
	sortInt64(w.nulls)
	// Permutation of the not-null columns in ID order; insertion sort
	// because rows are small and usually already sorted.
	order := w.order[:0]
	for i := 0; i < n; i++ {
		order = append(order, int32(i))
	}
	for i := 1; i < n; i++ {
		for j := i; j > 0 && w.ids[order[j-1]] > w.ids[order[j]]; j-- {
			order[j-1], order[j] = order[j], order[j-1]
		}
	}
	w.order = order
	for i := 1; i < n; i++ {
		if w.ids[order[i-1]] == w.ids[order[i]] {
			return dst, fmt.Errorf("rowcodec: duplicate column id %d", w.ids[order[i]])
		}
	}

	flags := byte(0)
	if large {
		flags = flagLarge
	}
	dst = append(dst, CodecVer, flags)
	dst = binary.LittleEndian.AppendUint16(dst, uint16(n))
	dst = binary.LittleEndian.AppendUint16(dst, uint16(len(w.nulls)))
	appendID := func(dst []byte, id int64) []byte {
		if large {
			return binary.LittleEndian.AppendUint32(dst, uint32(id))
		}
		return append(dst, byte(id))
	}
	for _, i := range order {
		dst = appendID(dst, w.ids[i])
	}
	for _, id := range w.nulls {
		dst = appendID(dst, id)
	}
	end := uint32(0)
	for _, i := range order {
		end += w.valueLen(int(i))
		if large {
			dst = binary.LittleEndian.AppendUint32(dst, end)
		} else {
			dst = binary.LittleEndian.AppendUint16(dst, uint16(end))
		}
	}
	for _, i := range order {
		s := w.starts[i]
		dst = append(dst, w.data[s:s+w.valueLen(int(i))]...)
	}
	return dst, nil
}

func (w *Writer) valueLen(i int) uint32 {
	if i+1 < len(w.starts) {
		return w.starts[i+1] - w.starts[i]
	}
	return uint32(len(w.data)) - w.starts[i]
}

func sortInt64(a []int64) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j-1] > a[j]; j-- {
			a[j-1], a[j] = a[j], a[j-1]
		}
	}
}

// Row is a parsed row v2 value; it aliases the input bytes.
type Row struct {
	large      bool
	numNotNull int
	numNull    int
	ids        []byte // raw id section
	offsets    []byte // raw offsets section
	data       []byte
}

// Parse parses a row v2 value without copying.
func Parse(b []byte) (Row, error) {
	var r Row
	if len(b) < 6 || b[0] != CodecVer {
		return r, errors.New("rowcodec: not a row v2 value")
	}
	r.large = b[1]&flagLarge != 0
	r.numNotNull = int(binary.LittleEndian.Uint16(b[2:]))
	r.numNull = int(binary.LittleEndian.Uint16(b[4:]))
	idw, offw := 1, 2
	if r.large {
		idw, offw = 4, 4
	}
	p := 6
	idLen := (r.numNotNull + r.numNull) * idw
	offLen := r.numNotNull * offw
	if len(b) < p+idLen+offLen {
		return r, errors.New("rowcodec: truncated header")
	}
	r.ids = b[p : p+idLen]
	p += idLen
	r.offsets = b[p : p+offLen]
	p += offLen
	dataLen := 0
	if r.numNotNull > 0 {
		dataLen = int(r.end(r.numNotNull - 1))
	}
	if len(b) < p+dataLen {
		return r, errors.New("rowcodec: truncated data")
	}
	r.data = b[p : p+dataLen]
	rest := b[p+dataLen:]
	if b[1]&flagChecksum != 0 {
		// Header byte then one or two LE32 checksums; accepted, not verified.
		if len(rest) < 5 {
			return r, errors.New("rowcodec: truncated checksum")
		}
	} else if len(rest) != 0 {
		return r, fmt.Errorf("rowcodec: %d trailing bytes", len(rest))
	}
	prevEnd := uint32(0)
	for i := 0; i < r.numNotNull; i++ {
		e := r.end(i)
		if e < prevEnd {
			return r, errors.New("rowcodec: offsets not ascending")
		}
		prevEnd = e
	}
	return r, nil
}

func (r Row) id(i int) int64 {
	if r.large {
		return int64(binary.LittleEndian.Uint32(r.ids[i*4:]))
	}
	return int64(r.ids[i])
}

func (r Row) end(i int) uint32 {
	if r.large {
		return binary.LittleEndian.Uint32(r.offsets[i*4:])
	}
	return uint32(binary.LittleEndian.Uint16(r.offsets[i*2:]))
}

// Large reports whether the row uses 32-bit IDs and offsets.
func (r Row) Large() bool { return r.large }

// NumNotNull is the number of not-null columns.
func (r Row) NumNotNull() int { return r.numNotNull }

// NumNull is the number of columns stored as NULL.
func (r Row) NumNull() int { return r.numNull }

// NotNull returns the i-th not-null column (ID order) and its value bytes.
func (r Row) NotNull(i int) (id int64, value []byte) {
	start := uint32(0)
	if i > 0 {
		start = r.end(i - 1)
	}
	return r.id(i), r.data[start:r.end(i)]
}

// Null returns the ID of the i-th NULL column.
func (r Row) Null(i int) int64 { return r.id(r.numNotNull + i) }

// Lookup finds column id: found=false means the column is absent from the
// row (the reader must use its default), isNull means it is stored as NULL.
func (r Row) Lookup(id int64) (value []byte, found, isNull bool) {
	lo, hi := 0, r.numNotNull
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if r.id(m) < id {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < r.numNotNull && r.id(lo) == id {
		_, v := r.NotNull(lo)
		return v, true, false
	}
	lo, hi = 0, r.numNull
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if r.Null(m) < id {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < r.numNull && r.Null(lo) == id {
		return nil, true, true
	}
	return nil, false, false
}
