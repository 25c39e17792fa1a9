package workflows

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"github.com/stretchr/testify/suite"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/tempestdb/tempest/activities"
	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/mydump"
	"github.com/tempestdb/tempest/internal/progress"
)

type workflowSuite struct {
	suite.Suite
	testsuite.WorkflowTestSuite
}

func TestWorkflows(t *testing.T) { suite.Run(t, new(workflowSuite)) }

// fakeSource is two tables of three chunks each, 100 bytes and 10 rows per
// chunk.
func fakeSource() *activities.ScanResult {
	var dbs []*mydump.DBMeta
	db := &mydump.DBMeta{Name: "shop"}
	for _, name := range []string{"orders", "users"} {
		db.Tables = append(db.Tables, &mydump.TableMeta{DB: "shop", Table: name, TotalSize: 300,
			DataFiles: []mydump.FileInfo{{Path: "shop." + name + ".sql", Size: 300, Type: mydump.SourceTypeSQL}}})
	}
	db.Views = []*mydump.ViewMeta{{DB: "shop", View: "v"}}
	dbs = append(dbs, db)
	return &activities.ScanResult{DBs: dbs, TotalBytes: 600}
}

func chunksOf(t *mydump.TableMeta, n int) *activities.PlanTableResult {
	var res activities.PlanTableResult
	for i := 0; i < n; i++ {
		res.Chunks = append(res.Chunks, mydump.Chunk{File: t.DataFiles[0], Index: i, Offset: int64(i * 100),
			EndOffset: int64(i*100 + 100), PrevRowIDMax: int64(i * 10), RowIDMax: int64(i*10 + 10)})
	}
	return &res
}

func testConfig() *config.Config {
	cfg := config.Default()
	cfg.TikvImporter.Backend = config.BackendTiDB
	cfg.Lightning.RegionConcurrency = 2
	cfg.Lightning.TableConcurrency = 2
	return cfg
}

// env registers the workflows and activities and mocks every activity but
// ImportChunk, whose behaviour each test sets.
func (s *workflowSuite) env(chunksPerTable int) (*testsuite.TestWorkflowEnvironment, *activities.Activities) {
	env, a := s.envWithoutPostProcess(chunksPerTable)
	env.OnActivity(a.PostProcess, mock.Anything, mock.Anything).Return(nil)
	return env, a
}

// envWithoutPostProcess is env with PostProcess left for the test to mock.
func (s *workflowSuite) envWithoutPostProcess(chunksPerTable int) (*testsuite.TestWorkflowEnvironment, *activities.Activities) {
	return s.envWithEngines(chunksPerTable, nil)
}

// envWithEngines plans chunksPerTable chunks per table; chunk i goes to data
// engine engineIDs[i] (all to engine 0 when engineIDs is nil).
func (s *workflowSuite) envWithEngines(chunksPerTable int, engineIDs []int32) (*testsuite.TestWorkflowEnvironment, *activities.Activities) {
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(ImportWorkflow, workflow.RegisterOptions{Name: ImportWorkflowName})
	env.RegisterWorkflowWithOptions(TableImportWorkflow, workflow.RegisterOptions{Name: TableWorkflowName})
	a := &activities.Activities{}
	env.RegisterActivity(a)
	env.OnActivity(a.Scan, mock.Anything, mock.Anything).Return(fakeSource(), nil)
	env.OnActivity(a.CreateSchemas, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(a.CreateViews, mock.Anything, mock.Anything).Return(nil)
	env.OnActivity(a.PlanTable, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.PlanTableInput) (*activities.PlanTableResult, error) {
			res := chunksOf(in.Table, chunksPerTable)
			for i, id := range engineIDs {
				res.Chunks[i].EngineID = id
			}
			return res, nil
		})
	return env, a
}

func okChunk(_ context.Context, in activities.ChunkInput) (*activities.ChunkResult, error) {
	return &activities.ChunkResult{Rows: in.Chunk.RowIDMax - in.Chunk.PrevRowIDMax, Bytes: in.Chunk.EndOffset - in.Chunk.Offset}, nil
}

