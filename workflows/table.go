package workflows

import (
	"fmt"
	"strconv"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/tempestdb/tempest/activities"
	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/mydump"
	"github.com/tempestdb/tempest/internal/progress"
)

// progressReportInterval throttles the child→parent progress signals so a
// table's updates cost the parent a bounded number of history events.
const progressReportInterval = 10 * time.Second

// TableInput imports one table. The fields after Timeouts carry the state of
// an earlier run across continue-as-new: only the chunks not yet started and
// the counters of the finished ones.
type TableInput struct {
	TaskID           string            `json:"taskID"`
	ParentWorkflowID string            `json:"parentWorkflowID,omitempty"`
	Config           *config.Config    `json:"config"`
	Table            *mydump.TableMeta `json:"table"`
	Timeouts         Timeouts          `json:"timeouts,omitempty"`

	Planned   bool              `json:"planned,omitempty"`
	Remaining []mydump.Chunk    `json:"remaining,omitempty"`
	Done      progress.Counters `json:"done,omitempty"`
	Paused    bool              `json:"paused,omitempty"`
	// Physical is the physical backend's engine state (nil for the
	// logical backend and before the first run).
	Physical *PhysicalState `json:"physical,omitempty"`
}

// ChunkKey names a chunk within its table: file and start offset. It is
// stable across retries and continue-as-new.
func ChunkKey(c mydump.Chunk) string {
	return c.File.Path + ":" + strconv.FormatInt(c.Offset, 10)
}

// ChunkActivityID is the readable activity ID users find in the UI/CLI.
func ChunkActivityID(db, table string, c mydump.Chunk) string {
	return "chunk/" + SafeID(db+"."+table) + "/" + SafeID(ChunkKey(c))
}

// SafeID makes a name usable inside a workflow or activity ID. Temporal
// carries IDs in gRPC headers, which must be printable ASCII, while table
// and file names may be anything (`中文庫`.`ı`): bytes outside printable
// ASCII, and '%' itself, are percent-encoded, so IDs stay readable and
// unique.
func SafeID(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c > 0x20 && c < 0x7f && c != '%' {
			if b != nil {
				b = append(b, c)
			}
			continue
		}
		if b == nil {
			b = append(make([]byte, 0, len(s)+16), s[:i]...)
		}
		b = append(b, '%', hexDigits[c>>4], hexDigits[c&0xf])
	}
	if b == nil {
		return s
	}
	return string(b)
}

type tableState struct {
	in         TableInput
	progress   progress.Table
	paused     bool
	lastReport time.Time
	// phys is set for the physical backend: chunks then run on its node
	// queue and their checksums are summed into it.
	phys *PhysicalState
	// engines tracks the physical run's data engines (nil otherwise).
	engines *engineImports
}

// TableImportWorkflow plans a table's chunks, imports them with bounded
// concurrency, and post-processes the table. It returns the table's final
// progress entry.
func TableImportWorkflow(ctx workflow.Context, in TableInput) (progress.Table, error) {
	t := in.Timeouts.withDefaults()
	st := &tableState{
		in:     in,
		paused: in.Paused,
		progress: progress.Table{
			Name:     tableName(in.Table.DB, in.Table.Table),
			Phase:    progress.PhaseImport,
			Counters: in.Done,
		},
	}
	if st.progress.TotalBytes == 0 {
		st.progress.TotalBytes = in.Table.TotalSize
	}
	if err := st.registerHandlers(ctx); err != nil {
		return st.progress, err
	}
	var a *activities.Activities
	db, table := in.Table.DB, in.Table.Table
	if in.Config.IsPhysical() {
		return st.runPhysical(ctx, t)
	}

	chunks := in.Remaining
	if !in.Planned {
		var plan activities.PlanTableResult
		planIn := activities.PlanTableInput{TaskID: in.TaskID, Config: in.Config, Table: in.Table}
		if err := workflow.ExecuteActivity(shortActivity(ctx, "plan/"+SafeID(db+"."+table), t), a.PlanTable, planIn).Get(ctx, &plan); err != nil {
			return st.fail(ctx, fmt.Errorf("plan chunks: %w", err))
		}
		chunks = plan.Chunks
		st.progress.ChunksTotal = len(chunks)
		st.report(ctx, true)
	}

	next, err := st.importChunks(ctx, t, chunks)
	if err != nil {
		return st.fail(ctx, err)
	}
	if next < len(chunks) {
		// History is getting long: start afresh with what is left. Signals
		// not yet consumed would be lost with this run, so apply them now.
		st.drainSignals(ctx)
		in.Planned, in.Remaining, in.Done, in.Paused = true, chunks[next:], st.progress.Counters, st.paused
		return st.progress, workflow.NewContinueAsNewError(ctx, TableWorkflowName, in)
	}

	st.progress.Phase = progress.PhasePostProcess
	st.report(ctx, true)
	postIn := activities.PostProcessInput{TaskID: in.TaskID, Config: in.Config, DB: db, Table: table, Rows: st.progress.Rows}
	if err := workflow.ExecuteActivity(shortActivity(ctx, "postprocess/"+SafeID(db+"."+table), t), a.PostProcess, postIn).Get(ctx, nil); err != nil {
		return st.fail(ctx, fmt.Errorf("post-process: %w", err))
	}
	st.progress.Phase = progress.PhaseDone
	return st.progress, nil
}

