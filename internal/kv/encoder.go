package kv

import (
	"errors"
	"fmt"
	"math/rand"
	"strconv"
	"time"

	"github.com/tempestdb/tempest/internal/collate"
	"github.com/tempestdb/tempest/internal/kv/codec"
	"github.com/tempestdb/tempest/internal/kv/rowcodec"
	"github.com/tempestdb/tempest/internal/parser"
	"github.com/tempestdb/tempest/internal/tidbtypes"
)

// EncoderOptions are the session settings that influence the bytes.
type EncoderOptions struct {
	// SQLMode is the target's sql_mode (strict mode turns bad values into
	// errors instead of warnings).
	SQLMode string
	// TimeZone is the session time_zone; TIMESTAMP values are interpreted in
	// it and stored as UTC. nil means UTC.
	TimeZone *time.Location
	// Timestamp is the import's fixed "now", used for CURRENT_TIMESTAMP
	// defaults so every row of the import gets the same value.
	Timestamp time.Time
	// LegacyCollation is true when the cluster's new_collation_enabled is
	// False: keys then use raw string bytes and no restored data is written.
	LegacyCollation bool
	// RowFormatVersion is tidb_row_format_version: 1 selects the old row
	// format, anything else row format v2.
	RowFormatVersion int
	// AutoRandomSeed seeds the AUTO_RANDOM shard; Lightning uses the chunk's
	// PrevRowIDMax.
	AutoRandomSeed int64
	// BlockEncryptionMode is the target's block_encryption_mode, used by
	// AES_ENCRYPT in generated columns; "" means TiDB's default aes-128-ecb.
	BlockEncryptionMode string
	// DivPrecisionIncrement is the target's div_precision_increment, the
	// extra scale of `/` on exact operands in generated columns; nil means
	// TiDB's default 4.
	DivPrecisionIncrement *int
}

// MaxIDs are the largest auto IDs an encoder saw or generated; the import
// rebases the table allocators past them.
type MaxIDs struct {
	RowID         int64
	AutoIncrement int64
	// AutoRandom is the largest incremental part (shard bits removed).
	AutoRandom int64
}

// columnPlan is the per-column information precomputed by NewEncoder.
type columnPlan struct {
	info         *ColumnInfo
	coll         collate.Collator // nil for non-string columns
	needRestored bool
	isBinColl    bool
	defaultDatum tidbtypes.Datum
	defaultErr   error // set when a missing value cannot be produced
	// nullDefault: the column default (and origin default) is NULL/absent,
	// so a NULL value is left out of the row entirely (§3.4 rule 3).
	nullDefault bool
	// inRow: the column is written to the record value at all.
	inRow      bool
	isAutoInc  bool
	isAutoRand bool
	gen        *compiledExpr
	compiling  bool // cycle guard while compiling gen
}

// Encoder turns rows of one table into KV pairs. It is not safe for
// concurrent use; create one per goroutine (NewEncoder is cheap compared
// to a chunk).
type Encoder struct {
	tbl  *TableInfo
	opts EncoderOptions
	sc   *tidbtypes.StmtContext
	loc  *time.Location

	cols         []columnPlan
	indexes      []indexPlan
	pkCols       []IndexColumn // PK index columns (common handle)
	pkOffset     int           // int handle column offset, -1 if none
	genOrder     []int         // generated column offsets in evaluation order
	part         *partitionPlan
	hasAutoRowID bool

	autoRandIncBits uint
	autoRandShard   int64
	shardRand       *rand.Rand

	// per-row state
	row      []tidbtypes.Datum
	present  []bool
	rowIDVal tidbtypes.Datum
	hasRowID bool
	handle   int64
	common   []byte // encoded common handle
	idxVals  []tidbtypes.Datum
	rw       rowcodec.Writer
	scratch  []byte
	numBuf   []byte
	max      MaxIDs
}

