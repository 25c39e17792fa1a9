package physical

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/engine"
	"github.com/tempestdb/tempest/internal/ingest"
	"github.com/tempestdb/tempest/internal/kv"
	"github.com/tempestdb/tempest/internal/parser"
	"github.com/tempestdb/tempest/internal/sandbox"
	"github.com/tempestdb/tempest/internal/sandbox/tidb"
)

type testEnv struct {
	cl     *sandbox.Cluster
	srv    *tidb.Server
	db     *sql.DB
	cfg    *config.Config
	phys   *Physical
	logger *zap.Logger
}

// startEnv starts the sandbox cluster (PD + TiKV) and its TiDB front, and a
// task config pointing at them.
func startEnv(t *testing.T) *testEnv {
	t.Helper()
	logger := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cl, err := sandbox.StartKV(ctx, sandbox.Options{DataDir: t.TempDir(), Logger: logger})
	if err != nil {
		t.Fatalf("start sandbox KV: %v", err)
	}
	t.Cleanup(func() { _ = cl.Stop() })
	srv, err := tidb.Start(ctx, tidb.Options{KV: cl, DataDir: t.TempDir(), PDAddress: cl.PDAddress(), Logger: logger})
	if err != nil {
		t.Fatalf("start sandbox TiDB: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	db, err := sql.Open("mysql", "root@tcp("+srv.SQLAddress()+")/")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })

	cfg := config.Default()
	cfg.TikvImporter.Backend = config.BackendLocal
	host, port := splitHostPort(t, srv.SQLAddress())
	_, status := splitHostPort(t, srv.StatusAddress())
	cfg.TiDB.Host, cfg.TiDB.Port, cfg.TiDB.StatusPort = host, port, status
	cfg.TikvImporter.SortedKVDir = t.TempDir()
	cfg.Lightning.MaxError.Type = 0
	phys := New(logger, "")
	t.Cleanup(func() { _ = phys.Close() })
	return &testEnv{cl: cl, srv: srv, db: db, cfg: cfg, phys: phys, logger: logger}
}

func splitHostPort(t *testing.T, addr string) (string, int) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return h, n
}

func (e *testEnv) exec(t *testing.T, q string) {
	t.Helper()
	if _, err := e.db.Exec(q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func (e *testEnv) queryString(t *testing.T, q string) string {
	t.Helper()
	var s string
	if err := e.db.QueryRow(q).Scan(&s); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return s
}

func strField(s string) parser.Field { return parser.Field{Kind: parser.KindString, Bytes: []byte(s)} }
func numField(n int) parser.Field {
	return parser.Field{Kind: parser.KindNumber, Bytes: []byte(strconv.Itoa(n))}
}

// encodeChunk encodes rows [from, to) of the test table as one chunk
// whose rows get row IDs from+1…, into the table's single engine.
func (e *testEnv) encodeChunk(t *testing.T, ref EngineRef, from, to int) ChunkResult {
	t.Helper()
	eng, err := e.phys.OpenEngine(e.cfg, ref)
	if err != nil {
		t.Fatal(err)
	}
	return e.encodeTestRows(t, ref, eng, nil, from, to)
}

// encodeTestRows encodes rows [from, to) of the test table into data (and
// their index KVs into index, when not nil).
func (e *testEnv) encodeTestRows(t *testing.T, ref EngineRef, data, index *engine.Engine, from, to int) ChunkResult {
	t.Helper()
	ctx := context.Background()
	tbl, err := TableInfo(ctx, e.cfg, ref.DB, ref.Table)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := NewChunkEncoder(data, EncoderConfig{Table: tbl, Timestamp: time.Unix(1700000000, 0), AutoRandomSeed: int64(from),
		BatchBytes: 512, IndexEngine: index})
	if err != nil {
		t.Fatal(err)
	}
	// The source omits the AUTO_INCREMENT id: the encoder fills it with
	// the row ID, which the rebase must then move past.
	cols := []string{"name", "age", "city"}
	for i := from; i < to; i++ {
		row := parser.Row{RowID: int64(i + 1), Fields: []parser.Field{
			strField(fmt.Sprintf("name-%05d", i)), numField(i % 90), strField([]string{"Oslo", "Lima", "Pune"}[i%3]),
		}}
		full, err := enc.Append(cols, row)
		if err != nil {
			t.Fatal(err)
		}
		if full {
			if _, _, err := enc.Flush(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	res, err := enc.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

const testDDL = "CREATE TABLE p.t (id BIGINT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(40) NOT NULL, age INT, city VARCHAR(20), UNIQUE KEY uname (name), KEY iage (age), KEY icity (city, age))"

func TestImportWithIndexesMatchesAdminChecksum(t *testing.T) {
	env := startEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	env.exec(t, "CREATE DATABASE p")
	env.exec(t, testDDL)
	ref := EngineRef{TaskID: "task-1", DB: "p", Table: "t"}

	// Two chunks; the second is encoded twice, as a retried attempt would,
	// which must leave the engine with the same pairs.
	a := env.encodeChunk(t, ref, 0, 600)
	b := env.encodeChunk(t, ref, 600, 1000)
	b2 := env.encodeChunk(t, ref, 600, 1000)
	if b != b2 {
		t.Fatalf("re-encoding a chunk changed its result: %+v vs %+v", b, b2)
	}
	var sum TableSummary
	for _, r := range []ChunkResult{a, b} {
		sum.Checksum.Add(r.Checksum)
		if r.MaxIDs.AutoIncrement > sum.MaxIDs.AutoIncrement {
			sum.MaxIDs.AutoIncrement = r.MaxIDs.AutoIncrement
		}
	}
	if sum.Checksum.KVs() != 4000 { // record + 3 indexes per row
		t.Fatalf("local checksum counts %d KVs, want 4000", sum.Checksum.KVs())
	}

	var reported []ingest.KeyRange
	pausedDuringImport := false
	res, err := env.phys.ImportEngine(ctx, env.cfg, ref, nil, func(r []ingest.KeyRange) {
		reported = append(reported, r...)
		if _, ok := env.cl.PDState().LabelRules["tempest-"+EngineName(ref)]; ok {
			pausedDuringImport = true
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if !pausedDuringImport {
		t.Error("PD scheduling was not paused over the table's range during the import")
	}
	if rules := env.cl.PDState().LabelRules; len(rules) != 0 {
		t.Errorf("PD label rules left after the import: %v", rules)
	}
	if res.CommitTS == 0 || len(reported) == 0 {
		t.Fatalf("import reported commit TS %d and %d finished ranges", res.CommitTS, len(reported))
	}
	if got := env.cl.StoresInImportMode(); len(got) != 0 {
		t.Fatalf("stores %v still in import mode after the import", got)
	}
	if err := PostProcess(ctx, env.db, env.cfg, "p", "t", sum, env.logger); err != nil {
		t.Fatalf("post-process: %v", err)
	}
	if got := env.queryString(t, "SELECT COUNT(*) FROM p.t"); got != "1000" {
		t.Fatalf("count = %s, want 1000", got)
	}
	if got := env.queryString(t, "SELECT name FROM p.t WHERE id = 777"); got != "name-00776" {
		t.Fatalf("row 777 name = %q", got)
	}
	// The rebase moved AUTO_INCREMENT past the imported IDs.
	env.exec(t, "INSERT INTO p.t (name, age, city) VALUES ('new', 1, 'Oslo')")
	if got := env.queryString(t, "SELECT id > 1000 FROM p.t WHERE name = 'new'"); got != "1" {
		t.Fatalf("new row id > 1000 = %s: AUTO_INCREMENT was not rebased", got)
	}
	// The engine is gone after a successful import.
	m, _ := env.phys.manager(env.cfg)
	if _, open := m.Get(EngineName(ref)); open {
		t.Fatal("engine still open after a successful import")
	}

	// A corrupted value on TiKV makes the checksum fail, naming both sides.
	// The inserted row changed the table, so compare against a fresh sum.
	remote := kv.Checksum{}
	tbl, err := TableInfo(ctx, env.cfg, "p", "t")
	if err != nil {
		t.Fatal(err)
	}
	start, end := kv.AppendTablePrefix(nil, tbl.ID), kv.AppendTablePrefix(nil, tbl.ID+1)
	var victim []byte
	if err := env.cl.Scan(ctx, start, end, func(k, v []byte) error {
		remote.UpdateOne(k, v)
		if victim == nil && k[len(start)] == '_' && k[len(start)+1] == 'r' {
			victim = append([]byte(nil), k...)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := VerifyChecksum(ctx, env.db, "`p`.`t`", remote); err != nil {
		t.Fatalf("checksum of the untouched table: %v", err)
	}
	if err := env.cl.Corrupt(victim, []byte("garbage")); err != nil {
		t.Fatal(err)
	}
	err = VerifyChecksum(ctx, env.db, "`p`.`t`", remote)
	var mismatch *ChecksumMismatchError
	if !errors.As(err, &mismatch) {
		t.Fatalf("want a checksum mismatch, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"checksum mismatched remote vs local", fmt.Sprint(remote.Sum()), "`p`.`t`"} {
		if !strings.Contains(msg, want) {
			t.Errorf("mismatch message %q lacks %q", msg, want)
		}
	}
	// Optional checksum only warns; required fails.
	cfg := *env.cfg
	cfg.PostRestore.Checksum = config.OpLevelOptional
	cfg.PostRestore.Analyze = config.OpLevelOff
	if err := PostProcess(ctx, env.db, &cfg, "p", "t", TableSummary{Checksum: remote}, env.logger); err != nil {
		t.Fatalf("optional checksum must not fail: %v", err)
	}
	cfg.PostRestore.Checksum = config.OpLevelRequired
	if err := PostProcess(ctx, env.db, &cfg, "p", "t", TableSummary{Checksum: remote}, env.logger); !errors.As(err, &mismatch) {
		t.Fatalf("required checksum: want mismatch, got %v", err)
	}
}

func TestCancelledImportLeavesStoresInNormalMode(t *testing.T) {
	env := startEnv(t)
	env.exec(t, "CREATE DATABASE p")
	env.exec(t, testDDL)
	ref := EngineRef{TaskID: "task-2", DB: "p", Table: "t"}
	env.encodeChunk(t, ref, 0, 500)

	// Every Write is slowed down so the import is still running when it is
	// cancelled.
	env.cl.Faults().Inject(sandbox.Fault{RPC: sandbox.RPCWrite, Kind: sandbox.FaultSlowWrite, Delay: 2 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := env.phys.ImportEngine(ctx, env.cfg, ref, nil, nil)
		done <- err
	}()
	deadline := time.Now().Add(20 * time.Second)
	for len(env.cl.StoresInImportMode()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("stores never entered import mode")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("cancelled import succeeded")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("cancelled import did not return")
	}
	if got := env.cl.StoresInImportMode(); len(got) != 0 {
		t.Fatalf("stores %v still in import mode after a cancelled import", got)
	}
	// The engine is kept for a retry, which then succeeds.
	env.cl.Faults().Clear()
	ctx2, cancel2 := context.WithTimeout(context.Background(), time.Minute)
	defer cancel2()
	if _, err := env.phys.ImportEngine(ctx2, env.cfg, ref, nil, nil); err != nil {
		t.Fatalf("retry after cancel: %v", err)
	}
	if got := env.queryString(t, "SELECT COUNT(*) FROM p.t"); got != "500" {
		t.Fatalf("count = %s after retry, want 500", got)
	}
}

// TestEmptyTupleIsRowOfDefaults encodes INSERT INTO t () VALUES () and
// INSERT INTO t VALUES (): both are a row of column defaults, as in MySQL,
// not a column-count mismatch.
func TestEmptyTupleIsRowOfDefaults(t *testing.T) {
	e := startEnv(t)
	e.exec(t, "CREATE DATABASE p")
	e.exec(t, "CREATE TABLE p.d (pk INT PRIMARY KEY AUTO_INCREMENT, x INT NULL, y INT NOT NULL DEFAULT 123)")
	ctx := context.Background()
	tbl, err := TableInfo(ctx, e.cfg, "p", "d")
	if err != nil {
		t.Fatal(err)
	}
	eng, err := e.phys.OpenEngine(e.cfg, EngineRef{TaskID: "empty", DB: "p", Table: "d"})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := NewChunkEncoder(eng, EncoderConfig{Table: tbl, Timestamp: time.Unix(1700000000, 0)})
	if err != nil {
		t.Fatal(err)
	}
	for i, cols := range [][]string{{}, nil} {
		if _, err := enc.Append(cols, parser.Row{RowID: int64(i + 1)}); err != nil {
			t.Fatalf("columns %#v, no fields: %v", cols, err)
		}
	}
	res, err := enc.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 2 || res.MaxIDs.AutoIncrement != 2 {
		t.Errorf("encoded %d rows with max auto-increment %d, want 2 and 2", res.Rows, res.MaxIDs.AutoIncrement)
	}
}

// TestRebaseHonoursAutoIncrementOption: a table created with
// AUTO_INCREMENT=80000 that received smaller IDs continues above 80000
// after the post-import rebase, as after a Lightning import.
func TestRebaseHonoursAutoIncrementOption(t *testing.T) {
	e := startEnv(t)
	e.exec(t, "CREATE DATABASE p")
	e.exec(t, "CREATE TABLE p.s (a VARCHAR(6) PRIMARY KEY, b INT UNIQUE AUTO_INCREMENT) AUTO_INCREMENT=80000")
	ctx := context.Background()
	tbl, err := TableInfo(ctx, e.cfg, "p", "s")
	if err != nil {
		t.Fatal(err)
	}
	if tbl.AutoIncID != 80000 {
		t.Fatalf("auto_inc_id = %d, want 80000", tbl.AutoIncID)
	}
	if err := rebaseAutoIDs(ctx, e.db, "`p`.`s`", tbl, kv.MaxIDs{RowID: 79999, AutoIncrement: 55}); err != nil {
		t.Fatal(err)
	}
	e.exec(t, "INSERT INTO p.s (a) VALUES ('f')")
	if got := e.queryString(t, "SELECT b > 80000 AND _tidb_rowid > 80000 FROM p.s WHERE a = 'f'"); got != "1" {
		t.Errorf("ids after rebase not above the AUTO_INCREMENT option: %s", got)
	}
}

// encodeChunkSplit encodes rows [from, to) of the test table as one chunk
// of data engine dataEngine: record KVs into it, index KVs into the
// table's index engine.
func (e *testEnv) encodeChunkSplit(t *testing.T, ref EngineRef, dataEngine int32, from, to int) ChunkResult {
	t.Helper()
	data, index, err := e.phys.OpenChunkEngines(e.cfg, ref, dataEngine)
	if err != nil {
		t.Fatal(err)
	}
	return e.encodeTestRows(t, ref, data, index, from, to)
}

// engineKinds counts an engine's keys by kind.
func engineKinds(t *testing.T, e *testEnv, ref EngineRef) map[kv.KeyKind]int {
	t.Helper()
	eng, err := e.phys.OpenEngine(e.cfg, ref)
	if err != nil {
		t.Fatal(err)
	}
	it, err := eng.Iterate(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	n := map[kv.KeyKind]int{}
	for ok := it.First(); ok; ok = it.Next() {
		n[kv.ClassifyKey(it.Key())]++
	}
	return n
}

// TestDataAndIndexEnginesWithDiskQuota encodes a table as Lightning lays
// it out — two data engines (record KVs) and one index engine — lets the
// disk-quota check ingest the largest engine (the index engine) early and
// empty it, re-encodes one chunk as a retried attempt would, imports the
// engines and checks the table against ADMIN CHECKSUM.
func TestDataAndIndexEnginesWithDiskQuota(t *testing.T) {
	env := startEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	env.exec(t, "CREATE DATABASE p")
	env.exec(t, testDDL)
	ref := EngineRef{TaskID: "task-q", DB: "p", Table: "t"}
	a := env.encodeChunkSplit(t, ref, 0, 0, 600)
	b := env.encodeChunkSplit(t, ref, 1, 600, 1000)

	data0, data1, index := ref, ref, ref
	data1.EngineID, index.EngineID = 1, IndexEngineID
	for _, c := range []struct {
		ref  EngineRef
		want map[kv.KeyKind]int
	}{
		{data0, map[kv.KeyKind]int{kv.KeyRecord: 600}},
		{data1, map[kv.KeyKind]int{kv.KeyRecord: 400}},
		{index, map[kv.KeyKind]int{kv.KeyIndex: 3000}},
	} {
		if got := engineKinds(t, env, c.ref); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Fatalf("engine %d holds %v, want %v", c.ref.EngineID, got, c.want)
		}
	}

	// Just over the quota: only the largest engine is imported early.
	dir := env.phys.SortedKVDir(env.cfg)
	total, err := engine.DirSize(dir)
	if err != nil {
		t.Fatal(err)
	}
	env.cfg.TikvImporter.DiskQuota = config.ByteSize(total - 1)
	imported, err := env.phys.EnforceDiskQuota(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(imported) != 1 || imported[0] != EngineName(index) {
		t.Fatalf("imported early %v, want the index engine %s", imported, EngineName(index))
	}
	if got := engineKinds(t, env, index); len(got) != 0 {
		t.Fatalf("index engine holds %v after its early import", got)
	}
	// TiKV now holds the index KVs, and no record yet.
	tbl, err := TableInfo(ctx, env.cfg, "p", "t")
	if err != nil {
		t.Fatal(err)
	}
	onTiKV := map[kv.KeyKind]int{}
	if err := env.cl.Scan(ctx, kv.AppendTablePrefix(nil, tbl.ID), kv.AppendTablePrefix(nil, tbl.ID+1), func(k, _ []byte) error {
		onTiKV[kv.ClassifyKey(k)]++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := map[kv.KeyKind]int{kv.KeyIndex: 3000}; fmt.Sprint(onTiKV) != fmt.Sprint(want) {
		t.Fatalf("after the early import TiKV holds %v, want %v", onTiKV, want)
	}
	if rules := env.cl.PDState().LabelRules; len(rules) != 0 {
		t.Errorf("PD label rules left after the early import: %v", rules)
	}
	env.cfg.TikvImporter.DiskQuota = config.ByteSize(math.MaxInt64)

	// A retried attempt of chunk b writes its pairs again, index KVs
	// included, into the emptied index engine.
	if b2 := env.encodeChunkSplit(t, ref, 1, 600, 1000); b2 != b {
		t.Fatalf("re-encoding changed the chunk result: %+v vs %+v", b2, b)
	}
	for _, r := range []EngineRef{data0, data1, index} {
		if _, err := env.phys.ImportEngine(ctx, env.cfg, r, nil, nil); err != nil {
			t.Fatalf("import engine %d: %v", r.EngineID, err)
		}
	}
	var sum TableSummary
	for _, r := range []ChunkResult{a, b} {
		sum.Checksum.Add(r.Checksum)
		sum.MaxIDs.AutoIncrement = max(sum.MaxIDs.AutoIncrement, r.MaxIDs.AutoIncrement)
	}
	if sum.Checksum.KVs() != 4000 {
		t.Fatalf("chunk checksums count %d KVs, want 4000", sum.Checksum.KVs())
	}
	if err := PostProcess(ctx, env.db, env.cfg, "p", "t", sum, env.logger); err != nil {
		t.Fatalf("post-process (ADMIN CHECKSUM against the chunks' sum): %v", err)
	}
	if got := env.queryString(t, "SELECT COUNT(*) FROM p.t USE INDEX (uname)"); got != "1000" {
		t.Fatalf("count via uname = %s, want 1000", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("engines left in %s after import: %d", dir, len(entries))
	}
}
