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
	"github.com/tempestdb/tempest/internal/mydump"
	"github.com/tempestdb/tempest/internal/progress"
)

// maxNodeLosses bounds how often one table is re-encoded on another node
// before the table fails: a cluster that keeps losing nodes needs an
// operator.
const maxNodeLosses = 3

// PhysicalState is a physical-backend table's engine state, carried across
// continue-as-new. Which data engines are still to import needs no state:
// a run imports every engine completed before it continues as new, so the
// next run imports the engines of its remaining chunks, then the index
// engine.
type PhysicalState struct {
	// NodeQueue is the queue of the worker holding the table's engines;
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
	// Base is what the table held before the import (base checksum,
	// allocators' row ID, time zone), read by the first PlanTable and
	// kept for every later plan, chunk and the post-process, so that
	// retries and re-encodes after a node loss use the same values.
	Base *activities.TableBase `json:"base,omitempty"`
}

func generationSuffix(gen int) string {
	if gen == 0 {
		return ""
	}
	return "#" + strconv.Itoa(gen)
}

// runPhysical imports a table through local engines on one node, laid out
// as Lightning's: one data engine per batch of chunks (mydump.Chunk.EngineID,
// sized by mydumper.batch-size / batch-import-ratio) for the record KVs, and
// one index engine for the whole table's index KVs:
//
//	ClaimEngineNode (shared queue)  → the node queue that holds the engines
//	PlanTable                       (shared queue) chunks with engine IDs
//	ImportChunk × M                 (node queue) encode into data + index engine
//	ImportEngine(data e)            (node queue) as soon as e's last chunk is
//	                                encoded, while later chunks still encode
//	ImportEngine(index)             (node queue) after every chunk and data engine
//	PostProcess                     (shared queue) rebase, checksum, analyze
//
// If the node is lost for good (an activity times out waiting on its
// queue), the engines are gone with it: the table is re-planned, a new node
// is claimed, and every chunk is encoded again into a new engine
// generation. Data engines already ingested are ingested again (identical
// pairs): their chunks' index KVs were in the lost index engine, so every
// chunk must be encoded anyway.
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
			planIn := activities.PlanTableInput{TaskID: in.TaskID, Config: in.Config, Table: in.Table, Base: ps.Base}
			if err := workflow.ExecuteActivity(shortActivity(ctx, "plan/"+name+suffix, t), a.PlanTable, planIn).Get(ctx, &plan); err != nil {
				return st.fail(ctx, fmt.Errorf("plan chunks: %w", err))
			}
			if ps.Base == nil {
				ps.Base = plan.Base
			}
			chunks, planned = plan.Chunks, true
			st.progress.ChunksTotal = len(chunks)
			st.report(ctx, true)
		}

		// Data engines still to import are those with chunks left to
		// encode: a run continued as new had every engine completed
		// before it imported (see below).
		st.engines = newEngineImports(chunks)
		next, err := st.importChunks(ctx, t, chunks)
		// Never leave an engine import running behind: a continued run or
		// a new generation must not race it on the same engine.
		if werr := workflow.Await(ctx, func() bool { return st.engines.inflight == 0 }); err == nil {
			err = werr
		}
		if err == nil {
			err = st.engines.err
		}
		if err == nil && next < len(chunks) {
			st.drainSignals(ctx)
			in.Planned, in.Remaining, in.Done, in.Paused, in.Physical = true, chunks[next:], st.progress.Counters, st.paused, ps
			return st.progress, workflow.NewContinueAsNewError(ctx, TableWorkflowName, in)
		}
		if err == nil {
			// The index engine holds every chunk's index KVs: it is
			// complete only now.
			err = st.importEngine(ctx, t, activities.IndexEngineID).Get(ctx, nil)
			if err != nil {
				err = fmt.Errorf("import index engine: %w", err)
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
		// Everything the lost node encoded is gone with its engines: start
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
	if ps.Base != nil {
		base := ps.Base.Checksum
		postIn.BaseChecksum = &base
	}
	if err := workflow.ExecuteActivity(shortActivity(ctx, "postprocess/"+name, t), a.PostProcess, postIn).Get(ctx, nil); err != nil {
		return st.fail(ctx, fmt.Errorf("post-process: %w", err))
	}
	st.progress.Phase = progress.PhaseDone
	return st.progress, nil
}

// engineImports tracks one run's data engines: how many chunks of each are
// still to be encoded, and the ImportEngine activities in flight.
type engineImports struct {
	left     map[int32]int // data engine ID → chunks not yet encoded
	inflight int
	err      error // first failed engine import
}

func newEngineImports(chunks []mydump.Chunk) *engineImports {
	e := &engineImports{left: map[int32]int{}}
	for _, c := range chunks {
		e.left[c.EngineID]++
	}
	return e
}

// EngineActivityID is the activity ID of importing one engine of a table
// (before the generation suffix): ingest/<table>/<data engine ID> or
// ingest/<table>/index.
func EngineActivityID(db, table string, engineID int32) string {
	id := "index"
	if engineID != activities.IndexEngineID {
		id = strconv.Itoa(int(engineID))
	}
	return "ingest/" + SafeID(db+"."+table) + "/" + id
}

// importEngine starts ImportEngine of one engine of the current generation
// on the table's node queue.
func (st *tableState) importEngine(ctx workflow.Context, t Timeouts, engineID int32) workflow.Future {
	var a *activities.Activities
	in, ps := st.in, st.phys
	engIn := activities.ImportEngineInput{TaskID: in.TaskID, Config: in.Config, DB: in.Table.DB, Table: in.Table.Table,
		Generation: ps.Generation, EngineID: engineID}
	id := EngineActivityID(in.Table.DB, in.Table.Table, engineID) + generationSuffix(ps.Generation)
	return workflow.ExecuteActivity(nodeActivity(ctx, id, ps.NodeQueue, t), a.ImportEngine, engIn)
}

// chunkEncoded counts a chunk as written to its data engine; the engine's
// last chunk starts the engine's import at once, so that ingesting it
// overlaps with encoding the next batch (Lightning's reason for batches).
func (st *tableState) chunkEncoded(ctx workflow.Context, t Timeouts, c mydump.Chunk) {
	e := st.engines
	e.left[c.EngineID]--
	if e.left[c.EngineID] > 0 || e.err != nil {
		return
	}
	delete(e.left, c.EngineID)
	e.inflight++
	fut := st.importEngine(ctx, t, c.EngineID)
	workflow.Go(ctx, func(gctx workflow.Context) {
		err := fut.Get(gctx, nil)
		e.inflight--
		if err != nil && e.err == nil {
			e.err = fmt.Errorf("import data engine %d: %w", c.EngineID, err)
		}
	})
}

// isNodeLost reports an activity that nobody picked up from a node queue in
// time: the node is gone (or hopelessly backed up).
func isNodeLost(err error) bool {
	var te *temporal.TimeoutError
	return errors.As(err, &te) && te.TimeoutType() == enums.TIMEOUT_TYPE_SCHEDULE_TO_START
}
