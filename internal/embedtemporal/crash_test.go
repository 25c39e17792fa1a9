package embedtemporal

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.uber.org/zap"
)

const crashHelperEnv = "EMBEDTEMPORAL_CRASH_HELPER_DIR"

// TestCrashHelper is not a test on its own: TestRestartAfterCrash re-runs the
// test binary with crashHelperEnv set, and this function then runs a workflow
// and exits the process without calling Stop, like a killed importer.
func TestCrashHelper(t *testing.T) {
	dir := os.Getenv(crashHelperEnv)
	if dir == "" {
		t.Skip("helper for TestRestartAfterCrash")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Start(ctx, Options{StateDir: dir, UIPort: UIDisabled, Logger: zap.NewNop()})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	c, err := s.NewClient(ctx)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	w := worker.New(c, testTaskQueue, worker.Options{})
	w.RegisterWorkflow(phaseWorkflow)
	if err := w.Start(); err != nil {
		t.Fatalf("worker: %v", err)
	}
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "wf-crash", TaskQueue: testTaskQueue}, phaseWorkflow, "x")
	if err != nil {
		t.Fatalf("ExecuteWorkflow: %v", err)
	}
	if err := run.Get(ctx, nil); err != nil {
		t.Fatalf("workflow: %v", err)
	}
	// No Stop, no Close: simulate the process dying.
	os.Exit(0)
}

func TestRestartAfterCrash(t *testing.T) {
	if os.Getenv(crashHelperEnv) != "" {
		t.Skip("inside helper")
	}
	ctx := testCtx(t)
	dir := t.TempDir()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashHelperEnv+"="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("helper process: %v\n%s", err, out)
	}

	// The kernel released the dead process's lock; the WAL holds the
	// completed workflow.
	s := mustStart(t, ctx, Options{StateDir: dir, UIPort: UIDisabled})
	c, err := s.NewClient(ctx)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	defer c.Close()
	desc, err := c.DescribeWorkflowExecution(ctx, "wf-crash", "")
	if err != nil {
		t.Fatalf("DescribeWorkflowExecution: %v", err)
	}
	if st := desc.GetWorkflowExecutionInfo().GetStatus(); st != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
		t.Fatalf("status after crash restart = %s, want COMPLETED", st)
	}
}
