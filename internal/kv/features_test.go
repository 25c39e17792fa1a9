package kv

import (
	"bytes"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/tempestdb/tempest/internal/kv/codec"
	"github.com/tempestdb/tempest/internal/parser"
	"github.com/tempestdb/tempest/internal/tidbtypes"
)

func indexIDs(tbl *TableInfo) map[string]int64 {
	m := map[string]int64{}
	for _, idx := range tbl.Indices {
		m[idx.Name] = idx.ID
	}
	return m
}

func TestFreshTableIDs(t *testing.T) {
	tbl := mustTable(t, "CREATE TABLE t (a INT, b INT UNIQUE, c INT, PRIMARY KEY(a), KEY kc(c))", 10)
	if !tbl.PKIsHandle || tbl.IsCommonHandle {
		t.Fatal("single int PK must be the handle")
	}
	// Table-level constraints first, column-level UNIQUE after; the int
	// handle PK takes no index ID.
	if got := indexIDs(tbl); got["kc"] != 1 || got["b"] != 2 || len(got) != 2 {
		t.Fatalf("index ids %v", got)
	}
	for i, c := range tbl.Columns {
		if c.ID != int64(i+1) {
			t.Fatalf("column %s id %d", c.Name, c.ID)
		}
	}
	tbl = mustTable(t, "CREATE TABLE t (a INT, b INT UNIQUE, c INT, PRIMARY KEY(a) NONCLUSTERED, KEY kc(c))", 10)
	if tbl.PKIsHandle || !tbl.HasImplicitRowID() {
		t.Fatal("NONCLUSTERED int PK must use _tidb_rowid")
	}
	if got := indexIDs(tbl); got["PRIMARY"] != 1 || got["kc"] != 2 || got["b"] != 3 {
		t.Fatalf("index ids %v", got)
	}
	// Foreign keys get an implicit index after all declared ones unless an
	// index already starts with their columns.
	tbl = mustTable(t, "CREATE TABLE t (a INT, b INT, c INT, CONSTRAINT fa FOREIGN KEY (a) REFERENCES p(x), FOREIGN KEY (c) REFERENCES p(y), KEY kb(b, a), UNIQUE KEY (c, b))", 10)
	if got := indexIDs(tbl); got["kb"] != 1 || got["c"] != 2 || got["fa"] != 3 || len(got) != 3 {
		t.Fatalf("fk index ids %v", got)
	}
	// INT_ONLY default: composite / varchar PKs are nonclustered unless CLUSTERED.
	for sql, want := range map[string]bool{
		"CREATE TABLE t (a INT, b INT, PRIMARY KEY(a, b))":           false,
		"CREATE TABLE t (a VARCHAR(5) PRIMARY KEY)":                  false,
		"CREATE TABLE t (a VARCHAR(5) PRIMARY KEY CLUSTERED)":        true,
		"CREATE TABLE t (a INT, b INT, PRIMARY KEY(a, b) CLUSTERED)": true,
	} {
		if got := mustTable(t, sql, 1).IsCommonHandle; got != want {
			t.Errorf("%s: common handle %v, want %v", sql, got, want)
		}
	}
	// DECIMAL without precision is DECIMAL(10,0).
	tbl = mustTable(t, "CREATE TABLE t (d DECIMAL, e DECIMAL(5))", 1)
	if ft := tbl.Columns[0].Type; ft.Flen != 10 || ft.Decimal != 0 {
		t.Fatalf("DECIMAL defaults %d,%d", ft.Flen, ft.Decimal)
	}
	if ft := tbl.Columns[1].Type; ft.Flen != 5 || ft.Decimal != 0 {
		t.Fatalf("DECIMAL(5) %d,%d", ft.Flen, ft.Decimal)
	}
	// Table charset propagates to columns.
	tbl = mustTable(t, "CREATE TABLE t (s VARCHAR(5), b VARBINARY(5)) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci", 1)
	if c := tbl.Columns[0].Type.Collate; c != "utf8mb4_general_ci" {
		t.Fatalf("collation %s", c)
	}
	if c := tbl.Columns[1].Type.Collate; c != "binary" {
		t.Fatalf("varbinary collation %s", c)
	}
}

