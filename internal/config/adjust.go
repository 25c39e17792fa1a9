package config

import (
	"fmt"
	"math"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strings"
)

// Table and index concurrency of the physical backend when the file leaves
// them at 0. The logical backend uses region-concurrency for both instead,
// because there every table is written by SQL sessions, not engines.
const (
	defaultLocalTableConcurrency = 6
	defaultLocalIndexConcurrency = 2
	defaultIOConcurrency         = 5
	defaultBatchSize             = 100 * GiB
	defaultMaxRegionSize         = 256 * MiB
)

// Adjust fills the defaults that depend on other keys (backend, strategy,
// CPU count, host name) and validates the result. Call it once, after Load
// and after command-line flags were applied. It is idempotent, so a worker
// may call it again on a Config received in workflow input.
//
// tikv-importer.sorted-kv-dir may stay empty: the worker then places the
// engines under its Temporal state dir, instead of failing as Lightning does.
func (c *Config) Adjust() error {
	_, err := c.AdjustWithWarnings()
	return err
}

// AdjustWithWarnings is Adjust that also returns the warnings meant for the
// operator (deprecated keys mapped to their successors, values capped).
func (c *Config) AdjustWithWarnings() ([]string, error) {
	var warnings []string
	warn := func(format string, args ...any) {
		warnings = append(warnings, fmt.Sprintf(format, args...))
	}
	steps := []func(func(string, ...any)) error{
		c.adjustBackend,
		c.adjustLightning,
		c.adjustConflict,
		c.adjustPostRestore,
		c.adjustTikvImporter,
		c.adjustMydumper,
		c.adjustCSV,
		c.adjustTiDB,
		c.adjustRoutes,
		c.adjustCron,
		c.adjustTemporal,
	}
	for _, step := range steps {
		if err := step(warn); err != nil {
			return warnings, fmt.Errorf("invalid config: %w", err)
		}
	}
	return warnings, nil
}

// NormalizeBackend maps a backend name, including the "logical"/"physical"
// aliases, to BackendTiDB or BackendLocal.
func NormalizeBackend(name string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case BackendLocal, "physical":
		return BackendLocal, nil
	case BackendTiDB, "logical":
		return BackendTiDB, nil
	case "importer":
		return "", fmt.Errorf(`tikv-importer.backend = "importer" is no longer supported (the external tikv-importer was removed); use "local" (physical) or "tidb" (logical)`)
	case "":
		return "", fmt.Errorf(`tikv-importer.backend must be set to "local" (physical) or "tidb" (logical)`)
	default:
		return "", fmt.Errorf(`tikv-importer.backend = %q is not supported; use "local" (physical) or "tidb" (logical)`, name)
	}
}

// IsLogical reports whether the import goes through SQL (the tidb backend).
func (c *Config) IsLogical() bool { return c.TikvImporter.Backend == BackendTiDB }

// IsPhysical reports whether the import ingests KV pairs (the local backend).
func (c *Config) IsPhysical() bool { return c.TikvImporter.Backend == BackendLocal }

// MaxAllowedPacket is the statement size limit to plan with: tidb.max-allowed-packet,
// or the 64 MiB default when the file sets 0 (Lightning would ask the server).
func (c *Config) MaxAllowedPacket() int64 {
	if c.TiDB.MaxAllowedPacket > 0 {
		return c.TiDB.MaxAllowedPacket
	}
	return DefaultMaxAllowedPacket
}

func (c *Config) adjustBackend(_ func(string, ...any)) error {
	backend, err := NormalizeBackend(c.TikvImporter.Backend)
	if err != nil {
		return err
	}
	c.TikvImporter.Backend = backend
	return nil
}

// logLevels are the names zap understands, plus Lightning's "warning".
func logLevels() []string {
	return []string{"debug", "info", "warn", "warning", "error", "dpanic", "panic", "fatal"}
}

