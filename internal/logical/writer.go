package logical

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"

	"go.uber.org/zap"

	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/parser"
	"github.com/tempestdb/tempest/internal/schema"
	"github.com/tempestdb/tempest/internal/taskinfo"
)

// recordTextLimit keeps error records inside a TEXT column (64 KiB).
const recordTextLimit = taskinfo.TextLimit

// ChunkTarget says where one chunk's rows go and how its progress and
// errors are identified.
type ChunkTarget struct {
	DB, Table string
	// Info describes the target table. Optional, but needed to reject
	// unknown columns up front, to skip generated columns when the data is
	// in table order, and to place ExtendColumns.
	Info *schema.TableInfo
	// Path is the source file, for error records.
	Path string
	// TaskID identifies the import in the task-info tables.
	TaskID int64
	// ChunkKey identifies the chunk's progress row; "" disables progress
	// rows (at-least-once: see the package doc).
	ChunkKey string
	// ExtendColumns are values from [routes.extract-*] for this file
	// (target column → value). A column the data already has is
	// overwritten; otherwise it is appended.
	ExtendColumns map[string]string
	// BaseTypeErrors and BaseConflicts are errors counted elsewhere (other
	// workers) that the caller wants included in the budget checks when
	// the task-info tables cannot be counted.
	BaseTypeErrors, BaseConflicts int64
}

// WriteResult is what one Flush (or WriteRows call) did.
type WriteResult struct {
	// Rows is the number of rows the server accepted.
	Rows int64
	// SkippedRows were already committed by an earlier attempt of the chunk
	// and were not sent again.
	SkippedRows int64
	// TypeErrors and Conflicts are rows rejected and recorded by this call.
	TypeErrors, Conflicts int64
	// Bytes is the size of the SQL sent in committed statements.
	Bytes int64
	// EndOffset and RowID are the progress committed with the batch (the
	// last row's position); zero when nothing was flushed.
	EndOffset, RowID int64
}

func (r *WriteResult) add(o WriteResult) {
	r.Rows += o.Rows
	r.SkippedRows += o.SkippedRows
	r.TypeErrors += o.TypeErrors
	r.Conflicts += o.Conflicts
	r.Bytes += o.Bytes
	if o.RowID != 0 || o.EndOffset != 0 {
		r.EndOffset, r.RowID = o.EndOffset, o.RowID
	}
}

type tuple struct {
	text   []byte
	offset int64 // end offset of the row in the source file
	rowID  int64
	// endsStatement: the statement this tuple is in is complete (Append
	// decides the statement boundaries, Flush follows them).
	endsStatement bool
}

// group is a run of tuples sharing one column list.
type group struct {
	colList string
	tuples  []tuple
}

// resolvedColumns is the cached mapping for one source column list.
type resolvedColumns struct {
	colList string
	// override[i] >= 0: data field i is replaced by extend value override[i].
	override []int
	// appended extend values, in order.
	appended []int
}

// ChunkWriter batches the rows of one chunk into transactions. It is not
// safe for concurrent use; use one per chunk.
type ChunkWriter struct {
	b *Backend
	t ChunkTarget
	// progressRowReady: the chunk's progress row exists (see
	// ensureProgressRow).
	progressRowReady bool
	table            string
	verb             string

	extendNames  []string
	extendValues [][]byte

	lastColumns  []string
	lastNil      bool
	lastResolved *resolvedColumns
	lastGroup    *group

	groups      []*group
	pendingRows int
	// openStmtBytes and openStmtRows measure the statement being filled
	// (prefix included): it closes once it reaches logical-import-batch-size
	// or -batch-rows.
	openStmtBytes int
	openStmtRows  int

	endOffset, rowID int64
	stmtStart        int64
	progressDirty    bool

	typeErrors, conflicts int64
}

// NewChunkWriter prepares a writer for one chunk.
func (b *Backend) NewChunkWriter(t ChunkTarget) (*ChunkWriter, error) {
	if t.DB == "" || t.Table == "" {
		return nil, fmt.Errorf("creating chunk writer: empty target table name")
	}
	w := &ChunkWriter{b: b, t: t, table: schema.QualifiedName(t.DB, t.Table), verb: "INSERT INTO "}
	if b.strategy == config.ConflictReplace {
		w.verb = "REPLACE INTO "
	}
	for k := range t.ExtendColumns {
		w.extendNames = append(w.extendNames, k)
	}
	sort.Strings(w.extendNames)
	for _, k := range w.extendNames {
		w.extendValues = append(w.extendValues, b.enc.appendString(nil, []byte(t.ExtendColumns[k]), ""))
	}
	return w, nil
}

