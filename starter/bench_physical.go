package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/tempestdb/tempest/internal/benchdoc"
	"github.com/tempestdb/tempest/internal/benchdump"
	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/launcher"
	"github.com/tempestdb/tempest/internal/parser"
	"github.com/tempestdb/tempest/internal/sandbox/cluster"
	"github.com/tempestdb/tempest/workflows"
)

// physicalBenchOptions are the flags of `starter bench --physical`.
type physicalBenchOptions struct {
	out           string
	sizeMB        int64
	logicalSizeMB int64 // 0 = the whole dump
	threads       int
	dir           string
}

// phaseTiming is what the import's history says about one activity type.
type phaseTiming struct {
	count int
	// span is first start to last completion: the phase's wall time, since
	// chunks overlap each other.
	first, last time.Time
	// busy sums the attempts' durations (worker time, for the parallelism).
	busy time.Duration
}

func (p *phaseTiming) wall() time.Duration {
	if p == nil || p.count == 0 {
		return 0
	}
	return p.last.Sub(p.first)
}

// importRun is one Tempest import into the sandbox.
type importRun struct {
	elapsed time.Duration // StartImport to completion
	rows    int64
	bytes   int64 // source bytes of the files imported
	phases  map[string]*phaseTiming
}

// floorRun is a read-only pass over the dump's data files.
type floorRun struct {
	name    string
	threads int
	elapsed time.Duration
}

// runPhysicalBench imports a generated dump with the physical backend into
// the in-process sandbox cluster, then the same dump (or its first
// logicalSizeMB) with the logical backend into the same sandbox, and
// compares both against reading (and parsing) the files.
func (c *benchCommand) runPhysicalBench(ctx context.Context, o physicalBenchOptions) error {
	dir := o.dir
	if dir == "" {
		d, err := os.MkdirTemp("", "tempest-bench-physical-")
		if err != nil {
			return fmt.Errorf("create work dir: %w", err)
		}
		defer os.RemoveAll(d)
		dir = d
	}
	// Plain files: the floor is then a read, not a decompression.
	spec := benchdump.Spec{Dir: filepath.Join(dir, "dump"), DB: "bench", Table: "events",
		TotalBytes: o.sizeMB << 20, FileBytes: 32 << 20, StatementBytes: 1 << 20, Seed: 1}
	fmt.Fprintf(c.stderr, "generating a %d MiB dump ...\n", o.sizeMB)
	gen, err := benchdump.Generate(spec)
	if err != nil {
		return fmt.Errorf("generate dump: %w", err)
	}
	fmt.Fprintf(c.stderr, "  %d files, %d rows, %d bytes\n", gen.Files, gen.Rows, gen.Bytes)
	dataFiles, err := benchDataFiles(spec.Dir)
	if err != nil {
		return err
	}

	fmt.Fprintln(c.stderr, "starting the sandbox cluster ...")
	sb, err := cluster.Start(ctx, cluster.Options{DataDir: filepath.Join(dir, "sandbox")})
	if err != nil {
		return fmt.Errorf("start the sandbox cluster: %w", err)
	}
	defer func() { _ = sb.Stop() }()
	db, err := sql.Open("mysql", fmt.Sprintf("root@tcp(%s)/", sb.SQLAddress()))
	if err != nil {
		return fmt.Errorf("open the sandbox's SQL port: %w", err)
	}
	defer db.Close()

	cfg := config.Default()
	cfg.TikvImporter.Backend = config.BackendLocal
	cfg.TikvImporter.SortedKVDir = filepath.Join(dir, "sorted-kv")
	cfg.Mydumper.DataSourceDir = spec.Dir
	cfg.TiDB.Host, cfg.TiDB.Port, cfg.TiDB.User = sb.Host(), sb.SQLPort(), "root"
	cfg.TiDB.StatusPort, cfg.TiDB.PdAddr = sb.StatusPort(), sb.PDAddress()
	cfg.Lightning.RegionConcurrency = o.threads
	if err := cfg.Adjust(); err != nil {
		return fmt.Errorf("physical config: %w", err)
	}
	// One embedded Temporal server and worker for both runs; its start-up is
	// timed on its own and added to the physical end-to-end time.
	connStart := time.Now()
	conn, err := launcher.Connect(ctx, cfg, launcher.Options{Ephemeral: true, UIPort: -1})
	if err != nil {
		return fmt.Errorf("start embedded Temporal: %w", err)
	}
	defer conn.Close()
	startup := time.Since(connStart)

	fmt.Fprintf(c.stderr, "tempest physical (region-concurrency %d) ...\n", o.threads)
	phys, err := benchImport(ctx, conn, cfg, "bench-physical", gen.Bytes)
	if err != nil {
		return fmt.Errorf("physical import: %w", err)
	}
	physHWM := vmHWM()
	if err := sandboxCount(ctx, db, gen.Rows); err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "  %.1f s\n", phys.elapsed.Seconds())

	// Same sandbox, same database name: drop it so the logical run creates
	// it again from the dump's schema files.
	if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS `bench`"); err != nil {
		return fmt.Errorf("drop the physical run's database: %w", err)
	}
	logicalDir, logicalFiles, logicalBytes, err := logicalDump(spec.Dir, filepath.Join(dir, "dump-logical"), dataFiles, o.logicalSizeMB<<20)
	if err != nil {
		return err
	}
	lcfg := *cfg
	lcfg.TikvImporter.Backend = config.BackendTiDB
	lcfg.Mydumper.DataSourceDir = logicalDir
	if err := lcfg.Adjust(); err != nil {
		return fmt.Errorf("logical config: %w", err)
	}
	fmt.Fprintf(c.stderr, "tempest logical (%d files, %d MiB) ...\n", len(logicalFiles), logicalBytes>>20)
	logical, err := benchImport(ctx, conn, &lcfg, "bench-logical", logicalBytes)
	if err != nil {
		return fmt.Errorf("logical import: %w", err)
	}
	if err := sandboxCount(ctx, db, logical.rows); err != nil {
		return err
	}
	fmt.Fprintf(c.stderr, "  %.1f s\n", logical.elapsed.Seconds())

	fmt.Fprintln(c.stderr, "floor: reading and parsing the files ...")
	var floors []floorRun
	for _, n := range []int{1, o.threads} {
		d, err := readFiles(dataFiles, n)
		if err != nil {
			return err
		}
		floors = append(floors, floorRun{name: "read", threads: n, elapsed: d})
		d, err = parseFiles(ctx, dataFiles, n)
		if err != nil {
			return err
		}
		floors = append(floors, floorRun{name: "read + parse", threads: n, elapsed: d})
	}

	report := renderPhysicalBench(gen, o, startup, phys, logical, floors, physHWM, vmHWM())
	fmt.Fprint(c.stdout, report)
	return benchdoc.WriteSection(o.out, "Physical import into the sandbox", "_Written by `make bench-physical` (`starter bench --physical`)._\n\n"+report)
}