func (c *Config) adjustLightning(warn func(string, ...any)) error {
	l := &c.Lightning
	l.Level = strings.ToLower(strings.TrimSpace(l.Level))
	if l.Level == "" {
		l.Level = "info"
	}
	if !slices.Contains(logLevels(), l.Level) {
		return fmt.Errorf("lightning.level = %q is not a log level (want one of %s)", l.Level, strings.Join(logLevels(), ", "))
	}
	ncpu := runtime.NumCPU()
	if l.RegionConcurrency <= 0 {
		l.RegionConcurrency = ncpu
	}
	if c.IsPhysical() && l.RegionConcurrency > ncpu {
		// Encoding is CPU bound; more workers than cores only add memory.
		warn("lightning.region-concurrency %d capped at the CPU count %d for the local backend", l.RegionConcurrency, ncpu)
		l.RegionConcurrency = ncpu
	}
	if l.TableConcurrency <= 0 {
		l.TableConcurrency = defaultLocalTableConcurrency
		if c.IsLogical() {
			l.TableConcurrency = l.RegionConcurrency
		}
	}
	if l.IndexConcurrency <= 0 {
		l.IndexConcurrency = defaultLocalIndexConcurrency
		if c.IsLogical() {
			l.IndexConcurrency = l.RegionConcurrency
		}
	}
	if l.IOConcurrency <= 0 {
		l.IOConcurrency = defaultIOConcurrency
	}
	if l.StatusAddr == "" && l.PProfPort > 0 {
		// pprof-port is the old name of the status server's port.
		l.StatusAddr = fmt.Sprintf(":%d", l.PProfPort)
	}
	if l.ServerMode && l.StatusAddr == "" {
		return fmt.Errorf("lightning.server-mode requires lightning.status-addr (or --status-addr)")
	}
	if l.MaxError.Syntax != 0 {
		warn("lightning.max-error.syntax is not supported and is treated as 0: syntax errors always stop the import")
		l.MaxError.Syntax = 0
	}
	return nil
}

func (c *Config) adjustConflict(warn func(string, ...any)) error {
	cf := &c.Conflict
	imp := &c.TikvImporter
	strategy, err := normalizeStrategy("conflict.strategy", cf.Strategy)
	if err != nil {
		return err
	}
	onDuplicate, err := normalizeStrategy("tikv-importer.on-duplicate", imp.OnDuplicate)
	if err != nil {
		return err
	}
	resolution := strings.ToLower(strings.TrimSpace(imp.DuplicateResolution))
	switch resolution {
	case "", "none", "remove", "record", ConflictReplace:
	default:
		return fmt.Errorf("tikv-importer.duplicate-resolution = %q is invalid (want none, replace, remove or record)", imp.DuplicateResolution)
	}
	// Each deprecated alias belongs to one backend; the other backend ignores
	// it, so one file can be imported with either backend.
	switch {
	case c.IsLogical():
		if strategy != ConflictNone && onDuplicate != ConflictNone && strategy != onDuplicate {
			return fmt.Errorf("conflict.strategy = %q and the deprecated tikv-importer.on-duplicate = %q disagree; set only conflict.strategy",
				strategy, onDuplicate)
		}
		if strategy == ConflictNone {
			if onDuplicate != ConflictNone {
				warn("tikv-importer.on-duplicate is deprecated, use conflict.strategy")
				strategy = onDuplicate
			} else {
				// Lightning's tidb backend wrote REPLACE INTO unless told
				// otherwise (on-duplicate defaulted to replace); the
				// acceptance corpus relies on it.
				strategy = ConflictReplace
			}
		}
	case c.IsPhysical():
		if onDuplicate != ConflictNone {
			warn("tikv-importer.on-duplicate only applies to the tidb backend and is ignored")
		}
		if strategy == ConflictNone && resolution != "" && resolution != "none" {
			warn("tikv-importer.duplicate-resolution is deprecated, use conflict.strategy")
			strategy = ConflictReplace
		}
	}
	cf.Strategy = strategy

	if strategy == ConflictIgnore && c.IsPhysical() {
		return fmt.Errorf(`conflict.strategy cannot be set to "ignore" when use tikv-importer.backend = "local"`)
	}
	if cf.PrecheckConflictBeforeImport && c.IsLogical() {
		return fmt.Errorf(`conflict.precheck-conflict-before-import cannot be used with tikv-importer.backend = "tidb"`)
	}
	if cf.Threshold < 0 {
		cf.Threshold = 0
		if strategy == ConflictReplace || strategy == ConflictIgnore {
			cf.Threshold = DefaultConflictThreshold
		}
	}
	if cf.Threshold > 0 {
		switch strategy {
		case ConflictError:
			return fmt.Errorf(`conflict.threshold cannot be set when conflict.strategy is "error"`)
		case ConflictNone:
			warn("conflict.threshold has no effect while conflict.strategy is empty (no conflict detection)")
		}
	}
	// Since Lightning v8.1 the record table holds exactly as many rows as the
	// threshold lets through; REPLACE INTO in the tidb backend records none.
	want := cf.Threshold
	if c.IsLogical() && strategy == ConflictReplace {
		want = 0
	}
	if cf.MaxRecordRows >= 0 && cf.MaxRecordRows != want {
		warn("conflict.max-record-rows %d replaced by %d: it follows conflict.threshold", cf.MaxRecordRows, want)
	}
	cf.MaxRecordRows = want
	return nil
}

