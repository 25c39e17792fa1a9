package importer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/tempestdb/tempest/internal/benchdump"
	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// TestImportChunkResumesExactlyAfterInterruption interrupts a chunk after its
// first committed transactions (as a worker crash would), then runs the chunk
// again as a retry would: the target must end with every source row exactly
// once, and the retry must report that it resumed.
func TestImportChunkResumesExactlyAfterInterruption(t *testing.T) {
	db := testenv.MariaDB(t)
	ctx := context.Background()
	im, job, gen := logicalChunk(t, db, "resume_db")

	// First attempt: stop it after two committed transactions.
	attemptCtx, cancel := context.WithCancel(ctx)
	var beats []ChunkPosition
	_, err := im.ImportChunk(attemptCtx, job, nil, func(p ChunkPosition) {
		beats = append(beats, p)
		if len(beats) == 2 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted attempt returned %v, want context.Canceled", err)
	}
	partial := count(t, db, "SELECT COUNT(*) FROM resume_db.events")
	if partial == 0 || partial >= gen.Rows {
		t.Fatalf("after the interruption %d of %d rows are in; the test needs a partial import", partial, gen.Rows)
	}

	// The retry starts from an older heartbeat on purpose: the committed
	// progress row, not the heartbeat, decides where to continue.
	out, err := im.ImportChunk(ctx, job, &beats[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	if !out.Resumed {
		t.Error("retry did not report resuming")
	}
	if got := count(t, db, "SELECT COUNT(*) FROM resume_db.events"); got != gen.Rows {
		t.Errorf("%d rows after the retry, want %d", got, gen.Rows)
	}
	if got := count(t, db, "SELECT COUNT(DISTINCT id) FROM resume_db.events"); got != gen.Rows {
		t.Errorf("%d distinct ids, want %d", got, gen.Rows)
	}
	if out.Stats.Rows != gen.Rows {
		t.Errorf("outcome counts %d rows, want %d (rows of both attempts)", out.Stats.Rows, gen.Rows)
	}
}

func count(t *testing.T, db *testenv.Server, query string) int64 {
	t.Helper()
	rows, err := db.Query(context.Background(), query)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	if _, err := fmt.Sscan(rows[0][0], &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// logicalChunk generates a 3 MiB dump of one table in one file, creates the
// schema on db under dbName and plans it as one logical chunk written in
// 16 KiB statements under conflict.strategy=error.
func logicalChunk(t *testing.T, db *testenv.Server, dbName string) (*Importer, ChunkJob, benchdump.Result) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	spec := benchdump.Spec{Dir: dir, DB: dbName, Table: "events", TotalBytes: 3 << 20, FileBytes: 4 << 20,
		StatementBytes: 16 << 10, Seed: 7}
	gen, err := benchdump.Generate(spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(ctx, "DROP DATABASE IF EXISTS "+dbName); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.TikvImporter.Backend = config.BackendTiDB
	cfg.Mydumper.DataSourceDir = dir
	cfg.TiDB.Host, cfg.TiDB.Port, cfg.TiDB.User = db.Host(), db.Port(), db.User()
	cfg.TikvImporter.LogicalImportBatchSize = 16 << 10
	// Under "error" a re-applied row is a duplicate-key failure, not a
	// silent overwrite, so a retry that wrote a row twice fails the test.
	cfg.Conflict.Strategy = config.ConflictError
	if err := cfg.Adjust(); err != nil {
		t.Fatal(err)
	}
	im := New(zap.NewNop(), StaticPassword(""), Options{SortedKVDir: filepath.Join(dir, "kv")})
	t.Cleanup(func() { _ = im.Close() })
	task := dbName + "-task"
	src, err := im.Scan(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := im.CreateSchemas(ctx, task, cfg, src.DBs); err != nil {
		t.Fatal(err)
	}
	table := src.DBs[0].Tables[0]
	chunks, err := im.PlanTable(ctx, cfg, table)
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) != 1 {
		t.Fatalf("planned %d chunks, want 1", len(chunks))
	}
	return im, ChunkJob{TaskID: task, Config: cfg, DB: table.DB, Table: table.Table, Key: "k0", Chunk: chunks[0]}, gen
}

// TestLogicalChunkGroupsStatementsIntoTransactions checks that a logical
// chunk commits many full statements per transaction: each commit is a
// durable write on the target, and a transaction per statement made the
// commit rate the limit.
func TestLogicalChunkGroupsStatementsIntoTransactions(t *testing.T) {
	db := testenv.MariaDB(t)
	ctx := context.Background()
	im, job, gen := logicalChunk(t, db, "grouping_db")
	before := globalStatus(t, db, "Com_insert", "Com_commit")
	if _, err := im.ImportChunk(ctx, job, nil, nil); err != nil {
		t.Fatal(err)
	}
	after := globalStatus(t, db, "Com_insert", "Com_commit")
	inserts, commits := after[0]-before[0], after[1]-before[1]
	if got := count(t, db, "SELECT COUNT(*) FROM grouping_db.events"); got != gen.Rows {
		t.Fatalf("%d rows, want %d", got, gen.Rows)
	}
	// 3 MiB in 16 KiB statements: ~190 statements, at most 16 (+ the
	// progress upsert) per transaction.
	if commits == 0 || inserts < 150 || inserts/commits < statementsPerTransaction-2 {
		t.Errorf("%d INSERT statements in %d transactions: want about %d statements per transaction", inserts, commits, statementsPerTransaction)
	}
}

func globalStatus(t *testing.T, db *testenv.Server, names ...string) []int64 {
	t.Helper()
	out := make([]int64, len(names))
	for i, name := range names {
		out[i] = count(t, db, "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = '"+strings.ToUpper(name)+"'")
	}
	return out
}
