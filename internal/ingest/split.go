package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/pingcap/kvproto/pkg/errorpb"
	"github.com/pingcap/kvproto/pkg/kvrpcpb"
	"github.com/pingcap/kvproto/pkg/metapb"
	"github.com/pingcap/kvproto/pkg/pdpb"
	"go.uber.org/zap"
)

// splitRounds bounds the scan→split rounds of SplitAndScatter (Lightning
// retries the whole split 20 times).
const splitRounds = 20

// SplitAndScatter makes region boundaries at every raw key in keys, then
// scatters the new regions and waits (bounded by RegionCheckBackoffLimit)
// for the scatter to finish. Keys that already are region boundaries are
// skipped, so the call is idempotent and safe to repeat on resume.
//
// Keys are raw TiDB keys: they are sent to TiKV raw (TiKV encodes split keys
// itself, is_raw_kv=false) but compared with PD's region boundaries in
// EncodeBytes form.
func (c *Client) SplitAndScatter(ctx context.Context, keys [][]byte) error {
	keys = slices.Clone(keys)
	slices.SortFunc(keys, bytes.Compare)
	keys = slices.CompactFunc(keys, bytes.Equal)
	keys = slices.DeleteFunc(keys, func(k []byte) bool { return len(k) == 0 })
	if len(keys) == 0 {
		return nil
	}
	var newRegions []uint64
	var lastErr error
	for round := 1; ; round++ {
		regions, err := c.pd.ScanRegions(ctx, encodeKey(keys[0]), encodeKey(nextKey(keys[len(keys)-1])))
		if err != nil {
			lastErr = err
		} else {
			var created []uint64
			created, err = c.splitRound(ctx, regions, keys)
			newRegions = append(newRegions, created...)
			if err == nil {
				break
			}
			lastErr = err
		}
		if round >= splitRounds {
			return fmt.Errorf("split regions at %d keys: %w", len(keys), lastErr)
		}
		c.logger.Info("split round failed, retrying", zap.Int("round", round), zap.Error(lastErr))
		if err := sleepCtx(ctx, c.opts.backoff(round)); err != nil {
			return fmt.Errorf("split regions: %w", err)
		}
	}
	slices.Sort(newRegions)
	newRegions = slices.Compact(newRegions)
	if len(newRegions) == 0 {
		return nil
	}
	c.logger.Info("split regions", zap.Int("keys", len(keys)), zap.Int("regions", len(newRegions)))
	if err := c.waitRegionsReady(ctx, newRegions); err != nil {
		return err
	}
	if err := c.pd.ScatterRegions(ctx, newRegions); err != nil {
		// Scatter only balances load; an import into unscattered regions is
		// slower but correct.
		c.logger.Warn("scatter regions failed", zap.Error(err))
		return nil
	}
	return c.waitScatter(ctx, newRegions)
}