func (s *workflowSuite) TestImportCompletesWithTotals() {
	env, a := s.env(3)
	var mu sync.Mutex
	var ids []string
	env.OnActivity(a.ImportChunk, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.ChunkInput) (*activities.ChunkResult, error) {
			mu.Lock()
			ids = append(ids, activity.GetInfo(ctx).ActivityID)
			mu.Unlock()
			return okChunk(ctx, in)
		})
	cleaned := false
	env.OnActivity(a.Cleanup, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.CleanupInput) error {
			cleaned = true
			s.True(in.Succeeded)
			return nil
		})
	env.ExecuteWorkflow(ImportWorkflow, ImportInput{TaskID: "t1", Config: testConfig()})
	s.True(env.IsWorkflowCompleted())
	s.Require().NoError(env.GetWorkflowError())
	var res progress.Import
	s.Require().NoError(env.GetWorkflowResult(&res))
	s.Equal(progress.PhaseDone, res.Phase)
	s.Equal(int64(60), res.Rows)
	s.Equal(int64(600), res.DoneBytes)
	s.Equal(6, res.ChunksDone)
	s.Equal(6, res.ChunksTotal)
	s.Equal(2, res.TablesDone)
	s.True(cleaned)
	sort.Strings(ids)
	s.Equal("chunk/shop.orders/shop.orders.sql:0", ids[0])
	s.Len(ids, 6)
}

func (s *workflowSuite) TestFailingChunkIsRetried() {
	env, a := s.env(2)
	var mu sync.Mutex
	attempts := map[string]int{}
	env.OnActivity(a.ImportChunk, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.ChunkInput) (*activities.ChunkResult, error) {
			mu.Lock()
			attempts[in.Key]++
			n := attempts[in.Key]
			mu.Unlock()
			if in.Table == "orders" && in.Chunk.Offset == 100 && n == 1 {
				return nil, errors.New("connection reset by peer")
			}
			return okChunk(ctx, in)
		})
	env.OnActivity(a.Cleanup, mock.Anything, mock.Anything).Return(nil)
	env.ExecuteWorkflow(ImportWorkflow, ImportInput{TaskID: "t2", Config: testConfig()})
	s.Require().NoError(env.GetWorkflowError())
	var res progress.Import
	s.Require().NoError(env.GetWorkflowResult(&res))
	s.Equal(int64(40), res.Rows)
	s.Equal(2, attempts["shop.orders.sql:100"])
}

func (s *workflowSuite) TestNonRetryableChunkErrorFailsImportAndCleansUp() {
	env, a := s.env(2)
	env.OnActivity(a.ImportChunk, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.ChunkInput) (*activities.ChunkResult, error) {
			if in.Table == "users" {
				return nil, temporal.NewNonRetryableApplicationError("syntax error in shop.users.sql at offset 7", "SyntaxError", nil)
			}
			return okChunk(ctx, in)
		})
	var cleanup *activities.CleanupInput
	env.OnActivity(a.Cleanup, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.CleanupInput) error { cleanup = &in; return nil })
	env.ExecuteWorkflow(ImportWorkflow, ImportInput{TaskID: "t3", Config: testConfig()})
	err := env.GetWorkflowError()
	s.Require().Error(err)
	s.Contains(err.Error(), "offset 7")
	s.Require().NotNil(cleanup)
	s.False(cleanup.Succeeded)
}

func (s *workflowSuite) TestPauseStopsDispatchAndResumeContinues() {
	env, a := s.env(3)
	var mu sync.Mutex
	started := 0
	env.OnActivity(a.ImportChunk, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.ChunkInput) (*activities.ChunkResult, error) {
			mu.Lock()
			started++
			mu.Unlock()
			return okChunk(ctx, in)
		}).After(time.Minute)
	env.OnActivity(a.Cleanup, mock.Anything, mock.Anything).Return(nil)

	var startedWhenPaused, startedBeforeResume int
	var pausedProgress progress.Import
	// Each chunk takes a minute of workflow time; pause after the first
	// wave is dispatched, check nothing new starts for an hour, then resume.
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(PauseName, "p1", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { s.Fail("pause rejected", err) },
		})
	}, 30*time.Second)
	env.RegisterDelayedCallback(func() {
		mu.Lock()
		startedWhenPaused = started
		mu.Unlock()
		v, err := env.QueryWorkflow(ProgressQuery)
		s.Require().NoError(err)
		s.Require().NoError(v.Get(&pausedProgress))
	}, 5*time.Minute)
	env.RegisterDelayedCallback(func() {
		mu.Lock()
		startedBeforeResume = started
		mu.Unlock()
		env.SignalWorkflow(ResumeName, nil)
	}, time.Hour)
	env.ExecuteWorkflow(ImportWorkflow, ImportInput{TaskID: "t4", Config: testConfig()})
	s.Require().NoError(env.GetWorkflowError())
	s.True(pausedProgress.Paused)
	s.Equal(startedWhenPaused, startedBeforeResume, "no chunk may start while paused")
	s.Less(startedWhenPaused, 6)
	var res progress.Import
	s.Require().NoError(env.GetWorkflowResult(&res))
	s.Equal(6, res.ChunksDone)
	s.False(res.Paused)
}

