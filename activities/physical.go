package activities

import (
	"context"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/tempestdb/tempest/internal/importer"
	"github.com/tempestdb/tempest/internal/ingest"
	"github.com/tempestdb/tempest/internal/kv"
	"github.com/tempestdb/tempest/internal/physical"
)

// maxEngineHeartbeatInterval keeps ImportEngine visibly alive while a long
// split or region job reports no finished range; a shorter heartbeat
// timeout shortens it.
const maxEngineHeartbeatInterval = 5 * time.Second

func engineHeartbeatInterval(ctx context.Context) time.Duration {
	d := maxEngineHeartbeatInterval
	if hb := activity.GetInfo(ctx).HeartbeatTimeout; hb > 0 && hb/3 < d {
		d = max(hb/3, 10*time.Millisecond)
	}
	return d
}

// heartbeatWhile calls beat every engineHeartbeatInterval until the
// returned stop is called or ctx ends. Long steps that report no progress
// of their own (an engine write held at the disk-quota gate, an ADMIN
// CHECKSUM of a big table, a region job in flight) stay visibly alive this
// way, while a dead worker still stops heartbeating.
func heartbeatWhile(ctx context.Context, beat func()) (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(engineHeartbeatInterval(ctx))
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				beat()
			}
		}
	}()
	return func() { close(done) }
}

// ClaimEngineNode runs on the shared queue: whichever worker picks it up
// becomes the home of the table's engines, and the workflow routes the
// table's chunk and ImportEngine activities to the node queue it returns.
func (a *Activities) ClaimEngineNode(ctx context.Context, in ClaimEngineNodeInput) (*ClaimEngineNodeResult, error) {
	if a.nodeQueue == "" {
		// Routing to "" would silently mean the workflow's shared queue,
		// where any worker (without the engine) could pick the work up.
		return nil, temporal.NewNonRetryableApplicationError(
			"claim engine node for `"+in.DB+"`.`"+in.Table+"`: this worker has no node queue", "ConfigError", nil)
	}
	return &ClaimEngineNodeResult{NodeQueue: a.nodeQueue}, nil
}

// ImportEngine ingests one engine of a table into TiKV. It heartbeats the ranges
// already ingested; a retried attempt (on the same node, which holds the
// engine) skips them.
func (a *Activities) ImportEngine(ctx context.Context, in ImportEngineInput) (*ImportEngineResult, error) {
	var finished []ingest.KeyRange
	if activity.HasHeartbeatDetails(ctx) {
		var hb ImportEngineHeartbeat
		if err := activity.GetHeartbeatDetails(ctx, &hb); err == nil {
			for _, r := range hb.Finished {
				finished = append(finished, ingest.KeyRange{Start: r.Start, End: r.End})
			}
		}
	}
	var mu sync.Mutex
	done := append([]ingest.KeyRange(nil), finished...)
	beat := func() {
		mu.Lock()
		defer mu.Unlock()
		done = ingest.MergeRanges(done)
		hb := ImportEngineHeartbeat{Finished: make([]KeyRange, len(done))}
		for i, r := range done {
			hb.Finished[i] = KeyRange{Start: r.Start, End: r.End}
		}
		activity.RecordHeartbeat(ctx, hb)
	}
	defer heartbeatWhile(ctx, beat)()
	job := importer.EngineJob{TaskID: in.TaskID, Config: in.Config, DB: in.DB, Table: in.Table, Generation: in.Generation, EngineID: in.EngineID}
	res, err := a.importer.ImportEngine(ctx, job, finished, func(rs []ingest.KeyRange) {
		mu.Lock()
		for _, r := range rs {
			done = append(done, ingest.KeyRange{Start: append([]byte(nil), r.Start...), End: append([]byte(nil), r.End...)})
		}
		mu.Unlock()
		beat()
	})
	if err != nil {
		return nil, classify(err)
	}
	return &ImportEngineResult{Pairs: res.Pairs, Bytes: res.Bytes}, nil
}

// planPhysicalTable plans a physical import's table: chunks whose row IDs
// continue after the table's existing ones, and the table's base, which
// the workflow keeps for the whole import (in.Base on a re-plan).
func (a *Activities) planPhysicalTable(ctx context.Context, in PlanTableInput) (*PlanTableResult, error) {
	var prev *physical.TableBase
	if in.Base != nil {
		prev = &physical.TableBase{RowID: in.Base.RowID, Session: in.Base.Session,
			Checksum: kv.MakeChecksum(in.Base.Checksum.Sum, in.Base.Checksum.KVs, in.Base.Checksum.Bytes)}
	}
	// ADMIN CHECKSUM of a big existing table can outlast the heartbeat
	// timeout: keep the activity visibly alive while it runs.
	defer heartbeatWhile(ctx, func() { activity.RecordHeartbeat(ctx) })()
	chunks, base, err := a.importer.PlanPhysicalTable(ctx, in.TaskID, in.Config, in.Table, prev)
	if err != nil {
		return nil, classify(err)
	}
	return &PlanTableResult{Chunks: chunks, Base: &TableBase{RowID: base.RowID, Session: base.Session,
		Checksum: KVChecksum{Sum: base.Checksum.Sum(), KVs: base.Checksum.KVs(), Bytes: base.Checksum.Bytes()}}}, nil
}
