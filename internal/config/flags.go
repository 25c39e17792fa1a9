package config

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// Flags holds tidb-lightning's command-line flags (lightning-reference §1.20)
// plus Tempest's Temporal flags. Values are only copied into a Config by
// Apply, and only for flags that were given, so a flag never resets a key of
// the file to the flag's zero value.
type Flags struct {
	// ConfigPath is -c / --config: the task file to load.
	ConfigPath string
	// Version is -V: print the version and exit (handled by the caller).
	Version bool

	fs *flag.FlagSet

	logLevel, logFile                  string
	tidbHost, tidbUser, tidbPassword   string
	tidbPort, tidbStatusPort           int
	pdURLs                             string
	sourceDir, backend, sortedKVDir    string
	enableCheckpoint, noSchema         bool
	checksum, analyze                  string
	checkRequirements                  bool
	caPath, certPath, keyPath          string
	redactInfoLog                      bool
	statusAddr                         string
	serverMode                         bool
	filters                            repeatedString
	temporalAddress, temporalNamespace string
	taskQueue, nodeID, stateDir        string
}

// repeatedString collects every occurrence of a repeatable flag (-f).
type repeatedString []string

func (r *repeatedString) String() string { return strings.Join(*r, ",") }

func (r *repeatedString) Set(value string) error {
	*r = append(*r, value)
	return nil
}

// RegisterFlags defines the flags on fs. The standard flag package accepts
// both "-name" and "--name", so Lightning's spellings work unchanged.
func RegisterFlags(fs *flag.FlagSet) *Flags {
	f := &Flags{fs: fs}
	fs.StringVar(&f.ConfigPath, "c", "", "task configuration file (same as --config)")
	fs.StringVar(&f.ConfigPath, "config", "", "task configuration file")
	fs.BoolVar(&f.Version, "V", false, "print version information and exit")
	fs.StringVar(&f.logLevel, "L", "", "log level: debug, info, warn, error, fatal (lightning.level)")
	fs.StringVar(&f.logFile, "log-file", "", `log file path, "-" for stdout (lightning.file)`)
	fs.StringVar(&f.tidbHost, "tidb-host", "", "TiDB server host (tidb.host)")
	fs.IntVar(&f.tidbPort, "tidb-port", 0, "TiDB server port (tidb.port)")
	fs.StringVar(&f.tidbUser, "tidb-user", "", "TiDB user name (tidb.user)")
	fs.StringVar(&f.tidbPassword, "tidb-password", "", "TiDB password, plain or base64 (tidb.password)")
	fs.IntVar(&f.tidbStatusPort, "tidb-status", 0, "TiDB status port (tidb.status-port)")
	fs.StringVar(&f.pdURLs, "pd-urls", "", "PD endpoint addresses (tidb.pd-addr)")
	fs.StringVar(&f.sourceDir, "d", "", "directory or URL of the data source (mydumper.data-source-dir)")
	fs.StringVar(&f.backend, "backend", "", "import backend: local (physical) or tidb (logical) (tikv-importer.backend)")
	fs.StringVar(&f.sortedKVDir, "sorted-kv-dir", "", "directory for sorted KV engines of the local backend (tikv-importer.sorted-kv-dir)")
	fs.BoolVar(&f.enableCheckpoint, "enable-checkpoint", true, "accepted for compatibility; Temporal history replaces checkpoints (checkpoint.enable)")
	fs.BoolVar(&f.noSchema, "no-schema", false, "do not create schemas and tables (mydumper.no-schema)")
	fs.StringVar(&f.checksum, "checksum", "", "post-restore checksum: required, optional, off, true or false (post-restore.checksum)")
	fs.StringVar(&f.analyze, "analyze", "", "post-restore analyze: required, optional, off, true or false (post-restore.analyze)")
	fs.BoolVar(&f.checkRequirements, "check-requirements", true, "run prechecks before importing (lightning.check-requirements)")
	fs.StringVar(&f.caPath, "ca", "", "CA certificate path for TLS (security.ca-path)")
	fs.StringVar(&f.certPath, "cert", "", "certificate path for TLS (security.cert-path)")
	fs.StringVar(&f.keyPath, "key", "", "private key path for TLS (security.key-path)")
	fs.BoolVar(&f.redactInfoLog, "redact-info-log", false, "redact row data in logs (security.redact-info-log)")
	fs.StringVar(&f.statusAddr, "status-addr", "", "HTTP status server address (lightning.status-addr)")
	fs.BoolVar(&f.serverMode, "server-mode", false, "wait for tasks submitted over HTTP (lightning.server-mode)")
	fs.Var(&f.filters, "f", "table filter rule, repeatable; replaces mydumper.filter when given")
	fs.StringVar(&f.temporalAddress, "temporal-address", "", "Temporal frontend host:port; empty runs an embedded server (temporal.address)")
	fs.StringVar(&f.temporalNamespace, "temporal-namespace", "", "Temporal namespace (temporal.namespace)")
	fs.StringVar(&f.taskQueue, "task-queue", "", "Temporal task queue (temporal.task-queue)")
	fs.StringVar(&f.nodeID, "node-id", "", "identity of this worker node (temporal.node-id)")
	fs.StringVar(&f.stateDir, "state-dir", "", "directory for Tempest's local state (temporal.state-dir)")
	return f
}

