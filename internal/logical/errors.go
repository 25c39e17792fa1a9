package logical

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Errors a caller may test with errors.Is. The texts of the threshold errors
// are Lightning's.
var (
	ErrTypeErrorsExceeded = errors.New("The number of type errors exceeds the threshold configured by `max-error.type`")
	ErrConflictsExceeded  = errors.New("The number of conflict errors exceeds the threshold configured by `conflict.threshold`")
	// ErrDuplicate wraps the server's "Duplicate entry" error under
	// conflict.strategy = "error".
	ErrDuplicate = errors.New("duplicate key under conflict.strategy = \"error\"")
	// ErrUnknownColumns is a column list naming columns the table lacks.
	ErrUnknownColumns = errors.New("unknown columns in header")
	// ErrRetryable marks a transient failure that outlived the in-process
	// retries; the caller may retry the whole activity.
	ErrRetryable = errors.New("transient database error")
)

// IsRetryable reports whether err is worth retrying by the caller (a new
// activity attempt). Data errors, budget errors and duplicates are not.
func IsRetryable(err error) bool {
	return errors.Is(err, ErrRetryable) || isTransient(err)
}

// MySQL / MariaDB / TiDB error codes that mean "try again".
var transientCodes = map[uint16]bool{
	1040: true, // too many connections
	1053: true, // server shutdown in progress
	1205: true, // lock wait timeout
	1213: true, // deadlock
	1317: true, // query interrupted
	1927: true, // MariaDB: connection killed
	2006: true, // server has gone away
	2013: true, // lost connection during query
	8002: true, // TiDB: SELECT FOR UPDATE write conflict
	8022: true, // TiDB: transaction commit failed, retryable
	8027: true, // TiDB: schema version changed
	8028: true, // TiDB: information schema changed
	9001: true, // TiDB: PD server timeout
	9002: true, // TiDB: TiKV server timeout
	9003: true, // TiDB: TiKV server busy
	9004: true, // TiDB: resolve lock timeout
	9005: true, // TiDB: region unavailable
	9006: true, // TiDB: GC life time shorter than txn
	9007: true, // TiDB: write conflict
}

// Codes that concern the statement as a whole, not one row: retrying row by
// row would only repeat them.
var statementCodes = map[uint16]bool{
	1044: true, // access denied to database
	1045: true, // access denied
	1049: true, // unknown database
	1054: true, // unknown column
	1064: true, // syntax error
	1142: true, // command denied
	1146: true, // table doesn't exist
	1227: true, // needs privilege
	1290: true, // read-only / option prevents statement
	1792: true, // read-only transaction
	1109: true, // unknown table
}

func mysqlCode(err error) (uint16, bool) {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number, true
	}
	return 0, false
}

func isTransient(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if code, ok := mysqlCode(err); ok {
		return transientCodes[code]
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNABORTED) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}

func isStatementLevel(err error) bool {
	code, ok := mysqlCode(err)
	return ok && statementCodes[code]
}

func isDuplicate(err error) bool {
	code, ok := mysqlCode(err)
	// 1062 duplicate entry; 1586 duplicate entry for key (partitioned); 1022
	// duplicate key on write.
	return ok && (code == 1062 || code == 1586 || code == 1022)
}

// isRowLevel says whether err, returned for a statement that wrote rows,
// is caused by the data of some row (and not by the connection or the
// statement's shape).
func isRowLevel(err error) bool {
	if _, ok := mysqlCode(err); ok {
		return !isTransient(err) && !isStatementLevel(err)
	}
	// The driver refuses packets over max_allowed_packet before sending; a
	// single such row is a row-level failure.
	return errors.Is(err, mysql.ErrPktTooLarge)
}

// backoff is a bounded exponential backoff.
type backoff struct {
	attempts int
	base     time.Duration
	max      time.Duration
}

func (b backoff) wait(ctx context.Context, attempt int) error {
	d := b.base << attempt
	if d > b.max || d <= 0 {
		d = b.max
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
