package physical

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/engine"
	"github.com/tempestdb/tempest/internal/ingest"
)

// undoTimeout bounds the calls that undo import mode and scheduler pauses
// on a fresh context after the import's own context ended.
const undoTimeout = 30 * time.Second

// Physical holds one worker's physical-import state: open engines per
// sorted-kv-dir and the shared import-mode keepers. It is safe for
// concurrent use and lives as long as the worker.
type Physical struct {
	logger     *zap.Logger
	defaultDir string

	mu       sync.Mutex
	managers map[string]*engine.Manager // by sorted-kv-dir
	modes    map[string]*modeHold       // by PD address list
	// opened records, per open engine name, the task config and ref it
	// was opened with: the disk-quota enforcer imports engines of any
	// task in the directory and needs each one's cluster.
	opened map[string]openedEngine

	// quotaLoops run one disk-quota check loop per sorted-kv-dir until
	// Close.
	quotaCtx   context.Context
	stopQuota  context.CancelFunc
	quotaLoops sync.WaitGroup
}

// modeHold is one import-mode keeper shared by the imports of this process
// against one cluster.
type modeHold struct {
	refs   int
	pd     *ingest.PD
	client *ingest.Client
	keeper *ingest.ModeKeeper
}

// New returns a Physical; defaultDir is the sorted-kv-dir used when a task
// does not set tikv-importer.sorted-kv-dir.
func New(logger *zap.Logger, defaultDir string) *Physical {
	if logger == nil {
		logger = zap.NewNop()
	}
	if defaultDir == "" {
		defaultDir = filepath.Join(os.TempDir(), "tempest-sorted-kv")
	}
	p := &Physical{logger: logger, defaultDir: defaultDir, managers: map[string]*engine.Manager{}, modes: map[string]*modeHold{},
		opened: map[string]openedEngine{}}
	p.quotaCtx, p.stopQuota = context.WithCancel(context.Background())
	return p
}

// Close closes every open engine (keeping their files) and ends any
// import-mode keeper still held.
func (p *Physical) Close() error {
	p.stopQuota()
	p.quotaLoops.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for dir, m := range p.managers {
		errs = append(errs, m.CloseAll())
		delete(p.managers, dir)
	}
	for key, h := range p.modes {
		ctx, cancel := context.WithTimeout(context.Background(), undoTimeout)
		errs = append(errs, h.keeper.Stop(ctx))
		cancel()
		_ = h.client.Close()
		h.pd.Close()
		delete(p.modes, key)
	}
	return errors.Join(errs...)
}

// EngineRef names one engine of a table: a data engine (EngineID 0…, one
// per batch of chunks) or the index engine (IndexEngineID). The generation
// changes when the workflow re-encodes the table on another node, so that a
// stale engine is never reused.
type EngineRef struct {
	TaskID     string
	DB, Table  string
	Generation int
	EngineID   int32
}

// EngineName is the directory name of an engine: readable, file-system safe
// and unique per (task, table, generation, engine ID).
func EngineName(ref EngineRef) string {
	h := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%s\x00%s\x00%d\x00%d", ref.TaskID, ref.DB, ref.Table, ref.Generation, ref.EngineID)))
	kind := "-i-"
	if ref.EngineID != IndexEngineID {
		kind = "-d" + strconv.Itoa(int(ref.EngineID)) + "-"
	}
	return taskPrefix(ref.TaskID) + safeName(ref.DB+"."+ref.Table) + kind + hex.EncodeToString(h[:6])
}

// taskPrefix starts the names of every engine of a task, so that a task's
// Cleanup finds them.
func taskPrefix(taskID string) string {
	h := sha256.Sum256([]byte(taskID))
	return "t" + hex.EncodeToString(h[:4]) + "-"
}

func safeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
		if b.Len() >= 64 {
			break
		}
	}
	return b.String()
}

// SortedKVDir is where this worker keeps a task's engines.
func (p *Physical) SortedKVDir(cfg *config.Config) string {
	if cfg.TikvImporter.SortedKVDir != "" {
		return cfg.TikvImporter.SortedKVDir
	}
	return p.defaultDir
}

func (p *Physical) manager(cfg *config.Config) (*engine.Manager, error) {
	dir := p.SortedKVDir(cfg)
	p.mu.Lock()
	defer p.mu.Unlock()
	if m, ok := p.managers[dir]; ok {
		return m, nil
	}
	m, err := engine.NewManager(dir, engine.OptionsFromConfig(cfg, p.logger.Named("engine")))
	if err != nil {
		return nil, err
	}
	p.managers[dir] = m
	p.startQuotaLoop(m, time.Duration(cfg.Cron.CheckDiskQuota))
	return m, nil
}

