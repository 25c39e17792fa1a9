package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/tempestdb/tempest/activities"
	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/importer"
	"github.com/tempestdb/tempest/internal/launcher"
	"github.com/tempestdb/tempest/internal/sandbox"
	"github.com/tempestdb/tempest/internal/workerhost"
	"github.com/tempestdb/tempest/workflows"
)

// TestPhysicalLightningExamples imports Lightning's examples dump with the
// physical backend (--backend local: KV encoding, local engines, ingest
// into the sandbox's TiKV stores, ADMIN CHECKSUM, auto-ID rebase) through
// the embedded Temporal server, and runs the acceptance case's checks over
// SQL. Each read-block-size gets its own cluster.
func TestPhysicalLightningExamples(t *testing.T) {
	dir := acceptanceDir(t)
	for _, name := range []string{"lightning_examples_512", "lightning_examples_131072", "lightning_examples_1"} {
		t.Run(name, func(t *testing.T) {
			c := loadCase(t, dir, name)
			if !slices.Contains(c.Backends, "physical") {
				t.Fatalf("case %s does not run on the physical backend", name)
			}
			target := startSandbox(t)
			src := filepath.Join(dir, c.Source)
			args := []string{"--config", filepath.Join(src, c.Config), "-d", filepath.Join(src, c.Data),
				"--backend", "local", "--sorted-kv-dir", t.TempDir(), "--checksum", "required"}
			args = append(args, target.flags(t)...)
			cfg, _, err := config.LoadWithFlags(args)
			if err != nil {
				t.Fatal(err)
			}
			if name == "lightning_examples_512" {
				// Small chunks and batches: the two big tables (~170 KB
				// each) get several data engines besides their index
				// engine, imported while later chunks encode.
				cfg.Mydumper.MaxRegionSize = 16 * config.KiB
				cfg.Mydumper.BatchSize = 40 * config.KiB
			}
			res, err := runTask(t, cfg, workflows.Timeouts{})
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			if res.Rows != 20002 {
				t.Errorf("import reports %d rows, want 20002", res.Rows)
			}
			if got := target.kv.StoresInImportMode(); len(got) != 0 {
				t.Errorf("stores %v left in import mode", got)
			}
			// The rows must have arrived through SST ingest, not SQL.
			var ingested int64
			for _, st := range target.kv.Stats().Stores {
				ingested += st.IngestedKVs
			}
			// Every store holds every region; 20002 rows plus their
			// index entries, times the stores.
			if ingested < 3*20002 {
				t.Errorf("stores ingested %d KVs in total: the physical path was not used", ingested)
			}
			if name == "lightning_examples_512" {
				// tbl_autoid was imported as several data engines and
				// one index engine, the index engine last.
				var engines []string
				for _, ev := range readHistory(t, workflows.TableWorkflowID(res.TaskID, "mocker_test", "tbl_autoid")).Events {
					if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil && strings.HasPrefix(a.ActivityId, "ingest/") {
						engines = append(engines, a.ActivityId)
					}
				}
				if len(engines) < 3 || engines[len(engines)-1] != workflows.EngineActivityID("mocker_test", "tbl_autoid", activities.IndexEngineID) {
					t.Errorf("tbl_autoid engine imports %q: want ≥ 2 data engines, then the index engine", engines)
				}
			}

			ctx := context.Background()
			conn, err := target.db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			counts := map[string]string{
				"SELECT COUNT(*) FROM mocker_test.tbl_autoid":            "10000",
				"SELECT COUNT(*) FROM mocker_test.tbl_multi_index":       "10000",
				"SELECT COUNT(*) FROM mocker_test.report_case_high_risk": "1",
				"SELECT COUNT(*) FROM mocker_test.`ı`":                   "1",
			}
			for q, want := range counts {
				got, err := queryStrings(ctx, conn, q)
				if err != nil || len(got) != 1 || got[0][0] != want {
					t.Errorf("%s = %q (%v), want %s", q, got, err, want)
				}
			}
			for i, chk := range c.Checks {
				if len(chk.Targets) > 0 && !slices.Contains(chk.Targets, "tidb") {
					continue
				}
				got, err := queryStrings(ctx, conn, chk.SQL)
				if err != nil {
					t.Errorf("check %d %q: %v", i, chk.SQL, err)
					continue
				}
				if chk.Expect != nil && !slices.EqualFunc(got, chk.Expect, slices.Equal[[]string]) {
					t.Errorf("check %d %q:\n got %q\nwant %q", i, chk.SQL, got, chk.Expect)
				}
			}
		})
	}
}

