package tidb

import (
	"context"
	"database/sql"
	"net"
	"strconv"
	"strings"
	"testing"

	vtmysql "github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/vt/vttls"

	"github.com/tempestdb/tempest/internal/kv"
)

// TestTiDBCompat runs the kinds of statements the acceptance checks and an
// importer send, each with the answer TiDB gives.
func TestTiDBCompat(t *testing.T) {
	e := startTest(t, "")
	for _, q := range []string{
		"CREATE DATABASE vt",
		"CREATE TABLE vt.ar (id BIGINT PRIMARY KEY AUTO_RANDOM, v INT)",
		"INSERT INTO vt.ar VALUES ()",
		"INSERT INTO vt.ar (v) VALUES (1), (2)",
		"CREATE TABLE vt.s (a INT, b INT) SHARD_ROW_ID_BITS=4",
		"INSERT INTO vt.s VALUES (1, 2), (3, 4)",
		"CREATE TABLE vt.g (id INT PRIMARY KEY, id_plus_1 INT AS (id + 1) VIRTUAL, id_plus_2 INT AS (id + 2) STORED, KEY k (id_plus_1))",
		"INSERT INTO vt.g (id) VALUES (30), (40)",
		"CREATE TABLE vt.es (pk INT PRIMARY KEY, `enum` ENUM('a','g99','gcc'), `set` SET('x50','y','z'), js JSON, bt BIT(8), t TIME, y YEAR, d DECIMAL(6,4))",
		"INSERT INTO vt.es VALUES (1, 'g99', 'x50,z', '[1,2,3]', b'101', '12:34:56', 2024, -1.5), (2, 'a', '', '{}', 0b10, '-01:00:00', 1999, 2.25)",
		"CREATE ALGORITHM=UNDEFINED DEFINER=`root`@`192.168.198.178` SQL SECURITY DEFINER VIEW `vt`.`v1` AS SELECT `id` AS `i` FROM `vt`.`g`",
		"CREATE TABLE vt.p (a INT) PARTITION BY HASH(a) PARTITIONS 3",
		"INSERT INTO vt.p VALUES (1), (2), (3), (4)",
		"CREATE TABLE vt.d (a INT NOT NULL DEFAULT 5, b VARCHAR(5) NOT NULL, c DATETIME DEFAULT CURRENT_TIMESTAMP, n INT DEFAULT 7)",
		"INSERT INTO vt.d (b) VALUES ('q')",
		"INSERT INTO vt.d VALUES (1, 'w', NULL, NULL)",
		"UPDATE vt.d SET n = 9 WHERE a = 1",
		"SET SESSION sql_mode = 'ONLY_FULL_GROUP_BY,NO_AUTO_CREATE_USER'",
		"SET @@session.allow_auto_random_explicit_insert = 1, @@session.tidb_opt_write_row_id = 1",
		"SET autocommit = 1",
		"BEGIN",
		"COMMIT",
		"ANALYZE TABLE vt.g",
		"ADMIN CHECK TABLE vt.g",
		"ADMIN CHECK TABLE vt.es",
		"CREATE DATABASE vt2",
		"CREATE TABLE vt2.u (id BIGINT UNSIGNED PRIMARY KEY)",
		"INSERT INTO vt2.u VALUES (12682136550675316737), (3)",
		"CREATE TABLE vt2.explicit_tidb_rowid (pk VARCHAR(6) PRIMARY KEY)",
		"INSERT INTO vt2.explicit_tidb_rowid VALUES ('one')",
		"CREATE TABLE vt2.l (id INT PRIMARY KEY, c VARCHAR(4) CHARSET latin1 NOT NULL)",
		"INSERT INTO vt2.l VALUES (1, 'ð'), (2, 'ab'), (3, x'99')",
		"CREATE TABLE vt2.dt (id INT PRIMARY KEY, uk DATETIME(3))",
		"INSERT INTO vt2.dt VALUES (1, '2036-10-14 10:48:28.62'), (2, '2036-10-14 10:48:28')",
		"CREATE USER IF NOT EXISTS 'root'@'192.168.198.178'",
		"GRANT ALL PRIVILEGES ON *.* TO 'root'@'192.168.198.178'",
	} {
		e.exec(t, q)
	}
	for _, c := range []struct{ q, want string }{
		{"SELECT count(DISTINCT id >> 58) > 0 FROM vt.ar", "[[1]]"},
		{"SELECT id & b'000001111111111111111111111111111111111111111111111111111111111' AS inc FROM vt.ar ORDER BY inc", "[[1] [2] [3]]"},
		// Bit operations are exact on all 64 bits (no float64 detour).
		{"SELECT id & b'000001111111111111111111111111111111111111111111111111111111111' AS inc, id >> 58, id & 7 FROM vt2.u ORDER BY inc", "[[1 44 1] [3 0 3]]"},
		// DATETIME(3) always prints three fractional digits.
		{"SELECT uk FROM vt2.dt ORDER BY id", "[[2036-10-14 10:48:28.620] [2036-10-14 10:48:28.000]]"},
		{"SELECT max(uk) FROM vt2.dt", "[[2036-10-14 10:48:28.620]]"},
		// latin1 text is one byte per character.
		{"SELECT c, hex(c) FROM vt2.l ORDER BY id", "[[ð F0] [ab 6162] [™ 99]]"},
		// A table name that merely contains _tidb_rowid keeps its plain
		// column list.
		{"SELECT pk, _tidb_rowid FROM vt2.explicit_tidb_rowid", "[[one 1]]"},
		{"SELECT count BETWEEN 1 AND 2 AS correct FROM (SELECT count(DISTINCT _tidb_rowid >> 59) AS count FROM vt.s) _", "[[1]]"},
		{"SELECT id, id_plus_1, id_plus_2 FROM vt.g WHERE id_plus_2 = 42", "[[40 41 42]]"},
		{"SELECT /*+ use_index(vt.g, k) */ id FROM vt.g WHERE id_plus_1 = 31", "[[30]]"},
		{"SELECT `set`, `enum`, js, bin(bt), bt + 0, t, y, d FROM vt.es ORDER BY pk", "[[x50,z g99 [1, 2, 3] 101 5 12:34:56 2024 -1.5000] [ a {} 10 2 -01:00:00 1999 2.2500]]"},
		{"SELECT pk FROM vt.es WHERE bt = 0b10", "[[2]]"},
		{"SELECT count(*) FROM vt.es WHERE find_in_set('x50', `set`) > 0", "[[1]]"},
		{"SELECT pk FROM vt.es WHERE js = json_array(1, 2, 3)", "[[1]]"},
		{"SELECT sum(d), avg(pk), sum(pk), sum(crc32('abc')) FROM vt.es", "[[0.7500 1.5000 3 1783137156]]"},
		{"SELECT group_concat(pk ORDER BY pk) FROM vt.es", "[[1,2]]"},
		{"SELECT count(*), sum(i) FROM vt.v1", "[[2 70]]"},
		{"SELECT count(1), sum(a) FROM vt.p", "[[4 10]]"},
		{"SELECT create_options FROM information_schema.tables WHERE table_schema = 'vt' AND table_name IN ('p', 'g') ORDER BY table_name", "[[] [partitioned]]"},
		{"SELECT a, b, c IS NOT NULL, n FROM vt.d ORDER BY a", "[[1 w 0 9] [5 q 1 7]]"},
		{"SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'vt'", "[[1]]"},
		{"SELECT table_name FROM information_schema.tables WHERE table_schema = 'vt' AND table_type = 'BASE TABLE' ORDER BY table_name", "[[ar] [d] [es] [g] [p] [s]]"},
		{"SELECT @@tidb_enable_clustered_index, @@version", "[[INT_ONLY " + Version + "]]"},
		{"SHOW VARIABLES LIKE 'tidb_row_format_version'", "[[tidb_row_format_version 2]]"},
	} {
		e.expect(t, c.q, c.want)
	}
	got := e.rows(t, "SHOW CREATE TABLE vt.p")
	if len(got) != 1 || !strings.Contains(got[0][1], "PARTITION BY HASH") {
		t.Errorf("SHOW CREATE TABLE vt.p: %v", got)
	}
	// A fresh table starts at the rebased value ...
	e.exec(t, "CREATE TABLE vt.ar2 (id BIGINT PRIMARY KEY AUTO_RANDOM(5), v INT)")
	e.exec(t, "ALTER TABLE vt.ar2 AUTO_RANDOM_BASE = 100")
	got = e.rows(t, "SHOW CREATE TABLE vt.ar2")
	if len(got) != 1 || !strings.Contains(got[0][1], "AUTO_RANDOM_BASE=100") || !strings.Contains(got[0][1], "AUTO_RANDOM(5)") {
		t.Errorf("SHOW CREATE TABLE vt.ar2: %v", got)
	}
	e.exec(t, "INSERT INTO vt.ar2 (v) VALUES (9)")
	e.expect(t, "SELECT id & b'000001111111111111111111111111111111111111111111111111111111111' FROM vt.ar2", "[[100]]")
	// ... while on a table whose allocator already reserved a window, the
	// rebase cannot go back and the next value comes after the window, as
	// on TiDB (AUTO_ID_CACHE 30000).
	e.exec(t, "ALTER TABLE vt.ar AUTO_RANDOM_BASE = 100")
	e.exec(t, "INSERT INTO vt.ar (v) VALUES (9)")
	e.expect(t, "SELECT id & b'000001111111111111111111111111111111111111111111111111111111111' FROM vt.ar WHERE v = 9", "[[30001]]")
	e.exec(t, "DROP DATABASE vt")
	e.exec(t, "DROP DATABASE vt2")
	e.expect(t, "SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'vt'", "[[0]]")
	if n := e.kv.Len(); n != 0 {
		t.Errorf("DROP DATABASE left %d keys", n)
	}
}

