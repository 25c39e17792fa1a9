package tidb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"hash/crc64"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"go.uber.org/zap/zaptest"

	"github.com/tempestdb/tempest/internal/kv"
)

type testEnv struct {
	srv *Server
	kv  *MemKV
	db  *sql.DB
}

func startTest(t *testing.T, dataDir string) *testEnv {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	mem := NewMemKV()
	srv, err := Start(ctx, Options{KV: mem, DataDir: dataDir, PDAddress: "127.0.0.1:2379", Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	db, err := sql.Open("mysql", "root:anything@tcp("+srv.SQLAddress()+")/")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1) // one session, like the acceptance checks
	t.Cleanup(func() { _ = db.Close() })
	return &testEnv{srv: srv, kv: mem, db: db}
}

func (e *testEnv) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if _, err := e.db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// rows returns every result value as text ("NULL" for NULL).
func (e *testEnv) rows(t *testing.T, q string) [][]string {
	t.Helper()
	rs, err := e.db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rs.Close()
	cols, _ := rs.Columns()
	var out [][]string
	for rs.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = "NULL"
			if v.Valid {
				row[i] = v.String
			}
		}
		out = append(out, row)
	}
	if err := rs.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

func (e *testEnv) expect(t *testing.T, q string, want string) {
	t.Helper()
	got := fmt.Sprint(e.rows(t, q))
	if got != want {
		t.Errorf("%s:\n got %s\nwant %s", q, got, want)
	}
}

func (e *testEnv) statusJSON(t *testing.T, path string, v any) {
	t.Helper()
	resp, err := http.Get("http://" + e.srv.StatusAddress() + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, body)
	}
}

func TestDDLAssignsIDs(t *testing.T) {
	e := startTest(t, t.TempDir())
	e.exec(t, "CREATE DATABASE IF NOT EXISTS shop")
	e.exec(t, "CREATE DATABASE IF NOT EXISTS shop") // idempotent
	e.exec(t, "CREATE TABLE shop.a (id BIGINT PRIMARY KEY AUTO_RANDOM(5), v VARCHAR(20), KEY iv (v)) SHARD_ROW_ID_BITS=0")
	e.exec(t, "CREATE TABLE IF NOT EXISTS shop.b (x INT, y INT, z INT, PRIMARY KEY (x, y) /*T![clustered_index] CLUSTERED */, UNIQUE KEY uz (z))")
	e.exec(t, "CREATE TABLE shop.p (a INT, b INT) PARTITION BY RANGE (a) (PARTITION p0 VALUES LESS THAN (10), PARTITION p1 VALUES LESS THAN MAXVALUE)")
	e.exec(t, "CREATE TABLE shop.c (k INT)")

	var dbs []kv.JSONDBInfo
	e.statusJSON(t, "/schema", &dbs)
	if len(dbs) != 1 || dbs[0].Name.O != "shop" || dbs[0].ID != firstUserID {
		t.Fatalf("schemas: %+v", dbs)
	}
	var a, b, p, c kv.JSONTableInfo
	e.statusJSON(t, "/schema/shop/a", &a)
	e.statusJSON(t, "/schema/shop/b", &b)
	e.statusJSON(t, "/schema/shop/p", &p)
	e.statusJSON(t, "/schema/shop/c", &c)
	if a.ID != firstUserID+1 || b.ID != a.ID+1 || p.ID != b.ID+1 {
		t.Errorf("table ids a=%d b=%d p=%d", a.ID, b.ID, p.ID)
	}
	if p.Partition == nil || len(p.Partition.Defs) != 2 || p.Partition.Defs[0].ID != p.ID+1 || p.Partition.Defs[1].ID != p.ID+2 {
		t.Fatalf("partition ids: %+v", p.Partition)
	}
	if c.ID != p.ID+3 {
		t.Errorf("table after partitioned table got id %d, want %d", c.ID, p.ID+3)
	}
	if !a.PKIsHandle || a.AutoRandomBits != 5 || !b.IsCommonHandle {
		t.Errorf("handle flags: a pk_is_handle=%v auto_random_bits=%d b common=%v", a.PKIsHandle, a.AutoRandomBits, b.IsCommonHandle)
	}
	for i, col := range b.Columns {
		if col.ID != int64(i+1) {
			t.Errorf("b column %s id %d, want %d", col.Name.O, col.ID, i+1)
		}
	}
	if len(b.Indices) != 2 || b.Indices[0].ID != 1 || b.Indices[1].ID != 2 || b.Indices[1].Name.O != "uz" {
		t.Errorf("b indices: %+v", b.Indices)
	}
	// The JSON must read back into the same model through the codec.
	raw, _ := json.Marshal(b)
	back, err := kv.TableInfoFromJSON(raw)
	if err != nil {
		t.Fatalf("TableInfoFromJSON: %v", err)
	}
	snap, _ := e.srv.b.cat.table("shop", "b")
	if back.ID != snap.Info.ID || len(back.Columns) != 3 || !back.IsCommonHandle || len(back.Indices) != 2 {
		t.Errorf("round trip lost data: %+v", back)
	}

	// IDs survive a restart through the catalog file.
	dir := t.TempDir()
	e2 := startTest(t, dir)
	e2.exec(t, "CREATE DATABASE d1")
	e2.exec(t, "CREATE TABLE d1.t (a INT)")
	if err := e2.srv.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if err := e2.srv.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	e3 := startTest(t, dir)
	e3.exec(t, "CREATE TABLE d1.u (a INT)")
	var tt, tu kv.JSONTableInfo
	e3.statusJSON(t, "/schema/d1/t", &tt)
	e3.statusJSON(t, "/schema/d1/u", &tu)
	if tu.ID != tt.ID+1 {
		t.Errorf("after restart: t=%d u=%d", tt.ID, tu.ID)
	}

	// DROP and TRUNCATE.
	e.exec(t, "DROP TABLE shop.c")
	if _, err := e.db.Exec("SELECT * FROM shop.c"); err == nil {
		t.Error("dropped table still readable")
	}
	e.exec(t, "TRUNCATE TABLE shop.a")
	var a2 kv.JSONTableInfo
	e.statusJSON(t, "/schema/shop/a", &a2)
	if a2.ID <= c.ID {
		t.Errorf("truncate kept id %d", a2.ID)
	}
}

