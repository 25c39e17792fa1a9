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
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"sync"

	"go.uber.org/zap"

	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/logical"
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

	mu       sync.Mutex
	backends map[string]*logical.Backend // by target identity
}

// New returns an Importer.
func New(logger *zap.Logger, password PasswordSource, opts Options) *Importer {
	if logger == nil {
		logger = zap.NewNop()
	}
	return &Importer{logger: logger, password: password, opts: opts, backends: map[string]*logical.Backend{}}
}

// Close closes the cached connection pools.
func (im *Importer) Close() error {
	im.mu.Lock()
	defer im.mu.Unlock()
	var errs []error
	for k, b := range im.backends {
		errs = append(errs, b.Close())
		delete(im.backends, k)
	}
	return errors.Join(errs...)
}

// logicalBackend returns the cached SQL backend of the task's target,
// opening it on first use. Tasks that share a target, user and session
// settings share the pool.
func (im *Importer) logicalBackend(ctx context.Context, cfg *config.Config) (*logical.Backend, error) {
	key := fmt.Sprintf("%s:%d/%s/%s/%v/%d", cfg.TiDB.Host, cfg.TiDB.Port, cfg.TiDB.User, cfg.TiDB.SQLMode,
		cfg.TiDB.SessionVars, cfg.Lightning.RegionConcurrency)
	im.mu.Lock()
	defer im.mu.Unlock()
	if b, ok := im.backends[key]; ok {
		return b, nil
	}
	password, err := im.password(cfg)
	if err != nil {
		return nil, fmt.Errorf("resolve password for %s:%d: %w", cfg.TiDB.Host, cfg.TiDB.Port, err)
	}
	b, err := logical.Open(ctx, cfg, password, im.logger.Named("logical"))
	if err != nil {
		return nil, fmt.Errorf("connect to target %s:%d: %w", cfg.TiDB.Host, cfg.TiDB.Port, err)
	}
	im.backends[key] = b
	return b, nil
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