// benchImport runs one import to completion and reads its activities'
// timings back from history.
func benchImport(ctx context.Context, conn *launcher.Conn, cfg *config.Config, taskID string, srcBytes int64) (importRun, error) {
	start := time.Now()
	run, err := launcher.StartImport(ctx, conn, cfg, taskID, workflows.Timeouts{})
	if err != nil {
		return importRun{}, err
	}
	final, err := launcher.Wait(ctx, conn.Client, run, time.Second, nil)
	if err != nil {
		return importRun{}, err
	}
	r := importRun{elapsed: time.Since(start), rows: final.Rows, bytes: srcBytes, phases: map[string]*phaseTiming{}}
	if err := collectPhases(ctx, conn.Client, run.GetID(), run.GetRunID(), r.phases); err != nil {
		return importRun{}, fmt.Errorf("read %s's history: %w", taskID, err)
	}
	return r, nil
}

// collectPhases walks a workflow run's history, its continue-as-new
// successors and its children (the table workflows run the chunks), timing
// every completed activity by type.
func collectPhases(ctx context.Context, c client.Client, id, runID string, phases map[string]*phaseTiming) error {
	type pending struct {
		name    string
		started time.Time
	}
	scheduled := map[int64]*pending{}
	it := c.GetWorkflowHistory(ctx, id, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	type child struct{ id, run string }
	var children []child
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return fmt.Errorf("history of %s/%s: %w", id, runID, err)
		}
		switch {
		case ev.GetActivityTaskScheduledEventAttributes() != nil:
			scheduled[ev.GetEventId()] = &pending{name: ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName()}
		case ev.GetActivityTaskStartedEventAttributes() != nil:
			if p := scheduled[ev.GetActivityTaskStartedEventAttributes().GetScheduledEventId()]; p != nil {
				p.started = ev.GetEventTime().AsTime()
			}
		case ev.GetActivityTaskCompletedEventAttributes() != nil:
			p := scheduled[ev.GetActivityTaskCompletedEventAttributes().GetScheduledEventId()]
			if p == nil || p.started.IsZero() {
				continue
			}
			end := ev.GetEventTime().AsTime()
			t := phases[p.name]
			if t == nil {
				t = &phaseTiming{first: p.started, last: end}
				phases[p.name] = t
			}
			t.count++
			t.busy += end.Sub(p.started)
			if p.started.Before(t.first) {
				t.first = p.started
			}
			if end.After(t.last) {
				t.last = end
			}
		case ev.GetChildWorkflowExecutionStartedEventAttributes() != nil:
			we := ev.GetChildWorkflowExecutionStartedEventAttributes().GetWorkflowExecution()
			children = append(children, child{we.GetWorkflowId(), we.GetRunId()})
		case ev.GetWorkflowExecutionContinuedAsNewEventAttributes() != nil:
			children = append(children, child{id, ev.GetWorkflowExecutionContinuedAsNewEventAttributes().GetNewExecutionRunId()})
		}
	}
	for _, ch := range children {
		if err := collectPhases(ctx, c, ch.id, ch.run, phases); err != nil {
			return err
		}
	}
	return nil
}