// NewEncoder prepares an encoder for tbl. Everything that can be rejected
// without data (unsupported collations, index kinds, generated column
// expressions, partitioning) is rejected here, naming the table.
func NewEncoder(tbl *TableInfo, opts EncoderOptions) (*Encoder, error) {
	if tbl == nil {
		return nil, errors.New("kv: nil table")
	}
	sc, err := tidbtypes.NewStmtContext(opts.SQLMode, opts.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("kv: table %s: sql_mode: %w", tbl.Name, err)
	}
	loc := opts.TimeZone
	if loc == nil {
		loc = time.UTC
	}
	e := &Encoder{tbl: tbl, opts: opts, sc: sc, loc: loc, pkOffset: -1}
	e.hasAutoRowID = tbl.HasImplicitRowID()
	newColl := !opts.LegacyCollation
	n := len(tbl.Columns)
	e.cols = make([]columnPlan, n)
	e.row = make([]tidbtypes.Datum, n)
	e.present = make([]bool, n)
	for i, c := range tbl.Columns {
		p := &e.cols[i]
		p.info = c
		p.isAutoInc = c.IsAutoIncrement()
		if isStringLike(c.Type.Tp) && c.Type.Tp != tidbtypes.TypeEnum && c.Type.Tp != tidbtypes.TypeSet {
			coll, err := collate.GetForCluster(c.Type.Collate, newColl)
			if err != nil && c.Type.Collate == "" {
				coll, err = collate.GetForCluster(tidbtypes.CollationBin, newColl)
			}
			if err != nil {
				// Only fatal when the column is part of a key; recorded and
				// checked while planning indexes and the common handle.
				p.coll = nil
				p.defaultErr = nil
				if isKeyColumn(tbl, i) {
					return nil, fmt.Errorf("kv: table %s column %s: %w", tbl.Name, c.Name, err)
				}
			} else {
				p.coll = coll
			}
			p.isBinColl = collate.IsBin(c.Type.Collate)
		}
		p.needRestored = needRestoredData(&c.Type, newColl)
		p.nullDefault = (c.Default.Kind == DefaultNone || c.Default.Kind == DefaultNull) &&
			(c.OriginDefault.Kind == DefaultNone || c.OriginDefault.Kind == DefaultNull)
		p.inRow = !(c.IsGenerated() && !c.GeneratedStored)
		if tbl.PKIsHandle && c.Type.Flag&tidbtypes.PriKeyFlag != 0 {
			e.pkOffset = i
			p.inRow = false
			if tbl.AutoRandomBits > 0 {
				p.isAutoRand = true
			}
		}
		if err := e.prepareDefault(p); err != nil {
			return nil, err
		}
	}
	if tbl.PKIsHandle && e.pkOffset < 0 {
		return nil, fmt.Errorf("kv: table %s: int handle column not found", tbl.Name)
	}
	if tbl.IsCommonHandle {
		pk := tbl.PrimaryIndex()
		e.pkCols = pk.Columns
		for _, ic := range pk.Columns {
			p := &e.cols[ic.Offset]
			// §3.4 rule 2: a clustered PK column is left out of the row iff
			// it is not prefix-indexed and its key is enough to restore it.
			if ic.Length == tidbtypes.UnspecifiedLength && !p.needRestored {
				p.inRow = false
			}
		}
	}
	if err := e.prepareIndexes(); err != nil {
		return nil, err
	}
	if err := e.prepareGenerated(); err != nil {
		return nil, err
	}
	if tbl.Partition != nil {
		pp, err := e.preparePartition()
		if err != nil {
			return nil, err
		}
		e.part = pp
	}
	if tbl.AutoRandomBits > 0 {
		col := tbl.Columns[e.pkOffset]
		rangeBits := tbl.AutoRandomRangeBits
		if rangeBits == 0 {
			rangeBits = 64
		}
		inc := int(rangeBits) - int(tbl.AutoRandomBits)
		if !col.Type.IsUnsigned() {
			inc--
		}
		if inc <= 0 {
			return nil, fmt.Errorf("kv: table %s: invalid AUTO_RANDOM bits", tbl.Name)
		}
		e.autoRandIncBits = uint(inc)
		// One shard per encoder, drawn from the legacy math/rand source
		// seeded with the chunk seed, exactly as Lightning does.
		e.autoRandShard = rand.New(rand.NewSource(opts.AutoRandomSeed)).Int63()
	} else if tbl.ShardRowIDBits > 0 && e.hasAutoRowID {
		e.shardRand = rand.New(rand.NewSource(opts.AutoRandomSeed))
	}
	return e, nil
}

