package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/pingcap/kvproto/pkg/errorpb"
	"github.com/pingcap/kvproto/pkg/import_sstpb"
	"github.com/pingcap/kvproto/pkg/kvrpcpb"
	"github.com/pingcap/kvproto/pkg/metapb"
	"github.com/pingcap/kvproto/pkg/tikvpb"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tempestdb/tempest/internal/kv/codec"
)

// tikvServer implements the one Tikv RPC the importer needs: SplitRegion.
type tikvServer struct {
	tikvpb.UnimplementedTikvServer
	c  *Cluster
	st *store
}

// importServer implements the ImportSST service of one store.
type importServer struct {
	import_sstpb.UnimplementedImportSSTServer
	c  *Cluster
	st *store
}

func errDropped(rpc RPC, store uint64) error {
	return status.Errorf(codes.Unavailable, "sandbox: injected transport failure on %s (store %d)", rpc, store)
}

// sleepCtx sleeps for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
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

// faultRegionError builds the errorpb variant of an injected region-level
// fault, or nil for kinds that are not region errors.
func (c *Cluster) faultRegionError(f *Fault, store, regionID uint64) *errorpb.Error {
	msg := fmt.Sprintf("sandbox: injected %s", f.Kind)
	switch f.Kind {
	case FaultNotLeader:
		nl := &errorpb.NotLeader{RegionId: regionID}
		// Hint the real leader when it is elsewhere; when this store really
		// is the leader, report an unknown leader (as TiKV does mid-election)
		// rather than a wrong one.
		if r := c.table.get(regionID); r != nil && r.Leader != store {
			nl.Leader = r.leaderProto()
		}
		return &errorpb.Error{Message: msg, NotLeader: nl}
	case FaultEpochNotMatch:
		enm := &errorpb.EpochNotMatch{}
		if r := c.table.get(regionID); r != nil {
			enm.CurrentRegions = []*metapb.Region{r.toProto()}
		}
		return &errorpb.Error{Message: msg, EpochNotMatch: enm}
	case FaultServerIsBusy:
		return &errorpb.Error{Message: msg, ServerIsBusy: &errorpb.ServerIsBusy{Reason: msg, BackoffMs: 10}}
	case FaultRegionNotFound:
		return &errorpb.Error{Message: msg, RegionNotFound: &errorpb.RegionNotFound{RegionId: regionID}}
	case FaultDiskFull:
		return &errorpb.Error{Message: msg, DiskFull: &errorpb.DiskFull{StoreId: []uint64{store}, Reason: msg}}
	case FaultStaleCommand:
		return &errorpb.Error{Message: msg, StaleCommand: &errorpb.StaleCommand{}}
	case FaultReadIndexNotReady:
		return &errorpb.Error{Message: msg, ReadIndexNotReady: &errorpb.ReadIndexNotReady{Reason: msg, RegionId: regionID}}
	case FaultMessage:
		m := f.Message
		if m == "" {
			m = msg
		}
		return &errorpb.Error{Message: m}
	}
	return nil
}

// applyUnaryFault applies a fault to a unary call. It returns a region error
// to put in the response, or a transport error; both nil means proceed.
func (c *Cluster) applyUnaryFault(ctx context.Context, rpc RPC, store, regionID uint64) (*errorpb.Error, error) {
	f := c.faults.take(rpc, store, regionID)
	if f == nil {
		return nil, nil
	}
	c.log.Debug("sandbox: fault fired", zap.String("rpc", string(rpc)), zap.Stringer("kind", f.Kind), zap.Uint64("store", store))
	switch f.Kind {
	case FaultDropStream:
		return nil, errDropped(rpc, store)
	case FaultSlowWrite:
		return nil, sleepCtx(ctx, f.Delay)
	}
	return c.faultRegionError(f, store, regionID), nil
}