func normalizeStrategy(key, value string) (string, error) {
	switch s := strings.ToLower(strings.TrimSpace(value)); s {
	case ConflictNone, ConflictError, ConflictReplace, ConflictIgnore:
		return s, nil
	case "remove", "record":
		return ConflictReplace, nil
	default:
		return "", fmt.Errorf("%s = %q is invalid (want error, replace or ignore)", key, value)
	}
}

func (c *Config) adjustPostRestore(_ func(string, ...any)) error {
	p := &c.PostRestore
	for _, op := range []struct {
		key   string
		level *OpLevel
	}{{"post-restore.checksum", &p.Checksum}, {"post-restore.analyze", &p.Analyze}} {
		key, level := op.key, op.level
		switch *level {
		case "":
			*level = OpLevelOff
		case OpLevelOff, OpLevelOptional, OpLevelRequired:
		default:
			return fmt.Errorf("%s = %q is invalid (want off, optional or required)", key, string(*level))
		}
	}
	if c.IsLogical() {
		// Rows went through SQL, so there is no local KV checksum to compare
		// and TiDB keeps statistics up to date by itself.
		p.Checksum = OpLevelOff
		p.Analyze = OpLevelOff
	}
	return nil
}

func (c *Config) adjustTikvImporter(warn func(string, ...any)) error {
	imp := &c.TikvImporter
	if imp.IncrementalImport && !imp.ParallelImport {
		warn("tikv-importer.incremental-import is deprecated, use tikv-importer.parallel-import")
		imp.ParallelImport = true
	}
	if imp.AddIndexBySQL && imp.ParallelImport {
		return fmt.Errorf("tikv-importer.add-index-by-sql cannot be used with tikv-importer.parallel-import")
	}
	switch strings.ToLower(imp.CompressKVPairs) {
	case "", "gz", "gzip":
	default:
		return fmt.Errorf("tikv-importer.compress-kv-pairs = %q is invalid (want \"\", gz or gzip)", imp.CompressKVPairs)
	}
	imp.PausePDSchedulerScope = strings.ToLower(strings.TrimSpace(imp.PausePDSchedulerScope))
	switch imp.PausePDSchedulerScope {
	case "":
		imp.PausePDSchedulerScope = "table"
	case "table", "global":
	default:
		return fmt.Errorf("tikv-importer.pause-pd-scheduler-scope = %q is invalid (want table or global)", imp.PausePDSchedulerScope)
	}
	if imp.RegionSplitConcurrency <= 0 {
		imp.RegionSplitConcurrency = runtime.NumCPU()
	}
	if imp.DiskQuota <= 0 {
		imp.DiskQuota = ByteSize(math.MaxInt64)
	}
	if c.IsLogical() {
		if imp.LogicalImportBatchSize <= 0 {
			return fmt.Errorf("tikv-importer.logical-import-batch-size must be positive, got %d", imp.LogicalImportBatchSize)
		}
		if imp.LogicalImportBatchRows <= 0 {
			return fmt.Errorf("tikv-importer.logical-import-batch-rows must be positive, got %d", imp.LogicalImportBatchRows)
		}
	}
	return nil
}

// charsets are the source encodings the schema and data readers decode.
func charsets() []string {
	return []string{"auto", "binary", "utf8mb4", "utf8", "gb18030", "gbk", "latin1", "ascii"}
}

