package parser

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// Parquet positions
//
// A Parquet file has no byte offsets a reader could resume at: values are
// stored column by column in compressed pages. Like Lightning, which also
// counts Parquet positions in rows, ParquetParser uses row indexes as
// offsets: the row with 0-based index i has Offset i and EndOffset i+1, so
// Pos() after reading it is (i+1, rowID) and SetPos(i+1, rowID) on a fresh
// parser continues with row i+1. Row groups before the target are skipped
// without being read; inside the target row group the library seeks with the
// column chunks' offset index when the file has one and otherwise decodes
// the pages of that row group up to the row.
//
// Value mapping
//
// Values become Fields the two consumers already understand: the logical
// backend sends them as SQL literals (the server casts) and
// tidbtypes.Convert casts KindNumber text with numeric rules and KindString
// with string rules:
//
//	NULL                                 KindNull
//	BOOLEAN                              KindNumber "1" / "0"
//	INT32/INT64 (INT(n, signed) or none) KindNumber, decimal text
//	INT(32|64, unsigned), UINT_*         KindNumber, unsigned decimal text
//	FLOAT/DOUBLE, FLOAT16                KindNumber, shortest round-trip text
//	                                     ("1e+21" style exponents, which MySQL
//	                                     parses); NaN and ±Inf are errors
//	DECIMAL(p,s) on INT32/INT64/         KindNumber, exact text with s
//	  BYTE_ARRAY/FIXED_LEN_BYTE_ARRAY      fraction digits ("-0.0500")
//	DATE                                 KindString "YYYY-MM-DD"
//	TIMESTAMP(MILLIS|MICROS|NANOS), INT96 KindString "YYYY-MM-DD HH:MM:SS[.f]"
//	TIME(MILLIS|MICROS|NANOS)            KindString "HH:MM:SS[.f]"
//	STRING/UTF8, ENUM, JSON byte arrays  KindString
//	other BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY KindString, Charset "binary"
//	  (UUID, BSON, INTERVAL, no annotation)
//
// Fractions are printed with up to the unit's digits (3, 6 or 9) and trailing
// zeros dropped; the server rounds to the column's precision.
//
// Time zones: a TIMESTAMP that is adjusted to UTC (isAdjustedToUTC = true,
// the legacy TIMESTAMP_MILLIS/MICROS converted types, and INT96, which Spark
// and Impala write as UTC instants) is an instant; it is printed as wall
// clock time in ParquetOptions.Location, UTC when nil, as Lightning formats
// these instants in UTC. A caller that wants the instant as the target
// session sees it passes the session's time zone. A TIMESTAMP with
// isAdjustedToUTC = false is a wall clock reading and is printed as stored,
// whatever the Location. TIME values are printed as stored.
//
// Nested schemas (groups, LIST, MAP) and repeated columns are rejected when
// the parser is created, with an error naming the column. Errors name the
// file and the 0-based row index (the row's Offset).
//
// Corrupt files: the library trusts sizes written in the file, so the footer
// length and, before a row group is first read, every page header of its
// column chunks are checked against the file and chunk sizes (one small read
// per page); library panics are recovered and returned as errors naming the
// file.

// ParquetOptions configure NewParquetParser.
type ParquetOptions struct {
	// Location is the zone UTC-adjusted timestamps are printed in; nil
	// means UTC.
	Location *time.Location
	// BatchSize is the number of rows decoded per library call; 0 means
	// 128. Larger batches amortise the per-call column bookkeeping.
	BatchSize int
	// End > 0 makes the parser stop before row index End (see SetEnd).
	End int64
}

const defaultParquetBatch = 128

// maxParquetScale bounds DECIMAL scales: far above MySQL's 30, and it keeps
// a corrupt scale from padding every value with millions of zeros.
const maxParquetScale = 100

// maxParquetPageFloor: a page may always claim this many uncompressed bytes,
// whatever its column chunk's recorded total.
const maxParquetPageFloor = 256 << 20

// pqKind is how one leaf column's values are turned into Fields.
type pqKind uint8

const (
	pqBool pqKind = iota
	pqInt32
	pqUint32
	pqInt64
	pqUint64
	pqFloat
	pqDouble
	pqFloat16
	pqDecimal
	pqDate
	pqTimestamp
	pqInt96Timestamp
	pqTime
	pqString
	pqBinary
	pqNullType
)

// pqColumn is the resolved conversion of one leaf column.
type pqColumn struct {
	phys  parquet.Kind
	kind  pqKind
	scale int
	// unit is the length of one stored step in nanoseconds (TIME and
	// TIMESTAMP); digits is the fraction digits that unit has.
	unit   int64
	digits int
	// utc: the timestamp is an instant, printed in the parser's Location.
	utc bool
}