// checkContext validates a request context against the region model the way
// raftstore does: region existence, then leadership, then epoch. r is the
// current region (nil if not found). extra lists additional current regions
// to report on an epoch mismatch.
func (c *Cluster) checkContext(store uint64, rctx *kvrpcpb.Context, r *regionState, extra func() []*regionState) *errorpb.Error {
	id := rctx.GetRegionId()
	if r == nil {
		return &errorpb.Error{Message: fmt.Sprintf("region %d not found", id), RegionNotFound: &errorpb.RegionNotFound{RegionId: id}}
	}
	if p := rctx.GetPeer(); p != nil && p.GetStoreId() != 0 && p.GetStoreId() != store {
		return &errorpb.Error{
			Message:       fmt.Sprintf("store not match: request %d, actual %d", p.GetStoreId(), store),
			StoreNotMatch: &errorpb.StoreNotMatch{RequestStoreId: p.GetStoreId(), ActualStoreId: store},
		}
	}
	if r.Leader != store {
		return &errorpb.Error{
			Message:   fmt.Sprintf("peer of region %d on store %d is not leader", id, store),
			NotLeader: &errorpb.NotLeader{RegionId: id, Leader: r.leaderProto()},
		}
	}
	if e := rctx.GetRegionEpoch(); e.GetVersion() != r.Version || e.GetConfVer() != r.ConfVer {
		return epochNotMatch(r, fmt.Sprintf("epoch not match: request %v, current {conf_ver:%d version:%d}", e, r.ConfVer, r.Version), extra)
	}
	return nil
}

func epochNotMatch(r *regionState, msg string, extra func() []*regionState) *errorpb.Error {
	cur := []*metapb.Region{r.toProto()}
	seen := map[uint64]bool{r.ID: true}
	if extra != nil {
		for _, x := range extra() {
			if !seen[x.ID] {
				seen[x.ID] = true
				cur = append(cur, x.toProto())
			}
		}
	}
	return &errorpb.Error{Message: msg, EpochNotMatch: &errorpb.EpochNotMatch{CurrentRegions: cur}}
}

// SplitRegion splits the context's region at the request's keys, which are
// raw TiDB keys that are memcomparable-encoded first unless is_raw_kv.
func (s *tikvServer) SplitRegion(ctx context.Context, req *kvrpcpb.SplitRegionRequest) (*kvrpcpb.SplitRegionResponse, error) {
	id := req.GetContext().GetRegionId()
	if rerr, err := s.c.applyUnaryFault(ctx, RPCSplitRegion, s.st.id, id); err != nil || rerr != nil {
		return &kvrpcpb.SplitRegionResponse{RegionError: rerr}, err
	}
	raw := req.GetSplitKeys()
	if len(req.GetSplitKey()) > 0 { //nolint:staticcheck // the deprecated single-key form is still accepted by TiKV
		raw = append(raw, req.GetSplitKey()) //nolint:staticcheck
	}
	if len(raw) == 0 {
		return &kvrpcpb.SplitRegionResponse{RegionError: &errorpb.Error{Message: "sandbox: no split keys"}}, nil
	}
	keys := make([][]byte, 0, len(raw))
	for _, k := range raw {
		if req.GetIsRawKv() {
			keys = append(keys, k)
		} else {
			keys = append(keys, codec.EncodeBytes(nil, k))
		}
	}
	r := s.c.table.get(id)
	if rerr := s.c.checkContext(s.st.id, req.GetContext(), r, nil); rerr != nil {
		return &kvrpcpb.SplitRegionResponse{RegionError: rerr}, nil
	}
	regions, err := s.c.table.split(id, req.GetContext().GetRegionEpoch(), keys)
	if err != nil {
		var se *splitError
		if !errors.As(err, &se) {
			return nil, status.Errorf(codes.Internal, "sandbox: split: %v", err)
		}
		cur := s.c.table.get(id)
		switch {
		case se.notFound || cur == nil:
			return &kvrpcpb.SplitRegionResponse{RegionError: &errorpb.Error{Message: se.Error(), RegionNotFound: &errorpb.RegionNotFound{RegionId: id}}}, nil
		case se.staleEpoch:
			return &kvrpcpb.SplitRegionResponse{RegionError: epochNotMatch(cur, se.Error(), nil)}, nil
		default:
			return &kvrpcpb.SplitRegionResponse{RegionError: &errorpb.Error{
				Message:        se.Error(),
				KeyNotInRegion: &errorpb.KeyNotInRegion{Key: se.keyNotInside, RegionId: id, StartKey: cur.StartKey, EndKey: cur.EndKey},
			}}, nil
		}
	}
	s.st.splits.Add(1)
	resp := &kvrpcpb.SplitRegionResponse{}
	for _, x := range regions {
		resp.Regions = append(resp.Regions, x.toProto())
	}
	if len(resp.Regions) >= 2 {
		resp.Left, resp.Right = resp.Regions[0], resp.Regions[1] //nolint:staticcheck // filled for old clients
	}
	s.c.log.Debug("sandbox: split region", zap.Uint64("region", id), zap.Int("keys", len(keys)), zap.Int("regions", len(regions)))
	return resp, nil
}

