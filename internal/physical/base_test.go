package physical

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/parser"
	"github.com/tempestdb/tempest/internal/taskinfo"
)

// chunkSpec is one chunk for encodeRows.
type chunkSpec struct {
	path    string
	cols    []string
	rows    [][]parser.Field
	firstID int64 // row ID of the first row
	offset  int64 // offset of the first row; each row is 10 bytes
}

// encodeRows encodes a chunk with cfg (Table is filled in) into ref's
// engine, flushing after every row so that records are written batch by
// batch as in a long chunk.
func (e *testEnv) encodeRows(t *testing.T, ref EngineRef, cfg EncoderConfig, c chunkSpec) (ChunkResult, error) {
	t.Helper()
	ctx := context.Background()
	tbl, err := TableInfo(ctx, e.cfg, ref.DB, ref.Table)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := e.phys.OpenEngine(e.cfg, ref)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Table, cfg.Path = tbl, c.path
	if cfg.Timestamp.IsZero() {
		cfg.Timestamp = time.Unix(1700000000, 0)
	}
	enc, err := NewChunkEncoder(eng, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range c.rows {
		row := parser.Row{RowID: c.firstID + int64(i), Offset: c.offset + int64(i+1)*10, Fields: f}
		if _, err := enc.Append(c.cols, row); err != nil {
			enc.Abort()
			return ChunkResult{}, err
		}
		if _, _, err := enc.Flush(ctx); err != nil {
			enc.Abort()
			return ChunkResult{}, err
		}
	}
	return enc.Close(ctx)
}

// interpolatingDB is a pool on the front like the importer's (client-side
// parameter interpolation).
func (e *testEnv) interpolatingDB(t *testing.T) *sql.DB {
	t.Helper()
	c := mysql.NewConfig()
	c.Net, c.Addr, c.User, c.InterpolateParams = "tcp", e.srv.SQLAddress(), "root", true
	db, err := sql.Open("mysql", c.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// TestTypeErrorsRecordedOnceAndBudgeted: under strict sql-mode rows whose
// values do not fit are skipped and recorded in type_error_v1 with the
// logical backend's columns; a retried chunk attempt records nothing new
// and is not counted twice; the task's budget spans chunks; exceeding it
// fails naming table, file, offset and reason.
func TestTypeErrorsRecordedOnceAndBudgeted(t *testing.T) {
	env := startEnv(t)
	ctx := context.Background()
	db := env.interpolatingDB(t)
	const schemaName = "ti_phys"
	for _, stmt := range taskinfo.DDL(schemaName) {
		env.exec(t, stmt)
	}
	env.exec(t, "CREATE DATABASE p")
	env.exec(t, "CREATE TABLE p.te (id INT PRIMARY KEY, n TINYINT, d DATE)")
	ref := EngineRef{TaskID: "te", DB: "p", Table: "te"}
	log := &TypeErrorLog{DB: db, Schema: schemaName, TaskID: 42}
	cfg := EncoderConfig{SQLMode: "STRICT_TRANS_TABLES", MaxTypeErrors: 2, Errors: log, QualifiedName: "`p`.`te`"}
	cols := []string{"id", "n", "d"}
	chunk1 := chunkSpec{path: "p.te.000000001.sql", cols: cols, firstID: 1, rows: [][]parser.Field{
		{numField(1), numField(10), strField("2024-01-01")},
		{numField(2), numField(1000), strField("2024-01-02")}, // TINYINT overflow
		{numField(3), numField(30), strField("2024-01-03")},
		{numField(4), numField(40), strField("2024-13-45")}, // no such date
		{numField(5), numField(50), strField("2024-01-05")},
	}}
	count := func() int64 {
		n, err := taskinfo.CountTypeErrors(ctx, db, schemaName, 42)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	first, err := env.encodeRows(t, ref, cfg, chunk1)
	if err != nil {
		t.Fatalf("chunk with 2 bad rows under max-error.type = 2: %v", err)
	}
	if first.Rows != 3 || first.TypeErrors != 2 {
		t.Fatalf("encoded %d rows with %d type errors, want 3 and 2", first.Rows, first.TypeErrors)
	}
	if n := count(); n != 2 {
		t.Fatalf("type_error_v1 holds %d rows, want 2", n)
	}
	// The records carry the logical backend's columns.
	rows, err := db.Query("SELECT `table_name`, `path`, `offset`, `error`, `row_data` FROM " + schemaName + ".type_error_v1 WHERE `task_id` = 42 ORDER BY `offset`")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var tbl, path, msg, data string
		var off int64
		if err := rows.Scan(&tbl, &path, &off, &msg, &data); err != nil {
			t.Fatal(err)
		}
		if tbl != "`p`.`te`" || path != chunk1.path || msg == "" {
			t.Errorf("record (%q, %q, %d, %q)", tbl, path, off, msg)
		}
		got = append(got, data)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"(2,1000,'2024-01-02')", "(4,40,'2024-13-45')"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("row_data = %q, want %q", got, want)
	}

	// A retried attempt re-encodes the chunk from its start: same result,
	// no new records, the budget not spent twice.
	again, err := env.encodeRows(t, ref, cfg, chunk1)
	if err != nil {
		t.Fatalf("retried attempt: %v", err)
	}
	if again != first {
		t.Fatalf("retried attempt's result %+v differs from the first %+v", again, first)
	}
	if n := count(); n != 2 {
		t.Fatalf("after a retry type_error_v1 holds %d rows, want still 2", n)
	}

	// Another chunk's bad row is the task's third: over the budget, the
	// chunk fails naming what was rejected.
	chunk2 := chunkSpec{path: "p.te.000000002.sql", cols: cols, firstID: 6, offset: 1000, rows: [][]parser.Field{
		{numField(6), numField(60), strField("2024-01-06")},
		{numField(7), strField("seven"), strField("2024-01-07")},
	}}
	_, err = env.encodeRows(t, EngineRef{TaskID: "te", DB: "p", Table: "te", Generation: 1}, cfg, chunk2)
	if !errors.Is(err, ErrTypeErrorsExceeded) {
		t.Fatalf("third bad row of the task: want ErrTypeErrorsExceeded, got %v", err)
	}
	for _, want := range []string{"`p`.`te`", chunk2.path, "offset 1020", "max-error.type"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}

	// Without recording, the chunk's own count is the budget, and the
	// row over it fails at once.
	cfg.Errors, cfg.MaxTypeErrors = nil, 1
	_, err = env.encodeRows(t, EngineRef{TaskID: "te", DB: "p", Table: "te", Generation: 2}, cfg, chunk1)
	if !errors.Is(err, ErrTypeErrorsExceeded) || !strings.Contains(err.Error(), "offset 40") || !strings.Contains(err.Error(), chunk1.path) {
		t.Fatalf("second bad row under max-error.type = 1: want ErrTypeErrorsExceeded at offset 40 of %s, got %v", chunk1.path, err)
	}
}

// TestTimestampsReadInTargetZone: TIMESTAMP literals are wall clock in the
// target's session zone (read with TargetTimeZone), not in the worker's.
func TestTimestampsReadInTargetZone(t *testing.T) {
	env := startEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// A zone that is not this machine's.
	zone := "+05:30"
	if _, off := time.Now().Zone(); off == 5*3600+1800 {
		zone = "-03:00"
	}
	conn, err := env.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SET time_zone = '"+zone+"'"); err != nil {
		t.Fatal(err)
	}
	one := env.interpolatingDB(t)
	one.SetMaxOpenConns(1)
	if _, err := one.ExecContext(ctx, "SET time_zone = '"+zone+"'"); err != nil {
		t.Fatal(err)
	}
	got, err := TargetTimeZone(ctx, one)
	if err != nil {
		t.Fatal(err)
	}
	if got != zone {
		t.Fatalf("TargetTimeZone = %q, want %q", got, zone)
	}
	loc, err := ParseTimeZone(got)
	if err != nil {
		t.Fatal(err)
	}

	env.exec(t, "CREATE DATABASE p")
	env.exec(t, "CREATE TABLE p.ts (id INT PRIMARY KEY, t TIMESTAMP NULL, dt DATETIME NULL)")
	ref := EngineRef{TaskID: "ts", DB: "p", Table: "ts"}
	res, err := env.encodeRows(t, ref, EncoderConfig{Session: Session{TimeZone: got}}, chunkSpec{path: "p.ts.sql", cols: []string{"id", "t", "dt"}, firstID: 1,
		rows: [][]parser.Field{{numField(1), strField("2020-01-01 08:00:00"), strField("2020-01-01 08:00:00")}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.phys.ImportEngine(ctx, env.cfg, ref, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := PostProcess(ctx, env.db, env.cfg, "p", "ts", TableSummary{Checksum: res.Checksum}, env.logger); err != nil {
		t.Fatal(err)
	}
	read := func(q string) string {
		var s string
		if err := conn.QueryRowContext(ctx, q).Scan(&s); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return s
	}
	// In the target's zone the value reads back as written; in UTC it is
	// the instant it names. DATETIME has no zone.
	if got := read("SELECT CAST(t AS CHAR) FROM p.ts WHERE id = 1"); got != "2020-01-01 08:00:00" {
		t.Errorf("TIMESTAMP in the target zone %s = %q, want 2020-01-01 08:00:00", zone, got)
	}
	if _, err := conn.ExecContext(ctx, "SET time_zone = '+00:00'"); err != nil {
		t.Fatal(err)
	}
	want := time.Date(2020, 1, 1, 8, 0, 0, 0, loc).UTC().Format(time.DateTime)
	if got := read("SELECT CAST(t AS CHAR) FROM p.ts WHERE id = 1"); got != want {
		t.Errorf("TIMESTAMP in UTC = %q, want %q", got, want)
	}
	if got := read("SELECT CAST(dt AS CHAR) FROM p.ts WHERE id = 1"); got != "2020-01-01 08:00:00" {
		t.Errorf("DATETIME = %q, want 2020-01-01 08:00:00", got)
	}
}

func TestParseTimeZone(t *testing.T) {
	for _, c := range []struct {
		in   string
		off  int // seconds east of UTC in January 2020
		fail bool
	}{
		{in: "+08:00", off: 8 * 3600}, {in: "-3:30", off: -(3*3600 + 1800)}, {in: "UTC"}, {in: ""},
		{in: "Asia/Kolkata", off: 5*3600 + 1800}, {in: "America/New_York", off: -5 * 3600},
		{in: "SYSTEM", fail: true}, {in: "Local", fail: true}, {in: "CST", fail: true}, {in: "+25:00", fail: true}, {in: "+08", fail: true},
	} {
		loc, err := ParseTimeZone(c.in)
		if c.fail {
			if err == nil {
				t.Errorf("ParseTimeZone(%q) = %v, want an error", c.in, loc)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseTimeZone(%q): %v", c.in, err)
			continue
		}
		if _, off := time.Date(2020, 1, 1, 0, 0, 0, 0, loc).Zone(); off != c.off {
			t.Errorf("ParseTimeZone(%q) is %ds east of UTC, want %d", c.in, off, c.off)
		}
	}
}

// TestImportIntoNonEmptyTable: the base read before the import lets a
// physical import add rows to a table that already has some: row IDs
// continue after the existing ones (which they would otherwise
// overwrite), and the checksum comparison is remote == base + local.
func TestImportIntoNonEmptyTable(t *testing.T) {
	env := startEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	env.exec(t, "CREATE DATABASE p")
	env.exec(t, "CREATE TABLE p.r (v VARCHAR(10), KEY iv (v))") // implicit _tidb_rowid
	env.exec(t, "CREATE TABLE p.a (v VARCHAR(10)) AUTO_INCREMENT=70000")
	env.exec(t, "INSERT INTO p.r VALUES ('a'), ('b'), ('c')")

	// An empty table created with AUTO_INCREMENT=70000: row IDs from 70000.
	baseA, err := ReadTableBase(ctx, env.db, env.cfg, "p", "a")
	if err != nil {
		t.Fatal(err)
	}
	if baseA.RowID != 69999 || baseA.Checksum.KVs() != 0 {
		t.Errorf("base of the empty AUTO_INCREMENT=70000 table: row ID %d, %d KVs; want 69999, 0", baseA.RowID, baseA.Checksum.KVs())
	}

	base, err := ReadTableBase(ctx, env.db, env.cfg, "p", "r")
	if err != nil {
		t.Fatal(err)
	}
	var maxRowID int64
	if err := env.db.QueryRow("SELECT MAX(_tidb_rowid) FROM p.r").Scan(&maxRowID); err != nil {
		t.Fatal(err)
	}
	if base.RowID < maxRowID {
		t.Fatalf("base row ID %d is below the existing rows' %d", base.RowID, maxRowID)
	}
	if base.Checksum.KVs() != 6 { // 3 records + 3 index entries
		t.Fatalf("base checksum counts %d KVs, want 6", base.Checksum.KVs())
	}
	if base.Session.TimeZone == "" || base.Session.BlockEncryptionMode == "" {
		t.Errorf("base has no session: %+v", base.Session)
	}

	ref := EngineRef{TaskID: "incr", DB: "p", Table: "r"}
	res, err := env.encodeRows(t, ref, EncoderConfig{}, chunkSpec{path: "p.r.sql", cols: []string{"v"}, firstID: base.RowID + 1,
		rows: [][]parser.Field{{strField("d")}, {strField("e")}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.phys.ImportEngine(ctx, env.cfg, ref, nil, nil); err != nil {
		t.Fatal(err)
	}
	// Without the base the remote table (old rows + new) cannot match.
	if err := VerifyChecksum(ctx, env.db, "`p`.`r`", res.Checksum); err == nil {
		t.Fatal("checksum without the base matched a table that also holds earlier rows")
	}
	sum := TableSummary{Checksum: res.Checksum, MaxIDs: res.MaxIDs, BaseChecksum: base.Checksum}
	cfg := *env.cfg
	cfg.PostRestore.Checksum = config.OpLevelRequired
	if err := PostProcess(ctx, env.db, &cfg, "p", "r", sum, env.logger); err != nil {
		t.Fatalf("post-process with the base checksum: %v", err)
	}
	if got := env.queryString(t, "SELECT GROUP_CONCAT(v ORDER BY _tidb_rowid) FROM p.r"); got != "a,b,c,d,e" {
		t.Errorf("rows in row-ID order = %q, want a,b,c,d,e", got)
	}
	if err := env.db.QueryRow("SELECT MIN(_tidb_rowid) FROM p.r WHERE v >= 'd'").Scan(&maxRowID); err != nil {
		t.Fatal(err)
	}
	if maxRowID != base.RowID+1 {
		t.Errorf("first imported row ID = %d, want %d", maxRowID, base.RowID+1)
	}
}
