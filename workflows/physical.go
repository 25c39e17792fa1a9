package workflows

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/tempestdb/tempest/activities"
	"github.com/tempestdb/tempest/internal/progress"
)

// maxNodeLosses bounds how often one table is re-encoded on another node
// before the table fails: a cluster that keeps losing nodes needs an
// operator.
const maxNodeLosses = 3

// PhysicalState is a physical-backend table's engine state, carried across
// continue-as-new.
type PhysicalState struct {
	// NodeQueue is the queue of the worker holding the table's engine;
	// empty until claimed (and again after that node was lost).
	NodeQueue string `json:"nodeQueue,omitempty"`
	// Generation counts re-encodes on a new node; it names the engine and
	// suffixes activity IDs so that the new attempt never mixes with the
	// lost one.
	Generation int `json:"generation,omitempty"`
	// Timestamp is the table's fixed CURRENT_TIMESTAMP for encoding, so
	// that every attempt of every chunk writes the same pairs.
	Timestamp time.Time `json:"timestamp"`
	// Checksum and MaxIDs sum the completed chunks of this generation.
	Checksum activities.KVChecksum `json:"checksum"`
	MaxIDs   activities.AutoIDs    `json:"maxIDs"`
}

func generationSuffix(gen int) string {
	if gen == 0 {
		return ""
	}
	return "#" + strconv.Itoa(gen)
}

// runPhysical imports a table through a local engine on one node:
//
//	ClaimEngineNode (shared queue)  → the node queue that holds the engine
//	PlanTable                       (shared queue)
//	ImportChunk × M                 (node queue) encode into the engine
//	ImportEngine                    (node queue) split, write, ingest; heartbeats finished ranges
//	PostProcess                     (shared queue) rebase, checksum, analyze
//
// If the node is lost for good (an activity times out waiting on its
// queue), the engine is gone with it: the table is re-planned, a new node
// is claimed, and every chunk is encoded again into a new engine
// generation.
func (st *tableState) runPhysical(ctx workflow.Context, t Timeouts) (progress.Table, error) {
	var a *activities.Activities
	in := st.in
	db, table := in.Table.DB, in.Table.Table
	name := SafeID(db + "." + table) // for activity IDs
	ps := in.Physical
	if ps == nil {
		ps = &PhysicalState{Timestamp: workflow.Now(ctx)}
	}
	st.phys = ps
	chunks, planned := in.Remaining, in.Planned
	for losses := 0; ; losses++ {
		suffix := generationSuffix(ps.Generation)
		if ps.NodeQueue == "" {
			var claim activities.ClaimEngineNodeResult
			claimIn := activities.ClaimEngineNodeInput{TaskID: in.TaskID, DB: db, Table: table}
			if err := workflow.ExecuteActivity(shortActivity(ctx, "engine/"+name+suffix, t), a.ClaimEngineNode, claimIn).Get(ctx, &claim); err != nil {
				return st.fail(ctx, fmt.Errorf("claim a node for the engine: %w", err))
			}
			ps.NodeQueue = claim.NodeQueue
		}
		if !planned {
			var plan activities.PlanTableResult
			planIn := activities.PlanTableInput{TaskID: in.TaskID, Config: in.Config, Table: in.Table}
			if err := workflow.ExecuteActivity(shortActivity(ctx, "plan/"+name+suffix, t), a.PlanTable, planIn).Get(ctx, &plan); err != nil {
				return st.fail(ctx, fmt.Errorf("plan chunks: %w", err))
			}
			chunks, planned = plan.Chunks, true
			st.progress.ChunksTotal = len(chunks)
			st.report(ctx, true)
		}

		next, err := st.importChunks(ctx, t, chunks)
		if err == nil && next < len(chunks) {
			st.drainSignals(ctx)
			in.Planned, in.Remaining, in.Done, in.Paused, in.Physical = true, chunks[next:], st.progress.Counters, st.paused, ps
			return st.progress, workflow.NewContinueAsNewError(ctx, TableWorkflowName, in)
		}
		if err == nil {
			engIn := activities.ImportEngineInput{TaskID: in.TaskID, Config: in.Config, DB: db, Table: table, Generation: ps.Generation}
			if err = workflow.ExecuteActivity(nodeActivity(ctx, "ingest/"+name+suffix, ps.NodeQueue, t), a.ImportEngine, engIn).Get(ctx, nil); err != nil {
				err = fmt.Errorf("import engine: %w", err)
			}
		}
		if err == nil {
			break
		}
		if !isNodeLost(err) {
			return st.fail(ctx, err)
		}
		if losses+1 >= maxNodeLosses {
			return st.fail(ctx, fmt.Errorf("node lost %d times, giving up: %w", losses+1, err))
		}
		workflow.GetLogger(ctx).Warn("engine node lost; re-encoding the table on another node",
			"table", tableName(db, table), "nodeQueue", ps.NodeQueue, "error", err)
		// Everything the lost node encoded is gone with its engine: start
		// the table over (same timestamp, so re-encoded pairs are
		// identical to any that were already ingested).
		ps.NodeQueue, ps.Generation = "", ps.Generation+1
		ps.Checksum, ps.MaxIDs = activities.KVChecksum{}, activities.AutoIDs{}
		total := st.progress.TotalBytes
		st.progress.Counters = progress.Counters{TotalBytes: total}
		planned = false
	}

	st.progress.Phase = progress.PhasePostProcess
	st.report(ctx, true)
	sum, ids := ps.Checksum, ps.MaxIDs
	postIn := activities.PostProcessInput{TaskID: in.TaskID, Config: in.Config, DB: db, Table: table, Rows: st.progress.Rows,
		Checksum: &sum, MaxIDs: &ids}
	if err := workflow.ExecuteActivity(shortActivity(ctx, "postprocess/"+name, t), a.PostProcess, postIn).Get(ctx, nil); err != nil {
		return st.fail(ctx, fmt.Errorf("post-process: %w", err))
	}
	st.progress.Phase = progress.PhaseDone
	return st.progress, nil
}

// isNodeLost reports an activity that nobody picked up from a node queue in
// time: the node is gone (or hopelessly backed up).
func isNodeLost(err error) bool {
	var te *temporal.TimeoutError
	return errors.As(err, &te) && te.TimeoutType() == enums.TIMEOUT_TYPE_SCHEDULE_TO_START
}
