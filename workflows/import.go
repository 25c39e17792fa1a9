package workflows

import (
	"fmt"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/tempestdb/tempest/activities"
	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/mydump"
	"github.com/tempestdb/tempest/internal/progress"
)

// ImportInput starts one import task. Config must be redacted (no secrets):
// it is stored in workflow history.
type ImportInput struct {
	TaskID   string         `json:"taskID"`
	Config   *config.Config `json:"config"`
	Timeouts Timeouts       `json:"timeouts,omitempty"`
}

// ImportWorkflowID is the workflow ID of a task.
func ImportWorkflowID(taskID string) string { return "import/" + SafeID(taskID) }

// TableWorkflowID is the child workflow ID of one table of a task.
func TableWorkflowID(taskID, db, table string) string {
	return "import/" + SafeID(taskID) + "/table/" + SafeID(db+"."+table)
}

// importState is the workflow's in-memory state: what queries read and
// handlers change.
type importState struct {
	progress progress.Import
	tableIdx map[string]int // table name → index in progress.Tables
	running  map[string]workflow.ChildWorkflowFuture
}

// ImportWorkflow imports a whole task; see the package doc for its shape.
func ImportWorkflow(ctx workflow.Context, in ImportInput) (*progress.Import, error) {
	if in.Config == nil {
		return nil, temporal.NewNonRetryableApplicationError("import input has no config", "ConfigError", nil)
	}
	t := in.Timeouts.withDefaults()
	st := &importState{
		progress: progress.Import{TaskID: in.TaskID, Phase: progress.PhaseScan, StartedAt: workflow.Now(ctx)},
		tableIdx: map[string]int{},
		running:  map[string]workflow.ChildWorkflowFuture{},
	}
	st.progress.UpdatedAt = st.progress.StartedAt
	if err := st.registerHandlers(ctx); err != nil {
		return nil, err
	}
	var a *activities.Activities

	err := st.run(ctx, in, t, a)

	// Cleanup runs whatever happened, on a context that survives cancellation.
	cleanupCtx, _ := workflow.NewDisconnectedContext(ctx)
	cleanupIn := activities.CleanupInput{TaskID: in.TaskID, Config: in.Config, Succeeded: err == nil}
	if cerr := workflow.ExecuteActivity(shortActivity(cleanupCtx, "cleanup", t), a.Cleanup, cleanupIn).Get(cleanupCtx, nil); cerr != nil {
		workflow.GetLogger(ctx).Error("cleanup failed", "error", cerr)
		if err == nil {
			err = cerr
		}
	}
	st.progress.UpdatedAt = workflow.Now(cleanupCtx)
	switch {
	case err == nil:
		st.progress.Phase = progress.PhaseDone
	case temporal.IsCanceledError(err):
		st.progress.Phase = progress.PhaseCancelled
		st.progress.Error = err.Error()
	default:
		st.progress.Phase = progress.PhaseFailed
		st.progress.Error = err.Error()
	}
	if err != nil {
		return nil, err
	}
	p := st.snapshot()
	return &p, nil
}

func (st *importState) run(ctx workflow.Context, in ImportInput, t Timeouts, a *activities.Activities) error {
	var scan activities.ScanResult
	scanIn := activities.ScanInput{TaskID: in.TaskID, Config: in.Config}
	if err := workflow.ExecuteActivity(shortActivity(ctx, "scan", t), a.Scan, scanIn).Get(ctx, &scan); err != nil {
		return fmt.Errorf("scan source: %w", err)
	}
	for _, w := range scan.Warnings {
		workflow.GetLogger(ctx).Warn(w)
	}
	var tables []*mydump.TableMeta
	for _, db := range scan.DBs {
		for _, tbl := range db.Tables {
			st.tableIdx[tableName(tbl.DB, tbl.Table)] = len(st.progress.Tables)
			st.progress.Tables = append(st.progress.Tables, progress.Table{
				Name: tableName(tbl.DB, tbl.Table), Phase: progress.PhasePending,
				Counters: progress.Counters{TotalBytes: tbl.TotalSize},
			})
			tables = append(tables, tbl)
		}
	}
	st.progress.TablesTotal = len(tables)
	st.progress.TotalBytes = scan.TotalBytes

	st.setPhase(ctx, progress.PhaseSchema)
	schemaIn := activities.SchemaInput{TaskID: in.TaskID, Config: in.Config, DBs: scan.DBs}
	if err := workflow.ExecuteActivity(shortActivity(ctx, "schema", t), a.CreateSchemas, schemaIn).Get(ctx, nil); err != nil {
		return fmt.Errorf("create schemas: %w", err)
	}

	st.setPhase(ctx, progress.PhaseImport)
	if err := st.importTables(ctx, in, t, tables); err != nil {
		return err
	}

	if hasViews(scan.DBs) {
		if err := workflow.ExecuteActivity(shortActivity(ctx, "views", t), a.CreateViews, schemaIn).Get(ctx, nil); err != nil {
			return fmt.Errorf("create views: %w", err)
		}
	}
	return nil
}

