// Package taskinfo holds the tables of the task-info schema
// (lightning.task-info-schema-name) that both backends write: their names,
// their DDL, and the recording of rows that could not be converted
// (type_error_v1). The logical backend records rows the server rejected,
// the physical backend rows its encoder could not cast; a user reads both
// from the same table with the same columns, as with Lightning (reference
// §1.9).
package taskinfo

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/tempestdb/tempest/internal/schema"
)

// Table names inside the task-info schema. type_error_v1 and
// conflict_records are Lightning's user-visible contract; chunk_progress is
// Tempest's exactly-once marker for the logical backend.
const (
	TypeErrorTable     = "type_error_v1"
	ConflictTable      = "conflict_records"
	ChunkProgressTable = "chunk_progress"
)

// TextLimit keeps recorded texts inside a TEXT column (64 KiB).
const TextLimit = 60000

// DDL creates the task-info schema db and its tables (IF NOT EXISTS).
//
// Column sets are Lightning's. No surrogate id column: users SELECT * from
// these tables and compare with Lightning's output (see WithSurrogateKey
// for servers that insist on a primary key). The index is on task_id alone
// because table_name is too long for an index prefix on every server.
func DDL(db string) []string {
	q := schema.QuoteName(db)
	// Column names are backquoted: OFFSET is a reserved word in MariaDB.
	// The DDL is written with ' for ` to keep it readable in Go source.
	bq := func(s string) string { return strings.ReplaceAll(s, "'", "`") }
	return []string{
		"CREATE DATABASE IF NOT EXISTS " + q,
		"CREATE TABLE IF NOT EXISTS " + q + "." + TypeErrorTable + bq(` (
	'task_id'     BIGINT NOT NULL,
	'create_time' DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
	'table_name'  VARCHAR(1024) NOT NULL,
	'path'        VARCHAR(2048) NOT NULL,
	'offset'      BIGINT NOT NULL,
	'error'       TEXT NOT NULL,
	'row_data'    TEXT NOT NULL,
	KEY ('task_id')
)`),
		"CREATE TABLE IF NOT EXISTS " + q + "." + ConflictTable + bq(` (
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
		"CREATE TABLE IF NOT EXISTS " + q + "." + ChunkProgressTable + bq(` (
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

// NeedsSurrogateKey says whether a CREATE TABLE failed because the server
// requires a primary key: sql_require_primary_key (MySQL, TiDB; error 3750)
// or innodb_force_primary_key (MariaDB; 1173).
func NeedsSurrogateKey(code uint16) bool { return code == 3750 || code == 1173 }

// WithSurrogateKey is a CREATE TABLE of DDL with a surrogate primary key
// added. Only in that configuration does SELECT * show the extra column.
func WithSurrogateKey(stmt string) string {
	return strings.Replace(stmt, "\n)", ",\n\t`_tempest_id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY\n)", 1)
}

// Execer is a pool, a connection or a transaction.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Querier is a pool, a connection or a transaction.
type Querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// TypeError is one row that could not be converted to its table's column
// types.
type TypeError struct {
	TaskID int64
	// Table is the qualified, quoted target table (`db`.`t`), as Lightning
	// writes table_name.
	Table string
	Path  string
	// Offset is the row's offset in Path (Lightning: the row's end offset).
	Offset  int64
	Error   string
	RowData string
}

func typeErrorColumns(schemaName string) string {
	return "INSERT INTO " + schema.QuoteName(schemaName) + "." + TypeErrorTable +
		" (`task_id`, `table_name`, `path`, `offset`, `error`, `row_data`) "
}

// InsertTypeError stores one record. Error and RowData must already be
// Printable.
func InsertTypeError(ctx context.Context, ex Execer, schemaName string, r TypeError) error {
	_, err := ex.ExecContext(ctx, typeErrorColumns(schemaName)+"VALUES (?, ?, ?, ?, ?, ?)",
		r.TaskID, r.Table, r.Path, r.Offset, r.Error, r.RowData)
	if err != nil {
		return fmt.Errorf("recording rejected row of %s in %s at offset %d: %w", r.Table, r.Path, r.Offset, err)
	}
	return nil
}

// InsertTypeErrorOnce stores one record unless the task already recorded a
// row of that table at that file and offset: a retried attempt that meets
// the same bad rows again records nothing new, so the table's count is the
// count of distinct bad rows. (A (file, offset) unique key would say the
// same, but the table's shape is Lightning's and path is too long to index
// on every server.) Error and RowData must already be Printable.
func InsertTypeErrorOnce(ctx context.Context, ex Execer, schemaName string, r TypeError) error {
	q := schema.QuoteName(schemaName) + "." + TypeErrorTable
	_, err := ex.ExecContext(ctx, typeErrorColumns(schemaName)+
		"SELECT ?, ?, ?, ?, ?, ? FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM "+q+
		" WHERE `task_id` = ? AND `offset` = ? AND `path` = ? AND `table_name` = ?)",
		r.TaskID, r.Table, r.Path, r.Offset, r.Error, r.RowData,
		r.TaskID, r.Offset, r.Path, r.Table)
	if err != nil {
		return fmt.Errorf("recording rejected row of %s in %s at offset %d: %w", r.Table, r.Path, r.Offset, err)
	}
	return nil
}

// CountTypeErrors counts the records of a task.
func CountTypeErrors(ctx context.Context, q Querier, schemaName string, taskID int64) (int64, error) {
	var n int64
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+schema.QuoteName(schemaName)+"."+TypeErrorTable+" WHERE `task_id` = ?", taskID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("counting type errors of task %d: %w", taskID, err)
	}
	return n, nil
}

// Printable returns text safe for a utf8mb4 TEXT column: invalid bytes are
// written as \xNN so error records never fail on strict servers, and the
// text is cut at about limit bytes.
func Printable(b []byte, limit int) string {
	if utf8.Valid(b) && len(b) <= limit {
		return string(b)
	}
	var sb strings.Builder
	for len(b) > 0 && sb.Len() < limit {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			fmt.Fprintf(&sb, `\x%02X`, b[0])
			b = b[1:]
			continue
		}
		sb.Write(b[:size])
		b = b[size:]
	}
	if len(b) > 0 {
		sb.WriteString("...")
	}
	return sb.String()
}
