package cluster

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/pingcap/kvproto/pkg/metapb"
	pd "github.com/tikv/pd/client"
	"github.com/tikv/pd/client/opt"
	"go.uber.org/zap/zaptest"
)

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func start(t *testing.T, ctx context.Context, dir string) *Sandbox {
	t.Helper()
	s, err := Start(ctx, Options{DataDir: dir, Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	return s
}

func openDB(t *testing.T, s *Sandbox) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", "root@tcp("+s.SQLAddress()+")/")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func rows(t *testing.T, ctx context.Context, db *sql.DB, q string) []string {
	t.Helper()
	rs, err := db.QueryContext(ctx, q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rs.Close()
	var out []string
	for rs.Next() {
		var id int
		var v string
		if err := rs.Scan(&id, &v); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%d:%s", id, v))
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func getJSON(t *testing.T, ctx context.Context, url string, v any) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", url, resp.Status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: decoding %s: %v", url, body, err)
	}
}

// TestSandbox drives every endpoint the way an importer would: SQL over
// the MySQL protocol, the TiDB status API, and PD through the real PD
// client; then restarts on the same DataDir and expects the data back.
func TestSandbox(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	s := start(t, ctx, dir)

	if s.Host() != "127.0.0.1" || s.SQLPort() == 0 || s.StatusPort() == 0 || s.PDPort() == 0 {
		t.Fatalf("endpoints: host %q, ports sql %d status %d pd %d", s.Host(), s.SQLPort(), s.StatusPort(), s.PDPort())
	}
	if want := fmt.Sprintf("%s:%d", s.Host(), s.SQLPort()); s.SQLAddress() != want {
		t.Errorf("SQLAddress %q, want %q", s.SQLAddress(), want)
	}
	if want := fmt.Sprintf("%s:%d", s.Host(), s.StatusPort()); s.StatusAddress() != want {
		t.Errorf("StatusAddress %q, want %q", s.StatusAddress(), want)
	}
	if s.PDAddress() != s.Cluster().PDAddress() {
		t.Errorf("PDAddress %q, cluster's %q", s.PDAddress(), s.Cluster().PDAddress())
	}

	db := openDB(t, s)
	for _, q := range []string{
		"CREATE DATABASE shop",
		"CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(20))",
		"INSERT INTO shop.items VALUES (1, 'apple'), (2, 'pear')",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	want := []string{"1:apple", "2:pear"}
	if got := rows(t, ctx, db, "SELECT id, name FROM shop.items ORDER BY id"); !slices.Equal(got, want) {
		t.Fatalf("rows %v, want %v", got, want)
	}

	// The status API knows the table, and reports PD where Lightning
	// looks for it.
	var table struct {
		ID   int64 `json:"id"`
		Name struct {
			O string `json:"O"`
		} `json:"name"`
	}
	getJSON(t, ctx, "http://"+s.StatusAddress()+"/schema/shop/items", &table)
	if table.Name.O != "items" || table.ID <= 0 {
		t.Fatalf("status API table: %+v", table)
	}
	var settings struct {
		Path string `json:"path"`
	}
	getJSON(t, ctx, "http://"+s.StatusAddress()+"/settings", &settings)
	if settings.Path != s.PDAddress() {
		t.Errorf("/settings path %q, want PD %q", settings.Path, s.PDAddress())
	}

	// The rows live in the TiKV stores, not in a private store of the
	// front: the record range t{id}_r holds one pair per row.
	prefix := fmt.Appendf(nil, "t%s_r", tableIDBytes(table.ID))
	end := fmt.Appendf(nil, "t%s_s", tableIDBytes(table.ID))
	n := 0
	if err := s.Cluster().Scan(ctx, prefix, end, func(_, _ []byte) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("%d record pairs in the stores, want 2", n)
	}

	// PD answers the real client with the cluster's stores.
	cli, err := pd.NewClientWithContext(ctx, []string{s.PDAddress()}, pd.SecurityOption{}, opt.WithCustomTimeoutOption(5*time.Second))
	if err != nil {
		t.Fatalf("pd.NewClient: %v", err)
	}
	stores, err := cli.GetAllStores(ctx)
	cli.Close()
	if err != nil {
		t.Fatalf("GetAllStores: %v", err)
	}
	var addrs []string
	for _, st := range stores {
		if st.GetState() != metapb.StoreState_Up {
			t.Errorf("store %d is %v", st.GetId(), st.GetState())
		}
		addrs = append(addrs, st.GetAddress())
	}
	if !slices.Equal(addrs, s.Cluster().StoreAddresses()) || len(addrs) == 0 {
		t.Errorf("PD stores %v, want %v", addrs, s.Cluster().StoreAddresses())
	}

	// Restart on the same directory: catalog and rows survive.
	_ = db.Close()
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	s2 := start(t, ctx, dir)
	db2 := openDB(t, s2)
	if got := rows(t, ctx, db2, "SELECT id, name FROM shop.items ORDER BY id"); !slices.Equal(got, want) {
		t.Fatalf("after restart: rows %v, want %v", got, want)
	}
	if _, err := db2.ExecContext(ctx, "INSERT INTO shop.items VALUES (3, 'plum')"); err != nil {
		t.Fatalf("insert after restart: %v", err)
	}
	if got := rows(t, ctx, db2, "SELECT id, name FROM shop.items ORDER BY id"); !slices.Equal(got, append(want, "3:plum")) {
		t.Fatalf("after restart and insert: rows %v", got)
	}
}

// TestSandboxInMemory: without a DataDir nothing survives a restart, and
// two in-memory sandboxes run side by side on free ports.
func TestSandboxInMemory(t *testing.T) {
	ctx := testCtx(t)
	a := start(t, ctx, "")
	b := start(t, ctx, "")
	if a.SQLPort() == b.SQLPort() || a.PDPort() == b.PDPort() || a.StatusPort() == b.StatusPort() {
		t.Fatalf("two sandboxes share a port: %s %s %s / %s %s %s",
			a.SQLAddress(), a.StatusAddress(), a.PDAddress(), b.SQLAddress(), b.StatusAddress(), b.PDAddress())
	}
	if _, err := openDB(t, a).ExecContext(ctx, "CREATE DATABASE only_a"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := openDB(t, b).QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = 'only_a'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("database created on one sandbox is visible on the other")
	}
}

// TestStartPortInUse: a taken port fails Start with nothing left running,
// so the same DataDir can be started right after.
func TestStartPortInUse(t *testing.T) {
	ctx := testCtx(t)
	dir := t.TempDir()
	a := start(t, ctx, "")
	if _, err := Start(ctx, Options{DataDir: dir, SQLPort: a.SQLPort()}); err == nil {
		t.Fatal("Start on a taken SQL port succeeded")
	}
	start(t, ctx, dir)
}

// tableIDBytes is the memcomparable int64 encoding TiDB uses in keys.
func tableIDBytes(id int64) []byte {
	u := uint64(id) ^ 1<<63
	return []byte{byte(u >> 56), byte(u >> 48), byte(u >> 40), byte(u >> 32), byte(u >> 24), byte(u >> 16), byte(u >> 8), byte(u)}
}
