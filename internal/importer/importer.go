// Package importer is the logic behind Tempest's activities: scanning the
// source, creating schemas, planning chunks, importing one chunk, and
// post-processing a table. It knows nothing of Temporal — activities adapt it
// (heartbeats become a callback, resume details a *ChunkPosition) — so it is
// tested directly against real targets.
//
// An Importer lives as long as its worker process. It caches connection pools
// per target so that the thousands of chunk activities of an import share a
// few connections, and it holds the worker's secrets: the target password
// never travels in workflow input.
package importer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/logical"
	"github.com/tempestdb/tempest/internal/physical"
)

// PasswordSource resolves the target password for a task config (whose own
// password was redacted).
type PasswordSource func(cfg *config.Config) (string, error)

// StaticPassword is a PasswordSource for one known password (the embedded
// default, where the starter and the worker are one process). An empty
// password falls back to the environment, as EnvPassword.
func StaticPassword(p string) PasswordSource {
	return func(cfg *config.Config) (string, error) {
		if p != "" {
			return p, nil
		}
		return EnvPassword(cfg)
	}
}

// PasswordEnv is the environment variable standalone workers read the target
// password from.
const PasswordEnv = "TEMPEST_TIDB_PASSWORD"

// EnvPassword reads TEMPEST_TIDB_PASSWORD (empty when unset).
func EnvPassword(*config.Config) (string, error) { return os.Getenv(PasswordEnv), nil }

// Options are per-worker settings.
type Options struct {
	// SortedKVDir is the default parent of local engines when the task does
	// not set tikv-importer.sorted-kv-dir.
	SortedKVDir string
}

// Importer runs import steps. It is safe for concurrent use.
type Importer struct {
	logger   *zap.Logger
	password PasswordSource
	opts     Options
	phys     *physical.Physical

	mu       sync.Mutex
	backends map[string]*cachedBackend // by task and config
}

// cachedBackend is a task's connection pool on this worker.
type cachedBackend struct {
	be       *logical.Backend
	lastUsed time.Time
}

// backendIdleTimeout closes the pools of tasks this worker has not served for
// a while: a long-lived worker serves many tasks, and Cleanup runs on only
// one of the workers that served a task.
const backendIdleTimeout = 10 * time.Minute

// New returns an Importer.
func New(logger *zap.Logger, password PasswordSource, opts Options) *Importer {
	if logger == nil {
		logger = zap.NewNop()
	}
	return &Importer{logger: logger, password: password, opts: opts, backends: map[string]*cachedBackend{},
		phys: physical.New(logger.Named("physical"), opts.SortedKVDir)}
}

// Close closes the cached connection pools.
func (im *Importer) Close() error {
	im.mu.Lock()
	defer im.mu.Unlock()
	errs := []error{im.phys.Close()}
	for k, b := range im.backends {
		errs = append(errs, b.be.Close())
		delete(im.backends, k)
	}
	return errors.Join(errs...)
}

// logicalBackend returns the SQL backend of a task on this worker, opening
// it on first use, so that the task's chunk activities share one pool. The
// key includes the whole (redacted) config: a backend holds task settings
// (strategy, budgets, schema charset) and per-task state (whether the
// task-info tables were created).
func (im *Importer) logicalBackend(ctx context.Context, taskID string, cfg *config.Config) (*logical.Backend, error) {
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	sum := sha256.Sum256(cfgJSON)
	key := taskID + "/" + hex.EncodeToString(sum[:8])
	now := time.Now()
	im.mu.Lock()
	defer im.mu.Unlock()
	for k, c := range im.backends {
		if k != key && now.Sub(c.lastUsed) > backendIdleTimeout {
			_ = c.be.Close()
			delete(im.backends, k)
		}
	}
	if c, ok := im.backends[key]; ok {
		c.lastUsed = now
		return c.be, nil
	}
	password, err := im.password(cfg)
	if err != nil {
		return nil, fmt.Errorf("resolve password for %s:%d: %w", cfg.TiDB.Host, cfg.TiDB.Port, err)
	}
	be, err := logical.Open(ctx, cfg, password, im.logger.Named("logical"))
	if err != nil {
		return nil, fmt.Errorf("connect to target %s:%d: %w", cfg.TiDB.Host, cfg.TiDB.Port, err)
	}
	im.backends[key] = &cachedBackend{be: be, lastUsed: now}
	return be, nil
}

// releaseTask closes this worker's pools of a task.
func (im *Importer) releaseTask(taskID string) {
	im.mu.Lock()
	defer im.mu.Unlock()
	for k, c := range im.backends {
		if strings.HasPrefix(k, taskID+"/") {
			_ = c.be.Close()
			delete(im.backends, k)
		}
	}
}

// PermanentError is an error no retry can fix: bad input, bad config, a spent
// error budget. Kind becomes the Temporal error type.
type PermanentError struct {
	Kind string
	Err  error
}

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

func permanent(kind string, err error) error {
	if err == nil {
		return nil
	}
	var p *PermanentError
	if errors.As(err, &p) {
		return err
	}
	return &PermanentError{Kind: kind, Err: err}
}

// taskNumber maps a task ID to the BIGINT task_id of the task-info tables
// (Lightning's column type): FNV-1a, sign bit cleared. Distinct task IDs
// colliding would only mix their error records, not their data.
func taskNumber(taskID string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(taskID))
	return int64(h.Sum64() &^ (1 << 63))
}