func TestClusteredIndexVariable(t *testing.T) {
	e := startTest(t, "")
	e.exec(t, "CREATE DATABASE ci")
	e.exec(t, "SET GLOBAL tidb_enable_clustered_index = 'OFF'")
	t.Cleanup(func() { e.exec(t, "SET GLOBAL tidb_enable_clustered_index = 'INT_ONLY'") })
	e.exec(t, "CREATE TABLE ci.off (id INT PRIMARY KEY, v INT)")
	e.exec(t, "SET GLOBAL tidb_enable_clustered_index = 'ON'")
	e.exec(t, "CREATE TABLE ci.on (a VARCHAR(5), b INT, PRIMARY KEY (a, b))")
	e.exec(t, "CREATE TABLE ci.explicit (id INT PRIMARY KEY NONCLUSTERED)")
	var off, on, explicit kv.JSONTableInfo
	e.statusJSON(t, "/schema/ci/off", &off)
	e.statusJSON(t, "/schema/ci/on", &on)
	e.statusJSON(t, "/schema/ci/explicit", &explicit)
	if off.PKIsHandle || !on.IsCommonHandle || explicit.PKIsHandle {
		t.Errorf("off pk_is_handle=%v, on common=%v, explicit pk_is_handle=%v", off.PKIsHandle, on.IsCommonHandle, explicit.PKIsHandle)
	}
}

