package logical

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/tempestdb/tempest/internal/schema"
)

// Table names inside the task-info schema. type_error_v1 and
// conflict_records are Lightning's user-visible contract (reference §1.9);
// chunk_progress is Tempest's exactly-once marker.
const (
	typeErrorTable     = "type_error_v1"
	conflictTable      = "conflict_records"
	chunkProgressTable = "chunk_progress"
)

// Column sets as in Lightning. No surrogate id column: users SELECT * from
// these tables and compare with Lightning's output. The index is on task_id
// alone because table_name is too long for an index prefix on every server.
func taskTableDDL(db string) []string {
	q := schema.QuoteName(db)
	// Column names are backquoted: OFFSET is a reserved word in MariaDB.
	// The DDL is written with ' for ` to keep it readable in Go source.
	bq := func(s string) string { return strings.ReplaceAll(s, "'", "`") }
	return []string{
		"CREATE DATABASE IF NOT EXISTS " + q,
		"CREATE TABLE IF NOT EXISTS " + q + "." + typeErrorTable + bq(` (
	'task_id'     BIGINT NOT NULL,
	'create_time' DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
	'table_name'  VARCHAR(1024) NOT NULL,
	'path'        VARCHAR(2048) NOT NULL,
	'offset'      BIGINT NOT NULL,
	'error'       TEXT NOT NULL,
	'row_data'    TEXT NOT NULL,
	KEY ('task_id')
)`),
		"CREATE TABLE IF NOT EXISTS " + q + "." + conflictTable + bq(` (
	'task_id'     BIGINT NOT NULL,
	'create_time' DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
	'table_name'  VARCHAR(1024) NOT NULL,
	'path'        VARCHAR(2048) NOT NULL,
	'offset'      BIGINT NOT NULL,
	'error'       TEXT NOT NULL,
	'row_id'      BIGINT NOT NULL,
	'row_data'    TEXT NOT NULL,
	KEY ('task_id')
)`),
		"CREATE TABLE IF NOT EXISTS " + q + "." + chunkProgressTable + bq(` (
	'task_id'      BIGINT NOT NULL,
	'chunk_key'    VARCHAR(512) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
	'stmt_start'   BIGINT NOT NULL DEFAULT 0,
	'end_offset'   BIGINT NOT NULL,
	'row_id'       BIGINT NOT NULL,
	'rows_written' BIGINT NOT NULL DEFAULT 0,
	'type_errors'  BIGINT NOT NULL DEFAULT 0,
	'conflicts'    BIGINT NOT NULL DEFAULT 0,
	'update_time' DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
	PRIMARY KEY ('task_id', 'chunk_key')
)`),
	}
}

// EnsureTaskTables creates the task-info schema and its tables (IF NOT
// EXISTS). It is a no-op when task-info-schema-name is empty. Writers call
// it lazily; callers may call it up front to fail early on privileges.
func (b *Backend) EnsureTaskTables(ctx context.Context) error {
	if b.taskSchema == "" {
		return nil
	}
	b.tablesMu.Lock()
	defer b.tablesMu.Unlock()
	if b.tablesReady {
		return nil
	}
	for _, stmt := range taskTableDDL(b.taskSchema) {
		err := b.execRetry(ctx, stmt)
		if code, ok := mysqlCode(err); ok && (code == 3750 || code == 1173) {
			// sql_require_primary_key (MySQL, TiDB) or innodb_force_primary_key
			// (MariaDB) is on: give the error tables a surrogate key. Only in
			// that configuration does SELECT * show the extra column.
			err = b.execRetry(ctx, strings.Replace(stmt, "\n)", ",\n\t`_tempest_id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY\n)", 1))
		}
		if err != nil {
			return fmt.Errorf("creating task-info table in %s: %w", schema.QuoteName(b.taskSchema), err)
		}
	}
	b.tablesReady = true
	return nil
}

// execRetry runs a standalone statement, retrying transient failures.
func (b *Backend) execRetry(ctx context.Context, stmt string, args ...any) error {
	var err error
	for attempt := 0; attempt < b.retry.attempts; attempt++ {
		if _, err = b.db.ExecContext(ctx, stmt, args...); err == nil || !isTransient(err) {
			return err
		}
		if werr := b.retry.wait(ctx, attempt); werr != nil {
			return werr
		}
	}
	return fmt.Errorf("%w: %w", ErrRetryable, err)
}

