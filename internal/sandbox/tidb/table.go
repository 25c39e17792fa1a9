package tidb

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/types"
	"go.uber.org/zap"

	"github.com/tempestdb/tempest/internal/kv"
	"github.com/tempestdb/tempest/internal/parser"
	"github.com/tempestdb/tempest/internal/tidbtypes"
)

// autoIDStep is how many IDs one allocator refill reserves, TiDB's default
// AUTO_ID_CACHE. The allocator mirrors TiDB's: a per-table cache [base,
// end] in memory, the reserved end persisted in the catalog; DDL on the
// table drops the cache, so the next value comes from the persisted end.
// That reproduces TiDB's visible jumps (e.g. 30002 after a rebase).
const autoIDStep = 30000

// backend is the state shared by the SQL engine objects: catalog, KV store
// and the in-memory auto-ID caches.
type backend struct {
	cat *catalog
	kv  KVStore
	w   KVWriter // nil: table data is read-only through SQL
	log *zap.Logger

	// writeMu serialises DML so unique checks and writes of concurrent
	// statements cannot interleave (the sandbox has no transactions).
	writeMu sync.Mutex

	allocMu sync.Mutex
	alloc   map[int64]*idCache // by table ID

	sysVars *sysVarsTable // mysql.tidb (memory only, like a fresh cluster)

	stmts stmtKinds // which statements' table scans may stream
}

// idCache is the allocated-but-unused window (base, end] of a table.
type idCache struct{ base, end int64 }

// usesAutoRandom tells which persisted base a table allocates from: the
// AUTO_RANDOM base for AUTO_RANDOM tables, else the shared AUTO_INCREMENT /
// _tidb_rowid base.
func usesAutoRandom(t *tableSnapshot) bool { return t.Info.AutoRandomBits > 0 }

// nextAutoID hands out the next auto ID (row ID, AUTO_INCREMENT value or
// AUTO_RANDOM incremental part) of a table.
func (b *backend) nextAutoID(db string, t *tableSnapshot) (int64, error) {
	b.allocMu.Lock()
	defer b.allocMu.Unlock()
	c := b.alloc[t.ID]
	if c == nil || c.base >= c.end {
		stored, err := b.cat.reserve(db, t.Name, usesAutoRandom(t), autoIDStep, 0)
		if err != nil {
			return 0, err
		}
		c = &idCache{base: stored, end: stored + autoIDStep}
		b.alloc[t.ID] = c
	}
	c.base++
	return c.base, nil
}

// observeAutoID rebases past an explicitly written ID so later allocations
// do not collide with it, with TiDB's rule: inside the cached window only
// the cache moves; beyond it the persisted base jumps past the value.
func (b *backend) observeAutoID(db string, t *tableSnapshot, used int64) error {
	b.allocMu.Lock()
	defer b.allocMu.Unlock()
	c := b.alloc[t.ID]
	switch {
	case c != nil && used <= c.base:
		return nil
	case c != nil && used <= c.end:
		c.base = used
		return nil
	}
	stored, err := b.cat.reserve(db, t.Name, usesAutoRandom(t), autoIDStep, used)
	if err != nil {
		return err
	}
	b.alloc[t.ID] = &idCache{base: used, end: max(used, stored) + autoIDStep}
	return nil
}

// resetAlloc forgets the cached range so the next allocation starts from
// the catalog's (possibly ALTERed) base.
func (b *backend) resetAlloc(tableID int64) {
	b.allocMu.Lock()
	defer b.allocMu.Unlock()
	delete(b.alloc, tableID)
}

