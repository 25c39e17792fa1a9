package sandbox

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/pingcap/kvproto/pkg/metapb"
	"github.com/pingcap/kvproto/pkg/pdpb"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// pdMemberID is the sandbox PD's member ID (IDs < 100 are never allocated
// to regions or peers).
const pdMemberID = 1

// logicalBits is the width of the TSO logical part (oracle.ComposeTS).
const logicalBits = 18

// pdServer implements the subset of pdpb.PDServer that
// github.com/tikv/pd/client and the importer use.
type pdServer struct {
	pdpb.UnimplementedPDServer
	c *Cluster

	tsoMu    sync.Mutex
	physical int64 // ms
	logical  int64

	gcMu          sync.Mutex
	gcSafePoint   uint64
	serviceSafePt map[string]serviceSafePoint

	opMu sync.Mutex
	ops  map[uint64]*scatterOp
}

type serviceSafePoint struct {
	safePoint uint64
	expire    time.Time // zero = never
}

type scatterOp struct {
	runningPolls int
}

func newPDServer(c *Cluster) *pdServer {
	return &pdServer{
		c:             c,
		physical:      c.table.lastPhysical(),
		serviceSafePt: map[string]serviceSafePoint{},
		ops:           map[uint64]*scatterOp{},
	}
}

func (s *pdServer) header() *pdpb.ResponseHeader {
	return &pdpb.ResponseHeader{ClusterId: s.c.table.clusterID()}
}

func (s *pdServer) errHeader(t pdpb.ErrorType, format string, args ...any) *pdpb.ResponseHeader {
	h := s.header()
	h.Error = &pdpb.Error{Type: t, Message: fmt.Sprintf(format, args...)}
	return h
}

// checkHeader rejects requests for another cluster, as PD does. A zero
// cluster ID (a client still bootstrapping) is accepted.
func (s *pdServer) checkHeader(h *pdpb.RequestHeader) *pdpb.ResponseHeader {
	if id := h.GetClusterId(); id != 0 && id != s.c.table.clusterID() {
		return s.errHeader(pdpb.ErrorType_UNKNOWN, "mismatch cluster id, need %d but got %d", s.c.table.clusterID(), id)
	}
	return nil
}

func (s *pdServer) member() *pdpb.Member {
	url := "http://" + s.c.pdAddr
	return &pdpb.Member{
		Name:          "pd-sandbox",
		MemberId:      pdMemberID,
		PeerUrls:      []string{url},
		ClientUrls:    []string{url},
		BinaryVersion: sandboxVersion,
	}
}

// GetMembers reports the single PD member as leader.
func (s *pdServer) GetMembers(_ context.Context, req *pdpb.GetMembersRequest) (*pdpb.GetMembersResponse, error) {
	if h := s.checkHeader(req.GetHeader()); h != nil {
		return &pdpb.GetMembersResponse{Header: h}, nil
	}
	m := s.member()
	return &pdpb.GetMembersResponse{Header: s.header(), Members: []*pdpb.Member{m}, Leader: m, EtcdLeader: m}, nil
}

// GetClusterInfo tells the client to use PD (not microservice) mode, so TSO
// comes from the Tso stream below.
func (s *pdServer) GetClusterInfo(context.Context, *pdpb.GetClusterInfoRequest) (*pdpb.GetClusterInfoResponse, error) {
	return &pdpb.GetClusterInfoResponse{Header: s.header(), ServiceModes: []pdpb.ServiceMode{pdpb.ServiceMode_PD_SVC_MODE}}, nil
}

// allocTS reserves count timestamps and returns the largest one, which is
// what the TSO protocol reports (the client derives the first as
// logical-count+1). Timestamps strictly increase across calls and restarts.
func (s *pdServer) allocTS(count int64) (physical, logical int64) {
	s.tsoMu.Lock()
	defer s.tsoMu.Unlock()
	now := time.Now().UnixMilli()
	if now > s.physical {
		s.physical, s.logical = now, 0
	}
	if s.logical+count >= 1<<logicalBits {
		// Logical part exhausted within this millisecond: borrow the next one.
		s.physical++
		s.logical = 0
	}
	s.logical += count
	return s.physical, s.logical
}