// TestPhysicalNodeLossReencodesOnAnotherWorker runs a physical import on a
// private task queue served by worker A only, stops A for good while it is
// ingesting the first table's first engine, and starts worker B: the activity
// pinned to A's node queue times out waiting to start, the table workflow
// claims B, re-encodes the table there into a new engine generation, and
// the import completes with every row and a matching checksum.
func TestPhysicalNodeLossReencodesOnAnotherWorker(t *testing.T) {
	dir := acceptanceDir(t)
	c := loadCase(t, dir, "lightning_examples_512")
	target := startSandbox(t)
	conn := embeddedTemporal(t)
	queue := fmt.Sprintf("nodeloss-%d", taskSeq.Add(1))

	startWorker := func(node string) *workerhost.Workers {
		imp := importer.New(zap.NewNop(), importer.StaticPassword(""), importer.Options{SortedKVDir: t.TempDir()})
		t.Cleanup(func() { _ = imp.Close() })
		w, err := workerhost.Start(conn.Client, activities.New(zap.NewNop(), imp, workerhost.NodeQueue(queue, node)),
			workerhost.Options{TaskQueue: queue, NodeID: node})
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	workerA := startWorker("a")
	stoppedA := false
	defer func() {
		if !stoppedA {
			workerA.Stop()
		}
	}()

	src := filepath.Join(dir, c.Source)
	args := []string{"--config", filepath.Join(src, c.Config), "-d", filepath.Join(src, c.Data),
		"--backend", "local", "--checksum", "required"}
	cfg, _, err := config.LoadWithFlags(append(args, target.flags(t)...))
	if err != nil {
		t.Fatal(err)
	}
	// Slow writes keep the first ImportEngine running long enough to lose
	// its node in the middle of it.
	target.kv.Faults().Inject(sandbox.Fault{RPC: sandbox.RPCWrite, Kind: sandbox.FaultSlowWrite, Delay: time.Second})

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	taskID := queue
	run, err := launcher.StartImport(ctx, &launcher.Conn{Client: conn.Client, TaskQueue: queue}, cfg, taskID, workflows.Timeouts{
		ChunkHeartbeat: 2 * time.Second, NodeScheduleToStart: 4 * time.Second, MaxAttempts: 5,
	})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for len(target.kv.StoresInImportMode()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the first engine never started ingesting")
		}
		time.Sleep(20 * time.Millisecond)
	}
	workerA.Stop()
	stoppedA = true
	target.kv.Faults().Clear()
	workerB := startWorker("b")
	defer workerB.Stop()

	res, err := launcher.Wait(ctx, conn.Client, run, time.Second, nil)
	if err != nil {
		t.Fatalf("import after node loss: %v", err)
	}
	if res.Rows != 20002 {
		t.Errorf("import reports %d rows, want 20002", res.Rows)
	}
	if got := target.kv.StoresInImportMode(); len(got) != 0 {
		t.Errorf("stores %v left in import mode", got)
	}
	got, err := queryStrings(ctx, mustConn(t, target.db), "SELECT count(*), sum(id), max(name), min(name), sum(crc32(name)) FROM mocker_test.tbl_autoid")
	if want := [][]string{{"10000", "50005000", "4-9-9", "0-0-0", "21388950023608"}}; err != nil || !slices.EqualFunc(got, want, slices.Equal[[]string]) {
		t.Errorf("tbl_autoid = %q (%v), want %q", got, err, want)
	}
	// Some table was re-encoded: its activities of generation 1 exist.
	reencoded := 0
	for _, tbl := range []string{"report_case_high_risk", "tbl_autoid", "tbl_multi_index", "ı"} {
		for _, ev := range readHistory(t, workflows.TableWorkflowID(taskID, "mocker_test", tbl)).Events {
			if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil && strings.HasSuffix(a.ActivityId, "#1") {
				reencoded++
			}
		}
	}
	if reencoded == 0 {
		t.Error("no activity of a second engine generation was scheduled: the node loss was not handled by re-encoding")
	}
}