// ParquetParser reads the rows of one Parquet file. It implements Parser and
// Positioner; offsets are row indexes (see the package notes above).
// Field.Bytes alias the parser's buffers and the library's page buffers and
// are valid until the next ReadRow.
type ParquetParser struct {
	path   string
	r      io.ReaderAt
	file   *parquet.File
	loc    *time.Location
	cols   []string
	conv   []pqColumn
	groups []parquet.RowGroup
	// starts[g] is the index of the first row of group g; starts[len(groups)]
	// is the number of rows in the file.
	starts []int64
	end    int64

	// rows reads group g; rowsNext is the file row index it returns next.
	g        int
	rows     parquet.Rows
	rowsNext int64

	batch  []parquet.Row
	bi, bn int
	next   int64 // index of the row ReadRow returns next

	buf   []byte
	spans []pqSpan
	big   big.Int
	// checked[g]: group g's page headers were validated (checkPages).
	checked []bool
	hdrBuf  []byte
	fields  []Field
	row     Row
	rowID   int64
	// lastEnd is Pos's offset: the row index just past the last row read
	// (or the position set).
	lastEnd int64
	err     error
}

// pqSpan records a field whose bytes are buf[start:end]; buf may move while
// one row is formatted, so those Bytes are set once the row is complete.
type pqSpan struct{ idx, start, end int }

// NewParquetParser opens the Parquet file r of the given size; path is used
// in errors. Only the footer is read here.
func NewParquetParser(r io.ReaderAt, size int64, path string, opts ParquetOptions) (p *ParquetParser, err error) {
	defer func() {
		if rec := recover(); rec != nil {
			p, err = nil, fmt.Errorf("parquet file %s: corrupt file (parquet library panic: %v)", path, rec)
		}
	}()
	if err := checkParquetFooter(r, size); err != nil {
		return nil, fmt.Errorf("parquet file %s: %w", path, err)
	}
	// The page index is loaded lazily per column chunk by the seek code;
	// bloom filters are of no use to a full scan.
	f, err := parquet.OpenFile(r, size, parquet.SkipBloomFilters(true), parquet.SkipPageIndex(true))
	if err != nil {
		return nil, fmt.Errorf("parquet file %s: %w", path, err)
	}
	p = &ParquetParser{path: path, r: r, file: f, loc: opts.Location, end: -1, g: -1}
	if p.loc == nil {
		p.loc = time.UTC
	}
	if opts.End > 0 {
		p.end = opts.End
	}
	if err := p.resolveSchema(); err != nil {
		return nil, err
	}
	p.groups = f.RowGroups()
	p.starts = make([]int64, len(p.groups)+1)
	for i, g := range p.groups {
		n := g.NumRows()
		if n < 0 || p.starts[i] > math.MaxInt64-n {
			return nil, fmt.Errorf("parquet file %s: row group %d has an invalid row count %d", path, i, n)
		}
		if cc := len(g.ColumnChunks()); cc != len(p.conv) {
			return nil, fmt.Errorf("parquet file %s: row group %d has %d column chunks, the schema %d columns", path, i, cc, len(p.conv))
		}
		p.starts[i+1] = p.starts[i] + n
	}
	bs := opts.BatchSize
	if bs <= 0 {
		bs = defaultParquetBatch
	}
	p.batch = make([]parquet.Row, bs)
	p.checked = make([]bool, len(p.groups))
	p.fields = make([]Field, len(p.conv))
	return p, nil
}

// checkParquetFooter rejects a file whose footer length cannot be right
// before the library allocates a buffer of that length.
func checkParquetFooter(r io.ReaderAt, size int64) error {
	if size < 12 {
		return fmt.Errorf("not a parquet file: %d bytes is too short", size)
	}
	var tail [8]byte
	if _, err := r.ReadAt(tail[:], size-8); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("reading footer: %w", err)
	}
	if string(tail[4:]) != "PAR1" {
		return fmt.Errorf("not a parquet file: no PAR1 magic at the end (an encrypted or whole-file compressed file?)")
	}
	if n := int64(binary.LittleEndian.Uint32(tail[:4])); n > size-12 {
		return fmt.Errorf("corrupt footer: length %d exceeds the file size %d", n, size)
	}
	return nil
}

