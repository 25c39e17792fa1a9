package tidb

import "testing"

// TestShowTableNextRowID checks SHOW TABLE ... NEXT_ROW_ID against what TiDB
// answers: one row per allocator, the persisted base plus one (so a fresh
// table says 1, a table created with AUTO_INCREMENT=70000 says 70000, and
// the first INSERT reserves a 30000-ID batch).
func TestShowTableNextRowID(t *testing.T) {
	e := startTest(t, t.TempDir())
	e.exec(t, "CREATE DATABASE s")
	e.exec(t, "CREATE TABLE s.plain (a INT)")
	e.exec(t, "CREATE TABLE s.ai (id INT PRIMARY KEY AUTO_INCREMENT, v INT) AUTO_INCREMENT=70000")
	e.exec(t, "CREATE TABLE s.ainc (id INT AUTO_INCREMENT, v INT, KEY (id)) AUTO_ID_CACHE=1")
	e.exec(t, "CREATE TABLE s.ar (id BIGINT PRIMARY KEY AUTO_RANDOM(5), v INT)")
	e.exec(t, "CREATE TABLE s.intpk (id INT PRIMARY KEY, v INT)")
	e.exec(t, "CREATE TABLE s.ch (k VARCHAR(10) PRIMARY KEY CLUSTERED)")

	e.expect(t, "SHOW TABLE s.plain NEXT_ROW_ID", "[[s plain _tidb_rowid 1 _TIDB_ROWID]]")
	e.expect(t, "SHOW TABLE s.ai NEXT_ROW_ID", "[[s ai id 70000 _TIDB_ROWID]]")
	e.expect(t, "SHOW TABLE s.ainc NEXT_ROW_ID", "[[s ainc _tidb_rowid 1 _TIDB_ROWID] [s ainc _tidb_rowid 1 AUTO_INCREMENT]]")
	e.expect(t, "SHOW TABLE s.ar NEXT_ROW_ID", "[[s ar id 1 AUTO_RANDOM]]")
	e.expect(t, "SHOW TABLE s.intpk NEXT_ROW_ID", "[]")
	e.expect(t, "SHOW TABLE s.ch NEXT_ROW_ID", "[]")

	// Rows written through the front move the persisted base a whole
	// batch ahead, as TiDB's cached allocator does.
	e.exec(t, "INSERT INTO s.plain VALUES (1), (2), (3)")
	e.expect(t, "SHOW TABLE s.plain NEXT_ROW_ID", "[[s plain _tidb_rowid 30001 _TIDB_ROWID]]")
	e.exec(t, "INSERT INTO s.ai (v) VALUES (1)")
	e.expect(t, "SHOW TABLE s.ai NEXT_ROW_ID", "[[s ai id 100000 _TIDB_ROWID]]")
	// An explicit value past the cached batch rebases past it.
	e.exec(t, "INSERT INTO s.ai VALUES (500000, 2)")
	e.expect(t, "SHOW TABLE s.ai NEXT_ROW_ID", "[[s ai id 530001 _TIDB_ROWID]]")
	e.exec(t, "INSERT INTO s.ar (v) VALUES (1)")
	e.expect(t, "SHOW TABLE s.ar NEXT_ROW_ID", "[[s ar id 30001 AUTO_RANDOM]]")

	// An importer's rebase after ingesting rows is what the next import
	// sees; the current schema is used when the statement names none.
	e.exec(t, "ALTER TABLE s.plain AUTO_INCREMENT = 123456")
	e.exec(t, "USE s")
	e.expect(t, "SHOW TABLE plain NEXT_ROW_ID", "[[s plain _tidb_rowid 123456 _TIDB_ROWID]]")
	e.expect(t, "ADMIN SHOW s.plain NEXT_ROW_ID", "[[s plain _tidb_rowid 123456 _TIDB_ROWID]]")
	e.exec(t, "TRUNCATE TABLE s.plain")
	e.expect(t, "SHOW TABLE s.plain NEXT_ROW_ID", "[[s plain _tidb_rowid 1 _TIDB_ROWID]]")

	if _, err := e.db.Exec("SHOW TABLE s.nope NEXT_ROW_ID"); err == nil {
		t.Error("SHOW TABLE NEXT_ROW_ID of a missing table succeeded")
	}
}
