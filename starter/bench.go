package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/tempestdb/tempest/internal/benchdoc"
	"github.com/tempestdb/tempest/internal/benchdump"
	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/launcher"
	"github.com/tempestdb/tempest/internal/testenv"
	"github.com/tempestdb/tempest/workflows"
)

// benchCommand measures the logical backend against myloader: same
// generated dump, same private MariaDB, same thread count. Tempest's time
// includes Temporal's overhead (embedded server, workflow, activities).
type benchCommand struct {
	stdout, stderr io.Writer
}

type benchRun struct {
	name    string
	elapsed time.Duration
	rows    int64
}

func (c *benchCommand) Run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("starter bench", flag.ContinueOnError)
	out := fs.String("out", "BENCHMARKS.md", "file to write the results to")
	sizeMB := fs.Int64("size-mb", 256, "size of the generated dump in MiB")
	threads := fs.Int("threads", runtime.NumCPU(), "threads for both loaders (myloader -t, region-concurrency)")
	workDir := fs.String("dir", "", "work directory (default: a temporary one, removed afterwards)")
	physical := fs.Bool("physical", false, "benchmark the physical backend into the in-process sandbox cluster instead (default --size-mb 1024)")
	logicalSizeMB := fs.Int64("logical-size-mb", 256, "with --physical: import only the first N MiB of the dump's files with the logical backend (0 = all; the logical run is the slow one, and the comparison is of MiB/s)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the Tempest import (the whole process: worker, Temporal, with --physical the sandbox too) to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *physical {
		size := int64(1024)
		fs.Visit(func(f *flag.Flag) {
			if f.Name == "size-mb" {
				size = *sizeMB
			}
		})
		return c.runPhysicalBench(ctx, physicalBenchOptions{out: *out, sizeMB: size, logicalSizeMB: *logicalSizeMB, threads: *threads, dir: *workDir, cpuProfile: *cpuProfile})
	}
	dir := *workDir
	if dir == "" {
		d, err := os.MkdirTemp("", "tempest-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	myloader, err := exec.LookPath("myloader")
	if err != nil {
		return fmt.Errorf("myloader not found (make bench installs mydumper): %w", err)
	}

	spec := benchdump.Spec{Dir: filepath.Join(dir, "dump"), DB: "bench", Table: "events",
		TotalBytes: *sizeMB << 20, FileBytes: 32 << 20, StatementBytes: 1 << 20, Seed: 1}
	fmt.Fprintf(c.stderr, "generating a %d MiB dump ...\n", *sizeMB)
	gen, err := benchdump.Generate(spec)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "  %d files, %d rows, %d bytes\n", gen.Files, gen.Rows, gen.Bytes)

	db, err := testenv.StartMariaDB(ctx, filepath.Join(dir, "mariadb"), zap.NewNop())
	if err != nil {
		return err
	}
	defer func() { _ = db.Stop() }()

	var runs []benchRun
	// myloader first, then Tempest, each into a fresh database.
	fmt.Fprintf(c.stderr, "myloader -t %d ...\n", *threads)
	start := time.Now()
	cmd := exec.CommandContext(ctx, myloader, "-d", spec.Dir, "-h", db.Host(), "-P", fmt.Sprint(db.Port()),
		"-u", db.User(), "-t", fmt.Sprint(*threads), "-B", "bench_myloader", "-o")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("myloader: %w: %s", err, stderr.String())
	}
	runs = append(runs, benchRun{name: "myloader", elapsed: time.Since(start)})
	if err := verifyCount(ctx, db, "bench_myloader", gen.Rows); err != nil {
		return err
	}

	fmt.Fprintf(c.stderr, "tempest (logical backend, region-concurrency %d) ...\n", *threads)
	cfg := config.Default()
	cfg.TikvImporter.Backend = config.BackendTiDB
	cfg.Mydumper.DataSourceDir = spec.Dir
	cfg.Routes = []config.Route{{SchemaPattern: "bench", TablePattern: "events", TargetSchema: "bench_tempest", TargetTable: "events"}}
	cfg.TiDB.Host, cfg.TiDB.Port, cfg.TiDB.User = db.Host(), db.Port(), db.User()
	cfg.Lightning.RegionConcurrency = *threads
	if err := cfg.Adjust(); err != nil {
		return err
	}
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	start = time.Now()
	conn, err := launcher.Connect(ctx, cfg, launcher.Options{Ephemeral: true, UIPort: -1})
	if err != nil {
		return errors.Join(err, stopProfile())
	}
	run, err := launcher.StartImport(ctx, conn, cfg, "bench", workflows.Timeouts{})
	if err == nil {
		_, err = launcher.Wait(ctx, conn.Client, run, time.Second, nil)
	}
	elapsed := time.Since(start)
	conn.Close()
	err = errors.Join(err, stopProfile())
	if err != nil {
		return fmt.Errorf("tempest import: %w", err)
	}
	runs = append(runs, benchRun{name: "tempest", elapsed: elapsed})
	if err := verifyCount(ctx, db, "bench_tempest", gen.Rows); err != nil {
		return err
	}

	report := renderBench(gen, *threads, runs)
	fmt.Fprint(c.stdout, report)
	return benchdoc.WriteSection(*out, "Logical import vs myloader", "_Written by `make bench` (`starter bench`)._\n\n"+report)
}