func TestVersionVarsAndSystemTables(t *testing.T) {
	e := startTest(t, "")
	e.expect(t, "SELECT VERSION()", "[["+Version+"]]")
	got := e.rows(t, "SELECT tidb_version()")
	if len(got) != 1 || !strings.Contains(got[0][0], "Release Version: v8.5.0") {
		t.Errorf("tidb_version: %v", got)
	}
	e.expect(t, "SELECT VARIABLE_VALUE FROM mysql.tidb WHERE VARIABLE_NAME='new_collation_enabled'", "[[True]]")
	e.exec(t, "UPDATE mysql.tidb SET VARIABLE_VALUE = '100h' WHERE VARIABLE_NAME = 'tikv_gc_life_time'")
	e.exec(t, "INSERT INTO mysql.tidb (VARIABLE_NAME, VARIABLE_VALUE, COMMENT) VALUES ('tikv_gc_enable', 'false', 'x') ON DUPLICATE KEY UPDATE VARIABLE_VALUE = VALUES(VARIABLE_VALUE)")
	e.expect(t, "SELECT VARIABLE_VALUE FROM mysql.tidb WHERE VARIABLE_NAME IN ('tikv_gc_life_time', 'tikv_gc_enable') ORDER BY VARIABLE_NAME", "[[false] [100h]]")
	e.exec(t, "SET SESSION tidb_row_format_version = 2")
	e.exec(t, "SET GLOBAL tidb_enable_clustered_index = 'INT_ONLY'")
	e.exec(t, "SET @@session.some_tidb_var_nobody_knows = 1")
	e.exec(t, "SET NAMES utf8mb4")
	e.expect(t, "SELECT @@tidb_row_format_version", "[[2]]")

	var st map[string]any
	e.statusJSON(t, "/status", &st)
	if st["version"] != Version {
		t.Errorf("/status: %v", st)
	}
	var set map[string]any
	e.statusJSON(t, "/settings", &set)
	if set["path"] != "127.0.0.1:2379" || set["status-port"] == nil || set["port"] == nil {
		t.Errorf("/settings: %v", set)
	}
}