func TestAutoIncrementAndMaxIDs(t *testing.T) {
	tbl := mustTable(t, "CREATE TABLE t (id INT PRIMARY KEY AUTO_INCREMENT, v INT)", 5)
	enc, err := NewEncoder(tbl, EncoderOptions{SQLMode: "STRICT_TRANS_TABLES"})
	if err != nil {
		t.Fatal(err)
	}
	var p Pairs
	if err := enc.EncodeFields([]parser.Field{num("1")}, []int{1}, 41, &p); err != nil { // id missing
		t.Fatal(err)
	}
	if err := enc.EncodeFields([]parser.Field{null(), num("2")}, []int{0, 1}, 42, &p); err != nil { // NULL id
		t.Fatal(err)
	}
	if err := enc.EncodeFields([]parser.Field{num("1000"), num("3")}, []int{0, 1}, 43, &p); err != nil {
		t.Fatal(err)
	}
	want := []string{hx(AppendRecordKey(nil, 5, 41)), hx(AppendRecordKey(nil, 5, 42)), hx(AppendRecordKey(nil, 5, 1000))}
	for i, w := range want {
		if got := hx(p.Key(i)); got != w {
			t.Errorf("row %d key %s want %s", i, got, w)
		}
	}
	if m := enc.MaxIDs(); m.AutoIncrement != 1000 {
		t.Errorf("max auto-inc %d", m.AutoIncrement)
	}
	// TINYINT auto-increment overflow is an error, not a clamp.
	tbl = mustTable(t, "CREATE TABLE t (id TINYINT PRIMARY KEY AUTO_INCREMENT)", 5)
	enc, _ = NewEncoder(tbl, EncoderOptions{})
	if err := enc.EncodeFields(nil, nil, 300, &p); err == nil {
		t.Error("auto ID 300 into TINYINT must fail")
	}
}