func (s *workflowSuite) TestCancelRunsCleanup() {
	env, a := s.env(3)
	env.OnActivity(a.ImportChunk, mock.Anything, mock.Anything).Return(okChunk).After(time.Hour)
	var cleanup *activities.CleanupInput
	env.OnActivity(a.Cleanup, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.CleanupInput) error { cleanup = &in; return nil })
	env.RegisterDelayedCallback(env.CancelWorkflow, 10*time.Minute)
	env.ExecuteWorkflow(ImportWorkflow, ImportInput{TaskID: "t5", Config: testConfig()})
	err := env.GetWorkflowError()
	s.Require().Error(err)
	s.True(temporal.IsCanceledError(err), "got %v", err)
	s.Require().NotNil(cleanup, "cleanup must run after cancel")
	s.False(cleanup.Succeeded)
}

func (s *workflowSuite) TestTableContinuesAsNewWithRemainingChunks() {
	env, a := s.env(5)
	env.OnActivity(a.ImportChunk, mock.Anything, mock.Anything).Return(okChunk)
	env.SetContinueAsNewSuggested(true)
	tbl := fakeSource().DBs[0].Tables[0]
	cfg := testConfig()
	cfg.Lightning.RegionConcurrency = 1
	env.ExecuteWorkflow(TableImportWorkflow, TableInput{TaskID: "t6", Config: cfg, Table: tbl})
	err := env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	s.Require().True(errors.As(err, &can), "want continue-as-new, got %v", err)
	var next TableInput
	s.Require().NoError(decodeContinueAsNewInput(can, &next))
	s.True(next.Planned)
	s.Len(next.Remaining, 4, "one chunk ran before continue-as-new")
	s.Equal(1, next.Done.ChunksDone)
	s.Equal(5, next.Done.ChunksTotal)
	s.Equal(int64(10), next.Done.Rows)
}

func decodeContinueAsNewInput(can *workflow.ContinueAsNewError, out *TableInput) error {
	if can.Input == nil {
		return fmt.Errorf("continue-as-new without input")
	}
	return converter.GetDefaultDataConverter().FromPayloads(can.Input, out)
}

func TestChunkActivityIDIsReadable(t *testing.T) {
	c := mydump.Chunk{File: mydump.FileInfo{Path: "db1.t1.000001.sql"}, Offset: 4096}
	require.Equal(t, "chunk/db1.t1/db1.t1.000001.sql:4096", ChunkActivityID("db1", "t1", c))
	require.Equal(t, "import/task/table/db1.t1", TableWorkflowID("task", "db1", "t1"))
	// Names that are not printable ASCII are escaped (gRPC headers carry IDs).
	require.Equal(t, "import/t/table/mocker_test.%C4%B1", TableWorkflowID("t", "mocker_test", "ı"))
	require.Equal(t, "chunk/a%20b.%25/x%0A.sql:0", ChunkActivityID("a b", "%", mydump.Chunk{File: mydump.FileInfo{Path: "x\n.sql"}}))
}

func physicalConfig() *config.Config {
	cfg := testConfig()
	cfg.TikvImporter.Backend = config.BackendLocal
	return cfg
}

// physChunk is a chunk result carrying a checksum derived from the chunk's
// offset, so that sums can be checked exactly.
func physChunk(ctx context.Context, in activities.ChunkInput) (*activities.ChunkResult, error) {
	res, _ := okChunk(ctx, in)
	res.Checksum = &activities.KVChecksum{Sum: uint64(in.Chunk.Offset+1) * 0x9e3779b97f4a7c15, KVs: 20, Bytes: 1000}
	res.MaxIDs = &activities.AutoIDs{RowID: in.Chunk.RowIDMax, AutoIncrement: in.Chunk.RowIDMax + 5}
	return res, nil
}