// SwitchMode records the store's import/normal mode.
func (s *importServer) SwitchMode(ctx context.Context, req *import_sstpb.SwitchModeRequest) (*import_sstpb.SwitchModeResponse, error) {
	if rerr, err := s.c.applyUnaryFault(ctx, RPCSwitchMode, s.st.id, 0); err != nil {
		return nil, err
	} else if rerr != nil {
		return nil, status.Errorf(codes.Unavailable, "sandbox: %s", rerr.GetMessage())
	}
	s.st.setMode(req.GetMode())
	s.c.log.Debug("sandbox: switch mode", zap.Uint64("store", s.st.id), zap.Stringer("mode", req.GetMode()))
	return &import_sstpb.SwitchModeResponse{}, nil
}

// GetMode returns the store's mode.
func (s *importServer) GetMode(context.Context, *import_sstpb.GetModeRequest) (*import_sstpb.GetModeResponse, error) {
	return &import_sstpb.GetModeResponse{Mode: s.st.getMode()}, nil
}

// AddForcePartitionRange records a force-partition range (TTL 0 = 1h, as
// in TiKV).
func (s *importServer) AddForcePartitionRange(_ context.Context, req *import_sstpb.AddPartitionRangeRequest) (*import_sstpb.AddPartitionRangeResponse, error) {
	ttl := time.Duration(req.GetTtlSeconds()) * time.Second
	if req.GetTtlSeconds() == 0 || req.GetTtlSeconds() > uint64(365*24*time.Hour/time.Second) {
		ttl = time.Hour
	}
	s.st.addForceRange(req.GetRange().GetStart(), req.GetRange().GetEnd(), ttl)
	return &import_sstpb.AddPartitionRangeResponse{}, nil
}

// RemoveForcePartitionRange drops a force-partition range.
func (s *importServer) RemoveForcePartitionRange(_ context.Context, req *import_sstpb.RemovePartitionRangeRequest) (*import_sstpb.RemovePartitionRangeResponse, error) {
	s.st.removeForceRange(req.GetRange().GetStart(), req.GetRange().GetEnd())
	return &import_sstpb.RemovePartitionRangeResponse{}, nil
}