// clearIDs deletes every key of the given table/partition IDs, a batch of
// keys at a time so a big table's keys are never all in memory.
func (b *backend) clearIDs(ctx context.Context, ids []int64) error {
	if b.w == nil {
		return nil
	}
	for _, id := range ids {
		start := kv.AppendTablePrefix(nil, id)
		end := kv.AppendTablePrefix(nil, id+1)
		for {
			var keys [][]byte
			err := b.kv.Scan(ctx, start, end, func(k, _ []byte) error {
				keys = append(keys, append([]byte(nil), k...))
				if len(keys) >= scanBatchRows {
					return errStop
				}
				return nil
			})
			if err != nil && !errors.Is(err, errStop) {
				return fmt.Errorf("scanning table %d from key %x: %w", id, start, err)
			}
			for _, k := range keys {
				if err := b.w.Delete(ctx, k); err != nil {
					return fmt.Errorf("deleting table %d data: %w", id, err)
				}
			}
			if err == nil {
				break
			}
			start = append(keys[len(keys)-1], 0)
		}
	}
	return nil
}

// get reads one key; ok is false when absent.
func (b *backend) get(ctx context.Context, key []byte) (val []byte, ok bool, err error) {
	end := append(append([]byte(nil), key...), 0)
	err = b.kv.Scan(ctx, key, end, func(k, v []byte) error {
		if bytes.Equal(k, key) {
			val, ok = append([]byte(nil), v...), true
		}
		return nil
	})
	return val, ok, err
}

// table is one TiDB table as the SQL engine sees it.
type table struct {
	b         *backend
	db        string
	snap      tableSnapshot
	schema    sql.Schema
	withRowID bool
	// visible maps schema positions to table column offsets (hidden
	// columns are skipped; the optional _tidb_rowid is last).
	visible []int
}

var (
	_ sql.Table              = (*table)(nil)
	_ sql.InsertableTable    = (*table)(nil)
	_ sql.ReplaceableTable   = (*table)(nil)
	_ sql.DeletableTable     = (*table)(nil)
	_ sql.UpdatableTable     = (*table)(nil)
	_ sql.AutoIncrementTable = (*table)(nil)
)

func newTable(b *backend, db string, snap tableSnapshot, withRowID bool) (*table, error) {
	s, err := gmsSchema(db, snap.Info, withRowID && snap.Info.HasImplicitRowID())
	if err != nil {
		return nil, err
	}
	t := &table{b: b, db: db, snap: snap, schema: s, withRowID: withRowID && snap.Info.HasImplicitRowID()}
	for _, c := range snap.Info.Columns {
		if !c.Hidden {
			t.visible = append(t.visible, c.Offset)
		}
	}
	// Literal defaults go to the engine so INSERTs that omit a nullable
	// column store its default rather than NULL; everything else is left
	// to the codec (see gmsSchema).
	for i, off := range t.visible {
		c := snap.Info.Columns[off]
		if c.IsGenerated() {
			continue
		}
		var def *sql.ColumnDefaultValue
		switch c.Default.Kind {
		case kv.DefaultLiteral:
			lit := expression.NewLiteral(string(c.Default.Value.Bytes), types.LongText)
			def, err = sql.NewColumnDefaultValue(lit, s[i].Type, true, false, true)
		case kv.DefaultCurrentTimestamp:
			var now sql.Expression
			if now, err = function.NewNow(); err == nil {
				def, err = sql.NewColumnDefaultValue(now, s[i].Type, false, true, true)
			}
		}
		if err == nil && def != nil {
			s[i].Default = def
		}
	}
	return t, nil
}

func (t *table) Name() string               { return t.snap.Name }
func (t *table) String() string             { return t.snap.Name }
func (t *table) Schema() sql.Schema         { return t.schema }
func (t *table) Collation() sql.CollationID { return sql.Collation_utf8mb4_bin }

// PeekNextAutoIncrementValue feeds information_schema.TABLES.AUTO_INCREMENT.
// The engine never allocates values itself (its schema carries no
// AUTO_INCREMENT flags); allocation is the codec's, see editor.Insert.
func (t *table) PeekNextAutoIncrementValue(*sql.Context) (uint64, error) {
	hasAutoInc := false
	for _, c := range t.snap.Info.Columns {
		hasAutoInc = hasAutoInc || c.IsAutoIncrement()
	}
	if !hasAutoInc {
		return 0, sql.ErrNoAutoIncrementCol
	}
	snap, err := t.b.cat.table(t.db, t.snap.Name)
	if err != nil {
		return 0, err
	}
	return uint64(snap.AutoIDBase + 1), nil
}

