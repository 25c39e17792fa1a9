package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"go.uber.org/zap"

	"github.com/tempestdb/tempest/examples"
	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/launcher"
	"github.com/tempestdb/tempest/internal/sandbox/cluster"
	"github.com/tempestdb/tempest/workflows"
)

// demoCommand imports the bundled example dump on the embedded default with
// the physical backend (KV encoding, Pebble engines, split/scatter,
// Write + MultiIngest) into an in-process sandbox cluster — PD, three TiKV
// stores and a TiDB front on their real protocols — then says where to look.
type demoCommand struct {
	stdout, stderr io.Writer
}

func (c *demoCommand) Run(ctx context.Context, args []string) error {
	fset := flag.NewFlagSet("starter demo", flag.ContinueOnError)
	stateDir := fset.String("state-dir", filepath.Join(".tempest", "demo"), "where the demo keeps its Temporal state, engines and sandbox cluster")
	hold := fset.Duration("hold", -1, "keep the Temporal UI and the sandbox cluster up this long after the import (default: until Ctrl-C on a terminal, not at all otherwise)")
	if err := fset.Parse(args); err != nil {
		return err
	}
	if err := os.MkdirAll(*stateDir, 0o755); err != nil {
		return fmt.Errorf("create demo state dir: %w", err)
	}
	abs, err := filepath.Abs(*stateDir)
	if err != nil {
		return err
	}
	logger := zap.NewNop()

	dumpDir := filepath.Join(abs, "dump")
	if err := writeExample(dumpDir); err != nil {
		return err
	}
	fmt.Fprintln(c.stderr, "starting the sandbox cluster (PD, 3 TiKV stores, TiDB front) ...")
	sandboxDir := filepath.Join(abs, "sandbox")
	if err := os.RemoveAll(sandboxDir); err != nil {
		return fmt.Errorf("clear %s: %w", sandboxDir, err)
	}
	sb, err := cluster.Start(ctx, cluster.Options{DataDir: sandboxDir, Logger: logger})
	if err != nil {
		return fmt.Errorf("start the sandbox cluster: %w", err)
	}
	defer func() { _ = sb.Stop() }()

	cfg := config.Default()
	cfg.TikvImporter.Backend = config.BackendLocal
	cfg.TikvImporter.SortedKVDir = filepath.Join(abs, "sorted-kv")
	cfg.Mydumper.DataSourceDir = dumpDir
	cfg.TiDB.Host, cfg.TiDB.Port, cfg.TiDB.User = sb.Host(), sb.SQLPort(), "root"
	cfg.TiDB.StatusPort, cfg.TiDB.PdAddr = sb.StatusPort(), sb.PDAddress()
	cfg.Temporal.StateDir = abs
	if err := cfg.Adjust(); err != nil {
		return err
	}
	conn, err := launcher.Connect(ctx, cfg, launcher.Options{Logger: logger})
	if err != nil {
		return err
	}
	defer conn.Close()
	taskID := defaultTaskID("demo", time.Now())
	run, err := launcher.StartImport(ctx, conn, cfg, taskID, workflows.Timeouts{})
	if err != nil {
		return err
	}
	view := newProgressView(c.stderr)
	final, err := launcher.Wait(ctx, conn.Client, run, 300*time.Millisecond, view.Draw)
	if err != nil {
		return fmt.Errorf("demo import failed: %s", launcher.Explain(err))
	}
	printSummary(c.stdout, *final)

	fmt.Fprintf(c.stdout, "\nWhere to look:\n")
	if ui := conn.Embedded.UIAddress(); ui != "" {
		fmt.Fprintf(c.stdout, "  Temporal UI:  http://%s/namespaces/%s/workflows/%s\n", ui, conn.Namespace, run.GetID())
	}
	fmt.Fprintf(c.stdout, "  workflow ID:  %s\n", run.GetID())
	fmt.Fprintf(c.stdout, "  query:        mysql -h %s -P %d -u root shop -e 'SELECT country, COUNT(*) FROM customers GROUP BY country; SELECT * FROM big_spenders LIMIT 5; ADMIN CHECKSUM TABLE orders'\n",
		sb.Host(), sb.SQLPort())
	fmt.Fprintf(c.stdout, "  TiDB status:  http://%s/schema/shop/orders   PD: %s\n", sb.StatusAddress(), sb.PDAddress())
	fmt.Fprintf(c.stdout, "  status:       bin/starter status --state-dir %s %s\n", abs, run.GetID())

	wait := *hold
	if wait < 0 && isTerminal(os.Stdin) {
		fmt.Fprintln(c.stdout, "\nThe Temporal UI and the sandbox cluster stay up until Ctrl-C.")
		<-ctx.Done()
		return nil
	}
	if wait > 0 {
		fmt.Fprintf(c.stdout, "\nThe Temporal UI and the sandbox cluster stay up for %s.\n", wait)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
	}
	return nil
}

// writeExample copies the bundled dump to dir.
func writeExample(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("clear %s: %w", dir, err)
	}
	return fs.WalkDir(examples.Shop, "shop", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("shop", path)
		target := filepath.Join(dir, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := examples.Shop.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}
