package logical

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/tempestdb/tempest/internal/schema"
	"github.com/tempestdb/tempest/internal/taskinfo"
)

// Table names inside the task-info schema (package taskinfo holds their
// DDL, shared with the physical backend).
const (
	typeErrorTable     = taskinfo.TypeErrorTable
	conflictTable      = taskinfo.ConflictTable
	chunkProgressTable = taskinfo.ChunkProgressTable
)

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
	for _, stmt := range taskinfo.DDL(b.taskSchema) {
		err := b.execRetry(ctx, stmt)
		if code, ok := mysqlCode(err); ok && taskinfo.NeedsSurrogateKey(code) {
			// The server requires primary keys: give the error tables a
			// surrogate one.
			err = b.execRetry(ctx, taskinfo.WithSurrogateKey(stmt))
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
