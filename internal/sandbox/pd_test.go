package sandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pingcap/kvproto/pkg/import_sstpb"
	"github.com/pingcap/kvproto/pkg/metapb"
	"github.com/pingcap/kvproto/pkg/pdpb"
	pd "github.com/tikv/pd/client"
	"github.com/tikv/pd/client/clients/router"
	"github.com/tikv/pd/client/opt"

	"github.com/tempestdb/tempest/internal/kv/codec"
)

func newPDClient(t *testing.T, c *Cluster) pd.Client {
	t.Helper()
	cli, err := pd.NewClientWithContext(testCtx(t), []string{c.PDAddress()}, pd.SecurityOption{},
		opt.WithCustomTimeoutOption(5*time.Second))
	if err != nil {
		t.Fatalf("pd.NewClient: %v", err)
	}
	t.Cleanup(cli.Close)
	return cli
}

func TestPDClient(t *testing.T) {
	c := startCluster(t, "")
	ctx := testCtx(t)
	cli := newPDClient(t, c)
	if cli.GetClusterID(ctx) != c.ClusterID() {
		t.Errorf("cluster id %d, want %d", cli.GetClusterID(ctx), c.ClusterID())
	}

	var prev uint64
	for i := range 50 {
		p, l, err := cli.GetTS(ctx)
		if err != nil {
			t.Fatalf("GetTS: %v", err)
		}
		ts := uint64(p)<<logicalBits | uint64(l)
		if ts <= prev {
			t.Fatalf("TSO %d: %d not above %d", i, ts, prev)
		}
		prev = ts
	}
	if d := time.Since(time.UnixMilli(int64(prev >> logicalBits))); d < -time.Second || d > time.Minute {
		t.Errorf("TSO physical part is %v away from now", d)
	}

	stores, err := cli.GetAllStores(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for _, s := range stores {
		if s.GetState() != metapb.StoreState_Up {
			t.Errorf("store %d state %v", s.GetId(), s.GetState())
		}
		addrs = append(addrs, s.GetAddress())
	}
	if !slices.Equal(addrs, c.StoreAddresses()) {
		t.Fatalf("stores %v, want %v", addrs, c.StoreAddresses())
	}
	s2, err := cli.GetStore(ctx, 2)
	if err != nil || s2.GetAddress() != c.StoreAddresses()[1] {
		t.Fatalf("GetStore(2) = %v, %v", s2, err)
	}

	// Split through a store, then find regions through PD.
	conns := dialStores(t, c)
	split(t, ctx, conns, c.RegionByRawKey(nil), "g", "p")
	r, err := cli.GetRegion(ctx, codec.EncodeBytes(nil, []byte("h")))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r.Meta.GetStartKey(), codec.EncodeBytes(nil, []byte("g"))) || r.Leader == nil || len(r.Meta.GetPeers()) != 3 {
		t.Fatalf("GetRegion(h) = %v leader %v", r.Meta, r.Leader)
	}
	byID, err := cli.GetRegionByID(ctx, r.Meta.GetId())
	if err != nil || byID.Meta.GetId() != r.Meta.GetId() {
		t.Fatalf("GetRegionByID = %v, %v", byID, err)
	}
	prevR, err := cli.GetPrevRegion(ctx, codec.EncodeBytes(nil, []byte("h")))
	if err != nil || len(prevR.Meta.GetStartKey()) != 0 {
		t.Fatalf("GetPrevRegion = %v, %v", prevR, err)
	}
	scanned, err := cli.ScanRegions(ctx, codec.EncodeBytes(nil, []byte("a")), codec.EncodeBytes(nil, []byte("q")), 128) //nolint:staticcheck
	if err != nil || len(scanned) != 3 {
		t.Fatalf("ScanRegions = %d regions, %v", len(scanned), err)
	}
	batch, err := cli.BatchScanRegions(ctx, []router.KeyRange{{StartKey: codec.EncodeBytes(nil, []byte("h")), EndKey: codec.EncodeBytes(nil, []byte("i"))}}, 10)
	if err != nil || len(batch) != 1 {
		t.Fatalf("BatchScanRegions = %d regions, %v", len(batch), err)
	}

	// Scatter moves the leader and leaves a finished operator.
	oldLeader := r.Leader.GetStoreId()
	resp, err := cli.ScatterRegions(ctx, []uint64{r.Meta.GetId()})
	if err != nil || resp.GetHeader().GetError() != nil || resp.GetFinishedPercentage() != 100 {
		t.Fatalf("ScatterRegions = %v, %v", resp, err)
	}
	after, _ := c.RegionByID(r.Meta.GetId())
	if after.Leader.GetStoreId() == oldLeader {
		t.Errorf("scatter did not move the leader off store %d", oldLeader)
	}
	op, err := cli.GetOperator(ctx, r.Meta.GetId())
	if err != nil || op.GetStatus() != pdpb.OperatorStatus_SUCCESS || string(op.GetDesc()) != "scatter-region" {
		t.Fatalf("GetOperator = %v, %v", op, err)
	}
	op, err = cli.GetOperator(ctx, prevR.Meta.GetId())
	if err != nil || op.GetHeader().GetError().GetType() != pdpb.ErrorType_REGION_NOT_FOUND {
		t.Fatalf("GetOperator(no operator) = %v, %v", op, err)
	}
	// Injected slow scatter: RUNNING for two polls.
	c.Faults().Inject(Fault{RPC: RPCScatterRegion, Kind: FaultScatterRunning, Count: 1, Polls: 2})
	if err := cli.ScatterRegion(ctx, prevR.Meta.GetId()); err != nil { //nolint:staticcheck
		t.Fatal(err)
	}
	var statuses []pdpb.OperatorStatus
	for range 3 {
		op, err := cli.GetOperator(ctx, prevR.Meta.GetId())
		if err != nil {
			t.Fatal(err)
		}
		statuses = append(statuses, op.GetStatus())
	}
	if fmt.Sprint(statuses) != "[RUNNING RUNNING SUCCESS]" {
		t.Fatalf("operator statuses %v", statuses)
	}

	// Service GC safe points.
	minSP, err := cli.UpdateServiceGCSafePoint(ctx, "lightning", 60, 100) //nolint:staticcheck
	if err != nil || minSP != 100 {
		t.Fatalf("UpdateServiceGCSafePoint = %d, %v", minSP, err)
	}
	if got := c.PDState().ServiceSafePoints["lightning"]; got != 100 {
		t.Fatalf("service safe point %d", got)
	}
	if _, err := cli.UpdateServiceGCSafePoint(ctx, "lightning", 0, 100); err != nil { //nolint:staticcheck
		t.Fatal(err)
	}
	if _, ok := c.PDState().ServiceSafePoints["lightning"]; ok {
		t.Fatal("TTL 0 did not remove the service safe point")
	}
}