// Apply copies the flags that were set on the command line into cfg. Call
// it after the flag set was parsed and before Adjust.
func (f *Flags) Apply(cfg *Config) error {
	var applyErr error
	f.fs.Visit(func(fl *flag.Flag) {
		if applyErr != nil {
			return
		}
		if err := f.applyOne(cfg, fl.Name); err != nil {
			applyErr = fmt.Errorf("flag -%s: %w", fl.Name, err)
		}
	})
	return applyErr
}

func (f *Flags) applyOne(cfg *Config, name string) error {
	switch name {
	case "c", "config", "V":
		// Not config keys: the caller acts on them.
	case "L":
		cfg.Lightning.Level = f.logLevel
	case "log-file":
		cfg.Lightning.File = f.logFile
	case "tidb-host":
		cfg.TiDB.Host = f.tidbHost
	case "tidb-port":
		cfg.TiDB.Port = f.tidbPort
	case "tidb-user":
		cfg.TiDB.User = f.tidbUser
	case "tidb-password":
		cfg.TiDB.Password = f.tidbPassword
	case "tidb-status":
		cfg.TiDB.StatusPort = f.tidbStatusPort
	case "pd-urls":
		cfg.TiDB.PdAddr = f.pdURLs
	case "d":
		cfg.Mydumper.DataSourceDir = f.sourceDir
	case "backend":
		backend, err := NormalizeBackend(f.backend)
		if err != nil {
			return err
		}
		cfg.TikvImporter.Backend = backend
	case "sorted-kv-dir":
		cfg.TikvImporter.SortedKVDir = f.sortedKVDir
	case "enable-checkpoint":
		cfg.Checkpoint.Enable = f.enableCheckpoint
	case "no-schema":
		cfg.Mydumper.NoSchema = f.noSchema
	case "checksum":
		level, err := ParseOpLevel(f.checksum)
		if err != nil {
			return err
		}
		cfg.PostRestore.Checksum = level
	case "analyze":
		level, err := ParseOpLevel(f.analyze)
		if err != nil {
			return err
		}
		cfg.PostRestore.Analyze = level
	case "check-requirements":
		cfg.Lightning.CheckRequirements = f.checkRequirements
	case "ca":
		cfg.Security.CAPath = f.caPath
	case "cert":
		cfg.Security.CertPath = f.certPath
	case "key":
		cfg.Security.KeyPath = f.keyPath
	case "redact-info-log":
		cfg.Security.RedactInfoLog = f.redactInfoLog
	case "status-addr":
		cfg.Lightning.StatusAddr = f.statusAddr
	case "server-mode":
		cfg.Lightning.ServerMode = f.serverMode
	case "f":
		cfg.Mydumper.Filter = append([]string(nil), f.filters...)
	case "temporal-address":
		cfg.Temporal.Address = f.temporalAddress
	case "temporal-namespace":
		cfg.Temporal.Namespace = f.temporalNamespace
	case "task-queue":
		cfg.Temporal.TaskQueue = f.taskQueue
	case "node-id":
		cfg.Temporal.NodeID = f.nodeID
	case "state-dir":
		cfg.Temporal.StateDir = f.stateDir
	default:
		// A flag registered on the same set by someone else.
	}
	return nil
}

// Load reads the file named by -c/--config (Default() when none was given),
// applies the command-line flags on top and adjusts the result. The returned
// warnings cover both the file and Adjust.
func (f *Flags) Load() (*Config, []string, error) {
	cfg := Default()
	var warnings []string
	if f.ConfigPath != "" {
		loaded, fileWarnings, err := Load(f.ConfigPath)
		if err != nil {
			return nil, nil, err
		}
		cfg, warnings = loaded, fileWarnings
	}
	if err := f.Apply(cfg); err != nil {
		return nil, nil, fmt.Errorf("apply command-line flags: %w", err)
	}
	adjustWarnings, err := cfg.AdjustWithWarnings()
	warnings = append(warnings, adjustWarnings...)
	if err != nil {
		return nil, warnings, err
	}
	return cfg, warnings, nil
}

// LoadWithFlags parses tidb-lightning style arguments (without the program
// name) and returns the adjusted Config. -V is accepted but not acted on;
// callers that print a version use RegisterFlags and check Flags.Version.
func LoadWithFlags(args []string) (*Config, []string, error) {
	fs := flag.NewFlagSet("tempest", flag.ContinueOnError)
	// Errors are returned, not printed: the caller decides what to show.
	fs.SetOutput(io.Discard)
	flags := RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, nil, fmt.Errorf("parse command line: %w", err)
	}
	if fs.NArg() > 0 {
		return nil, nil, fmt.Errorf("parse command line: unexpected arguments %q", fs.Args())
	}
	return flags.Load()
}