func (c *Config) adjustMydumper(warn func(string, ...any)) error {
	m := &c.Mydumper
	if m.DataSourceDir == "" && !c.Lightning.ServerMode {
		return fmt.Errorf("mydumper.data-source-dir is required (or -d)")
	}
	if m.ReadBlockSize <= 0 {
		return fmt.Errorf("mydumper.read-block-size must be positive, got %d", m.ReadBlockSize)
	}
	if m.BatchSize <= 0 {
		m.BatchSize = defaultBatchSize
	}
	if m.MaxRegionSize <= 0 {
		m.MaxRegionSize = defaultMaxRegionSize
	}
	if m.BatchImportRatio < 0 || m.BatchImportRatio >= 1 {
		return fmt.Errorf("mydumper.batch-import-ratio must be in [0, 1), got %v", m.BatchImportRatio)
	}
	for _, cs := range []struct {
		key   string
		value *string
	}{{"mydumper.character-set", &m.CharacterSet}, {"mydumper.data-character-set", &m.DataCharacterSet}} {
		key, value := cs.key, cs.value
		*value = strings.ToLower(strings.TrimSpace(*value))
		if *value == "" {
			*value = "auto"
		}
		if !slices.Contains(charsets(), *value) {
			return fmt.Errorf("%s = %q is not supported (want one of %s)", key, *value, strings.Join(charsets(), ", "))
		}
	}
	if m.StrictFormat && m.CSV.Terminator == "" {
		// Lightning (v6+) rejects this, but its own older test configs
		// (lightning_column_permutation) rely on it: chunks then split at
		// the next "\n" or "\r\n".
		warn(`mydumper.strict-format without mydumper.csv.terminator: chunks are split at line ends ("\n" or "\r\n")`)
	}
	if m.DefaultFileRules == nil {
		useDefault := len(m.FileRouters) == 0
		m.DefaultFileRules = &useDefault
	}
	for i, rule := range m.FileRouters {
		key := fmt.Sprintf("mydumper.files[%d]", i)
		if (rule.Pattern == "") == (rule.Path == "") {
			return fmt.Errorf("%s must set exactly one of pattern and path", key)
		}
		if rule.Pattern != "" {
			if _, err := regexp.Compile(rule.Pattern); err != nil {
				return fmt.Errorf("%s.pattern: %w", key, err)
			}
		}
	}
	for i, ic := range m.IgnoreColumns {
		key := fmt.Sprintf("mydumper.ignore-data-columns[%d]", i)
		if len(ic.TableFilter) > 0 && (ic.DB != "" || ic.Table != "") {
			return fmt.Errorf("%s: table-filter cannot be combined with db/table", key)
		}
		if len(ic.TableFilter) == 0 && ic.DB == "" {
			return fmt.Errorf("%s: set db (and table) or table-filter", key)
		}
	}
	if len(m.Filter) == 0 {
		return fmt.Errorf("mydumper.filter must not be empty (it would import nothing)")
	}
	if c.BWList != nil && !slices.Equal(m.Filter, Default().Mydumper.Filter) {
		return fmt.Errorf("mydumper.filter (or -f) and [black-white-list] cannot both be set")
	}
	return nil
}

func (c *Config) adjustCSV(_ func(string, ...any)) error {
	csv := &c.Mydumper.CSV
	if csv.Separator == "" {
		return fmt.Errorf("mydumper.csv.separator must not be empty")
	}
	if csv.Delimiter != "" && (strings.HasPrefix(csv.Separator, csv.Delimiter) || strings.HasPrefix(csv.Delimiter, csv.Separator)) {
		return fmt.Errorf("mydumper.csv.separator %q and mydumper.csv.delimiter %q must not be prefixes of each other", csv.Separator, csv.Delimiter)
	}
	if !csv.BackslashEscape {
		csv.EscapedBy = ""
	}
	if len(csv.EscapedBy) > 1 {
		return fmt.Errorf("mydumper.csv.escaped-by %q must be empty or a single character", csv.EscapedBy)
	}
	if csv.EscapedBy != "" {
		for _, other := range []struct{ key, value string }{
			{"separator", csv.Separator}, {"delimiter", csv.Delimiter}, {"terminator", csv.Terminator},
		} {
			if other.value == csv.EscapedBy {
				return fmt.Errorf("mydumper.csv.escaped-by %q must differ from mydumper.csv.%s", csv.EscapedBy, other.key)
			}
		}
	}
	if !csv.NotNull && len(csv.Null) == 0 {
		// With NULLs allowed but no spelling given, the empty field is NULL.
		csv.Null = StringList{""}
	}
	return nil
}