func sumOfChunks(n int) activities.KVChecksum {
	var want activities.KVChecksum
	for i := 0; i < n; i++ {
		want.Add(activities.KVChecksum{Sum: uint64(i*100+1) * 0x9e3779b97f4a7c15, KVs: 20, Bytes: 1000})
	}
	return want
}

// physicalEnv mocks the physical-only activities on top of env: claims hand
// out the node queues in order, and every pinned activity records the queue
// it ran on.
type physicalRecorder struct {
	mu       sync.Mutex
	claims   int
	queues   map[string][]string // activity ID → task queues it ran on
	post     []activities.PostProcessInput
	ingested []activities.ImportEngineInput
}

func (r *physicalRecorder) ran(ctx context.Context) {
	info := activity.GetInfo(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.queues[info.ActivityID] = append(r.queues[info.ActivityID], info.TaskQueue)
}

// physicalHooks replace the default behaviour of the physical activities.
type physicalHooks struct {
	importEngine func(ctx context.Context, in activities.ImportEngineInput) (*activities.ImportEngineResult, error)
	postProcess  func(ctx context.Context, in activities.PostProcessInput) error
	// engineIDs assigns the planned chunks to data engines (default: all
	// to engine 0).
	engineIDs []int32
}

func (s *workflowSuite) physicalEnv(chunks int, hooks physicalHooks, nodes ...string) (*testsuite.TestWorkflowEnvironment, *activities.Activities, *physicalRecorder) {
	env, a := s.envWithEngines(chunks, hooks.engineIDs)
	rec := &physicalRecorder{queues: map[string][]string{}}
	env.OnActivity(a.ClaimEngineNode, mock.Anything, mock.Anything).Return(
		func(_ context.Context, _ activities.ClaimEngineNodeInput) (*activities.ClaimEngineNodeResult, error) {
			rec.mu.Lock()
			defer rec.mu.Unlock()
			q := nodes[min(rec.claims, len(nodes)-1)]
			rec.claims++
			return &activities.ClaimEngineNodeResult{NodeQueue: q}, nil
		})
	env.OnActivity(a.ImportEngine, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.ImportEngineInput) (*activities.ImportEngineResult, error) {
			rec.ran(ctx)
			rec.mu.Lock()
			rec.ingested = append(rec.ingested, in)
			rec.mu.Unlock()
			if hooks.importEngine != nil {
				return hooks.importEngine(ctx, in)
			}
			return &activities.ImportEngineResult{}, nil
		})
	env.OnActivity(a.PostProcess, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.PostProcessInput) error {
			rec.mu.Lock()
			rec.post = append(rec.post, in)
			rec.mu.Unlock()
			if hooks.postProcess != nil {
				return hooks.postProcess(ctx, in)
			}
			return nil
		})
	env.OnActivity(a.Cleanup, mock.Anything, mock.Anything).Return(nil)
	return env, a, rec
}

func (s *workflowSuite) TestPhysicalTableRunsOnClaimedNode() {
	env, a, rec := s.physicalEnv(3, physicalHooks{}, "tempest@node-a")
	var mu sync.Mutex
	var stamps []time.Time
	env.OnActivity(a.ImportChunk, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.ChunkInput) (*activities.ChunkResult, error) {
			rec.ran(ctx)
			mu.Lock()
			s.Require().NotNil(in.Timestamp, "physical chunks need the table's fixed timestamp")
			stamps = append(stamps, *in.Timestamp)
			mu.Unlock()
			return physChunk(ctx, in)
		})
	tbl := fakeSource().DBs[0].Tables[0]
	env.ExecuteWorkflow(TableImportWorkflow, TableInput{TaskID: "p1", Config: physicalConfig(), Table: tbl})
	s.Require().NoError(env.GetWorkflowError())
	var res progress.Table
	s.Require().NoError(env.GetWorkflowResult(&res))
	s.Equal(3, res.ChunksDone)
	s.Equal(int64(30), res.Rows)

	s.Equal(1, rec.claims)
	s.Equal([]string{"tempest@node-a"}, rec.queues["chunk/shop.orders/shop.orders.sql:100"])
	s.Equal([]string{"tempest@node-a"}, rec.queues["ingest/shop.orders/0"])
	s.Equal([]string{"tempest@node-a"}, rec.queues["ingest/shop.orders/index"])
	for _, ts := range stamps {
		s.True(ts.Equal(stamps[0]), "every chunk must get the same timestamp")
	}
	s.Require().Len(rec.post, 1)
	post := rec.post[0]
	s.Require().NotNil(post.Checksum)
	s.Equal(sumOfChunks(3), *post.Checksum)
	s.Equal(activities.AutoIDs{RowID: 30, AutoIncrement: 35}, *post.MaxIDs)
}

