package physical

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/tempestdb/tempest/internal/engine"
	"github.com/tempestdb/tempest/internal/kv"
	"github.com/tempestdb/tempest/internal/parser"
)

// ErrColumns marks a source column list the table cannot take (unknown or
// repeated names, or a missing column without a computable default): no
// retry can fix it.
var ErrColumns = errors.New("source columns do not fit the table")

// ErrUnsupportedTable marks a table whose KV pairs the codec refuses to
// produce (see package kv's refusals): no retry can fix it.
var ErrUnsupportedTable = errors.New("table cannot be encoded for the physical backend")

// ErrTypeErrorsExceeded marks a chunk that met more rows that cannot be
// converted to the column types than lightning.max-error.type allows (the
// text is Lightning's).
var ErrTypeErrorsExceeded = errors.New("The number of type errors exceeds the threshold configured by `max-error.type`")

// defaultBatchBytes is how many encoded bytes a ChunkEncoder buffers before
// Append asks the caller to Flush (which is also when progress is
// heartbeated).
const defaultBatchBytes = 4 << 20

// EncoderConfig configures the encoding of one chunk.
type EncoderConfig struct {
	Table *kv.TableInfo
	// SQLMode is tidb.sql-mode; strict modes turn bad values into errors.
	SQLMode string
	// Session is the target's (TableBase.Session): its zone reads
	// TIMESTAMP values ("": UTC), and generated-column expressions use all
	// of it (zero BlockEncryptionMode / DivPrecisionIncrement: TiDB's
	// defaults).
	Session Session
	// Timestamp is the table's fixed "now" for CURRENT_TIMESTAMP defaults;
	// it must be the same for every attempt of every chunk of the table so
	// that re-encoding writes the same pairs.
	Timestamp time.Time
	// LegacyCollation is true when the cluster runs without new collations.
	LegacyCollation bool
	// AutoRandomSeed is the chunk's PrevRowIDMax (Lightning's seed).
	AutoRandomSeed int64
	// ExtendColumns are [routes] extract values of the chunk's file.
	ExtendColumns map[string]string
	// MaxTypeErrors rows that fail conversion are skipped; one more fails.
	// With Errors set the budget is the task's: rows recorded by every
	// chunk count.
	MaxTypeErrors int64
	// Errors records skipped rows in the task-info schema (nil: rows are
	// only counted, and the budget is per chunk).
	Errors *TypeErrorLog
	// QualifiedName (`db`.`t`) and Path name the table and the source
	// file in error records and errors.
	QualifiedName, Path string
	// BatchBytes overrides defaultBatchBytes.
	BatchBytes int
	// IndexEngine, when set, receives the index KVs while the engine given
	// to NewChunkEncoder receives the record KVs (see engines.go); nil
	// writes both to that one engine.
	IndexEngine *engine.Engine
}

// ChunkResult is what encoding one whole chunk produced.
type ChunkResult struct {
	Rows       int64
	TypeErrors int64
	// Checksum covers every pair the chunk encoded (record and index).
	Checksum kv.Checksum
	// MaxIDs are the largest auto IDs the chunk used, for the rebase.
	MaxIDs kv.MaxIDs
}

// ChunkEncoder encodes one chunk's rows into an engine. It is not safe for
// concurrent use: one per chunk attempt.
type ChunkEncoder struct {
	enc    *kv.Encoder
	w      pairWriter
	cfg    EncoderConfig
	tbl    *kv.TableInfo
	pairs  kv.Pairs
	batch  int
	result ChunkResult
	// pending counts rows appended since the last Flush.
	pending, pendingTypeErrors int64
	// records are the type errors since the last Flush, written to
	// cfg.Errors by Flush.
	records []typeErrorRecord

	extendNames  []string
	extendFields []parser.Field

	lastColumns []string
	lastNil     bool
	lastMap     *columnMap
	fields      []parser.Field
}

// columnMap is a resolved source column list.
type columnMap struct {
	colMap []int
	// override[i] >= 0: source field i is replaced by extend value
	// override[i]; appended extend values follow the row's fields.
	override []int
	appended []int
}

