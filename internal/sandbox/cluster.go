package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pingcap/kvproto/pkg/import_sstpb"
	"github.com/pingcap/kvproto/pkg/metapb"
	"github.com/pingcap/kvproto/pkg/pdpb"
	"github.com/pingcap/kvproto/pkg/tikvpb"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"

	"github.com/tempestdb/tempest/internal/kv/codec"
)

// NumStores is the number of TiKV stores in a sandbox cluster.
const NumStores = 3

// maxMsgSize bounds gRPC messages; split requests with many keys and write
// batches can exceed gRPC's 4 MiB default, as they can on a real TiKV.
const maxMsgSize = 256 << 20

// Options configures StartKV.
type Options struct {
	// DataDir holds the stores' Pebble DBs and PD's region metadata. Empty
	// keeps everything in memory. Restarting on the same DataDir keeps data,
	// regions and TSO monotonicity.
	DataDir string
	// PDPort is the PD port on 127.0.0.1; 0 picks a free port.
	PDPort int
	// Logger receives the sandbox's logs; nil means no logging.
	Logger *zap.Logger
	// FaultSeed seeds the fault switch's probability draws.
	FaultSeed uint64
}

// Cluster is a running sandbox: one PD and NumStores TiKV stores, each a
// real gRPC server on loopback.
type Cluster struct {
	log     *zap.Logger
	table   *regionTable
	faults  *Faults
	started time.Time
	// ingestHook runs after each successful non-empty (Multi)Ingest; see
	// OnIngest.
	ingestHook atomic.Pointer[func()]

	stores    []*store
	storeByID map[uint64]*store
	// Addresses are fixed before any server starts serving, so they are
	// read without locking.
	storeAddrs  map[uint64]string
	statusAddrs map[uint64]string
	pdAddr      string

	pd     *pdServer
	pdHTTP *pdHTTP

	grpcServers []*grpc.Server
	httpServers []*http.Server
	pdMux       *protoMux
	wg          sync.WaitGroup
	stopOnce    sync.Once
	stopErr     error
}

// StartKV starts a sandbox cluster. ctx only bounds startup; the cluster
// runs until Stop.
func StartKV(ctx context.Context, opts Options) (*Cluster, error) {
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	if opts.DataDir != "" {
		if err := os.MkdirAll(opts.DataDir, 0o755); err != nil {
			return nil, fmt.Errorf("sandbox: create data dir: %w", err)
		}
	}
	c := &Cluster{
		log:         log.Named("sandbox"),
		faults:      newFaults(opts.FaultSeed),
		started:     time.Now(),
		storeByID:   map[uint64]*store{},
		storeAddrs:  map[uint64]string{},
		statusAddrs: map[uint64]string{},
	}
	ok := false
	var listeners []net.Listener
	defer func() {
		if !ok {
			_ = c.Stop()
			// Listeners not yet handed to a server are closed here; closing
			// an already-served one again is harmless.
			for _, l := range listeners {
				_ = l.Close()
			}
		}
	}()
	var ids []uint64
	for i := range NumStores {
		ids = append(ids, uint64(i+1))
	}
	t, err := openRegionTable(opts.DataDir, ids, uint64(c.started.UnixNano())&(1<<62-1)|1)
	if err != nil {
		return nil, err
	}
	c.table = t
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("sandbox: start: %w", err)
		}
		st, err := openStore(id, opts.DataDir, c.log.With(zap.Uint64("store", id)))
		if err != nil {
			return nil, err
		}
		c.stores = append(c.stores, st)
		c.storeByID[id] = st
	}

	var lc net.ListenConfig
	listen := func(port int) (net.Listener, error) {
		l, err := lc.Listen(ctx, "tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			return nil, fmt.Errorf("sandbox: listen: %w", err)
		}
		listeners = append(listeners, l)
		return l, nil
	}
	// Bind every port first so PD can report store addresses from the start.
	pdL, err := listen(opts.PDPort)
	if err != nil {
		return nil, err
	}
	c.pdAddr = pdL.Addr().String()
	c.pdMux = newProtoMux(pdL, c.log)
	storeLs := map[uint64]net.Listener{}
	statusLs := map[uint64]net.Listener{}
	for _, id := range ids {
		l, err := listen(0)
		if err != nil {
			return nil, err
		}
		storeLs[id] = l
		c.storeAddrs[id] = l.Addr().String()
		sl, err := listen(0)
		if err != nil {
			return nil, err
		}
		statusLs[id] = sl
		c.statusAddrs[id] = sl.Addr().String()
	}

	c.pd = newPDServer(c)
	c.pdHTTP = newPDHTTP(c)
	pdG := c.newGRPCServer()
	pdpb.RegisterPDServer(pdG, c.pd)
	c.serveGRPC(pdG, c.pdMux.grpc)
	c.serveHTTP(c.pdHTTP.handler(), c.pdMux.http)

	for _, id := range ids {
		st := c.storeByID[id]
		g := c.newGRPCServer()
		tikvpb.RegisterTikvServer(g, &tikvServer{c: c, st: st})
		import_sstpb.RegisterImportSSTServer(g, &importServer{c: c, st: st})
		c.serveGRPC(g, storeLs[id])
		c.serveHTTP(statusHandler(st), statusLs[id])
	}
	ok = true
	c.log.Info("sandbox cluster started", zap.String("pd", c.pdAddr), zap.Strings("stores", c.StoreAddresses()), zap.String("dataDir", opts.DataDir))
	return c, nil
}