func isKeyColumn(tbl *TableInfo, off int) bool {
	for _, idx := range tbl.Indices {
		for _, ic := range idx.Columns {
			if ic.Offset == off {
				return true
			}
		}
	}
	return false
}

// prepareDefault computes the datum a missing value of the column takes.
func (e *Encoder) prepareDefault(p *columnPlan) error {
	c := p.info
	switch c.Default.Kind {
	case DefaultLiteral:
		d, err := e.convertStrict(c.Default.Value, &c.Type)
		if err != nil {
			return fmt.Errorf("kv: table %s column %s: invalid default: %w", e.tbl.Name, c.Name, err)
		}
		if c.Default.UTC && d.Kind() == tidbtypes.KindTime {
			// Parsed as session time; the literal is UTC wall-clock time.
			// Re-read it as UTC and express it in the session zone, which
			// the row encoder converts back to the same UTC value.
			d.SetTime(d.GetTime().ConvertTimeZone(time.UTC, e.loc))
		}
		p.defaultDatum = d.Clone()
	case DefaultCurrentTimestamp:
		fsp := max(c.Type.Decimal, 0)
		ts := e.opts.Timestamp
		if ts.IsZero() {
			p.defaultErr = fmt.Errorf("kv: table %s column %s: CURRENT_TIMESTAMP default needs EncoderOptions.Timestamp", e.tbl.Name, c.Name)
			return nil
		}
		// TiDB truncates (not rounds) the statement time to the column fsp.
		g := ts.In(e.loc).Truncate(time.Duration(pow10(9 - fsp)))
		var t tidbtypes.Time
		if c.Type.Tp == tidbtypes.TypeDate {
			t = tidbtypes.NewTime(g.Year(), int(g.Month()), g.Day(), 0, 0, 0, 0, c.Type.Tp, 0)
		} else {
			t = tidbtypes.NewTime(g.Year(), int(g.Month()), g.Day(), g.Hour(), g.Minute(), g.Second(), g.Nanosecond()/1000, c.Type.Tp, fsp)
		}
		p.defaultDatum.SetTime(t)
	case DefaultExpr:
		p.defaultErr = fmt.Errorf("kv: table %s column %s: default expression %s cannot be evaluated during import; supply the column in the data", e.tbl.Name, c.Name, c.Default.Expr)
	default:
		if c.Type.Tp == tidbtypes.TypeEnum && c.Type.IsNotNull() && len(c.Type.Elems) > 0 {
			// TiDB: a NOT NULL ENUM without default takes its first member
			// in every sql_mode.
			p.defaultDatum.SetEnum(tidbtypes.Enum{Name: c.Type.Elems[0], Value: 1}, c.Type.Collate)
			return nil
		}
		if c.Type.IsNotNull() && !p.isAutoInc && !c.IsGenerated() && !(e.tbl.PKIsHandle && c.Type.Flag&tidbtypes.PriKeyFlag != 0 && e.tbl.AutoRandomBits > 0) {
			if e.sc.Strict() {
				p.defaultErr = fmt.Errorf("kv: table %s: field %s doesn't have a default value", e.tbl.Name, c.Name)
			} else {
				d, err := zeroValue(&c.Type, e)
				if err != nil {
					return err
				}
				p.defaultDatum = d
			}
		}
	}
	return nil
}

func pow10(n int) int64 {
	v := int64(1)
	for ; n > 0; n-- {
		v *= 10
	}
	return v
}

// zeroValue is the value a NOT NULL column takes for a bad NULL or a missing
// value without default in non-strict mode (TiDB's GetZeroValue).
func zeroValue(ft *tidbtypes.FieldType, _ *Encoder) (tidbtypes.Datum, error) {
	return tidbtypes.ZeroDatum(ft), nil
}

