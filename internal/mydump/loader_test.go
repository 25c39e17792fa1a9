package mydump

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/storage"
)

// acceptanceDir holds the shared acceptance corpus (real dump folders).
const acceptanceDir = "/work/shared/acceptance/lightning"

func acceptance(t *testing.T, parts ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{acceptanceDir}, parts...)...)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("acceptance corpus not available: %v", err)
	}
	return p
}

func loadDir(t *testing.T, dir string, cfg *config.Config) *Source {
	t.Helper()
	store, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	src, err := Load(context.Background(), cfg, store)
	if err != nil {
		t.Fatalf("Load(%s): %v", dir, err)
	}
	return src
}

func loadConfig(t *testing.T, path string) *config.Config {
	t.Helper()
	cfg, _, err := config.Load(path)
	if err != nil {
		t.Fatalf("config.Load(%s): %v", path, err)
	}
	return cfg
}

// summary renders a Source compactly: "db[schemaFile]: table[schema](data,...) view{...}".
func summary(src *Source) []string {
	var out []string
	for _, db := range src.DBs {
		s := db.Name
		if db.SchemaFile != nil {
			s += "[" + db.SchemaFile.Path + "]"
		}
		for _, t := range db.Tables {
			s += " " + t.Table
			if t.SchemaFile != nil {
				s += "[" + t.SchemaFile.Path + "]"
			}
			var files []string
			for _, f := range t.DataFiles {
				files = append(files, f.Path)
			}
			s += "(" + strings.Join(files, ",") + ")"
		}
		for _, v := range db.Views {
			s += " view:" + v.View + "[" + v.SchemaFile.Path + "]"
		}
		out = append(out, s)
	}
	return out
}

func tableNames(src *Source) []string {
	var out []string
	for _, db := range src.DBs {
		for _, t := range db.Tables {
			out = append(out, db.Name+"."+t.Table)
		}
	}
	return out
}

func TestLoadBlackWhiteList(t *testing.T) {
	dir := acceptance(t, "lightning_black-white-list")
	data := filepath.Join(dir, "data")
	cases := []struct {
		name   string
		cfg    *config.Config
		filter []string
		dbs    []string
		tables []string
	}{
		// Default filter drops the mysql system schema.
		{"default", loadConfig(t, filepath.Join(dir, "config.toml")), nil,
			[]string{"firstdb", "seconddb"},
			[]string{"firstdb.first", "firstdb.second", "seconddb.fourth", "seconddb.third"}},
		{"filter_flag", loadConfig(t, filepath.Join(dir, "config.toml")), []string{"f*.*"},
			[]string{"firstdb"}, []string{"firstdb.first", "firstdb.second"}},
		{"filter_flags_even", loadConfig(t, filepath.Join(dir, "config.toml")), []string{"!firstdb.*", "*.second", "seconddb.fourth"},
			[]string{"firstdb", "mysql", "seconddb"}, []string{"firstdb.second", "seconddb.fourth"}},
		{"firstdb_only", loadConfig(t, filepath.Join(dir, "firstdb-only.toml")), nil,
			[]string{"firstdb"}, []string{"firstdb.first", "firstdb.second"}},
		{"even_table_only", loadConfig(t, filepath.Join(dir, "even-table-only.toml")), nil,
			[]string{"firstdb", "mysql", "seconddb"}, []string{"firstdb.second", "seconddb.fourth"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.filter != nil {
				c.cfg.Mydumper.Filter = c.filter
			}
			src := loadDir(t, data, c.cfg)
			var dbs []string
			for _, db := range src.DBs {
				dbs = append(dbs, db.Name)
			}
			if !reflect.DeepEqual(dbs, c.dbs) {
				t.Errorf("dbs = %v, want %v", dbs, c.dbs)
			}
			if got := tableNames(src); !reflect.DeepEqual(got, c.tables) {
				t.Errorf("tables = %v, want %v", got, c.tables)
			}
			// "mysql" may only appear as an empty database (its CREATE
			// DATABASE file passes MatchSchema), never with testtable.
			if db := src.DB("mysql"); db != nil && len(db.Tables) != 0 {
				t.Errorf("mysql tables imported: %v", summary(src))
			}
		})
	}
	// Data files of firstdb.first in sort-key order.
	src := loadDir(t, data, loadConfig(t, filepath.Join(dir, "config.toml")))
	tm := src.Table("firstdb", "first")
	if tm == nil || len(tm.DataFiles) != 2 || tm.DataFiles[0].SortKey != "1" || tm.TotalSize != 70 {
		t.Fatalf("firstdb.first: %+v", tm)
	}
}

