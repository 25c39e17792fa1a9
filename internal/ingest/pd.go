package ingest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/pingcap/kvproto/pkg/metapb"
	"github.com/pingcap/kvproto/pkg/pdpb"
	pd "github.com/tikv/pd/client"
	"github.com/tikv/pd/client/clients/router"
	"github.com/tikv/pd/client/opt"
	"go.uber.org/zap"
)

// Region is a PD region with its leader.
type Region struct {
	Meta   *metapb.Region
	Leader *metapb.Peer
	// PendingPeers are peers still catching up (e.g. right after a split).
	PendingPeers []*metapb.Peer
}

// rawRange is the region's key range in raw-key space.
func (r *Region) rawRange() KeyRange {
	return KeyRange{Start: decodeRegionKey(r.Meta.GetStartKey()), End: decodeRegionKey(r.Meta.GetEndKey())}
}

func (r *Region) String() string {
	return fmt.Sprintf("region %d [%x, %x) epoch %d/%d", r.Meta.GetId(), r.Meta.GetStartKey(), r.Meta.GetEndKey(),
		r.Meta.GetRegionEpoch().GetConfVer(), r.Meta.GetRegionEpoch().GetVersion())
}

// PD wraps the PD client with the calls physical import needs.
type PD struct {
	c      pd.Client
	addrs  []string
	logger *zap.Logger
}

// NewPD connects to PD at addrs (host:port). ctx carries values only: the
// PD client's background loops live until Close, not until ctx ends.
func NewPD(ctx context.Context, addrs []string, logger *zap.Logger) (*PD, error) {
	if logger == nil {
		logger = zap.NewNop()
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("connect to PD %v: %w", addrs, err)
	}
	c, err := pd.NewClientWithContext(context.WithoutCancel(ctx), addrs, pd.SecurityOption{},
		opt.WithCustomTimeoutOption(10*time.Second), opt.WithMaxErrorRetry(3))
	if err != nil {
		return nil, fmt.Errorf("connect to PD %v: %w", addrs, err)
	}
	return &PD{c: c, addrs: addrs, logger: logger}, nil
}

// Close releases the PD connection.
func (p *PD) Close() { p.c.Close() }

// Addrs returns the PD addresses the client was created with.
func (p *PD) Addrs() []string { return p.addrs }

// Client exposes the underlying PD client.
func (p *PD) Client() pd.Client { return p.c }

// isTiFlash reports whether a store is a TiFlash node (engine=tiflash label).
func isTiFlash(s *metapb.Store) bool {
	for _, l := range s.GetLabels() {
		if l.GetKey() == "engine" && strings.Contains(l.GetValue(), "tiflash") {
			return true
		}
	}
	return false
}

// TiKVStores returns the non-tombstone TiKV stores (TiFlash excluded).
func (p *PD) TiKVStores(ctx context.Context) ([]*metapb.Store, error) {
	all, err := p.c.GetAllStores(ctx, opt.WithExcludeTombstone())
	if err != nil {
		return nil, fmt.Errorf("list stores from PD: %w", err)
	}
	out := all[:0:0]
	for _, s := range all {
		if s.GetState() == metapb.StoreState_Tombstone || isTiFlash(s) {
			continue
		}
		out = append(out, s)
	}
	return out, nil
}

// Store returns one store.
func (p *PD) Store(ctx context.Context, id uint64) (*metapb.Store, error) {
	s, err := p.c.GetStore(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("get store %d from PD: %w", id, err)
	}
	if s == nil {
		return nil, fmt.Errorf("get store %d from PD: not found", id)
	}
	return s, nil
}

func convertRegion(r *router.Region) *Region {
	return &Region{Meta: r.Meta, Leader: r.Leader, PendingPeers: r.PendingPeers}
}

const scanPageSize = 128

// ScanRegions returns the regions overlapping the encoded key range
// [start, end) (end empty = +inf) in key order, paging through PD 128 at a
// time as Lightning does. It fails if PD returns a hole, which happens
// transiently while a split is being reported.
func (p *PD) ScanRegions(ctx context.Context, start, end []byte) ([]*Region, error) {
	var out []*Region
	cur := start
	for {
		rs, err := p.c.ScanRegions(ctx, cur, end, scanPageSize)
		if err != nil {
			return nil, fmt.Errorf("scan regions [%x, %x) from PD: %w", cur, end, err)
		}
		if len(rs) == 0 {
			break
		}
		for _, r := range rs {
			reg := convertRegion(r)
			if len(out) > 0 {
				prevEnd := out[len(out)-1].Meta.GetEndKey()
				if string(prevEnd) != string(reg.Meta.GetStartKey()) {
					return nil, fmt.Errorf("scan regions from PD: hole between %x and %x", prevEnd, reg.Meta.GetStartKey())
				}
			}
			out = append(out, reg)
		}
		last := out[len(out)-1].Meta.GetEndKey()
		if len(last) == 0 || (len(end) > 0 && string(last) >= string(end)) {
			break
		}
		cur = last
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("scan regions [%x, %x) from PD: no region", start, end)
	}
	return out, nil
}