// Tso serves the bidirectional timestamp stream.
func (s *pdServer) Tso(stream pdpb.PD_TsoServer) error {
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if h := s.checkHeader(req.GetHeader()); h != nil {
			return status.Error(codes.FailedPrecondition, h.GetError().GetMessage())
		}
		count := int64(req.GetCount())
		if count == 0 || count >= 1<<logicalBits {
			return status.Errorf(codes.InvalidArgument, "sandbox: invalid tso count %d", count)
		}
		p, l := s.allocTS(count)
		if err := stream.Send(&pdpb.TsoResponse{
			Header:    s.header(),
			Count:     uint32(count),
			Timestamp: &pdpb.Timestamp{Physical: p, Logical: l},
		}); err != nil {
			return err
		}
	}
}

// stores returns the store metadata PD reports.
func (s *pdServer) stores() []*metapb.Store {
	var out []*metapb.Store
	for _, st := range s.c.stores {
		out = append(out, s.c.storeMeta(st.id))
	}
	return out
}

// GetAllStores lists the three sandbox TiKVs.
func (s *pdServer) GetAllStores(_ context.Context, req *pdpb.GetAllStoresRequest) (*pdpb.GetAllStoresResponse, error) {
	if h := s.checkHeader(req.GetHeader()); h != nil {
		return &pdpb.GetAllStoresResponse{Header: h}, nil
	}
	return &pdpb.GetAllStoresResponse{Header: s.header(), Stores: s.stores()}, nil
}

// GetStore returns one store with plausible capacity stats.
func (s *pdServer) GetStore(_ context.Context, req *pdpb.GetStoreRequest) (*pdpb.GetStoreResponse, error) {
	if h := s.checkHeader(req.GetHeader()); h != nil {
		return &pdpb.GetStoreResponse{Header: h}, nil
	}
	if _, ok := s.c.storeByID[req.GetStoreId()]; !ok {
		return &pdpb.GetStoreResponse{Header: s.errHeader(pdpb.ErrorType_UNKNOWN, "invalid store ID %d, not found", req.GetStoreId())}, nil
	}
	regions, _, _ := s.c.table.counters()
	return &pdpb.GetStoreResponse{
		Header: s.header(),
		Store:  s.c.storeMeta(req.GetStoreId()),
		Stats: &pdpb.StoreStats{
			StoreId:     req.GetStoreId(),
			Capacity:    storeCapacity,
			Available:   storeAvailable,
			RegionCount: uint32(min(regions, math.MaxUint32)),
			StartTime:   uint32(s.c.started.Unix()),
		},
	}, nil
}

func (s *pdServer) regionResponse(r *regionState) *pdpb.GetRegionResponse {
	if r == nil {
		// PD answers an unknown region with an empty (not an error) response.
		return &pdpb.GetRegionResponse{Header: s.header()}
	}
	return &pdpb.GetRegionResponse{Header: s.header(), Region: r.toProto(), Leader: r.leaderProto()}
}

// GetRegion returns the region containing an encoded key.
func (s *pdServer) GetRegion(_ context.Context, req *pdpb.GetRegionRequest) (*pdpb.GetRegionResponse, error) {
	if h := s.checkHeader(req.GetHeader()); h != nil {
		return &pdpb.GetRegionResponse{Header: h}, nil
	}
	return s.regionResponse(s.c.table.byKey(req.GetRegionKey())), nil
}

// GetPrevRegion returns the region before the one containing the key.
func (s *pdServer) GetPrevRegion(_ context.Context, req *pdpb.GetRegionRequest) (*pdpb.GetRegionResponse, error) {
	if h := s.checkHeader(req.GetHeader()); h != nil {
		return &pdpb.GetRegionResponse{Header: h}, nil
	}
	return s.regionResponse(s.c.table.prevOf(req.GetRegionKey())), nil
}