// GetNextAutoIncrementValue only reports; see PeekNextAutoIncrementValue.
func (t *table) GetNextAutoIncrementValue(ctx *sql.Context, _ any) (uint64, error) {
	return t.PeekNextAutoIncrementValue(ctx)
}

// AutoIncrementSetter rebases the shared auto-ID allocator.
func (t *table) AutoIncrementSetter(*sql.Context) sql.AutoIncrementSetter { return autoIncSetter{t} }

type autoIncSetter struct{ t *table }

func (s autoIncSetter) SetAutoIncrementValue(_ *sql.Context, v uint64) error {
	if err := s.t.b.cat.rebase(s.t.db, s.t.snap.Name, int64(v)-1, -1, false); err != nil {
		return err
	}
	s.t.b.resetAlloc(s.t.snap.ID)
	return nil
}

func (s autoIncSetter) AcquireAutoIncrementLock(*sql.Context) (func(), error) { return func() {}, nil }
func (s autoIncSetter) Close(*sql.Context) error                              { return nil }

type physPartition int64

func (p physPartition) Key() []byte { return binary.BigEndian.AppendUint64(nil, uint64(p)) }

// Partitions yields one engine partition per physical table.
func (t *table) Partitions(*sql.Context) (sql.PartitionIter, error) {
	var ps []sql.Partition
	for _, id := range t.snap.Info.PhysicalIDs() {
		ps = append(ps, physPartition(id))
	}
	return sql.PartitionsToPartitionIter(ps...), nil
}

// PartitionRows decodes the record range t{id}_r of one physical table.
// Read-only statements and DELETE stream it in bounded batches (scan.go);
// statements that write rows as they read them get the rows read up front,
// so their own writes cannot come back into the scan.
func (t *table) PartitionRows(ctx *sql.Context, p sql.Partition) (sql.RowIter, error) {
	pid := int64(binary.BigEndian.Uint64(p.Key()))
	if t.b.stmts.streamSafe(ctx.Query()) {
		return t.newRowIter(ctx, pid), nil
	}
	rows, err := t.scanRows(ctx, pid, nil)
	if err != nil {
		return nil, err
	}
	return sql.RowsToRowIter(rows...), nil
}

// storedRow is a decoded record with its key.
type storedRow struct {
	key []byte
	row sql.Row
	dec kv.DecodedRow
}

// scanRows decodes every record of physical table pid; keep, when non-nil,
// receives the raw record too and can stop the scan early by returning
// errStop.
func (t *table) scanRows(ctx context.Context, pid int64, keep func(storedRow) error) ([]sql.Row, error) {
	dec := kv.NewDecoder(t.snap.Info, sessionLocation(ctx), true)
	start := kv.AppendRecordPrefix(nil, pid)
	end := prefixEnd(start)
	var rows []sql.Row
	err := t.b.kv.Scan(ctx, start, end, func(k, v []byte) error {
		r, err := t.decode(ctx, dec, k, v)
		if err != nil {
			return err
		}
		if keep != nil {
			return keep(storedRow{key: append([]byte(nil), k...), row: r.row, dec: r.dec})
		}
		rows = append(rows, r.row)
		return nil
	})
	if errors.Is(err, errStop) {
		err = nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s.%s: %w", t.db, t.snap.Name, err)
	}
	return rows, nil
}

var errStop = errors.New("stop scan")

func (t *table) decode(ctx context.Context, dec *kv.Decoder, k, v []byte) (storedRow, error) {
	r, err := dec.DecodeRecord(k, v)
	if err != nil {
		return storedRow{}, fmt.Errorf("decoding record %x: %w", k, err)
	}
	row := make(sql.Row, len(t.schema))
	for i, off := range t.visible {
		val, err := toGMS(ctx, &r.Values[off], t.schema[i].Type)
		if err != nil {
			return storedRow{}, fmt.Errorf("column %s: %w", t.schema[i].Name, err)
		}
		row[i] = val
	}
	if t.withRowID {
		if r.Handle.IsInt {
			row[len(row)-1] = r.Handle.Int
		}
	}
	return storedRow{row: row, dec: r}, nil
}

