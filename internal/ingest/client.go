package ingest

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/tempestdb/tempest/internal/config"
)

// Defaults from lightning-reference.md §2 [tikv-importer] and
// tidb-encoding.md §7.
const (
	DefaultSendKVSize              = 16 << 10
	DefaultRegionSplitSize         = 96 << 20
	DefaultRegionSplitKeys         = 1_280_000
	DefaultRegionSplitBatchSize    = 4096
	DefaultRegionCheckBackoffLimit = 1800
	DefaultRangeConcurrency        = 16
	DefaultMaxRetries              = 30
	defaultSplitBatchBytes         = 6 << 20
)

// ErrDiskFull is returned (wrapped) when TiKV reports disk_full; retrying
// cannot help, so callers should fail the import without retries.
var ErrDiskFull = errors.New("ingest: TiKV disk full")

// ErrTooManyRetries wraps the last error of a region job that exhausted
// Options.MaxRetries.
var ErrTooManyRetries = errors.New("ingest: region job retried too many times")

// Options configure physical import. Zero values select the defaults.
type Options struct {
	// SendKVSize is tikv-importer.send-kv-size: bytes per Write batch.
	SendKVSize int64
	// StoreWriteBWLimit is tikv-importer.store-write-bwlimit in bytes/s per
	// store; 0 is unlimited.
	StoreWriteBWLimit int64
	// RegionSplitSize / RegionSplitKeys are the target region size used for
	// split keys and for cutting over-large jobs.
	RegionSplitSize int64
	RegionSplitKeys int64
	// RegionSplitBatchSize caps the keys of one SplitRegion request.
	RegionSplitBatchSize int
	// RegionSplitConcurrency is how many regions are split at once.
	RegionSplitConcurrency int
	// RegionCheckBackoffLimit bounds the polls while waiting for split
	// regions to appear and for scatter operators to finish.
	RegionCheckBackoffLimit int
	// RegionCheckInterval is the pause between those polls (≤ 2 s in
	// Lightning; default 500 ms).
	RegionCheckInterval time.Duration
	// RangeConcurrency is tikv-importer.range-concurrency: region jobs
	// running at once.
	RangeConcurrency int
	// MaxRetries bounds the retries of one region job (30 in Lightning).
	MaxRetries int
	// MinBackoff / MaxBackoff bound the exponential retry backoff
	// (Lightning: 1 s doubling, capped at 30 s).
	MinBackoff time.Duration
	MaxBackoff time.Duration
	// WriteTimeout bounds one job's Write phase (15 min in Lightning).
	WriteTimeout time.Duration
	// CheckWriteStall, used when cron.switch-mode is 0, probes every peer
	// with an empty MultiIngest before ingesting and backs off while a
	// store reports server_is_busy.
	CheckWriteStall bool
	// RequestSource and ResourceGroup go into every kvrpcpb.Context.
	RequestSource string
	ResourceGroup string
}

func (o Options) withDefaults() Options {
	if o.SendKVSize <= 0 {
		o.SendKVSize = DefaultSendKVSize
	}
	if o.RegionSplitSize <= 0 {
		o.RegionSplitSize = DefaultRegionSplitSize
	}
	if o.RegionSplitKeys <= 0 {
		o.RegionSplitKeys = DefaultRegionSplitKeys
	}
	if o.RegionSplitBatchSize <= 0 {
		o.RegionSplitBatchSize = DefaultRegionSplitBatchSize
	}
	if o.RegionSplitConcurrency <= 0 {
		o.RegionSplitConcurrency = runtime.GOMAXPROCS(0)
	}
	if o.RegionCheckBackoffLimit <= 0 {
		o.RegionCheckBackoffLimit = DefaultRegionCheckBackoffLimit
	}
	if o.RegionCheckInterval <= 0 {
		o.RegionCheckInterval = 500 * time.Millisecond
	}
	if o.RangeConcurrency <= 0 {
		o.RangeConcurrency = DefaultRangeConcurrency
	}
	if o.MaxRetries <= 0 {
		o.MaxRetries = DefaultMaxRetries
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = o.MinBackoff
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 15 * time.Minute
	}
	if o.RequestSource == "" {
		o.RequestSource = "external_tempest_import"
	}
	return o
}

// OptionsFromConfig maps the [tikv-importer] and [cron] keys.
func OptionsFromConfig(cfg *config.Config) Options {
	t := cfg.TikvImporter
	return Options{
		SendKVSize:              int64(t.SendKVSize),
		StoreWriteBWLimit:       int64(t.StoreWriteBWLimit),
		RegionSplitSize:         int64(t.RegionSplitSize),
		RegionSplitKeys:         t.RegionSplitKeys,
		RegionSplitBatchSize:    t.RegionSplitBatchSize,
		RegionSplitConcurrency:  t.RegionSplitConcurrency,
		RegionCheckBackoffLimit: t.RegionCheckBackoffLimit,
		RangeConcurrency:        t.RangeConcurrency,
		CheckWriteStall:         cfg.Cron.SwitchMode <= 0,
	}
}

// regionMaxSize is how much one job writes before it ingests and continues
// (§7.5 step 5).
func (o Options) regionMaxSize() int64 {
	if o.RegionSplitSize <= 96<<20 {
		return o.RegionSplitSize * 4 / 3
	}
	return o.RegionSplitSize
}

func (o Options) backoff(attempt int) time.Duration {
	d := o.MinBackoff
	for i := 1; i < attempt && d < o.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, o.MaxBackoff)
}

// Client talks to PD and the TiKV stores for one import task.
type Client struct {
	pd     *PD
	stores *storeConns
	opts   Options
	logger *zap.Logger

	limMu    sync.Mutex
	limiters map[uint64]*rateLimiter
}

// NewClient builds a client over an open PD connection. The caller keeps
// ownership of pd.
func NewClient(p *PD, opts Options, logger *zap.Logger) *Client {
	if logger == nil {
		logger = zap.NewNop()
	}
	return &Client{pd: p, stores: newStoreConns(p), opts: opts.withDefaults(), logger: logger, limiters: make(map[uint64]*rateLimiter)}
}

// PD returns the PD wrapper.
func (c *Client) PD() *PD { return c.pd }

// Options returns the effective options.
func (c *Client) Options() Options { return c.opts }

// Close closes the store connections (not PD).
func (c *Client) Close() error { return c.stores.close() }

func (c *Client) limiter(storeID uint64) *rateLimiter {
	if c.opts.StoreWriteBWLimit <= 0 {
		return nil
	}
	c.limMu.Lock()
	defer c.limMu.Unlock()
	l, ok := c.limiters[storeID]
	if !ok {
		l = &rateLimiter{bytesPerSec: float64(c.opts.StoreWriteBWLimit)}
		c.limiters[storeID] = l
	}
	return l
}

// rateLimiter spaces sends so a store receives at most bytesPerSec on
// average. Each caller reserves its slot under the mutex and sleeps outside
// it, so concurrent jobs to one store share the budget fairly.
type rateLimiter struct {
	bytesPerSec float64

	mu   sync.Mutex
	next time.Time
}

func (l *rateLimiter) wait(ctx context.Context, n int) error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	now := time.Now()
	if l.next.Before(now) {
		l.next = now
	}
	at := l.next
	l.next = l.next.Add(time.Duration(float64(n) / l.bytesPerSec * float64(time.Second)))
	l.mu.Unlock()
	return sleepCtx(ctx, time.Until(at))
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