func TestInsertSelectChecksum(t *testing.T) {
	e := startTest(t, "")
	e.exec(t, "CREATE DATABASE test")
	e.exec(t, "CREATE TABLE test.t (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(20) NOT NULL, price DECIMAL(8,2), d DATETIME, b VARBINARY(8), UNIQUE KEY un (name), KEY ip (price))")
	e.exec(t, "INSERT INTO test.t (name, price, d, b) VALUES ('apple', 1.50, '2024-01-02 03:04:05', x'0102'), ('pear', 2.25, NULL, NULL)")
	e.exec(t, "INSERT INTO test.t VALUES (10, 'fig', 9.99, '1999-12-31 23:59:59', 'zz')")
	e.expect(t, "SELECT id, name, price, d, hex(b) FROM test.t ORDER BY id",
		"[[1 apple 1.50 2024-01-02 03:04:05 0102] [2 pear 2.25 NULL NULL] [10 fig 9.99 1999-12-31 23:59:59 7A7A]]")
	e.expect(t, "SELECT count(*), sum(price) FROM test.t WHERE price > 2", "[[2 12.24]]")

	// Duplicate handling: plain INSERT fails, IGNORE skips, REPLACE swaps.
	if _, err := e.db.Exec("INSERT INTO test.t (name) VALUES ('apple')"); err == nil || !strings.Contains(err.Error(), "1062") {
		t.Errorf("duplicate insert: %v", err)
	}
	e.exec(t, "INSERT IGNORE INTO test.t (id, name) VALUES (1, 'dup')")
	e.exec(t, "REPLACE INTO test.t (id, name, price) VALUES (2, 'plum', 3.00)")
	e.expect(t, "SELECT id, name, price FROM test.t ORDER BY id", "[[1 apple 1.50] [2 plum 3.00] [10 fig 9.99]]")
	e.exec(t, "INSERT INTO test.t (name) VALUES ('next')")
	e.expect(t, "SELECT id > 10 FROM test.t WHERE name = 'next'", "[[1]]")
	e.exec(t, "ADMIN CHECK TABLE test.t")

	// ADMIN CHECKSUM TABLE against an independent CRC64 over the store.
	snap, err := e.srv.b.cat.table("test", "t")
	if err != nil {
		t.Fatal(err)
	}
	tab := crc64.MakeTable(crc64.ECMA)
	var xor, kvs, size uint64
	prefix := kv.AppendTablePrefix(nil, snap.ID)
	if err := e.kv.Scan(context.Background(), prefix, kv.AppendTablePrefix(nil, snap.ID+1), func(k, v []byte) error {
		xor ^= crc64.Checksum(append(append([]byte(nil), k...), v...), tab)
		kvs++
		size += uint64(len(k) + len(v))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if kvs != 4*3 { // 4 rows x (record + unique + secondary index)
		t.Errorf("kv count %d", kvs)
	}
	e.expect(t, "ADMIN CHECKSUM TABLE test.t", fmt.Sprintf("[[test t %d %d %d]]", xor, kvs, size))

	// _tidb_rowid on a table with an implicit handle.
	e.exec(t, "CREATE TABLE test.r (pk VARCHAR(10))")
	e.exec(t, "INSERT INTO test.r VALUES ('one'), ('two')")
	e.exec(t, "INSERT INTO test.r (pk, _tidb_rowid) VALUES ('five', 5)")
	e.expect(t, "SELECT * FROM test.r WHERE pk = 'two'", "[[two]]")
	e.expect(t, "SELECT _tidb_rowid FROM test.r WHERE pk = 'five'", "[[5]]")
	e.expect(t, "SELECT count(*), min(_tidb_rowid) FROM test.r", "[[3 1]]")
}

func TestShowCreateAndAutoIncrement(t *testing.T) {
	e := startTest(t, "")
	e.exec(t, "CREATE DATABASE s")
	e.exec(t, "USE s")
	e.exec(t, "CREATE TABLE t (id INT NOT NULL AUTO_INCREMENT, v VARCHAR(10) DEFAULT 'x', PRIMARY KEY (id) /*T![clustered_index] NONCLUSTERED */) CHARSET=utf8mb4")
	e.exec(t, "ALTER TABLE s.t AUTO_INCREMENT = 5000")
	got := e.rows(t, "SHOW CREATE TABLE s.t")
	if len(got) != 1 || got[0][0] != "t" {
		t.Fatalf("SHOW CREATE TABLE: %v", got)
	}
	text := got[0][1]
	if !strings.Contains(text, "AUTO_INCREMENT=5000") || !strings.Contains(text, "NONCLUSTERED") {
		t.Errorf("SHOW CREATE TABLE lacks rebase or clustering:\n%s", text)
	}
	// Round trip: the text re-creates the same table model.
	e.exec(t, "CREATE DATABASE s2")
	e.exec(t, "USE s2")
	e.exec(t, text)
	a, _ := e.srv.b.cat.table("s", "t")
	b, _ := e.srv.b.cat.table("s2", "t")
	ja, _ := json.Marshal(tableJSON(a))
	jb, _ := json.Marshal(tableJSON(b))
	norm := func(s string) string {
		var m map[string]any
		_ = json.Unmarshal([]byte(s), &m)
		delete(m, "id")
		out, _ := json.Marshal(m)
		return string(out)
	}
	if norm(string(ja)) != norm(string(jb)) {
		t.Errorf("SHOW CREATE TABLE does not round-trip:\n%s\n%s", ja, jb)
	}
	e.expect(t, "SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = 's' AND TABLE_NAME = 't'", "[[5000]]")
	e.exec(t, "INSERT INTO s.t (v) VALUES ('new')")
	e.expect(t, "SELECT id, v FROM s.t", "[[5000 new]]")
	e.exec(t, "INSERT INTO s.t (id) VALUES (7)")
	e.expect(t, "SELECT id, v FROM s.t ORDER BY id", "[[7 x] [5000 new]]")
	e.expect(t, "SELECT table_name FROM information_schema.tables WHERE table_schema = 's' ORDER BY table_name", "[[t]]")
	e.expect(t, "SELECT column_name, column_type, is_nullable, column_default, extra FROM information_schema.columns WHERE table_schema = 's' AND table_name = 't' ORDER BY ordinal_position",
		"[[id int(11) NO NULL auto_increment] [v varchar(10) YES x ]]")
	e.expect(t, "SELECT c.data_type, c.column_key FROM information_schema.columns AS c WHERE c.table_schema = 's' AND c.column_name = 'id'", "[[int PRI]]")
	e.expect(t, "SELECT index_name, non_unique, column_name FROM information_schema.statistics WHERE table_schema = 's' AND table_name = 't'", "[[PRIMARY 0 id]]")
}