func (t *table) Inserter(*sql.Context) sql.RowInserter { return t.editor() }
func (t *table) Replacer(*sql.Context) sql.RowReplacer { return t.editor() }
func (t *table) Deleter(*sql.Context) sql.RowDeleter   { return t.editor() }
func (t *table) Updater(*sql.Context) sql.RowUpdater   { return t.editor() }

func (t *table) editor() *editor { return &editor{t: t} }

// editor applies DML through kv.Encoder. Unique/primary key conflicts are
// reported as the engine's UniqueKeyError carrying the existing row, which
// is how the engine implements INSERT IGNORE, REPLACE and ON DUPLICATE KEY
// UPDATE on top of plain Insert/Delete.
type editor struct {
	t   *table
	enc *kv.Encoder
	// conflict is the record key of the last row reported as existing, so
	// the Delete the engine issues next does not need a table scan.
	conflict    []byte
	conflictRow sql.Row
}

func (e *editor) StatementBegin(*sql.Context)              {}
func (e *editor) DiscardChanges(*sql.Context, error) error { return nil }
func (e *editor) StatementComplete(*sql.Context) error     { return nil }
func (e *editor) Close(*sql.Context) error                 { return nil }

func (e *editor) encoder(ctx *sql.Context) (*kv.Encoder, error) {
	if e.enc != nil {
		return e.enc, nil
	}
	mode := ""
	if v, err := ctx.GetSessionVariable(ctx, "sql_mode"); err == nil {
		if s, ok := v.(string); ok {
			mode = tidbSQLMode(s)
		}
	}
	enc, err := kv.NewEncoder(e.t.snap.Info, kv.EncoderOptions{
		SQLMode:          mode,
		TimeZone:         sessionLocation(ctx),
		Timestamp:        time.Now(),
		RowFormatVersion: 2,
		AutoRandomSeed:   time.Now().UnixNano(),
	})
	if err != nil {
		return nil, err
	}
	e.enc = enc
	return enc, nil
}

// tidbSQLMode keeps only the modes that change value conversion; the
// engine's session may carry names the codec does not know.
func tidbSQLMode(s string) string {
	var keep []string
	for _, m := range strings.Split(strings.ToUpper(s), ",") {
		switch strings.TrimSpace(m) {
		case "STRICT_TRANS_TABLES", "STRICT_ALL_TABLES", "NO_ZERO_DATE", "NO_ZERO_IN_DATE",
			"ERROR_FOR_DIVISION_BY_ZERO", "ALLOW_INVALID_DATES", "NO_BACKSLASH_ESCAPES",
			"PAD_CHAR_TO_FULL_LENGTH", "NO_UNSIGNED_SUBTRACTION", "REAL_AS_FLOAT":
			keep = append(keep, strings.TrimSpace(m))
		}
	}
	return strings.Join(keep, ",")
}

