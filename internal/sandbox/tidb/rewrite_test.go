package tidb

import (
	"fmt"
	"hash/crc32"
	"testing"
)

// TestIfTakesWiderBranchType: TiDB types IF by both branches, so an
// integer first branch does not truncate a FLOAT/DOUBLE/DECIMAL second.
func TestIfTakesWiderBranchType(t *testing.T) {
	e := startTest(t, "")
	e.exec(t, "CREATE DATABASE w")
	e.exec(t, "CREATE TABLE w.t (id INT PRIMARY KEY, fl FLOAT, dd DOUBLE, de DECIMAL(6,4))")
	e.exec(t, "INSERT INTO w.t VALUES (1, 3.25, 2.5, 1.5), (2, 0, 0, 0), (3, NULL, NULL, NULL)")
	for q, want := range map[string]string{
		"SELECT id, IF(fl = 0, 0, fl) FROM w.t ORDER BY id":      "[[1 3.25] [2 0] [3 NULL]]",
		"SELECT id, IF(dd = 0, 0, dd) FROM w.t ORDER BY id":      "[[1 2.5] [2 0] [3 NULL]]",
		"SELECT id, IF(de = 0, 0, de) FROM w.t ORDER BY id":      "[[1 1.5000] [2 0.0000] [3 NULL]]",
		"SELECT id, IF(fl IS NULL, -1, fl) FROM w.t ORDER BY id": "[[1 3.25] [2 0] [3 -1]]",
		"SELECT id, IF(fl > 1, fl, 7) FROM w.t ORDER BY id":      "[[1 3.25] [2 7] [3 7]]",
		"SELECT id, IF(id > 1, 10, id) FROM w.t ORDER BY id":     "[[1 1] [2 10] [3 10]]",
		"SELECT id, IF(id > 1, 0, 1.25) FROM w.t ORDER BY id":    "[[1 1.25] [2 0.00] [3 0.00]]",
		"SELECT id, IF(id > 1, 0, 1.5e0) FROM w.t ORDER BY id":   "[[1 1.5] [2 0] [3 0]]",
	} {
		if got := fmt.Sprint(e.rows(t, q)); got != want {
			t.Errorf("%s = %s, want %s", q, got, want)
		}
	}
}

// TestUnreservedKeywordNames: words TiDB does not reserve (copy) work as
// unquoted schema and table names, as on TiDB.
func TestUnreservedKeywordNames(t *testing.T) {
	e := startTest(t, "")
	e.exec(t, "CREATE DATABASE copy")
	e.exec(t, "CREATE TABLE copy.t (a INT)")
	e.exec(t, "INSERT INTO copy.t VALUES (1), (2)")
	if got := fmt.Sprint(e.rows(t, "SELECT COUNT(*) FROM copy.t")); got != "[[2]]" {
		t.Fatalf("SELECT COUNT(*) FROM copy.t = %s", got)
	}
	e.exec(t, "USE copy")
	if got := fmt.Sprint(e.rows(t, "SELECT SUM(a) FROM copy.t WHERE a > 0")); got != "[[3]]" {
		t.Fatalf("SUM over copy.t = %s", got)
	}
	// A real syntax error still is one.
	if _, err := e.db.Exec("SELEC 1"); err == nil {
		t.Fatal("SELEC 1 succeeded")
	}
}

// TestCRC32OfTemporal: CRC32 hashes a date/time value's string form, the
// fraction printed to the column's precision.
func TestCRC32OfTemporal(t *testing.T) {
	e := startTest(t, "")
	e.exec(t, "SET time_zone = '+00:00'")
	e.exec(t, "CREATE DATABASE c")
	e.exec(t, "CREATE TABLE c.t (id INT PRIMARY KEY, d3 DATETIME(3), d DATETIME, dt DATE, ts TIMESTAMP(6))")
	e.exec(t, "INSERT INTO c.t VALUES (1, '2012-01-18 21:48:06.489', '2012-01-18 21:48:06', '2012-01-18', '2012-01-18 21:48:06.5'), (2, '2012-01-18 21:48:06.48', NULL, NULL, NULL)")
	crc := func(s string) string { return fmt.Sprint(crc32.ChecksumIEEE([]byte(s))) }
	want := fmt.Sprintf("[[1 %s %s %s %s] [2 %s NULL NULL NULL]]",
		crc("2012-01-18 21:48:06.489"), crc("2012-01-18 21:48:06"), crc("2012-01-18"), crc("2012-01-18 21:48:06.500000"),
		crc("2012-01-18 21:48:06.480"))
	q := "SELECT id, CRC32(d3), CRC32(d), CRC32(dt), CRC32(ts) FROM c.t ORDER BY id"
	if got := fmt.Sprint(e.rows(t, q)); got != want {
		t.Fatalf("%s = %s, want %s", q, got, want)
	}
	q = "SELECT BIT_XOR(CRC32(CONCAT_WS('#', id, CRC32(d3)))) FROM c.t"
	if rs := e.rows(t, q); len(rs) != 1 || rs[0][0] == "NULL" {
		t.Fatalf("%s = %v", q, rs)
	}
}