func verifyCount(ctx context.Context, db *testenv.Server, schema string, want int64) error {
	rows, err := db.Query(ctx, "SELECT COUNT(*) FROM `"+schema+"`.`events`")
	if err != nil {
		return fmt.Errorf("count rows in %s: %w", schema, err)
	}
	if len(rows) != 1 || rows[0][0] != fmt.Sprint(want) {
		return fmt.Errorf("%s.events has %v rows, want %d", schema, rows, want)
	}
	return nil
}

func renderBench(gen benchdump.Result, threads int, runs []benchRun) string {
	var b strings.Builder
	mib := float64(gen.Bytes) / (1 << 20)
	fmt.Fprintf(&b, "Dump: %d files, %d rows, %.0f MiB of multi-row INSERTs (generated by `internal/benchdump`).\n", gen.Files, gen.Rows, mib)
	fmt.Fprintf(&b, "Target: a private MariaDB (%s) on loopback. Threads: %d for both.\n", mariadbVersion(), threads)
	fmt.Fprintf(&b, "Machine: %s, %d CPUs, %s. Measured %s.\n\n", cpuModel(), runtime.NumCPU(), runtime.Version(), time.Now().UTC().Format("2006-01-02"))
	fmt.Fprintln(&b, "| loader | time | throughput |")
	fmt.Fprintln(&b, "|---|---|---|")
	for _, r := range runs {
		fmt.Fprintf(&b, "| %s | %.1f s | %.1f MiB/s |\n", r.name, r.elapsed.Seconds(), mib/r.elapsed.Seconds())
	}
	if len(runs) == 2 {
		ratio := runs[0].elapsed.Seconds() / runs[1].elapsed.Seconds()
		fmt.Fprintf(&b, "\n**Tempest / myloader throughput: %.2f×** (target ≥ 1.0×; Tempest's time includes starting the embedded Temporal server and all workflow/activity overhead).\n", ratio)
	}
	return b.String()
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "model name") {
			if i := strings.Index(line, ":"); i >= 0 {
				return strings.TrimSpace(line[i+1:])
			}
		}
	}
	return runtime.GOARCH
}

func mariadbVersion() string {
	out, err := exec.Command("mariadbd", "--version").Output()
	if err != nil {
		out, err = exec.Command("/usr/sbin/mariadbd", "--version").Output()
	}
	if err != nil {
		return "MariaDB"
	}
	return strings.TrimSpace(string(out))
}