// RegionByID returns a region or nil if PD does not know it.
func (p *PD) RegionByID(ctx context.Context, id uint64) (*Region, error) {
	r, err := p.c.GetRegionByID(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("get region %d from PD: %w", id, err)
	}
	if r == nil || r.Meta == nil {
		return nil, nil
	}
	return convertRegion(r), nil
}

// TS returns a fresh TSO timestamp, physical<<18 | logical.
func (p *PD) TS(ctx context.Context) (uint64, error) {
	phys, logical, err := p.c.GetTS(ctx)
	if err != nil {
		return 0, fmt.Errorf("get TSO from PD: %w", err)
	}
	return ComposeTS(phys, logical), nil
}

// ComposeTS builds a TiDB timestamp from PD's physical (ms) and logical parts.
func ComposeTS(physical, logical int64) uint64 { return uint64(physical)<<18 | uint64(logical) }

// ScatterRegions asks PD to scatter the regions (skipping store limits as
// Lightning does); it falls back to one ScatterRegion call per region when
// the batch form fails.
func (p *PD) ScatterRegions(ctx context.Context, ids []uint64) error {
	if len(ids) == 0 {
		return nil
	}
	resp, err := p.c.ScatterRegions(ctx, ids, opt.WithSkipStoreLimit())
	if err == nil && resp.GetHeader().GetError() == nil {
		if resp.GetFinishedPercentage() < 100 {
			p.logger.Debug("scatter regions partially accepted", zap.Uint64("percentage", resp.GetFinishedPercentage()))
		}
		return nil
	}
	p.logger.Info("batch scatter failed, scattering one by one", zap.Error(err), zap.Stringer("header", resp.GetHeader().GetError()))
	for _, id := range ids {
		if err := p.c.ScatterRegion(ctx, id); err != nil {
			return fmt.Errorf("scatter region %d: %w", id, err)
		}
	}
	return nil
}

// Operator returns the operator status PD reports for a region.
func (p *PD) Operator(ctx context.Context, id uint64) (*pdpb.GetOperatorResponse, error) {
	resp, err := p.c.GetOperator(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("get operator of region %d: %w", id, err)
	}
	return resp, nil
}

// UpdateServiceGCSafePoint sets serviceID's GC safe point to ts for ttl and
// returns PD's minimum safe point. It fails if PD's minimum is already past
// ts, because then data at ts may be gone.
func (p *PD) UpdateServiceGCSafePoint(ctx context.Context, serviceID string, ttl time.Duration, ts uint64) (uint64, error) {
	min, err := p.c.UpdateServiceGCSafePoint(ctx, serviceID, int64(ttl/time.Second), ts)
	if err != nil {
		return 0, fmt.Errorf("update service GC safe point %s: %w", serviceID, err)
	}
	if ttl > 0 && min > ts {
		return min, fmt.Errorf("update service GC safe point %s: cluster safe point %d is already past %d", serviceID, min, ts)
	}
	return min, nil
}

// GCSafePointKeeper keeps a service GC safe point alive while an import (or
// its checksum) needs data at a TS to stay readable.
type GCSafePointKeeper struct {
	pd        *PD
	serviceID string
	ttl       time.Duration
	ts        uint64

	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// KeepGCSafePoint sets the safe point now and refreshes it every ttl/3
// until Stop. ttl defaults to 10 minutes (Lightning's value).
func (p *PD) KeepGCSafePoint(ctx context.Context, serviceID string, ts uint64, ttl time.Duration) (*GCSafePointKeeper, error) {
	if ttl <= 0 {
		ttl = 10 * time.Minute
	}
	if _, err := p.UpdateServiceGCSafePoint(ctx, serviceID, ttl, ts); err != nil {
		return nil, err
	}
	kctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	k := &GCSafePointKeeper{pd: p, serviceID: serviceID, ttl: ttl, ts: ts, cancel: cancel, done: make(chan struct{})}
	go k.loop(kctx)
	return k, nil
}

func (k *GCSafePointKeeper) loop(ctx context.Context) {
	defer close(k.done)
	t := time.NewTicker(k.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := k.pd.UpdateServiceGCSafePoint(ctx, k.serviceID, k.ttl, k.ts); err != nil && ctx.Err() == nil {
				// Keep trying: the TTL leaves two more refreshes of slack.
				k.pd.logger.Warn("refresh GC safe point failed", zap.String("service", k.serviceID), zap.Error(err))
			}
		}
	}
}

// Stop ends the refresh loop and removes the service safe point (TTL 0),
// using ctx, which may be a fresh context after the import's was cancelled.
func (k *GCSafePointKeeper) Stop(ctx context.Context) error {
	var err error
	k.once.Do(func() {
		k.cancel()
		<-k.done
		_, err = k.pd.UpdateServiceGCSafePoint(ctx, k.serviceID, 0, k.ts)
	})
	return err
}