// Write receives one SST's worth of pairs: a meta message, then batches.
func (s *importServer) Write(stream import_sstpb.ImportSST_WriteServer) error {
	ctx := stream.Context()
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	meta := first.GetMeta()
	if meta == nil {
		return stream.SendAndClose(&import_sstpb.WriteResponse{Error: &import_sstpb.Error{Message: "sandbox: first Write message must carry the SST meta"}})
	}
	if len(meta.GetUuid()) == 0 || len(meta.GetUuid()) > 255 {
		return stream.SendAndClose(&import_sstpb.WriteResponse{Error: &import_sstpb.Error{Message: "sandbox: SST meta needs a uuid of 1..255 bytes"}})
	}
	f := s.c.faults.take(RPCWrite, s.st.id, meta.GetRegionId())
	if f != nil {
		s.c.log.Debug("sandbox: fault fired", zap.String("rpc", string(RPCWrite)), zap.Stringer("kind", f.Kind), zap.Uint64("store", s.st.id))
		if rerr := s.c.faultRegionError(f, s.st.id, meta.GetRegionId()); rerr != nil {
			// Answer right away, as TiKV does when it rejects a writer; the
			// client's further sends see EOF and CloseAndRecv gets this.
			return stream.SendAndClose(&import_sstpb.WriteResponse{Error: &import_sstpb.Error{Message: rerr.GetMessage(), StoreError: rerr}})
		}
		if f.Kind == FaultDropStream && f.AfterBatches <= 0 {
			return errDropped(RPCWrite, s.st.id)
		}
	}
	var lo, hi []byte
	if rg := meta.GetRange(); rg != nil {
		lo, hi = rg.GetStart(), rg.GetEnd()
	}
	w := s.st.newWriter(meta.GetUuid())
	batches := 0
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			w.abort()
			return err
		}
		b := req.GetBatch()
		if b == nil {
			w.abort()
			return stream.SendAndClose(&import_sstpb.WriteResponse{Error: &import_sstpb.Error{Message: "sandbox: Write message after the first must carry a batch"}})
		}
		if f != nil && f.Kind == FaultSlowWrite {
			if err := sleepCtx(ctx, f.Delay); err != nil {
				w.abort()
				return status.FromContextError(err).Err()
			}
		}
		if f != nil && f.Kind == FaultDropStream && batches >= f.AfterBatches {
			w.abort()
			return errDropped(RPCWrite, s.st.id)
		}
		batches++
		// Keys ascend strictly through the stream (the writer enforces it)
		// and EncodeBytes keeps their order, so the stream's first key and
		// each batch's last key bound every pair against the meta range.
		if pairs := b.GetPairs(); len(pairs) > 0 && (lo != nil || hi != nil) {
			check := []*import_sstpb.Pair{pairs[len(pairs)-1]}
			if w.kvs == 0 {
				check = append(check, pairs[0])
			}
			for _, p := range check {
				ek := codec.EncodeBytes(nil, p.GetKey())
				if bytes.Compare(ek, lo) < 0 || (len(hi) > 0 && bytes.Compare(ek, hi) > 0) {
					w.abort()
					return stream.SendAndClose(&import_sstpb.WriteResponse{Error: &import_sstpb.Error{
						Message: fmt.Sprintf("sandbox: key %x outside the SST meta range [%x, %x]", p.GetKey(), lo, hi),
					}})
				}
			}
		}
		if err := w.add(b.GetCommitTs(), b.GetPairs()); err != nil {
			w.abort()
			if errors.Is(err, errUnsorted) {
				return stream.SendAndClose(&import_sstpb.WriteResponse{Error: &import_sstpb.Error{Message: "sandbox: " + err.Error()}})
			}
			return status.Errorf(codes.Internal, "%v", err)
		}
	}
	metas, err := w.finish(meta)
	if err != nil {
		return status.Errorf(codes.Internal, "%v", err)
	}
	return stream.SendAndClose(&import_sstpb.WriteResponse{Metas: metas})
}

// Ingest ingests one SST; it shares MultiIngest's checks.
func (s *importServer) Ingest(ctx context.Context, req *import_sstpb.IngestRequest) (*import_sstpb.IngestResponse, error) {
	var ssts []*import_sstpb.SSTMeta
	if req.GetSst() != nil {
		ssts = append(ssts, req.GetSst())
	}
	return s.ingest(ctx, req.GetContext(), ssts)
}

// MultiIngest ingests the SSTs written earlier to every peer. An empty
// request is the importer's capability / write-stall probe and succeeds
// unless a fault is injected.
func (s *importServer) MultiIngest(ctx context.Context, req *import_sstpb.MultiIngestRequest) (*import_sstpb.IngestResponse, error) {
	return s.ingest(ctx, req.GetContext(), req.GetSsts())
}

