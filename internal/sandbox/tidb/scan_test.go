package tidb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	gsql "github.com/dolthub/go-mysql-server/sql"
	"go.uber.org/zap/zaptest"
)

// countingKV is a MemKV that records how many pairs each Scan call hands
// out, so a test can see how far a table scan reads ahead of its consumer.
type countingKV struct {
	*MemKV
	mu        sync.Mutex
	calls     int
	delivered int
	maxPerRun int
}

func (c *countingKV) Scan(ctx context.Context, start, end []byte, fn func(k, v []byte) error) error {
	n := 0
	err := c.MemKV.Scan(ctx, start, end, func(k, v []byte) error {
		n++
		c.mu.Lock()
		c.delivered++
		c.mu.Unlock()
		return fn(k, v)
	})
	c.mu.Lock()
	c.calls++
	c.maxPerRun = max(c.maxPerRun, n)
	c.mu.Unlock()
	return err
}

func (c *countingKV) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls, c.delivered, c.maxPerRun = 0, 0, 0
}

func (c *countingKV) stats() (calls, delivered, maxPerRun int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls, c.delivered, c.maxPerRun
}

// scanRowCount spans three batches, the last one partial.
const scanRowCount = 2*scanBatchRows + 500

func startCounting(t *testing.T) (*Server, *countingKV, *testEnv) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ckv := &countingKV{MemKV: NewMemKV()}
	srv, err := Start(ctx, Options{KV: ckv, Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	e := &testEnv{srv: srv, kv: ckv.MemKV, db: openDB(t, srv)}
	e.exec(t, "CREATE DATABASE s")
	// c: clustered integer handle; r: implicit _tidb_rowid, so an UPDATE
	// re-inserts each row under a new, larger row ID.
	e.exec(t, "CREATE TABLE s.c (id INT PRIMARY KEY, v VARCHAR(32), f INT)")
	e.exec(t, "CREATE TABLE s.r (id INT, v INT)")
	for lo := 0; lo < scanRowCount; lo += 500 {
		var cv, rv []string
		for i := lo; i < min(lo+500, scanRowCount); i++ {
			cv = append(cv, fmt.Sprintf("(%d, 'v%05d', %d)", i, i, i%7))
			rv = append(rv, fmt.Sprintf("(%d, %d)", i, i))
		}
		e.exec(t, "INSERT INTO s.c VALUES "+strings.Join(cv, ","))
		e.exec(t, "INSERT INTO s.r VALUES "+strings.Join(rv, ","))
	}
	return srv, ckv, e
}

func openDB(t *testing.T, srv *Server) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", "root:x@tcp("+srv.SQLAddress()+")/")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// TestTableScanIsBounded pulls rows through the engine's RowIter one at a
// time and checks the store never hands out more than one batch beyond
// what the consumer has taken: decoded-but-unreturned rows stay bounded by
// scanBatchRows however big the table is. Materialising the table (the old
// behaviour) would read all rows before the first one is returned.
func TestTableScanIsBounded(t *testing.T) {
	srv, ckv, _ := startCounting(t)
	snap, err := srv.b.cat.table("s", "c")
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := newTable(srv.b, "s", snap, false)
	if err != nil {
		t.Fatal(err)
	}
	ctx := gsql.NewEmptyContext().WithQuery("SELECT * FROM s.c")
	parts, err := tbl.Partitions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p, err := parts.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ckv.reset()
	it, err := tbl.PartitionRows(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	pulled, maxAhead := 0, 0
	for {
		row, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := row[0].(int32); int(got) != pulled {
			t.Fatalf("row %d has id %d", pulled, got)
		}
		pulled++
		_, delivered, _ := ckv.stats()
		maxAhead = max(maxAhead, delivered-pulled)
	}
	if err := it.Close(ctx); err != nil {
		t.Fatal(err)
	}
	calls, delivered, perRun := ckv.stats()
	t.Logf("rows %d, scan calls %d, pairs read %d, max per call %d, max read ahead %d", pulled, calls, delivered, perRun, maxAhead)
	if pulled != scanRowCount {
		t.Fatalf("pulled %d rows, want %d", pulled, scanRowCount)
	}
	if maxAhead >= scanBatchRows {
		t.Fatalf("read %d rows ahead of the consumer, want < %d", maxAhead, scanBatchRows)
	}
	if perRun > scanBatchRows {
		t.Fatalf("one KV scan handed out %d pairs, want <= %d", perRun, scanBatchRows)
	}
	if want := scanRowCount/scanBatchRows + 1; calls != want {
		t.Fatalf("%d KV scans, want %d", calls, want)
	}

	// A statement that writes as it reads gets a snapshot instead: every
	// row is read before the first is returned.
	uctx := gsql.NewEmptyContext().WithQuery("UPDATE s.c SET f = f + 1")
	ckv.reset()
	it, err = tbl.PartitionRows(uctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := it.Next(uctx); err != nil {
		t.Fatal(err)
	}
	if _, delivered, _ := ckv.stats(); delivered != scanRowCount {
		t.Fatalf("UPDATE scan read %d rows before the first, want all %d", delivered, scanRowCount)
	}
	_ = it.Close(uctx)
}

// TestMultiBatchQueries runs aggregates, sorts, filters and DML over
// tables spanning several scan batches, through the MySQL protocol.
func TestMultiBatchQueries(t *testing.T) {
	_, ckv, e := startCounting(t)
	ckv.reset()
	if got := e.rows(t, "SELECT COUNT(*) FROM s.c"); got[0][0] != fmt.Sprint(scanRowCount) {
		t.Fatalf("COUNT(*) = %v, want %d", got, scanRowCount)
	}
	calls, _, perRun := ckv.stats()
	if perRun > scanBatchRows || calls < scanRowCount/scanBatchRows+1 {
		t.Fatalf("COUNT(*) read with %d scans of at most %d pairs; want batches of <= %d", calls, perRun, scanBatchRows)
	}
	checks := []struct{ q, want string }{
		{"SELECT id, v FROM s.c ORDER BY v DESC LIMIT 3", fmt.Sprintf("[[%d v%05d] [%d v%05d] [%d v%05d]]",
			scanRowCount-1, scanRowCount-1, scanRowCount-2, scanRowCount-2, scanRowCount-3, scanRowCount-3)},
		{"SELECT COUNT(*), MIN(id), MAX(id) FROM s.c WHERE f = 3 AND id >= 1000", fmt.Sprintf("[[%d 1004 %d]]", countF3(1000), lastF3())},
		{"SELECT id FROM s.c WHERE v = 'v02047' OR v = 'v02048'", "[[2047] [2048]]"},
		{"SELECT COUNT(*) FROM s.c a JOIN s.r b ON a.id = b.v", fmt.Sprint("[[", scanRowCount, "]]")},
	}
	for _, c := range checks {
		if got := fmt.Sprint(e.rows(t, c.q)); got != c.want {
			t.Errorf("%s = %s, want %s", c.q, got, c.want)
		}
	}

	// UPDATE re-inserts every row of r under a new row ID ahead of the
	// scan; each row must still be updated exactly once.
	e.exec(t, "UPDATE s.r SET v = v + 1")
	sum := scanRowCount * (scanRowCount - 1) / 2
	if got := fmt.Sprint(e.rows(t, "SELECT COUNT(*), SUM(v) FROM s.r")); got != fmt.Sprintf("[[%d %d]]", scanRowCount, sum+scanRowCount) {
		t.Fatalf("after UPDATE: %s, want [[%d %d]]", got, scanRowCount, sum+scanRowCount)
	}
	// DELETE streams; removing rows behind the cursor must not skip any.
	e.exec(t, "DELETE FROM s.c WHERE id % 3 = 0 OR id >= 2000")
	want := 0
	for i := range 2000 {
		if i%3 != 0 {
			want++
		}
	}
	if got := e.rows(t, "SELECT COUNT(*) FROM s.c"); got[0][0] != fmt.Sprint(want) {
		t.Fatalf("after DELETE: COUNT(*) = %v, want %d", got, want)
	}
	// TRUNCATE clears the old data batch by batch; none may be left.
	before := ckv.Len()
	e.exec(t, "TRUNCATE TABLE s.r")
	if gone := before - ckv.Len(); gone != scanRowCount {
		t.Fatalf("TRUNCATE removed %d keys, want %d", gone, scanRowCount)
	}
	if got := e.rows(t, "SELECT COUNT(*) FROM s.r"); got[0][0] != "0" {
		t.Fatalf("after TRUNCATE: COUNT(*) = %v", got)
	}
}

func countF3(from int) int {
	n := 0
	for i := from; i < scanRowCount; i++ {
		if i%7 == 3 {
			n++
		}
	}
	return n
}

func lastF3() int {
	for i := scanRowCount - 1; ; i-- {
		if i%7 == 3 {
			return i
		}
	}
}

func TestStreamSafe(t *testing.T) {
	for q, want := range map[string]bool{
		"SELECT COUNT(*) FROM t":                      true,
		"/* c */ select * from a.b where x = 1":       true,
		"SELECT 1 UNION SELECT a FROM t":              true,
		"WITH c AS (SELECT * FROM t) SELECT * FROM c": true,
		"DELETE FROM t WHERE a > 1":                   true,
		"EXPLAIN SELECT * FROM t":                     true,
		"UPDATE t SET a = a + 1":                      false,
		"WITH c AS (SELECT 1) UPDATE t SET a = 2":     false,
		"INSERT INTO t SELECT * FROM t":               false,
		"REPLACE INTO t SELECT * FROM t":              false,
		"EXPLAIN ANALYZE UPDATE t SET a = 1":          false,
		"SELECT 1; UPDATE t SET a = 1":                false,
		"this is not sql":                             false,
		"CREATE TABLE t2 AS SELECT * FROM t":          false,
	} {
		if got := classifyStreamSafe(q); got != want {
			t.Errorf("classifyStreamSafe(%q) = %v, want %v", q, got, want)
		}
	}
}