// splitRound splits each region at the keys that fall strictly inside it.
// It returns the regions created and the first error; regions that failed
// are retried by the caller's next round after a fresh scan.
func (c *Client) splitRound(ctx context.Context, regions []*Region, keys [][]byte) ([]uint64, error) {
	var (
		mu      sync.Mutex
		created []uint64
		errs    []error
		wg      sync.WaitGroup
	)
	sem := make(chan struct{}, c.opts.RegionSplitConcurrency)
	ki := 0
	for _, r := range regions {
		rr := r.rawRange()
		var inside [][]byte
		for ki < len(keys) && (len(rr.End) == 0 || bytes.Compare(keys[ki], rr.End) < 0) {
			// A key equal to the region start is already a boundary.
			if bytes.Compare(keys[ki], rr.Start) > 0 {
				inside = append(inside, keys[ki])
			}
			ki++
		}
		if len(inside) == 0 {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(r *Region, inside [][]byte) {
			defer wg.Done()
			defer func() { <-sem }()
			ids, err := c.splitRegion(ctx, r, inside)
			mu.Lock()
			defer mu.Unlock()
			created = append(created, ids...)
			if err != nil {
				errs = append(errs, err)
			}
		}(r, inside)
	}
	wg.Wait()
	return created, errors.Join(errs...)
}

// splitRegion sends batched SplitRegion requests for one region, following
// the region as it shrinks: after each batch the remaining keys lie in the
// rightmost returned region (TiKV keeps the original region ID on the right).
func (c *Client) splitRegion(ctx context.Context, r *Region, keys [][]byte) ([]uint64, error) {
	var created []uint64
	cur := r
	for len(keys) > 0 {
		n, size := 0, 0
		for n < len(keys) && n < c.opts.RegionSplitBatchSize && (n == 0 || size+len(keys[n]) <= defaultSplitBatchBytes) {
			size += len(keys[n])
			n++
		}
		regions, err := c.splitBatch(ctx, cur, keys[:n])
		if err != nil {
			return created, err
		}
		for _, x := range regions {
			created = append(created, x.GetId())
		}
		keys = keys[n:]
		if len(regions) == 0 {
			return created, fmt.Errorf("split %s: TiKV returned no regions", cur)
		}
		right := regions[len(regions)-1]
		cur = &Region{Meta: right, Leader: peerOnStore(right, cur.Leader.GetStoreId())}
	}
	return created, nil
}

func peerOnStore(r *metapb.Region, storeID uint64) *metapb.Peer {
	for _, p := range r.GetPeers() {
		if p.GetStoreId() == storeID {
			return p
		}
	}
	return nil
}

// splitBatch sends one SplitRegion to the region's leader, retrying
// NotLeader (with the hinted leader), ServerIsBusy and StaleCommand a few
// times as BR does.
func (c *Client) splitBatch(ctx context.Context, r *Region, keys [][]byte) ([]*metapb.Region, error) {
	leader := r.Leader
	if leader == nil || leader.GetId() == 0 {
		if len(r.Meta.GetPeers()) == 0 {
			return nil, fmt.Errorf("split %s: no peers", r)
		}
		leader = r.Meta.GetPeers()[0]
	}
	var lastErr error
	for attempt := 1; attempt <= 4; attempt++ {
		cli, err := c.stores.tikvClient(ctx, leader.GetStoreId())
		if err != nil {
			return nil, err
		}
		resp, err := cli.SplitRegion(ctx, &kvrpcpb.SplitRegionRequest{
			Context: &kvrpcpb.Context{
				RegionId:      r.Meta.GetId(),
				RegionEpoch:   r.Meta.GetRegionEpoch(),
				Peer:          leader,
				RequestSource: c.opts.RequestSource,
			},
			SplitKeys: keys,
		})
		if err != nil {
			lastErr = fmt.Errorf("split %s on store %d: %w", r, leader.GetStoreId(), err)
			if serr := sleepCtx(ctx, c.opts.backoff(attempt)); serr != nil {
				return nil, serr
			}
			continue
		}
		re := resp.GetRegionError()
		if re == nil {
			return resp.GetRegions(), nil
		}
		lastErr = fmt.Errorf("split %s: %s", r, describeRegionError(re))
		switch {
		case re.GetNotLeader() != nil && re.GetNotLeader().GetLeader() != nil:
			leader = re.GetNotLeader().GetLeader()
		case re.GetServerIsBusy() != nil, re.GetStaleCommand() != nil:
			if serr := sleepCtx(ctx, c.opts.backoff(attempt)); serr != nil {
				return nil, serr
			}
		default:
			// Epoch changed, region gone, key not in region...: the
			// caller rescans.
			return nil, lastErr
		}
	}
	return nil, lastErr
}

// waitRegionsReady polls PD until every new region is reported with a
// leader and without pending peers.
func (c *Client) waitRegionsReady(ctx context.Context, ids []uint64) error {
	pending := slices.Clone(ids)
	for poll := 0; len(pending) > 0; poll++ {
		if poll >= c.opts.RegionCheckBackoffLimit {
			c.logger.Warn("split regions not ready in time, continuing", zap.Int("regions", len(pending)))
			return nil
		}
		next := pending[:0]
		for _, id := range pending {
			r, err := c.pd.RegionByID(ctx, id)
			if err != nil || r == nil || r.Leader.GetId() == 0 || len(r.PendingPeers) > 0 {
				next = append(next, id)
			}
		}
		pending = next
		if len(pending) == 0 {
			break
		}
		if err := sleepCtx(ctx, c.opts.RegionCheckInterval); err != nil {
			return fmt.Errorf("wait for split regions: %w", err)
		}
	}
	return nil
}

// waitScatter polls GetOperator: a region is done when PD has no operator
// for it, the operator is not "scatter-region", or it succeeded; RUNNING
// waits; any other status (cancelled, timed out, replaced) re-scatters.
func (c *Client) waitScatter(ctx context.Context, ids []uint64) error {
	pending := slices.Clone(ids)
	start := time.Now()
	for poll := 0; len(pending) > 0; poll++ {
		if poll >= c.opts.RegionCheckBackoffLimit {
			c.logger.Warn("scatter not finished in time, continuing", zap.Int("regions", len(pending)))
			return nil
		}
		var next, rescatter []uint64
		for _, id := range pending {
			resp, err := c.pd.Operator(ctx, id)
			if err != nil {
				next = append(next, id)
				continue
			}
			switch {
			case resp.GetHeader().GetError() != nil:
				// Region not found / no operator.
			case string(resp.GetDesc()) != "scatter-region":
			case resp.GetStatus() == pdpb.OperatorStatus_SUCCESS:
			case resp.GetStatus() == pdpb.OperatorStatus_RUNNING:
				next = append(next, id)
			default:
				rescatter = append(rescatter, id)
				next = append(next, id)
			}
		}
		if len(rescatter) > 0 {
			if err := c.pd.ScatterRegions(ctx, rescatter); err != nil {
				c.logger.Warn("re-scatter failed", zap.Error(err))
			}
		}
		pending = next
		if len(pending) == 0 {
			break
		}
		if err := sleepCtx(ctx, c.opts.RegionCheckInterval); err != nil {
			return fmt.Errorf("wait for scatter: %w", err)
		}
	}
	c.logger.Info("scatter finished", zap.Int("regions", len(ids)), zap.Duration("took", time.Since(start)))
	return nil
}

func describeRegionError(e *errorpb.Error) string {
	if e == nil {
		return "<nil>"
	}
	kind := "other"
	switch {
	case e.GetNotLeader() != nil:
		kind = "not_leader"
	case e.GetEpochNotMatch() != nil:
		kind = "epoch_not_match"
	case e.GetServerIsBusy() != nil:
		kind = "server_is_busy"
	case e.GetRegionNotFound() != nil:
		kind = "region_not_found"
	case e.GetDiskFull() != nil:
		kind = "disk_full"
	case e.GetKeyNotInRegion() != nil:
		kind = "key_not_in_region"
	case e.GetStaleCommand() != nil:
		kind = "stale_command"
	case e.GetStoreNotMatch() != nil:
		kind = "store_not_match"
	case e.GetReadIndexNotReady() != nil:
		kind = "read_index_not_ready"
	}
	return kind + ": " + e.GetMessage()
}
