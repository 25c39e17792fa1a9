package embedtemporal

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func mustStart(t *testing.T, ctx context.Context, o Options) *Server {
	t.Helper()
	if o.Logger == nil {
		o.Logger = zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	}
	begin := time.Now()
	s, err := Start(ctx, o)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Logf("Start took %s (schema created: %v, frontend %s, ui %q)",
		time.Since(begin), s.SchemaCreated(), s.FrontendAddress(), s.UIAddress())
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return s
}

func TestStartStopEphemeralNoUI(t *testing.T) {
	ctx := testCtx(t)
	s := mustStart(t, ctx, Options{Ephemeral: true, UIPort: UIDisabled})

	if s.UIAddress() != "" {
		t.Errorf("UIAddress = %q with UI disabled", s.UIAddress())
	}
	if s.Namespace() != DefaultNamespace {
		t.Errorf("Namespace = %q, want %q", s.Namespace(), DefaultNamespace)
	}
	if !strings.HasPrefix(s.FrontendAddress(), DefaultFrontendIP+":") {
		t.Errorf("FrontendAddress = %q, want loopback", s.FrontendAddress())
	}

	c, err := s.NewClient(ctx)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	defer c.Close()

	desc, err := c.WorkflowService().DescribeNamespace(ctx,
		&workflowservice.DescribeNamespaceRequest{Namespace: s.Namespace()})
	if err != nil {
		t.Fatalf("DescribeNamespace: %v", err)
	}
	if got := desc.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration(); got != DefaultRetention {
		t.Errorf("retention = %s, want %s", got, DefaultRetention)
	}
	sas, err := c.OperatorService().ListSearchAttributes(ctx,
		&operatorservice.ListSearchAttributesRequest{Namespace: s.Namespace()})
	if err != nil {
		t.Fatalf("ListSearchAttributes: %v", err)
	}
	for _, name := range []string{SearchAttributeImportPhase, SearchAttributeImportTask} {
		if got := sas.GetCustomAttributes()[name]; got != enumspb.INDEXED_VALUE_TYPE_KEYWORD {
			t.Errorf("search attribute %s type = %s, want Keyword", name, got)
		}
	}

	c.Close()
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	// After Stop the frontend must be gone, not left running in the
	// background.
	if conn, err := net.DialTimeout("tcp", s.FrontendAddress(), time.Second); err == nil {
		_ = conn.Close()
		t.Errorf("frontend %s still accepts connections after Stop", s.FrontendAddress())
	}
}

func TestUIServes(t *testing.T) {
	ctx := testCtx(t)
	s := mustStart(t, ctx, Options{Ephemeral: true, Namespace: "ui-test"})
	if s.UIAddress() == "" {
		t.Fatal("UIAddress empty with UI enabled")
	}

	get := func(path string) (int, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.UIAddress()+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		return resp.StatusCode, string(b)
	}

	if code, body := get("/"); code != http.StatusOK {
		t.Errorf("GET / = %d: %.200s", code, body)
	}
	// The UI's API proxy must reach our frontend and see our namespace.
	code, body := get("/api/v1/namespaces/ui-test")
	if code != http.StatusOK {
		t.Fatalf("GET namespace via UI = %d: %.300s", code, body)
	}
	var ns struct {
		NamespaceInfo struct {
			Name string `json:"name"`
		} `json:"namespaceInfo"`
	}
	if err := json.Unmarshal([]byte(body), &ns); err != nil || ns.NamespaceInfo.Name != "ui-test" {
		t.Errorf("namespace via UI: err=%v body=%.300s", err, body)
	}

	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if conn, err := net.DialTimeout("tcp", s.UIAddress(), time.Second); err == nil {
		_ = conn.Close()
		t.Errorf("UI %s still accepts connections after Stop", s.UIAddress())
	}
}

const testTaskQueue = "embedtemporal-test"

// phaseWorkflow records a phase in the ImportPhase search attribute and
// returns a greeting, standing in for an import job.
func phaseWorkflow(ctx workflow.Context, name string) (string, error) {
	key := temporal.NewSearchAttributeKeyKeyword(SearchAttributeImportPhase)
	if err := workflow.UpsertTypedSearchAttributes(ctx, key.ValueSet("done")); err != nil {
		return "", err
	}
	return "hello " + name, nil
}