func (s *workflowSuite) TestPhysicalNodeLossReencodesOnAnotherNode() {
	env, a, rec := s.physicalEnv(3, physicalHooks{}, "tempest@dead", "tempest@alive")
	env.OnActivity(a.ImportChunk, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.ChunkInput) (*activities.ChunkResult, error) {
			rec.ran(ctx)
			// The first node dies after encoding the first chunk: whatever
			// is scheduled on its queue is never picked up.
			if in.EngineGeneration == 0 && in.Chunk.Offset > 0 {
				return nil, temporal.NewTimeoutError(enums.TIMEOUT_TYPE_SCHEDULE_TO_START, nil)
			}
			return physChunk(ctx, in)
		})
	tbl := fakeSource().DBs[0].Tables[0]
	cfg := physicalConfig()
	cfg.Lightning.RegionConcurrency = 1
	env.ExecuteWorkflow(TableImportWorkflow, TableInput{TaskID: "p2", Config: cfg, Table: tbl})
	s.Require().NoError(env.GetWorkflowError())
	var res progress.Table
	s.Require().NoError(env.GetWorkflowResult(&res))

	s.Equal(2, rec.claims, "a new node must be claimed after the loss")
	// Every chunk ran again on the new node, under new activity IDs.
	for _, off := range []string{"0", "100", "200"} {
		s.Equal([]string{"tempest@alive"}, rec.queues["chunk/shop.orders/shop.orders.sql:"+off+"#1"], "chunk %s", off)
	}
	s.Require().Len(rec.ingested, 2, "only the new generation's data and index engines are ingested")
	for _, in := range rec.ingested {
		s.Equal(1, in.Generation)
	}
	s.Equal([]string{"tempest@alive"}, rec.queues["ingest/shop.orders/0#1"])
	s.Equal([]string{"tempest@alive"}, rec.queues["ingest/shop.orders/index#1"])
	// Totals count the new generation only.
	s.Equal(3, res.ChunksDone)
	s.Equal(int64(30), res.Rows)
	s.Require().Len(rec.post, 1)
	s.Equal(sumOfChunks(3), *rec.post[0].Checksum)
}

func (s *workflowSuite) TestPhysicalNodeLostDuringIngestReencodes() {
	env, a, rec := s.physicalEnv(2, physicalHooks{
		importEngine: func(ctx context.Context, in activities.ImportEngineInput) (*activities.ImportEngineResult, error) {
			if in.Generation == 0 {
				return nil, temporal.NewTimeoutError(enums.TIMEOUT_TYPE_SCHEDULE_TO_START, nil)
			}
			return &activities.ImportEngineResult{}, nil
		},
	}, "tempest@dead", "tempest@alive")
	env.OnActivity(a.ImportChunk, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.ChunkInput) (*activities.ChunkResult, error) {
			rec.ran(ctx)
			return physChunk(ctx, in)
		})
	tbl := fakeSource().DBs[0].Tables[0]
	env.ExecuteWorkflow(TableImportWorkflow, TableInput{TaskID: "p3", Config: physicalConfig(), Table: tbl})
	s.Require().NoError(env.GetWorkflowError())
	s.Equal(2, rec.claims)
	s.Equal([]string{"tempest@alive"}, rec.queues["chunk/shop.orders/shop.orders.sql:0#1"])
	s.Require().Len(rec.post, 1)
	s.Equal(sumOfChunks(2), *rec.post[0].Checksum)
}

