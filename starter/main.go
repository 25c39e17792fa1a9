// Command starter is Tempest's command line: it starts imports and controls
// them.
//
//	starter import -c task.toml [tidb-lightning flags]   run an import, draw its progress
//	starter status|pause|resume|cancel <workflow-id>     control a running import
//	starter kv encode|decode ...                        inspect TiDB KV encoding
//	starter demo                                        import a bundled example dump
//	starter bench                                       write BENCHMARKS.md
//
// With no Temporal address configured ([temporal] address or
// --temporal-address), `starter import` is the embedded default: it runs a
// Temporal server and a worker in-process.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/tempestdb/tempest/internal/logutil"
	"github.com/tempestdb/tempest/internal/workerhost"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	logutil.QuietLibraries()
	workerhost.LabelBinary()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "error:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stderr)
		return flag.ErrHelp
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "import":
		return (&importCommand{stdout: stdout, stderr: stderr}).Run(ctx, rest)
	case "status":
		return (&controlCommand{action: "status", stdout: stdout}).Run(ctx, rest)
	case "pause", "resume", "cancel":
		return (&controlCommand{action: cmd, stdout: stdout}).Run(ctx, rest)
	case "kv":
		return runKV(ctx, rest, stdout)
	case "demo":
		return (&demoCommand{stdout: stdout, stderr: stderr}).Run(ctx, rest)
	case "bench":
		return (&benchCommand{stdout: stdout, stderr: stderr}).Run(ctx, rest)
	case "sandbox":
		return (&sandboxCommand{stdout: stdout, stderr: stderr}).Run(ctx, rest)
	case "version", "-V", "--version":
		fmt.Fprintln(stdout, "tempest", version)
		return nil
	case "help", "-h", "--help":
		usage(stdout)
		return nil
	default:
		usage(stderr)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func usage(w io.Writer) {
	fmt.Fprint(w, `Tempest: bulk import into TiDB (and MySQL/MariaDB), orchestrated by Temporal.

Usage:
  starter import -c task.toml [flags]     start an import and draw its progress until it ends
  starter status <workflow-id>            show the progress of an import
  starter pause <workflow-id>             stop dispatching new chunks (running ones finish their batch)
  starter resume <workflow-id>            continue a paused import
  starter cancel <workflow-id>            cancel an import (cleanup still runs)
  starter kv encode|decode [flags]        print TiDB KV pairs of a schema + data file, or decode them
  starter demo                            import a bundled example dump on the embedded default
  starter bench [--out BENCHMARKS.md]     benchmark the logical backend against myloader
  starter sandbox [--data-dir D]          run a sandbox TiDB cluster (PD, TiKV, TiDB) in the foreground to import into
  starter version

Run "starter <command> -h" for a command's flags. Without a Temporal address
([temporal] address, --temporal-address) the import runs on an embedded
Temporal server with an in-process worker.
`)
}
