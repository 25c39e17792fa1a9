package logical

import (
	"errors"
	"testing"
	"time"

	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/parser"
	"github.com/tempestdb/tempest/internal/testenv"
)

func intRows(from, to int64) []parser.Row {
	var f [][]parser.Field
	for i := from; i <= to; i++ {
		f = append(f, []parser.Field{num(itoa(i))})
	}
	return rows(from, f...)
}

func itoa(i int64) string {
	return string(appendInt(nil, i))
}

func appendInt(b []byte, i int64) []byte {
	if i >= 10 {
		b = appendInt(b, i/10)
	}
	return append(b, byte('0'+i%10))
}

// killOthers kills every client session except the caller's: a crash of
// the importer as far as the server can tell.
func killOthers(t *testing.T, srv *testenv.Server) {
	t.Helper()
	ids, err := srv.Query(testCtx(t), "SELECT ID FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND USER = 'root'")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		// A session may end on its own meanwhile; that is fine.
		_ = srv.Exec(testCtx(t), "KILL "+id[0])
	}
}

// TestProgressExactlyOnce: an attempt commits two batches but heartbeats
// only the first, then dies. The next attempt resumes from the heartbeat and
// re-sends the second batch: the progress row makes the writer skip it, so
// strategy "error" sees no duplicate and the table ends with exact counts.
func TestProgressExactlyOnce(t *testing.T) {
	srv, b, db := setup(t, nil)
	ctx := testCtx(t)
	if err := srv.Exec(ctx, "CREATE TABLE `"+db+"`.t (id INT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	target := ChunkTarget{DB: db, Table: "t", Path: "t.sql", TaskID: 5, ChunkKey: "t.sql:0"}
	if _, found, err := loadProgress(t, b, target); err != nil || found {
		t.Fatalf("fresh chunk has progress: %v %v", found, err)
	}
	w1, err := b.NewChunkWriter(target)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w1.WriteBatchWithProgress(ctx, nil, intRows(1, 3), 30, 3); err != nil {
		t.Fatal(err)
	}
	heartbeat := [2]int64{30, 3}
	if _, err := w1.WriteBatchWithProgress(ctx, nil, intRows(4, 6), 60, 6); err != nil {
		t.Fatal(err)
	}
	killOthers(t, srv)

	pos, found, err := loadProgress(t, b, target)
	if err != nil || !found || pos != [2]int64{60, 6} {
		t.Fatalf("progress = %v %v %v, want [60 6]", pos, found, err)
	}
	// The resumed attempt starts from the (stale) heartbeat.
	w2, err := b.NewChunkWriter(target)
	if err != nil {
		t.Fatal(err)
	}
	res, err := w2.WriteRows(ctx, nil, intRows(heartbeat[1]+1, 9))
	if err != nil {
		t.Fatal(err)
	}
	if res.SkippedRows != 3 || res.Rows != 3 || res.RowID != 9 || res.EndOffset != 90 {
		t.Fatalf("result %+v", res)
	}
	expect(t, srv, "SELECT count(*), sum(id) FROM `"+db+"`.t", "9|45")
	// A retry of the very last batch is a no-op.
	res, err = w2.WriteRows(ctx, nil, intRows(7, 9))
	if err != nil || res.Rows != 0 || res.SkippedRows != 3 {
		t.Fatalf("replay: %+v %v", res, err)
	}
	expect(t, srv, "SELECT count(*) FROM `"+db+"`.t", "9")

	// SetPosition commits a statement start with the batch; the counts are
	// cumulative over every attempt of the chunk.
	w2.SetPosition(ChunkPosition{StmtStart: 55, EndOffset: 95, RowID: 9})
	if _, err := w2.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	p, found, err := b.LoadChunkPosition(ctx, 5, target.ChunkKey)
	if err != nil || !found || p != (ChunkPosition{StmtStart: 55, EndOffset: 95, RowID: 9, Rows: 9}) {
		t.Fatalf("position = %+v %v %v", p, found, err)
	}

	if err := b.ClearTaskProgress(ctx, 5); err != nil {
		t.Fatal(err)
	}
	if _, found, err := loadProgress(t, b, target); err != nil || found {
		t.Fatalf("progress after clear: %v %v", found, err)
	}
}

func loadProgress(t *testing.T, b *Backend, target ChunkTarget) ([2]int64, bool, error) {
	off, rid, found, err := b.LoadChunkProgress(testCtx(t), target.TaskID, target.ChunkKey)
	return [2]int64{off, rid}, found, err
}

// Without a task-info schema there is no progress row: re-sending a batch
// is at-least-once and strategy "error" reports the duplicate.
func TestNoProgressIsAtLeastOnce(t *testing.T) {
	srv, b, db := setup(t, func(c *config.Config) { c.Lightning.TaskInfoSchemaName = "" })
	ctx := testCtx(t)
	if err := srv.Exec(ctx, "CREATE TABLE `"+db+"`.t (id INT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	target := ChunkTarget{DB: db, Table: "t", TaskID: 5, ChunkKey: "k"}
	if _, err := b.WriteRows(ctx, target, nil, intRows(1, 3)); err != nil {
		t.Fatal(err)
	}
	if _, found, err := loadProgress(t, b, target); err != nil || found {
		t.Fatalf("progress without task schema: %v %v", found, err)
	}
	_, err := b.WriteRows(ctx, target, nil, intRows(3, 4))
	if !errors.Is(err, ErrDuplicate) {
		t.Fatalf("err = %v", err)
	}
}

// TestTransientRetry: a lock wait timeout (1205) aborts the batch, which is
// retried from scratch once the lock is gone.
func TestTransientRetry(t *testing.T) {
	srv, b, db := setup(t, func(c *config.Config) {
		c.TiDB.SessionVars = map[string]string{"innodb_lock_wait_timeout": "1"}
	})
	ctx := testCtx(t)
	if err := srv.Exec(ctx, "CREATE TABLE `"+db+"`.t (id INT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	conn, err := srv.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "INSERT INTO `"+db+"`.t VALUES (2)"); err != nil {
		t.Fatal(err)
	}
	released := make(chan struct{})
	go func() {
		time.Sleep(1500 * time.Millisecond)
		_, _ = conn.ExecContext(ctx, "ROLLBACK")
		close(released)
	}()
	start := time.Now()
	res, err := b.WriteRows(ctx, ChunkTarget{DB: db, Table: "t", TaskID: 1, ChunkKey: "k"}, nil, intRows(1, 3))
	<-released
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) < time.Second {
		t.Fatalf("write finished in %v: the lock was not hit", time.Since(start))
	}
	if res.Rows != 3 {
		t.Fatalf("result %+v", res)
	}
	expect(t, srv, "SELECT count(*) FROM `"+db+"`.t", "3")
}

// With primary keys required by the server, the error tables get a
// surrogate key instead of failing the import.
func TestTaskTablesWithForcedPrimaryKey(t *testing.T) {
	srv, b, db := setup(t, nil)
	ctx := testCtx(t)
	if err := srv.Exec(ctx, "SET GLOBAL innodb_force_primary_key = ON"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Exec(ctx, "SET GLOBAL innodb_force_primary_key = OFF") })
	// New sessions see the global value.
	b.DB().SetMaxIdleConns(0)
	if err := b.EnsureTaskTables(ctx); err != nil {
		t.Fatal(err)
	}
	if err := srv.Exec(ctx, "CREATE TABLE `"+db+"`.t (id INT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.WriteRows(ctx, ChunkTarget{DB: db, Table: "t", TaskID: 2, ChunkKey: "k"}, nil, intRows(1, 2)); err != nil {
		t.Fatal(err)
	}
	_, err := b.WriteRows(ctx, ChunkTarget{DB: db, Table: "t", TaskID: 2, ChunkKey: "k2"}, nil, intRows(2, 2))
	if !errors.Is(err, ErrDuplicate) {
		t.Fatalf("err = %v", err)
	}
	expect(t, srv, "SELECT count(*) FROM `"+b.taskSchema+"`.conflict_records WHERE _tempest_id > 0", "1")
}