func TestPersistenceAcrossRestart(t *testing.T) {
	ctx := testCtx(t)
	dir := filepath.Join(t.TempDir(), "state") // not yet existing: Start creates it
	opts := Options{StateDir: dir, UIPort: UIDisabled, Namespace: "persist"}

	first := mustStart(t, ctx, opts)
	if !first.SchemaCreated() {
		t.Error("first start did not report schema creation")
	}

	// A second server on the same state dir must be refused while the first
	// runs: two clusters on one SQLite shard would corrupt it.
	if s2, err := Start(ctx, Options{StateDir: dir, UIPort: UIDisabled, Logger: zap.NewNop()}); !errors.Is(err, ErrStateLocked) {
		if s2 != nil {
			_ = s2.Stop()
		}
		t.Fatalf("second concurrent Start: err = %v, want ErrStateLocked", err)
	}

	c, err := first.NewClient(ctx)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	w := worker.New(c, testTaskQueue, worker.Options{})
	w.RegisterWorkflow(phaseWorkflow)
	if err := w.Start(); err != nil {
		t.Fatalf("worker start: %v", err)
	}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "wf-persist", TaskQueue: testTaskQueue}, phaseWorkflow, "tempest")
	if err != nil {
		t.Fatalf("ExecuteWorkflow: %v", err)
	}
	var out string
	if err := run.Get(ctx, &out); err != nil || out != "hello tempest" {
		t.Fatalf("workflow result = %q, %v", out, err)
	}
	w.Stop()
	c.Close()
	if err := first.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}

	second := mustStart(t, ctx, opts)
	if second.SchemaCreated() {
		t.Error("second start recreated the schema")
	}
	c2, err := second.NewClient(ctx)
	if err != nil {
		t.Fatalf("NewClient after restart: %v", err)
	}
	defer c2.Close()
	desc, err := c2.DescribeWorkflowExecution(ctx, "wf-persist", run.GetRunID())
	if err != nil {
		t.Fatalf("DescribeWorkflowExecution after restart: %v", err)
	}
	if st := desc.GetWorkflowExecutionInfo().GetStatus(); st != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		t.Fatalf("status after restart = %s, want COMPLETED", st)
	}
	// Visibility, including the custom search attribute, must survive too.
	list, err := c2.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Namespace: second.Namespace(),
		Query:     SearchAttributeImportPhase + ` = "done"`,
	})
	if err != nil {
		t.Fatalf("ListWorkflow by %s: %v", SearchAttributeImportPhase, err)
	}
	if n := len(list.GetExecutions()); n != 1 || list.GetExecutions()[0].GetExecution().GetWorkflowId() != "wf-persist" {
		t.Fatalf("ListWorkflow by %s returned %d executions: %v", SearchAttributeImportPhase, n, list.GetExecutions())
	}
}

func TestPortCollision(t *testing.T) {
	ctx := testCtx(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	busy := l.Addr().(*net.TCPAddr).Port
	dir := t.TempDir()

	_, err = Start(ctx, Options{StateDir: dir, FrontendPort: busy, UIPort: UIDisabled, Logger: zaptest.NewLogger(t)})
	if !errors.Is(err, ErrPortInUse) {
		t.Fatalf("busy frontend port: err = %v, want ErrPortInUse", err)
	}
	_, err = Start(ctx, Options{StateDir: dir, UIPort: busy, Logger: zaptest.NewLogger(t)})
	if !errors.Is(err, ErrPortInUse) {
		t.Fatalf("busy UI port: err = %v, want ErrPortInUse", err)
	}
	// A failed Start must release the state lock, so a corrected retry
	// works on the same directory.
	mustStart(t, ctx, Options{StateDir: dir, UIPort: UIDisabled})
}

func TestStateMismatchRefused(t *testing.T) {
	ctx := testCtx(t)

	t.Run("schema version", func(t *testing.T) {
		dir := t.TempDir()
		db := filepath.Join(dir, dbFileName)
		if err := os.WriteFile(db, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		m := currentMarker(markerReady)
		m.SQLiteSchemaVersion = "0.7"
		m.ServerVersion = "1.27.0"
		if err := writeMarker(db+markerSuffix, m); err != nil {
			t.Fatal(err)
		}
		_, err := Start(ctx, Options{StateDir: dir, UIPort: UIDisabled, Ephemeral: false, Logger: zap.NewNop()})
		if !errors.Is(err, ErrStateMismatch) || !strings.Contains(err.Error(), "1.27.0") {
			t.Fatalf("err = %v, want ErrStateMismatch naming the old server version", err)
		}
	})

	t.Run("missing marker", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, dbFileName), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Start(ctx, Options{StateDir: dir, UIPort: UIDisabled, Logger: zap.NewNop()})
		if !errors.Is(err, ErrStateMismatch) {
			t.Fatalf("err = %v, want ErrStateMismatch", err)
		}
	})
}

