package tidb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	tparser "github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/tempestdb/tempest/internal/kv"
)

// Table scans read the record range in batches: each batch is one KV Scan
// from a resume key that stops after scanBatchRows records or
// scanBatchBytes of raw pairs, whichever comes first (always at least one
// record), and only that batch is decoded and held. A scan's memory is
// therefore bounded by one batch whatever the table's size; the store
// holds no iterator between batches, so the engine may pull rows at its
// own pace.
const (
	scanBatchRows  = 1024
	scanBatchBytes = 4 << 20
)

// rowIter streams the decoded records of one physical table. Each batch
// sees the store as it is when the batch is read (rows written behind the
// resume key by other sessions are not seen, rows ahead of it are), which
// is the consistency a statement without transactions can expect.
type rowIter struct {
	t     *table
	dec   *kv.Decoder
	next  []byte // resume key: the first key the next batch may return
	end   []byte
	done  bool
	batch []sql.Row
	pos   int
}

func (t *table) newRowIter(ctx context.Context, pid int64) *rowIter {
	start := kv.AppendRecordPrefix(nil, pid)
	return &rowIter{
		t:    t,
		dec:  kv.NewDecoder(t.snap.Info, sessionLocation(ctx), true),
		next: start,
		end:  prefixEnd(start),
	}
}

// Next implements sql.RowIter.
func (it *rowIter) Next(ctx *sql.Context) (sql.Row, error) {
	for it.pos >= len(it.batch) {
		if it.done {
			return nil, io.EOF
		}
		if err := it.fill(ctx); err != nil {
			return nil, err
		}
	}
	r := it.batch[it.pos]
	it.batch[it.pos] = nil // returned rows belong to the engine now
	it.pos++
	return r, nil
}

// fill replaces the batch with the next records after the resume key.
func (it *rowIter) fill(ctx context.Context) error {
	clear(it.batch)
	it.batch, it.pos = it.batch[:0], 0
	var last []byte
	size := 0
	err := it.t.b.kv.Scan(ctx, it.next, it.end, func(k, v []byte) error {
		r, err := it.t.decode(ctx, it.dec, k, v)
		if err != nil {
			return err
		}
		it.batch = append(it.batch, r.row)
		size += len(k) + len(v)
		if len(it.batch) >= scanBatchRows || size >= scanBatchBytes {
			last = append(last[:0], k...)
			return errStop
		}
		return nil
	})
	switch {
	case errors.Is(err, errStop):
		// The batch is full; more records may follow.
		it.next = append(last, 0) // the smallest key after last
	case err != nil:
		return fmt.Errorf("reading %s.%s from key %x: %w", it.t.db, it.t.snap.Name, it.next, err)
	default:
		it.done = true
	}
	return nil
}

// Close implements sql.RowIter.
func (it *rowIter) Close(*sql.Context) error {
	it.batch, it.done = nil, true
	return nil
}

// stmtKinds remembers, per statement text, whether streaming its table
// scans is safe. Statements repeat (an importer's checks, the engine asking
// once per partition), and parsing is far cheaper than a scan but not free.
type stmtKinds struct {
	mu   sync.Mutex
	last string
	safe bool
}

// streamSafe reports whether a statement's table scans may stream. Scans
// of read-only statements and DELETE may: a DELETE only removes rows the
// cursor has passed. UPDATE, INSERT/REPLACE ... SELECT and anything not
// understood may not: the engine writes each row as it reads it, and a
// rewritten or inserted row can land ahead of the cursor (a new
// _tidb_rowid, a bigger primary key) and be read, and written, again.
// Their scans read the table into memory first, as a snapshot.
func (s *stmtKinds) streamSafe(query string) bool {
	if query == "" {
		return true // engine-internal reads (information_schema, tests)
	}
	s.mu.Lock()
	if s.last == query {
		defer s.mu.Unlock()
		return s.safe
	}
	s.mu.Unlock()
	safe := classifyStreamSafe(query)
	s.mu.Lock()
	s.last, s.safe = query, safe
	s.mu.Unlock()
	return safe
}

func classifyStreamSafe(query string) bool {
	stmts, _, err := tparser.New().ParseSQL(query)
	if err != nil || len(stmts) == 0 {
		return false
	}
	for _, st := range stmts {
		if !streamSafeStmt(st) {
			return false
		}
	}
	return true
}

func streamSafeStmt(st ast.StmtNode) bool {
	switch st := st.(type) {
	case *ast.SelectStmt, *ast.SetOprStmt, *ast.ShowStmt, *ast.DeleteStmt:
		return true
	case *ast.ExplainStmt:
		// EXPLAIN ANALYZE runs its statement.
		inner, ok := st.Stmt.(ast.StmtNode)
		return ok && streamSafeStmt(inner)
	}
	return false
}
