package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"go.uber.org/zap"

	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/launcher"
	"github.com/tempestdb/tempest/internal/tclient"
)

// controlCommand is status, pause, resume and cancel of one import.
type controlCommand struct {
	action string
	stdout io.Writer
}

func (c *controlCommand) Run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("starter "+c.action, flag.ContinueOnError)
	cfgPath := fs.String("c", "", "task or worker config file (for its [temporal] section)")
	address := fs.String("temporal-address", "", "Temporal frontend host:port (default: the embedded server of a running `starter import`)")
	namespace := fs.String("temporal-namespace", "", "Temporal namespace")
	stateDir := fs.String("state-dir", "", "state directory of the embedded default")
	asJSON := fs.Bool("json", false, "status: print the progress as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("usage: starter %s [flags] <workflow-id>", c.action)
	}
	id := fs.Arg(0)
	t := config.Default().Temporal
	if *cfgPath != "" {
		cfg, _, err := config.Load(*cfgPath)
		if err != nil {
			return err
		}
		t = cfg.Temporal
	}
	if *address != "" {
		t.Address = *address
	}
	if *namespace != "" {
		t.Namespace = *namespace
	}
	if *stateDir != "" {
		t.StateDir = *stateDir
	}
	cl, err := tclient.DialForControl(ctx, t, zap.NewNop())
	if err != nil {
		return err
	}
	defer cl.Close()

	switch c.action {
	case "status":
		p, err := launcher.QueryProgress(ctx, cl, id)
		if err != nil {
			return err
		}
		if *asJSON {
			enc := json.NewEncoder(c.stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(p)
		}
		fmt.Fprintln(c.stdout, summaryLine(*p))
		printSummary(c.stdout, *p)
		return nil
	case "pause", "resume":
		if err := launcher.SetPaused(ctx, cl, id, c.action == "pause"); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "%s: %sd\n", id, c.action)
		return nil
	case "cancel":
		if err := cl.CancelWorkflow(ctx, id, ""); err != nil {
			return fmt.Errorf("cancel %s: %w", id, err)
		}
		fmt.Fprintf(c.stdout, "%s: cancel requested (running chunks stop at their next heartbeat; cleanup runs)\n", id)
		return nil
	}
	return fmt.Errorf("unknown action %q", c.action)
}