func TestFormatFloat(t *testing.T) {
	for _, c := range []struct {
		v    float64
		bits int
		want string
	}{
		{891568578, 64, "891568578"},
		{1e20, 64, "1e20"},
		{2.5e100, 64, "2.5e100"},
		{9.85967654375977e-305, 64, "9.85967654375977e-305"},
		{1.0142320547350045e304, 64, "1.0142320547350045e304"},
		{0.001, 64, "0.001"},
		{1.5, 32, "1.5"},
		{-123456789012345, 64, "-123456789012345"},
	} {
		if got := formatFloat(c.v, c.bits); got != c.want {
			t.Errorf("formatFloat(%v) = %s, want %s", c.v, got, c.want)
		}
	}
}

// TestAutoRandomAfterLogicalImport replays lightning_alter_random with the
// logical backend: explicit AUTO_RANDOM values, the importer's rebase, and
// an INSERT that must get TiDB's next value (30002).
func TestAutoRandomAfterLogicalImport(t *testing.T) {
	e := startTest(t, "")
	e.exec(t, "CREATE DATABASE alter_random")
	e.exec(t, "CREATE TABLE alter_random.t (id BIGINT PRIMARY KEY AUTO_RANDOM, v INT)")
	e.exec(t, "SET @@session.allow_auto_random_explicit_insert = 1")
	e.exec(t, "INSERT INTO alter_random.t (id, v) VALUES (5764607523034234881, 1), (7493989779944505347, 3), (8646911284551352322, 2)")
	e.exec(t, "ALTER TABLE alter_random.t AUTO_RANDOM_BASE = 4")
	e.exec(t, "INSERT INTO alter_random.t VALUES ()")
	e.expect(t, "SELECT id & b'000001111111111111111111111111111111111111111111111111111111111' AS inc FROM alter_random.t ORDER BY inc", "[[1] [2] [3] [30002]]")
}