func mustConn(t *testing.T, db *sql.DB) *sql.Conn {
	t.Helper()
	c, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestPhysicalDiskQuotaImportsEnginesEarly imports the examples dump with
// a disk quota far below the engines' size, checked every few
// milliseconds, on a worker of its own: the worker must ingest engines
// early (holding its writers meanwhile) and empty them, the workflow's own
// engine imports must ingest what they got afterwards, and the tables must
// come out complete with matching checksums.
func TestPhysicalDiskQuotaImportsEnginesEarly(t *testing.T) {
	dir := acceptanceDir(t)
	c := loadCase(t, dir, "lightning_examples_512")
	target := startSandbox(t)
	conn := embeddedTemporal(t)
	queue := fmt.Sprintf("diskquota-%d", taskSeq.Add(1))
	core, logs := observer.New(zap.InfoLevel)
	imp := importer.New(zap.New(core), importer.StaticPassword(""), importer.Options{SortedKVDir: t.TempDir()})
	t.Cleanup(func() { _ = imp.Close() })
	w, err := workerhost.Start(conn.Client, activities.New(zap.NewNop(), imp, workerhost.NodeQueue(queue, "q")),
		workerhost.Options{TaskQueue: queue, NodeID: "q"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	src := filepath.Join(dir, c.Source)
	args := []string{"--config", filepath.Join(src, c.Config), "-d", filepath.Join(src, c.Data),
		"--backend", "local", "--checksum", "required"}
	cfg, _, err := config.LoadWithFlags(append(args, target.flags(t)...))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Mydumper.MaxRegionSize = 16 * config.KiB
	cfg.Mydumper.BatchSize = 40 * config.KiB
	cfg.TikvImporter.DiskQuota = 4 * config.KiB
	cfg.Cron.CheckDiskQuota = config.Duration(5 * time.Millisecond)
	// Slow writes keep engines on disk across several quota checks.
	target.kv.Faults().Inject(sandbox.Fault{RPC: sandbox.RPCWrite, Kind: sandbox.FaultSlowWrite, Delay: 50 * time.Millisecond})
	defer target.kv.Faults().Clear()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	run, err := launcher.StartImport(ctx, &launcher.Conn{Client: conn.Client, TaskQueue: queue}, cfg, queue, workflows.Timeouts{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := launcher.Wait(ctx, conn.Client, run, time.Second, nil)
	if err != nil {
		t.Fatalf("import under a disk quota: %v", err)
	}
	if res.Rows != 20002 {
		t.Errorf("import reports %d rows, want 20002", res.Rows)
	}
	n := logs.FilterMessage("disk quota: engine ingested early").Len()
	if n == 0 {
		t.Fatal("no engine was ingested early although the sorted-kv-dir was over its quota")
	}
	t.Logf("%d early engine imports", n)
	got, err := queryStrings(ctx, mustConn(t, target.db), "SELECT count(*), sum(id), max(name), min(name), sum(crc32(name)) FROM mocker_test.tbl_autoid")
	if want := [][]string{{"10000", "50005000", "4-9-9", "0-0-0", "21388950023608"}}; err != nil || !slices.EqualFunc(got, want, slices.Equal[[]string]) {
		t.Errorf("tbl_autoid = %q (%v), want %q", got, err, want)
	}
	got, err = queryStrings(ctx, mustConn(t, target.db), "SELECT count(DISTINCT Name) FROM mocker_test.tbl_multi_index")
	if err != nil || len(got) != 1 || got[0][0] != "10000" {
		t.Errorf("tbl_multi_index distinct names = %q (%v), want 10000", got, err)
	}
}

// loadCase reads one acceptance case by name.
func loadCase(t *testing.T, dir, name string) acceptanceCase {
	t.Helper()
	var c acceptanceCase
	if _, err := toml.DecodeFile(filepath.Join(dir, "cases", name+".toml"), &c); err != nil {
		t.Fatal(err)
	}
	return c
}
