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
			return chunksOf(in.Table, chunksPerTable), nil
		})
	env.OnActivity(a.PostProcess, mock.Anything, mock.Anything).Return(nil)
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
}
