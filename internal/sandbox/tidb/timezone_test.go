package tidb

import (
	"strings"
	"testing"
	"time"

	"github.com/tempestdb/tempest/internal/kv"
)

// TestTimestampSessionZone checks TiDB's TIMESTAMP rule: values are stored
// in UTC and shown (and compared) in the session time zone; DATETIME is not
// converted.
func TestTimestampSessionZone(t *testing.T) {
	e := startTest(t, "")
	e.exec(t, "CREATE DATABASE z")
	e.exec(t, "CREATE TABLE z.t (id INT PRIMARY KEY, ts TIMESTAMP(3) NULL, dt DATETIME)")
	e.exec(t, "SET time_zone = '+08:00'")
	e.expect(t, "SELECT @@time_zone, @@session.time_zone", "[[+08:00 +08:00]]")
	e.exec(t, "INSERT INTO z.t VALUES (1, '2020-09-10 20:17:16.5', '2020-09-10 20:17:16')")
	e.expect(t, "SELECT ts, dt FROM z.t", "[[2020-09-10 20:17:16.500 2020-09-10 20:17:16]]")
	e.expect(t, "SELECT id FROM z.t WHERE ts = '2020-09-10 20:17:16.5'", "[[1]]")

	// The KV value holds the UTC instant, whatever the writer's zone.
	snap, err := e.srv.b.cat.table("z", "t")
	if err != nil {
		t.Fatal(err)
	}
	dec := kv.NewDecoder(snap.Info, nil, true)
	var got string
	if err := e.kv.Scan(t.Context(), kv.AppendRecordPrefix(nil, snap.ID), kv.AppendRecordPrefix(nil, snap.ID+1), func(k, v []byte) error {
		r, err := dec.DecodeRecord(k, v)
		if err != nil {
			return err
		}
		got = r.Values[1].GetTime().String()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got != "2020-09-10 12:17:16.500" {
		t.Errorf("stored TIMESTAMP = %s, want the UTC instant 2020-09-10 12:17:16.500", got)
	}

	e.exec(t, "SET time_zone = '-08:00'")
	e.expect(t, "SELECT ts, dt FROM z.t", "[[2020-09-10 04:17:16.500 2020-09-10 20:17:16]]")
	e.expect(t, "SELECT id FROM z.t WHERE ts = '2020-09-10 20:17:16.5'", "[]")
	e.exec(t, "SET time_zone = 'UTC'")
	e.expect(t, "SELECT ts FROM z.t", "[[2020-09-10 12:17:16.500]]")
	e.exec(t, "SET time_zone = 'Asia/Shanghai'")
	e.expect(t, "SELECT ts FROM z.t", "[[2020-09-10 20:17:16.500]]")

	// TiDB refuses zones it does not know (error 1298); the session keeps
	// its zone.
	for _, bad := range []string{"SET time_zone = 'Nowhere/City'", "SET @@global.time_zone = '+15:00'", "SET SESSION time_zone = 'bogus'"} {
		if _, err := e.db.Exec(bad); err == nil || !strings.Contains(err.Error(), "1298") {
			t.Errorf("%s: %v, want error 1298", bad, err)
		}
	}
	e.expect(t, "SELECT @@time_zone", "[[Asia/Shanghai]]")

	// A new session starts from the global value, SYSTEM by default.
	e.exec(t, "SET GLOBAL time_zone = '+01:00'")
	t.Cleanup(func() { _, _ = e.db.Exec("SET GLOBAL time_zone = 'SYSTEM'") })
	e.expect(t, "SELECT @@global.time_zone", "[[+01:00]]")
	if sys := e.rows(t, "SELECT @@system_time_zone"); len(sys) != 1 || sys[0][0] == "" {
		t.Errorf("@@system_time_zone = %v", sys)
	}
}

func TestParseTimeZone(t *testing.T) {
	for in, off := range map[string]int{"+08:00": 8 * 3600, "-08:00": -8 * 3600, "+5:30": 5*3600 + 1800, "UTC": 0, "+00:00": 0} {
		loc, err := parseTimeZone(in)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if _, got := timeIn(loc); got != off {
			t.Errorf("%s: offset %d, want %d", in, got, off)
		}
	}
	for _, bad := range []string{"+15:00", "-13:00", "+08:0", "Nowhere/City", "+xx:00"} {
		if _, err := parseTimeZone(bad); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

func timeIn(loc *time.Location) (string, int) { return time.Date(2020, 1, 1, 0, 0, 0, 0, loc).Zone() }

// TestTemporalPrecision checks that TIMESTAMP(n), DATETIME(n) and TIME(n)
// print n fractional digits like TiDB, also through aggregates, that
// TIMESTAMP columns keep their wire type, and that a TIMESTAMP shown before
// 1970 in a western session zone is still a value.
func TestTemporalPrecision(t *testing.T) {
	e := startTest(t, "")
	e.exec(t, "CREATE DATABASE p")
	e.exec(t, "CREATE TABLE p.t (id INT PRIMARY KEY, ts TIMESTAMP(3) NULL, dt DATETIME(6), tm TIME(3), t0 TIME, ts0 TIMESTAMP NULL)")
	e.exec(t, "SET time_zone = '+00:00'")
	e.exec(t, "INSERT INTO p.t VALUES (1, '2036-10-14 10:48:28.62', '2020-01-01 00:00:00', '10:48:28.62', '10:48:28', '1970-01-01 00:00:01')")
	e.exec(t, "INSERT INTO p.t VALUES (2, '1970-11-09 19:25:45.843', '2020-01-01 00:00:00.5', '-01:00:00', '-838:59:59', '2000-01-01 00:00:00')")
	e.expect(t, "SELECT ts, dt, tm, t0 FROM p.t ORDER BY id",
		"[[2036-10-14 10:48:28.620 2020-01-01 00:00:00.000000 10:48:28.620 10:48:28] [1970-11-09 19:25:45.843 2020-01-01 00:00:00.500000 -01:00:00.000 -838:59:59]]")
	e.expect(t, "SELECT min(ts), max(ts), max(dt) FROM p.t", "[[1970-11-09 19:25:45.843 2036-10-14 10:48:28.620 2020-01-01 00:00:00.500000]]")

	rs, err := e.db.Query("SELECT ts, dt, tm FROM p.t")
	if err != nil {
		t.Fatal(err)
	}
	cts, err := rs.ColumnTypes()
	rs.Close()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cts {
		names = append(names, c.DatabaseTypeName())
	}
	if got := strings.Join(names, ","); got != "TIMESTAMP,DATETIME,TIME" {
		t.Errorf("result column types %s, want TIMESTAMP,DATETIME,TIME", got)
	}

	e.exec(t, "SET time_zone = '-08:00'")
	e.expect(t, "SELECT ts0 FROM p.t WHERE id = 1", "[[1969-12-31 16:00:01]]")
	e.expect(t, "SELECT id FROM p.t WHERE ts0 < '1970-01-01'", "[[1]]")
}
