package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/tempestdb/tempest/activities"
	"github.com/tempestdb/tempest/internal/benchdump"
	"github.com/tempestdb/tempest/internal/launcher"
	"github.com/tempestdb/tempest/internal/sandbox"
	"github.com/tempestdb/tempest/internal/testenv"
	"github.com/tempestdb/tempest/workflows"
)

// contentChecksum is a checksum of every column of benchdump's table that
// MariaDB and the sandbox's TiDB front compute alike: count, integer sums
// and CRC32s of each column's text. The DOUBLE column is summed as
// FLOOR(ratio * 1e6), which both compute in IEEE doubles, rather than
// through its text, whose digits the two servers need not print alike. The
// DATETIME is formatted explicitly: the sandbox front's CRC32 refuses a
// DATETIME argument (MySQL and TiDB convert it to its text first).
const contentChecksum = "SELECT COUNT(*), SUM(id), SUM(account), SUM(amount), SUM(FLOOR(ratio * 1000000)), COUNT(ratio), " +
	"SUM(CRC32(DATE_FORMAT(created, '%%Y-%%m-%%d %%H:%%i:%%s.%%f'))), SUM(CRC32(code)), SUM(CRC32(name)), SUM(CRC32(payload)), COUNT(payload) FROM %s"

// TestPhysicalWorkerKilled runs a physical import (--backend local into the
// sandbox cluster, which lives in the test process) with the only worker
// as a separate process, kills it with SIGKILL while chunks are encoding
// (encode) or while the engine is being ingested (ingest), and starts a
// new worker on another node. The killed node's engine is gone with it, so
// the table workflow must notice the node loss (the node queue's
// schedule-to-start timeout), re-encode the table on the new node and
// finish: every row, the same content as the dump loaded by myloader, the
// import's local checksum equal to ADMIN CHECKSUM (--checksum required
// fails the import otherwise), and no store left in import mode.
func TestPhysicalWorkerKilled(t *testing.T) {
	db := testenv.MariaDB(t)
	resetTarget(t, db)
	tmp := t.TempDir()
	// Small enough to ingest in seconds, split over enough files that the
	// chunks take a while to go through one node.
	spec := benchdump.Spec{Dir: filepath.Join(tmp, "dump"), DB: "pcrash", Table: "events",
		TotalBytes: 16 << 20, FileBytes: 1 << 20, StatementBytes: 64 << 10, Seed: 7}
	gen := generateWithReference(t, db, spec, "pcrash_ref")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	want, err := db.Query(ctx, fmt.Sprintf(contentChecksum, "pcrash_ref.events"))
	if err != nil {
		t.Fatal(err)
	}
	if want[0][0] != fmt.Sprint(gen.Rows) {
		t.Fatalf("myloader loaded %s rows, the dump has %d", want[0][0], gen.Rows)
	}

	srv, cl := privateTemporal(t, ctx)
	bin := buildWorker(t, tmp)

	for _, phase := range []string{"encode", "ingest"} {
		t.Run(phase, func(t *testing.T) {
			target := startSandbox(t)
			queue := "pcrash-" + phase
			taskID := queue
			logPath := filepath.Join(t.TempDir(), "worker.log")
			workerLog := func() string { b, _ := os.ReadFile(logPath); return string(b) }
			start := func(node string) *workerProcess {
				return startWorker(t, bin, srv.FrontendAddress(), srv.Namespace(), queue, logPath,
					"--node-id", node, "--sorted-kv-dir", t.TempDir())
			}
			w1 := start("node-a")

			cfg := target.physicalConfig(t, spec.Dir)
			cfg.Lightning.RegionConcurrency = 2
			cfg.Temporal.TaskQueue = queue
			if phase == "ingest" {
				// Slow writes hold ImportEngine open long enough to kill
				// its worker in the middle of it.
				target.kv.Faults().Inject(sandbox.Fault{RPC: sandbox.RPCWrite, Kind: sandbox.FaultSlowWrite, Delay: time.Second})
			}
			conn := &launcher.Conn{Client: cl, Namespace: srv.Namespace(), TaskQueue: queue}
			// A dead worker's running activity is noticed by its missed
			// heartbeats (2 s), its retry by nobody picking it up from the
			// dead node's queue (5 s): the node is lost.
			run, err := launcher.StartImport(ctx, conn, cfg, taskID, workflows.Timeouts{
				ChunkHeartbeat: 2 * time.Second, NodeScheduleToStart: 5 * time.Second, MaxAttempts: 5,
			})
			if err != nil {
				t.Fatal(err)
			}
			tableWF := workflows.TableWorkflowID(taskID, spec.DB, spec.Table)
			activity := map[string]string{"encode": "ImportChunk", "ingest": "ImportEngine"}[phase]
			for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("no %s activity was seen running\nworker log:\n%s", activity, workerLog())
				}
				select {
				case <-w1.exited:
					t.Fatalf("worker exited on its own:\n%s", workerLog())
				default:
				}
				running := runningActivities(ctx, cl, tableWF)
				if phase == "encode" && slices.Contains(running, "ImportEngine") {
					t.Fatal("the engine is being imported: every chunk was encoded before the worker could be killed")
				}
				if !slices.Contains(running, activity) {
					continue
				}
				// Mid-ingest means writes are under way, not merely that the
				// activity was picked up.
				if phase == "ingest" && target.kv.Faults().FiredCount(sandbox.RPCWrite, sandbox.FaultSlowWrite) == 0 {
					continue
				}
				if err := w1.cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				<-w1.exited
				t.Logf("killed the worker while %s was running (running: %v)", activity, running)
				break
			}
			target.kv.Faults().Clear()
			killedAt := time.Now()
			w2 := start("node-b")

			final, err := launcher.Wait(ctx, cl, run, time.Second, nil)
			select {
			case <-w2.exited:
				t.Fatalf("the new worker exited on its own:\n%s", workerLog())
			default:
			}
			if err != nil {
				t.Fatalf("import after the kill: %v\nworker log:\n%s", err, workerLog())
			}
			t.Logf("import completed %.1fs after the kill", time.Since(killedAt).Seconds())
			if final.Rows != gen.Rows {
				t.Errorf("progress says %d rows, the dump has %d", final.Rows, gen.Rows)
			}
			if got := target.kv.StoresInImportMode(); len(got) != 0 {
				t.Errorf("stores %v left in import mode", got)
			}
			got, err := queryStrings(ctx, mustConn(t, target.db), fmt.Sprintf(contentChecksum, "pcrash.events"))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(got, want, slices.Equal[[]string]) {
				t.Errorf("sandbox content %q, myloader's %q", got, want)
			}
			// The lost node's engine cannot have been used: the table was
			// encoded again as engine generation 1, and post-processed
			// (ADMIN CHECKSUM against the summed local checksum) once.
			var regen int
			var post []activities.PostProcessInput
			for _, a := range activityHistory(ctx, t, cl, tableWF) {
				if strings.HasSuffix(a.GetActivityId(), "#1") {
					regen++
				}
				if a.GetActivityType().GetName() == "PostProcess" {
					var in activities.PostProcessInput
					if err := converter.GetDefaultDataConverter().FromPayloads(a.GetInput(), &in); err != nil {
						t.Fatalf("decode PostProcess input: %v", err)
					}
					post = append(post, in)
				}
			}
			if regen == 0 {
				t.Error("no activity of engine generation 1 was scheduled: the node loss was not handled by re-encoding")
			}
			if len(post) != 1 || post[0].Checksum == nil {
				t.Fatalf("PostProcess scheduled %d times (want 1) or without a local checksum: %+v", len(post), post)
			}
			// The local checksum the workflow summed over the re-encoded
			// chunks is the table's ADMIN CHECKSUM: nothing of the lost
			// engine and no chunk twice.
			sum, err := queryStrings(ctx, mustConn(t, target.db), "ADMIN CHECKSUM TABLE pcrash.events")
			if err != nil {
				t.Fatal(err)
			}
			local := post[0].Checksum
			if len(sum) != 1 || !slices.Equal(sum[0][2:], []string{fmt.Sprint(local.Sum), fmt.Sprint(local.KVs), fmt.Sprint(local.Bytes)}) {
				t.Errorf("ADMIN CHECKSUM %q, the workflow's local checksum %+v", sum, *local)
			}
		})
	}
}

// runningActivities lists the types of the activities of workflow id that a
// worker has picked up and not finished. It reads the pending activities,
// not the history: an activity with a retry policy gets its started event
// only when it ends.
func runningActivities(ctx context.Context, cl client.Client, id string) []string {
	desc, err := cl.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return nil // not started yet
	}
	var out []string
	for _, a := range desc.GetPendingActivities() {
		if a.GetState() == enums.PENDING_ACTIVITY_STATE_STARTED {
			out = append(out, a.GetActivityType().GetName())
		}
	}
	return out
}

// activityHistory lists the activities scheduled by the latest run of
// workflow id.
func activityHistory(ctx context.Context, t *testing.T, cl client.Client, id string) []*historypb.ActivityTaskScheduledEventAttributes {
	t.Helper()
	iter := cl.GetWorkflowHistory(ctx, id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var out []*historypb.ActivityTaskScheduledEventAttributes
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", id, err)
		}
		if a := ev.GetActivityTaskScheduledEventAttributes(); a != nil {
			out = append(out, a)
		}
	}
	return out
}