// Table returns the encoder's table.
func (e *Encoder) Table() *TableInfo { return e.tbl }

// MaxIDs returns the largest auto IDs seen so far.
func (e *Encoder) MaxIDs() MaxIDs { return e.max }

// Warnings returns the conversion warnings collected since the last call
// and clears them.
func (e *Encoder) Warnings() []*tidbtypes.ConvertError {
	w := append([]*tidbtypes.ConvertError(nil), e.sc.Warnings...)
	e.sc.ResetWarnings()
	return w
}

// CheckColumns reports, before any data is read, whether rows with the
// given column mapping can be encoded: every table column missing from the
// mapping must have a computable default.
func (e *Encoder) CheckColumns(colMap []int) error {
	given := make([]bool, len(e.cols))
	for _, off := range colMap {
		if off >= 0 && off < len(given) {
			given[off] = true
		}
	}
	for i := range e.cols {
		p := &e.cols[i]
		if !given[i] && !p.info.IsGenerated() && !p.isAutoInc && !p.isAutoRand && p.defaultErr != nil {
			return p.defaultErr
		}
	}
	return nil
}

// EncodeFields converts one source row and appends its KV pairs to out.
// fields[i] belongs to table column colMap[i] (or is ColumnIgnored /
// ColumnRowID); rowID is the row's ID within the import (§5.1). Field bytes
// are not retained after the call.
func (e *Encoder) EncodeFields(fields []parser.Field, colMap []int, rowID int64, out *Pairs) error {
	clear(e.present)
	e.hasRowID = false
	for i := range fields {
		if i >= len(colMap) {
			return fmt.Errorf("kv: table %s: row has %d fields, column mapping has %d", e.tbl.Name, len(fields), len(colMap))
		}
		off := colMap[i]
		f := &fields[i]
		switch {
		case off == ColumnIgnored:
			continue
		case off == ColumnRowID:
			if f.Kind == parser.KindNull || f.Kind == parser.KindDefault {
				continue
			}
			if err := tidbtypes.ConvertInto(&e.rowIDVal, f, ExtraHandleName, rowIDType, e.sc); err != nil {
				return fmt.Errorf("kv: table %s: %w", e.tbl.Name, err)
			}
			e.hasRowID = true
			continue
		case off < 0 || off >= len(e.cols):
			return fmt.Errorf("kv: table %s: invalid column offset %d", e.tbl.Name, off)
		}
		p := &e.cols[off]
		if p.info.IsGenerated() || f.Kind == parser.KindDefault {
			continue
		}
		if f.Kind == parser.KindNull {
			e.row[off].SetNull()
			e.present[off] = true
			continue
		}
		if err := tidbtypes.ConvertInto(&e.row[off], f, p.info.Name, &p.info.Type, e.sc); err != nil {
			return fmt.Errorf("kv: table %s: %w", e.tbl.Name, err)
		}
		e.present[off] = true
	}
	return e.encodeRow(rowID, out)
}

// EncodeDatums encodes a row given as datums already of the column types,
// in table order; present[i]=false means the column was not supplied (nil
// present means all non-generated columns are supplied). It is used by tests
// and tools that build rows directly.
func (e *Encoder) EncodeDatums(row []tidbtypes.Datum, present []bool, rowID int64, out *Pairs) error {
	if len(row) != len(e.cols) {
		return fmt.Errorf("kv: table %s: row has %d datums, table has %d columns", e.tbl.Name, len(row), len(e.cols))
	}
	e.hasRowID = false
	for i := range row {
		e.row[i] = row[i]
		e.present[i] = (present == nil || present[i]) && !e.cols[i].info.IsGenerated()
	}
	return e.encodeRow(rowID, out)
}

var rowIDType = &tidbtypes.FieldType{Tp: tidbtypes.TypeLonglong, Flen: 20, Decimal: 0, Charset: "binary", Collate: "binary"}

func (e *Encoder) encodeRow(rowID int64, out *Pairs) error {
	m := out.mark()
	if err := e.encodeRowKVs(rowID, out); err != nil {
		out.rollback(m)
		return err
	}
	return nil
}

