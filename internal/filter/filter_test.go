package filter

import (
	"strings"
	"testing"
)

type tc struct {
	schema, table string
	want          bool
}

func check(t *testing.T, name string, f Filter, cases []tc) {
	t.Helper()
	for _, c := range cases {
		if got := f.MatchTable(c.schema, c.table); got != c.want {
			t.Errorf("%s: MatchTable(%q, %q) = %v, want %v", name, c.schema, c.table, got, c.want)
		}
	}
}

func mustParse(t *testing.T, rules ...string) Filter {
	t.Helper()
	f, err := Parse(rules)
	if err != nil {
		t.Fatalf("Parse(%q): %v", rules, err)
	}
	return f
}

// blackWhiteListTables are the tables of the acceptance dump
// lightning_black-white-list/data.
var blackWhiteListTables = [][2]string{
	{"firstdb", "first"}, {"firstdb", "second"}, {"mysql", "testtable"},
	{"seconddb", "fourth"}, {"seconddb", "third"},
}

func kept(f Filter) []string {
	var out []string
	for _, t := range blackWhiteListTables {
		if f.MatchTable(t[0], t[1]) {
			out = append(out, t[0]+"."+t[1])
		}
	}
	return out
}

func TestDefaultFilter(t *testing.T) {
	f := mustParse(t, "*.*", "!mysql.*", "!sys.*", "!INFORMATION_SCHEMA.*", "!PERFORMANCE_SCHEMA.*",
		"!METRICS_SCHEMA.*", "!INSPECTION_SCHEMA.*")
	check(t, "default", f, []tc{
		{"firstdb", "first", true},
		{"mysql", "testtable", false},
		{"MySQL", "user", false}, // case-insensitive
		{"information_schema", "tables", false},
		{"sysbench", "t", true},
	})
	if f.MatchSchema("mysql") || !f.MatchSchema("firstdb") {
		t.Error("MatchSchema with default rules")
	}
}

func TestBlackWhiteListCases(t *testing.T) {
	// lightning_black-white-list_filter_flag: -f 'f*.*'
	if got := strings.Join(kept(mustParse(t, "f*.*")), ","); got != "firstdb.first,firstdb.second" {
		t.Errorf("f*.*: %s", got)
	}
	// lightning_black-white-list_filter_flags_even: last matching rule wins.
	f := mustParse(t, "!firstdb.*", "*.second", "seconddb.fourth")
	if got := strings.Join(kept(f), ","); got != "firstdb.second,seconddb.fourth" {
		t.Errorf("even: %s", got)
	}
	if !f.MatchSchema("firstdb") || !f.MatchSchema("seconddb") {
		t.Error("even: both schemas hold kept tables")
	}
	// Reordering changes the meaning: the exclusion now comes last.
	if got := kept(mustParse(t, "*.second", "seconddb.fourth", "!firstdb.*")); strings.Join(got, ",") != "seconddb.fourth" {
		t.Errorf("reordered: %v", got)
	}
	// Legacy [black-white-list] do-dbs = ["~^f"].
	lf, err := ParseMySQLReplicationRules(&MySQLReplicationRules{DoDBs: []string{"~^f"}}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(kept(lf), ","); got != "firstdb.first,firstdb.second" {
		t.Errorf("do-dbs: %s", got)
	}
	if lf.MatchSchema("seconddb") || lf.MatchSchema("mysql") {
		t.Error("do-dbs MatchSchema")
	}
	// Legacy even-table-only.toml.
	lf, err = ParseMySQLReplicationRules(&MySQLReplicationRules{
		IgnoreTables: []*MySQLTable{{Schema: "firstdb", Name: "~."}},
		DoTables:     []*MySQLTable{{Schema: "~.", Name: "second"}, {Schema: "seconddb", Name: "fourth"}},
	}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(kept(lf), ","); got != "firstdb.second,seconddb.fourth" {
		t.Errorf("even legacy: %s", got)
	}
}

func TestSyntax(t *testing.T) {
	check(t, "wildcards", mustParse(t, "db?.t[0-9]", "db1.[!a-c]x*"), []tc{
		{"db1", "t5", true}, {"db12", "t5", false}, {"db1", "ta", false},
		{"db1", "dxyz", true}, {"db1", "bx", false}, {"DB2", "T7", true},
	})
	check(t, "quoted", mustParse(t, "`x``f\"n`.\"exotic`table``name\"", "\"a.b\".`*`"), []tc{
		{"x`f\"n", "exotic`table``name", true},
		{"x`f\"n", "exotic`tablename", false},
		{"a.b", "*", true}, {"a.b", "other", false}, {"aXb", "*", false},
	})
	check(t, "escapes", mustParse(t, `d\.b.t\*`), []tc{{"d.b", "t*", true}, {"d.b", "tx", false}})
	check(t, "regexp", mustParse(t, `/^db\d+$/./^t_/`), []tc{{"db12", "t_a", true}, {"dbx", "t_a", false}, {"DB1", "T_x", true}})
	check(t, "unicode", mustParse(t, "中文庫.中*"), []tc{{"中文庫", "中文表", true}, {"中文庫", "文", false}})
	check(t, "comments", mustParse(t, "", "# comment", "  a.b  # trailing"), []tc{{"a", "b", true}})
	check(t, "no rules", mustParse(t), []tc{{"a", "b", false}})

	cs, err := ParseCaseSensitive([]string{"Db.T*"})
	if err != nil {
		t.Fatal(err)
	}
	check(t, "case-sensitive", cs, []tc{{"Db", "Tx", true}, {"db", "tx", false}})

	for _, bad := range []string{"db", "db.", ".t", "!", "a.b c", "`a.b", "[a.b", "@file", `a\`, "/(/.t"} {
		if _, err := Parse([]string{bad}); err == nil {
			t.Errorf("Parse(%q) should fail", bad)
		}
	}
}

func TestMatchSchemaNegativeTable(t *testing.T) {
	f := mustParse(t, "*.*", "!db.t1", "!other.*")
	if !f.MatchSchema("db") {
		t.Error("!db.t1 must not exclude schema db")
	}
	if f.MatchSchema("other") {
		t.Error("!other.* must exclude schema other")
	}
}

func TestWildcard(t *testing.T) {
	w, err := CompileWildcard("routes_a*", false)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"routes_a0": true, "ROUTES_A1": true, "routes_b": false, "xroutes_a": false} {
		if w.Match(name) != want {
			t.Errorf("routes_a* vs %q", name)
		}
	}
	ws, _ := CompileWildcard("t?", true)
	if !ws.Match("t1") || ws.Match("T1") || ws.Match("t12") {
		t.Error("case-sensitive t?")
	}
	if _, err := CompileWildcard("[z-a]", false); err == nil {
		t.Error("inverted range must fail")
	}
}