func (c *Config) adjustTiDB(_ func(string, ...any)) error {
	t := &c.TiDB
	if t.Host == "" {
		return fmt.Errorf("tidb.host must not be empty")
	}
	for _, p := range []struct {
		key  string
		port int
	}{{"tidb.port", t.Port}, {"tidb.status-port", t.StatusPort}} {
		if p.port < 0 || p.port > 65535 {
			return fmt.Errorf("%s = %d is not a TCP port", p.key, p.port)
		}
	}
	if c.Security.CertPath != "" && c.Security.KeyPath == "" || c.Security.CertPath == "" && c.Security.KeyPath != "" {
		return fmt.Errorf("security.cert-path and security.key-path must be set together")
	}
	if t.Security == nil && c.Security.CAPath != "" {
		// The SQL connection uses the cluster certificates unless
		// [tidb.security] names its own.
		files := c.Security.TLSFiles
		t.Security = &files
	}
	t.TLS = strings.ToLower(strings.TrimSpace(t.TLS))
	switch t.TLS {
	case "", "false", "skip-verify", "preferred":
	case "cluster":
		if c.Security.CAPath == "" {
			return fmt.Errorf(`tidb.tls = "cluster" requires security.ca-path (the [security] section)`)
		}
	default:
		return fmt.Errorf("tidb.tls = %q is invalid (want \"\", false, cluster, skip-verify or preferred)", t.TLS)
	}
	return nil
}

func (c *Config) adjustRoutes(_ func(string, ...any)) error {
	for i, route := range c.Routes {
		key := fmt.Sprintf("routes[%d]", i)
		if route.SchemaPattern == "" {
			return fmt.Errorf("%s.schema-pattern must not be empty", key)
		}
		extractors := []struct {
			name      string
			extractor *RouteExtractor
			regexp    func(*RouteExtractor) string
		}{
			{"extract-table", route.TableExtractor, func(e *RouteExtractor) string { return e.TableRegexp }},
			{"extract-schema", route.SchemaExtractor, func(e *RouteExtractor) string { return e.SchemaRegexp }},
			{"extract-source", route.SourceExtractor, func(e *RouteExtractor) string { return e.SourceRegexp }},
		}
		for _, ex := range extractors {
			if ex.extractor == nil {
				continue
			}
			if ex.extractor.TargetColumn == "" {
				return fmt.Errorf("%s.%s.target-column must not be empty", key, ex.name)
			}
			if _, err := regexp.Compile(ex.regexp(ex.extractor)); err != nil {
				return fmt.Errorf("%s.%s: %w", key, ex.name, err)
			}
		}
	}
	return nil
}

func (c *Config) adjustCron(_ func(string, ...any)) error {
	defaults := Default().Cron
	for _, pair := range []struct{ value, fallback *Duration }{
		{&c.Cron.SwitchMode, &defaults.SwitchMode},
		{&c.Cron.LogProgress, &defaults.LogProgress},
		{&c.Cron.CheckDiskQuota, &defaults.CheckDiskQuota},
	} {
		if *pair.value <= 0 {
			*pair.value = *pair.fallback
		}
	}
	return nil
}

func (c *Config) adjustTemporal(_ func(string, ...any)) error {
	t := &c.Temporal
	if t.Namespace == "" {
		t.Namespace = "default"
	}
	if t.TaskQueue == "" {
		t.TaskQueue = "tempest"
	}
	if t.NodeID == "" {
		host, err := os.Hostname()
		if err != nil || host == "" {
			return fmt.Errorf("temporal.node-id is empty and the host name is unknown (%v); set temporal.node-id", err)
		}
		t.NodeID = host
	}
	if t.UIPort < 0 || t.UIPort > 65535 {
		return fmt.Errorf("temporal.ui-port = %d is not a TCP port", t.UIPort)
	}
	return nil
}