func (s *workflowSuite) TestPhysicalChecksumMismatchFailsImport() {
	attempts := 0
	env, a, _ := s.physicalEnv(2, physicalHooks{
		postProcess: func(context.Context, activities.PostProcessInput) error {
			attempts++
			return temporal.NewApplicationError("checksum mismatched remote vs local => (checksum: 1 vs 2)", "ChecksumMismatch")
		},
	}, "tempest@node-a")
	env.OnActivity(a.ImportChunk, mock.Anything, mock.Anything).Return(physChunk)
	cfg := physicalConfig()
	cfg.Lightning.TableConcurrency = 1
	env.ExecuteWorkflow(ImportWorkflow, ImportInput{TaskID: "p4", Config: cfg})
	err := env.GetWorkflowError()
	s.Require().Error(err)
	s.Contains(err.Error(), "checksum mismatched remote vs local")
	s.Equal(1, attempts, "a checksum mismatch must not be retried")
}

func (s *workflowSuite) TestPhysicalTableContinuesAsNewKeepingEngineState() {
	env, a, _ := s.physicalEnv(4, physicalHooks{}, "tempest@node-a")
	env.OnActivity(a.ImportChunk, mock.Anything, mock.Anything).Return(physChunk)
	env.SetContinueAsNewSuggested(true)
	tbl := fakeSource().DBs[0].Tables[0]
	cfg := physicalConfig()
	cfg.Lightning.RegionConcurrency = 1
	env.ExecuteWorkflow(TableImportWorkflow, TableInput{TaskID: "p5", Config: cfg, Table: tbl})
	var can *workflow.ContinueAsNewError
	s.Require().True(errors.As(env.GetWorkflowError(), &can))
	var next TableInput
	s.Require().NoError(decodeContinueAsNewInput(can, &next))
	s.Len(next.Remaining, 3)
	s.Require().NotNil(next.Physical)
	s.Equal("tempest@node-a", next.Physical.NodeQueue)
	s.Equal(sumOfChunks(1), next.Physical.Checksum)
	s.False(next.Physical.Timestamp.IsZero())
}