func (s *importServer) ingest(ctx context.Context, rctx *kvrpcpb.Context, ssts []*import_sstpb.SSTMeta) (*import_sstpb.IngestResponse, error) {
	if rerr, err := s.c.applyUnaryFault(ctx, RPCIngest, s.st.id, rctx.GetRegionId()); err != nil || rerr != nil {
		return &import_sstpb.IngestResponse{Error: rerr}, err
	}
	if len(ssts) == 0 {
		return &import_sstpb.IngestResponse{}, nil
	}
	rerr, err := s.c.ingest(ctx, s.st.id, rctx, ssts)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "%v", err)
	}
	if rerr == nil {
		if hook := s.c.ingestHook.Load(); hook != nil {
			(*hook)()
		}
	}
	return &import_sstpb.IngestResponse{Error: rerr}, nil
}

// ingest runs the checks raftstore would run and then applies the SSTs on
// every peer's store. The region table's read lock is held throughout so a
// split cannot slip in between the epoch check and the apply, which is the
// ordering raft gives a real cluster.
func (c *Cluster) ingest(ctx context.Context, storeID uint64, rctx *kvrpcpb.Context, ssts []*import_sstpb.SSTMeta) (*errorpb.Error, error) {
	c.table.mu.RLock()
	defer c.table.mu.RUnlock()
	var r *regionState
	if x, ok := c.table.byID[rctx.GetRegionId()]; ok {
		r = x.clone()
	}
	around := func() []*regionState {
		var out []*regionState
		for _, m := range ssts {
			out = append(out, c.table.scanLocked(m.GetRange().GetStart(), append(append([]byte(nil), m.GetRange().GetEnd()...), 0), 0)...)
		}
		return out
	}
	if rerr := c.checkContext(storeID, rctx, r, around); rerr != nil {
		return rerr, nil
	}
	for _, m := range ssts {
		if e := m.GetRegionEpoch(); m.GetRegionId() != r.ID || e.GetVersion() != r.Version || e.GetConfVer() != r.ConfVer {
			return epochNotMatch(r, fmt.Sprintf("sst %x epoch %v (region %d) does not match region %d epoch {conf_ver:%d version:%d}",
				m.GetUuid(), e, m.GetRegionId(), r.ID, r.ConfVer, r.Version), around), nil
		}
		for _, k := range [][]byte{m.GetRange().GetStart(), m.GetRange().GetEnd()} {
			inside := r.containsEncoded(k) || (m.GetEndKeyExclusive() && bytes.Equal(k, r.EndKey) && len(k) > 0)
			if !inside {
				return &errorpb.Error{
					Message:        fmt.Sprintf("key %x is not in region %d", k, r.ID),
					KeyNotInRegion: &errorpb.KeyNotInRegion{Key: k, RegionId: r.ID, StartKey: r.StartKey, EndKey: r.EndKey},
				}, nil
			}
		}
	}
	// Every peer must have received the SST: followers apply the ingest
	// command from their own copy, exactly as TiKV followers do. The copies
	// must also agree, or the replicas would silently diverge (an importer
	// that sends different data to different peers is broken).
	for _, m := range ssts {
		var first *stagedSST
		for _, p := range r.Peers {
			info, staged, done := c.storeByID[p.StoreID].hasStaged(m.GetUuid())
			switch {
			case done:
				continue
			case !staged:
				return &errorpb.Error{Message: fmt.Sprintf("sst %x (cf %s) not found on store %d", m.GetUuid(), m.GetCfName(), p.StoreID)}, nil
			case first == nil:
				first = &info
			case first.kvs != info.kvs || first.bytes != info.bytes:
				return &errorpb.Error{Message: fmt.Sprintf("sst %x differs between peers: %d pairs/%d bytes vs %d/%d on store %d",
					m.GetUuid(), first.kvs, first.bytes, info.kvs, info.bytes, p.StoreID)}, nil
			}
		}
	}
	for _, m := range ssts {
		for _, p := range r.Peers {
			if err := c.storeByID[p.StoreID].ingest(ctx, m.GetUuid()); err != nil {
				return nil, err
			}
		}
	}
	return nil, nil
}