// resolveSchema maps each top-level column to its conversion and rejects
// nested and repeated columns.
func (p *ParquetParser) resolveSchema() error {
	elems := p.file.Metadata().Schema
	if len(elems) == 0 {
		return fmt.Errorf("parquet file %s: empty schema", p.path)
	}
	for i := 1; i < len(elems); i++ {
		e := &elems[i]
		if e.NumChildren.Valid && e.NumChildren.V > 0 || !e.Type.Valid {
			return fmt.Errorf("parquet file %s: column %q is a nested group (struct, list or map), which cannot be imported", p.path, e.Name)
		}
		if e.RepetitionType.Valid && e.RepetitionType.V == format.Repeated {
			return fmt.Errorf("parquet file %s: column %q is repeated, which cannot be imported", p.path, e.Name)
		}
		c, err := resolveParquetColumn(e)
		if err != nil {
			return fmt.Errorf("parquet file %s: column %q: %w", p.path, e.Name, err)
		}
		p.conv = append(p.conv, c)
		p.cols = append(p.cols, e.Name)
	}
	if n := len(p.file.Schema().Columns()); n != len(p.conv) {
		return fmt.Errorf("parquet file %s: schema has %d leaf columns, expected %d", p.path, n, len(p.conv))
	}
	return nil
}

func timeUnit(u format.TimeUnit) (int64, int, error) {
	switch u.Value.(type) {
	case *format.MilliSeconds:
		return int64(time.Millisecond), 3, nil
	case *format.MicroSeconds:
		return int64(time.Microsecond), 6, nil
	case *format.NanoSeconds:
		return 1, 9, nil
	}
	return 0, 0, fmt.Errorf("unknown time unit %v", u.Value)
}

func resolveParquetColumn(e *format.SchemaElement) (pqColumn, error) {
	c := pqColumn{}
	phys := e.Type.V
	switch phys {
	case format.Boolean:
		c.phys, c.kind = parquet.Boolean, pqBool
	case format.Int32:
		c.phys, c.kind = parquet.Int32, pqInt32
	case format.Int64:
		c.phys, c.kind = parquet.Int64, pqInt64
	case format.Int96:
		// INT96 only ever holds Impala/Spark timestamps.
		c.phys, c.kind, c.unit, c.digits, c.utc = parquet.Int96, pqInt96Timestamp, 1, 9, true
		return c, nil
	case format.Float:
		c.phys, c.kind = parquet.Float, pqFloat
	case format.Double:
		c.phys, c.kind = parquet.Double, pqDouble
	case format.ByteArray:
		c.phys, c.kind = parquet.ByteArray, pqBinary
	case format.FixedLenByteArray:
		c.phys, c.kind = parquet.FixedLenByteArray, pqBinary
	default:
		return c, fmt.Errorf("unknown physical type %d", phys)
	}
	isInt := phys == format.Int32 || phys == format.Int64
	isBytes := phys == format.ByteArray || phys == format.FixedLenByteArray
	bad := func(what string) (pqColumn, error) {
		return c, fmt.Errorf("%s annotation on physical type %s", what, phys)
	}
	// The logical type wins; writers that predate it only set the converted
	// type.
	switch lt := e.LogicalType.Value.(type) {
	case nil:
	case *format.StringType, *format.EnumType, *format.JsonType:
		if !isBytes {
			return bad("string")
		}
		c.kind = pqString
		return c, nil
	case *format.DecimalType:
		if !isInt && !isBytes {
			return bad("DECIMAL")
		}
		c.kind, c.scale = pqDecimal, int(lt.Scale)
		if c.scale < 0 || c.scale > maxParquetScale {
			return c, fmt.Errorf("unsupported decimal scale %d", lt.Scale)
		}
		return c, nil
	case *format.DateType:
		if phys != format.Int32 {
			return bad("DATE")
		}
		c.kind = pqDate
		return c, nil
	case *format.TimeType:
		if !isInt {
			return bad("TIME")
		}
		u, d, err := timeUnit(lt.Unit)
		if err != nil {
			return c, err
		}
		c.kind, c.unit, c.digits = pqTime, u, d
		return c, nil
	case *format.TimestampType:
		if phys != format.Int64 {
			return bad("TIMESTAMP")
		}
		u, d, err := timeUnit(lt.Unit)
		if err != nil {
			return c, err
		}
		c.kind, c.unit, c.digits, c.utc = pqTimestamp, u, d, lt.IsAdjustedToUTC
		return c, nil
	case *format.IntType:
		if !isInt {
			return bad("INT")
		}
		if !lt.IsSigned {
			if phys == format.Int32 {
				c.kind = pqUint32
			} else {
				c.kind = pqUint64
			}
		}
		return c, nil
	case *format.NullType:
		c.kind = pqNullType
		return c, nil
	case *format.Float16Type:
		if phys != format.FixedLenByteArray || !e.TypeLength.Valid || e.TypeLength.V != 2 {
			return bad("FLOAT16")
		}
		c.kind = pqFloat16
		return c, nil
	case *format.ListType, *format.MapType, *format.VariantType:
		return c, fmt.Errorf("nested type %s cannot be imported", lt)
	default:
		// UUID, BSON, geometry ...: raw bytes.
		return c, nil
	}
	if !e.ConvertedType.Valid {
		return c, nil
	}
	switch ct := e.ConvertedType.V; ct {
	case deprecated.UTF8, deprecated.Enum, deprecated.Json:
		if isBytes {
			c.kind = pqString
		}
	case deprecated.Decimal:
		if !isInt && !isBytes {
			return bad("DECIMAL")
		}
		c.kind, c.scale = pqDecimal, int(e.Scale.V)
		if c.scale < 0 || c.scale > maxParquetScale {
			return c, fmt.Errorf("unsupported decimal scale %d", e.Scale.V)
		}
	case deprecated.Date:
		if phys == format.Int32 {
			c.kind = pqDate
		}
	case deprecated.TimeMillis:
		if phys == format.Int32 {
			c.kind, c.unit, c.digits = pqTime, int64(time.Millisecond), 3
		}
	case deprecated.TimeMicros:
		if phys == format.Int64 {
			c.kind, c.unit, c.digits = pqTime, int64(time.Microsecond), 6
		}
	case deprecated.TimestampMillis, deprecated.TimestampMicros:
		// The legacy converted types are UTC instants (isAdjustedToUTC).
		if phys == format.Int64 {
			c.kind, c.utc = pqTimestamp, true
			c.unit, c.digits = int64(time.Microsecond), 6
			if ct == deprecated.TimestampMillis {
				c.unit, c.digits = int64(time.Millisecond), 3
			}
		}
	case deprecated.Uint8, deprecated.Uint16, deprecated.Uint32:
		if phys == format.Int32 {
			c.kind = pqUint32
		}
	case deprecated.Uint64:
		if phys == format.Int64 {
			c.kind = pqUint64
		}
	case deprecated.Map, deprecated.MapKeyValue, deprecated.List:
		return c, fmt.Errorf("nested converted type %d (LIST/MAP) cannot be imported", ct)
	}
	return c, nil
}

