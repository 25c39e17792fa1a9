package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/pingcap/kvproto/pkg/import_sstpb"
	"github.com/pingcap/kvproto/pkg/metapb"
	pingcaplog "github.com/pingcap/log"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"

	"github.com/tempestdb/tempest/internal/engine"
	"github.com/tempestdb/tempest/internal/kv/codec"
	"github.com/tempestdb/tempest/internal/sandbox"
)

func regionMeta(start, end []byte) *metapb.Region {
	return &metapb.Region{Id: 1, StartKey: start, EndKey: end, RegionEpoch: &metapb.RegionEpoch{ConfVer: 1, Version: 1}}
}

const testTableID = 77

// recordKey is a TiDB int-handle record key of table 77.
func recordKey(h int64) []byte {
	k := append([]byte{'t'}, codec.EncodeInt(nil, testTableID)...)
	k = append(k, '_', 'r')
	return codec.EncodeInt(k, h)
}

func tableRange() (start, end []byte) {
	start = append([]byte{'t'}, codec.EncodeInt(nil, testTableID)...)
	end = append([]byte{'t'}, codec.EncodeInt(nil, testTableID+1)...)
	return start, end
}

func testValue(h int64, size int) []byte {
	v := bytes.Repeat([]byte{byte('a' + h%26)}, size)
	copy(v, fmt.Sprintf("row-%d|", h))
	return v
}

type testEnv struct {
	cl     *sandbox.Cluster
	pd     *PD
	client *Client
	logger *zap.Logger
}

// fastOptions make retries and polls cheap and regions small.
func fastOptions() Options {
	return Options{
		SendKVSize:          2 << 10,
		RegionSplitSize:     16 << 10,
		RegionSplitKeys:     1 << 20,
		RegionCheckInterval: 5 * time.Millisecond,
		MinBackoff:          5 * time.Millisecond,
		MaxBackoff:          50 * time.Millisecond,
		RangeConcurrency:    4,
	}
}

func startEnv(t *testing.T, opts Options) *testEnv {
	t.Helper()
	logger := zaptest.NewLogger(t, zaptest.Level(testLogLevel))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := sandbox.StartKV(ctx, sandbox.Options{DataDir: t.TempDir(), Logger: logger})
	if err != nil {
		t.Fatalf("start sandbox: %v", err)
	}
	t.Cleanup(func() { _ = cl.Stop() })
	p, err := NewPD(ctx, []string{cl.PDAddress()}, logger)
	if err != nil {
		t.Fatalf("connect PD: %v", err)
	}
	t.Cleanup(p.Close)
	c := NewClient(p, opts, logger)
	t.Cleanup(func() { _ = c.Close() })
	return &testEnv{cl: cl, pd: p, client: c, logger: logger}
}