func (c *Cluster) newGRPCServer() *grpc.Server {
	g := grpc.NewServer(
		grpc.MaxRecvMsgSize(maxMsgSize), grpc.MaxSendMsgSize(maxMsgSize),
		// Importers ping every few seconds (Lightning: 10s keepalive); gRPC's
		// default 5-minute minimum would answer with GOAWAY too_many_pings,
		// which TiKV and PD never do.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: time.Second, PermitWithoutStream: true}),
	)
	hs := health.NewServer()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(g, hs)
	c.grpcServers = append(c.grpcServers, g)
	return g
}

func (c *Cluster) serveGRPC(g *grpc.Server, l net.Listener) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		if err := g.Serve(l); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			c.log.Warn("sandbox: grpc server stopped", zap.Error(err))
		}
	}()
}

func (c *Cluster) serveHTTP(h http.Handler, l net.Listener) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	c.httpServers = append(c.httpServers, srv)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			c.log.Warn("sandbox: http server stopped", zap.Error(err))
		}
	}()
}

// statusHandler serves the TiKV status port endpoints the importer reads:
// /config (region split size/keys) and /status.
func statusHandler(st *store) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /config", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{
			"coprocessor": map[string]any{"region-split-size": "96MiB", "region-split-keys": 960000, "region-max-size": "144MiB", "region-max-keys": 1440000},
			"storage":     map[string]any{"engine": "raft-kv"},
			"import":      map[string]any{"import-mode-timeout": "10m"},
		})
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"store_id": st.id, "version": sandboxVersion})
	})
	return mux
}

// Stop shuts every server down and closes the stores. It is idempotent.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() {
		var errs []error
		for _, g := range c.grpcServers {
			g.Stop()
		}
		for _, h := range c.httpServers {
			_ = h.Close()
		}
		if c.pdMux != nil {
			c.pdMux.close()
		}
		c.wg.Wait()
		if c.pd != nil {
			errs = append(errs, c.pd.persist())
		}
		for _, st := range c.stores {
			errs = append(errs, st.close())
		}
		c.stopErr = errors.Join(errs...)
		c.log.Info("sandbox cluster stopped", zap.Error(c.stopErr))
	})
	return c.stopErr
}

// PDAddress is PD's host:port (gRPC and HTTP API on the same port).
func (c *Cluster) PDAddress() string { return c.pdAddr }

// StoreAddresses are the TiKV gRPC addresses in store ID order.
func (c *Cluster) StoreAddresses() []string {
	out := make([]string, 0, len(c.stores))
	for _, st := range c.stores {
		out = append(out, c.storeAddrs[st.id])
	}
	return out
}

// StoreIDs are the store IDs in order.
func (c *Cluster) StoreIDs() []uint64 {
	out := make([]uint64, 0, len(c.stores))
	for _, st := range c.stores {
		out = append(out, st.id)
	}
	return out
}

// Faults returns the cluster's fault switch.
func (c *Cluster) Faults() *Faults { return c.faults }

// ClusterID is PD's cluster ID.
func (c *Cluster) ClusterID() uint64 { return c.table.clusterID() }