// NewChunkEncoder prepares the encoding of one chunk into eng.
func NewChunkEncoder(eng *engine.Engine, cfg EncoderConfig) (*ChunkEncoder, error) {
	if cfg.Table == nil {
		return nil, errors.New("chunk encoder: no table")
	}
	loc, err := ParseTimeZone(cfg.Session.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("chunk encoder: %w", err)
	}
	opts := kv.EncoderOptions{
		SQLMode: cfg.SQLMode, TimeZone: loc, Timestamp: cfg.Timestamp,
		LegacyCollation: cfg.LegacyCollation, RowFormatVersion: 2, AutoRandomSeed: cfg.AutoRandomSeed,
		BlockEncryptionMode: cfg.Session.BlockEncryptionMode,
	}
	if cfg.Session.DivPrecisionIncrement > 0 {
		opts.DivPrecisionIncrement = &cfg.Session.DivPrecisionIncrement
	}
	enc, err := kv.NewEncoder(cfg.Table, opts)
	if err != nil {
		return nil, fmt.Errorf("%w: table %s: %v", ErrUnsupportedTable, cfg.Table.Name, err)
	}
	w, err := newPairWriter(eng, cfg.IndexEngine)
	if err != nil {
		return nil, err
	}
	e := &ChunkEncoder{enc: enc, w: w, cfg: cfg, tbl: cfg.Table, batch: cfg.BatchBytes}
	if e.batch <= 0 {
		e.batch = defaultBatchBytes
	}
	for k := range cfg.ExtendColumns {
		e.extendNames = append(e.extendNames, k)
	}
	sort.Strings(e.extendNames)
	for _, k := range e.extendNames {
		e.extendFields = append(e.extendFields, parser.Field{Kind: parser.KindString, Bytes: []byte(cfg.ExtendColumns[k])})
	}
	return e, nil
}

func (e *ChunkEncoder) resolve(columns []string) (*columnMap, error) {
	if e.lastMap != nil && e.lastNil == (columns == nil) && slicesEqual(e.lastColumns, columns) {
		return e.lastMap, nil
	}
	names := columns
	if columns == nil {
		// Table order means the writable columns: generated and hidden
		// columns never appear in a dump.
		names = []string{}
		for _, c := range e.tbl.Columns {
			if !c.Hidden && !c.IsGenerated() && !containsFold(e.extendNames, c.Name) {
				names = append(names, c.Name)
			}
		}
	}
	m := &columnMap{override: make([]int, len(names))}
	for i := range m.override {
		m.override[i] = -1
	}
	// Non-nil even when empty: MapColumns reads nil as "table order",
	// but INSERT INTO t () VALUES () names no column at all.
	all := append(make([]string, 0, len(names)+len(e.extendNames)), names...)
	for ei, en := range e.extendNames {
		found := false
		for i, n := range names {
			if strings.EqualFold(n, en) {
				m.override[i] = ei
				found = true
			}
		}
		if !found {
			m.appended = append(m.appended, ei)
			all = append(all, en)
		}
	}
	colMap, err := e.tbl.MapColumns(all)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrColumns, err)
	}
	if err := e.enc.CheckColumns(colMap); err != nil {
		return nil, fmt.Errorf("%w: table %s: %v", ErrColumns, e.tbl.Name, err)
	}
	m.colMap = colMap
	e.lastColumns = append(e.lastColumns[:0], columns...)
	e.lastNil = columns == nil
	e.lastMap = m
	return m, nil
}