// buildEngine writes n rows of valSize bytes and sets a PD commit TS.
func (e *testEnv) buildEngine(t *testing.T, n int, valSize int) *engine.Engine {
	t.Helper()
	eng, err := engine.Open(t.TempDir(), "test-engine", engine.Options{
		PropKeysInterval: 16, PropSizeInterval: 2 << 10, WriterMemCacheSize: 64 << 10, Logger: e.logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.fillEngine(t, eng, recordKey, n, valSize)
	return eng
}

// fillEngine writes rows 1..n under key(h) with valSize-byte values into
// eng (closed with the test) and sets a PD commit TS.
func (e *testEnv) fillEngine(t *testing.T, eng *engine.Engine, key func(int64) []byte, n, valSize int) {
	t.Helper()
	ctx := context.Background()
	t.Cleanup(func() { _ = eng.Close() })
	w, err := eng.NewWriter(engine.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for h := int64(1); h <= int64(n); h++ {
		if err := w.Put(ctx, key(h), testValue(h, valSize)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	ts, err := e.pd.TS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.SetCommitTS(ts); err != nil {
		t.Fatal(err)
	}
}

// verify compares the cluster's table range with the engine, pair by pair,
// and checks the commit TS of a few keys.
func (e *testEnv) verify(t *testing.T, eng *engine.Engine, n int) {
	t.Helper()
	ctx := context.Background()
	start, end := tableRange()
	it, err := eng.Iterate(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	ok := it.First()
	count := 0
	err = e.cl.Scan(ctx, start, end, func(k, v []byte) error {
		if !ok {
			return fmt.Errorf("cluster has extra key %x", k)
		}
		ev, err := it.Value()
		if err != nil {
			return err
		}
		if !bytes.Equal(k, it.Key()) || !bytes.Equal(v, ev) {
			return fmt.Errorf("pair %d: cluster %x=%q, engine %x=%q", count, k, v, it.Key(), ev)
		}
		count++
		ok = it.Next()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if ok || count != n {
		t.Fatalf("cluster has %d pairs, engine %d (engine has more: %v)", count, n, ok)
	}
	for _, h := range []int64{1, int64(n/2 + 1), int64(n)} {
		_, ts, found, err := e.cl.Get(ctx, recordKey(h))
		if err != nil || !found || ts != eng.CommitTS() {
			t.Fatalf("Get(%d): found %v ts %d (want %d) err %v", h, found, ts, eng.CommitTS(), err)
		}
	}
}

type progressLog struct {
	mu     sync.Mutex
	ranges []KeyRange
}

func (p *progressLog) add(rs []KeyRange) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range rs {
		p.ranges = append(p.ranges, KeyRange{Start: bytes.Clone(r.Start), End: bytes.Clone(r.End)})
	}
}

func (p *progressLog) merged() []KeyRange {
	p.mu.Lock()
	defer p.mu.Unlock()
	return MergeRanges(p.ranges)
}

func TestImportEngineManyRegions(t *testing.T) {
	env := startEnv(t, fastOptions())
	const n = 4000
	eng := env.buildEngine(t, n, 100) // ~450 KB → ~28 regions of 16 KiB
	before := env.cl.Stats().Regions
	var pl progressLog
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st, err := ImportEngine(ctx, eng, env.client, ImportOptions{}, pl.add)
	if err != nil {
		t.Fatal(err)
	}
	after := env.cl.Stats()
	if st.SplitKeys < 20 || after.Regions-before < 20 {
		t.Fatalf("expected >= 20 new regions: split keys %d, regions %d -> %d", st.SplitKeys, before, after.Regions)
	}
	if after.Scatters == 0 {
		t.Fatal("no region was scattered")
	}
	if st.Pairs != n || st.Jobs < 20 {
		t.Fatalf("stats %+v", st)
	}
	// Every engine key lies in a region that starts at a split boundary or
	// inside it; no region straddles two units means jobs == units.
	env.verify(t, eng, n)
	first, last, _, _ := eng.Bounds()
	got := pl.merged()
	if len(got) != 1 || !bytes.Equal(got[0].Start, first) || !bytes.Equal(got[0].End, nextKey(last)) {
		t.Fatalf("progress ranges %v do not cover the engine", got)
	}
	// No SST may be left staged on any store.
	for _, s := range after.Stores {
		if s.StagedSSTs != 0 {
			t.Fatalf("store %d has %d staged SSTs", s.ID, s.StagedSSTs)
		}
	}
	// Importing again with everything finished does nothing.
	st2, err := ImportEngine(ctx, eng, env.client, ImportOptions{Finished: got}, nil)
	if err != nil || st2.Jobs != 0 {
		t.Fatalf("re-import of finished engine: %+v %v", st2, err)
	}
}

func TestImportEngineResume(t *testing.T) {
	env := startEnv(t, fastOptions())
	const n = 3000
	eng := env.buildEngine(t, n, 100)
	var pl progressLog
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	reports := 0
	_, err := ImportEngine(ctx, eng, env.client, ImportOptions{}, func(rs []KeyRange) {
		pl.add(rs)
		reports++
		if reports == 5 {
			once.Do(cancel) // simulate the activity being cancelled mid-way
		}
	})
	if err == nil {
		t.Fatal("cancelled import returned nil")
	}
	finished := pl.merged()
	if len(finished) == 0 {
		t.Fatal("no progress before cancel")
	}
	writesBefore := totalWrittenKVs(env.cl)

	ctx2, cancel2 := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel2()
	st, err := ImportEngine(ctx2, eng, env.client, ImportOptions{Finished: finished}, pl.add)
	if err != nil {
		t.Fatal(err)
	}
	if st.Pairs >= n || st.Pairs == 0 {
		t.Fatalf("resume wrote %d pairs; want fewer than %d (finished ranges skipped)", st.Pairs, n)
	}
	// 3 replicas per pair written by the resumed run. Write streams the
	// cancelled run aborted may still be finishing server-side when it
	// returns, so only bound the count from both sides.
	if d := totalWrittenKVs(env.cl) - writesBefore; d < 3*st.Pairs || d >= 3*n {
		t.Fatalf("stores received %d pairs, want >= %d and < %d", d, 3*st.Pairs, 3*n)
	}
	env.verify(t, eng, n)
	first, last, _, _ := eng.Bounds()
	if got := pl.merged(); len(got) != 1 || !bytes.Equal(got[0].Start, first) || !bytes.Equal(got[0].End, nextKey(last)) {
		t.Fatalf("after resume progress covers %v", got)
	}
}

func totalWrittenKVs(cl *sandbox.Cluster) int64 {
	var n int64
	for _, s := range cl.Stats().Stores {
		n += s.WrittenKVs
	}
	return n
}

func TestImportEngineFaults(t *testing.T) {
	cases := []struct {
		name  string
		fault sandbox.Fault
		fatal error
	}{
		{"write/NotLeader", sandbox.Fault{RPC: sandbox.RPCWrite, Kind: sandbox.FaultNotLeader, Count: 2}, nil},
		{"write/EpochNotMatch", sandbox.Fault{RPC: sandbox.RPCWrite, Kind: sandbox.FaultEpochNotMatch, Count: 2}, nil},
		{"write/ServerIsBusy", sandbox.Fault{RPC: sandbox.RPCWrite, Kind: sandbox.FaultServerIsBusy, Count: 3}, nil},
		{"write/RegionNotFound", sandbox.Fault{RPC: sandbox.RPCWrite, Kind: sandbox.FaultRegionNotFound, Count: 2}, nil},
		{"write/DropStream", sandbox.Fault{RPC: sandbox.RPCWrite, Kind: sandbox.FaultDropStream, Count: 3, AfterBatches: 1}, nil},
		{"write/DropStreamAtOpen", sandbox.Fault{RPC: sandbox.RPCWrite, Kind: sandbox.FaultDropStream, Count: 2}, nil},
		{"write/DiskFull", sandbox.Fault{RPC: sandbox.RPCWrite, Kind: sandbox.FaultDiskFull, Count: 1}, ErrDiskFull},
		{"ingest/NotLeader", sandbox.Fault{RPC: sandbox.RPCIngest, Kind: sandbox.FaultNotLeader, Count: 2}, nil},
		{"ingest/EpochNotMatch", sandbox.Fault{RPC: sandbox.RPCIngest, Kind: sandbox.FaultEpochNotMatch, Count: 2}, nil},
		{"ingest/ServerIsBusy", sandbox.Fault{RPC: sandbox.RPCIngest, Kind: sandbox.FaultServerIsBusy, Count: 3}, nil},
		{"ingest/RegionNotFound", sandbox.Fault{RPC: sandbox.RPCIngest, Kind: sandbox.FaultRegionNotFound, Count: 2}, nil},
		{"ingest/DropStream", sandbox.Fault{RPC: sandbox.RPCIngest, Kind: sandbox.FaultDropStream, Count: 3}, nil},
		{"ingest/DiskFull", sandbox.Fault{RPC: sandbox.RPCIngest, Kind: sandbox.FaultDiskFull, Count: 1}, ErrDiskFull},
		{"split/NotLeader", sandbox.Fault{RPC: sandbox.RPCSplitRegion, Kind: sandbox.FaultNotLeader, Count: 2}, nil},
		{"split/EpochNotMatch", sandbox.Fault{RPC: sandbox.RPCSplitRegion, Kind: sandbox.FaultEpochNotMatch, Count: 2}, nil},
		{"split/ServerIsBusy", sandbox.Fault{RPC: sandbox.RPCSplitRegion, Kind: sandbox.FaultServerIsBusy, Count: 2}, nil},
		{"scatter/Running", sandbox.Fault{RPC: sandbox.RPCScatterRegion, Kind: sandbox.FaultScatterRunning, Count: 1, Polls: 3}, nil},
	}
	// One cluster for all cases; each case imports its own table range.
	env := startEnv(t, fastOptions())
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env.cl.Faults().Clear()
			before := env.cl.Faults().FiredCount(c.fault.RPC, c.fault.Kind)
			eng := env.buildTableEngine(t, int64(1000+i), 600, 100)
			env.cl.Faults().Inject(c.fault)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			st, err := ImportEngine(ctx, eng, env.client, ImportOptions{}, nil)
			fired := env.cl.Faults().FiredCount(c.fault.RPC, c.fault.Kind) - before
			if fired == 0 {
				t.Fatalf("fault never fired (err %v)", err)
			}
			if c.fatal != nil {
				if !errors.Is(err, c.fatal) {
					t.Fatalf("want %v, got %v", c.fatal, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("import failed: %v", err)
			}
			if c.fault.RPC == sandbox.RPCWrite || c.fault.RPC == sandbox.RPCIngest {
				if st.Retries == 0 {
					t.Fatalf("fault fired %d times but no job retried: %+v", fired, st)
				}
			}
			env.verifyTable(t, eng, int64(1000+i), 600)
		})
	}
}

func tableRecordKey(tid, h int64) []byte {
	k := append([]byte{'t'}, codec.EncodeInt(nil, tid)...)
	k = append(k, '_', 'r')
	return codec.EncodeInt(k, h)
}

func (e *testEnv) buildTableEngine(t *testing.T, tid int64, n, valSize int) *engine.Engine {
	t.Helper()
	eng, err := engine.Open(t.TempDir(), fmt.Sprintf("t%d", tid), engine.Options{PropKeysInterval: 16, Logger: e.logger})
	if err != nil {
		t.Fatal(err)
	}
	e.fillEngine(t, eng, func(h int64) []byte { return tableRecordKey(tid, h) }, n, valSize)
	return eng
}

func (e *testEnv) verifyTable(t *testing.T, eng *engine.Engine, tid int64, n int) {
	t.Helper()
	var count int
	err := e.cl.Scan(context.Background(), tableRecordKey(tid, 0), tableRecordKey(tid+1, 0), func(k, v []byte) error {
		count++
		h := int64(count)
		if !bytes.Equal(k, tableRecordKey(tid, h)) || !bytes.Equal(v, testValue(h, 100)) {
			return fmt.Errorf("pair %d: %x=%q", count, k, v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if count != n {
		t.Fatalf("cluster has %d pairs of table %d, want %d", count, tid, n)
	}
}

func TestImportSlowWriteAndRateLimit(t *testing.T) {
	opts := fastOptions()
	opts.StoreWriteBWLimit = 100 << 10 // 100 KiB/s per store
	env := startEnv(t, opts)
	eng := env.buildTableEngine(t, 2000, 300, 100) // ~35 KB per store
	env.cl.Faults().Inject(sandbox.Fault{RPC: sandbox.RPCWrite, Kind: sandbox.FaultSlowWrite, Count: 2, Delay: 100 * time.Millisecond})
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := ImportEngine(ctx, eng, env.client, ImportOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if env.cl.Faults().FiredCount(sandbox.RPCWrite, sandbox.FaultSlowWrite) == 0 {
		t.Fatal("slow write never fired")
	}
	// 35 KB at 100 KiB/s per store is ≥ ~0.3 s even with all stores in
	// parallel; without the limiter the import takes a few ms.
	if took < 250*time.Millisecond {
		t.Fatalf("import took %v; rate limit not applied", took)
	}
	env.verifyTable(t, eng, 2000, 300)
}

func TestIngestAtTransferredLeader(t *testing.T) {
	opts := fastOptions()
	opts.RegionSplitSize = 1 << 30 // one region job
	env := startEnv(t, opts)
	eng := env.buildTableEngine(t, 3000, 200, 100)
	// Slow the write down so the leader can move between scan and ingest.
	env.cl.Faults().Inject(sandbox.Fault{RPC: sandbox.RPCWrite, Kind: sandbox.FaultSlowWrite, Count: 3, Delay: 100 * time.Millisecond})
	reg := env.cl.RegionByRawKey(tableRecordKey(3000, 1))
	var other uint64
	for _, p := range reg.Peers {
		if p.GetStoreId() != reg.Leader.GetStoreId() {
			other = p.GetStoreId()
			break
		}
	}
	go func() {
		time.Sleep(100 * time.Millisecond)
		_ = env.cl.TransferLeader(reg.ID, other)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := ImportEngine(ctx, eng, env.client, ImportOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Retries == 0 {
		t.Fatal("expected a NotLeader retry after the leader moved")
	}
	if env.cl.RegionByRawKey(tableRecordKey(3000, 1)).Leader.GetStoreId() != other {
		t.Fatal("leader did not move; test is not exercising NotLeader")
	}
	env.verifyTable(t, eng, 3000, 200)
}

func TestModeKeeperSwitchesBackAfterCancel(t *testing.T) {
	env := startEnv(t, fastOptions())
	ctx, cancel := context.WithCancel(context.Background())
	k, err := env.client.StartModeKeeper(ctx, 30*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if got := env.cl.StoresInImportMode(); len(got) != 3 {
		t.Fatalf("stores in import mode: %v", got)
	}
	// TiKV reverting on its own must be undone by the keeper.
	if err := env.client.switchStore(context.Background(), env.cl.StoreIDs()[0], import_sstpb.SwitchMode_Normal); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(env.cl.StoresInImportMode()) != 3 {
		if time.Now().After(deadline) {
			t.Fatal("keeper did not re-assert import mode")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel() // the import failed / was cancelled
	// The workflow's cleanup runs Stop on a fresh context.
	stopCtx, stopCancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer stopCancel()
	if err := k.Stop(stopCtx); err != nil {
		t.Fatal(err)
	}
	if got := env.cl.StoresInImportMode(); len(got) != 0 {
		t.Fatalf("stores left in import mode: %v", got)
	}
	time.Sleep(100 * time.Millisecond) // the loop must not switch them back
	if got := env.cl.StoresInImportMode(); len(got) != 0 {
		t.Fatalf("keeper kept running after Stop: %v", got)
	}
	if err := k.Stop(stopCtx); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
}

func TestSplitAndScatterIdempotent(t *testing.T) {
	env := startEnv(t, fastOptions())
	ctx := context.Background()
	var keys [][]byte
	for h := int64(100); h <= 1000; h += 100 {
		keys = append(keys, tableRecordKey(4000, h))
	}
	if err := env.client.SplitAndScatter(ctx, keys); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if r := env.cl.RegionByRawKey(k); !bytes.Equal(r.StartKey, k) {
			t.Fatalf("no region starts at %x (region %d starts at %x)", k, r.ID, r.StartKey)
		}
	}
	n := env.cl.Stats().Regions
	if err := env.client.SplitAndScatter(ctx, keys); err != nil {
		t.Fatal(err)
	}
	if m := env.cl.Stats().Regions; m != n {
		t.Fatalf("second split changed region count %d -> %d", n, m)
	}
}

func TestSchedulerPauseTableAndGlobal(t *testing.T) {
	env := startEnv(t, fastOptions())
	ctx := context.Background()
	p := NewSchedulerPauser(env.cl.PDAddress(), env.logger)
	start, end := tableRange()
	ps, err := p.Pause(ctx, ScopeTable, "tempest-t77", []KeyRange{{Start: start, End: end}}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := env.cl.PDState().LabelRules["tempest-t77"]; !ok {
		t.Fatalf("label rule not set: %v", env.cl.PDState().LabelRules)
	}
	if err := ps.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := env.cl.PDState().LabelRules["tempest-t77"]; ok {
		t.Fatal("label rule left after Resume")
	}

	gs, err := p.Pause(ctx, ScopeGlobal, "", nil, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	st := env.cl.PDState()
	if len(st.Paused) < 3 || fmt.Sprint(st.ScheduleConfig["merge-schedule-limit"]) != "0" {
		t.Fatalf("global pause: paused %v, merge limit %v", st.Paused, st.ScheduleConfig["merge-schedule-limit"])
	}
	if err := gs.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	st = env.cl.PDState()
	if len(st.Paused) != 0 || fmt.Sprint(st.ScheduleConfig["merge-schedule-limit"]) != "8" {
		t.Fatalf("after resume: paused %v, merge limit %v", st.Paused, st.ScheduleConfig["merge-schedule-limit"])
	}
}

func TestSchedulerPauseTolerates404(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	p := NewSchedulerPauser(srv.URL, zaptest.NewLogger(t))
	ps, err := p.Pause(context.Background(), ScopeTable, "x", []KeyRange{kr("a", "b")}, time.Minute)
	if err != nil {
		t.Fatalf("404 should be tolerated: %v", err)
	}
	if err := ps.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv500 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	}))
	defer srv500.Close()
	if _, err := NewSchedulerPauser(srv500.URL, nil).Pause(context.Background(), ScopeTable, "x", nil, time.Minute); err == nil {
		t.Fatal("500 must fail")
	}
}

func TestGCSafePointKeeper(t *testing.T) {
	env := startEnv(t, fastOptions())
	ctx := context.Background()
	ts, err := env.pd.TS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	k, err := env.pd.KeepGCSafePoint(ctx, "tempest-test", ts, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got := env.cl.PDState().ServiceSafePoints["tempest-test"]; got != ts {
		t.Fatalf("service safe point = %d, want %d", got, ts)
	}
	if err := k.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := env.cl.PDState().ServiceSafePoints["tempest-test"]; ok {
		t.Fatal("service safe point left after Stop")
	}
}

func TestMain(m *testing.M) {
	// The PD client logs through pingcap/log's global logger; keep test
	// output readable.
	pingcaplog.SetLevel(zap.WarnLevel)
	os.Exit(m.Run())
}

// testLogLevel is Warn; set TEMPEST_TEST_DEBUG=1 to see the job state machine.
var testLogLevel = func() zapcore.Level {
	if os.Getenv("TEMPEST_TEST_DEBUG") != "" {
		return zap.DebugLevel
	}
	return zap.WarnLevel
}()

func TestImportRegionSplitDuringJob(t *testing.T) {
	opts := fastOptions()
	opts.RegionSplitSize = 1 << 30 // one job for the whole engine
	env := startEnv(t, opts)
	const tid, n = 5000, 300
	eng := env.buildTableEngine(t, tid, n, 100)
	// Make the table its own region first, so the split below only
	// affects this job.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := env.client.SplitAndScatter(ctx, [][]byte{tableRecordKey(tid, 0), tableRecordKey(tid+1, 0)}); err != nil {
		t.Fatal(err)
	}
	env.cl.Faults().Inject(sandbox.Fault{RPC: sandbox.RPCWrite, Kind: sandbox.FaultSlowWrite, Count: 3, Delay: 20 * time.Millisecond})
	splitDone := make(chan error, 1)
	go func() {
		time.Sleep(100 * time.Millisecond) // while the job is writing
		splitDone <- env.client.SplitAndScatter(context.Background(), [][]byte{tableRecordKey(tid, 150)})
	}()
	st, err := ImportEngine(ctx, eng, env.client, ImportOptions{SkipSplit: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-splitDone; err != nil {
		t.Fatal(err)
	}
	if st.Rescans == 0 || st.Jobs < 2 {
		t.Fatalf("expected an epoch-not-match rescan splitting the job in two: %+v", st)
	}
	env.verifyTable(t, eng, tid, n)
}

func TestImportPartialJobs(t *testing.T) {
	opts := fastOptions()
	opts.RegionSplitSize = 6 << 10 // a job pass stops after 8 KiB
	env := startEnv(t, opts)
	const tid, n = 6000, 400 // ~47 KB
	eng := env.buildTableEngine(t, tid, n, 100)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var pl progressLog
	// No pre-split: one region, so only the per-pass size cap cuts jobs.
	st, err := ImportEngine(ctx, eng, env.client, ImportOptions{SkipSplit: true}, pl.add)
	if err != nil {
		t.Fatal(err)
	}
	if st.Jobs < 5 {
		t.Fatalf("expected >= 5 partial passes, got %+v", st)
	}
	if len(pl.ranges) != int(st.Jobs) || len(pl.merged()) != 1 {
		t.Fatalf("progress: %d reports, merged %v", len(pl.ranges), pl.merged())
	}
	env.verifyTable(t, eng, tid, n)
}
