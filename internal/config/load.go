package config

import (
	"fmt"
	"os"
	"strings"

	"github.com/BurntSushi/toml"
)

// unknownKeysPrefix starts the error for keys no section knows. The wording is
// Lightning's, so scripts that grep for it keep working.
const unknownKeysPrefix = "config file contained unknown configuration options: "

// Load reads a task file (tidb-lightning.toml plus an optional [temporal]
// section) on top of Default(). It does not call Adjust: command-line flags
// are applied first, then Adjust resolves the defaults that depend on them.
// The returned warnings are for the operator (deprecated or ignored keys).
func Load(path string) (*Config, []string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read config file: %w", err)
	}
	cfg, warnings, err := Parse(data)
	if err != nil {
		return nil, nil, fmt.Errorf("load config file %s: %w", path, err)
	}
	return cfg, warnings, nil
}

// Parse decodes TOML text on top of Default(); see Load.
func Parse(data []byte) (*Config, []string, error) {
	cfg := Default()
	md, err := toml.Decode(string(data), cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("decode config: %w", err)
	}
	if err := rejectUnknownKeys(md.Undecoded()); err != nil {
		return nil, nil, err
	}
	warnings := applyFileAliases(cfg, &md)
	return cfg, warnings, nil
}

// rejectUnknownKeys turns undecoded keys into one error naming all of them.
// A key below an unknown table is left out: "typo-1" says enough, and listing
// "typo-1.a", "typo-1.b" too would only bury the other typos.
func rejectUnknownKeys(undecoded []toml.Key) error {
	if len(undecoded) == 0 {
		return nil
	}
	names := make([]string, 0, len(undecoded))
	reported := make(map[string]bool, len(undecoded))
	for _, key := range undecoded {
		if underReportedTable(key, reported) {
			continue
		}
		name := key.String()
		if reported[name] {
			continue
		}
		reported[name] = true
		names = append(names, name)
	}
	return fmt.Errorf("%s%s", unknownKeysPrefix, strings.Join(names, ", "))
}

func underReportedTable(key toml.Key, reported map[string]bool) bool {
	for n := 1; n < len(key); n++ {
		if reported[key[:n].String()] {
			return true
		}
	}
	return false
}

// applyFileAliases resolves spellings that only make sense while the file's
// key set is known (MetaData tells which keys were written): old names of
// keys, and sections that Tempest accepts but does not use.
func applyFileAliases(cfg *Config, md *toml.MetaData) []string {
	var warnings []string
	if md.IsDefined("checkpoint") {
		warnings = append(warnings, "[checkpoint] is ignored: Temporal workflow history replaces Lightning's checkpoints, "+
			"so an interrupted import resumes by re-running the same workflow")
	}
	if len(cfg.Mydumper.IgnoreColumnsAlias) > 0 {
		cfg.Mydumper.IgnoreColumns = append(cfg.Mydumper.IgnoreColumns, cfg.Mydumper.IgnoreColumnsAlias...)
		cfg.Mydumper.IgnoreColumnsAlias = nil
	}
	if md.IsDefined("lightning", "max-error", "conflict") {
		if md.IsDefined("conflict", "threshold") {
			warnings = append(warnings, "lightning.max-error.conflict is deprecated and ignored because conflict.threshold is set")
		} else {
			cfg.Conflict.Threshold = cfg.Lightning.MaxError.Conflict
			warnings = append(warnings, "lightning.max-error.conflict is deprecated, use conflict.threshold")
		}
	}
	if md.IsDefined("lightning", "max-error-records") {
		warnings = append(warnings, "lightning.max-error-records is deprecated and ignored: "+
			"conflict.max-record-rows always equals conflict.threshold")
	}
	if md.IsDefined("tikv-importer", "addr") {
		warnings = append(warnings, "tikv-importer.addr is ignored: the importer backend it served no longer exists")
	}
	if md.IsDefined("tikv-importer", "send-kv-pairs") {
		warnings = append(warnings, "tikv-importer.send-kv-pairs is deprecated, use tikv-importer.send-kv-size")
	}
	if md.IsDefined("black-white-list") {
		warnings = append(warnings, "[black-white-list] is deprecated, use mydumper.filter")
	}
	return warnings
}
