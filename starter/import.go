package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/launcher"
	"github.com/tempestdb/tempest/internal/logutil"
	"github.com/tempestdb/tempest/internal/progress"
	"github.com/tempestdb/tempest/workflows"
)

type importCommand struct {
	stdout, stderr io.Writer
}

func (c *importCommand) Run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("starter import", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	flags := config.RegisterFlags(fs)
	taskID := fs.String("task-id", "", "task ID; the workflow ID is import/<task-id> (default: <source dir>-<UTC time>)")
	detach := fs.Bool("detach", false, "start the import and exit without waiting (needs an external Temporal cluster)")
	noProgress := fs.Bool("no-progress", false, "do not draw progress, print only the summary")
	uiPort := fs.Int("ui-port", 0, "embedded Temporal web UI port (0 = frontend+1000 or a free port, -1 = no UI)")
	heartbeat := fs.Duration("chunk-heartbeat-timeout", 0, "how long a silent chunk activity is given before it is retried on another worker (default 1m)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if flags.Version {
		fmt.Fprintln(c.stdout, "tempest", version)
		return nil
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	cfg, warnings, err := flags.Load()
	if err != nil {
		return err
	}
	logger, err := logutil.New(cfg.Lightning)
	if err != nil {
		return err
	}
	defer func() { _ = logger.Sync() }()
	for _, w := range warnings {
		fmt.Fprintln(c.stderr, "warning:", w)
	}
	if *detach && cfg.Temporal.Address == "" {
		return fmt.Errorf("--detach needs an external Temporal cluster (--temporal-address): the embedded one lives only as long as this command")
	}
	id := *taskID
	if id == "" {
		id = defaultTaskID(cfg.Mydumper.DataSourceDir, time.Now())
	}

	conn, err := launcher.Connect(ctx, cfg, launcher.Options{Logger: logger, Password: cfg.TiDB.Password, UIPort: *uiPort})
	if err != nil {
		return err
	}
	defer conn.Close()
	run, err := launcher.StartImport(ctx, conn, cfg, id, workflows.Timeouts{ChunkHeartbeat: *heartbeat})
	if err != nil {
		return err
	}
	c.printWhere(conn, run)
	if *detach {
		return nil
	}
	final, err := c.wait(ctx, conn.Client, run, *noProgress)
	if err != nil {
		if p, qerr := launcher.QueryProgress(context.WithoutCancel(ctx), conn.Client, run.GetID()); qerr == nil {
			printSummary(c.stdout, *p)
		}
		return fmt.Errorf("import %s failed: %s", run.GetID(), launcher.Explain(err))
	}
	printSummary(c.stdout, *final)
	return nil
}

func (c *importCommand) wait(ctx context.Context, cl client.Client, run client.WorkflowRun, quiet bool) (*progress.Import, error) {
	var draw func(progress.Import)
	if !quiet {
		view := newProgressView(c.stderr)
		draw = view.Draw
	}
	return launcher.Wait(ctx, cl, run, 500*time.Millisecond, draw)
}

func (c *importCommand) printWhere(conn *launcher.Conn, run client.WorkflowRun) {
	fmt.Fprintf(c.stderr, "import started: workflow %s (run %s)\n", run.GetID(), run.GetRunID())
	if conn.Embedded != nil {
		fmt.Fprintf(c.stderr, "embedded Temporal at %s", conn.Embedded.FrontendAddress())
		if ui := conn.Embedded.UIAddress(); ui != "" {
			fmt.Fprintf(c.stderr, ", web UI http://%s/namespaces/%s/workflows/%s", ui, conn.Namespace, run.GetID())
		}
		fmt.Fprintln(c.stderr)
	}
}

// defaultTaskID names a task after its source directory and start time.
func defaultTaskID(source string, now time.Time) string {
	base := filepath.Base(strings.TrimRight(source, "/"))
	if base == "" || base == "." || base == "/" {
		base = "import"
	}
	return base + "-" + now.UTC().Format("20060102T150405")
}