// importChunks runs chunks with at most region-concurrency in flight, waiting
// while paused. It returns the index of the first chunk not started: less
// than len(chunks) when the run should continue as new.
func (st *tableState) importChunks(ctx workflow.Context, t Timeouts, chunks []mydump.Chunk) (int, error) {
	var a *activities.Activities
	limit := st.in.Config.Lightning.RegionConcurrency
	if limit <= 0 {
		limit = 4
	}
	db, table := st.in.Table.DB, st.in.Table.Table
	var firstErr error
	inflight, next := 0, 0
	for ; next < len(chunks); next++ {
		if err := workflow.Await(ctx, func() bool {
			return firstErr != nil || st.engineFailed() || (!st.paused && inflight < limit)
		}); err != nil {
			return next, err
		}
		if firstErr != nil || st.engineFailed() {
			break
		}
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() && next > 0 {
			break
		}
		c := chunks[next]
		in := activities.ChunkInput{TaskID: st.in.TaskID, Config: st.in.Config, DB: db, Table: table, Key: ChunkKey(c), Chunk: c}
		actCtx := chunkActivity(ctx, ChunkActivityID(db, table, c), t)
		if st.phys != nil {
			ts := st.phys.Timestamp
			in.Timestamp, in.EngineGeneration = &ts, st.phys.Generation
			if st.phys.Base != nil {
				in.Session = &st.phys.Base.Session
			}
			actCtx = nodeActivity(ctx, ChunkActivityID(db, table, c)+generationSuffix(st.phys.Generation), st.phys.NodeQueue, t)
		}
		fut := workflow.ExecuteActivity(actCtx, a.ImportChunk, in)
		inflight++
		workflow.Go(ctx, func(gctx workflow.Context) {
			var res activities.ChunkResult
			err := fut.Get(gctx, &res)
			inflight--
			if err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("chunk %s: %w", ChunkKey(c), err)
				}
				return
			}
			st.progress.Rows += res.Rows
			st.progress.DoneBytes += res.Bytes
			st.progress.TypeErrors += res.TypeErrors
			st.progress.Conflicts += res.Conflicts
			st.progress.ChunksDone++
			if st.phys != nil {
				if res.Checksum != nil {
					st.phys.Checksum.Add(*res.Checksum)
				}
				if res.MaxIDs != nil {
					st.phys.MaxIDs.Merge(*res.MaxIDs)
				}
				if st.engines != nil {
					st.chunkEncoded(gctx, t, c)
				}
			}
			st.report(gctx, false)
		})
	}
	if err := workflow.Await(ctx, func() bool { return inflight == 0 }); err != nil {
		return next, err
	}
	return next, firstErr
}

// engineFailed reports a failed data engine import: no further chunk is
// started (the table fails, or is re-encoded on another node).
func (st *tableState) engineFailed() bool {
	return st.engines != nil && st.engines.err != nil
}

func (st *tableState) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, ProgressQuery, func() (progress.Table, error) {
		return st.progress, nil
	}); err != nil {
		return err
	}
	for _, name := range []string{PauseName, ResumeName} {
		pause := name == PauseName
		ch := workflow.GetSignalChannel(ctx, name)
		workflow.Go(ctx, func(gctx workflow.Context) {
			for ch.Receive(gctx, nil) {
				st.paused = pause
			}
		})
	}
	return nil
}

func (st *tableState) drainSignals(ctx workflow.Context) {
	for _, name := range []string{PauseName, ResumeName} {
		ch := workflow.GetSignalChannel(ctx, name)
		for ch.ReceiveAsync(nil) {
			st.paused = name == PauseName
		}
	}
}

// report sends the table's progress to the parent, at most once per
// progressReportInterval unless forced.
func (st *tableState) report(ctx workflow.Context, force bool) {
	if st.in.ParentWorkflowID == "" {
		return
	}
	now := workflow.Now(ctx)
	if !force && now.Sub(st.lastReport) < progressReportInterval {
		return
	}
	st.lastReport = now
	// Fire and forget: a lost progress update is corrected by the next one
	// or by the child's result.
	workflow.SignalExternalWorkflow(ctx, st.in.ParentWorkflowID, "", TableProgressSignal, st.progress)
}

func (st *tableState) fail(ctx workflow.Context, err error) (progress.Table, error) {
	st.progress.Phase = progress.PhaseFailed
	st.progress.Error = err.Error()
	return st.progress, err
}
