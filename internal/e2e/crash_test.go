package e2e

import (
	"context"
	"fmt"
	"go.temporal.io/sdk/client"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/tempestdb/tempest/internal/benchdump"
	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/embedtemporal"
	"github.com/tempestdb/tempest/internal/launcher"
	"github.com/tempestdb/tempest/internal/testenv"
	"github.com/tempestdb/tempest/workflows"
)

// buildWorker compiles the worker command into dir.
func buildWorker(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "worker")
	// Same build settings as the test binary, so the build cache serves it.
	cmd := exec.Command("go", "build", "-o", bin, "github.com/tempestdb/tempest/worker")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build worker: %v\n%s", err, out)
	}
	return bin
}

// workerProcess is a running worker command; exited is closed when it ends.
type workerProcess struct {
	cmd    *exec.Cmd
	exited chan struct{}
}

// startWorker runs the worker command against the server at addr, serving
// queue in namespace. extra flags follow the defaults and override them
// (e.g. --node-id, --sorted-kv-dir).
func startWorker(t *testing.T, bin, addr, namespace, queue, logPath string, extra ...string) *workerProcess {
	t.Helper()
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--temporal-address", addr, "--temporal-namespace", namespace, "--task-queue", queue,
		"--node-id", "crash-node", "--concurrency", "6"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start worker: %v", err)
	}
	w := &workerProcess{cmd: cmd, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(w.exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-w.exited
		logFile.Close()
	})
	return w
}

// TestWorkerKilledMidImportCompletesExactly kills the only worker process
// (SIGKILL: no cleanup, no final heartbeat) in the middle of a large
// logical import, starts a new one, and checks that the import completes
// with exactly the source's rows: same count and same CHECKSUM TABLE as the
// same dump loaded by myloader.
func TestWorkerKilledMidImportCompletesExactly(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a worker process over a 48 MiB import")
	}
	db := testenv.MariaDB(t)
	resetTarget(t, db)
	tmp := t.TempDir()
	spec := benchdump.Spec{Dir: filepath.Join(tmp, "dump"), DB: "crash", Table: "events",
		TotalBytes: 48 << 20, FileBytes: 4 << 20, StatementBytes: 256 << 10, Seed: 42}
	gen := generateWithReference(t, db, spec, "crash_ref")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	srv, cl := privateTemporal(t, ctx)

	bin := buildWorker(t, tmp)
	logPath := filepath.Join(tmp, "worker.log")
	const queue = "crash-test"
	w1 := startWorker(t, bin, srv.FrontendAddress(), srv.Namespace(), queue, logPath)

	cfg := config.Default()
	cfg.TikvImporter.Backend = config.BackendTiDB
	cfg.Mydumper.DataSourceDir = spec.Dir
	cfg.TiDB.Host, cfg.TiDB.Port, cfg.TiDB.User = db.Host(), db.Port(), db.User()
	cfg.Lightning.RegionConcurrency = 2
	cfg.Temporal.TaskQueue = queue
	if err := cfg.Adjust(); err != nil {
		t.Fatal(err)
	}
	conn := &launcher.Conn{Client: cl, Namespace: srv.Namespace(), TaskQueue: queue}
	run, err := launcher.StartImport(ctx, conn, cfg, "crash", workflows.Timeouts{ChunkHeartbeat: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}

	// Kill the worker once a good part (but not all) of the rows are in.
	// The target's row count is the signal: the workflow's progress is
	// reported in throttled steps.
	killed := false
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		select {
		case <-w1.exited:
			log, _ := os.ReadFile(logPath)
			t.Fatalf("worker exited on its own:\n%s", log)
		default:
		}
		rows, err := db.Query(ctx, "SELECT COUNT(*) FROM crash.events")
		if err != nil {
			continue // the table is created by the import
		}
		n, _ := strconv.ParseInt(rows[0][0], 10, 64)
		if n > gen.Rows/4 {
			if n >= gen.Rows {
				t.Fatalf("import finished before the worker could be killed (%d rows)", n)
			}
			if err := w1.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			<-w1.exited
			killed = true
			t.Logf("killed the worker with %d of %d rows in", n, gen.Rows)
			break
		}
	}
	if !killed {
		t.Fatal("import never got far enough to kill the worker")
	}
	w2 := startWorker(t, bin, srv.FrontendAddress(), srv.Namespace(), queue, logPath)

	final, err := launcher.Wait(ctx, cl, run, time.Second, nil)
	select {
	case <-w2.exited:
		log, _ := os.ReadFile(logPath)
		t.Fatalf("restarted worker exited on its own:\n%s", log)
	default:
	}
	if err != nil {
		log, _ := os.ReadFile(logPath)
		t.Fatalf("import after restart: %v\nworker log:\n%s", err, log)
	}
	if final.Rows != gen.Rows {
		t.Errorf("progress says %d rows, source has %d", final.Rows, gen.Rows)
	}
	got, err := db.Query(ctx, "SELECT COUNT(*), SUM(id) FROM crash.events")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{fmt.Sprint(gen.Rows), fmt.Sprint(gen.Rows * (gen.Rows + 1) / 2)}
	if got[0][0] != want[0] || got[0][1] != want[1] {
		t.Errorf("count, sum(id) = %v, want %v", got[0], want)
	}
	assertSameChecksum(t, db, "crash.events", "crash_ref.events")
}

// assertSameChecksum compares CHECKSUM TABLE of two tables with the same
// definition.
func assertSameChecksum(t *testing.T, db *testenv.Server, a, b string) {
	t.Helper()
	ctx := context.Background()
	ra, err := db.Query(ctx, "CHECKSUM TABLE "+a)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := db.Query(ctx, "CHECKSUM TABLE "+b)
	if err != nil {
		t.Fatal(err)
	}
	if ra[0][1] != rb[0][1] || ra[0][1] == "NULL" {
		t.Errorf("CHECKSUM TABLE %s = %s, %s = %s", a, ra[0][1], b, rb[0][1])
	}
}

// generateWithReference writes a generated dump and loads the same files
// with myloader into refDB: the reference an interrupted import must match.
func generateWithReference(t *testing.T, db *testenv.Server, spec benchdump.Spec, refDB string) benchdump.Result {
	t.Helper()
	if _, err := exec.LookPath("myloader"); err != nil {
		t.Fatalf("myloader not found (make test installs mydumper): %v", err)
	}
	gen, err := benchdump.Generate(spec)
	if err != nil {
		t.Fatal(err)
	}
	ref := exec.Command("myloader", "-d", spec.Dir, "-h", db.Host(), "-P", fmt.Sprint(db.Port()), "-u", db.User(),
		"-t", "2", "-B", refDB, "-o")
	if out, err := ref.CombinedOutput(); err != nil {
		t.Fatalf("myloader: %v\n%s", err, out)
	}
	return gen
}

// privateTemporal starts an ephemeral Temporal server of the test's own
// (the worker subprocesses it kills connect to it) and a client of it; both
// stop with the test.
func privateTemporal(t *testing.T, ctx context.Context) (*embedtemporal.Server, client.Client) {
	t.Helper()
	srv, err := embedtemporal.Start(ctx, embedtemporal.Options{Ephemeral: true, UIPort: embedtemporal.UIDisabled, Logger: zap.NewNop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	cl, err := srv.NewClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return srv, cl
}