func (e *Encoder) encodeRowKVs(rowID int64, out *Pairs) error {
	// 1. Fill missing values: auto IDs and defaults.
	for i := range e.cols {
		p := &e.cols[i]
		if p.info.IsGenerated() {
			continue
		}
		d := &e.row[i]
		if e.present[i] && !(d.IsNull() && p.info.Type.IsNotNull()) {
			if p.isAutoInc {
				e.trackAutoInc(d)
			}
			if p.isAutoRand {
				e.trackAutoRand(d)
			}
			continue
		}
		switch {
		case p.isAutoInc:
			if err := e.autoIDDatum(d, rowID, &p.info.Type); err != nil {
				return err
			}
			e.trackAutoInc(d)
		case p.isAutoRand:
			if err := e.autoIDDatum(d, e.autoRandomID(rowID), &p.info.Type); err != nil {
				return err
			}
			e.trackAutoRand(d)
		case e.present[i]:
			// Explicit NULL into a NOT NULL column.
			if e.sc.Strict() {
				return fmt.Errorf("kv: table %s: column %s cannot be null", e.tbl.Name, p.info.Name)
			}
			z, err := zeroValue(&p.info.Type, e)
			if err != nil {
				return err
			}
			*d = z
		default:
			if p.defaultErr != nil {
				return p.defaultErr
			}
			*d = p.defaultDatum
		}
	}
	// 2. Generated columns, in dependency (= column) order.
	for _, off := range e.genOrder {
		p := &e.cols[off]
		if err := e.evalGenerated(p, &e.row[off]); err != nil {
			return err
		}
	}
	// 3. Handle.
	switch {
	case e.tbl.PKIsHandle:
		d := &e.row[e.pkOffset]
		if d.IsNull() {
			return fmt.Errorf("kv: table %s: primary key is NULL", e.tbl.Name)
		}
		e.handle = d.GetInt64()
	case e.tbl.IsCommonHandle:
		var err error
		e.common, err = e.encodeCommonHandle(e.common[:0])
		if err != nil {
			return err
		}
	default:
		// The row-ID allocator is rebased past the unsharded value.
		base := rowID
		if e.hasRowID {
			e.handle = e.rowIDVal.GetInt64()
			base = e.handle
		} else {
			e.handle = e.shardRowID(rowID)
		}
		if base > e.max.RowID {
			e.max.RowID = base
		}
	}
	// 4. Partition.
	physID := e.tbl.ID
	if e.part != nil {
		var err error
		physID, err = e.part.locate(e)
		if err != nil {
			return err
		}
	}
	// 5. Record KV.
	if err := e.appendRecord(physID, out); err != nil {
		return err
	}
	// 6. Index KVs.
	for i := range e.indexes {
		if err := e.appendIndex(&e.indexes[i], physID, out); err != nil {
			return err
		}
	}
	return nil
}

// autoIDDatum casts an auto-generated ID to the column type, catching
// overflow (e.g. a TINYINT AUTO_INCREMENT column past 127).
func (e *Encoder) autoIDDatum(d *tidbtypes.Datum, id int64, ft *tidbtypes.FieldType) error {
	if ft.IsUnsigned() {
		e.numBuf = strconv.AppendUint(e.numBuf[:0], uint64(id), 10)
	} else {
		e.numBuf = strconv.AppendInt(e.numBuf[:0], id, 10)
	}
	v, err := e.convertStrict(parser.Field{Kind: parser.KindNumber, Bytes: e.numBuf}, ft)
	if err != nil {
		return fmt.Errorf("kv: table %s: auto ID %d: %w", e.tbl.Name, id, err)
	}
	*d = v
	return nil
}

func (e *Encoder) trackAutoInc(d *tidbtypes.Datum) {
	var v int64
	switch d.Kind() {
	case tidbtypes.KindInt64:
		v = d.GetInt64()
	case tidbtypes.KindUint64:
		v = d.GetInt64()
	case tidbtypes.KindFloat32, tidbtypes.KindFloat64:
		f := d.GetFloat64()
		// Allocators are rebased with the rounded value (§5.2).
		if f >= 9.2e18 {
			v = 1<<63 - 1
		} else {
			v = int64(f + 0.5)
		}
	}
	if v > e.max.AutoIncrement {
		e.max.AutoIncrement = v
	}
}

