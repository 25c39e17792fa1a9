package config

import (
	"math"
	"os"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// parseAndAdjust parses a task file, forces the backend and a source dir (as
// the -d and --backend flags would) and adjusts it.
func parseAndAdjust(t *testing.T, text, backend string) (*Config, []string, error) {
	t.Helper()
	cfg, warnings, err := Parse([]byte(text))
	if err != nil {
		return nil, warnings, err
	}
	if backend != "" {
		cfg.TikvImporter.Backend = backend
	}
	if cfg.Mydumper.DataSourceDir == "" {
		cfg.Mydumper.DataSourceDir = "/data"
	}
	more, err := cfg.AdjustWithWarnings()
	return cfg, append(warnings, more...), err
}

func mustAdjust(t *testing.T, text, backend string) (*Config, []string) {
	t.Helper()
	cfg, warnings, err := parseAndAdjust(t, text, backend)
	if err != nil {
		t.Fatalf("config %q with backend %q: %v", text, backend, err)
	}
	return cfg, warnings
}

func containsSubstring(list []string, sub string) bool {
	return slices.ContainsFunc(list, func(s string) bool { return strings.Contains(s, sub) })
}

func TestDefaultsAfterAdjust(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Fatalf("hostname: %v", err)
	}
	ncpu := runtime.NumCPU()

	local, _ := mustAdjust(t, "", "")
	if local.TikvImporter.Backend != BackendLocal || !local.IsPhysical() || local.IsLogical() {
		t.Errorf("default backend = %q, want local", local.TikvImporter.Backend)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"local table-concurrency", local.Lightning.TableConcurrency, 6},
		{"local index-concurrency", local.Lightning.IndexConcurrency, 2},
		{"local region-concurrency", local.Lightning.RegionConcurrency, ncpu},
		{"local io-concurrency", local.Lightning.IOConcurrency, 5},
		{"local strategy", local.Conflict.Strategy, ConflictNone},
		{"local threshold", local.Conflict.Threshold, int64(0)},
		{"local max-record-rows", local.Conflict.MaxRecordRows, int64(0)},
		{"local checksum", local.PostRestore.Checksum, OpLevelRequired},
		{"local analyze", local.PostRestore.Analyze, OpLevelOptional},
		{"max-error", local.Lightning.MaxError, MaxError{Charset: math.MaxInt64}},
		{"read-block-size", local.Mydumper.ReadBlockSize, 64 * KiB},
		{"batch-size", local.Mydumper.BatchSize, 100 * GiB},
		{"csv null", local.Mydumper.CSV.Null, StringList{`\N`}},
		{"csv escaped-by", local.Mydumper.CSV.EscapedBy, `\`},
		{"default-file-rules", *local.Mydumper.DefaultFileRules, true},
		{"sorted-kv-dir left for the worker", local.TikvImporter.SortedKVDir, ""},
		{"sql-mode", local.TiDB.SQLMode, "ONLY_FULL_GROUP_BY,NO_AUTO_CREATE_USER"},
		{"max-allowed-packet", local.MaxAllowedPacket(), int64(64 << 20)},
		{"task-queue", local.Temporal.TaskQueue, "tempest"},
		{"namespace", local.Temporal.Namespace, "default"},
		{"node-id", local.Temporal.NodeID, host},
		{"log-progress", local.Cron.LogProgress.String(), "5m0s"},
	}
	logical, _ := mustAdjust(t, "", "tidb")
	checks = append(checks, []struct {
		name      string
		got, want any
	}{
		{"tidb is logical", logical.IsLogical(), true},
		{"tidb table-concurrency", logical.Lightning.TableConcurrency, logical.Lightning.RegionConcurrency},
		{"tidb index-concurrency", logical.Lightning.IndexConcurrency, logical.Lightning.RegionConcurrency},
		{"tidb strategy", logical.Conflict.Strategy, ConflictReplace},
		{"tidb threshold", logical.Conflict.Threshold, int64(DefaultConflictThreshold)},
		{"tidb+replace max-record-rows", logical.Conflict.MaxRecordRows, int64(0)},
		{"tidb checksum", logical.PostRestore.Checksum, OpLevelOff},
		{"tidb analyze", logical.PostRestore.Analyze, OpLevelOff},
	}...)
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func TestRegionConcurrencyCappedForLocalOnly(t *testing.T) {
	many := runtime.NumCPU() + 7
	text := "[lightning]\nregion-concurrency = " + strconv.Itoa(many) + "\n"
	local, warnings := mustAdjust(t, text, "local")
	if local.Lightning.RegionConcurrency != runtime.NumCPU() {
		t.Errorf("local region-concurrency = %d, want capped at %d", local.Lightning.RegionConcurrency, runtime.NumCPU())
	}
	if !containsSubstring(warnings, "region-concurrency") {
		t.Errorf("no warning about the cap: %q", warnings)
	}
	logical, _ := mustAdjust(t, text, "tidb")
	if logical.Lightning.RegionConcurrency != many || logical.Lightning.TableConcurrency != many {
		t.Errorf("tidb region/table-concurrency = %d/%d, want %d", logical.Lightning.RegionConcurrency, logical.Lightning.TableConcurrency, many)
	}
}

func TestUnknownKeys(t *testing.T) {
	cases := []struct {
		text string
		want string
	}{
		{"[typo-1]\n\n[lightning]\ntypo-2 = \"unused test\"\n\n[[typo-3]]\n",
			unknownKeysPrefix + "typo-1, lightning.typo-2, typo-3"},
		// Keys below an unknown table are not listed again.
		{"[typo-1]\na = 1\nb = 2\n", unknownKeysPrefix + "typo-1"},
		{"[mydumper.csv]\nsep = ','\n", unknownKeysPrefix + "mydumper.csv.sep"},
		{"[[routes]]\nschema-pattern = 'a'\ntarget = 'b'\n", unknownKeysPrefix + "routes.target"},
	}
	for _, c := range cases {
		_, _, err := Parse([]byte(c.text))
		if err == nil || err.Error() != c.want {
			t.Errorf("Parse(%q) error = %v, want %q", c.text, err, c.want)
		}
	}
}

func TestGlobalOnlyKeysAcceptedInTaskFile(t *testing.T) {
	text := `
[lightning]
status-addr = ":8289"
server-mode = false
level = "debug"
file = "-"
pprof-port = 8289
[security]
ca-path = "/ca.pem"
cert-path = "/c.pem"
key-path = "/k.pem"
redact-info-log = true
[mydumper]
ignore-columns = [{db = "d", table = "t", columns = ["c"]}]
[tidb.security]
ca-path = "/tidb-ca.pem"
`
	cfg, _ := mustAdjust(t, text, "local")
	if cfg.Lightning.StatusAddr != ":8289" || !cfg.Security.RedactInfoLog || cfg.TiDB.Security.CAPath != "/tidb-ca.pem" {
		t.Errorf("global keys not decoded: %+v %+v %+v", cfg.Lightning, cfg.Security, cfg.TiDB.Security)
	}
	if len(cfg.Mydumper.IgnoreColumns) != 1 || cfg.Mydumper.IgnoreColumns[0].Table != "t" {
		t.Errorf("ignore-columns alias not merged: %+v", cfg.Mydumper.IgnoreColumns)
	}
}

func TestMaxErrorForms(t *testing.T) {
	cases := []struct {
		text    string
		want    MaxError
		wantErr string
	}{
		{"max-error = 7", MaxError{Type: 7, Charset: math.MaxInt64}, ""},
		{"max-error = 0", MaxError{Charset: math.MaxInt64}, ""},
		{"max-error = { type = 3, charset = 9 }", MaxError{Type: 3, Charset: 9}, ""},
		{"max-error = { conflict = 4 }", MaxError{Charset: math.MaxInt64, Conflict: 4}, ""},
		{"max-error = -1", MaxError{}, "must not be negative"},
		{"max-error = { type = -2 }", MaxError{}, "max-error.type"},
		{"max-error = { tpye = 1 }", MaxError{}, "max-error.tpye"},
		{"max-error = 'x'", MaxError{}, "invalid max-error"},
	}
	for _, c := range cases {
		cfg, _, err := Parse([]byte("[lightning]\n" + c.text + "\n"))
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: error = %v, want it to contain %q", c.text, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.text, err)
			continue
		}
		if cfg.Lightning.MaxError != c.want {
			t.Errorf("%s: got %+v, want %+v", c.text, cfg.Lightning.MaxError, c.want)
		}
	}
	// syntax errors are never tolerated.
	cfg, warnings := mustAdjust(t, "[lightning]\nmax-error = { syntax = 5 }\n", "local")
	if cfg.Lightning.MaxError.Syntax != 0 || !containsSubstring(warnings, "max-error.syntax") {
		t.Errorf("syntax budget = %d, warnings %q", cfg.Lightning.MaxError.Syntax, warnings)
	}
}

func TestPostRestoreForms(t *testing.T) {
	cases := []struct {
		value   string
		want    OpLevel
		wantErr bool
	}{
		{"true", OpLevelRequired, false},
		{"false", OpLevelOff, false},
		{`"off"`, OpLevelOff, false},
		{`"optional"`, OpLevelOptional, false},
		{`"required"`, OpLevelRequired, false},
		{`"REQUIRED"`, OpLevelRequired, false},
		{`"sometimes"`, "", true},
		{"1", "", true},
	}
	for _, c := range cases {
		for _, key := range []string{"checksum", "analyze"} {
			cfg, _, err := Parse([]byte("[post-restore]\n" + key + " = " + c.value + "\n"))
			if c.wantErr {
				if err == nil || !strings.Contains(err.Error(), "post-restore."+key) {
					t.Errorf("%s = %s: error = %v, want one naming post-restore.%s", key, c.value, err, key)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s = %s: %v", key, c.value, err)
				continue
			}
			got := cfg.PostRestore.Checksum
			if key == "analyze" {
				got = cfg.PostRestore.Analyze
			}
			if got != c.want {
				t.Errorf("%s = %s: got %q, want %q", key, c.value, got, c.want)
			}
		}
	}
	// The tidb backend has nothing to checksum or analyze.
	cfg, _ := mustAdjust(t, "[post-restore]\nchecksum = 'required'\nanalyze = true\n", "tidb")
	if cfg.PostRestore.Checksum != OpLevelOff || cfg.PostRestore.Analyze != OpLevelOff {
		t.Errorf("tidb backend post-restore = %+v, want both off", cfg.PostRestore)
	}
}

func TestBackendAliases(t *testing.T) {
	for input, want := range map[string]string{"logical": BackendTiDB, "physical": BackendLocal, "TiDB": BackendTiDB, "local": BackendLocal} {
		cfg, _ := mustAdjust(t, "[tikv-importer]\nbackend = '"+input+"'\n", "")
		if cfg.TikvImporter.Backend != want {
			t.Errorf("backend %q → %q, want %q", input, cfg.TikvImporter.Backend, want)
		}
	}
	for input, want := range map[string]string{"importer": "no longer supported", "remote": "not supported", "": "must be set"} {
		_, _, err := parseAndAdjust(t, "[tikv-importer]\nbackend = '"+input+"'\n", "")
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "tikv-importer.backend") {
			t.Errorf("backend %q: error = %v, want one containing %q", input, err, want)
		}
	}
}

func TestConflictStrategy(t *testing.T) {
	cases := []struct {
		name, text, backend string
		strategy            string
		threshold, records  int64
		warning             string
	}{
		{"tidb default replace", "", "tidb", ConflictReplace, 10000, 0, ""},
		{"tidb on-duplicate ignore", "[tikv-importer]\non-duplicate = 'ignore'", "tidb", ConflictIgnore, 10000, 10000, "on-duplicate is deprecated"},
		{"tidb on-duplicate error", "[tikv-importer]\non-duplicate = 'error'", "tidb", ConflictError, 0, 0, "on-duplicate is deprecated"},
		{"local ignores on-duplicate", "[tikv-importer]\non-duplicate = 'ignore'", "local", ConflictNone, 0, 0, "only applies to the tidb backend"},
		{"local duplicate-resolution remove", "[tikv-importer]\nduplicate-resolution = 'remove'", "local", ConflictReplace, 10000, 10000, "duplicate-resolution is deprecated"},
		{"local duplicate-resolution record", "[tikv-importer]\nduplicate-resolution = 'record'", "local", ConflictReplace, 10000, 10000, ""},
		{"local duplicate-resolution none", "[tikv-importer]\nduplicate-resolution = 'none'", "local", ConflictNone, 0, 0, ""},
		{"strategy remove alias", "[conflict]\nstrategy = 'remove'", "local", ConflictReplace, 10000, 10000, ""},
		{"explicit threshold", "[conflict]\nstrategy = 'replace'\nthreshold = 20", "local", ConflictReplace, 20, 20, ""},
		{"explicit zero threshold", "[conflict]\nstrategy = 'replace'\nthreshold = 0", "local", ConflictReplace, 0, 0, ""},
		{"max-record-rows follows threshold", "[conflict]\nstrategy = 'ignore'\nthreshold = 5\nmax-record-rows = 1", "tidb", ConflictIgnore, 5, 5, "max-record-rows"},
		{"old max-error.conflict", "[conflict]\nstrategy = 'replace'\n[lightning]\nmax-error = { conflict = 20 }", "local", ConflictReplace, 20, 20, "max-error.conflict is deprecated"},
		{"strategy wins over matching on-duplicate", "[conflict]\nstrategy = 'error'\n[tikv-importer]\non-duplicate = 'error'", "tidb", ConflictError, 0, 0, ""},
	}
	for _, c := range cases {
		cfg, warnings := mustAdjust(t, c.text, c.backend)
		if cfg.Conflict.Strategy != c.strategy || cfg.Conflict.Threshold != c.threshold || cfg.Conflict.MaxRecordRows != c.records {
			t.Errorf("%s: got strategy %q threshold %d records %d, want %q %d %d", c.name,
				cfg.Conflict.Strategy, cfg.Conflict.Threshold, cfg.Conflict.MaxRecordRows, c.strategy, c.threshold, c.records)
		}
		if c.warning != "" && !containsSubstring(warnings, c.warning) {
			t.Errorf("%s: warnings %q lack %q", c.name, warnings, c.warning)
		}
	}
}

func TestValidationRules(t *testing.T) {
	cases := []struct {
		name, text, backend, wantErr string
	}{
		{"empty separator", "[mydumper.csv]\nseparator = ''", "local", "mydumper.csv.separator must not be empty"},
		{"separator prefix of delimiter", "[mydumper.csv]\nseparator = 'a'\ndelimiter = 'ab'", "local", "prefixes of each other"},
		{"delimiter prefix of separator", "[mydumper.csv]\nseparator = '||'\ndelimiter = '|'", "local", "mydumper.csv.delimiter"},
		{"escaped-by too long", "[mydumper.csv]\nescaped-by = '\\\\'", "local", "mydumper.csv.escaped-by"},
		{"escaped-by = separator", "[mydumper.csv]\nseparator = '|'\nescaped-by = '|'", "local", "must differ from mydumper.csv.separator"},
		{"escaped-by = delimiter", "[mydumper.csv]\nescaped-by = '\"'", "local", "must differ from mydumper.csv.delimiter"},
		{"escaped-by = terminator", "[mydumper.csv]\nterminator = '#'\nescaped-by = '#'", "local", "must differ from mydumper.csv.terminator"},
		{"ignore with local", "[conflict]\nstrategy = 'ignore'", "local", `conflict.strategy cannot be set to "ignore" when use tikv-importer.backend = "local"`},
		{"threshold with error", "[conflict]\nstrategy = 'error'\nthreshold = 1", "local", "conflict.threshold"},
		{"bad strategy", "[conflict]\nstrategy = 'overwrite'", "local", "conflict.strategy"},
		{"strategy and on-duplicate disagree", "[conflict]\nstrategy = 'replace'\n[tikv-importer]\non-duplicate = 'ignore'", "tidb", "on-duplicate"},
		{"precheck with tidb", "[conflict]\nprecheck-conflict-before-import = true", "tidb", "conflict.precheck-conflict-before-import"},
		{"add-index-by-sql with parallel-import", "[tikv-importer]\nadd-index-by-sql = true\nparallel-import = true", "local", "tikv-importer.add-index-by-sql"},
		{"add-index-by-sql with incremental-import", "[tikv-importer]\nadd-index-by-sql = true\nincremental-import = true", "local", "tikv-importer.add-index-by-sql"},
		{"server-mode without status-addr", "[lightning]\nserver-mode = true", "local", "lightning.status-addr"},
		{"tls cluster without security", "[tidb]\ntls = 'cluster'", "local", `tidb.tls = "cluster"`},
		{"bad tls", "[tidb]\ntls = 'maybe'", "local", "tidb.tls"},
		{"batch-import-ratio 1", "[mydumper]\nbatch-import-ratio = 1.0", "local", "mydumper.batch-import-ratio"},
		{"batch-import-ratio negative", "[mydumper]\nbatch-import-ratio = -0.1", "local", "mydumper.batch-import-ratio"},
		{"read-block-size 0", "[mydumper]\nread-block-size = 0", "local", "mydumper.read-block-size"},
		{"bad log level", "[lightning]\nlevel = 'xyzxyzxyz'", "local", "lightning.level"},
		{"bad port", "[tidb]\nport = 12345678", "local", "tidb.port"},
		{"bad status port", "[tidb]\nstatus-port = -1", "local", "tidb.status-port"},
		{"bad charset", "[mydumper]\ncharacter-set = 'ebcdic'", "local", "mydumper.character-set"},
		{"bad data charset", "[mydumper]\ndata-character-set = 'ebcdic'", "local", "mydumper.data-character-set"},
		{"bad compress", "[tikv-importer]\ncompress-kv-pairs = 'lz4'", "local", "tikv-importer.compress-kv-pairs"},
		{"bad pd scope", "[tikv-importer]\npause-pd-scheduler-scope = 'cluster'", "local", "tikv-importer.pause-pd-scheduler-scope"},
		{"bad duplicate-resolution", "[tikv-importer]\nduplicate-resolution = 'maybe'", "local", "tikv-importer.duplicate-resolution"},
		{"zero logical batch", "[tikv-importer]\nlogical-import-batch-rows = 0", "tidb", "tikv-importer.logical-import-batch-rows"},
		{"file rule without pattern", "[[mydumper.files]]\nschema = 'a'", "local", "mydumper.files[0]"},
		{"file rule bad regexp", "[[mydumper.files]]\npattern = '('", "local", "mydumper.files[0].pattern"},
		{"ignore columns without db", "[[mydumper.ignore-data-columns]]\ncolumns = ['a']", "local", "mydumper.ignore-data-columns[0]"},
		{"empty filter", "[mydumper]\nfilter = []", "local", "mydumper.filter"},
		{"filter and bw list", "[mydumper]\nfilter = ['a.*']\n[black-white-list]\ndo-dbs = ['a']", "local", "black-white-list"},
		{"route without schema", "[[routes]]\ntarget-schema = 'x'", "local", "routes[0].schema-pattern"},
		{"route bad extractor", "[[routes]]\nschema-pattern = 'a'\n[routes.extract-table]\ntable-regexp = '('\ntarget-column = 'c'", "local", "routes[0].extract-table"},
		{"cert without key", "[security]\ncert-path = '/c.pem'", "local", "security.cert-path"},
	}
	for _, c := range cases {
		_, _, err := parseAndAdjust(t, c.text, c.backend)
		if err == nil || !strings.Contains(err.Error(), c.wantErr) {
			t.Errorf("%s: error = %v, want it to contain %q", c.name, err, c.wantErr)
		}
	}
	// The data source is required unless the process waits for tasks.
	cfg, _, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Adjust(); err == nil || !strings.Contains(err.Error(), "mydumper.data-source-dir") {
		t.Errorf("missing data-source-dir: error = %v", err)
	}
	cfg.Lightning.ServerMode, cfg.Lightning.StatusAddr = true, ":8289"
	if err := cfg.Adjust(); err != nil {
		t.Errorf("server mode without data-source-dir: %v", err)
	}
}

func TestCSVAdjustments(t *testing.T) {
	cfg, _ := mustAdjust(t, "[mydumper.csv]\nbackslash-escape = false\n", "local")
	if cfg.Mydumper.CSV.EscapedBy != "" {
		t.Errorf("backslash-escape = false left escaped-by = %q", cfg.Mydumper.CSV.EscapedBy)
	}
	cfg, _ = mustAdjust(t, "[mydumper.csv]\nnull = []\n", "local")
	if !reflect.DeepEqual(cfg.Mydumper.CSV.Null, StringList{""}) {
		t.Errorf("empty null list with not-null = false → %q, want [\"\"]", cfg.Mydumper.CSV.Null)
	}
	cfg, _ = mustAdjust(t, "[mydumper.csv]\nnull = []\nnot-null = true\n", "local")
	if len(cfg.Mydumper.CSV.Null) != 0 {
		t.Errorf("not-null = true changed null to %q", cfg.Mydumper.CSV.Null)
	}
	cfg, _ = mustAdjust(t, "[mydumper.csv]\nnull = ['NULL', '\\N']\n", "local")
	if !reflect.DeepEqual(cfg.Mydumper.CSV.Null, StringList{"NULL", `\N`}) {
		t.Errorf("null list = %q", cfg.Mydumper.CSV.Null)
	}
	_, warnings := mustAdjust(t, "[mydumper]\nstrict-format = true\n", "local")
	if !containsSubstring(warnings, "strict-format") {
		t.Errorf("strict-format without terminator gave no warning: %q", warnings)
	}
}

func TestDeprecatedAliases(t *testing.T) {
	cfg, warnings := mustAdjust(t, "[tikv-importer]\nincremental-import = true\n[lightning]\npprof-port = 8289\nmax-error-records = 3\n[checkpoint]\nenable = false\n", "local")
	if !cfg.TikvImporter.ParallelImport {
		t.Error("incremental-import did not enable parallel-import")
	}
	if cfg.Lightning.StatusAddr != ":8289" {
		t.Errorf("pprof-port → status-addr = %q", cfg.Lightning.StatusAddr)
	}
	for _, want := range []string{"incremental-import", "max-error-records", "[checkpoint] is ignored"} {
		if !containsSubstring(warnings, want) {
			t.Errorf("warnings %q lack %q", warnings, want)
		}
	}
	cfg, _, err := Parse([]byte("[checkpoint]\nkeep-after-success = true\n"))
	if err != nil || cfg.Checkpoint.KeepAfterSuccess != KeepCheckpointRename {
		t.Errorf("keep-after-success = true → %q, %v", cfg.Checkpoint.KeepAfterSuccess, err)
	}
	if _, _, err := Parse([]byte("[checkpoint]\nkeep-after-success = 'shred'\n")); err == nil {
		t.Error("keep-after-success = 'shred' accepted")
	}
	cfg, _, err = Parse([]byte("[black-white-list]\ndo-dbs = ['~^f']\n[[black-white-list.do-tables]]\ndb-name = 'a'\ntbl-name = 'b'\n"))
	if err != nil || cfg.BWList == nil || cfg.BWList.DoDBs[0] != "~^f" || cfg.BWList.DoTables[0] != (BWTable{Schema: "a", Name: "b"}) {
		t.Errorf("black-white-list = %+v, %v", cfg.BWList, err)
	}
}

func TestAdjustIsIdempotent(t *testing.T) {
	for _, backend := range []string{"local", "tidb"} {
		cfg, _ := mustAdjust(t, "[conflict]\nstrategy = 'error'\n[mydumper.csv]\nnull = []\n", backend)
		again := cfg.Clone()
		if err := again.Adjust(); err != nil {
			t.Fatalf("%s: second Adjust: %v", backend, err)
		}
		if !reflect.DeepEqual(cfg, again) {
			t.Errorf("%s: second Adjust changed the config", backend)
		}
	}
}

func TestSecuritySharedWithTiDB(t *testing.T) {
	cfg, _ := mustAdjust(t, "[security]\nca-path = '/ca'\ncert-path = '/c'\nkey-path = '/k'\n[tidb]\ntls = 'cluster'\n", "local")
	if cfg.TiDB.Security == nil || *cfg.TiDB.Security != (TLSFiles{CAPath: "/ca", CertPath: "/c", KeyPath: "/k"}) {
		t.Errorf("tidb.security = %+v, want a copy of [security]", cfg.TiDB.Security)
	}
}