func TestShardRowID(t *testing.T) {
	tbl := mustTable(t, "CREATE TABLE t (v INT) SHARD_ROW_ID_BITS = 4", 9)
	enc, err := NewEncoder(tbl, EncoderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var p Pairs
	for id := int64(1); id <= 20; id++ {
		p.Reset()
		if err := enc.EncodeFields([]parser.Field{num("1")}, []int{0}, id, &p); err != nil {
			t.Fatal(err)
		}
		shard := int64(rand.New(rand.NewSource(id)).Uint32()) & 15
		want := shard<<(64-4-1) | id
		if got := hx(p.Key(0)); got != hx(AppendRecordKey(nil, 9, want)) {
			t.Fatalf("id %d: key %s, want handle %x", id, got, want)
		}
	}
	// An explicit _tidb_rowid wins.
	colMap, err := tbl.MapColumns([]string{"v", "_tidb_rowid"})
	if err != nil {
		t.Fatal(err)
	}
	p.Reset()
	if err := enc.EncodeFields([]parser.Field{num("1"), num("12345")}, colMap, 1, &p); err != nil {
		t.Fatal(err)
	}
	if hx(p.Key(0)) != hx(AppendRecordKey(nil, 9, 12345)) {
		t.Fatalf("explicit rowid key %x", p.Key(0))
	}
}

func TestDefaults(t *testing.T) {
	tbl := mustTable(t, "CREATE TABLE t (id INT, s VARCHAR(10) DEFAULT 'abc', ts TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP(3), dt DATETIME DEFAULT NOW(), n INT NOT NULL, e ENUM('x','y') NOT NULL, u VARCHAR(36) DEFAULT (UUID()))", 3)
	now := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	tz := time.FixedZone("+08:00", 8*3600)
	enc, err := NewEncoder(tbl, EncoderOptions{Timestamp: now, TimeZone: tz})
	if err != nil {
		t.Fatal(err)
	}
	if err := enc.CheckColumns([]int{0, 4}); err == nil || !strings.Contains(err.Error(), "uuid") {
		t.Fatalf("missing u with UUID() default must be refused: %v", err)
	}
	var p Pairs
	if err := enc.EncodeFields([]parser.Field{num("1"), num("2"), str("u")}, []int{0, 4, 6}, 1, &p); err != nil {
		t.Fatal(err)
	}
	row, err := NewDecoder(tbl, tz, true).DecodeRecord(p.Key(0), p.Value(0))
	if err != nil {
		t.Fatal(err)
	}
	if s := string(row.Values[1].GetBytes()); s != "abc" {
		t.Errorf("default s = %q", s)
	}
	// TIMESTAMP: now in session zone (15:08:09.123, truncated to fsp 3),
	// stored as UTC; decoding converts back.
	if got := row.Values[2].GetTime().String(); got != "2024-05-06 15:08:09.123" {
		t.Errorf("ts = %s", got)
	}
	if got := row.Values[3].GetTime().String(); got != "2024-05-06 15:08:09" {
		t.Errorf("dt = %s", got)
	}
	if got := row.Values[5].GetEnum().Name; got != "x" {
		t.Errorf("NOT NULL enum default = %q", got)
	}
	// Packed TIMESTAMP in the value is UTC.
	var d tidbtypes.Datum
	d.SetTime(tidbtypes.NewTime(2024, 5, 6, 7, 8, 9, 123000, tidbtypes.TypeTimestamp, 3))
	if !bytes.Contains(p.Value(0), codecLE(d.GetTime().ToPackedUint())) {
		t.Errorf("row does not hold the UTC packed timestamp")
	}
	// Strict mode: NOT NULL without default is an error when missing.
	enc, _ = NewEncoder(tbl, EncoderOptions{SQLMode: "STRICT_TRANS_TABLES", Timestamp: now})
	if err := enc.EncodeFields([]parser.Field{num("1"), str("u")}, []int{0, 6}, 1, &p); err == nil {
		t.Error("missing NOT NULL column must fail in strict mode")
	}
}

func codecLE(v uint64) []byte {
	b := make([]byte, 8)
	for i := range b {
		b[i] = byte(v >> (8 * i))
	}
	return b
}

func TestPartitionRouting(t *testing.T) {
	cases := []struct {
		sql  string
		vals []string
		want []int // partition index
	}{
		{"CREATE TABLE t (id INT) PARTITION BY RANGE (id) (PARTITION p0 VALUES LESS THAN (10), PARTITION p1 VALUES LESS THAN (20), PARTITION p2 VALUES LESS THAN MAXVALUE)",
			[]string{"-5", "9", "10", "19", "1000", "NULL"}, []int{0, 0, 1, 1, 2, 0}},
		{"CREATE TABLE t (id INT) PARTITION BY HASH (id) PARTITIONS 4",
			[]string{"0", "5", "-5", "7", "NULL"}, []int{0, 1, 1, 3, 0}},
		{"CREATE TABLE t (id INT) PARTITION BY LIST (id) (PARTITION p0 VALUES IN (1, 3, NULL), PARTITION p1 VALUES IN (2, 4))",
			[]string{"1", "2", "3", "4", "NULL"}, []int{0, 1, 0, 1, 0}},
		{"CREATE TABLE t (d DATE) PARTITION BY RANGE (YEAR(d)) (PARTITION p0 VALUES LESS THAN (2000), PARTITION p1 VALUES LESS THAN (2010))",
			[]string{"1999-12-31", "2000-01-01", "2009-06-30"}, []int{0, 1, 1}},
		{"CREATE TABLE t (s VARCHAR(10)) PARTITION BY RANGE COLUMNS (s) (PARTITION p0 VALUES LESS THAN ('m'), PARTITION p1 VALUES LESS THAN (MAXVALUE))",
			[]string{"a", "l", "m", "zz"}, []int{0, 0, 1, 1}},
		{"CREATE TABLE t (s VARCHAR(10)) PARTITION BY LIST COLUMNS (s) (PARTITION p0 VALUES IN ('a', 'b'), PARTITION p1 VALUES IN ('c'))",
			[]string{"a", "c", "b"}, []int{0, 1, 0}},
	}
	for _, c := range cases {
		tbl := mustTable(t, c.sql, 100)
		enc, err := NewEncoder(tbl, EncoderOptions{})
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		for i, v := range c.vals {
			f := num(v)
			if v == "NULL" {
				f = null()
			} else if tbl.Columns[0].Type.Tp != tidbtypes.TypeLong {
				f = str(v)
			}
			var p Pairs
			if err := enc.EncodeFields([]parser.Field{f}, []int{0}, 1, &p); err != nil {
				t.Fatalf("%s value %s: %v", c.sql, v, err)
			}
			id, _ := DecodeTableID(p.Key(0))
			if want := tbl.Partition.Defs[c.want[i]].ID; id != want {
				t.Errorf("%s value %s: partition id %d, want %d", c.sql, v, id, want)
			}
		}
	}
	// Rows outside every partition are errors.
	tbl := mustTable(t, "CREATE TABLE t (id INT) PARTITION BY RANGE (id) (PARTITION p0 VALUES LESS THAN (10))", 100)
	enc, _ := NewEncoder(tbl, EncoderOptions{})
	var p Pairs
	if err := enc.EncodeFields([]parser.Field{num("10")}, []int{0}, 1, &p); err == nil {
		t.Error("value beyond the last partition must fail")
	}
	// KEY partitioning is refused with the table name.
	tbl = mustTable(t, "CREATE TABLE kt (id INT) PARTITION BY KEY (id) PARTITIONS 4", 100)
	if _, err := NewEncoder(tbl, EncoderOptions{}); err == nil || !strings.Contains(err.Error(), "kt") {
		t.Errorf("KEY partitioning must be refused naming the table: %v", err)
	}
}

func TestGeneratedColumns(t *testing.T) {
	tbl := mustTable(t, "CREATE TABLE t (a INT, b INT, s VARCHAR(10), c BIGINT AS (a * 10 + b) STORED, v VARCHAR(20) AS (CONCAT(UPPER(s), '-', a)) VIRTUAL, n INT AS (CHAR_LENGTH(s)) VIRTUAL, KEY kv(v), KEY kn(n))", 4)
	enc, err := NewEncoder(tbl, EncoderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var p Pairs
	if err := enc.EncodeFields([]parser.Field{num("3"), num("4"), str("héllo"), num("999")}, []int{0, 1, 2, 3}, 1, &p); err == nil {
		t.Fatal("UPPER of non-ASCII must fail, not guess")
	}
	p.Reset()
	if err := enc.EncodeFields([]parser.Field{num("3"), num("4"), str("ab")}, []int{0, 1, 2}, 1, &p); err != nil {
		t.Fatal(err)
	}
	dec := NewDecoder(tbl, nil, true)
	for i := range p.Len() {
		if !p.IsIndex(i) {
			row, err := dec.DecodeRecord(p.Key(i), p.Value(i))
			if err != nil {
				t.Fatal(err)
			}
			if row.Values[3].GetInt64() != 34 {
				t.Errorf("stored c = %d", row.Values[3].GetInt64())
			}
			if row.Present[4] || row.Present[5] {
				t.Error("virtual columns must not be stored")
			}
			continue
		}
		ie, err := dec.DecodeIndex(p.Key(i), p.Value(i))
		if err != nil {
			t.Fatal(err)
		}
		switch ie.Index.Name {
		case "kv":
			if s := string(ie.Values[0].GetBytes()); s != "AB-3" {
				t.Errorf("kv value %q", s)
			}
		case "kn":
			if ie.Values[0].GetInt64() != 2 {
				t.Errorf("kn value %d", ie.Values[0].GetInt64())
			}
		}
	}
	for _, bad := range []string{
		"CREATE TABLE t (a INT, j JSON AS (JSON_EXTRACT('{}', '$.a')) STORED)",
		"CREATE TABLE t (a DECIMAL(10,2), b DECIMAL(10,2) AS (a + 1) STORED)",
		"CREATE TABLE t (a INT, b DOUBLE AS (a + 1.5) STORED)",
		"CREATE TABLE t (a DATETIME, b VARCHAR(20) AS (DATE_FORMAT(a, '%Y')) STORED)",
	} {
		if _, err := NewEncoder(mustTable(t, bad, 1), EncoderOptions{}); err == nil {
			t.Errorf("%s: must be refused at plan time", bad)
		}
	}
}

func TestPrefixIndexTruncation(t *testing.T) {
	tbl := mustTable(t, "CREATE TABLE t (s VARCHAR(20), b VARBINARY(20), KEY ks(s(2)), KEY kb(b(2)))", 8)
	enc, _ := NewEncoder(tbl, EncoderOptions{})
	var p Pairs
	if err := enc.EncodeFields([]parser.Field{str("日本語"), str("日本語")}, []int{0, 1}, 1, &p); err != nil {
		t.Fatal(err)
	}
	k1, _ := indexPair(t, &p, 1)
	k2, _ := indexPair(t, &p, 2)
	wantS := hx(codec.EncodeBytes(append(AppendIndexPrefix(nil, 8, 1), codec.BytesFlag), []byte("日本")))
	wantB := hx(codec.EncodeBytes(append(AppendIndexPrefix(nil, 8, 2), codec.BytesFlag), []byte("日本語")[:2]))
	if !strings.HasPrefix(k1, wantS) {
		t.Errorf("char prefix key %s, want prefix %s", k1, wantS)
	}
	if !strings.HasPrefix(k2, wantB) {
		t.Errorf("byte prefix key %s, want prefix %s", k2, wantB)
	}
}

func TestTableInfoFromJSON(t *testing.T) {
	js := `{"id": 1234, "name": {"O": "t", "L": "t"},
	  "cols": [
	    {"id": 5, "name": {"O": "a", "L": "a"}, "offset": 0, "state": 5, "type": {"Tp": 3, "Flag": 3, "Flen": 11, "Decimal": 0, "Charset": "binary", "Collate": "binary"}},
	    {"id": 9, "name": {"O": "s", "L": "s"}, "offset": 1, "state": 5, "default": "zz", "type": {"Tp": 15, "Flag": 0, "Flen": 10, "Decimal": 0, "Charset": "utf8mb4", "Collate": "utf8mb4_general_ci"}}
	  ],
	  "index_info": [
	    {"id": 7, "idx_name": {"O": "ks", "L": "ks"}, "idx_cols": [{"name": {"O": "s", "L": "s"}, "offset": 1, "length": -1}], "is_unique": true, "state": 5}
	  ],
	  "pk_is_handle": true, "is_common_handle": false}`
	tbl, err := TableInfoFromJSON([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	p := encodeOne(t, tbl, EncoderOptions{}, []parser.Field{num("42")}, []int{0}, 1)
	rk, rv := recordPair(t, p)
	if rk != hx(AppendRecordKey(nil, 1234, 42)) {
		t.Errorf("record key %s", rk)
	}
	// s missing -> default 'zz' under column ID 9.
	if rv != "800001000000090200"+hx([]byte("zz")) {
		t.Errorf("record value %s", rv)
	}
	ik, iv := indexPair(t, p, 7)
	if !strings.HasPrefix(ik, hx(AppendIndexPrefix(nil, 1234, 7))) {
		t.Errorf("index key %s", ik)
	}
	// unique + restored data + int handle: TailLen 8.
	if !strings.HasPrefix(iv, "08800001000000090200") || !strings.HasSuffix(iv, "000000000000002a") {
		t.Errorf("index value %s", iv)
	}
}

func TestOldRowFormat(t *testing.T) {
	tbl := mustTable(t, "CREATE TABLE t (a INT, s VARCHAR(5), n INT)", 1)
	_, v := recordPair(t, encodeOne(t, tbl, EncoderOptions{RowFormatVersion: 1}, []parser.Field{num("-1"), str("ab"), null()}, nil, 1))
	// a: 08 02 | 08 01 ; s: 08 04 | 02 04 'ab' ; n NULL with NULL default: left out.
	if want := "0802" + "0801" + "0804" + "0204" + "6162"; v != want {
		t.Errorf("v1 row %s", v)
	}
}

// A row that fails after some of its KVs were produced must leave nothing.
func TestFailedRowLeavesNoPairs(t *testing.T) {
	tbl := mustTable(t, "CREATE TABLE t (a INT, s VARCHAR(10), u VARCHAR(10) AS (UPPER(s)) VIRTUAL, KEY ka(a), KEY ku(u))", 1)
	enc, err := NewEncoder(tbl, EncoderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var p Pairs
	if err := enc.EncodeFields([]parser.Field{num("1"), str("ok")}, []int{0, 1}, 1, &p); err != nil {
		t.Fatal(err)
	}
	n, size := p.Len(), p.Size()
	if err := enc.EncodeFields([]parser.Field{num("2"), str("ünï")}, []int{0, 1}, 2, &p); err == nil {
		t.Fatal("non-ASCII UPPER must fail")
	}
	if p.Len() != n || p.Size() != size {
		t.Fatalf("failed row left %d pairs / %d bytes", p.Len()-n, p.Size()-size)
	}
}
