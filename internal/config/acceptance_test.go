package config

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// acceptanceRoot is the shared, read-only acceptance corpus.
const acceptanceRoot = "/work/shared/acceptance"

// acceptanceCase holds the fields of a case file that concern config loading.
type acceptanceCase struct {
	Source          string   `toml:"source"`
	Config          string   `toml:"config"`
	ExpectError     string   `toml:"expect_error"`
	ExpectErrorAlso []string `toml:"expect_error_also"`
	ExpectErrorNot  []string `toml:"expect_error_not"`
	ExtraFlags      []string `toml:"extra_flags"`
}

// caseFlags maps each config file of the corpus to the extra_flags its cases
// pass, with the runner's placeholders filled in. lightning_cmdline_override
// only loads because its flags replace the garbage in its config.
func caseFlags(t *testing.T) map[string][]string {
	t.Helper()
	placeholders := strings.NewReplacer("{tidb_host}", "127.0.0.1", "{tidb_port}", "4000", "{tidb_user}", "root",
		"{tidb_status_port}", "10080", "{pd_urls}", "127.0.0.1:2379", "{log_file}", filepath.Join(t.TempDir(), "tempest.log"))
	paths, err := filepath.Glob(filepath.Join(acceptanceRoot, "cases", "*.toml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no case files: %v", err)
	}
	flags := make(map[string][]string)
	for _, path := range paths {
		var c acceptanceCase
		if _, err := toml.DecodeFile(path, &c); err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		var args []string
		for _, arg := range c.ExtraFlags {
			args = append(args, placeholders.Replace(arg))
		}
		config := filepath.Join(acceptanceRoot, c.Source, c.Config)
		if len(args) > 0 || flags[config] == nil {
			flags[config] = args
		}
	}
	return flags
}

// TestAcceptanceConfigsLoad loads every Lightning config of the corpus with
// both backends, as the runner does (--backend, -d). The config of
// lightning_unused_config_keys must fail with the case's expected text.
func TestAcceptanceConfigsLoad(t *testing.T) {
	lightningDir := filepath.Join(acceptanceRoot, "lightning")
	if _, err := os.Stat(lightningDir); err != nil {
		t.Skipf("acceptance corpus not available: %v", err)
	}
	mustFail := loadUnusedKeysCase(t)
	mustFailPath := filepath.Join(acceptanceRoot, mustFail.Source, mustFail.Config)

	extraFlags := caseFlags(t)
	var configs []string
	err := filepath.WalkDir(lightningDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".toml") {
			configs = append(configs, path)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk corpus: %v", err)
	}
	if len(configs) < 30 {
		t.Fatalf("found only %d configs under %s", len(configs), lightningDir)
	}
	for _, path := range configs {
		for _, backend := range []string{"logical", "physical"} {
			args := []string{"--config", path, "-d", "/data", "--backend", backend, "--enable-checkpoint=0", "--check-requirements=0"}
			_, _, err := LoadWithFlags(append(args, extraFlags[path]...))
			if path != mustFailPath {
				if err != nil {
					t.Errorf("%s (%s): %v", path, backend, err)
				}
				continue
			}
			if err == nil {
				t.Errorf("%s (%s): loaded, want an unknown-keys error", path, backend)
				continue
			}
			msg := err.Error()
			for _, want := range append([]string{mustFail.ExpectError, unknownKeysPrefix}, mustFail.ExpectErrorAlso...) {
				if !strings.Contains(msg, want) {
					t.Errorf("%s: error %q lacks %q", path, msg, want)
				}
			}
			for _, unwanted := range mustFail.ExpectErrorNot {
				if strings.Contains(msg, unwanted) {
					t.Errorf("%s: error %q mentions %q", path, msg, unwanted)
				}
			}
		}
	}
}

func loadUnusedKeysCase(t *testing.T) acceptanceCase {
	t.Helper()
	var c acceptanceCase
	path := filepath.Join(acceptanceRoot, "cases", "lightning_unused_config_keys.toml")
	if _, err := toml.DecodeFile(path, &c); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	if c.ExpectError == "" || c.Source == "" || c.Config == "" {
		t.Fatalf("%s lacks expect_error/source/config: %+v", path, c)
	}
	return c
}

// TestAcceptanceDuplicateConfigs checks the strategies the logical
// lightning_tidb_duplicate_data cases depend on.
func TestAcceptanceDuplicateConfigs(t *testing.T) {
	dir := filepath.Join(acceptanceRoot, "lightning", "lightning_tidb_duplicate_data")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("acceptance corpus not available: %v", err)
	}
	for file, want := range map[string]string{"replace.toml": ConflictReplace, "ignore.toml": ConflictIgnore, "error.toml": ConflictError} {
		cfg, _, err := LoadWithFlags([]string{"-c", filepath.Join(dir, file), "-d", "/data", "--backend", "logical"})
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		if cfg.Conflict.Strategy != want {
			t.Errorf("%s: strategy %q, want %q", file, cfg.Conflict.Strategy, want)
		}
	}
}