func TestPreparedAndMultiStatements(t *testing.T) {
	e := startTest(t, "")
	e.exec(t, "CREATE DATABASE ps")
	e.exec(t, "CREATE TABLE ps.t (k VARCHAR(10), v DOUBLE)")
	e.exec(t, "INSERT INTO ps.t (k, v, _tidb_rowid) VALUES (?, ?, ?), (?, ?, ?)", "a", 1.5, 7, "b", 1e20, 8)
	var rowid int64
	if err := e.db.QueryRow("SELECT _tidb_rowid FROM ps.t WHERE k = ?", "b").Scan(&rowid); err != nil || rowid != 8 {
		t.Errorf("prepared _tidb_rowid: %d %v", rowid, err)
	}
	var v float64
	if err := e.db.QueryRow("SELECT v FROM ps.t WHERE k = ?", "b").Scan(&v); err != nil || v != 1e20 {
		t.Errorf("prepared double: %v %v", v, err)
	}

	db, err := sql.Open("mysql", "root@tcp("+e.srv.SQLAddress()+")/?multiStatements=true")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE ps.u (a INT); INSERT INTO ps.u VALUES (1), (2); SET @@session.tidb_some_unknown_var = 1; ADMIN CHECK TABLE ps.u"); err != nil {
		t.Fatalf("multi-statement: %v", err)
	}
	e.expect(t, "SELECT sum(a) FROM ps.u", "[[3]]")
}

// TestRowIDOnFirstStatement names _tidb_rowid in the very first statement
// of new connections: the engine creates sessions lazily, and the column
// must be visible all the same.
func TestRowIDOnFirstStatement(t *testing.T) {
	e := startTest(t, "")
	e.exec(t, "CREATE DATABASE r")
	e.exec(t, "CREATE TABLE r.t (pk CHAR(36) NOT NULL PRIMARY KEY, id INT NOT NULL AUTO_INCREMENT UNIQUE)")
	e.exec(t, "INSERT INTO r.t VALUES ('a', 1), ('b', 3)")
	for i := 0; i < 2; i++ {
		db, err := sql.Open("mysql", "root@tcp("+e.srv.SQLAddress()+")/")
		if err != nil {
			t.Fatal(err)
		}
		var n, maxID, minRow, maxRow int64
		err = db.QueryRow("SELECT count(*), max(id), min(_tidb_rowid), max(_tidb_rowid) FROM r.t").Scan(&n, &maxID, &minRow, &maxRow)
		_ = db.Close()
		if err != nil {
			t.Fatalf("first statement of connection %d: %v", i, err)
		}
		if n != 2 || maxID != 3 || minRow != 1 || maxRow != 2 {
			t.Errorf("got %d %d %d %d, want 2 3 1 2", n, maxID, minRow, maxRow)
		}
	}
}

// TestMultiStatementClientGetsRewrites queries like the mysql CLI, whose
// CLIENT_MULTI_STATEMENTS capability routes every query through the
// multi-statement path: the answers must be the same as on the plain path.
func TestMultiStatementClientGetsRewrites(t *testing.T) {
	e := startTest(t, "")
	host, portText, err := net.SplitHostPort(e.srv.SQLAddress())
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := vtmysql.Connect(context.Background(), &vtmysql.ConnParams{Host: host, Port: port, Uname: "root", SslMode: vttls.Disabled,
		Flags: vtmysql.CapabilityClientMultiStatements})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	res, err := conn.ExecuteFetch("SELECT 0b10 + 0, 1e20 + 0", 10, false)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range res.Rows[0] {
		got = append(got, v.ToString())
	}
	if strings.Join(got, " ") != "2 1e20" {
		t.Errorf("got %q, want [2 1e20]", got)
	}
}