// importTables runs one child per table, at most table-concurrency at once,
// and stops starting new ones on the first failure (fail fast), cancelling
// the children still running.
func (st *importState) importTables(ctx workflow.Context, in ImportInput, t Timeouts, tables []*mydump.TableMeta) error {
	limit := in.Config.Lightning.TableConcurrency
	if limit <= 0 {
		limit = 6
	}
	childCtx, cancelChildren := workflow.WithCancel(ctx)
	defer cancelChildren()
	var firstErr error
	inflight := 0
	for _, tbl := range tables {
		if err := workflow.Await(ctx, func() bool {
			return firstErr != nil || (!st.progress.Paused && inflight < limit)
		}); err != nil {
			return err
		}
		if firstErr != nil {
			break
		}
		name := tableName(tbl.DB, tbl.Table)
		cctx := workflow.WithChildOptions(childCtx, workflow.ChildWorkflowOptions{
			WorkflowID:          TableWorkflowID(in.TaskID, tbl.DB, tbl.Table),
			WaitForCancellation: true,
			ParentClosePolicy:   enums.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
			StaticSummary:       "import table " + name,
		})
		fut := workflow.ExecuteChildWorkflow(cctx, TableWorkflowName, TableInput{
			TaskID: in.TaskID, ParentWorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID,
			Config: in.Config, Table: tbl, Timeouts: in.Timeouts,
		})
		st.running[name] = fut
		inflight++
		workflow.Go(ctx, func(gctx workflow.Context) {
			var res progress.Table
			err := fut.Get(gctx, &res)
			inflight--
			delete(st.running, name)
			if err != nil {
				st.updateTable(gctx, progress.Table{Name: name, Phase: progress.PhaseFailed, Error: err.Error()}, true)
				if firstErr == nil {
					firstErr = fmt.Errorf("table %s: %w", name, err)
					cancelChildren()
				}
				return
			}
			res.Phase = progress.PhaseDone
			st.updateTable(gctx, res, false)
			st.progress.TablesDone++
		})
	}
	if err := workflow.Await(ctx, func() bool { return inflight == 0 }); err != nil {
		return err
	}
	return firstErr
}

func (st *importState) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandlerWithOptions(ctx, ProgressQuery, func() (progress.Import, error) {
		return st.snapshot(), nil
	}, workflow.QueryHandlerOptions{Description: "import progress: totals and per table"}); err != nil {
		return err
	}
	for _, name := range []string{PauseName, ResumeName} {
		pause := name == PauseName
		if err := workflow.SetUpdateHandlerWithOptions(ctx, name, func(uctx workflow.Context) (bool, error) {
			st.setPaused(uctx, pause)
			return pause, nil
		}, workflow.UpdateHandlerOptions{Description: name + " the dispatch of new chunks"}); err != nil {
			return err
		}
		ch := workflow.GetSignalChannel(ctx, name)
		workflow.Go(ctx, func(gctx workflow.Context) {
			for ch.Receive(gctx, nil) {
				st.setPaused(gctx, pause)
			}
		})
	}
	progressCh := workflow.GetSignalChannel(ctx, TableProgressSignal)
	workflow.Go(ctx, func(gctx workflow.Context) {
		var tp progress.Table
		for progressCh.Receive(gctx, &tp) {
			st.updateTable(gctx, tp, false)
		}
	})
	return nil
}

// setPaused records the state and forwards it to running children, so that
// they stop (or restart) dispatching chunks too.
func (st *importState) setPaused(ctx workflow.Context, paused bool) {
	if st.progress.Paused == paused {
		return
	}
	st.progress.Paused = paused
	st.progress.UpdatedAt = workflow.Now(ctx)
	name := ResumeName
	if paused {
		name = PauseName
	}
	for _, table := range workflow.DeterministicKeys(st.running) {
		fut := st.running[table]
		// A child that has not started yet reads the paused flag from its
		// parent's dispatch gate instead; only started children get a signal.
		if !fut.GetChildWorkflowExecution().IsReady() {
			continue
		}
		if err := fut.SignalChildWorkflow(ctx, name, nil).Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Warn("forward "+name+" to child", "table", table, "error", err)
		}
	}
}

func (st *importState) setPhase(ctx workflow.Context, p progress.Phase) {
	st.progress.Phase = p
	st.progress.UpdatedAt = workflow.Now(ctx)
}

// updateTable replaces one table's entry. Counters of a failed table are kept
// from its last report.
func (st *importState) updateTable(ctx workflow.Context, tp progress.Table, keepCounters bool) {
	i, ok := st.tableIdx[tp.Name]
	if !ok {
		return
	}
	if keepCounters {
		tp.Counters = st.progress.Tables[i].Counters
	}
	if tp.TotalBytes == 0 {
		tp.TotalBytes = st.progress.Tables[i].TotalBytes
	}
	st.progress.Tables[i] = tp
	st.progress.UpdatedAt = workflow.Now(ctx)
}

// snapshot computes totals from the per-table entries (never by I/O).
func (st *importState) snapshot() progress.Import {
	p := st.progress
	total := p.TotalBytes
	p.Counters = progress.Counters{}
	for _, t := range p.Tables {
		p.Counters.Add(t.Counters)
	}
	if total > p.TotalBytes {
		p.TotalBytes = total
	}
	p.Tables = append([]progress.Table(nil), st.progress.Tables...)
	return p
}

func hasViews(dbs []*mydump.DBMeta) bool {
	for _, db := range dbs {
		if len(db.Views) > 0 {
			return true
		}
	}
	return false
}

func tableName(db, table string) string { return "`" + db + "`.`" + table + "`" }