// OpenEngine opens (or creates) one engine of a table on this worker.
func (p *Physical) OpenEngine(cfg *config.Config, ref EngineRef) (*engine.Engine, error) {
	m, err := p.manager(cfg)
	if err != nil {
		return nil, err
	}
	name := EngineName(ref)
	eng, err := m.Open(name)
	if err != nil {
		return nil, fmt.Errorf("open engine of `%s`.`%s`: %w", ref.DB, ref.Table, err)
	}
	p.mu.Lock()
	p.opened[name] = openedEngine{cfg: cfg, ref: ref, dir: m.Dir()}
	p.mu.Unlock()
	return eng, nil
}

// RemoveEngine closes one engine of a table and deletes its files.
func (p *Physical) RemoveEngine(cfg *config.Config, ref EngineRef) error {
	m, err := p.manager(cfg)
	if err != nil {
		return err
	}
	name := EngineName(ref)
	p.mu.Lock()
	delete(p.opened, name)
	p.mu.Unlock()
	if err := m.Cleanup(name); err != nil {
		return fmt.Errorf("remove engine of `%s`.`%s`: %w", ref.DB, ref.Table, err)
	}
	return nil
}

// RemoveTaskEngines deletes every engine of a task under this worker's
// sorted-kv-dir (engines on other workers stay until their own cleanup).
func (p *Physical) RemoveTaskEngines(cfg *config.Config, taskID string) error {
	m, err := p.manager(cfg)
	if err != nil {
		return err
	}
	entries, err := os.ReadDir(m.Dir())
	if err != nil {
		return fmt.Errorf("list engines under %s: %w", m.Dir(), err)
	}
	prefix := taskPrefix(taskID)
	var errs []error
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), prefix) {
			p.mu.Lock()
			delete(p.opened, e.Name())
			p.mu.Unlock()
			errs = append(errs, m.Cleanup(e.Name()))
		}
	}
	return errors.Join(errs...)
}

// acquireImportMode switches the cluster's stores to import mode, or joins
// the keeper another import of this process already runs. release must be
// called; it stops the keeper (switching stores back to normal) when the
// last holder leaves, on a fresh context so that it works after
// cancellation.
func (p *Physical) acquireImportMode(ctx context.Context, cfg *config.Config, pdAddrs []string) (release func(), err error) {
	key := strings.Join(pdAddrs, ",")
	p.mu.Lock()
	defer p.mu.Unlock()
	h, ok := p.modes[key]
	if !ok {
		pd, err := ingest.NewPD(ctx, pdAddrs, p.logger.Named("pd"))
		if err != nil {
			return nil, fmt.Errorf("connect to PD %s: %w", key, err)
		}
		client := ingest.NewClient(pd, ingest.OptionsFromConfig(cfg), p.logger.Named("ingest"))
		keeper, err := client.StartModeKeeper(ctx, time.Duration(cfg.Cron.SwitchMode))
		if err != nil {
			_ = client.Close()
			pd.Close()
			return nil, fmt.Errorf("switch TiKV stores to import mode: %w", err)
		}
		p.logger.Info("switch tikv mode", zap.String("mode", "Import"), zap.String("pd", key))
		h = &modeHold{pd: pd, client: client, keeper: keeper}
		p.modes[key] = h
	}
	h.refs++
	var once sync.Once
	return func() {
		once.Do(func() {
			p.mu.Lock()
			defer p.mu.Unlock()
			h.refs--
			if h.refs > 0 {
				return
			}
			delete(p.modes, key)
			uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), undoTimeout)
			defer cancel()
			if err := h.keeper.Stop(uctx); err != nil {
				p.logger.Warn("switch TiKV stores back to normal mode", zap.Error(err))
			} else {
				p.logger.Info("switch tikv mode", zap.String("mode", "Normal"), zap.String("pd", key))
			}
			_ = h.client.Close()
			h.pd.Close()
		})
	}, nil
}

// SwitchToNormal switches every store back to normal mode: the task's
// compensation step for a worker that died holding import mode. It leaves
// alone stores held by a keeper of this process (another task importing).
func (p *Physical) SwitchToNormal(ctx context.Context, cfg *config.Config) error {
	addrs, err := PDAddrs(ctx, cfg)
	if err != nil {
		return err
	}
	p.mu.Lock()
	_, held := p.modes[strings.Join(addrs, ",")]
	p.mu.Unlock()
	if held {
		return nil
	}
	pd, err := ingest.NewPD(ctx, addrs, p.logger.Named("pd"))
	if err != nil {
		return fmt.Errorf("connect to PD %s: %w", strings.Join(addrs, ","), err)
	}
	defer pd.Close()
	client := ingest.NewClient(pd, ingest.OptionsFromConfig(cfg), p.logger.Named("ingest"))
	defer func() { _ = client.Close() }()
	if err := client.SwitchToNormal(ctx); err != nil {
		return fmt.Errorf("switch TiKV stores to normal mode: %w", err)
	}
	return nil
}