// sandboxCount checks the imported row count through the TiDB front.
func sandboxCount(ctx context.Context, db *sql.DB, want int64) error {
	var got int64
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM `bench`.`events`").Scan(&got); err != nil {
		return fmt.Errorf("count rows in the sandbox: %w", err)
	}
	if got != want {
		return fmt.Errorf("bench.events has %d rows in the sandbox, want %d", got, want)
	}
	return nil
}

// benchDataFiles lists the dump's data files in order.
func benchDataFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list the dump: %w", err)
	}
	var files []string
	for _, e := range entries {
		n := e.Name()
		if strings.HasSuffix(n, ".sql") && !strings.Contains(n, "-schema") {
			files = append(files, filepath.Join(dir, n))
		}
	}
	sort.Strings(files)
	return files, nil
}

// logicalDump returns the dump the logical run imports: the whole dump, or
// when capped a directory of hard links to the schema files and the first
// data files up to limit bytes, so that both runs read the very same bytes.
func logicalDump(src, dst string, dataFiles []string, limit int64) (string, []string, int64, error) {
	var total int64
	var picked []string
	for _, f := range dataFiles {
		st, err := os.Stat(f)
		if err != nil {
			return "", nil, 0, fmt.Errorf("stat %s: %w", f, err)
		}
		if limit > 0 && total > 0 && total+st.Size() > limit {
			break
		}
		picked = append(picked, f)
		total += st.Size()
	}
	if len(picked) == len(dataFiles) {
		return src, picked, total, nil
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return "", nil, 0, fmt.Errorf("create %s: %w", dst, err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return "", nil, 0, fmt.Errorf("list the dump: %w", err)
	}
	keep := map[string]bool{}
	for _, f := range picked {
		keep[filepath.Base(f)] = true
	}
	for _, e := range entries {
		n := e.Name()
		isData := strings.HasSuffix(n, ".sql") && !strings.Contains(n, "-schema")
		if isData && !keep[n] {
			continue
		}
		if err := os.Link(filepath.Join(src, n), filepath.Join(dst, n)); err != nil && !errors.Is(err, os.ErrExist) {
			return "", nil, 0, fmt.Errorf("link %s: %w", n, err)
		}
	}
	return dst, picked, total, nil
}

// forFiles runs fn over files with n workers and times the whole pass.
func forFiles(files []string, n int, fn func(path string) error) (time.Duration, error) {
	start := time.Now()
	work := make(chan string)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				if err := fn(f); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var err error
feed:
	for _, f := range files {
		select {
		case work <- f:
		case err = <-errs:
			break feed
		}
	}
	close(work)
	wg.Wait()
	close(errs)
	if err == nil {
		err = <-errs
	}
	return time.Since(start), err
}

// readFiles is the I/O floor: every byte read once, nothing done with it.
func readFiles(files []string, n int) (time.Duration, error) {
	return forFiles(files, n, func(path string) error {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("floor read: %w", err)
		}
		defer f.Close()
		buf := make([]byte, 1<<20)
		for {
			if _, err := f.Read(buf); err == io.EOF {
				return nil
			} else if err != nil {
				return fmt.Errorf("floor read %s: %w", path, err)
			}
		}
	})
}

// parseFiles is the parse floor: the importer's own SQL parser over every
// row, nothing encoded. It isolates read+parse from the ImportChunk
// activity, which times parse, encode and engine write together.
func parseFiles(ctx context.Context, files []string, n int) (time.Duration, error) {
	return forFiles(files, n, func(path string) error {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("floor parse: %w", err)
		}
		p := parser.NewSQLParser(f, path, parser.SQLOptions{})
		defer p.Close()
		for {
			if err := p.ReadRow(ctx); err == io.EOF {
				return nil
			} else if err != nil {
				return fmt.Errorf("floor parse %s: %w", path, err)
			}
		}
	})
}

// vmHWM is the process's peak resident set size in bytes (0 if unknown).
func vmHWM() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kb); err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