// GetRegionByID returns a region by ID (empty response if unknown).
func (s *pdServer) GetRegionByID(_ context.Context, req *pdpb.GetRegionByIDRequest) (*pdpb.GetRegionResponse, error) {
	if h := s.checkHeader(req.GetHeader()); h != nil {
		return &pdpb.GetRegionResponse{Header: h}, nil
	}
	return s.regionResponse(s.c.table.get(req.GetRegionId())), nil
}

func toPDRegions(rs []*regionState) []*pdpb.Region {
	out := make([]*pdpb.Region, 0, len(rs))
	for _, r := range rs {
		out = append(out, &pdpb.Region{Region: r.toProto(), Leader: r.leaderProto()})
	}
	return out
}

// ScanRegions returns regions overlapping [start_key, end_key), filling
// both the current and the legacy response fields.
func (s *pdServer) ScanRegions(_ context.Context, req *pdpb.ScanRegionsRequest) (*pdpb.ScanRegionsResponse, error) {
	if h := s.checkHeader(req.GetHeader()); h != nil {
		return &pdpb.ScanRegionsResponse{Header: h}, nil
	}
	rs := s.c.table.scan(req.GetStartKey(), req.GetEndKey(), int(req.GetLimit()))
	resp := &pdpb.ScanRegionsResponse{Header: s.header(), Regions: toPDRegions(rs)}
	for _, r := range resp.Regions {
		resp.RegionMetas = append(resp.RegionMetas, r.Region)
		resp.Leaders = append(resp.Leaders, r.Leader)
	}
	return resp, nil
}

// BatchScanRegions scans several sorted, non-overlapping ranges.
func (s *pdServer) BatchScanRegions(_ context.Context, req *pdpb.BatchScanRegionsRequest) (*pdpb.BatchScanRegionsResponse, error) {
	if h := s.checkHeader(req.GetHeader()); h != nil {
		return &pdpb.BatchScanRegionsResponse{Header: h}, nil
	}
	limit := int(req.GetLimit())
	seen := map[uint64]bool{}
	var rs []*regionState
	var prevEnd []byte
	for i, kr := range req.GetRanges() {
		if len(kr.GetEndKey()) > 0 && bytes.Compare(kr.GetStartKey(), kr.GetEndKey()) > 0 {
			return &pdpb.BatchScanRegionsResponse{Header: s.errHeader(pdpb.ErrorType_INVALID_VALUE, "invalid range %d", i)}, nil
		}
		if i > 0 && (len(prevEnd) == 0 || bytes.Compare(kr.GetStartKey(), prevEnd) < 0) {
			return &pdpb.BatchScanRegionsResponse{Header: s.errHeader(pdpb.ErrorType_INVALID_VALUE, "ranges overlap or are unsorted")}, nil
		}
		prevEnd = kr.GetEndKey()
		for _, r := range s.c.table.scan(kr.GetStartKey(), kr.GetEndKey(), 0) {
			if seen[r.ID] {
				continue
			}
			seen[r.ID] = true
			rs = append(rs, r)
			if limit > 0 && len(rs) >= limit {
				break
			}
		}
		if limit > 0 && len(rs) >= limit {
			break
		}
	}
	return &pdpb.BatchScanRegionsResponse{Header: s.header(), Regions: toPDRegions(rs)}, nil
}

