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
	"runtime/pprof"
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
	"github.com/tempestdb/tempest/internal/engine"
	"github.com/tempestdb/tempest/internal/kv"
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
	cpuProfile    string // "" = none
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
	// load is the 1-minute load average before and after the import, as
	// text ("" if unknown): the machine may be shared.
	load [2]string
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
	loadBefore := loadAvg()
	stopProfile, err := startCPUProfile(o.cpuProfile)
	if err != nil {
		return err
	}
	phys, err := benchImport(ctx, conn, cfg, "bench-physical", gen.Bytes)
	if perr := stopProfile(); perr != nil && err == nil {
		err = perr
	}
	if err != nil {
		return fmt.Errorf("physical import: %w", err)
	}
	physHWM := vmHWM()
	phys.load = [2]string{loadBefore, loadAvg()}
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

	fmt.Fprintf(c.stderr, "phases: parse, encode and engine write of %s one at a time ...\n", filepath.Base(dataFiles[0]))
	phases, err := runPhases(ctx, cfg, spec, dataFiles[0], filepath.Join(dir, "phase-engine"))
	if err != nil {
		return err
	}

	report := renderPhysicalBench(gen, o, startup, phys, logical, floors, phases, physHWM, vmHWM())
	fmt.Fprint(c.stdout, report)
	return benchdoc.WriteSection(o.out, "Physical import into the sandbox", "_Written by `make bench-physical` (`starter bench --physical`)._\n\n"+report)
}

// startCPUProfile profiles the process into path until the returned stop
// is called; an empty path profiles nothing.
func startCPUProfile(path string) (stop func() error, err error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("cpu profile %s: %w", path, err)
	}
	return func() error {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			return fmt.Errorf("cpu profile %s: %w", path, err)
		}
		return nil
	}, nil
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

// loadAvg is the 1-minute load average from /proc/loadavg ("" if unknown).
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return ""
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