func (w *ChunkWriter) progressEnabled() bool {
	return w.b.taskSchema != "" && w.t.ChunkKey != ""
}

func sameColumns(a []string, aNil bool, b []string) bool {
	if aNil != (b == nil) || len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (w *ChunkWriter) resolve(columns []string) (*resolvedColumns, error) {
	if w.lastResolved != nil && sameColumns(w.lastColumns, w.lastNil, columns) {
		return w.lastResolved, nil
	}
	info := w.t.Info
	names := columns
	if columns == nil {
		// Table order. An explicit list is only needed when generated
		// columns must be skipped or extend columns placed.
		if info != nil && (len(w.extendNames) > 0 || len(info.WritableColumns()) != len(info.Columns)) {
			for _, c := range info.WritableColumns() {
				if !containsFold(w.extendNames, c) {
					names = append(names, c)
				}
			}
		} else if len(w.extendNames) > 0 {
			return nil, fmt.Errorf("writing %s: routes extract columns need the table description (ChunkTarget.Info)", w.table)
		}
	} else if info != nil {
		if unknown := info.UnknownColumns(columns); len(unknown) > 0 {
			return nil, fmt.Errorf("writing %s from %s: %w: %s", w.table, w.t.Path, ErrUnknownColumns, strings.Join(unknown, ","))
		}
	}
	r := &resolvedColumns{override: make([]int, len(names))}
	for i := range r.override {
		r.override[i] = -1
	}
	for ei, en := range w.extendNames {
		found := false
		for i, n := range names {
			if strings.EqualFold(n, en) {
				r.override[i] = ei
				found = true
			}
		}
		if !found {
			r.appended = append(r.appended, ei)
		}
	}
	if names != nil || len(r.appended) > 0 {
		var sb strings.Builder
		sb.WriteByte('(')
		for i, n := range names {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(schema.QuoteName(n))
		}
		for i, ei := range r.appended {
			if i > 0 || len(names) > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(schema.QuoteName(w.extendNames[ei]))
		}
		sb.WriteString(") ")
		r.colList = sb.String()
	}
	w.lastColumns = append(w.lastColumns[:0], columns...)
	w.lastNil = columns == nil
	w.lastResolved = r
	return r, nil
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// Append encodes one row (its field bytes are copied, so the parser may
// reuse its buffers) and reports whether a statement was completed: the
// statement reached logical-import-batch-size or -batch-rows with this row,
// or this row's column list ended the one before. Callers flush after one
// or several completed statements; a flush sends exactly the statements
// Append delimited, so a transaction never ends with a stray short one.
// columns are the row's column names (INSERT column list or CSV header),
// nil for table order.
func (w *ChunkWriter) Append(columns []string, row parser.Row) (full bool, err error) {
	if w.progressEnabled() && row.RowID <= 0 {
		// The progress row filters re-applied rows by row ID; without IDs
		// it would drop rows.
		return false, fmt.Errorf("writing %s from %s at offset %d: row has no row ID, which progress tracking needs", w.table, w.t.Path, row.Offset)
	}
	if columns == nil && len(row.Fields) == 0 {
		// "VALUES ()" means all defaults; an explicit empty column list
		// keeps it valid even when table order would name columns.
		columns = []string{}
	}
	r, err := w.resolve(columns)
	if err != nil {
		return false, err
	}
	buf := make([]byte, 0, 16+8*len(row.Fields))
	buf = append(buf, '(')
	for i, f := range row.Fields {
		if i > 0 {
			buf = append(buf, ',')
		}
		if i < len(r.override) && r.override[i] >= 0 {
			buf = append(buf, w.extendValues[r.override[i]]...)
			continue
		}
		buf, err = w.b.enc.appendField(buf, f)
		if err != nil {
			return false, fmt.Errorf("encoding row of %s at offset %d, column %d: %w", w.t.Path, row.Offset, i+1, err)
		}
	}
	for i, ei := range r.appended {
		if i > 0 || len(row.Fields) > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, w.extendValues[ei]...)
	}
	buf = append(buf, ')')

	completed := false
	if w.lastGroup == nil || w.lastGroup.colList != r.colList {
		// Another column list starts another statement.
		completed = w.openStmtRows > 0
		w.openStmtBytes, w.openStmtRows = 0, 0
		w.lastGroup = &group{colList: r.colList}
		w.groups = append(w.groups, w.lastGroup)
	}
	if w.openStmtRows == 0 {
		w.openStmtBytes = len(w.statementPrefix(r.colList))
	} else {
		w.openStmtBytes++ // the comma
	}
	w.openStmtBytes += len(buf)
	w.openStmtRows++
	ends := w.openStmtBytes >= w.b.batchBytes || w.openStmtRows >= w.b.batchRows
	if ends {
		w.openStmtBytes, w.openStmtRows = 0, 0
	}
	w.lastGroup.tuples = append(w.lastGroup.tuples, tuple{text: buf, offset: row.EndOffset, rowID: row.RowID, endsStatement: ends})
	w.pendingRows++
	w.endOffset, w.rowID = row.EndOffset, row.RowID
	w.progressDirty = true
	return completed || ends, nil
}

// statementPrefix is the text before the tuples of a statement.
func (w *ChunkWriter) statementPrefix(colList string) string {
	return w.verb + w.table + " " + colList + "VALUES "
}

// Pending is the number of appended rows not yet flushed.
func (w *ChunkWriter) Pending() int { return w.pendingRows }

// ChunkPosition is a chunk's committed progress: where a resumed parser
// continues, and the chunk's cumulative counts committed with it.
type ChunkPosition struct {
	// StmtStart is the offset of the statement (SQL files: the INSERT whose
	// header a resumed parser must re-read) that holds the next row; 0 for
	// formats without statements.
	StmtStart int64
	// EndOffset and RowID are just past / of the last committed row.
	EndOffset int64
	RowID     int64
	// Rows, TypeErrors and Conflicts are totals over all committed batches
	// of the chunk (ignored by SetPosition: the writer maintains them).
	Rows, TypeErrors, Conflicts int64
}

// SetPosition sets the position committed by the next Flush, overriding
// the default (the last appended row's end offset and row ID).
func (w *ChunkWriter) SetPosition(p ChunkPosition) {
	w.stmtStart = p.StmtStart
	w.endOffset, w.rowID = p.EndOffset, p.RowID
	w.progressDirty = true
}

// SetProgress overrides the progress marker committed by the next Flush
// (by default the last appended row's end offset and row ID), e.g. to move
// past trailing bytes that held no rows.
func (w *ChunkWriter) SetProgress(endOffset, rowID int64) {
	w.endOffset, w.rowID = endOffset, rowID
	w.progressDirty = true
}

// WriteRows appends rows and flushes whenever a batch is full and at the
// end. Progress is the last row's position.
func (w *ChunkWriter) WriteRows(ctx context.Context, columns []string, rows []parser.Row) (WriteResult, error) {
	var total WriteResult
	for _, r := range rows {
		full, err := w.Append(columns, r)
		if err != nil {
			return total, err
		}
		if full {
			res, err := w.Flush(ctx)
			total.add(res)
			if err != nil {
				return total, err
			}
		}
	}
	res, err := w.Flush(ctx)
	total.add(res)
	return total, err
}

// WriteBatchWithProgress writes rows and the progress marker (endOffset,
// rowID) in one transaction, whatever the batch limits (statements are
// still split by them inside the transaction).
func (w *ChunkWriter) WriteBatchWithProgress(ctx context.Context, columns []string, rows []parser.Row, endOffset, rowID int64) (WriteResult, error) {
	for _, r := range rows {
		if _, err := w.Append(columns, r); err != nil {
			return WriteResult{}, err
		}
	}
	w.SetProgress(endOffset, rowID)
	return w.Flush(ctx)
}

// WriteRows is a one-shot helper: a writer for t, all rows, flushed.
func (b *Backend) WriteRows(ctx context.Context, t ChunkTarget, columns []string, rows []parser.Row) (WriteResult, error) {
	w, err := b.NewChunkWriter(t)
	if err != nil {
		return WriteResult{}, err
	}
	return w.WriteRows(ctx, columns, rows)
}

type errRecord struct {
	conflict bool
	offset   int64
	rowID    int64
	msg      string
	rowData  string
}

// errCommit marks a failure of COMMIT itself, whose outcome is unknown.
type errCommit struct{ err error }

func (e *errCommit) Error() string { return "committing batch: " + e.err.Error() }
func (e *errCommit) Unwrap() error { return e.err }

// Flush writes the pending rows, their error records and the progress row
// in one transaction, retrying transient failures, then checks the error
// budgets.
func (w *ChunkWriter) Flush(ctx context.Context) (WriteResult, error) {
	if w.pendingRows == 0 && (!w.progressDirty || !w.progressEnabled()) {
		return WriteResult{}, nil
	}
	if w.progressEnabled() || w.b.taskSchema != "" {
		if err := w.b.EnsureTaskTables(ctx); err != nil {
			return WriteResult{}, err
		}
	}
	var res WriteResult
	var err error
	for attempt := 0; ; attempt++ {
		res, err = w.flushOnce(ctx)
		if err == nil {
			break
		}
		if !isTransient(err) {
			return WriteResult{}, err
		}
		var ce *errCommit
		if errors.As(err, &ce) && w.progressEnabled() {
			// The COMMIT may have happened; the progress row tells.
			p, found, lerr := w.b.LoadChunkPosition(ctx, w.t.TaskID, w.t.ChunkKey)
			if lerr == nil && found && p.EndOffset == w.endOffset && p.RowID == w.rowID {
				err = nil
				res.EndOffset, res.RowID = w.endOffset, w.rowID
				break
			}
		}
		if attempt+1 >= w.b.retry.attempts {
			return WriteResult{}, fmt.Errorf("%w: writing %s from %s up to offset %d: %w", ErrRetryable, w.table, w.t.Path, w.endOffset, err)
		}
		w.b.logger.Warn("transient error writing batch, retrying", zap.String("table", w.table),
			zap.String("path", w.t.Path), zap.Int64("endOffset", w.endOffset), zap.Int("attempt", attempt+1), zap.Error(err))
		if werr := w.b.retry.wait(ctx, attempt); werr != nil {
			return WriteResult{}, werr
		}
	}
	w.groups, w.lastGroup = nil, nil
	w.pendingRows, w.openStmtBytes, w.openStmtRows = 0, 0, 0
	w.progressDirty = false
	w.typeErrors += res.TypeErrors
	w.conflicts += res.Conflicts
	if err := w.checkBudgets(ctx, res); err != nil {
		return res, err
	}
	return res, nil
}

func (w *ChunkWriter) checkBudgets(ctx context.Context, res WriteResult) error {
	if res.TypeErrors == 0 && res.Conflicts == 0 {
		return nil
	}
	typeTotal := w.t.BaseTypeErrors + w.typeErrors
	conflictTotal := w.t.BaseConflicts + w.conflicts
	if w.b.taskSchema != "" {
		te, ce, err := w.b.CountRecordedErrors(ctx, w.t.TaskID)
		if err != nil {
			return err
		}
		typeTotal = max(typeTotal, te)
		conflictTotal = max(conflictTotal, ce)
	}
	if res.TypeErrors > 0 && typeTotal > w.b.typeBudget {
		return fmt.Errorf("writing %s from %s: %w: '%d' (%d type errors)", w.table, w.t.Path, ErrTypeErrorsExceeded, w.b.typeBudget, typeTotal)
	}
	if res.Conflicts > 0 && conflictTotal > w.b.conflictBudget {
		return fmt.Errorf("writing %s from %s: %w: '%d' (%d conflicts)", w.table, w.t.Path, ErrConflictsExceeded, w.b.conflictBudget, conflictTotal)
	}
	return nil
}

// ensureProgressRow creates the chunk's progress row, as "nothing
// committed" (row_id -1), in its own autocommit statement. The batch
// transactions then lock an existing row by primary key, which takes a
// record lock only: locking a missing row would take a gap lock, and two
// chunks inserting their first progress rows into the same gap deadlock
// (and every rolled-back attempt burns AUTO_INCREMENT values on the target).
func (w *ChunkWriter) ensureProgressRow(ctx context.Context) error {
	if w.progressRowReady || !w.progressEnabled() {
		return nil
	}
	if err := w.b.execRetry(ctx, "INSERT IGNORE INTO "+w.b.progressTable()+
		" (`task_id`, `chunk_key`, `end_offset`, `row_id`) VALUES (?, ?, 0, -1)", w.t.TaskID, w.t.ChunkKey); err != nil {
		return fmt.Errorf("creating progress row of chunk %q: %w", w.t.ChunkKey, err)
	}
	w.progressRowReady = true
	return nil
}

// flushOnce is one attempt at the batch transaction.
func (w *ChunkWriter) flushOnce(ctx context.Context) (res WriteResult, err error) {
	if err := w.ensureProgressRow(ctx); err != nil {
		return res, err
	}
	conn, err := w.b.db.Conn(ctx)
	if err != nil {
		return res, fmt.Errorf("getting a connection for %s: %w", w.table, err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("beginning batch transaction for %s: %w", w.table, err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = tx.Rollback()
		}
	}()

	// Lock the progress row and learn what an earlier attempt committed:
	// rows up to that row ID must not be written again.
	skipUpTo := int64(-1)
	var stored ChunkPosition
	if w.progressEnabled() {
		var rid int64
		err := tx.QueryRowContext(ctx, "SELECT `end_offset`, `row_id`, `rows_written`, `type_errors`, `conflicts` FROM "+w.b.progressTable()+" WHERE `task_id` = ? AND `chunk_key` = ? FOR UPDATE",
			w.t.TaskID, w.t.ChunkKey).Scan(&stored.EndOffset, &rid, &stored.Rows, &stored.TypeErrors, &stored.Conflicts)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return res, fmt.Errorf("locking progress of chunk %q: %w", w.t.ChunkKey, err)
		case rid >= 0: // -1: the row exists but nothing was committed yet
			skipUpTo = rid
		}
	}

	var records []errRecord
	for _, g := range w.groups {
		prefix := w.statementPrefix(g.colList)
		var stmt []byte
		var inStmt []tuple
		send := func() error {
			if len(inStmt) == 0 {
				return nil
			}
			recs, n, err := w.execStatement(ctx, tx, prefix, stmt, inStmt)
			if err != nil {
				return err
			}
			records = append(records, recs...)
			res.Rows += n
			res.Bytes += int64(len(stmt))
			stmt, inStmt = stmt[:0], inStmt[:0]
			return nil
		}
		for _, tp := range g.tuples {
			if skipUpTo >= 0 && tp.rowID <= skipUpTo {
				res.SkippedRows++
			} else {
				if len(inStmt) == 0 {
					stmt = append(stmt, prefix...)
				} else {
					stmt = append(stmt, ',')
				}
				stmt = append(stmt, tp.text...)
				inStmt = append(inStmt, tp)
			}
			if tp.endsStatement {
				if err := send(); err != nil {
					return res, err
				}
			}
		}
		if err := send(); err != nil {
			return res, err
		}
	}

	for _, r := range records {
		if r.conflict {
			res.Conflicts++
		} else {
			res.TypeErrors++
		}
	}
	if err := w.insertRecords(ctx, tx, records); err != nil {
		return res, err
	}
	// Progress only moves forward: a stale attempt must not rewind it.
	forward := skipUpTo < 0 || w.rowID > skipUpTo || (w.rowID == skipUpTo && w.endOffset > stored.EndOffset)
	if w.progressEnabled() && forward {
		if _, err := tx.ExecContext(ctx, "INSERT INTO "+w.b.progressTable()+
			" (`task_id`, `chunk_key`, `stmt_start`, `end_offset`, `row_id`, `rows_written`, `type_errors`, `conflicts`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"+
			" ON DUPLICATE KEY UPDATE `stmt_start` = VALUES(`stmt_start`), `end_offset` = VALUES(`end_offset`), `row_id` = VALUES(`row_id`),"+
			" `rows_written` = VALUES(`rows_written`), `type_errors` = VALUES(`type_errors`), `conflicts` = VALUES(`conflicts`), `update_time` = CURRENT_TIMESTAMP(6)",
			w.t.TaskID, w.t.ChunkKey, w.stmtStart, w.endOffset, w.rowID,
			stored.Rows+res.Rows, stored.TypeErrors+res.TypeErrors, stored.Conflicts+res.Conflicts); err != nil {
			return res, fmt.Errorf("saving progress of chunk %q: %w", w.t.ChunkKey, err)
		}
	}
	if err := tx.Commit(); err != nil {
		committed = true // the driver has finished the transaction either way
		return res, &errCommit{err: err}
	}
	committed = true
	res.EndOffset, res.RowID = w.endOffset, w.rowID
	return res, nil
}

// execStatement runs one multi-row statement. On a row-level failure it
// replays the rows one by one in the same transaction (the failed statement
// rolled back only itself) and returns the records of the rejected rows.
func (w *ChunkWriter) execStatement(ctx context.Context, tx *sql.Tx, prefix string, stmt []byte, tuples []tuple) ([]errRecord, int64, error) {
	_, err := tx.ExecContext(ctx, string(stmt))
	if err == nil {
		return nil, int64(len(tuples)), nil
	}
	if !isRowLevel(err) {
		return nil, 0, fmt.Errorf("writing %s from %s (rows ending at offsets %d..%d): %w", w.table, w.t.Path, tuples[0].offset, tuples[len(tuples)-1].offset, err)
	}
	var recs []errRecord
	var ok int64
	for _, tp := range tuples {
		_, err := tx.ExecContext(ctx, prefix+string(tp.text))
		if err == nil {
			ok++
			continue
		}
		if !isRowLevel(err) {
			return nil, 0, fmt.Errorf("writing %s from %s (row ending at offset %d): %w", w.table, w.t.Path, tp.offset, err)
		}
		rec := errRecord{offset: tp.offset, rowID: tp.rowID, msg: err.Error(), rowData: printable(tp.text, recordTextLimit)}
		if isDuplicate(err) {
			rec.conflict = true
			if w.b.strategy == config.ConflictError {
				// Terminal: record the conflict outside the (rolled back)
				// batch so it survives, then fail with the server's text.
				_ = tx.Rollback()
				if rerr := w.recordAutocommit(ctx, rec); rerr != nil {
					w.b.logger.Warn("could not record conflict", zap.String("table", w.table), zap.Error(rerr))
				}
				return nil, 0, fmt.Errorf("writing %s from %s (row ending at offset %d): %w: %w", w.table, w.t.Path, tp.offset, ErrDuplicate, err)
			}
		}
		recs = append(recs, rec)
	}
	return recs, ok, nil
}

func (w *ChunkWriter) recordAutocommit(ctx context.Context, rec errRecord) error {
	if w.b.taskSchema == "" {
		return nil
	}
	conn, err := w.b.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return w.insertRecords(ctx, conn, []errRecord{rec})
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// insertRecords stores error records (nothing when recording is disabled).
// Conflicts beyond conflict.max-record-rows are counted but not stored.
func (w *ChunkWriter) insertRecords(ctx context.Context, ex execer, recs []errRecord) error {
	if w.b.taskSchema == "" || len(recs) == 0 {
		return nil
	}
	q := schema.QuoteName(w.b.taskSchema)
	tableName := w.table
	stored := w.conflicts
	for _, r := range recs {
		var err error
		if r.conflict {
			stored++
			if stored > w.b.maxRecordRows {
				continue
			}
			_, err = ex.ExecContext(ctx, "INSERT INTO "+q+"."+conflictTable+" (`task_id`, `table_name`, `path`, `offset`, `error`, `row_id`, `row_data`) VALUES (?, ?, ?, ?, ?, ?, ?)",
				w.t.TaskID, tableName, w.t.Path, r.offset, printable([]byte(r.msg), recordTextLimit), r.rowID, r.rowData)
			if err != nil {
				return fmt.Errorf("recording conflicting row of %s at offset %d: %w", w.table, r.offset, err)
			}
			continue
		}
		// taskinfo names the row in its error.
		if err = taskinfo.InsertTypeError(ctx, ex, w.b.taskSchema, taskinfo.TypeError{TaskID: w.t.TaskID, Table: tableName,
			Path: w.t.Path, Offset: r.offset, Error: printable([]byte(r.msg), recordTextLimit), RowData: r.rowData}); err != nil {
			return err
		}
	}
	return nil
}
