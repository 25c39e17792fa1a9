package physical

import (
	"context"
	"fmt"
	"math"
	"time"

	"go.uber.org/zap"

	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/engine"
)

// defaultCheckDiskQuota is cron.check-disk-quota's default.
const defaultCheckDiskQuota = time.Minute

// openedEngine is what the disk-quota enforcer needs to import an engine
// it did not open: the task config (cluster, ingest options) and the ref.
type openedEngine struct {
	cfg *config.Config
	ref EngineRef
	dir string
}

// startQuotaLoop checks m's directory against tikv-importer.disk-quota
// every interval (cron.check-disk-quota) until Close. Called with p.mu
// held, once per directory.
func (p *Physical) startQuotaLoop(m *engine.Manager, interval time.Duration) {
	if interval <= 0 {
		interval = defaultCheckDiskQuota
	}
	p.quotaLoops.Add(1)
	go func() {
		defer p.quotaLoops.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-p.quotaCtx.Done():
				return
			case <-t.C:
			}
			if _, err := p.EnforceDiskQuota(p.quotaCtx, m.Dir()); err != nil && p.quotaCtx.Err() == nil {
				p.logger.Warn("disk quota check", zap.String("dir", m.Dir()), zap.Error(err))
			}
		}
	}()
}

// EnforceDiskQuota runs one disk-quota check of a sorted-kv-dir (see
// engine.Manager.EnforceQuota): when the directory exceeds the smallest
// disk-quota of the tasks with engines open in it, the largest engines are
// ingested into their tables' clusters early and emptied, while every
// writer of the directory waits. Whatever an engine gets afterwards is
// ingested by its own ImportEngine with the same commit TS; the chunks'
// checksums still cover every pair, so the table's checksum is unchanged.
// It returns the names of the engines imported early.
func (p *Physical) EnforceDiskQuota(ctx context.Context, dir string) ([]string, error) {
	p.mu.Lock()
	m, ok := p.managers[dir]
	quota := int64(math.MaxInt64)
	for _, o := range p.opened {
		if o.dir == dir && o.cfg.TikvImporter.DiskQuota > 0 {
			quota = min(quota, int64(o.cfg.TikvImporter.DiskQuota))
		}
	}
	p.mu.Unlock()
	if !ok || quota == math.MaxInt64 {
		return nil, nil
	}
	return m.EnforceQuota(ctx, quota, func(ctx context.Context, e *engine.Engine) error {
		p.mu.Lock()
		o, ok := p.opened[e.Name()]
		p.mu.Unlock()
		if !ok {
			return fmt.Errorf("engine %s was not opened by this worker's imports", e.Name())
		}
		res, err := p.ingestEngine(ctx, o.cfg, o.ref, e, nil, nil)
		if err == nil {
			p.logger.Info("disk quota: engine ingested early", zap.String("engine", e.Name()),
				zap.String("table", "`"+o.ref.DB+"`.`"+o.ref.Table+"`"), zap.Int64("pairs", res.Pairs), zap.Int64("bytes", res.Bytes))
		}
		return err
	})
}