// TestPhysicalDataEnginesImportWhileEncoding plans six chunks in three data
// engines: each data engine must be ingested as soon as its chunks are
// encoded, overlapping with the encoding of later engines, and the index
// engine must come after every chunk and every data engine.
func (s *workflowSuite) TestPhysicalDataEnginesImportWhileEncoding() {
	var mu sync.Mutex
	var events []string
	log := func(e string) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	}
	// Engine 0's import and the first chunk of engine 2 wait for each
	// other: both finish only if they run at the same time.
	ingest0Started, lastEngineChunkStarted := make(chan struct{}), make(chan struct{})
	waitFor := func(ch chan struct{}, what string) error {
		select {
		case <-ch:
			return nil
		case <-time.After(2 * time.Second): // under the test's 3 s timeout
			return fmt.Errorf("%s did not start while the other was running", what)
		}
	}
	env, a, rec := s.physicalEnv(6, physicalHooks{
		engineIDs: []int32{0, 0, 1, 1, 2, 2},
		importEngine: func(ctx context.Context, in activities.ImportEngineInput) (*activities.ImportEngineResult, error) {
			log(fmt.Sprintf("ingest-start %d", in.EngineID))
			if in.EngineID == 0 {
				close(ingest0Started)
				if err := waitFor(lastEngineChunkStarted, "encoding of engine 2"); err != nil {
					return nil, temporal.NewNonRetryableApplicationError(err.Error(), "Test", nil)
				}
			}
			log(fmt.Sprintf("ingest-end %d", in.EngineID))
			return &activities.ImportEngineResult{}, nil
		},
	}, "tempest@node-a")
	env.OnActivity(a.ImportChunk, mock.Anything, mock.Anything).Return(
		func(ctx context.Context, in activities.ChunkInput) (*activities.ChunkResult, error) {
			log(fmt.Sprintf("chunk-start %d", in.Chunk.Index))
			if in.Chunk.Index == 4 {
				close(lastEngineChunkStarted)
				if err := waitFor(ingest0Started, "import of engine 0"); err != nil {
					return nil, temporal.NewNonRetryableApplicationError(err.Error(), "Test", nil)
				}
			}
			log(fmt.Sprintf("chunk-end %d", in.Chunk.Index))
			return physChunk(ctx, in)
		})
	tbl := fakeSource().DBs[0].Tables[0]
	cfg := physicalConfig()
	// One chunk at a time: chunk 4 can only start after engine 0's chunks
	// and engine 1's, so the import of engine 0 must not hold up encoding.
	cfg.Lightning.RegionConcurrency = 1
	env.ExecuteWorkflow(TableImportWorkflow, TableInput{TaskID: "p6", Config: cfg, Table: tbl})
	s.Require().NoError(env.GetWorkflowError())

	mu.Lock()
	defer mu.Unlock()
	pos := map[string]int{}
	for i, e := range events {
		pos[e] = i
	}
	s.Require().Len(events, 2*6+2*4, "events: %v", events)
	// Every data engine is imported once, after its own chunks.
	for eng, chunks := range map[int32][]int{0: {0, 1}, 1: {2, 3}, 2: {4, 5}} {
		start, ok := pos[fmt.Sprintf("ingest-start %d", eng)]
		s.Require().True(ok, "engine %d never imported: %v", eng, events)
		for _, c := range chunks {
			s.Less(pos[fmt.Sprintf("chunk-end %d", c)], start, "engine %d imported before chunk %d was encoded: %v", eng, c, events)
		}
	}
	// Engine 0's import overlapped with encoding chunk 4.
	s.Less(pos["ingest-start 0"], pos["chunk-end 4"], "events: %v", events)
	s.Less(pos["chunk-start 4"], pos["ingest-end 0"], "events: %v", events)
	// The index engine goes last.
	idx := pos[fmt.Sprintf("ingest-start %d", activities.IndexEngineID)]
	for e, i := range pos {
		if e != fmt.Sprintf("ingest-start %d", activities.IndexEngineID) && e != fmt.Sprintf("ingest-end %d", activities.IndexEngineID) {
			s.Less(i, idx, "%s after the index engine's import: %v", e, events)
		}
	}
	s.Equal([]string{"tempest@node-a"}, rec.queues["ingest/shop.orders/2"])
	s.Equal([]string{"tempest@node-a"}, rec.queues["ingest/shop.orders/index"])
	s.Require().Len(rec.post, 1)
	s.Equal(sumOfChunks(6), *rec.post[0].Checksum)
}

// TestPhysicalContinueAsNewImportsCompletedEngines: an engine whose chunks
// were all encoded is imported before the run continues as new, and the
// next run imports only the engines of the remaining chunks.
func (s *workflowSuite) TestPhysicalContinueAsNewImportsCompletedEngines() {
	env, a, rec := s.physicalEnv(4, physicalHooks{engineIDs: []int32{0, 1, 1, 1}}, "tempest@node-a")
	env.OnActivity(a.ImportChunk, mock.Anything, mock.Anything).Return(physChunk)
	env.SetContinueAsNewSuggested(true)
	tbl := fakeSource().DBs[0].Tables[0]
	cfg := physicalConfig()
	cfg.Lightning.RegionConcurrency = 1
	env.ExecuteWorkflow(TableImportWorkflow, TableInput{TaskID: "p7", Config: cfg, Table: tbl})
	var can *workflow.ContinueAsNewError
	s.Require().True(errors.As(env.GetWorkflowError(), &can))
	var next TableInput
	s.Require().NoError(decodeContinueAsNewInput(can, &next))
	s.Require().Len(next.Remaining, 3)
	s.Require().Len(rec.ingested, 1, "engine 0 was complete and must be imported before continuing")
	s.Equal(int32(0), rec.ingested[0].EngineID)

	// The continued run encodes engine 1 and imports it, then the index.
	env2, a2, rec2 := s.physicalEnv(4, physicalHooks{}, "tempest@node-a")
	env2.OnActivity(a2.ImportChunk, mock.Anything, mock.Anything).Return(physChunk)
	env2.ExecuteWorkflow(TableImportWorkflow, next)
	s.Require().NoError(env2.GetWorkflowError())
	var got []int32
	for _, in := range rec2.ingested {
		got = append(got, in.EngineID)
	}
	s.Equal([]int32{1, activities.IndexEngineID}, got)
	s.Require().Len(rec2.post, 1)
	s.Equal(sumOfChunks(4), *rec2.post[0].Checksum)
}