// Region describes a region for in-process users (the SQL front, tests).
type Region struct {
	ID uint64
	// StartKey and EndKey are raw TiDB keys (decoded from the encoded
	// boundaries PD reports); nil means unbounded.
	StartKey, EndKey []byte
	// EncodedStartKey and EncodedEndKey are the boundaries as PD reports them.
	EncodedStartKey, EncodedEndKey []byte
	Epoch                          *metapb.RegionEpoch
	Peers                          []*metapb.Peer
	Leader                         *metapb.Peer
}

func (r *regionState) info() Region {
	m := r.toProto()
	return Region{
		ID:              r.ID,
		StartKey:        decodeBoundary(r.StartKey),
		EndKey:          decodeBoundary(r.EndKey),
		EncodedStartKey: m.StartKey,
		EncodedEndKey:   m.EndKey,
		Epoch:           m.RegionEpoch,
		Peers:           m.Peers,
		Leader:          r.leaderProto(),
	}
}

// decodeBoundary turns an encoded region boundary into a raw key. Every
// boundary the sandbox creates through SplitRegion is a valid encoding; a
// PD-level split at an arbitrary key falls back to the key itself.
func decodeBoundary(k []byte) []byte {
	if len(k) == 0 {
		return nil
	}
	_, raw, err := codec.DecodeBytes(k, nil)
	if err != nil {
		return slices.Clone(k)
	}
	return raw
}

// Regions returns every region in key order.
func (c *Cluster) Regions() []Region {
	rs := c.table.all()
	out := make([]Region, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.info())
	}
	return out
}

// RegionByRawKey returns the region containing a raw TiDB key.
func (c *Cluster) RegionByRawKey(raw []byte) Region {
	return c.table.byKey(codec.EncodeBytes(nil, raw)).info()
}

// RegionByID returns a region by ID.
func (c *Cluster) RegionByID(id uint64) (Region, bool) {
	r := c.table.get(id)
	if r == nil {
		return Region{}, false
	}
	return r.info(), true
}

// TransferLeader moves a region's leader to store, e.g. to make a cached
// leader stale on purpose.
func (c *Cluster) TransferLeader(regionID, storeID uint64) error {
	return c.table.transferLeader(regionID, storeID)
}

// Scan calls fn for every visible pair with raw key in [start, end) in key
// order (empty end = unbounded), reading each region's part from its leader
// store. k and v are only valid during fn. No lock is held while fn runs, so
// fn may call Put or Delete.
func (c *Cluster) Scan(ctx context.Context, start, end []byte, fn func(k, v []byte) error) error {
	if len(end) == 0 {
		end = nil
	}
	encStart := codec.EncodeBytes(nil, start)
	var encEnd []byte
	if end != nil {
		encEnd = codec.EncodeBytes(nil, end)
	}
	for _, r := range c.table.scan(encStart, encEnd, 0) {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("sandbox: scan: %w", err)
		}
		lo, hi := start, end
		if rs := decodeBoundary(r.StartKey); rs != nil && bytes.Compare(rs, lo) > 0 {
			lo = rs
		}
		if re := decodeBoundary(r.EndKey); re != nil && (hi == nil || bytes.Compare(re, hi) < 0) {
			hi = re
		}
		st, ok := c.storeByID[r.Leader]
		if !ok {
			return fmt.Errorf("sandbox: region %d leader on unknown store %d", r.ID, r.Leader)
		}
		if err := st.scan(lo, hi, func(k, v []byte, _ uint64) error { return fn(k, v) }); err != nil {
			return err
		}
	}
	return nil
}

// Get returns the visible value of a raw key (from its region's leader) and
// its commit TS.
func (c *Cluster) Get(ctx context.Context, raw []byte) (value []byte, commitTS uint64, found bool, err error) {
	if err := ctx.Err(); err != nil {
		return nil, 0, false, fmt.Errorf("sandbox: get: %w", err)
	}
	r := c.table.byKey(codec.EncodeBytes(nil, raw))
	end := append(slices.Clone(raw), 0)
	err = c.storeByID[r.Leader].scan(raw, end, func(_, v []byte, ts uint64) error {
		value, commitTS, found = slices.Clone(v), ts, true
		return nil
	})
	return value, commitTS, found, err
}