// Columns are the file's top-level column names as written.
func (p *ParquetParser) Columns() []string { return p.cols }

// NumRows is the number of rows in the file.
func (p *ParquetParser) NumRows() int64 { return p.starts[len(p.groups)] }

// LastRow is the row read by the last successful ReadRow.
func (p *ParquetParser) LastRow() Row { return p.row }

// Pos is the row index just past the last row read, and its row ID.
func (p *ParquetParser) Pos() (int64, int64) { return p.lastEnd, p.rowID }

// Position is Pos as a Position (StmtStart = Offset).
func (p *ParquetParser) Position() Position {
	return Position{StmtStart: p.lastEnd, Offset: p.lastEnd, RowID: p.rowID}
}

// SetPosition is SetPos(pos.Offset, pos.RowID).
func (p *ParquetParser) SetPosition(pos Position) error { return p.SetPos(pos.Offset, pos.RowID) }

// SetEnd makes ReadRow return io.EOF before row index end; end < 0: no limit.
func (p *ParquetParser) SetEnd(end int64) {
	if end < 0 {
		end = -1
	}
	p.end = end
}

// SetPos continues at row index offset (0 ≤ offset ≤ NumRows); the next row
// read gets row ID rowID+1. Nothing is read until the next ReadRow.
func (p *ParquetParser) SetPos(offset, rowID int64) error {
	if offset < 0 || offset > p.NumRows() {
		return fmt.Errorf("parquet file %s: position %d is outside the file's %d rows", p.path, offset, p.NumRows())
	}
	p.err = nil
	p.next = offset
	p.bi, p.bn = 0, 0
	p.lastEnd = offset
	p.rowID = rowID
	p.row = Row{}
	return nil
}