func TestInterruptedSetupIsRebuilt(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, dbFileName)
	// Simulate a crash between "initializing" and "ready": garbage database
	// plus stale WAL.
	for _, p := range []string{db, db + "-wal"} {
		if err := os.WriteFile(p, []byte("not a database"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := writeMarker(db+markerSuffix, currentMarker(markerInitializing)); err != nil {
		t.Fatal(err)
	}
	o, err := Options{StateDir: dir}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	sqlCfg, err := sqlConfig(o)
	if err != nil {
		t.Fatal(err)
	}
	created, err := prepareState(o, sqlCfg, zaptest.NewLogger(t))
	if err != nil {
		t.Fatalf("prepareState: %v", err)
	}
	if !created {
		t.Error("interrupted setup was not rebuilt")
	}
	m, err := readMarker(db + markerSuffix)
	if err != nil || m.State != markerReady {
		t.Fatalf("marker after rebuild = %+v, %v", m, err)
	}
	// The stale WAL must be gone or replaced by a real one; it must not
	// still hold the garbage we wrote.
	if b, err := os.ReadFile(db + "-wal"); err == nil && string(b) == "not a database" {
		t.Fatal("stale WAL file survived the rebuild")
	}
}

func TestOptionsValidation(t *testing.T) {
	for name, o := range map[string]Options{
		"no state":        {},
		"both":            {StateDir: "/tmp/x", Ephemeral: true},
		"bad ip":          {Ephemeral: true, FrontendIP: "localhost"},
		"bad ui port":     {Ephemeral: true, UIPort: -2},
		"bad port":        {Ephemeral: true, FrontendPort: 70000},
		"negative retain": {Ephemeral: true, Retention: -time.Hour},
	} {
		if _, err := o.withDefaults(); err == nil {
			t.Errorf("%s: withDefaults accepted %+v", name, o)
		}
	}
	o, err := Options{Ephemeral: true}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if o.Namespace != DefaultNamespace || o.FrontendIP != DefaultFrontendIP || o.Retention != DefaultRetention || o.Logger == nil {
		t.Errorf("defaults not applied: %+v", o)
	}
}

// TestStartCancelled checks that a Start aborted by its context leaves
// nothing behind that blocks a retry: the state lock is released (possibly
// only after the abandoned server finished starting and was stopped) and the
// directory is usable again.
func TestStartCancelled(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()

	short, cancel := context.WithTimeout(ctx, 60*time.Millisecond)
	defer cancel()
	s, err := Start(short, Options{StateDir: dir, UIPort: UIDisabled, Logger: zap.NewNop()})
	if err == nil {
		// The machine was fast enough to finish in time; nothing to test.
		_ = s.Stop()
		t.Skip("Start finished within the short deadline")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Start err = %v, want DeadlineExceeded", err)
	}

	deadline := time.Now().Add(30 * time.Second)
	for {
		s, err = Start(ctx, Options{StateDir: dir, UIPort: UIDisabled, Logger: zaptest.NewLogger(t)})
		if err == nil {
			break
		}
		if !errors.Is(err, ErrStateLocked) || time.Now().After(deadline) {
			t.Fatalf("retry after cancelled Start: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
}