func TestRestartKeepsDataAndRegions(t *testing.T) {
	dir := t.TempDir()
	ctx := testCtx(t)
	c, err := StartKV(ctx, Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	conns := dialStores(t, c)
	split(t, ctx, conns, c.RegionByRawKey(nil), "m")
	r := c.RegionByRawKey([]byte("a"))
	metas := writeAll(t, ctx, conns, r, []kvPair{{"a", "1"}, {"b", "2"}})
	if resp, err := conns[r.Leader.StoreId].importer.MultiIngest(ctx, &import_sstpb.MultiIngestRequest{Context: regionCtx(r), Ssts: metas}); err != nil || resp.GetError() != nil {
		t.Fatalf("MultiIngest: %v %v", err, resp.GetError())
	}
	cli := newPDClient(t, c)
	p, l, err := cli.GetTS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before := uint64(p)<<logicalBits | uint64(l)
	regionsBefore := fmt.Sprint(c.Regions())
	clusterID := c.ClusterID()
	cli.Close()
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}

	c2 := startCluster(t, dir)
	if got := fmt.Sprint(c2.Regions()); got != regionsBefore {
		t.Fatalf("regions after restart:\n%s\nwant\n%s", got, regionsBefore)
	}
	if c2.ClusterID() != clusterID {
		t.Fatalf("cluster id changed: %d -> %d", clusterID, c2.ClusterID())
	}
	if got := scanAll(t, c2, nil, nil); fmt.Sprint(got) != "[{a 1} {b 2}]" {
		t.Fatalf("data after restart: %v", got)
	}
	cli2 := newPDClient(t, c2)
	p, l, err = cli2.GetTS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after := uint64(p)<<logicalBits | uint64(l); after <= before {
		t.Fatalf("TSO went back across restart: %d <= %d", after, before)
	}
}

func TestPDHTTP(t *testing.T) {
	c := startCluster(t, "")
	base := "http://" + c.PDAddress() + "/pd/api/v1"
	do := func(method, path string, body any) (int, []byte) {
		t.Helper()
		var rd *bytes.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		} else {
			rd = bytes.NewReader(nil)
		}
		req, err := http.NewRequestWithContext(testCtx(t), method, base+path, rd)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(resp.Body)
		return resp.StatusCode, buf.Bytes()
	}
	code, body := do("GET", "/version", nil)
	if code != 200 || !strings.Contains(string(body), sandboxVersion) {
		t.Fatalf("version: %d %s", code, body)
	}
	if code, _ := do("POST", "/schedulers/balance-leader-scheduler", map[string]int{"delay": 300}); code != 200 {
		t.Fatalf("pause: %d", code)
	}
	code, body = do("GET", "/schedulers?status=paused", nil)
	if code != 200 || !strings.Contains(string(body), "balance-leader-scheduler") {
		t.Fatalf("paused list: %d %s", code, body)
	}
	if code, _ := do("POST", "/config", map[string]any{"merge-schedule-limit": 0}); code != 200 {
		t.Fatalf("config: %d", code)
	}
	rule := map[string]any{"id": "lightning/t1", "labels": []map[string]string{{"key": "schedule", "value": "deny"}}, "rule_type": "key-range"}
	if code, _ := do("POST", "/config/region-label/rule", rule); code != 200 {
		t.Fatalf("rule: %d", code)
	}
	st := c.PDState()
	if _, ok := st.Paused["balance-leader-scheduler"]; !ok || st.ScheduleConfig["merge-schedule-limit"] != float64(0) || st.LabelRules["lightning/t1"] == nil {
		t.Fatalf("state after pause: %+v", st)
	}
	do("POST", "/schedulers/balance-leader-scheduler", map[string]int{"delay": 0})
	do("DELETE", "/config/region-label/rule/lightning%2Ft1", nil)
	st = c.PDState()
	if len(st.Paused) != 0 || len(st.LabelRules) != 0 {
		t.Fatalf("state after resume: %+v", st)
	}
	// The stores' status port serves /config.
	resp, err := http.Get("http://" + c.storeMeta(1).GetStatusAddress() + "/config")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("tikv /config: %v", err)
	}
	resp.Body.Close()
}
