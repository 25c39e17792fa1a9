package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.uber.org/zap"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/launcher"
	"github.com/tempestdb/tempest/internal/progress"
	"github.com/tempestdb/tempest/internal/sandbox"
	"github.com/tempestdb/tempest/internal/sandbox/tidb"
	"github.com/tempestdb/tempest/internal/testenv"
	"github.com/tempestdb/tempest/workflows"
)

// The end-to-end tests share, per test binary, one private MariaDB (the
// target) and one embedded Temporal server with an in-process worker, as
// `starter import` runs them in the embedded default. Each import gets its
// own task ID.

func TestMain(m *testing.M) {
	code := testenv.Main(m)
	if temporalEnv.conn != nil {
		temporalEnv.conn.Close()
	}
	os.Exit(code)
}

var temporalEnv struct {
	once sync.Once
	conn *launcher.Conn
	err  error
}

var taskSeq atomic.Int64

// embeddedTemporal returns the shared embedded Temporal connection with its
// in-process worker.
func embeddedTemporal(t testing.TB) *launcher.Conn {
	t.Helper()
	temporalEnv.once.Do(func() {
		cfg := config.Default()
		cfg.Lightning.RegionConcurrency = 4
		temporalEnv.conn, temporalEnv.err = launcher.Connect(context.Background(), cfg, launcher.Options{
			Logger: zap.NewNop(), Ephemeral: true, UIPort: -1,
		})
	})
	if temporalEnv.err != nil {
		t.Fatalf("embedded Temporal: %v", temporalEnv.err)
	}
	return temporalEnv.conn
}

// runImport loads a task from tidb-lightning style arguments and runs it to
// the end on the embedded Temporal server.
func runImport(t testing.TB, args []string) (*progress.Import, error) {
	t.Helper()
	cfg, _, err := config.LoadWithFlags(args)
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	return runTask(t, cfg, workflows.Timeouts{})
}

func runTask(t testing.TB, cfg *config.Config, timeouts workflows.Timeouts) (*progress.Import, error) {
	t.Helper()
	conn := embeddedTemporal(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	id := fmt.Sprintf("%s-%d", strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()), taskSeq.Add(1))
	run, err := launcher.StartImport(ctx, conn, cfg, id, timeouts)
	if err != nil {
		return nil, err
	}
	res, err := launcher.Wait(ctx, conn.Client, run, time.Second, nil)
	if err == nil {
		recordHistories(t, run.GetID(), strings.ReplaceAll(t.Name(), "/", "_"))
	}
	return res, err
}

// resetTarget drops every non-system database so that each case starts on
// an empty server.
func resetTarget(t testing.TB, db *testenv.Server) {
	t.Helper()
	ctx := context.Background()
	rows, err := db.Query(ctx, "SHOW DATABASES")
	if err != nil {
		t.Fatalf("list databases: %v", err)
	}
	for _, r := range rows {
		switch strings.ToLower(r[0]) {
		case "mysql", "information_schema", "performance_schema", "sys":
			continue
		}
		if err := db.Exec(ctx, "DROP DATABASE `"+strings.ReplaceAll(r[0], "`", "``")+"`"); err != nil {
			t.Fatalf("drop database %s: %v", r[0], err)
		}
	}
}

// queryStrings runs a query on conn and returns every value as the mysql
// client prints it (NULL as "NULL").
func queryStrings(ctx context.Context, conn *sql.Conn, query string) ([][]string, error) {
	rows, err := conn.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]string
	for rows.Next() {
		raw := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]string, len(cols))
		for i, v := range raw {
			if v == nil {
				row[i] = "NULL"
			} else {
				row[i] = string(v)
			}
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// recordHistories writes the history of a finished import and of its table
// workflows as JSON into $TEMPEST_RECORD_HISTORY/<name>*.json, for the replay
// tests in workflows/.
func recordHistories(t testing.TB, workflowID, name string) {
	t.Helper()
	dir := os.Getenv("TEMPEST_RECORD_HISTORY")
	if dir == "" {
		return
	}
	parent := readHistory(t, workflowID)
	writeHistory(t, parent, filepath.Join(dir, name+".json"))
	n := 0
	for _, ev := range parent.Events {
		if a := ev.GetStartChildWorkflowExecutionInitiatedEventAttributes(); a != nil {
			n++
			writeHistory(t, readHistory(t, a.WorkflowId), filepath.Join(dir, fmt.Sprintf("%s-table%d.json", name, n)))
		}
	}
}

func readHistory(t testing.TB, workflowID string) *historypb.History {
	t.Helper()
	conn := embeddedTemporal(t)
	iter := conn.Client.GetWorkflowHistory(context.Background(), workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var h historypb.History
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			t.Fatalf("read history of %s: %v", workflowID, err)
		}
		h.Events = append(h.Events, ev)
	}
	return &h
}

func writeHistory(t testing.TB, h *historypb.History, path string) {
	t.Helper()
	data, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// sandboxTarget is a private in-process sandbox cluster (PD, TiKV stores,
// TiDB front) for physical-backend imports.
type sandboxTarget struct {
	kv  *sandbox.Cluster
	srv *tidb.Server
	db  *sql.DB
}

// startSandbox starts a sandbox cluster for one test; it stops with the
// test.
func startSandbox(t testing.TB) *sandboxTarget {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	kv, err := sandbox.StartKV(ctx, sandbox.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatalf("start sandbox KV: %v", err)
	}
	t.Cleanup(func() { _ = kv.Stop() })
	srv, err := tidb.Start(ctx, tidb.Options{KV: kv, DataDir: t.TempDir(), PDAddress: kv.PDAddress()})
	if err != nil {
		t.Fatalf("start sandbox TiDB: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	db, err := sql.Open("mysql", "root@tcp("+srv.SQLAddress()+")/")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return &sandboxTarget{kv: kv, srv: srv, db: db}
}

// flags point an import at the sandbox: SQL, status port and PD (through
// TiDB's /settings, as Lightning finds it without --pd-urls).
func (s *sandboxTarget) flags(t testing.TB) []string {
	t.Helper()
	host, port, ok := strings.Cut(s.srv.SQLAddress(), ":")
	_, status, ok2 := strings.Cut(s.srv.StatusAddress(), ":")
	if !ok || !ok2 {
		t.Fatalf("unexpected sandbox addresses %s / %s", s.srv.SQLAddress(), s.srv.StatusAddress())
	}
	return []string{"--tidb-host", host, "--tidb-port", port, "--tidb-status", status, "--tidb-user", "root"}
}