// Put writes a key directly on every store with a fresh commit TS from the
// sandbox PD, bypassing Write/Ingest. It exists for logical (SQL) writes by
// the in-process TiDB front.
func (c *Cluster) Put(ctx context.Context, raw, value []byte) error {
	return c.directWrite(ctx, raw, value, false)
}

// Delete removes a key directly on every store (see Put).
func (c *Cluster) Delete(ctx context.Context, raw []byte) error {
	return c.directWrite(ctx, raw, nil, true)
}

func (c *Cluster) directWrite(ctx context.Context, raw, value []byte, del bool) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sandbox: write: %w", err)
	}
	p, l := c.pd.allocTS(1)
	ts := uint64(p)<<logicalBits | uint64(l)
	for _, st := range c.stores {
		if err := st.put(raw, value, ts, del); err != nil {
			return err
		}
	}
	return nil
}

// Corrupt overwrites the value of an existing key on every store (so
// whichever peer leads serves it), keeping its commit TS. It is for
// checksum-mismatch tests.
func (c *Cluster) Corrupt(raw, newValue []byte) error {
	found := false
	for _, st := range c.stores {
		ok, err := st.overwrite(raw, newValue)
		if err != nil {
			return err
		}
		found = found || ok
	}
	if !found {
		return fmt.Errorf("sandbox: corrupt: key %x not found", raw)
	}
	return nil
}

// OnIngest makes fn run after every successful non-empty Ingest or
// MultiIngest, before the RPC answers; nil removes it. fn runs with no
// sandbox lock held, so it may call Scan and Corrupt: checksum-mismatch tests
// use it to damage ingested data between the ingest and the importer's
// ADMIN CHECKSUM.
func (c *Cluster) OnIngest(fn func()) {
	if fn == nil {
		c.ingestHook.Store(nil)
		return
	}
	c.ingestHook.Store(&fn)
}

// StoreStats are one store's counters.
type StoreStats struct {
	ID      uint64
	Address string
	Mode    import_sstpb.SwitchMode
	// Writes counts completed Write streams; WrittenKVs the pairs in them.
	Writes, WrittenKVs int64
	// Ingests counts SSTs made visible; IngestedKVs the pairs in them.
	Ingests, IngestedKVs int64
	// Splits counts successful SplitRegion calls served.
	Splits int64
	// StagedSSTs counts written-but-not-ingested SSTs.
	StagedSSTs int
	// ForcePartitionRanges counts live AddForcePartitionRange ranges.
	ForcePartitionRanges int
}

// Stats is a snapshot of cluster counters.
type Stats struct {
	Regions  int
	Splits   int
	Scatters int
	Stores   []StoreStats
}

// Stats returns a snapshot of the cluster's counters.
func (c *Cluster) Stats() Stats {
	regions, splits, scatters := c.table.counters()
	s := Stats{Regions: regions, Splits: splits, Scatters: scatters}
	for _, st := range c.stores {
		st.mu.Lock()
		staged := len(st.staged)
		mode := st.mode
		st.mu.Unlock()
		s.Stores = append(s.Stores, StoreStats{
			ID: st.id, Address: c.storeAddrs[st.id], Mode: mode,
			Writes: st.writes.Load(), WrittenKVs: st.writtenKVs.Load(),
			Ingests: st.ingests.Load(), IngestedKVs: st.ingestedKVs.Load(),
			Splits: st.splits.Load(), StagedSSTs: staged,
			ForcePartitionRanges: st.liveForceRanges(),
		})
	}
	return s
}

// StoresInImportMode lists stores currently in import mode; an import that
// finished should leave none.
func (c *Cluster) StoresInImportMode() []uint64 {
	var out []uint64
	for _, st := range c.stores {
		if st.getMode() == import_sstpb.SwitchMode_Import {
			out = append(out, st.id)
		}
	}
	return out
}

// PDState returns what was set through PD's scheduler HTTP API and the
// live service GC safe points.
func (c *Cluster) PDState() PDState {
	s := c.pdHTTP.state()
	s.ServiceSafePoints = c.pd.serviceSafePoints()
	return s
}

// DataDirFor is the directory of a store's DB under dataDir (for tests that
// inspect or damage files).
func DataDirFor(dataDir string, storeID uint64) string {
	return filepath.Join(dataDir, fmt.Sprintf("store-%d", storeID))
}