// ScatterRegion "scatters" regions by rotating their leader to the next
// store and records a finished scatter-region operator for GetOperator.
func (s *pdServer) ScatterRegion(ctx context.Context, req *pdpb.ScatterRegionRequest) (*pdpb.ScatterRegionResponse, error) {
	if h := s.checkHeader(req.GetHeader()); h != nil {
		return &pdpb.ScatterRegionResponse{Header: h}, nil
	}
	ids := req.GetRegionsId()
	if len(ids) == 0 {
		id := req.GetRegionId() //nolint:staticcheck // single-region form used by ScatterRegion
		if id == 0 && req.GetRegion() != nil {
			id = req.GetRegion().GetId()
		}
		ids = []uint64{id}
	}
	f := s.c.faults.take(RPCScatterRegion, 0, ids[0])
	polls := 0
	if f != nil {
		switch f.Kind {
		case FaultDropStream:
			return nil, errDropped(RPCScatterRegion, 0)
		case FaultSlowWrite:
			if err := sleepCtx(ctx, f.Delay); err != nil {
				return nil, status.FromContextError(err).Err()
			}
		case FaultScatterRunning:
			polls = max(f.Polls, 1)
		default:
			return &pdpb.ScatterRegionResponse{Header: s.errHeader(pdpb.ErrorType_UNKNOWN, "sandbox: injected %s", f.Kind)}, nil
		}
	}
	failed, err := s.c.table.scatterRegions(ids)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "sandbox: scatter: %v", err)
	}
	s.opMu.Lock()
	for _, id := range ids {
		if !slices.Contains(failed, id) {
			s.ops[id] = &scatterOp{runningPolls: polls}
		}
	}
	s.opMu.Unlock()
	if len(ids) == 1 && len(failed) == 1 {
		return &pdpb.ScatterRegionResponse{Header: s.errHeader(pdpb.ErrorType_REGION_NOT_FOUND, "region %d not found", ids[0])}, nil
	}
	pct := uint64(100)
	if len(ids) > 0 {
		pct = uint64(100 * (len(ids) - len(failed)) / len(ids))
	}
	return &pdpb.ScatterRegionResponse{Header: s.header(), FinishedPercentage: pct, FailedRegionsId: failed}, nil
}

// GetOperator reports the last scatter operator of a region. Regions
// without one get REGION_NOT_FOUND, which is what PD answers when no
// operator exists.
func (s *pdServer) GetOperator(_ context.Context, req *pdpb.GetOperatorRequest) (*pdpb.GetOperatorResponse, error) {
	if h := s.checkHeader(req.GetHeader()); h != nil {
		return &pdpb.GetOperatorResponse{Header: h}, nil
	}
	s.opMu.Lock()
	defer s.opMu.Unlock()
	op, ok := s.ops[req.GetRegionId()]
	if !ok {
		return &pdpb.GetOperatorResponse{Header: s.errHeader(pdpb.ErrorType_REGION_NOT_FOUND, "Not Found")}, nil
	}
	st := pdpb.OperatorStatus_SUCCESS
	if op.runningPolls > 0 {
		op.runningPolls--
		st = pdpb.OperatorStatus_RUNNING
	}
	return &pdpb.GetOperatorResponse{
		Header:   s.header(),
		RegionId: req.GetRegionId(),
		Desc:     []byte("scatter-region"),
		Kind:     []byte("admin,region"),
		Status:   st,
	}, nil
}

// SplitRegions splits at encoded keys without epoch checks (PD-driven
// split); it returns the IDs of the regions that now start at the keys.
func (s *pdServer) SplitRegions(_ context.Context, req *pdpb.SplitRegionsRequest) (*pdpb.SplitRegionsResponse, error) {
	if h := s.checkHeader(req.GetHeader()); h != nil {
		return &pdpb.SplitRegionsResponse{Header: h}, nil
	}
	var ids []uint64
	for _, k := range req.GetSplitKeys() {
		r := s.c.table.byKey(k)
		if bytes.Equal(r.StartKey, k) {
			ids = append(ids, r.ID)
			continue
		}
		out, err := s.c.table.split(r.ID, nil, [][]byte{k})
		if err != nil {
			return nil, status.Errorf(codes.Internal, "sandbox: split: %v", err)
		}
		ids = append(ids, out[len(out)-1].ID)
	}
	return &pdpb.SplitRegionsResponse{Header: s.header(), FinishedPercentage: 100, RegionsId: ids}, nil
}

// GetGCSafePoint returns the cluster GC safe point.
func (s *pdServer) GetGCSafePoint(_ context.Context, req *pdpb.GetGCSafePointRequest) (*pdpb.GetGCSafePointResponse, error) {
	if h := s.checkHeader(req.GetHeader()); h != nil {
		return &pdpb.GetGCSafePointResponse{Header: h}, nil
	}
	s.gcMu.Lock()
	defer s.gcMu.Unlock()
	return &pdpb.GetGCSafePointResponse{Header: s.header(), SafePoint: s.gcSafePoint}, nil
}

