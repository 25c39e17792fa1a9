// Package activities holds Tempest's Temporal activities. Each is a thin
// method on Activities that adapts Temporal (heartbeats, resume details,
// error classification) to the import logic in internal/importer.
package activities

import (
	"context"
	"errors"
	"sync"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.uber.org/zap"

	"github.com/tempestdb/tempest/internal/importer"
	"github.com/tempestdb/tempest/internal/kv"
)

// Activities carries the worker's dependencies; register a *Activities with
// the worker. The zero value is not usable: build it with New.
type Activities struct {
	logger   *zap.Logger
	importer *importer.Importer
	// nodeQueue is this worker's own task queue, where activities that
	// need its local engines are routed (see ClaimEngineNode).
	nodeQueue string
}

// New wires activities to an importer (which owns connection pools and the
// worker's secrets) and to this worker's node queue.
func New(logger *zap.Logger, imp *importer.Importer, nodeQueue string) *Activities {
	return &Activities{logger: logger, importer: imp, nodeQueue: nodeQueue}
}

// Scan lists and routes the source files.
func (a *Activities) Scan(ctx context.Context, in ScanInput) (*ScanResult, error) {
	src, err := a.importer.Scan(ctx, in.Config)
	if err != nil {
		return nil, classify(err)
	}
	return &ScanResult{DBs: src.DBs, TotalBytes: src.TotalBytes, Warnings: src.Warnings}, nil
}

// CreateSchemas creates the databases and tables on the target.
func (a *Activities) CreateSchemas(ctx context.Context, in SchemaInput) error {
	return classify(a.importer.CreateSchemas(ctx, in.TaskID, in.Config, in.DBs))
}

// CreateViews creates the views, after every table was imported.
func (a *Activities) CreateViews(ctx context.Context, in SchemaInput) error {
	return classify(a.importer.CreateViews(ctx, in.TaskID, in.Config, in.DBs))
}

// PlanTable cuts one table's data files into chunks.
func (a *Activities) PlanTable(ctx context.Context, in PlanTableInput) (*PlanTableResult, error) {
	if in.Config.IsPhysical() {
		return a.planPhysicalTable(ctx, in)
	}
	chunks, err := a.importer.PlanTable(ctx, in.Config, in.Table)
	if err != nil {
		return nil, classify(err)
	}
	return &PlanTableResult{Chunks: chunks}, nil
}

// ImportChunk parses one chunk and writes its rows. It heartbeats after every
// committed batch; with the logical backend a retried attempt resumes after
// the last committed batch (see importer.ImportChunk for the exactly-once
// argument). With the physical backend it runs on the node queue of the
// worker holding the table's engines, every attempt re-encodes the whole
// chunk (idempotent; see package physical), and the result carries the
// chunk's KV checksum and max auto IDs.
func (a *Activities) ImportChunk(ctx context.Context, in ChunkInput) (*ChunkResult, error) {
	var resume *importer.ChunkPosition
	if activity.HasHeartbeatDetails(ctx) {
		var hb ChunkHeartbeat
		if err := activity.GetHeartbeatDetails(ctx, &hb); err == nil {
			resume = &importer.ChunkPosition{Offset: hb.Offset, RowID: hb.RowID, Stats: toStats(hb.Result)}
		}
	}
	job := importer.ChunkJob{TaskID: in.TaskID, Config: in.Config, DB: in.DB, Table: in.Table, Key: in.Key, Chunk: in.Chunk,
		EngineGeneration: in.EngineGeneration, Session: in.Session}
	if in.Timestamp != nil {
		job.Timestamp = *in.Timestamp
	}
	var mu sync.Mutex
	var last *ChunkHeartbeat
	if in.Config.IsPhysical() {
		// An engine write may wait for minutes while the disk-quota check
		// imports engines early (package engine): keep the attempt alive
		// with the last position meanwhile. A dead worker still stops
		// heartbeating.
		last = &ChunkHeartbeat{Offset: in.Chunk.Offset, RowID: in.Chunk.PrevRowIDMax}
		defer heartbeatWhile(ctx, func() {
			mu.Lock()
			hb := *last
			mu.Unlock()
			activity.RecordHeartbeat(ctx, hb)
		})()
	}
	stats, err := a.importer.ImportChunk(ctx, job, resume, func(pos importer.ChunkPosition) {
		hb := ChunkHeartbeat{Offset: pos.Offset, RowID: pos.RowID, Result: fromStats(pos.Stats, false)}
		mu.Lock()
		last = &hb
		mu.Unlock()
		activity.RecordHeartbeat(ctx, hb)
	})
	if err != nil {
		return nil, classify(err)
	}
	res := fromStats(stats.Stats, stats.Resumed)
	if in.Config.IsPhysical() {
		res.Checksum = &KVChecksum{Sum: stats.Checksum.Sum(), KVs: stats.Checksum.KVs(), Bytes: stats.Checksum.Bytes()}
		res.MaxIDs = &AutoIDs{RowID: stats.MaxIDs.RowID, AutoIncrement: stats.MaxIDs.AutoIncrement, AutoRandom: stats.MaxIDs.AutoRandom}
	}
	return &res, nil
}

// PostProcess finishes one table: checksum, analyze, auto-ID rebase as the
// backend and [post-restore] require.
func (a *Activities) PostProcess(ctx context.Context, in PostProcessInput) error {
	var sum importer.TableSummary
	if in.Checksum != nil {
		sum.Checksum = kv.MakeChecksum(in.Checksum.Sum, in.Checksum.KVs, in.Checksum.Bytes)
	}
	if in.MaxIDs != nil {
		sum.MaxIDs = kv.MaxIDs{RowID: in.MaxIDs.RowID, AutoIncrement: in.MaxIDs.AutoIncrement, AutoRandom: in.MaxIDs.AutoRandom}
	}
	if in.BaseChecksum != nil {
		sum.BaseChecksum = kv.MakeChecksum(in.BaseChecksum.Sum, in.BaseChecksum.KVs, in.BaseChecksum.Bytes)
	}
	return classify(a.importer.PostProcess(ctx, in.TaskID, in.Config, in.DB, in.Table, sum))
}

// Cleanup releases what the import held on the target, whatever the outcome.
func (a *Activities) Cleanup(ctx context.Context, in CleanupInput) error {
	return classify(a.importer.Cleanup(ctx, in.TaskID, in.Config, in.Succeeded))
}

func toStats(r ChunkResult) importer.ChunkStats {
	return importer.ChunkStats{Rows: r.Rows, Bytes: r.Bytes, TypeErrors: r.TypeErrors, Conflicts: r.Conflicts}
}

func fromStats(s importer.ChunkStats, resumed bool) ChunkResult {
	return ChunkResult{Rows: s.Rows, Bytes: s.Bytes, TypeErrors: s.TypeErrors, Conflicts: s.Conflicts, Resumed: resumed}
}

// classify turns importer errors into Temporal application errors whose type
// says whether a retry can help (workflows list the non-retryable types).
func classify(err error) error {
	if err == nil {
		return nil
	}
	var perm *importer.PermanentError
	if errors.As(err, &perm) {
		return temporal.NewNonRetryableApplicationError(err.Error(), perm.Kind, nil)
	}
	if errors.Is(err, context.Canceled) {
		return temporal.NewCanceledError(err.Error())
	}
	return err
}