func TestLoadExoticFilenames(t *testing.T) {
	dir := acceptance(t, "lightning_exotic_filenames")
	src := loadDir(t, filepath.Join(dir, "exotic"), loadConfig(t, filepath.Join(dir, "config.toml")))
	want := []string{
		"x`f\"n[x`f\"n-schema-create.sql] exotic`table``name[x`f\"n.exotic`table``name-schema.sql](x`f\"n.exotic`table``name.sql)",
		"中文庫[中文庫-schema-create.sql] 中文表[中文庫.中文表-schema.sql](中文庫.中文表.sql)",
	}
	if got := summary(src); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestLoadRoutes(t *testing.T) {
	dir := acceptance(t, "lightning_routes")
	cfg := loadConfig(t, filepath.Join(dir, "config.toml"))
	src := loadDir(t, filepath.Join(dir, "data"), cfg)
	want := []string{
		// routes_a0 lost all its tables to routing: not created.
		"routes_a1[routes_a1-schema-create.sql] s1[routes_a1.s1-schema.sql](routes_a1.s1.sql)",
		// The target has no files of its own: no CREATE DATABASE file, the
		// first shard's table schema, data in sort-key then path order (an
		// empty key first).
		"routes_b u[routes_a0.t0-schema.sql](routes_a1.t2.sql,routes_a0.t0.1.sql,routes_a0.t1.1.sql,routes_a0.t0.2.sql)",
	}
	if got := summary(src); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	u := src.Table("routes_b", "u")
	if u.DataFiles[0].SourceDB != "routes_a1" || u.DataFiles[0].SourceTable != "t2" {
		t.Errorf("source names lost: %+v", u.DataFiles[0])
	}

	// lightning_extend_routes: same data, extracted columns.
	cfg.Mydumper.SourceID = "mysql-01"
	cfg.Routes[0].TableExtractor = &config.RouteExtractor{TableRegexp: "t(.*)", TargetColumn: "c_table"}
	cfg.Routes[0].SchemaExtractor = &config.RouteExtractor{SchemaRegexp: "routes_a(.*)", TargetColumn: "c_schema"}
	cfg.Routes[0].SourceExtractor = &config.RouteExtractor{SourceRegexp: "mysql-(.*)", TargetColumn: "c_source"}
	src = loadDir(t, filepath.Join(dir, "data"), cfg)
	var got []string
	for _, f := range src.Table("routes_b", "u").DataFiles {
		got = append(got, fmt.Sprintf("%s:%v", f.Path, f.ExtendColumns))
	}
	wantExt := []string{
		"routes_a1.t2.sql:map[c_schema:1 c_source:01 c_table:2]",
		"routes_a0.t0.1.sql:map[c_schema:0 c_source:01 c_table:0]",
		"routes_a0.t1.1.sql:map[c_schema:0 c_source:01 c_table:1]",
		"routes_a0.t0.2.sql:map[c_schema:0 c_source:01 c_table:0]",
	}
	if !reflect.DeepEqual(got, wantExt) {
		t.Errorf("extend columns:\n%q\nwant\n%q", got, wantExt)
	}
	if s1 := src.Table("routes_a1", "s1"); s1.DataFiles[0].ExtendColumns != nil {
		t.Errorf("unrouted table got extend columns: %v", s1.DataFiles[0].ExtendColumns)
	}

	// Ambiguous rules are an error; a schema-level rule moves tables
	// without renaming them and renames the database's own file target.
	cfg = loadConfig(t, filepath.Join(dir, "config.toml"))
	cfg.Routes = append(cfg.Routes, config.Route{SchemaPattern: "routes_a0", TablePattern: "t?", TargetSchema: "x", TargetTable: "y"})
	store, _ := storage.NewLocal(filepath.Join(dir, "data"))
	if _, err := Load(context.Background(), cfg, store); err == nil || !strings.Contains(err.Error(), "routing rules") {
		t.Errorf("ambiguous routes: %v", err)
	}
	cfg.Routes = []config.Route{{SchemaPattern: "ROUTES_A1", TargetSchema: "merged"}}
	src = loadDir(t, filepath.Join(dir, "data"), cfg)
	want = []string{
		"merged[routes_a1-schema-create.sql] s1[routes_a1.s1-schema.sql](routes_a1.s1.sql) t2[routes_a1.t2-schema.sql](routes_a1.t2.sql)",
		"routes_a0[routes_a0-schema-create.sql] t0[routes_a0.t0-schema.sql](routes_a0.t0.1.sql,routes_a0.t0.2.sql) t1[routes_a0.t1-schema.sql](routes_a0.t1.1.sql)",
	}
	if got := summary(src); !reflect.DeepEqual(got, want) {
		t.Errorf("schema route: got %q\nwant %q", got, want)
	}
	// Case-sensitive matching: ROUTES_A1 no longer matches.
	cfg.Mydumper.CaseSensitive = true
	src = loadDir(t, filepath.Join(dir, "data"), cfg)
	if src.DB("merged") != nil {
		t.Errorf("case-sensitive route matched: %q", summary(src))
	}
}

func TestLoadParquetCustomRules(t *testing.T) {
	dir := acceptance(t, "lightning_parquet")
	src := loadDir(t, filepath.Join(dir, "data"), loadConfig(t, filepath.Join(dir, "config.toml")))
	got := tableNames(src)
	want := []string{"test.customer", "test.district", "test.history", "test.item", "test.new_order",
		"test.order_line", "test.orders", "test.stock", "test.warehouse"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("tables = %v", got)
	}
	for _, tm := range src.DBs[0].Tables {
		if len(tm.DataFiles) != 1 || tm.DataFiles[0].Type != SourceTypeParquet || tm.SchemaFile != nil {
			t.Errorf("%s: %+v", tm.Table, tm)
		}
	}
	if src.DBs[0].SchemaFile != nil {
		t.Error("no schema-create file expected")
	}
	if len(src.Warnings) != 1 || !strings.Contains(src.Warnings[0], "9 file(s)") || !strings.Contains(src.Warnings[0], "_SUCCESS") {
		t.Errorf("warnings = %q", src.Warnings)
	}
}

func TestLoadViews(t *testing.T) {
	dir := acceptance(t, "lightning_view")
	src := loadDir(t, filepath.Join(dir, "data"), loadConfig(t, filepath.Join(dir, "config.toml")))
	want := []string{
		// The placeholder tables db0.v2 / db1.v1 are replaced by views.
		"db0[db0-schema-create.sql] view:v2[db0.v2-schema-view.sql]",
		"db1[db1-schema-create.sql] tbl[db1.tbl-schema.sql](db1.tbl.0.sql) view:v1[db1.v1-schema-view.sql]",
	}
	if got := summary(src); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadOrderingAndEdgeCases(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"empty-schema-create.sql":  "CREATE DATABASE empty;",
		"d.t.10.sql":               "x",
		"d.t.9.sql":                "x",
		"d.t.0009.sql":             "x",
		"d.t.sql":                  "x",
		"sub/d.t.1.sql":            "x",
		"d.noschema.csv":           "1\n",
		"d.t-schema.sql":           "CREATE TABLE t (a int);",
		"d.only_schema-schema.sql": "CREATE TABLE only_schema (a int);",
		"d.t-schema-trigger.sql":   "x",
		"metadata":                 "x",
	})
	src := loadDir(t, dir, config.Default())
	want := []string{
		"d noschema(d.noschema.csv) only_schema[d.only_schema-schema.sql]() t[d.t-schema.sql](d.t.sql,sub/d.t.1.sql,d.t.0009.sql,d.t.9.sql,d.t.10.sql)",
		"empty[empty-schema-create.sql]",
	}
	if got := summary(src); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	keys := []string{"b", "10", "", "9", "a", "010"}
	sort.Slice(keys, func(i, j int) bool { return compareSortKeys(keys[i], keys[j]) < 0 })
	if got := strings.Join(keys, ","); got != ",9,10,010,a,b" {
		t.Errorf("sort keys: %s", got)
	}

	// Unreadable compression on a kept file fails the load, naming it; the
	// same file excluded by the filter does not.
	dir = writeTree(t, map[string]string{"d.t.sql.lz4": "x", "d.u.parquet.gz": "x"})
	store, _ := storage.NewLocal(dir)
	cfg := config.Default()
	if _, err := Load(context.Background(), cfg, store); err == nil || !strings.Contains(err.Error(), "d.t.sql.lz4") {
		t.Errorf("lz4: %v", err)
	}
	cfg.Mydumper.Filter = []string{"d.u"}
	if _, err := Load(context.Background(), cfg, store); err == nil || !strings.Contains(err.Error(), "parquet") {
		t.Errorf("parquet.gz: %v", err)
	}
	cfg.Mydumper.Filter = []string{"d.none"}
	if _, err := Load(context.Background(), cfg, store); err != nil {
		t.Errorf("filtered-out lz4 file: %v", err)
	}
	dir = writeTree(t, map[string]string{"d.t.sql.orig": "x"})
	store, _ = storage.NewLocal(dir)
	if _, err := Load(context.Background(), config.Default(), store); err == nil || !strings.Contains(err.Error(), "invalid compression") {
		t.Errorf("unknown suffix: %v", err)
	}
}

