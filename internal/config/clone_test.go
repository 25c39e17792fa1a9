package config

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"slices"
	"testing"
)

// populatedConfig sets every reference-typed field, so an aliasing check
// covers all of them.
func populatedConfig(t *testing.T) *Config {
	t.Helper()
	text := `
[black-white-list]
do-dbs = ["a"]
ignore-dbs = ["b"]
do-tables = [{db-name = "a", tbl-name = "t"}]
ignore-tables = [{db-name = "b", tbl-name = "u"}]
[tidb]
password = "pw"
session-vars = { tidb_opt = "1" }
[tidb.security]
ca-path = "/ca"
[checkpoint]
dsn = "root:pw@tcp(db:4000)/"
[mydumper]
default-file-rules = true
ignore-data-columns = [{db = "d", table = "t", columns = ["c"], table-filter = []}]
[[mydumper.files]]
pattern = "x"
[[routes]]
schema-pattern = "s"
[routes.extract-table]
table-regexp = "t"
target-column = "c"
[routes.extract-schema]
schema-regexp = "s"
target-column = "c"
[routes.extract-source]
source-regexp = "x"
target-column = "c"
`
	cfg, _, err := Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Mydumper.IgnoreColumns[0].TableFilter = []string{"*.*"}
	cfg.Mydumper.IgnoreColumnsAlias = []IgnoreColumns{{DB: "x", Columns: []string{"y"}}}
	return cfg
}

// assertNoSharing walks a and b in parallel and fails if any non-nil
// pointer, slice or map of a is also referenced by b.
func assertNoSharing(t *testing.T, path string, a, b reflect.Value) {
	t.Helper()
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() {
			return
		}
		if a.Pointer() == b.Pointer() {
			t.Errorf("%s: pointer shared", path)
			return
		}
		assertNoSharing(t, path, a.Elem(), b.Elem())
	case reflect.Slice:
		if a.Len() == 0 {
			return
		}
		if a.Pointer() == b.Pointer() {
			t.Errorf("%s: slice backing array shared", path)
			return
		}
		for i := 0; i < a.Len(); i++ {
			assertNoSharing(t, path+"[]", a.Index(i), b.Index(i))
		}
	case reflect.Map:
		if a.Len() > 0 && a.Pointer() == b.Pointer() {
			t.Errorf("%s: map shared", path)
		}
	case reflect.Struct:
		for i := 0; i < a.NumField(); i++ {
			assertNoSharing(t, path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i))
		}
	}
}

func TestCloneIsDeep(t *testing.T) {
	orig := populatedConfig(t)
	clone := orig.Clone()
	if !reflect.DeepEqual(orig, clone) {
		t.Fatal("clone differs from the original")
	}
	assertNoSharing(t, "Config", reflect.ValueOf(orig), reflect.ValueOf(clone))
	var nilConfig *Config
	if nilConfig.Clone() != nil || nilConfig.Redacted() != nil {
		t.Error("nil Config did not clone to nil")
	}
}

func TestRedacted(t *testing.T) {
	orig := populatedConfig(t)
	red := orig.Redacted()
	if red.TiDB.Password != "" || red.Checkpoint.DSN != "" {
		t.Errorf("secrets survived: password %q dsn %q", red.TiDB.Password, red.Checkpoint.DSN)
	}
	if orig.TiDB.Password != "pw" || orig.Checkpoint.DSN == "" {
		t.Error("Redacted modified the original")
	}
	if red.TiDB.Security.CAPath != "/ca" {
		t.Error("Redacted dropped a certificate path, which is not a secret")
	}
}

// Workflow inputs travel as JSON; a redacted, adjusted config must survive.
func TestJSONRoundTrip(t *testing.T) {
	cfg, _ := mustAdjust(t, "[tidb]\npassword = 'pw'\n[mydumper]\nread-block-size = '512KiB'\n", "local")
	data, err := json.Marshal(cfg.Redacted())
	if err != nil {
		t.Fatal(err)
	}
	var back Config
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatalf("unmarshal %s: %v", data, err)
	}
	want := cfg.Redacted()
	if !reflect.DeepEqual(&back, want) {
		t.Errorf("round trip changed the config:\n got %+v\nwant %+v", back, *want)
	}
}

func TestPasswordCandidates(t *testing.T) {
	encoded := base64.StdEncoding.EncodeToString([]byte("p@ss word"))
	cases := []struct {
		password string
		want     []string
	}{
		{"plain!", []string{"plain!"}},
		{encoded, []string{encoded, "p@ss word"}},
		{"", []string{""}},
		// Valid base64, but not of text: only the plain reading.
		{base64.StdEncoding.EncodeToString([]byte{0xff, 0xfe}), []string{base64.StdEncoding.EncodeToString([]byte{0xff, 0xfe})}},
	}
	for _, c := range cases {
		got := TiDB{Password: c.password}.PasswordCandidates()
		if !slices.Equal(got, c.want) {
			t.Errorf("PasswordCandidates(%q) = %q, want %q", c.password, got, c.want)
		}
	}
}