// UpdateGCSafePoint advances (never lowers) the GC safe point.
func (s *pdServer) UpdateGCSafePoint(_ context.Context, req *pdpb.UpdateGCSafePointRequest) (*pdpb.UpdateGCSafePointResponse, error) {
	if h := s.checkHeader(req.GetHeader()); h != nil {
		return &pdpb.UpdateGCSafePointResponse{Header: h}, nil
	}
	s.gcMu.Lock()
	defer s.gcMu.Unlock()
	if req.GetSafePoint() > s.gcSafePoint {
		s.gcSafePoint = req.GetSafePoint()
	}
	return &pdpb.UpdateGCSafePointResponse{Header: s.header(), NewSafePoint: s.gcSafePoint}, nil
}

// UpdateServiceGCSafePoint sets (TTL > 0) or removes (TTL <= 0) a service
// safe point and returns the minimum over live service safe points. Like
// PD, a service cannot set a safe point below the GC safe point.
func (s *pdServer) UpdateServiceGCSafePoint(_ context.Context, req *pdpb.UpdateServiceGCSafePointRequest) (*pdpb.UpdateServiceGCSafePointResponse, error) {
	if h := s.checkHeader(req.GetHeader()); h != nil {
		return &pdpb.UpdateServiceGCSafePointResponse{Header: h}, nil
	}
	s.gcMu.Lock()
	defer s.gcMu.Unlock()
	now := time.Now()
	id := string(req.GetServiceId())
	if req.GetTTL() <= 0 {
		delete(s.serviceSafePt, id)
	} else if req.GetSafePoint() >= s.gcSafePoint {
		sp := serviceSafePoint{safePoint: req.GetSafePoint()}
		if req.GetTTL() < math.MaxInt64/int64(time.Second) {
			sp.expire = now.Add(time.Duration(req.GetTTL()) * time.Second)
		}
		s.serviceSafePt[id] = sp
	}
	minSP := uint64(math.MaxUint64)
	for k, sp := range s.serviceSafePt {
		if !sp.expire.IsZero() && now.After(sp.expire) {
			delete(s.serviceSafePt, k)
			continue
		}
		minSP = min(minSP, sp.safePoint)
	}
	if minSP == math.MaxUint64 {
		minSP = s.gcSafePoint
	}
	return &pdpb.UpdateServiceGCSafePointResponse{Header: s.header(), ServiceId: req.GetServiceId(), TTL: req.GetTTL(), MinSafePoint: minSP}, nil
}

// ServiceSafePoints returns the live service GC safe points by service ID.
func (s *pdServer) serviceSafePoints() map[string]uint64 {
	s.gcMu.Lock()
	defer s.gcMu.Unlock()
	out := map[string]uint64{}
	now := time.Now()
	for k, sp := range s.serviceSafePt {
		if sp.expire.IsZero() || !now.After(sp.expire) {
			out[k] = sp.safePoint
		}
	}
	return out
}

// persist saves the TSO high-water mark.
func (s *pdServer) persist() error {
	s.tsoMu.Lock()
	p := s.physical
	s.tsoMu.Unlock()
	if err := s.c.table.saveLastPhysical(p); err != nil {
		return fmt.Errorf("sandbox: save tso: %w", err)
	}
	return nil
}

func (c *Cluster) storeMeta(id uint64) *metapb.Store {
	st, ok := c.storeByID[id]
	if !ok {
		c.log.Warn("sandbox: store meta requested for unknown store", zap.Uint64("store", id))
		return nil
	}
	return &metapb.Store{
		Id:             st.id,
		Address:        c.storeAddrs[id],
		PeerAddress:    c.storeAddrs[id],
		StatusAddress:  c.statusAddrs[id],
		State:          metapb.StoreState_Up,
		NodeState:      metapb.NodeState_Serving,
		Version:        sandboxVersion,
		StartTimestamp: c.started.Unix(),
		LastHeartbeat:  time.Now().UnixNano(),
		Labels:         []*metapb.StoreLabel{{Key: "sandbox", Value: "true"}},
	}
}
