package physical

import (
	"context"
	"fmt"
	"strings"

	"go.uber.org/zap"

	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/engine"
	"github.com/tempestdb/tempest/internal/ingest"
)

// ImportResult summarizes ImportEngine.
type ImportResult struct {
	Pairs, Bytes int64
	CommitTS     uint64
}

// ImportEngine ingests one engine of a table into TiKV: it takes the
// engine's commit TS from PD (once: a retry keeps it, so re-ingesting a
// finished range writes identical versions), holds the stores in import
// mode, pauses PD scheduling over the engine's range, and writes + ingests
// every range not in finished, reporting newly finished ranges through
// progress. On success the engine is removed. Import mode and the
// scheduler pause are undone on every return path, also when ctx is
// cancelled. It waits while the disk-quota enforcer imports the same
// engine early.
func (p *Physical) ImportEngine(ctx context.Context, cfg *config.Config, ref EngineRef, finished []ingest.KeyRange, progress func([]ingest.KeyRange)) (ImportResult, error) {
	eng, err := p.OpenEngine(cfg, ref)
	if err != nil {
		return ImportResult{}, err
	}
	unlock, err := eng.LockImport(ctx)
	if err != nil {
		return ImportResult{}, err
	}
	defer unlock()
	res, err := p.ingestEngine(ctx, cfg, ref, eng, finished, progress)
	if err != nil {
		return res, err
	}
	if err := p.RemoveEngine(cfg, ref); err != nil {
		if res.Pairs == 0 {
			return res, err
		}
		// The data is in TiKV; a leftover engine only costs disk until the
		// task's cleanup.
		p.logger.Warn("remove imported engine", zap.String("engine", EngineName(ref)), zap.Error(err))
	}
	return res, nil
}

// ingestEngine ingests what eng holds now; the caller holds its import
// lock and decides what happens to the engine afterwards.
func (p *Physical) ingestEngine(ctx context.Context, cfg *config.Config, ref EngineRef, eng *engine.Engine, finished []ingest.KeyRange, progress func([]ingest.KeyRange)) (ImportResult, error) {
	addrs, err := PDAddrs(ctx, cfg)
	if err != nil {
		return ImportResult{}, err
	}
	pd, err := ingest.NewPD(ctx, addrs, p.logger.Named("pd"))
	if err != nil {
		return ImportResult{}, fmt.Errorf("connect to PD %s: %w", strings.Join(addrs, ","), err)
	}
	defer pd.Close()
	client := ingest.NewClient(pd, ingest.OptionsFromConfig(cfg), p.logger.Named("ingest"))
	defer func() { _ = client.Close() }()

	if eng.CommitTS() == 0 {
		ts, err := pd.TS(ctx)
		if err != nil {
			return ImportResult{}, fmt.Errorf("get commit TS for `%s`.`%s`: %w", ref.DB, ref.Table, err)
		}
		if err := eng.SetCommitTS(ts); err != nil {
			return ImportResult{}, fmt.Errorf("set commit TS of `%s`.`%s`: %w", ref.DB, ref.Table, err)
		}
	}
	res := ImportResult{CommitTS: eng.CommitTS()}
	first, last, ok, err := eng.Bounds()
	if err != nil {
		return res, fmt.Errorf("read bounds of engine %s of `%s`.`%s`: %w", eng.Name(), ref.DB, ref.Table, err)
	}
	if !ok {
		// Nothing to ingest (an empty engine, or a retry after the engine
		// was already ingested and removed).
		return res, nil
	}

	release, err := p.acquireImportMode(ctx, cfg, addrs)
	if err != nil {
		return res, err
	}
	defer release()

	pauser := ingest.NewSchedulerPauser(addrs[0], p.logger.Named("pd-schedulers"))
	ruleID := "tempest-" + EngineName(ref)
	end := append(append([]byte(nil), last...), 0)
	paused, err := pauser.Pause(ctx, cfg.TikvImporter.PausePDSchedulerScope, ruleID, []ingest.KeyRange{{Start: first, End: end}}, 0)
	if err != nil {
		return res, err
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), undoTimeout)
		defer cancel()
		if err := paused.Resume(uctx); err != nil {
			p.logger.Warn("resume PD schedulers", zap.String("rule", ruleID), zap.Error(err))
		}
	}()

	st, err := ingest.ImportEngine(ctx, eng, client, ingest.ImportOptions{Finished: finished, SkipSplit: len(finished) > 0}, progress)
	res.Pairs, res.Bytes = st.Pairs, st.Bytes
	if err != nil {
		return res, fmt.Errorf("ingest engine %s of `%s`.`%s`: %w", eng.Name(), ref.DB, ref.Table, err)
	}
	return res, nil
}
