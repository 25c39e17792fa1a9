package physical

import (
	"context"
	"database/sql"
	"encoding/hex"
	"strings"
	"time"

	"github.com/tempestdb/tempest/internal/parser"
	"github.com/tempestdb/tempest/internal/taskinfo"
)

// TypeErrorLog is where a chunk's skipped rows are recorded: the task-info
// schema's type_error_v1, the table the logical backend writes too, with
// the same columns.
//
// A physical chunk attempt re-encodes its chunk from the start (see the
// package doc), so a retry meets the same bad rows again. Records are
// therefore written once per (task, table, file, offset)
// (taskinfo.InsertTypeErrorOnce), and the budget is checked against the
// count of recorded rows of the whole task, which a retry does not
// inflate.
type TypeErrorLog struct {
	// DB is a session pool on the target.
	DB *sql.DB
	// Schema is lightning.task-info-schema-name, whose tables exist
	// (created with the task's schemas).
	Schema string
	// TaskID is the task_id column's value.
	TaskID int64
}

type typeErrorRecord struct {
	offset int64
	msg    string
	row    string
}

// recordAttempts bounds the retries of one batch of records on transient
// failures; the chunk activity's own retry is the next level.
const recordAttempts = 3

// record stores recs in one statement each and returns the task's recorded
// type errors.
func (l *TypeErrorLog) record(ctx context.Context, table, path string, recs []typeErrorRecord) (int64, error) {
	for _, r := range recs {
		rec := taskinfo.TypeError{
			TaskID: l.TaskID, Table: table, Path: path, Offset: r.offset,
			Error:   taskinfo.Printable([]byte(r.msg), taskinfo.TextLimit),
			RowData: taskinfo.Printable([]byte(r.row), taskinfo.TextLimit),
		}
		if err := retry(ctx, func() error { return taskinfo.InsertTypeErrorOnce(ctx, l.DB, l.Schema, rec) }); err != nil {
			return 0, err
		}
	}
	var n int64
	err := retry(ctx, func() (err error) {
		n, err = taskinfo.CountTypeErrors(ctx, l.DB, l.Schema, l.TaskID)
		return err
	})
	return n, err
}

// retry runs f up to recordAttempts times while the error is not the
// context's.
func retry(ctx context.Context, f func() error) error {
	var err error
	for i := 0; i < recordAttempts; i++ {
		if err = f(); err == nil || ctx.Err() != nil {
			return err
		}
		t := time.NewTimer(time.Duration(i+1) * 200 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	return err
}

// rowText renders a source row as a SQL tuple, as the row_data of a
// record: the values as the source wrote them.
func rowText(fields []parser.Field) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		switch f.Kind {
		case parser.KindNull:
			b.WriteString("NULL")
		case parser.KindDefault:
			b.WriteString("DEFAULT")
		case parser.KindBool:
			if len(f.Bytes) == 1 && f.Bytes[0] == '0' {
				b.WriteString("FALSE")
			} else {
				b.WriteString("TRUE")
			}
		case parser.KindNumber:
			b.Write(f.Bytes)
		case parser.KindHex, parser.KindBits:
			b.WriteString("x'")
			b.WriteString(hex.EncodeToString(f.Bytes))
			b.WriteByte('\'')
		default:
			b.WriteByte('\'')
			b.WriteString(strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(string(f.Bytes)))
			b.WriteByte('\'')
		}
	}
	b.WriteByte(')')
	return b.String()
}