func renderPhysicalBench(gen benchdump.Result, o physicalBenchOptions, startup time.Duration, phys, logical importRun, floors []floorRun, physHWM, endHWM int64) string {
	var b strings.Builder
	mib := func(n int64) float64 { return float64(n) / (1 << 20) }
	rate := func(n int64, d time.Duration) float64 {
		if d <= 0 {
			return 0
		}
		return mib(n) / d.Seconds()
	}
	src := gen.Bytes
	fmt.Fprintf(&b, "Dump: %d files, %d rows, %.0f MiB of plain multi-row INSERTs (generated by `internal/benchdump`).\n", gen.Files, gen.Rows, mib(src))
	fmt.Fprintf(&b, "Target: the in-process sandbox cluster (PD, 3 TiKV stores, TiDB front) in the same process as the embedded Temporal server and the worker. Region-concurrency: %d.\n", o.threads)
	fmt.Fprintf(&b, "Machine: %s, %d CPUs, %s. Measured %s.\n\n", cpuModel(), runtime.NumCPU(), runtime.Version(), time.Now().UTC().Format("2006-01-02 15:04 MST"))

	e2e := startup + phys.elapsed
	fmt.Fprintln(&b, "| physical import | time | MiB/s of source |")
	fmt.Fprintln(&b, "|---|---|---|")
	fmt.Fprintf(&b, "| end to end (Temporal start-up + workflow) | %.1f s | %.1f |\n", e2e.Seconds(), rate(src, e2e))
	fmt.Fprintf(&b, "| workflow (StartImport → done) | %.1f s | %.1f |\n", phys.elapsed.Seconds(), rate(src, phys.elapsed))
	chunk, ingest := phys.phases["ImportChunk"], phys.phases["ImportEngine"]
	if chunk != nil {
		fmt.Fprintf(&b, "| read + parse + encode + engine write (%d ImportChunk, wall; %.1f s busy) | %.1f s | %.1f |\n",
			chunk.count, chunk.busy.Seconds(), chunk.wall().Seconds(), rate(src, chunk.wall()))
	}
	if ingest != nil {
		fmt.Fprintf(&b, "| ingest: split/scatter + Write/MultiIngest (ImportEngine) | %.1f s | %.1f |\n", ingest.wall().Seconds(), rate(src, ingest.wall()))
	}
	var other time.Duration
	var otherNames []string
	for name, t := range phys.phases {
		if name != "ImportChunk" && name != "ImportEngine" {
			other += t.busy
			otherNames = append(otherNames, name)
		}
	}
	sort.Strings(otherNames)
	fmt.Fprintf(&b, "| other activities (%s) | %.1f s | |\n", strings.Join(otherNames, ", "), other.Seconds())
	fmt.Fprintf(&b, "\nPeak RSS (VmHWM of the whole process: sandbox cluster, Temporal, worker): %.0f MiB after the physical import, %.0f MiB at the end.\n\n", mib(physHWM), mib(endHWM))

	fmt.Fprintln(&b, "| floor (same files, page cache) | threads | time | MiB/s |")
	fmt.Fprintln(&b, "|---|---|---|---|")
	for _, f := range floors {
		fmt.Fprintf(&b, "| %s | %d | %.2f s | %.1f |\n", f.name, f.threads, f.elapsed.Seconds(), rate(src, f.elapsed))
	}
	var encode time.Duration
	for _, f := range floors {
		if f.name == "read + parse" && f.threads == o.threads && chunk != nil {
			encode = chunk.wall() - f.elapsed
		}
	}
	if encode > 0 {
		fmt.Fprintf(&b, "\nPhases: ImportChunk times parse, encode and the engine write together (the importer reports no split). "+
			"Taking the parse floor at %d threads out of its wall time leaves ≈ %.1f s for encode + local sort/write, ≈ %.1f MiB/s.\n",
			o.threads, encode.Seconds(), rate(src, encode))
	}

	physRate, logRate := rate(src, phys.elapsed), rate(logical.bytes, logical.elapsed)
	fmt.Fprintf(&b, "\nLogical backend into the same sandbox (database dropped in between): %.0f MiB", mib(logical.bytes))
	if logical.bytes < src {
		fmt.Fprintf(&b, " — the first data files of the same dump (`--logical-size-mb %d`), so the comparison is of MiB/s", o.logicalSizeMB)
	}
	fmt.Fprintf(&b, ", %d rows in %.1f s = %.1f MiB/s.\n\n", logical.rows, logical.elapsed.Seconds(), logRate)
	if logRate > 0 {
		fmt.Fprintf(&b, "**Physical / logical throughput: %.1f×** (target ≥ 5×; workflow times, both on the same running Temporal server).\n", physRate/logRate)
	}
	for _, f := range floors {
		if f.name == "read" {
			fmt.Fprintf(&b, "**Physical / raw read at %d threads: %.3f×**.\n", f.threads, physRate/rate(src, f.elapsed))
		}
	}
	return b.String()
}