// Insert encodes one row and writes its KVs after checking the record and
// unique index keys for conflicts.
func (e *editor) Insert(ctx *sql.Context, row sql.Row) error {
	b := e.t.b
	if b.w == nil {
		return fmt.Errorf("table %s.%s: the KV store is read-only", e.t.db, e.t.snap.Name)
	}
	enc, err := e.encoder(ctx)
	if err != nil {
		return err
	}
	fields := make([]parser.Field, 0, len(row))
	colMap := make([]int, 0, len(row))
	explicitRowID := false
	for i, v := range row {
		if sv, ok := v.(string); ok && isLatin1(e.t.schema[i].Type) {
			v = utf8ToLatin1(sv) // the bytes a read decodes back
		}
		f, err := toField(v)
		if err != nil {
			return fmt.Errorf("column %s: %w", e.t.schema[i].Name, err)
		}
		if i >= len(e.t.visible) {
			if f.Kind == parser.KindNull {
				continue
			}
			explicitRowID = true
			colMap = append(colMap, kv.ColumnRowID)
		} else {
			colMap = append(colMap, e.t.visible[i])
		}
		fields = append(fields, f)
	}
	b.writeMu.Lock()
	defer b.writeMu.Unlock()
	snap := &e.t.snap
	// Like TiDB, take an ID from the allocator only when the row needs one:
	// an unused allocation would move the persisted base and change the
	// values later statements see.
	var rowID int64
	if e.needsAutoID(fields, colMap, explicitRowID) {
		if rowID, err = b.nextAutoID(e.t.db, snap); err != nil {
			return err
		}
	}
	before := enc.MaxIDs()
	var pairs kv.Pairs
	if err := enc.EncodeFields(fields, colMap, rowID, &pairs); err != nil {
		return err
	}
	after := enc.MaxIDs()
	used := max(after.RowID, after.AutoIncrement)
	if usesAutoRandom(snap) {
		used = after.AutoRandom
	}
	if used > max(before.RowID, before.AutoIncrement, before.AutoRandom) {
		if err := b.observeAutoID(e.t.db, snap, used); err != nil {
			return err
		}
	}
	checkRecord := !snap.Info.HasImplicitRowID() || explicitRowID
	for i := range pairs.Len() {
		k := pairs.Key(i)
		isIndex := pairs.IsIndex(i)
		if !isIndex && !checkRecord {
			continue
		}
		var idx *kv.IndexInfo
		if isIndex {
			_, iid, _, err := kv.DecodeIndexKeyPrefix(k)
			if err != nil {
				return err
			}
			for _, ix := range snap.Info.Indices {
				if ix.ID == iid {
					idx = ix
				}
			}
			if idx == nil || !(idx.Unique || idx.Primary) {
				continue
			}
		}
		v, ok, err := b.get(ctx, k)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		return e.conflictErr(ctx, k, v, idx)
	}
	for i := range pairs.Len() {
		if err := b.w.Put(ctx, pairs.Key(i), pairs.Value(i)); err != nil {
			return fmt.Errorf("writing %s.%s: %w", e.t.db, snap.Name, err)
		}
	}
	return nil
}

// needsAutoID reports whether encoding the row will consume an auto ID:
// an implicit row ID without an explicit _tidb_rowid, or an
// AUTO_INCREMENT / AUTO_RANDOM column given as NULL, 0 or not at all.
func (e *editor) needsAutoID(fields []parser.Field, colMap []int, explicitRowID bool) bool {
	info := e.t.snap.Info
	if info.HasImplicitRowID() && !explicitRowID {
		return true
	}
	auto := -1
	for _, c := range info.Columns {
		if c.IsAutoIncrement() || (info.AutoRandomBits > 0 && c.Type.Flag&tidbtypes.PriKeyFlag != 0) {
			auto = c.Offset
		}
	}
	if auto < 0 {
		return false
	}
	for i, off := range colMap {
		if off != auto {
			continue
		}
		f := fields[i]
		if f.Kind == parser.KindNull || f.Kind == parser.KindDefault {
			return true
		}
		v := strings.TrimSpace(string(f.Bytes))
		return v == "0" || v == "" || v == "0.0"
	}
	return true
}