func (b *Backend) progressTable() string {
	return schema.QuoteName(b.taskSchema) + "." + chunkProgressTable
}

// LoadChunkProgress returns the committed progress of a chunk: the end
// offset and row ID of the last row written. found is false when nothing of
// the chunk was committed yet (or progress rows are disabled).
func (b *Backend) LoadChunkProgress(ctx context.Context, taskID int64, chunkKey string) (offset, rowID int64, found bool, err error) {
	p, found, err := b.LoadChunkPosition(ctx, taskID, chunkKey)
	return p.EndOffset, p.RowID, found, err
}

// LoadChunkPosition returns a chunk's committed position and cumulative
// counts; found is false when nothing of the chunk was committed yet (or
// progress rows are disabled).
func (b *Backend) LoadChunkPosition(ctx context.Context, taskID int64, chunkKey string) (p ChunkPosition, found bool, err error) {
	if b.taskSchema == "" || chunkKey == "" {
		return p, false, nil
	}
	if err := b.EnsureTaskTables(ctx); err != nil {
		return p, false, err
	}
	for attempt := 0; ; attempt++ {
		err = b.db.QueryRowContext(ctx, "SELECT `stmt_start`, `end_offset`, `row_id`, `rows_written`, `type_errors`, `conflicts` FROM "+
			b.progressTable()+" WHERE `task_id` = ? AND `chunk_key` = ?", taskID, chunkKey).
			Scan(&p.StmtStart, &p.EndOffset, &p.RowID, &p.Rows, &p.TypeErrors, &p.Conflicts)
		if errors.Is(err, sql.ErrNoRows) {
			return ChunkPosition{}, false, nil
		}
		if err == nil {
			// row_id -1 marks a row created before any batch committed.
			if p.RowID < 0 {
				return ChunkPosition{}, false, nil
			}
			return p, true, nil
		}
		if !isTransient(err) || attempt+1 >= b.retry.attempts {
			return ChunkPosition{}, false, fmt.Errorf("loading progress of chunk %q of task %d: %w", chunkKey, taskID, err)
		}
		if werr := b.retry.wait(ctx, attempt); werr != nil {
			return ChunkPosition{}, false, werr
		}
	}
}

// ClearTaskProgress deletes the progress rows of a task (after it finished,
// or before re-running it from scratch).
func (b *Backend) ClearTaskProgress(ctx context.Context, taskID int64) error {
	if b.taskSchema == "" {
		return nil
	}
	if err := b.EnsureTaskTables(ctx); err != nil {
		return err
	}
	if err := b.execRetry(ctx, "DELETE FROM "+b.progressTable()+" WHERE `task_id` = ?", taskID); err != nil {
		return fmt.Errorf("clearing progress of task %d: %w", taskID, err)
	}
	return nil
}

// CountRecordedErrors counts the type errors and conflicts recorded for a
// task by all workers. It returns zeros when recording is disabled.
func (b *Backend) CountRecordedErrors(ctx context.Context, taskID int64) (typeErrors, conflicts int64, err error) {
	if b.taskSchema == "" {
		return 0, 0, nil
	}
	if err := b.EnsureTaskTables(ctx); err != nil {
		return 0, 0, err
	}
	q := schema.QuoteName(b.taskSchema)
	for attempt := 0; ; attempt++ {
		err = b.db.QueryRowContext(ctx, "SELECT (SELECT COUNT(*) FROM "+q+"."+typeErrorTable+" WHERE `task_id` = ?), (SELECT COUNT(*) FROM "+q+"."+conflictTable+" WHERE `task_id` = ?)",
			taskID, taskID).Scan(&typeErrors, &conflicts)
		if err == nil {
			return typeErrors, conflicts, nil
		}
		if !isTransient(err) || attempt+1 >= b.retry.attempts {
			return 0, 0, fmt.Errorf("counting recorded errors of task %d: %w", taskID, err)
		}
		if werr := b.retry.wait(ctx, attempt); werr != nil {
			return 0, 0, werr
		}
	}
}