func renderPhysicalBench(gen benchdump.Result, o physicalBenchOptions, startup time.Duration, phys, logical importRun, floors []floorRun, ph phaseRun, physHWM, endHWM int64) string {
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
	fmt.Fprintf(&b, "Machine: %s, %d CPUs, %s. Measured %s", cpuModel(), runtime.NumCPU(), runtime.Version(), time.Now().UTC().Format("2006-01-02 15:04 MST"))
	if phys.load[0] != "" && phys.load[1] != "" {
		fmt.Fprintf(&b, "; 1-minute load average %s before and %s after the physical import (other work on the machine slows every figure)", phys.load[0], phys.load[1])
	}
	fmt.Fprint(&b, ".\n\n")

	fmt.Fprintf(&b, "Per phase, one at a time on one goroutine over one data file (%s, %.0f MiB, %d rows → %d KV pairs): "+
		"a parse pass that only reads the rows, then (from rows parsed into memory by an untimed second pass) an encode of every row, "+
		"then a write of all pairs into a fresh local engine with the import's engine options (Writer.Put + Close: sort, SST build, ingest into the engine). The import interleaves these inside each ImportChunk activity, "+
		"which reports only its total.\n\n", ph.file, mib(ph.bytes), ph.rows, ph.pairs)
	fmt.Fprintln(&b, "| phase | time | MiB/s of source |")
	fmt.Fprintln(&b, "|---|---|---|")
	fmt.Fprintf(&b, "| read + parse (1 thread, 1 file) | %.2f s | %.1f |\n", ph.parse.Seconds(), rate(ph.bytes, ph.parse))
	fmt.Fprintf(&b, "| encode (1 thread, 1 file) | %.2f s | %.1f |\n", ph.encode.Seconds(), rate(ph.bytes, ph.encode))
	fmt.Fprintf(&b, "| local sort/write into the engine (1 thread, 1 file) | %.2f s | %.1f |\n", ph.write.Seconds(), rate(ph.bytes, ph.write))
	sum := ph.parse + ph.encode + ph.write
	fmt.Fprintf(&b, "| sum of the three (1 thread) | %.2f s | %.1f |\n\n", sum.Seconds(), rate(ph.bytes, sum))

	e2e := startup + phys.elapsed
	fmt.Fprintf(&b, "The whole import (%.0f MiB):\n\n", mib(src))
	fmt.Fprintln(&b, "| physical import | time | MiB/s of source |")
	fmt.Fprintln(&b, "|---|---|---|")
	chunk, ingest := phys.phases["ImportChunk"], phys.phases["ImportEngine"]
	if chunk != nil {
		fmt.Fprintf(&b, "| read + parse + encode + local write (%d ImportChunk activities, wall; %.1f s busy over %d threads) | %.1f s | %.1f |\n",
			chunk.count, chunk.busy.Seconds(), o.threads, chunk.wall().Seconds(), rate(src, chunk.wall()))
	}
	if ingest != nil {
		fmt.Fprintf(&b, "| ingest: split/scatter + Write/MultiIngest to 3 replicas (%d ImportEngine, wall) | %.1f s | %.1f |\n", ingest.count, ingest.wall().Seconds(), rate(src, ingest.wall()))
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
	fmt.Fprintf(&b, "| workflow (StartImport → done) | %.1f s | %.1f |\n", phys.elapsed.Seconds(), rate(src, phys.elapsed))
	fmt.Fprintf(&b, "| end to end (Temporal start-up + workflow) | %.1f s | %.1f |\n", e2e.Seconds(), rate(src, e2e))
	fmt.Fprintf(&b, "\nPeak RSS (VmHWM of the whole process: sandbox cluster, Temporal, worker): %.0f MiB after the physical import; %.0f MiB at the end, which also covers the row count check "+
		"(SELECT COUNT(*) through the sandbox's TiDB front, which streams the table in bounded batches), the logical run and the per-phase run.\n\n", mib(physHWM), mib(endHWM))

	fmt.Fprintln(&b, "| floor (same files, page cache; plain files, so read = read + decompress) | threads | time | MiB/s |")
	fmt.Fprintln(&b, "|---|---|---|---|")
	for _, f := range floors {
		fmt.Fprintf(&b, "| %s | %d | %.2f s | %.1f |\n", f.name, f.threads, f.elapsed.Seconds(), rate(src, f.elapsed))
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
		if r := rate(src, f.elapsed); r > 0 && f.threads == o.threads {
			fmt.Fprintf(&b, "**Physical / floor (%s, %d threads): %.3f×** (the import runs at %.1f%% of that floor's speed).\n",
				f.name, f.threads, physRate/r, 100*physRate/r)
		}
	}
	return b.String()
}

// phaseRun times the stages of ImportChunk one at a time over one data
// file, on one goroutine: read+parse every row into memory, encode them all
// into KV pairs, then write the pairs into a fresh local engine (sort +
// SST build + ingest into the engine, i.e. Writer.Put and Writer.Close).
// The import itself runs the three interleaved inside each ImportChunk
// activity and reports only the activity's duration.
type phaseRun struct {
	file                 string
	bytes                int64
	rows, pairs          int64
	parse, encode, write time.Duration
}

func runPhases(ctx context.Context, cfg *config.Config, spec benchdump.Spec, path, engineDir string) (phaseRun, error) {
	pr := phaseRun{file: filepath.Base(path)}
	st, err := os.Stat(path)
	if err != nil {
		return pr, fmt.Errorf("phase run: %w", err)
	}
	pr.bytes = st.Size()
	tbl, err := kv.ParseCreateTable(spec.CreateTable(), 100)
	if err != nil {
		return pr, fmt.Errorf("phase run: table: %w", err)
	}

	// read + parse, timed as the import does it: rows are consumed as they
	// come. A second, untimed pass keeps them in memory for the encode
	// step (the parser reuses its buffers).
	start := time.Now()
	if _, err := parseFile(ctx, path, nil); err != nil {
		return pr, err
	}
	pr.parse = time.Since(start)
	var rows [][]parser.Field
	var arena []byte
	cols, err := parseFile(ctx, path, func(src []parser.Field) {
		row := make([]parser.Field, len(src))
		for i, fd := range src {
			if len(arena)+len(fd.Bytes) > cap(arena) {
				arena = make([]byte, 0, max(4<<20, len(fd.Bytes)))
			}
			n := len(arena)
			arena = append(arena, fd.Bytes...)
			row[i] = fd
			row[i].Bytes = arena[n:len(arena):len(arena)]
		}
		rows = append(rows, row)
	})
	if err != nil {
		return pr, err
	}
	pr.rows = int64(len(rows))

	// encode
	start = time.Now()
	enc, err := kv.NewEncoder(tbl, kv.EncoderOptions{SQLMode: cfg.TiDB.SQLMode, RowFormatVersion: 2})
	if err != nil {
		return pr, fmt.Errorf("phase run: encoder: %w", err)
	}
	colMap, err := tbl.MapColumns(cols)
	if err != nil {
		return pr, fmt.Errorf("phase run: columns: %w", err)
	}
	// Batches of about the size the importer encodes before writing, so
	// the timing does not include regrowing one huge buffer.
	const batchBytes = 4 << 20
	batches := []*kv.Pairs{{}}
	for i, row := range rows {
		cur := batches[len(batches)-1]
		if cur.Size() >= batchBytes {
			cur = &kv.Pairs{}
			batches = append(batches, cur)
		}
		if err := enc.EncodeFields(row, colMap, int64(i+1), cur); err != nil {
			return pr, fmt.Errorf("phase run: encode row %d of %s: %w", i+1, path, err)
		}
	}
	pr.encode = time.Since(start)
	for _, p := range batches {
		pr.pairs += int64(p.Len())
	}
	rows, arena = nil, nil

	// local sort/write, with the import's engine options.
	eng, err := engine.Open(engineDir, "phase-run", engine.OptionsFromConfig(cfg, nil))
	if err != nil {
		return pr, fmt.Errorf("phase run: %w", err)
	}
	defer func() { _ = eng.Cleanup() }()
	start = time.Now()
	w, err := eng.NewWriter(engine.WriterOptions{})
	if err != nil {
		return pr, fmt.Errorf("phase run: %w", err)
	}
	for _, pairs := range batches {
		for i := 0; i < pairs.Len(); i++ {
			if err := w.Put(ctx, pairs.Key(i), pairs.Value(i)); err != nil {
				return pr, fmt.Errorf("phase run: engine write: %w", err)
			}
		}
	}
	if _, err := w.Close(ctx); err != nil {
		return pr, fmt.Errorf("phase run: engine write: %w", err)
	}
	pr.write = time.Since(start)
	return pr, nil
}

// parseFile parses every row of path with the importer's SQL parser,
// passing each row's fields to fn (if not nil; they are only valid during
// the call), and returns the INSERT column list (nil = table order).
func parseFile(ctx context.Context, path string, fn func([]parser.Field)) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("phase run: %w", err)
	}
	defer f.Close()
	p := parser.NewSQLParser(f, path, parser.SQLOptions{})
	defer p.Close()
	var cols []string
	for {
		if err := p.ReadRow(ctx); err == io.EOF {
			return cols, nil
		} else if err != nil {
			return nil, fmt.Errorf("phase run: parse %s: %w", path, err)
		}
		if fn != nil {
			fn(p.LastRow().Fields)
		}
		cols = p.Columns()
	}
}
