package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"strconv"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/tempestdb/tempest/internal/sandbox/cluster"
)

// sandboxCommand runs the in-process sandbox cluster (PD, three TiKV stores
// and a TiDB front speaking the real protocols) in the foreground, so
// `starter import` can be tried against "TiDB" on a machine without one.
type sandboxCommand struct {
	stdout, stderr io.Writer
}

func (c *sandboxCommand) Run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("starter sandbox", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	dataDir := fs.String("data-dir", "", "keep the cluster's data here across runs (default: in memory, gone on exit)")
	sqlPort := fs.Int("sql-port", 4000, "MySQL protocol port on 127.0.0.1 (0 = a free port)")
	statusPort := fs.Int("status-port", 10080, "TiDB status API port on 127.0.0.1 (0 = a free port)")
	pdPort := fs.Int("pd-port", 2379, "PD port on 127.0.0.1 (0 = a free port)")
	logLevel := fs.String("log-level", "warn", "log level of the cluster's own logs on stderr: debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for name, p := range map[string]int{"sql-port": *sqlPort, "status-port": *statusPort, "pd-port": *pdPort} {
		if p < 0 || p > 65535 {
			return fmt.Errorf("--%s %d: not a port", name, p)
		}
	}
	level, err := zapcore.ParseLevel(*logLevel)
	if err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	logger := zap.New(zapcore.NewCore(
		zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig()), zapcore.AddSync(c.stderr), level))
	defer func() { _ = logger.Sync() }()

	sb, err := cluster.Start(ctx, cluster.Options{
		DataDir: *dataDir, SQLPort: *sqlPort, StatusPort: *statusPort, PDPort: *pdPort, Logger: logger,
	})
	if err != nil {
		return fmt.Errorf("start the sandbox cluster: %w", err)
	}
	// The ports printed are the bound ones, not the flags: with 0 this is
	// the only way to learn them.
	printSandboxEndpoints(c.stdout, sb, *dataDir)
	<-ctx.Done()
	if err := sb.Stop(); err != nil {
		return fmt.Errorf("stop the sandbox cluster: %w", err)
	}
	fmt.Fprintln(c.stdout, "sandbox cluster stopped")
	return nil
}

func printSandboxEndpoints(w io.Writer, sb *cluster.Sandbox, dataDir string) {
	where := "in memory (gone on exit; --data-dir keeps it)"
	if dataDir != "" {
		where = "in " + dataDir
	}
	host := sb.Host()
	pd := net.JoinHostPort(host, strconv.Itoa(sb.PDPort()))
	fmt.Fprintf(w, `Sandbox TiDB cluster running: PD + 3 TiKV stores + TiDB, data %s.
  SQL:     mysql -h %s -P %d -u root
  status:  http://%s
  PD:      %s

Import into it (physical backend; --backend tidb for logical INSERTs):
  bin/starter import -c task.toml --backend local --tidb-host %s --tidb-port %d --tidb-status %d --pd-urls %s

Ctrl-C stops it.
`, where, host, sb.SQLPort(), sb.StatusAddress(), pd, host, sb.SQLPort(), sb.StatusPort(), pd)
}
