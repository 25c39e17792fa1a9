// Package launcher connects a command to Temporal and runs imports through
// it. With a Temporal address configured it dials that cluster and expects
// standalone workers to serve the task queue; without one it is the embedded
// default: it starts a Temporal server in-process (SQLite under the state
// directory) and an in-process worker, so a single command runs a whole
// import with nothing installed.
package launcher

import (
	"context"

	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"github.com/tempestdb/tempest/activities"
	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/embedtemporal"
	"github.com/tempestdb/tempest/internal/importer"
	"github.com/tempestdb/tempest/internal/progress"
	"github.com/tempestdb/tempest/internal/tclient"
	"github.com/tempestdb/tempest/internal/workerhost"
	"github.com/tempestdb/tempest/workflows"
)

// DefaultStateDir is where the embedded default keeps its state when
// [temporal] state-dir is not set.
func DefaultStateDir() string { return tclient.DefaultStateDir() }

// Conn is a Temporal connection, plus the embedded server and in-process
// worker when it runs the embedded default.
type Conn struct {
	Client    client.Client
	Namespace string
	TaskQueue string
	Embedded  *embedtemporal.Server // nil when dialling an external cluster
	workers   *workerhost.Workers
}

// Options for Connect.
type Options struct {
	Logger *zap.Logger
	// Password is the target's password, known to this process; it is handed
	// to the in-process worker only, never to the workflow.
	Password string
	// UIPort for the embedded server (0 = default, -1 = none).
	UIPort int
	// Ephemeral keeps the embedded server's state in memory (tests).
	Ephemeral bool
}

// Connect dials cfg.Temporal.Address, or starts the embedded default when it
// is empty.
func Connect(ctx context.Context, cfg *config.Config, opts Options) (*Conn, error) {
	logger := opts.Logger
	if logger == nil {
		logger = zap.NewNop()
	}
	tq := cfg.Temporal.TaskQueue
	if tq == "" {
		tq = "tempest"
	}
	if cfg.Temporal.Address != "" {
		c, err := tclient.Dial(ctx, cfg.Temporal, logger)
		if err != nil {
			return nil, err
		}
		return &Conn{Client: c, Namespace: cfg.Temporal.Namespace, TaskQueue: tq}, nil
	}

	stateDir := cfg.Temporal.StateDir
	if stateDir == "" && !opts.Ephemeral {
		stateDir = DefaultStateDir()
	}
	eopts := embedtemporal.Options{Logger: logger.Named("temporal"), UIPort: opts.UIPort, Ephemeral: opts.Ephemeral}
	if !opts.Ephemeral {
		eopts.StateDir = filepath.Join(stateDir, "temporal")
	}
	srv, err := embedtemporal.Start(ctx, eopts)
	if err != nil {
		return nil, fmt.Errorf("start embedded Temporal: %w", err)
	}
	c, err := srv.NewClient(ctx)
	if err != nil {
		_ = srv.Stop()
		return nil, fmt.Errorf("connect to embedded Temporal: %w", err)
	}
	conn := &Conn{Client: c, Namespace: srv.Namespace(), TaskQueue: tq, Embedded: srv}
	if !opts.Ephemeral {
		// "address namespace": what DialForControl needs to find this server.
		_ = os.WriteFile(filepath.Join(stateDir, tclient.AddressFile), []byte(srv.FrontendAddress()+" "+srv.Namespace()+"\n"), 0o644)
	}
	// An ephemeral server has no state directory: engines then go to the
	// importer's default under the system temp directory.
	sortedKVDir := ""
	if stateDir != "" {
		sortedKVDir = filepath.Join(stateDir, "sorted-kv")
	}
	imp := importer.New(logger.Named("importer"), importer.StaticPassword(opts.Password), importer.Options{
		SortedKVDir: sortedKVDir,
	})
	nodeID := cfg.Temporal.NodeID
	if nodeID == "" {
		nodeID, _ = os.Hostname()
	}
	acts := activities.New(logger.Named("activities"), imp, workerhost.NodeQueue(tq, nodeID))
	w, err := workerhost.Start(c, acts, workerhost.Options{
		TaskQueue: tq, NodeID: nodeID, MaxConcurrentActivities: cfg.Lightning.RegionConcurrency + 4,
	})
	if err != nil {
		conn.Close()
		return nil, err
	}
	conn.workers = w
	return conn, nil
}

// Close stops the in-process worker, the client and the embedded server.
func (c *Conn) Close() {
	if c.workers != nil {
		c.workers.Stop()
	}
	c.Client.Close()
	if c.Embedded != nil {
		_ = c.Embedded.Stop()
	}
}

// StartImport starts the import workflow of a task. The config is redacted
// before it enters workflow history.
func StartImport(ctx context.Context, c *Conn, cfg *config.Config, taskID string, timeouts workflows.Timeouts) (client.WorkflowRun, error) {
	in := workflows.ImportInput{TaskID: taskID, Config: cfg.Redacted(), Timeouts: timeouts}
	run, err := c.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:            workflows.ImportWorkflowID(taskID),
		TaskQueue:     c.TaskQueue,
		StaticSummary: "import " + cfg.Mydumper.DataSourceDir,
	}, workflows.ImportWorkflowName, in)
	if err != nil {
		return nil, fmt.Errorf("start import %s: %w", taskID, err)
	}
	return run, nil
}

// Wait waits for an import to finish, calling onProgress with the workflow's
// progress every interval. It returns the final progress.
func Wait(ctx context.Context, c client.Client, run client.WorkflowRun, interval time.Duration, onProgress func(progress.Import)) (*progress.Import, error) {
	done := make(chan error, 1)
	var final progress.Import
	go func() { done <- run.Get(ctx, &final) }()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if onProgress != nil {
				if p, qerr := QueryProgress(ctx, c, run.GetID()); qerr == nil {
					onProgress(*p)
				} else if err == nil {
					onProgress(final)
				}
			}
			if err != nil {
				return nil, err
			}
			return &final, nil
		case <-tick.C:
			if onProgress == nil {
				continue
			}
			if p, err := QueryProgress(ctx, c, run.GetID()); err == nil {
				onProgress(*p)
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// QueryProgress asks a running (or finished) import for its progress.
func QueryProgress(ctx context.Context, c client.Client, workflowID string) (*progress.Import, error) {
	v, err := c.QueryWorkflow(ctx, workflowID, "", workflows.ProgressQuery)
	if err != nil {
		return nil, fmt.Errorf("query progress of %s: %w", workflowID, err)
	}
	var p progress.Import
	if err := v.Get(&p); err != nil {
		return nil, fmt.Errorf("decode progress of %s: %w", workflowID, err)
	}
	return &p, nil
}

// SetPaused pauses or resumes an import through its update handler, which
// answers once the workflow has applied it.
func SetPaused(ctx context.Context, c client.Client, workflowID string, paused bool) error {
	name := workflows.ResumeName
	if paused {
		name = workflows.PauseName
	}
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflowID, UpdateName: name, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return fmt.Errorf("%s %s: %w", name, workflowID, err)
	}
	var ack bool
	if err := h.Get(ctx, &ack); err != nil {
		return fmt.Errorf("%s %s: %w", name, workflowID, err)
	}
	return nil
}
