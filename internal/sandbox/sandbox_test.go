package sandbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pingcap/kvproto/pkg/errorpb"
	"github.com/pingcap/kvproto/pkg/import_sstpb"
	"github.com/pingcap/kvproto/pkg/kvrpcpb"
	"github.com/pingcap/kvproto/pkg/metapb"
	"github.com/pingcap/kvproto/pkg/tikvpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/tempestdb/tempest/internal/kv/codec"
)

func startCluster(t *testing.T, dir string) *Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := StartKV(ctx, Options{DataDir: dir, FaultSeed: 42})
	if err != nil {
		t.Fatalf("StartKV: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return c
}

// storeClients dials every store of c.
type storeConn struct {
	id       uint64
	tikv     tikvpb.TikvClient
	importer import_sstpb.ImportSSTClient
}

func dialStores(t *testing.T, c *Cluster) map[uint64]storeConn {
	t.Helper()
	out := map[uint64]storeConn{}
	for i, addr := range c.StoreAddresses() {
		cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatalf("dial %s: %v", addr, err)
		}
		t.Cleanup(func() { _ = cc.Close() })
		id := c.StoreIDs()[i]
		out[id] = storeConn{id: id, tikv: tikvpb.NewTikvClient(cc), importer: import_sstpb.NewImportSSTClient(cc)}
	}
	return out
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func regionCtx(r Region) *kvrpcpb.Context {
	return &kvrpcpb.Context{RegionId: r.ID, RegionEpoch: r.Epoch, Peer: r.Leader}
}

func newUUID(t *testing.T) []byte {
	u := make([]byte, 16)
	if _, err := rand.Read(u); err != nil {
		t.Fatal(err)
	}
	return u
}

type kvPair struct{ k, v string }

// writeSST writes pairs for region r to one store with the protocol of
// spec §7.5, in batches of batchSize pairs.
func writeSST(ctx context.Context, sc storeConn, r Region, uuid []byte, commitTS uint64, pairs []kvPair, batchSize int) (*import_sstpb.WriteResponse, error) {
	stream, err := sc.importer.Write(ctx)
	if err != nil {
		return nil, err
	}
	meta := &import_sstpb.SSTMeta{
		Uuid:        uuid,
		RegionId:    r.ID,
		RegionEpoch: r.Epoch,
		Range: &import_sstpb.Range{
			Start: codec.EncodeBytes(nil, []byte(pairs[0].k)),
			End:   codec.EncodeBytes(nil, []byte(pairs[len(pairs)-1].k)),
		},
	}
	if err := stream.Send(&import_sstpb.WriteRequest{Chunk: &import_sstpb.WriteRequest_Meta{Meta: meta}}); err != nil {
		return nil, err
	}
	for i := 0; i < len(pairs); i += batchSize {
		b := &import_sstpb.WriteBatch{CommitTs: commitTS}
		for _, p := range pairs[i:min(i+batchSize, len(pairs))] {
			b.Pairs = append(b.Pairs, &import_sstpb.Pair{Key: []byte(p.k), Value: []byte(p.v)})
		}
		if err := stream.Send(&import_sstpb.WriteRequest{Chunk: &import_sstpb.WriteRequest_Batch{Batch: b}}); err != nil {
			if errors.Is(err, io.EOF) {
				break // the server answered early; CloseAndRecv has the reason
			}
			return nil, err
		}
	}
	return stream.CloseAndRecv()
}

// writeAll writes to every peer and returns the leader's metas.
func writeAll(t *testing.T, ctx context.Context, conns map[uint64]storeConn, r Region, pairs []kvPair) []*import_sstpb.SSTMeta {
	t.Helper()
	uuid := newUUID(t)
	var leaderMetas []*import_sstpb.SSTMeta
	for _, p := range r.Peers {
		resp, err := writeSST(ctx, conns[p.StoreId], r, uuid, 1000, pairs, 2)
		if err != nil {
			t.Fatalf("write to store %d: %v", p.StoreId, err)
		}
		if resp.GetError() != nil {
			t.Fatalf("write to store %d: %v", p.StoreId, resp.GetError())
		}
		if p.StoreId == r.Leader.StoreId {
			leaderMetas = resp.GetMetas()
		}
	}
	if len(leaderMetas) == 0 {
		t.Fatal("leader returned no metas")
	}
	return leaderMetas
}

func scanAll(t *testing.T, c *Cluster, start, end []byte) []kvPair {
	t.Helper()
	var out []kvPair
	if err := c.Scan(testCtx(t), start, end, func(k, v []byte) error {
		out = append(out, kvPair{string(k), string(v)})
		return nil
	}); err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return out
}

func split(t *testing.T, ctx context.Context, conns map[uint64]storeConn, r Region, keys ...string) []*metapb.Region {
	t.Helper()
	req := &kvrpcpb.SplitRegionRequest{Context: regionCtx(r)}
	for _, k := range keys {
		req.SplitKeys = append(req.SplitKeys, []byte(k))
	}
	resp, err := conns[r.Leader.StoreId].tikv.SplitRegion(ctx, req)
	if err != nil {
		t.Fatalf("SplitRegion: %v", err)
	}
	if resp.GetRegionError() != nil {
		t.Fatalf("SplitRegion: %v", resp.GetRegionError())
	}
	return resp.GetRegions()
}

func TestSplitRegion(t *testing.T) {
	c := startCluster(t, "")
	ctx := testCtx(t)
	conns := dialStores(t, c)
	r0 := c.RegionByRawKey([]byte("m"))
	got := split(t, ctx, conns, r0, "k", "c", "t")
	if len(got) != 4 {
		t.Fatalf("got %d regions, want 4", len(got))
	}
	// Right-derive: the original ID keeps the rightmost part.
	if got[3].GetId() != r0.ID {
		t.Errorf("rightmost region id %d, want original %d", got[3].GetId(), r0.ID)
	}
	for _, r := range got {
		if r.GetRegionEpoch().GetVersion() != r0.Epoch.GetVersion()+3 {
			t.Errorf("region %d version %d, want %d", r.GetId(), r.GetRegionEpoch().GetVersion(), r0.Epoch.GetVersion()+3)
		}
	}
	if !bytes.Equal(got[1].GetStartKey(), codec.EncodeBytes(nil, []byte("c"))) {
		t.Errorf("boundaries are not encoded keys: %x", got[1].GetStartKey())
	}
	regions := c.Regions()
	if len(regions) != 4 || string(regions[2].StartKey) != "k" || string(regions[2].EndKey) != "t" {
		t.Fatalf("regions after split: %+v", regions)
	}

	// The stale epoch is refused with the current region.
	resp, err := conns[r0.Leader.StoreId].tikv.SplitRegion(ctx, &kvrpcpb.SplitRegionRequest{Context: regionCtx(r0), SplitKeys: [][]byte{[]byte("x")}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetRegionError().GetEpochNotMatch() == nil {
		t.Fatalf("stale epoch: got %v, want EpochNotMatch", resp.GetRegionError())
	}
	// A follower refuses with the leader's identity.
	cur := c.RegionByRawKey([]byte("x"))
	follower := cur.Peers[0].StoreId
	if follower == cur.Leader.StoreId {
		follower = cur.Peers[1].StoreId
	}
	rctx := regionCtx(cur)
	rctx.Peer = nil
	resp, err = conns[follower].tikv.SplitRegion(ctx, &kvrpcpb.SplitRegionRequest{Context: rctx, SplitKeys: [][]byte{[]byte("x")}})
	if err != nil {
		t.Fatal(err)
	}
	if nl := resp.GetRegionError().GetNotLeader(); nl == nil || nl.GetLeader().GetStoreId() != cur.Leader.StoreId {
		t.Fatalf("follower split: got %v, want NotLeader with leader on store %d", resp.GetRegionError(), cur.Leader.StoreId)
	}
	// A key outside the region is refused.
	resp, err = conns[cur.Leader.StoreId].tikv.SplitRegion(ctx, &kvrpcpb.SplitRegionRequest{Context: regionCtx(cur), SplitKeys: [][]byte{[]byte("a")}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetRegionError().GetKeyNotInRegion() == nil {
		t.Fatalf("outside key: got %v, want KeyNotInRegion", resp.GetRegionError())
	}
	if s := c.Stats(); s.Regions != 4 || s.Splits != 3 {
		t.Errorf("stats %+v, want 4 regions and 3 splits", s)
	}
}

func TestWriteIngestRoundTrip(t *testing.T) {
	c := startCluster(t, "")
	ctx := testCtx(t)
	conns := dialStores(t, c)
	split(t, ctx, conns, c.RegionByRawKey([]byte("a")), "m")
	r := c.RegionByRawKey([]byte("a"))
	long := string(bytes.Repeat([]byte("v"), 300))
	pairs := []kvPair{{"a1", "1"}, {"a2", long}, {"b1", "3"}, {"c1", "4"}, {"c2", "5"}}
	metas := writeAll(t, ctx, conns, r, pairs)
	if len(metas) != 2 || metas[0].GetCfName() != "default" || metas[1].GetCfName() != "write" {
		t.Fatalf("metas %v, want default+write", metas)
	}
	if got := scanAll(t, c, nil, nil); len(got) != 0 {
		t.Fatalf("data visible before ingest: %v", got)
	}
	resp, err := conns[r.Leader.StoreId].importer.MultiIngest(ctx, &import_sstpb.MultiIngestRequest{Context: regionCtx(r), Ssts: metas})
	if err != nil || resp.GetError() != nil {
		t.Fatalf("MultiIngest: %v %v", err, resp.GetError())
	}
	got := scanAll(t, c, nil, nil)
	if fmt.Sprint(got) != fmt.Sprint(pairs) {
		t.Fatalf("scan after ingest:\n got %v\nwant %v", got, pairs)
	}
	if got := scanAll(t, c, []byte("a2"), []byte("c1")); len(got) != 2 || got[0].k != "a2" || got[1].k != "b1" {
		t.Fatalf("bounded scan: %v", got)
	}
	// Followers hold the data too: move the leader and read again.
	other := r.Peers[0].StoreId
	if other == r.Leader.StoreId {
		other = r.Peers[1].StoreId
	}
	if err := c.TransferLeader(r.ID, other); err != nil {
		t.Fatal(err)
	}
	if got := scanAll(t, c, nil, nil); fmt.Sprint(got) != fmt.Sprint(pairs) {
		t.Fatalf("scan from new leader: %v", got)
	}
	v, ts, ok, err := c.Get(ctx, []byte("b1"))
	if err != nil || !ok || string(v) != "3" || ts != 1000 {
		t.Fatalf("Get = %q %d %v %v", v, ts, ok, err)
	}
	if err := c.Corrupt([]byte("b1"), []byte("bad")); err != nil {
		t.Fatal(err)
	}
	if v, _, _, _ := c.Get(ctx, []byte("b1")); string(v) != "bad" {
		t.Fatalf("after Corrupt: %q", v)
	}
	if err := c.Corrupt([]byte("nope"), []byte("x")); err == nil {
		t.Fatal("Corrupt of a missing key succeeded")
	}
	st := c.Stats()
	for _, s := range st.Stores {
		if s.Ingests != 1 || s.IngestedKVs != int64(len(pairs)) || s.StagedSSTs != 0 || s.Writes != 1 {
			t.Errorf("store stats %+v", s)
		}
	}
	// Re-ingesting the same SSTs is idempotent (lost-response retry).
	r = c.RegionByRawKey([]byte("a"))
	resp, err = conns[r.Leader.StoreId].importer.MultiIngest(ctx, &import_sstpb.MultiIngestRequest{Context: regionCtx(r), Ssts: metas})
	if err != nil || resp.GetError() != nil {
		t.Fatalf("repeated MultiIngest: %v %v", err, resp.GetError())
	}
	// The empty probe succeeds.
	resp, err = conns[1].importer.MultiIngest(ctx, &import_sstpb.MultiIngestRequest{})
	if err != nil || resp.GetError() != nil {
		t.Fatalf("empty MultiIngest: %v %v", err, resp.GetError())
	}
}

func TestIngestRegionErrors(t *testing.T) {
	c := startCluster(t, "")
	ctx := testCtx(t)
	conns := dialStores(t, c)
	r := c.RegionByRawKey([]byte("a"))
	metas := writeAll(t, ctx, conns, r, []kvPair{{"a", "1"}, {"z", "2"}})

	// Follower → NotLeader naming the leader.
	follower := r.Peers[0].StoreId
	if follower == r.Leader.StoreId {
		follower = r.Peers[1].StoreId
	}
	rctx := regionCtx(r)
	rctx.Peer = nil
	resp, err := conns[follower].importer.MultiIngest(ctx, &import_sstpb.MultiIngestRequest{Context: rctx, Ssts: metas})
	if err != nil {
		t.Fatal(err)
	}
	if nl := resp.GetError().GetNotLeader(); nl == nil || nl.GetLeader().GetStoreId() != r.Leader.StoreId {
		t.Fatalf("follower ingest: %v", resp.GetError())
	}
	// Unknown region.
	bad := regionCtx(r)
	bad.RegionId = 999999
	resp, err = conns[r.Leader.StoreId].importer.MultiIngest(ctx, &import_sstpb.MultiIngestRequest{Context: bad, Ssts: metas})
	if err != nil || resp.GetError().GetRegionNotFound() == nil {
		t.Fatalf("unknown region: %v %v", err, resp.GetError())
	}

	// Split after the write → stale epoch; current regions cover the SST.
	split(t, ctx, conns, r, "m")
	resp, err = conns[r.Leader.StoreId].importer.MultiIngest(ctx, &import_sstpb.MultiIngestRequest{Context: regionCtx(r), Ssts: metas})
	if err != nil {
		t.Fatal(err)
	}
	enm := resp.GetError().GetEpochNotMatch()
	if enm == nil || len(enm.GetCurrentRegions()) != 2 {
		t.Fatalf("stale epoch: %v", resp.GetError())
	}
	// With the new epoch but the old (now too wide) range → KeyNotInRegion.
	cur, _ := c.RegionByID(r.ID)
	for _, m := range metas {
		m.RegionEpoch = cur.Epoch
	}
	resp, err = conns[cur.Leader.StoreId].importer.MultiIngest(ctx, &import_sstpb.MultiIngestRequest{Context: regionCtx(cur), Ssts: metas})
	if err != nil || resp.GetError().GetKeyNotInRegion() == nil {
		t.Fatalf("range outside region: %v %v", err, resp.GetError())
	}

	// An SST missing on a follower is refused rather than silently
	// diverging the replicas.
	left := c.RegionByRawKey([]byte("a"))
	uuid := newUUID(t)
	wr, err := writeSST(ctx, conns[left.Leader.StoreId], left, uuid, 5, []kvPair{{"b", "1"}}, 10)
	if err != nil || wr.GetError() != nil {
		t.Fatalf("write: %v %v", err, wr.GetError())
	}
	resp, err = conns[left.Leader.StoreId].importer.MultiIngest(ctx, &import_sstpb.MultiIngestRequest{Context: regionCtx(left), Ssts: wr.GetMetas()})
	if err != nil || resp.GetError() == nil || resp.GetError().GetMessage() == "" {
		t.Fatalf("missing follower SST: %v %v", err, resp.GetError())
	}
	// Peers that received different data for one SST are refused.
	for _, p := range left.Peers {
		if p.StoreId == left.Leader.StoreId {
			continue
		}
		data := []kvPair{{"b", "1"}}
		if p.StoreId == left.Peers[2].StoreId || (left.Peers[2].StoreId == left.Leader.StoreId && p.StoreId == left.Peers[1].StoreId) {
			data = []kvPair{{"b", "different"}}
		}
		if wr, err := writeSST(ctx, conns[p.StoreId], left, uuid, 5, data, 10); err != nil || wr.GetError() != nil {
			t.Fatalf("write: %v %v", err, wr.GetError())
		}
	}
	resp, err = conns[left.Leader.StoreId].importer.MultiIngest(ctx, &import_sstpb.MultiIngestRequest{Context: regionCtx(left), Ssts: wr.GetMetas()})
	if err != nil || !strings.Contains(resp.GetError().GetMessage(), "differs between peers") {
		t.Fatalf("diverging peers: %v %v", err, resp.GetError())
	}
	if got := scanAll(t, c, nil, nil); len(got) != 0 {
		t.Fatalf("nothing should be visible: %v", got)
	}
	// A pair outside the meta range is rejected at write time.
	stream, err := conns[1].importer.Write(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_ = stream.Send(&import_sstpb.WriteRequest{Chunk: &import_sstpb.WriteRequest_Meta{Meta: &import_sstpb.SSTMeta{
		Uuid: newUUID(t), RegionId: left.ID, RegionEpoch: left.Epoch,
		Range: &import_sstpb.Range{Start: codec.EncodeBytes(nil, []byte("b")), End: codec.EncodeBytes(nil, []byte("c"))},
	}}})
	_ = stream.Send(&import_sstpb.WriteRequest{Chunk: &import_sstpb.WriteRequest_Batch{Batch: &import_sstpb.WriteBatch{
		CommitTs: 1, Pairs: []*import_sstpb.Pair{{Key: []byte("d"), Value: []byte("x")}},
	}}})
	wr, err = stream.CloseAndRecv()
	if err != nil || wr.GetError() == nil {
		t.Fatalf("out-of-range pair: %v %v", err, wr.GetError())
	}
}

func TestSwitchMode(t *testing.T) {
	c := startCluster(t, "")
	ctx := testCtx(t)
	conns := dialStores(t, c)
	for id, sc := range conns {
		if _, err := sc.importer.SwitchMode(ctx, &import_sstpb.SwitchModeRequest{Mode: import_sstpb.SwitchMode_Import}); err != nil {
			t.Fatalf("store %d: %v", id, err)
		}
	}
	if got := c.StoresInImportMode(); len(got) != 3 {
		t.Fatalf("StoresInImportMode = %v", got)
	}
	m, err := conns[2].importer.GetMode(ctx, &import_sstpb.GetModeRequest{})
	if err != nil || m.GetMode() != import_sstpb.SwitchMode_Import {
		t.Fatalf("GetMode = %v %v", m, err)
	}
	if _, err := conns[2].importer.SwitchMode(ctx, &import_sstpb.SwitchModeRequest{Mode: import_sstpb.SwitchMode_Normal}); err != nil {
		t.Fatal(err)
	}
	if got := c.StoresInImportMode(); len(got) != 2 {
		t.Fatalf("StoresInImportMode after one Normal = %v", got)
	}
	m, _ = conns[2].importer.GetMode(ctx, &import_sstpb.GetModeRequest{})
	if m.GetMode() != import_sstpb.SwitchMode_Normal {
		t.Fatalf("GetMode = %v", m)
	}
}

func TestFaultsRegionErrors(t *testing.T) {
	c := startCluster(t, "")
	ctx := testCtx(t)
	conns := dialStores(t, c)
	r := c.RegionByRawKey(nil)
	leader := conns[r.Leader.StoreId]
	kinds := []struct {
		kind  FaultKind
		check func(*errorpb.Error) bool
	}{
		{FaultNotLeader, func(e *errorpb.Error) bool { return e.GetNotLeader() != nil && e.GetNotLeader().GetRegionId() == r.ID }},
		{FaultEpochNotMatch, func(e *errorpb.Error) bool { return len(e.GetEpochNotMatch().GetCurrentRegions()) == 1 }},
		{FaultServerIsBusy, func(e *errorpb.Error) bool { return e.GetServerIsBusy() != nil }},
		{FaultRegionNotFound, func(e *errorpb.Error) bool { return e.GetRegionNotFound().GetRegionId() == r.ID }},
		{FaultDiskFull, func(e *errorpb.Error) bool { return len(e.GetDiskFull().GetStoreId()) == 1 }},
		{FaultStaleCommand, func(e *errorpb.Error) bool { return e.GetStaleCommand() != nil }},
		{FaultReadIndexNotReady, func(e *errorpb.Error) bool { return e.GetReadIndexNotReady().GetRegionId() == r.ID }},
		{FaultMessage, func(e *errorpb.Error) bool {
			return e.GetMessage() == "raft: proposal dropped" && e.GetNotLeader() == nil && e.GetServerIsBusy() == nil
		}},
	}
	for _, k := range kinds {
		t.Run(k.kind.String(), func(t *testing.T) {
			f := c.Faults()
			// Ingest: the injected error, then (rule exhausted) success.
			f.Inject(Fault{RPC: RPCIngest, Kind: k.kind, Store: r.Leader.StoreId, Count: 1, Message: "raft: proposal dropped"})
			resp, err := leader.importer.MultiIngest(ctx, &import_sstpb.MultiIngestRequest{Context: regionCtx(r)})
			if err != nil || !k.check(resp.GetError()) {
				t.Fatalf("ingest: %v %v", err, resp.GetError())
			}
			resp, err = leader.importer.MultiIngest(ctx, &import_sstpb.MultiIngestRequest{Context: regionCtx(r)})
			if err != nil || resp.GetError() != nil {
				t.Fatalf("ingest after fault: %v %v", err, resp.GetError())
			}
			// Split.
			f.Inject(Fault{RPC: RPCSplitRegion, Kind: k.kind, Count: 1, Message: "raft: proposal dropped"})
			sresp, err := leader.tikv.SplitRegion(ctx, &kvrpcpb.SplitRegionRequest{Context: regionCtx(r), SplitKeys: [][]byte{[]byte("x")}})
			if err != nil || !k.check(sresp.GetRegionError()) {
				t.Fatalf("split: %v %v", err, sresp.GetRegionError())
			}
			// Write: in WriteResponse.error.store_error.
			f.Inject(Fault{RPC: RPCWrite, Kind: k.kind, Count: 1, Message: "raft: proposal dropped"})
			wr, err := writeSST(ctx, leader, r, newUUID(t), 1, []kvPair{{"a", "1"}, {"b", "2"}, {"c", "3"}}, 1)
			if err != nil || !k.check(wr.GetError().GetStoreError()) {
				t.Fatalf("write: %v %v", err, wr.GetError())
			}
			if n := f.FiredCount(RPCIngest, k.kind); n != 1 {
				t.Fatalf("FiredCount = %d", n)
			}
			if f.Pending() != 0 {
				t.Fatalf("rules left: %d", f.Pending())
			}
		})
	}
}

func TestFaultsTransport(t *testing.T) {
	c := startCluster(t, "")
	ctx := testCtx(t)
	conns := dialStores(t, c)
	r := c.RegionByRawKey(nil)
	f := c.Faults()
	pairs := []kvPair{{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}}

	// Dropped stream after 1 of 4 batches.
	f.Inject(Fault{RPC: RPCWrite, Kind: FaultDropStream, Store: 2, Count: 1, AfterBatches: 1})
	_, err := writeSST(ctx, conns[2], r, newUUID(t), 1, pairs, 1)
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("dropped stream: got %v, want Unavailable", err)
	}
	if s := c.Stats().Stores[1]; s.StagedSSTs != 0 || s.Writes != 0 {
		t.Fatalf("dropped stream left state: %+v", s)
	}
	// The store filter: store 1 is unaffected by a store-2 rule.
	f.Inject(Fault{RPC: RPCWrite, Kind: FaultDropStream, Store: 2, Count: 1})
	if wr, err := writeSST(ctx, conns[1], r, newUUID(t), 1, pairs, 1); err != nil || wr.GetError() != nil {
		t.Fatalf("other store: %v %v", err, wr.GetError())
	}
	f.Clear()
	// The region filter: a rule for another region does not fire.
	f.Inject(Fault{RPC: RPCIngest, Kind: FaultServerIsBusy, Region: r.ID + 1, Count: 1})
	if resp, err := conns[1].importer.MultiIngest(ctx, &import_sstpb.MultiIngestRequest{Context: regionCtx(r)}); err != nil || resp.GetError() != nil {
		t.Fatalf("other region's fault fired: %v %v", err, resp.GetError())
	}
	f.Clear()

	// Slow writes: 4 batches × 30ms.
	f.Inject(Fault{RPC: RPCWrite, Kind: FaultSlowWrite, Count: 1, Delay: 30 * time.Millisecond})
	start := time.Now()
	if wr, err := writeSST(ctx, conns[3], r, newUUID(t), 1, pairs, 1); err != nil || wr.GetError() != nil {
		t.Fatalf("slow write: %v %v", err, wr.GetError())
	}
	if d := time.Since(start); d < 120*time.Millisecond {
		t.Fatalf("slow write took %v, want >= 120ms", d)
	}

	// Unary transport failure.
	f.Inject(Fault{RPC: RPCIngest, Kind: FaultDropStream, Count: 2})
	for range 2 {
		if _, err := conns[1].importer.MultiIngest(ctx, &import_sstpb.MultiIngestRequest{}); status.Code(err) != codes.Unavailable {
			t.Fatalf("ingest transport fault: %v", err)
		}
	}
	if _, err := conns[1].importer.MultiIngest(ctx, &import_sstpb.MultiIngestRequest{}); err != nil {
		t.Fatalf("after Count exhausted: %v", err)
	}
	f.Inject(Fault{RPC: RPCSwitchMode, Kind: FaultDropStream, Count: 1})
	if _, err := conns[1].importer.SwitchMode(ctx, &import_sstpb.SwitchModeRequest{Mode: import_sstpb.SwitchMode_Import}); status.Code(err) != codes.Unavailable {
		t.Fatalf("switch mode fault: %v", err)
	}
	if len(c.StoresInImportMode()) != 0 {
		t.Fatal("failed SwitchMode changed the mode")
	}

	// Probability: unlimited rule firing about half the time.
	f.Inject(Fault{RPC: RPCIngest, Kind: FaultServerIsBusy, Probability: 0.5})
	busy := 0
	for range 200 {
		resp, err := conns[1].importer.MultiIngest(ctx, &import_sstpb.MultiIngestRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetError().GetServerIsBusy() != nil {
			busy++
		}
	}
	if busy < 60 || busy > 140 {
		t.Fatalf("probability 0.5 fired %d/200 times", busy)
	}
	f.Clear()
	if f.Pending() != 0 {
		t.Fatal("Clear left rules")
	}
}

func TestRegionTableSplitInvariants(t *testing.T) {
	tb, err := openRegionTable("", []uint64{1, 2, 3}, 7)
	if err != nil {
		t.Fatal(err)
	}
	id := tb.all()[0].ID
	enc := func(s string) []byte { return codec.EncodeBytes(nil, []byte(s)) }
	out, err := tb.split(id, &metapb.RegionEpoch{ConfVer: 1, Version: 1}, [][]byte{enc("q"), enc("f"), enc("f")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 3 || out[2].ID != id {
		t.Fatalf("split result %+v", out)
	}
	if err := tb.checkLocked(); err != nil {
		t.Fatal(err)
	}
	if _, err := tb.split(id, &metapb.RegionEpoch{ConfVer: 1, Version: 1}, [][]byte{enc("z")}); err == nil {
		t.Fatal("stale epoch accepted")
	}
	if _, err := tb.split(out[0].ID, nil, [][]byte{enc("z")}); err == nil {
		t.Fatal("key outside region accepted")
	}
	if got := tb.byKey(enc("g")); got.ID != out[1].ID {
		t.Fatalf("byKey(g) = %d, want %d", got.ID, out[1].ID)
	}
	if got := tb.scan(enc("a"), enc("g"), 0); len(got) != 2 {
		t.Fatalf("scan = %d regions", len(got))
	}
	if got := tb.scan(enc("a"), enc("f"), 0); len(got) != 1 {
		t.Fatalf("scan ending at a boundary = %d regions", len(got))
	}
	if p := tb.prevOf(enc("g")); p == nil || p.ID != out[0].ID {
		t.Fatalf("prevOf = %v", p)
	}
}

func TestDirectWritesAndForceRanges(t *testing.T) {
	c := startCluster(t, "")
	ctx := testCtx(t)
	conns := dialStores(t, c)
	split(t, ctx, conns, c.RegionByRawKey(nil), "k")
	for _, k := range []string{"a", "z", "m"} {
		if err := c.Put(ctx, []byte(k), []byte("v"+k)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Delete(ctx, []byte("m")); err != nil {
		t.Fatal(err)
	}
	// An empty (non-nil) end means unbounded, and fn may write back.
	var got []kvPair
	err := c.Scan(ctx, nil, []byte{}, func(k, v []byte) error {
		got = append(got, kvPair{string(k), string(v)})
		// Below the scan position: must not deadlock nor show up.
		return c.Put(ctx, append([]byte("0"), k...), nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[{a va} {z vz}]" {
		t.Fatalf("scan = %v", got)
	}
	if got := scanAll(t, c, nil, []byte("1")); fmt.Sprint(got) != "[{0a } {0z }]" {
		t.Fatalf("writes from the callback = %v", got)
	}
	_, ts1, _, _ := c.Get(ctx, []byte("a"))
	_, ts2, _, _ := c.Get(ctx, []byte("z"))
	if ts1 == 0 || ts2 <= ts1 {
		t.Fatalf("commit TSs %d, %d not increasing", ts1, ts2)
	}

	rg := &import_sstpb.Range{Start: []byte("t1"), End: []byte("t2")}
	if _, err := conns[1].importer.AddForcePartitionRange(ctx, &import_sstpb.AddPartitionRangeRequest{Range: rg, TtlSeconds: 3600}); err != nil {
		t.Fatal(err)
	}
	if n := c.Stats().Stores[0].ForcePartitionRanges; n != 1 {
		t.Fatalf("force ranges = %d", n)
	}
	if _, err := conns[1].importer.RemoveForcePartitionRange(ctx, &import_sstpb.RemovePartitionRangeRequest{Range: rg}); err != nil {
		t.Fatal(err)
	}
	if n := c.Stats().Stores[0].ForcePartitionRanges; n != 0 {
		t.Fatalf("force ranges after remove = %d", n)
	}
}

// TestConcurrentImport runs splits, writes and ingests from several
// goroutines (for the race detector) and checks every key lands once.
func TestConcurrentImport(t *testing.T) {
	c := startCluster(t, "")
	ctx := testCtx(t)
	conns := dialStores(t, c)
	const workers = 6
	errc := make(chan error, workers)
	for w := range workers {
		go func() {
			errc <- func() error {
				prefix := fmt.Sprintf("w%d", w)
				for attempt := 0; ; attempt++ {
					if attempt > 50 {
						return fmt.Errorf("%s: too many retries", prefix)
					}
					r := c.RegionByRawKey([]byte(prefix))
					// Split off our own range; concurrent splits make epochs stale.
					resp, err := conns[r.Leader.StoreId].tikv.SplitRegion(ctx, &kvrpcpb.SplitRegionRequest{
						Context: regionCtx(r), SplitKeys: [][]byte{[]byte(prefix), []byte(prefix + "~")},
					})
					if err != nil {
						return err
					}
					if resp.GetRegionError() != nil {
						continue
					}
					break
				}
				for attempt := 0; ; attempt++ {
					if attempt > 50 {
						return fmt.Errorf("%s: too many ingest retries", prefix)
					}
					r := c.RegionByRawKey([]byte(prefix))
					var pairs []kvPair
					for i := range 20 {
						pairs = append(pairs, kvPair{fmt.Sprintf("%s_%02d", prefix, i), "v"})
					}
					uuid := make([]byte, 16)
					copy(uuid, fmt.Sprintf("%s-%d", prefix, attempt))
					var metas []*import_sstpb.SSTMeta
					for _, p := range r.Peers {
						wr, err := writeSST(ctx, conns[p.StoreId], r, uuid, 7, pairs, 3)
						if err != nil {
							return err
						}
						if p.StoreId == r.Leader.StoreId {
							metas = wr.GetMetas()
						}
					}
					resp, err := conns[r.Leader.StoreId].importer.MultiIngest(ctx, &import_sstpb.MultiIngestRequest{Context: regionCtx(r), Ssts: metas})
					if err != nil {
						return err
					}
					if resp.GetError() == nil {
						return nil
					}
				}
			}()
		}()
	}
	for range workers {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	if got := scanAll(t, c, nil, nil); len(got) != workers*20 {
		t.Fatalf("scanned %d keys, want %d", len(got), workers*20)
	}
	c.table.mu.RLock()
	defer c.table.mu.RUnlock()
	if err := c.table.checkLocked(); err != nil {
		t.Fatal(err)
	}
}

// TestWriteStagesSSTFiles checks the on-disk SST path: Write leaves one SST
// file per stream in the store's import directory, unsorted pairs are
// refused, a second stream with the same UUID is ingested after the first
// (its values win), ingestion moves the files into the DB, and a restart
// drops SSTs that were written but never ingested.
func TestWriteStagesSSTFiles(t *testing.T) {
	dir := t.TempDir()
	c := startCluster(t, dir)
	ctx := testCtx(t)
	conns := dialStores(t, c)
	r := c.RegionByRawKey([]byte("a"))
	importFiles := func(store uint64) []string {
		t.Helper()
		ents, err := os.ReadDir(filepath.Join(DataDirFor(dir, store), importDirName))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range ents {
			out = append(out, e.Name())
		}
		return out
	}

	// Unsorted pairs: refused in the response, nothing left behind.
	// (The meta range is first..last pair, so the batch passes the range
	// check and the order check has to catch it.)
	wr, err := writeSST(ctx, conns[1], r, newUUID(t), 1, []kvPair{{"a", "1"}, {"c", "2"}, {"b", "3"}}, 3)
	if err != nil || wr.GetError() == nil || !strings.Contains(wr.GetError().GetMessage(), "ascending") {
		t.Fatalf("unsorted write: %v %v", err, wr.GetError())
	}
	if wr, err := writeSST(ctx, conns[1], r, newUUID(t), 1, []kvPair{{"a", "1"}, {"a", "2"}}, 2); err != nil || wr.GetError() == nil {
		t.Fatalf("duplicate key write: %v %v", err, wr.GetError())
	}
	if f := importFiles(1); len(f) != 0 {
		t.Fatalf("refused writes left files: %v", f)
	}

	uuid := newUUID(t)
	var metas []*import_sstpb.SSTMeta
	for _, p := range r.Peers {
		for _, data := range [][]kvPair{{{"a", "1"}, {"b", "1"}}, {{"b", "2"}, {"c", "2"}}} {
			wr, err := writeSST(ctx, conns[p.StoreId], r, uuid, 7, data, 1)
			if err != nil || wr.GetError() != nil {
				t.Fatalf("write to store %d: %v %v", p.StoreId, err, wr.GetError())
			}
			metas = wr.GetMetas()
		}
		if f := importFiles(p.StoreId); len(f) != 2 {
			t.Fatalf("store %d import dir %v, want 2 SST files", p.StoreId, f)
		}
	}
	if m := metas[len(metas)-1]; m.GetTotalKvs() != 4 {
		t.Fatalf("meta after two streams: %v", m)
	}
	resp, err := conns[r.Leader.StoreId].importer.MultiIngest(ctx, &import_sstpb.MultiIngestRequest{Context: regionCtx(r), Ssts: metas})
	if err != nil || resp.GetError() != nil {
		t.Fatalf("MultiIngest: %v %v", err, resp.GetError())
	}
	want := []kvPair{{"a", "1"}, {"b", "2"}, {"c", "2"}}
	if got := scanAll(t, c, nil, nil); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after ingest: %v, want %v", got, want)
	}
	for _, p := range r.Peers {
		if f := importFiles(p.StoreId); len(f) != 0 {
			t.Fatalf("store %d kept %v after ingest", p.StoreId, f)
		}
	}

	// Written, never ingested, then a restart: the SST is gone, the data
	// stays.
	if wr, err := writeSST(ctx, conns[1], r, newUUID(t), 8, []kvPair{{"d", "1"}}, 1); err != nil || wr.GetError() != nil {
		t.Fatalf("write: %v %v", err, wr.GetError())
	}
	if f := importFiles(1); len(f) != 1 {
		t.Fatalf("import dir %v, want 1 SST", f)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	c2 := startCluster(t, dir)
	if f := importFiles(1); len(f) != 0 {
		t.Fatalf("restart kept staged SSTs %v", f)
	}
	if got := scanAll(t, c2, nil, nil); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after restart: %v, want %v", got, want)
	}
}