// conflictErr builds the engine's duplicate-key error for an existing key.
func (e *editor) conflictErr(ctx *sql.Context, key, val []byte, idx *kv.IndexInfo) error {
	info := e.t.snap.Info
	dec := kv.NewDecoder(info, sessionLocation(ctx), true)
	recKey, recVal := key, val
	name := "PRIMARY"
	if idx != nil {
		name = idx.Name
		di, err := dec.DecodeIndex(key, val)
		if err != nil {
			return fmt.Errorf("decoding conflicting index entry: %w", err)
		}
		pid := di.PhysicalID
		if di.PartitionID != 0 {
			pid = di.PartitionID
		}
		if di.Handle.IsInt {
			recKey = kv.AppendRecordKey(nil, pid, di.Handle.Int)
		} else {
			recKey = kv.AppendCommonRecordKey(nil, pid, di.Handle.Common)
		}
		v, ok, err := e.t.b.get(ctx, recKey)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("index %s entry points at a missing row", idx.Name)
		}
		recVal = v
	}
	sr, err := e.t.decode(ctx, dec, recKey, recVal)
	if err != nil {
		return err
	}
	e.conflict, e.conflictRow = recKey, sr.row
	isPK := idx == nil || idx.Primary
	return sql.NewUniqueKeyErr(fmt.Sprintf("%s.%s", e.t.snap.Name, name), isPK, sr.row)
}

// Delete removes the stored row equal to row: its record and every index
// entry pointing at its handle.
func (e *editor) Delete(ctx *sql.Context, row sql.Row) error {
	b := e.t.b
	if b.w == nil {
		return fmt.Errorf("table %s.%s: the KV store is read-only", e.t.db, e.t.snap.Name)
	}
	var target *storedRow
	if e.conflict != nil && rowsEqual(ctx, e.t.schema, e.conflictRow, row) {
		target = &storedRow{key: e.conflict}
	} else {
		for _, pid := range e.t.snap.Info.PhysicalIDs() {
			if _, err := e.t.scanRows(ctx, pid, func(sr storedRow) error {
				if rowsEqual(ctx, e.t.schema, sr.row, row) {
					target = &sr
					return errStop
				}
				return nil
			}); err != nil {
				return err
			}
			if target != nil {
				break
			}
		}
	}
	e.conflict, e.conflictRow = nil, nil
	if target == nil {
		return sql.ErrDeleteRowNotFound.New()
	}
	return e.deleteRecord(ctx, target.key)
}

func (e *editor) deleteRecord(ctx context.Context, recKey []byte) error {
	b := e.t.b
	pid, ih, common, err := kv.DecodeRecordKey(recKey)
	if err != nil {
		return err
	}
	info := e.t.snap.Info
	dec := kv.NewDecoder(info, time.UTC, true)
	// Index entries are found by handle: re-deriving their keys would need
	// the original row ID with shard bits, which only the key knows.
	var doomed [][]byte
	for _, id := range allIDs(info) {
		for _, idx := range info.Indices {
			start := kv.AppendIndexPrefix(nil, id, idx.ID)
			if err := b.kv.Scan(ctx, start, prefixEnd(start), func(k, v []byte) error {
				di, err := dec.DecodeIndex(k, v)
				if err != nil {
					return nil // not ours to judge; leave it
				}
				if di.PartitionID != 0 && di.PartitionID != pid {
					return nil
				}
				if (common == nil && di.Handle.IsInt && di.Handle.Int == ih) ||
					(common != nil && !di.Handle.IsInt && bytes.Equal(di.Handle.Common, common)) {
					doomed = append(doomed, append([]byte(nil), k...))
				}
				return nil
			}); err != nil {
				return fmt.Errorf("scanning index %s: %w", idx.Name, err)
			}
		}
	}
	doomed = append(doomed, recKey)
	for _, k := range doomed {
		if err := b.w.Delete(ctx, k); err != nil {
			return fmt.Errorf("deleting %x: %w", k, err)
		}
	}
	return nil
}

// Update is delete + insert, which is what TiDB's KV writes amount to.
func (e *editor) Update(ctx *sql.Context, old, new sql.Row) error {
	if err := e.Delete(ctx, old); err != nil {
		return err
	}
	return e.Insert(ctx, new)
}

func rowsEqual(ctx *sql.Context, s sql.Schema, a, b sql.Row) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] == nil || b[i] == nil {
			if a[i] != nil || b[i] != nil {
				return false
			}
			continue
		}
		c, err := s[i].Type.Compare(ctx, a[i], b[i])
		if err != nil || c != 0 {
			return false
		}
	}
	return true
}