// Append encodes one row; full says the batch should be flushed. A row that
// cannot be converted is skipped and counted while the type-error budget
// lasts.
func (e *ChunkEncoder) Append(columns []string, row parser.Row) (full bool, err error) {
	if columns == nil && len(row.Fields) == 0 {
		// INSERT INTO t VALUES (): as in MySQL, an empty tuple without a
		// column list is the empty column list, a row of defaults.
		columns = []string{}
	}
	m, err := e.resolve(columns)
	if err != nil {
		return false, err
	}
	fields := row.Fields
	if len(e.extendNames) > 0 {
		e.fields = append(e.fields[:0], row.Fields...)
		for i := range e.fields {
			if i < len(m.override) && m.override[i] >= 0 {
				e.fields[i] = e.extendFields[m.override[i]]
			}
		}
		for _, ei := range m.appended {
			e.fields = append(e.fields, e.extendFields[ei])
		}
		fields = e.fields
	}
	if len(fields) != len(m.colMap) {
		return false, fmt.Errorf("%w: row at offset %d has %d fields, table %s expects %d",
			ErrColumns, row.Offset, len(fields), e.tbl.Name, len(m.colMap))
	}
	if err := e.enc.EncodeFields(fields, m.colMap, row.RowID, &e.pairs); err != nil {
		// This attempt's own count: a retried attempt starts again from
		// zero, so rows an earlier attempt met are not counted twice.
		if e.result.TypeErrors+e.pendingTypeErrors >= e.cfg.MaxTypeErrors {
			return false, fmt.Errorf("%w: '%d': table %s, file %s, row at offset %d: %v",
				ErrTypeErrorsExceeded, e.cfg.MaxTypeErrors, e.name(), e.cfg.Path, row.Offset, err)
		}
		e.pendingTypeErrors++
		if e.cfg.Errors != nil {
			e.records = append(e.records, typeErrorRecord{offset: row.Offset, msg: err.Error(), row: rowText(row.Fields)})
		}
		return e.pairs.Size() >= e.batch, nil
	}
	e.pending++
	return e.pairs.Size() >= e.batch, nil
}

// Flush hands the buffered pairs to the engine writer (which sorts and
// ingests them into the engine when its memory cache fills), records the
// rows skipped since the previous Flush and returns their counts. It fails
// with ErrTypeErrorsExceeded when the task's recorded type errors exceed
// the budget.
func (e *ChunkEncoder) Flush(ctx context.Context) (rows, typeErrors int64, err error) {
	if len(e.records) > 0 {
		total, err := e.cfg.Errors.record(ctx, e.name(), e.cfg.Path, e.records)
		if err != nil {
			return 0, 0, err
		}
		if total > e.cfg.MaxTypeErrors {
			last := e.records[len(e.records)-1]
			return 0, 0, fmt.Errorf("%w: '%d' (%d rows recorded for the task): table %s, file %s, row at offset %d: %s",
				ErrTypeErrorsExceeded, e.cfg.MaxTypeErrors, total, e.name(), e.cfg.Path, last.offset, last.msg)
		}
		e.records = e.records[:0]
	}
	if e.pairs.Len() > 0 {
		if err := e.w.AppendPairs(ctx, &e.pairs); err != nil {
			return 0, 0, fmt.Errorf("write pairs of table %s to engine: %w", e.tbl.Name, err)
		}
		e.result.Checksum.Update(&e.pairs)
		e.pairs.Reset()
	}
	rows, typeErrors = e.pending, e.pendingTypeErrors
	e.result.Rows += rows
	e.result.TypeErrors += typeErrors
	e.pending, e.pendingTypeErrors = 0, 0
	return rows, typeErrors, nil
}

// Close flushes what is left into the engine and returns the chunk's
// totals. The pairs are in the engine when it returns.
func (e *ChunkEncoder) Close(ctx context.Context) (ChunkResult, error) {
	if _, _, err := e.Flush(ctx); err != nil {
		return ChunkResult{}, err
	}
	if _, err := e.w.Close(ctx); err != nil {
		return ChunkResult{}, fmt.Errorf("flush engine writer of table %s: %w", e.tbl.Name, err)
	}
	e.result.MaxIDs = e.enc.MaxIDs()
	return e.result, nil
}

// Abort drops what is buffered without writing it. The engine keeps what
// the writer already ingested, which a retry overwrites with the same
// pairs; the writer itself holds no engine resources until it flushes, so
// it is simply dropped.
func (e *ChunkEncoder) Abort() {
	e.pairs.Reset()
	e.records = nil
	e.w = nil
}

// name is the table's name for records and errors.
func (e *ChunkEncoder) name() string {
	if e.cfg.QualifiedName != "" {
		return e.cfg.QualifiedName
	}
	return quote(e.tbl.Name)
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