// Close releases the row reader and closes r when it is an io.Closer.
func (p *ParquetParser) Close() (err error) {
	defer func() {
		if rec := recover(); rec != nil {
			err = fmt.Errorf("parquet file %s: closing: parquet library panic: %v", p.path, rec)
		}
	}()
	p.closeRows()
	if c, ok := p.r.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

func (p *ParquetParser) closeRows() {
	if p.rows != nil {
		rows := p.rows
		p.rows, p.g = nil, -1
		_ = rows.Close() // read-only: nothing to flush, and the next open starts afresh
	}
}

// ReadRow decodes the next row.
func (p *ParquetParser) ReadRow(ctx context.Context) (err error) {
	if p.err != nil {
		return p.err
	}
	defer func() {
		if rec := recover(); rec != nil {
			// The library trusts some lengths and indexes in the file; a
			// corrupt file must not take the importer down.
			p.closeRows()
			p.err = fmt.Errorf("parquet file %s: row %d: corrupt file (parquet library panic: %v)", p.path, p.next, rec)
			err = p.err
		}
	}()
	if p.end >= 0 && p.next >= p.end || p.next >= p.NumRows() {
		return io.EOF
	}
	if p.bi == p.bn {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := p.fill(); err != nil {
			p.closeRows()
			p.err = err
			return err
		}
	}
	values := p.batch[p.bi]
	if err := p.convertRow(values); err != nil {
		p.err = err
		return err
	}
	p.bi++
	idx := p.next
	p.next++
	p.rowID++
	p.lastEnd = p.next
	p.row = Row{Fields: p.fields, Offset: idx, EndOffset: idx + 1, RowID: p.rowID}
	return nil
}

// fill decodes the next batch of rows starting at p.next, all from one row
// group.
func (p *ParquetParser) fill() error {
	g := p.groupOf(p.next)
	within := p.next - p.starts[g]
	if p.rows == nil || p.g != g {
		p.closeRows()
		if !p.checked[g] {
			if err := p.checkPages(g); err != nil {
				return err
			}
			p.checked[g] = true
		}
		p.rows, p.g = p.groups[g].Rows(), g
		p.rowsNext = p.starts[g]
	}
	if p.rowsNext != p.next {
		p.loadOffsetIndexes(g)
		if err := p.rows.SeekToRow(within); err != nil {
			return fmt.Errorf("parquet file %s: seeking to row %d: %w", p.path, p.next, err)
		}
		p.rowsNext = p.next
	}
	want := int64(len(p.batch))
	if left := p.starts[g+1] - p.next; left < want {
		want = left
	}
	n, err := p.rows.ReadRows(p.batch[:want])
	if n <= 0 {
		if err == nil || errors.Is(err, io.EOF) {
			return fmt.Errorf("parquet file %s: row %d: row group %d ends after %d of its %d rows", p.path, p.next, g, within, p.groups[g].NumRows())
		}
		return fmt.Errorf("parquet file %s: row %d: %w", p.path, p.next, err)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		// Rows before the error are fine; the error shows up again on the
		// next read at the failing row.
		p.closeRows()
	}
	p.rowsNext += int64(n)
	p.bi, p.bn = 0, n
	return nil
}

// checkPages walks the page headers of every column chunk of group g and
// rejects sizes that cannot be right. The library allocates a page's
// compressed and uncompressed sizes as they are written in its header before
// reading it, so one garbled header could make it allocate gigabytes; the
// walk costs one small read per page.
func (p *ParquetParser) checkPages(g int) error {
	md := p.file.Metadata()
	if g >= len(md.RowGroups) {
		return fmt.Errorf("parquet file %s: row group %d is missing from the footer", p.path, g)
	}
	rg := &md.RowGroups[g]
	size := p.file.Size()
	for j := range rg.Columns {
		cm := &rg.Columns[j].MetaData
		bad := func(format string, args ...any) error {
			return fmt.Errorf("parquet file %s: row group %d, column %q: corrupt file: %s", p.path, g, p.colName(j), fmt.Sprintf(format, args...))
		}
		// The same start the library reads the chunk from.
		start := cm.DataPageOffset
		if cm.DictionaryPageOffset != 0 {
			start = cm.DictionaryPageOffset
		}
		if start < 4 || cm.TotalCompressedSize < 0 || start > size || cm.TotalCompressedSize > size-start {
			return bad("column chunk [%d, +%d) lies outside the file (%d bytes)", start, cm.TotalCompressedSize, size)
		}
		if cm.TotalUncompressedSize < 0 {
			return bad("negative uncompressed size %d", cm.TotalUncompressedSize)
		}
		end := start + cm.TotalCompressedSize
		var values int64
		for pos := start; pos < end; {
			h, n, err := p.readPageHeader(pos, end)
			if err != nil {
				return bad("page header at offset %d: %v", pos, err)
			}
			if h.CompressedPageSize < 0 || int64(h.CompressedPageSize) > end-pos-n {
				return bad("page at offset %d claims %d bytes, the column chunk has %d left", pos, h.CompressedPageSize, end-pos-n)
			}
			// The chunk total should bound every page; the floor keeps a
			// writer that records a wrong total readable.
			if h.UncompressedPageSize < 0 || int64(h.UncompressedPageSize) > max(cm.TotalUncompressedSize, maxParquetPageFloor) {
				return bad("page at offset %d claims %d uncompressed bytes, the column chunk %d", pos, h.UncompressedPageSize, cm.TotalUncompressedSize)
			}
			var nv int64
			switch {
			case h.DataPageHeader.Valid:
				nv = int64(h.DataPageHeader.V.NumValues)
			case h.DataPageHeaderV2.Valid:
				nv = int64(h.DataPageHeaderV2.V.NumValues)
			case h.DictionaryPageHeader.Valid:
				// Every dictionary entry takes at least a byte.
				if d := int64(h.DictionaryPageHeader.V.NumValues); d < 0 || d > int64(h.UncompressedPageSize) {
					return bad("dictionary page at offset %d claims %d values in %d bytes", pos, d, h.UncompressedPageSize)
				}
			}
			values += nv
			// A flat column has one value per row.
			if nv < 0 || values > rg.NumRows {
				return bad("pages hold more values than the row group's %d rows", rg.NumRows)
			}
			pos += n + int64(h.CompressedPageSize)
		}
	}
	return nil
}

// readPageHeader decodes the page header at pos (< end), reading more of the
// file when the header is longer than the first read.
func (p *ParquetParser) readPageHeader(pos, end int64) (*format.PageHeader, int64, error) {
	want := int64(1024)
	for {
		want = min(want, end-pos)
		if int64(cap(p.hdrBuf)) < want {
			p.hdrBuf = make([]byte, want)
		}
		buf := p.hdrBuf[:want]
		n, err := p.r.ReadAt(buf, pos)
		if n < len(buf) {
			if err == nil || errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, 0, err
		}
		var proto thrift.CompactProtocol
		pr := proto.NewReaderFromBytes(buf)
		h := new(format.PageHeader)
		err = thrift.NewDecoder(pr).Decode(h)
		if err == nil {
			return h, int64(pr.BytesRead()), nil
		}
		// Statistics can make headers long; give up at 1 MiB.
		if want == end-pos || want >= 1<<20 {
			return nil, 0, err
		}
		want *= 8
	}
}

func (p *ParquetParser) colName(j int) string {
	if j < len(p.cols) {
		return p.cols[j]
	}
	return strconv.Itoa(j)
}

// loadOffsetIndexes loads the offset indexes of group g's column chunks, so
// that seeking inside the group jumps to the right page instead of decoding
// the pages before it. The file is opened without its page index because a
// full scan never needs it; resuming is rare, so it is loaded per group when
// a seek happens. A missing or unusable index only makes the seek slower.
func (p *ParquetParser) loadOffsetIndexes(g int) {
	md := p.file.Metadata()
	if g >= len(md.RowGroups) {
		return
	}
	size := p.file.Size()
	for j, cc := range p.groups[g].ColumnChunks() {
		fc, ok := cc.(*parquet.FileColumnChunk)
		if !ok || j >= len(md.RowGroups[g].Columns) {
			continue
		}
		meta := &md.RowGroups[g].Columns[j]
		off, n := meta.OffsetIndexOffset, int64(meta.OffsetIndexLength)
		// A corrupt footer could otherwise make the library allocate
		// whatever length it claims.
		if off <= 0 || n <= 0 || off > size || n > size-off {
			continue
		}
		_, _ = fc.OffsetIndex()
	}
}

// groupOf returns the row group holding row index i (< NumRows).
func (p *ParquetParser) groupOf(i int64) int {
	if p.g >= 0 && p.starts[p.g] <= i && i < p.starts[p.g+1] {
		return p.g
	}
	lo, hi := 0, len(p.groups)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if p.starts[mid] <= i {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

func (p *ParquetParser) rowErr(col int, format string, args ...any) error {
	return fmt.Errorf("parquet file %s: row %d: column %q: %s", p.path, p.next, p.cols[col], fmt.Sprintf(format, args...))
}

// convertRow turns one decoded row into p.fields.
func (p *ParquetParser) convertRow(values parquet.Row) error {
	if len(values) != len(p.conv) {
		return fmt.Errorf("parquet file %s: row %d: decoded %d values for %d columns (corrupt file?)", p.path, p.next, len(values), len(p.conv))
	}
	p.buf = p.buf[:0]
	p.spans = p.spans[:0]
	for i := range values {
		v := &values[i]
		c := &p.conv[i]
		if v.Column() != i {
			return fmt.Errorf("parquet file %s: row %d: value %d belongs to column %d (corrupt file?)", p.path, p.next, i, v.Column())
		}
		f := &p.fields[i]
		f.Charset = ""
		f.Bytes = nil
		if v.IsNull() || c.kind == pqNullType {
			f.Kind = KindNull
			continue
		}
		if v.Kind() != c.phys {
			return p.rowErr(i, "decoded a %s value for a %s column (corrupt file?)", v.Kind(), c.phys)
		}
		start := len(p.buf)
		f.Kind = KindNumber
		switch c.kind {
		case pqString:
			f.Kind, f.Bytes = KindString, v.ByteArray()
			continue
		case pqBinary:
			f.Kind, f.Bytes, f.Charset = KindString, v.ByteArray(), "binary"
			continue
		case pqBool:
			if v.Boolean() {
				p.buf = append(p.buf, '1')
			} else {
				p.buf = append(p.buf, '0')
			}
		case pqInt32:
			p.buf = strconv.AppendInt(p.buf, int64(v.Int32()), 10)
		case pqUint32:
			p.buf = strconv.AppendUint(p.buf, uint64(uint32(v.Int32())), 10)
		case pqInt64:
			p.buf = strconv.AppendInt(p.buf, v.Int64(), 10)
		case pqUint64:
			p.buf = strconv.AppendUint(p.buf, uint64(v.Int64()), 10)
		case pqFloat, pqDouble, pqFloat16:
			var x float64
			bits := 64
			switch c.kind {
			case pqFloat:
				x, bits = float64(v.Float()), 32
			case pqDouble:
				x = v.Double()
			default:
				b := v.ByteArray()
				if len(b) != 2 {
					return p.rowErr(i, "FLOAT16 value has %d bytes", len(b))
				}
				x, bits = float16ToFloat64(binary.LittleEndian.Uint16(b)), 32
			}
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return p.rowErr(i, "%v cannot be imported into SQL", x)
			}
			p.buf = strconv.AppendFloat(p.buf, x, 'g', -1, bits)
		case pqDecimal:
			var err error
			if p.buf, err = p.appendDecimal(p.buf, v, c); err != nil {
				return p.rowErr(i, "%v", err)
			}
		case pqDate:
			f.Kind = KindString
			p.buf = time.Unix(int64(v.Int32())*86400, 0).UTC().AppendFormat(p.buf, "2006-01-02")
		case pqTimestamp:
			f.Kind = KindString
			p.buf = p.appendTimestamp(p.buf, v.Int64(), c)
		case pqInt96Timestamp:
			f.Kind = KindString
			p.buf = p.appendInt96(p.buf, v.Int96())
		case pqTime:
			f.Kind = KindString
			n := int64(v.Int32())
			if c.phys == parquet.Int64 {
				n = v.Int64()
			}
			p.buf = appendTimeOfDay(p.buf, n, c)
		}
		p.spans = append(p.spans, pqSpan{i, start, len(p.buf)})
	}
	for _, s := range p.spans {
		p.fields[s.idx].Bytes = p.buf[s.start:s.end:s.end]
	}
	return nil
}

// appendDecimal appends the unscaled value of v with c.scale fraction
// digits.
func (p *ParquetParser) appendDecimal(dst []byte, v *parquet.Value, c *pqColumn) ([]byte, error) {
	var u uint64
	neg := false
	switch c.phys {
	case parquet.Int32, parquet.Int64:
		n := int64(v.Int32())
		if c.phys == parquet.Int64 {
			n = v.Int64()
		}
		neg = n < 0
		u = uint64(n)
		if neg {
			u = -u
		}
	default:
		// Big-endian two's complement of any length; Spark writes up to
		// 16 bytes (precision 38), which 128-bit arithmetic covers without
		// allocating.
		b := v.ByteArray()
		if len(b) > 16 {
			return appendBigDecimal(dst, &p.big, b, c.scale), nil
		}
		var hi, lo uint64
		if len(b) > 0 && b[0]&0x80 != 0 {
			hi, lo = math.MaxUint64, math.MaxUint64
		}
		for _, x := range b {
			hi = hi<<8 | lo>>56
			lo = lo<<8 | uint64(x)
		}
		neg = int64(hi) < 0
		if neg {
			lo = ^lo + 1
			hi = ^hi
			if lo == 0 {
				hi++
			}
		}
		var digits [40]byte
		return appendScaled(dst, neg, appendUint128(digits[:0], hi, lo), c.scale), nil
	}
	var digits [20]byte
	d := strconv.AppendUint(digits[:0], u, 10)
	return appendScaled(dst, neg, d, c.scale), nil
}

// appendUint128 appends hi:lo in decimal, 19 digits at a time.
func appendUint128(dst []byte, hi, lo uint64) []byte {
	const e19 = 10_000_000_000_000_000_000
	var chunks [3]uint64 // 2^128 < 10^39
	n := 0
	for hi != 0 {
		var rem uint64
		qh := hi / e19
		lo, rem = bits.Div64(hi%e19, lo, e19)
		hi = qh
		chunks[n] = rem
		n++
	}
	dst = strconv.AppendUint(dst, lo, 10)
	for i := n - 1; i >= 0; i-- {
		var tmp [19]byte
		d := strconv.AppendUint(tmp[:0], chunks[i], 10)
		for k := len(d); k < 19; k++ {
			dst = append(dst, '0')
		}
		dst = append(dst, d...)
	}
	return dst
}

// appendBigDecimal handles unscaled values wider than 128 bits (beyond
// MySQL's 65 digits anyway), allocating.
func appendBigDecimal(dst []byte, z *big.Int, b []byte, scale int) []byte {
	z.SetBytes(b)
	neg := b[0]&0x80 != 0
	if neg {
		// two's complement: value = unsigned - 2^(8*len); |value| = 2^(8*len) - unsigned
		var m big.Int
		m.Lsh(big.NewInt(1), uint(8*len(b)))
		z.Sub(&m, z)
	}
	start := len(dst)
	dst = z.Append(dst, 10)
	digits := append([]byte(nil), dst[start:]...)
	return appendScaled(dst[:start], neg, digits, scale)
}

// appendScaled writes digits (the magnitude, no sign) with a decimal point
// scale digits from the right.
func appendScaled(dst []byte, neg bool, digits []byte, scale int) []byte {
	if neg && !(len(digits) == 1 && digits[0] == '0') {
		dst = append(dst, '-')
	}
	if scale == 0 {
		return append(dst, digits...)
	}
	if len(digits) <= scale {
		dst = append(dst, '0', '.')
		for i := len(digits); i < scale; i++ {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	cut := len(digits) - scale
	dst = append(dst, digits[:cut]...)
	dst = append(dst, '.')
	return append(dst, digits[cut:]...)
}

// datetimeLayout prints up to digits fraction digits, trailing zeros
// dropped.
func datetimeLayout(digits int) string {
	switch digits {
	case 3:
		return "2006-01-02 15:04:05.999"
	case 6:
		return "2006-01-02 15:04:05.999999"
	}
	return "2006-01-02 15:04:05.999999999"
}

// appendTimestamp prints n steps of c.unit since the epoch.
func (p *ParquetParser) appendTimestamp(dst []byte, n int64, c *pqColumn) []byte {
	perSec := int64(time.Second) / c.unit
	sec, rem := n/perSec, n%perSec
	if rem < 0 {
		sec--
		rem += perSec
	}
	t := time.Unix(sec, rem*c.unit)
	if c.utc {
		t = t.In(p.loc)
	} else {
		t = t.UTC()
	}
	return t.AppendFormat(dst, datetimeLayout(c.digits))
}

// julianUnixEpoch is the Julian day number of 1970-01-01, the day count
// INT96 timestamps are based on.
const julianUnixEpoch = 2440588

// appendInt96 prints an INT96 timestamp: 8 bytes of nanoseconds within the
// day, then a 4-byte Julian day, all little-endian.
func (p *ParquetParser) appendInt96(dst []byte, v deprecated.Int96) []byte {
	nanos := int64(uint64(v[1])<<32 | uint64(v[0]))
	days := int64(v[2]) - julianUnixEpoch
	t := time.Unix(days*86400, 0).Add(time.Duration(nanos)).In(p.loc)
	return t.AppendFormat(dst, datetimeLayout(9))
}

// appendTimeOfDay prints "HH:MM:SS[.f]" for n steps of c.unit since
// midnight; out-of-range values are printed as they are (hours may exceed
// 23, a negative value gets a sign) and left to the server to judge.
func appendTimeOfDay(dst []byte, n int64, c *pqColumn) []byte {
	perSec := int64(time.Second) / c.unit
	u := uint64(n)
	if n < 0 {
		dst = append(dst, '-')
		u = -u
	}
	sec, frac := u/uint64(perSec), u%uint64(perSec)
	h, m, s := sec/3600, sec/60%60, sec%60
	if h < 10 {
		dst = append(dst, '0')
	}
	dst = strconv.AppendUint(dst, h, 10)
	dst = append(dst, ':', byte('0'+m/10), byte('0'+m%10), ':', byte('0'+s/10), byte('0'+s%10))
	if frac != 0 {
		var digits [9]byte
		for i := c.digits - 1; i >= 0; i-- {
			digits[i] = byte('0' + frac%10)
			frac /= 10
		}
		k := c.digits
		for k > 0 && digits[k-1] == '0' {
			k--
		}
		dst = append(dst, '.')
		dst = append(dst, digits[:k]...)
	}
	return dst
}

// float16ToFloat64 decodes an IEEE 754 half-precision value.
func float16ToFloat64(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp := int(h>>10) & 0x1f
	frac := float64(h & 0x3ff)
	switch exp {
	case 0:
		return sign * math.Ldexp(frac, -24)
	case 0x1f:
		if frac != 0 {
			return math.NaN()
		}
		return math.Inf(int(sign))
	}
	return sign * math.Ldexp(1024+frac, exp-25)
}
