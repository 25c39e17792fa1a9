package tidb

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/kv"
	"github.com/tempestdb/tempest/internal/parser"
)

// TestExpressionIndex creates a table with an expression index as TiDB
// lays it out (hidden virtual column _V$_<index>_0 plus an index on it),
// checks the schema JSON, and checks that rows written through SQL and rows
// encoded from the schema JSON (what a physical import does) give the same
// KVs, index entries included.
func TestExpressionIndex(t *testing.T) {
	e := startTest(t, "")
	e.exec(t, "CREATE DATABASE gencol")
	e.exec(t, "CREATE TABLE gencol.expr_index (`id` int(11) NOT NULL AUTO_INCREMENT, `a` varchar(20) DEFAULT NULL, `b` varchar(20) DEFAULT NULL, "+
		"PRIMARY KEY (`id`) /*T![clustered_index] CLUSTERED */, KEY `idx_a` (`a`), KEY `idx_lower_b` ((lower(`b`)))) "+
		"ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin AUTO_INCREMENT=90003")
	e.exec(t, "CREATE TABLE gencol.multi (x INT, s VARCHAR(10) COLLATE utf8mb4_general_ci, KEY ((x + 1), s), UNIQUE KEY ((upper(s))))")
	e.exec(t, "INSERT INTO gencol.expr_index VALUES (1, 'xyz', 'ABC'), (2, 'ABC', 'CDSFDS')")
	e.exec(t, "INSERT INTO gencol.multi VALUES (1, 'a'), (2, 'b')")

	// SQL sees the base columns only.
	e.expect(t, "SELECT * FROM gencol.expr_index ORDER BY id", "[[1 xyz ABC] [2 ABC CDSFDS]]")
	e.expect(t, "SELECT /*+ use_index(gencol.expr_index, idx_lower_b) */ id, a, b FROM gencol.expr_index WHERE lower(b) = 'cdsfds'", "[[2 ABC CDSFDS]]")
	e.expect(t, "SELECT * FROM gencol.multi ORDER BY x", "[[1 a] [2 b]]")
	if _, err := e.db.Exec("INSERT INTO gencol.multi VALUES (3, 'A')"); err == nil {
		t.Error("duplicate on the unique expression index upper(s) was accepted")
	}
	e.exec(t, "ADMIN CHECK TABLE gencol.expr_index")
	e.exec(t, "ADMIN CHECK TABLE gencol.multi")
	create := e.rows(t, "SHOW CREATE TABLE gencol.expr_index")[0][1]
	if !strings.Contains(create, "`idx_lower_b`((LOWER(`b`)))") || strings.Contains(create, "_V$") {
		t.Errorf("SHOW CREATE TABLE:\n%s", create)
	}

	var jt kv.JSONTableInfo
	e.statusJSON(t, "/schema/gencol/expr_index", &jt)
	if n := len(jt.Columns); n != 4 {
		t.Fatalf("schema JSON has %d columns, want 4", n)
	}
	h := jt.Columns[3]
	if h.Name.O != "_V$_idx_lower_b_0" || !h.Hidden || h.ID != 4 || h.Offset != 3 || h.GeneratedStored ||
		h.GeneratedExprString != "lower(`b`)" || h.Type.Tp != 0xfd || h.Type.Collate != "utf8mb4_bin" || h.Type.Flen != 20 {
		t.Errorf("hidden column: %+v", h)
	}
	var idx *kv.JSONIndex
	for i := range jt.Indices {
		if jt.Indices[i].Name.O == "idx_lower_b" {
			idx = &jt.Indices[i]
		}
	}
	if idx == nil || idx.ID != 2 || len(idx.Columns) != 1 || idx.Columns[0].Name.O != "_V$_idx_lower_b_0" || idx.Columns[0].Offset != 3 {
		t.Errorf("expression index: %+v", idx)
	}
	var jm kv.JSONTableInfo
	e.statusJSON(t, "/schema/gencol/multi", &jm)
	var names []string
	for _, c := range jm.Columns {
		names = append(names, fmt.Sprintf("%s/%v/%s", c.Name.O, c.Hidden, c.GeneratedExprString))
	}
	if got := strings.Join(names, ","); got != "x/false/,s/false/,_V$_expression_index_0/true/`x` + 1,_V$_expression_index_2_0/true/upper(`s`)" {
		t.Errorf("columns of multi: %s", got)
	}
	// TiDB refuses an expression index on a bare column.
	if _, err := e.db.Exec("CREATE TABLE gencol.bad (x INT, KEY ((x)))"); err == nil {
		t.Error("expression index on a bare column was accepted")
	}

	// A physical import encodes from the schema JSON; its KVs must be the
	// ones SQL wrote, so ADMIN CHECKSUM matches.
	body, err := json.Marshal(jt)
	if err != nil {
		t.Fatal(err)
	}
	info, err := kv.TableInfoFromJSON(body)
	if err != nil {
		t.Fatalf("TableInfoFromJSON: %v", err)
	}
	enc, err := kv.NewEncoder(info, kv.EncoderOptions{RowFormatVersion: 2})
	if err != nil {
		t.Fatal(err)
	}
	var sum kv.Checksum
	var pairs kv.Pairs
	for _, r := range [][]string{{"1", "xyz", "ABC"}, {"2", "ABC", "CDSFDS"}} {
		pairs.Reset()
		fields := make([]parser.Field, len(r))
		for i, v := range r {
			fields[i] = parser.Field{Kind: parser.KindString, Bytes: []byte(v)}
		}
		if err := enc.EncodeFields(fields, []int{0, 1, 2}, 0, &pairs); err != nil {
			t.Fatal(err)
		}
		for i := range pairs.Len() {
			sum.UpdateOne(pairs.Key(i), pairs.Value(i))
		}
	}
	if sum.KVs() != 6 {
		t.Errorf("encoded %d KVs, want 6 (record, idx_a, idx_lower_b per row)", sum.KVs())
	}
	e.expect(t, "ADMIN CHECKSUM TABLE gencol.expr_index", fmt.Sprintf("[[gencol expr_index %d %d %d]]", sum.Sum(), sum.KVs(), sum.Bytes()))
}