func (e *Encoder) trackAutoRand(d *tidbtypes.Datum) {
	v := d.GetInt64() & (1<<e.autoRandIncBits - 1)
	if v > e.max.AutoRandom {
		e.max.AutoRandom = v
	}
}

// autoRandomID composes shard and row ID (§5.2).
func (e *Encoder) autoRandomID(rowID int64) int64 {
	mask := int64(1)<<e.tbl.AutoRandomBits - 1
	return (e.autoRandShard&mask)<<e.autoRandIncBits | rowID
}

// shardRowID applies SHARD_ROW_ID_BITS: the shard comes from the legacy
// math/rand source reseeded with the row ID (§5.2).
func (e *Encoder) shardRowID(rowID int64) int64 {
	if e.shardRand == nil {
		return rowID
	}
	s := e.tbl.ShardRowIDBits
	e.shardRand.Seed(rowID)
	shard := int64(e.shardRand.Uint32()) & (1<<s - 1)
	return shard<<(64-s-1) | rowID
}

// encodeCommonHandle appends EncodeKey of the PK datums (prefix-truncated,
// collation sort keys for strings).
func (e *Encoder) encodeCommonHandle(dst []byte) ([]byte, error) {
	for _, ic := range e.pkCols {
		p := &e.cols[ic.Offset]
		d := e.row[ic.Offset]
		if d.IsNull() {
			return dst, fmt.Errorf("kv: table %s: primary key column %s is NULL", e.tbl.Name, p.info.Name)
		}
		truncateIndexValue(&d, ic.Length, &p.info.Type)
		var err error
		dst, err = appendKeyDatum(dst, &d, p.coll, e.loc, &e.scratch)
		if err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// appendRecord writes the record KV of the current row.
func (e *Encoder) appendRecord(physID int64, out *Pairs) error {
	buf, start := out.begin()
	if e.tbl.IsCommonHandle {
		buf = AppendCommonRecordKey(buf, physID, e.common)
	} else {
		buf = AppendRecordKey(buf, physID, e.handle)
	}
	keyEnd := len(buf)
	var err error
	if e.opts.RowFormatVersion == 1 {
		buf, err = e.appendOldRow(buf)
	} else {
		buf, err = e.appendRowV2(buf)
	}
	if err != nil {
		out.buf = buf[:start]
		return fmt.Errorf("kv: table %s: %w", e.tbl.Name, err)
	}
	out.commit(buf, start, keyEnd, KeyRecord)
	return nil
}

// skipInRow is TiDB's CanSkip (§3.4).
func (e *Encoder) skipInRow(i int) bool {
	p := &e.cols[i]
	if !p.inRow {
		return true
	}
	return p.nullDefault && e.row[i].IsNull()
}

func (e *Encoder) appendRowV2(dst []byte) ([]byte, error) {
	e.rw.Reset()
	for i := range e.cols {
		if e.skipInRow(i) {
			continue
		}
		if err := addRowValue(&e.rw, e.cols[i].info.ID, &e.row[i], e.loc); err != nil {
			return dst, fmt.Errorf("column %s: %w", e.cols[i].info.Name, err)
		}
	}
	return e.rw.AppendTo(dst)
}

func (e *Encoder) appendOldRow(dst []byte) ([]byte, error) {
	start := len(dst)
	for i := range e.cols {
		if e.skipInRow(i) {
			continue
		}
		dst = codec.EncodeVarint(append(dst, codec.VarintFlag), e.cols[i].info.ID)
		var err error
		dst, err = appendOldValueDatum(dst, &e.row[i], e.loc)
		if err != nil {
			return dst, fmt.Errorf("column %s: %w", e.cols[i].info.Name, err)
		}
	}
	if len(dst) == start {
		dst = append(dst, codec.NilFlag)
	}
	return dst, nil
}