func TestParquetRowCount(t *testing.T) {
	dir := acceptance(t, "lightning_parquet")
	cfg := loadConfig(t, filepath.Join(dir, "config.toml"))
	src := loadDir(t, filepath.Join(dir, "data"), cfg)
	store, _ := storage.NewLocal(filepath.Join(dir, "data"))
	want := map[string]int64{"customer": 20, "district": 10, "history": 100, "item": 100, "new_order": 100,
		"order_line": 100, "orders": 100, "stock": 50, "warehouse": 1}
	p := NewPlanner(cfg, store)
	for _, tm := range src.DBs[0].Tables {
		chunks, err := p.MakeTableChunks(context.Background(), tm, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(chunks) != 1 || chunks[0].RowIDMax != want[tm.Table] {
			t.Errorf("%s: %+v, want %d rows", tm.Table, chunks, want[tm.Table])
		}
	}
	// Not parquet: clean errors, no panics.
	tmp := writeTree(t, map[string]string{"a.parquet": "PAR1junkjunkjunk\x05\x00\x00\x00PAR1", "b.parquet": "short"})
	st, _ := storage.NewLocal(tmp)
	for _, name := range []string{"a.parquet", "b.parquet"} {
		if _, err := ParquetRowCount(context.Background(), st, FileInfo{Path: name}); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestLoadExamples(t *testing.T) {
	dir := acceptance(t, "lightning_examples")
	src := loadDir(t, filepath.Join(dir, "data"), loadConfig(t, filepath.Join(dir, "512.toml")))
	want := []string{"mocker_test.report_case_high_risk", "mocker_test.tbl_autoid", "mocker_test.tbl_multi_index", "mocker_test.ı"}
	if got := tableNames(src); !reflect.DeepEqual(got, want) {
		t.Errorf("tables = %q", got)
	}
	if len(src.Warnings) != 1 || !strings.Contains(src.Warnings[0], "metadata") || !strings.Contains(src.Warnings[0], "test.parquet") {
		t.Errorf("warnings = %q", src.Warnings)
	}
}
