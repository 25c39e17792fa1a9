package mydump

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/config"
)

func defaultRouter(t *testing.T) *FileRouter {
	t.Helper()
	r, err := NewFileRouter(&config.Default().Mydumper)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func describe(res *RouteResult) string {
	if res == nil {
		return "<no match>"
	}
	if res.Type == SourceTypeIgnore {
		return "ignore"
	}
	return fmt.Sprintf("%s|%s|%s|%s|%s", res.Type, res.Schema, res.Table, res.Key, res.Compression)
}

func TestDefaultFileRules(t *testing.T) {
	r := defaultRouter(t)
	cases := map[string]string{
		"db-schema-create.sql":                 "schema-schema|db|||none",
		"db-schema-create.sql.gz":              "schema-schema|db|||gzip",
		"sub/dir/db-schema-create.SQL":         "schema-schema|db|||none",
		"db.tbl-schema.sql":                    "table-schema|db|tbl||none",
		"db.tbl-schema.sql.zst":                "table-schema|db|tbl||zstd",
		"db.tbl-schema-view.sql":               "view-schema|db|tbl||none",
		"db.tbl-schema-view.sql.snappy":        "view-schema|db|tbl||snappy",
		"db.tbl.sql":                           "sql|db|tbl||none",
		"db.tbl.000000001.sql":                 "sql|db|tbl|000000001|none",
		"db.tbl.12.csv.gzip":                   "csv|db|tbl|12|gzip",
		"csv.escapes.CSV":                      "csv|csv|escapes||none",
		"db.tbl.0.parquet":                     "parquet|db|tbl|0|none",
		"db.t.x.y.sql":                         "sql|db|t.x.y||none",
		"db.tbl.sql.lz4":                       "sql|db|tbl||lz4",
		"a/b/db.tbl.3.sql.zstd":                "sql|db|tbl|3|zstd",
		"db%2Fx.t%20y.sql":                     "sql|db/x|t y||none",
		"db.100%.sql":                          "sql|db|100%||none", // invalid escape kept
		"mocker_test.ı.sql":                    "sql|mocker_test|ı||none",
		"db.tbl-schema-trigger.sql":            "ignore",
		"db.tbl-schema-post.sql.gz":            "ignore",
		"db.tbl.sql.bak":                       "ignore",
		"db.tbl.0.csv.gz.BAK":                  "ignore",
		"metadata":                             "<no match>",
		"_SUCCESS":                             "<no match>",
		"db.tbl.txt":                           "<no match>",
		"x`f\"n-schema-create.sql":             "schema-schema|x`f\"n|||none",
		"x`f\"n.exotic`table``name-schema.sql": "table-schema|x`f\"n|exotic`table``name||none",
		"x`f\"n.exotic`table``name.sql":        "sql|x`f\"n|exotic`table``name||none",
		"中文庫-schema-create.sql":                "schema-schema|中文庫|||none",
		"中文庫.中文表-schema.sql":                   "table-schema|中文庫|中文表||none",
		"中文庫.中文表.sql":                          "sql|中文庫|中文表||none",
	}
	for path, want := range cases {
		res, err := r.Route(path)
		if err != nil {
			t.Errorf("Route(%q): %v", path, err)
			continue
		}
		if got := describe(res); got != want {
			t.Errorf("Route(%q) = %s, want %s", path, got, want)
		}
	}
	for _, path := range []string{"db.tbl.sql.orig", "db.tbl-schema.sql.rar"} {
		if _, err := r.Route(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("Route(%q) should fail naming the file, got %v", path, err)
		}
	}
}

func TestCustomFileRules(t *testing.T) {
	// The rule of lightning_parquet/config.toml.
	m := config.Default().Mydumper
	m.FileRouters = []config.FileRouteRule{{
		Pattern: `(?i)^(?:[^/]*/)*([a-z0-9_]+)\.([a-z0-9_]+)/(?:[a-z0-9\-_.]+\.(parquet))$`,
		Schema:  "$1", Table: "$2", Type: "$3",
	}}
	r, err := NewFileRouter(&m)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"test/test.orders/part-00000-b45481f5-92c0-4961-9bf7-32a0a04ffee5-c000.gz.parquet": "parquet|test|orders||none",
		"test/test.orders/_SUCCESS": "<no match>",
		// Default rules are off once custom rules exist.
		"db.tbl.sql": "<no match>",
	}
	for path, want := range cases {
		res, err := r.Route(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := describe(res); got != want {
			t.Errorf("Route(%q) = %s, want %s", path, got, want)
		}
	}

	// Named groups, literal path, compression template, first match wins,
	// and default rules re-enabled.
	on := true
	m.DefaultFileRules = &on
	m.FileRouters = []config.FileRouteRule{
		{Path: "special/data.txt", Schema: "s", Table: "t", Type: "csv"},
		{Pattern: `^in/(?P<db>\w+)-(?P<tbl>\w+)-(?P<n>\d+)\.dat(?:\.(\w+))?$`, Schema: "${db}", Table: "${tbl}_x", Type: "csv", Key: "${n}", Compression: "$4"},
		{Pattern: `^in/skip`, Type: "ignore"},
		{Pattern: `^in/.*`, Schema: "never", Table: "never", Type: "sql"},
	}
	if r, err = NewFileRouter(&m); err != nil {
		t.Fatal(err)
	}
	cases = map[string]string{
		"special/data.txt":      "csv|s|t||none",
		"xspecial/data.txt":     "<no match>",
		"in/app-users-7.dat.gz": "csv|app|users_x|7|gzip",
		"in/skip-me.dat":        "ignore",
		"in/other":              "sql|never|never||none",
		"db.tbl.sql":            "sql|db|tbl||none",
	}
	for path, want := range cases {
		res, err := r.Route(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := describe(res); got != want {
			t.Errorf("Route(%q) = %s, want %s", path, got, want)
		}
	}

	for i, bad := range []config.FileRouteRule{
		{Pattern: "x", Path: "y", Schema: "s", Table: "t", Type: "sql"},
		{Schema: "s", Table: "t", Type: "sql"},
		{Pattern: "(", Schema: "s", Table: "t", Type: "sql"},
		{Pattern: "x", Schema: "s", Table: "t", Type: "orc"},
		{Pattern: "x", Table: "t", Type: "sql"},
		{Pattern: "x", Schema: "s", Type: "csv"},
	} {
		mm := config.Default().Mydumper
		mm.FileRouters = []config.FileRouteRule{bad}
		if _, err := NewFileRouter(&mm); err == nil {
			t.Errorf("bad rule %d accepted", i)
		}
	}
}
