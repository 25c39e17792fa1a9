package config

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// writeConfig writes text to a file under t.TempDir and returns its path.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// The lightning_cmdline_override config points everything at garbage; the
// flags of the acceptance case must replace every one of those values.
const cmdlineOverrideConfig = `
[lightning]
check-requirements = false
file = "/tmp/xyzxyzxyz"
level = "xyzxyzxyz"

[tikv-importer]
addr = "xyzxyzxyz"

[mydumper]
data-source-dir = "xyzxyzxyz"

[tidb]
host = "xyzxyzxyz"
port = 12345678
user = "xyzxyzxyz"
status-port = 12345678
pd-addr = "xyzxyzxyz"
`

func TestFlagsOverrideFile(t *testing.T) {
	path := writeConfig(t, cmdlineOverrideConfig)
	args := []string{
		"--config", path, "-d", "/data/in", "--backend", "logical",
		"--enable-checkpoint=0", "--check-requirements=0",
		"-L", "info", "--log-file", "/logs/l.log", "--tidb-host", "db.example", "--tidb-port", "4000",
		"--tidb-user", "importer", "--tidb-password", "s3cret", "--tidb-status", "10080", "--pd-urls", "pd:2379",
	}
	cfg, warnings, err := LoadWithFlags(args)
	if err != nil {
		t.Fatalf("LoadWithFlags: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"level", cfg.Lightning.Level, "info"},
		{"file", cfg.Lightning.File, "/logs/l.log"},
		{"host", cfg.TiDB.Host, "db.example"},
		{"port", cfg.TiDB.Port, 4000},
		{"user", cfg.TiDB.User, "importer"},
		{"password", cfg.TiDB.Password, "s3cret"},
		{"status-port", cfg.TiDB.StatusPort, 10080},
		{"pd-addr", cfg.TiDB.PdAddr, "pd:2379"},
		{"data-source-dir", cfg.Mydumper.DataSourceDir, "/data/in"},
		{"backend", cfg.TikvImporter.Backend, BackendTiDB},
		{"checkpoint", cfg.Checkpoint.Enable, false},
		{"check-requirements", cfg.Lightning.CheckRequirements, false},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
	if !containsSubstring(warnings, "tikv-importer.addr") {
		t.Errorf("warnings %q do not mention the ignored tikv-importer.addr", warnings)
	}

	// Without the overriding flags the garbage is rejected, naming the key.
	if _, _, err := LoadWithFlags([]string{"-c", path, "-d", "/data/in"}); err == nil || !strings.Contains(err.Error(), "lightning.level") {
		t.Errorf("garbage config without flags: error = %v, want one naming lightning.level", err)
	}
}

func TestFlagsNotGivenKeepFileValues(t *testing.T) {
	path := writeConfig(t, "[tidb]\nhost = 'from-file'\nport = 4001\n[lightning]\ncheck-requirements = false\n[post-restore]\nchecksum = 'optional'\n")
	cfg, _, err := LoadWithFlags([]string{"-c", path, "-d", "/d"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TiDB.Host != "from-file" || cfg.TiDB.Port != 4001 || cfg.Lightning.CheckRequirements || cfg.PostRestore.Checksum != OpLevelOptional {
		t.Errorf("unset flags overrode the file: tidb %+v check-requirements %v checksum %q",
			cfg.TiDB, cfg.Lightning.CheckRequirements, cfg.PostRestore.Checksum)
	}
}

func TestAllFlags(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	flags := RegisterFlags(fs)
	args := []string{
		"-c", "/etc/task.toml", "-V", "--sorted-kv-dir", "/kv", "--no-schema", "--checksum", "false", "--analyze", "required",
		"--ca", "/ca", "--cert", "/cert", "--key", "/key", "--redact-info-log", "--status-addr", ":8289", "--server-mode",
		"-f", "!firstdb.*", "-f", "*.second", "--temporal-address", "tmp:7233", "--temporal-namespace", "ns",
		"--task-queue", "q", "--node-id", "n1", "--state-dir", "/state", "--backend", "physical",
	}
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	if flags.ConfigPath != "/etc/task.toml" || !flags.Version {
		t.Errorf("ConfigPath %q Version %v", flags.ConfigPath, flags.Version)
	}
	cfg := Default()
	if err := flags.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"sorted-kv-dir", cfg.TikvImporter.SortedKVDir, "/kv"},
		{"no-schema", cfg.Mydumper.NoSchema, true},
		{"checksum", cfg.PostRestore.Checksum, OpLevelOff},
		{"analyze", cfg.PostRestore.Analyze, OpLevelRequired},
		{"security", cfg.Security.TLSFiles, TLSFiles{CAPath: "/ca", CertPath: "/cert", KeyPath: "/key"}},
		{"redact", cfg.Security.RedactInfoLog, true},
		{"status-addr", cfg.Lightning.StatusAddr, ":8289"},
		{"server-mode", cfg.Lightning.ServerMode, true},
		{"filter", cfg.Mydumper.Filter, []string{"!firstdb.*", "*.second"}},
		{"temporal", cfg.Temporal.Address + "|" + cfg.Temporal.Namespace + "|" + cfg.Temporal.TaskQueue + "|" + cfg.Temporal.NodeID + "|" + cfg.Temporal.StateDir, "tmp:7233|ns|q|n1|/state"},
		{"backend", cfg.TikvImporter.Backend, BackendLocal},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func TestFlagErrors(t *testing.T) {
	cases := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"-d", "/d", "--checksum", "sometimes"}, "-checksum"},
		{[]string{"-d", "/d", "--backend", "importer"}, "no longer supported"},
		{[]string{"-d", "/d", "--no-such-flag"}, "no-such-flag"},
		{[]string{"-d", "/d", "stray"}, "unexpected arguments"},
		{[]string{"-c", "/nonexistent/tempest.toml"}, "read config file"},
	}
	for _, c := range cases {
		_, _, err := LoadWithFlags(c.args)
		if err == nil || !strings.Contains(err.Error(), c.wantErr) {
			t.Errorf("%q: error = %v, want it to contain %q", c.args, err, c.wantErr)
		}
	}
}

func TestFilterFlagReplacesFileFilter(t *testing.T) {
	path := writeConfig(t, "[mydumper]\nfilter = ['a.*', 'b.*']\n")
	cfg, _, err := LoadWithFlags([]string{"-c", path, "-d", "/d", "-f", "f*.*"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.Mydumper.Filter, []string{"f*.*"}) {
		t.Errorf("filter = %q, want only the -f rule", cfg.Mydumper.Filter)
	}
	cfg, _, err = LoadWithFlags([]string{"-c", path, "-d", "/d"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.Mydumper.Filter, []string{"a.*", "b.*"}) {
		t.Errorf("filter = %q, want the file's rules", cfg.Mydumper.Filter)
	}
}
