package config

import (
	"math"
	"runtime"
	"time"
)

// Backend names as Lightning spells them. "tidb" is the logical (SQL) backend,
// "local" the physical (KV ingest) one; "logical" and "physical" are accepted
// aliases.
const (
	BackendLocal = "local"
	BackendTiDB  = "tidb"
)

// Conflict strategies of [conflict].strategy.
const (
	ConflictNone    = ""
	ConflictError   = "error"
	ConflictReplace = "replace"
	ConflictIgnore  = "ignore"
)

// Post-restore levels of [post-restore].checksum / analyze. They are typed
// OpLevel constants so PostRestore.Checksum == OpLevelOff keeps compiling.
const (
	OpLevelOff      OpLevel = "off"
	OpLevelOptional OpLevel = "optional"
	OpLevelRequired OpLevel = "required"
)

// Values of [checkpoint].keep-after-success (true in the file means rename).
const (
	KeepCheckpointRemove KeepAfterSuccess = "remove"
	KeepCheckpointRename KeepAfterSuccess = "rename"
	KeepCheckpointOrigin KeepAfterSuccess = "origin"
)

// DefaultConflictThreshold is conflict.threshold for the replace and ignore
// strategies when the file leaves it unset.
const DefaultConflictThreshold = 10000

// DefaultMaxAllowedPacket is tidb.max-allowed-packet when the file gives 0.
const DefaultMaxAllowedPacket = 64 << 20

// Config is one import task: a tidb-lightning.toml plus Tempest's [temporal]
// section. Field tags carry Lightning's key names so existing task files load
// unchanged. Secrets (TiDB.Password, key paths) are resolved by workers; the
// copy of Config that travels in workflow input has them cleared (see Redacted).
type Config struct {
	Lightning    Lightning    `toml:"lightning" json:"lightning"`
	TikvImporter TikvImporter `toml:"tikv-importer" json:"tikv-importer"`
	Mydumper     Mydumper     `toml:"mydumper" json:"mydumper"`
	Routes       []Route      `toml:"routes" json:"routes"`
	TiDB         TiDB         `toml:"tidb" json:"tidb"`
	PostRestore  PostRestore  `toml:"post-restore" json:"post-restore"`
	Conflict     Conflict     `toml:"conflict" json:"conflict"`
	Cron         Cron         `toml:"cron" json:"cron"`
	Security     Security     `toml:"security" json:"security"`
	Checkpoint   Checkpoint   `toml:"checkpoint" json:"checkpoint"`
	Temporal     Temporal     `toml:"temporal" json:"temporal"`

	// BWList is the legacy [black-white-list] section (MySQL replication
	// rules). It is an alternative to mydumper.filter; nil when absent.
	BWList *BWList `toml:"black-white-list" json:"black-white-list,omitempty"`
}

// BWList is the legacy [black-white-list] section. Names starting with "~"
// are regular expressions, others are literal names. Tempest keeps the rules
// as written; the table filter interprets them.
type BWList struct {
	DoTables     []BWTable `toml:"do-tables" json:"do-tables,omitempty"`
	DoDBs        []string  `toml:"do-dbs" json:"do-dbs,omitempty"`
	IgnoreTables []BWTable `toml:"ignore-tables" json:"ignore-tables,omitempty"`
	IgnoreDBs    []string  `toml:"ignore-dbs" json:"ignore-dbs,omitempty"`
}

// BWTable is one {db-name, tbl-name} entry of a BWList.
type BWTable struct {
	Schema string `toml:"db-name" json:"db-name"`
	Name   string `toml:"tbl-name" json:"tbl-name"`
}

// Lightning is the [lightning] section.
type Lightning struct {
	StatusAddr         string   `toml:"status-addr" json:"status-addr"`
	PProfPort          int      `toml:"pprof-port" json:"pprof-port"`
	ServerMode         bool     `toml:"server-mode" json:"server-mode"`
	CheckRequirements  bool     `toml:"check-requirements" json:"check-requirements"`
	Level              string   `toml:"level" json:"level"`
	File               string   `toml:"file" json:"file"`
	MaxSize            int      `toml:"max-size" json:"max-size"`
	MaxDays            int      `toml:"max-days" json:"max-days"`
	MaxBackups         int      `toml:"max-backups" json:"max-backups"`
	EnableDiagnoseLogs bool     `toml:"enable-diagnose-logs" json:"enable-diagnose-logs"`
	RegionConcurrency  int      `toml:"region-concurrency" json:"region-concurrency"`
	TableConcurrency   int      `toml:"table-concurrency" json:"table-concurrency"`
	IndexConcurrency   int      `toml:"index-concurrency" json:"index-concurrency"`
	IOConcurrency      int      `toml:"io-concurrency" json:"io-concurrency"`
	MetaSchemaName     string   `toml:"meta-schema-name" json:"meta-schema-name"`
	MaxError           MaxError `toml:"max-error" json:"max-error"`
	MaxErrorRecords    int64    `toml:"max-error-records" json:"max-error-records"`
	TaskInfoSchemaName string   `toml:"task-info-schema-name" json:"task-info-schema-name"`
}

// MaxError is [lightning].max-error: either an integer (the type-error budget)
// or a table { syntax, charset, type, conflict }. Syntax is always 0 after
// Adjust (syntax errors are fatal). Conflict is the deprecated spelling of
// conflict.threshold: Parse copies it there when the file has no threshold,
// and nothing else reads it.
type MaxError struct {
	Syntax   int64 `toml:"syntax" json:"syntax"`
	Charset  int64 `toml:"charset" json:"charset"`
	Type     int64 `toml:"type" json:"type"`
	Conflict int64 `toml:"conflict" json:"conflict"`
}

// TikvImporter is the [tikv-importer] section.
type TikvImporter struct {
	Backend                 string   `toml:"backend" json:"backend"`
	SortedKVDir             string   `toml:"sorted-kv-dir" json:"sorted-kv-dir"`
	Addr                    string   `toml:"addr" json:"addr"`
	OnDuplicate             string   `toml:"on-duplicate" json:"on-duplicate"`
	DuplicateResolution     string   `toml:"duplicate-resolution" json:"duplicate-resolution"`
	IncrementalImport       bool     `toml:"incremental-import" json:"incremental-import"`
	ParallelImport          bool     `toml:"parallel-import" json:"parallel-import"`
	KeyspaceName            string   `toml:"keyspace-name" json:"keyspace-name"`
	AddIndexBySQL           bool     `toml:"add-index-by-sql" json:"add-index-by-sql"`
	MaxKVPairs              int      `toml:"max-kv-pairs" json:"max-kv-pairs"`
	SendKVPairs             int      `toml:"send-kv-pairs" json:"send-kv-pairs"`
	SendKVSize              ByteSize `toml:"send-kv-size" json:"send-kv-size"`
	CompressKVPairs         string   `toml:"compress-kv-pairs" json:"compress-kv-pairs"`
	RegionSplitSize         ByteSize `toml:"region-split-size" json:"region-split-size"`
	RegionSplitKeys         int64    `toml:"region-split-keys" json:"region-split-keys"`
	RegionSplitBatchSize    int      `toml:"region-split-batch-size" json:"region-split-batch-size"`
	RegionSplitConcurrency  int      `toml:"region-split-concurrency" json:"region-split-concurrency"`
	RegionCheckBackoffLimit int      `toml:"region-check-backoff-limit" json:"region-check-backoff-limit"`
	DiskQuota               ByteSize `toml:"disk-quota" json:"disk-quota"`
	RangeConcurrency        int      `toml:"range-concurrency" json:"range-concurrency"`
	EngineMemCacheSize      ByteSize `toml:"engine-mem-cache-size" json:"engine-mem-cache-size"`
	LocalWriterMemCacheSize ByteSize `toml:"local-writer-mem-cache-size" json:"local-writer-mem-cache-size"`
	StoreWriteBWLimit       ByteSize `toml:"store-write-bwlimit" json:"store-write-bwlimit"`
	LogicalImportBatchSize  ByteSize `toml:"logical-import-batch-size" json:"logical-import-batch-size"`
	LogicalImportBatchRows  int      `toml:"logical-import-batch-rows" json:"logical-import-batch-rows"`
	LogicalImportPrepStmt   bool     `toml:"logical-import-prep-stmt" json:"logical-import-prep-stmt"`
	PausePDSchedulerScope   string   `toml:"pause-pd-scheduler-scope" json:"pause-pd-scheduler-scope"`
	BlockSize               ByteSize `toml:"block-size" json:"block-size"`
}

// Mydumper is the [mydumper] section.
type Mydumper struct {
	DataSourceDir string          `toml:"data-source-dir" json:"data-source-dir"`
	NoSchema      bool            `toml:"no-schema" json:"no-schema"`
	Filter        []string        `toml:"filter" json:"filter"`
	IgnoreColumns []IgnoreColumns `toml:"ignore-data-columns" json:"ignore-data-columns"`
	// IgnoreColumnsAlias is the global-config spelling "ignore-columns";
	// Parse moves its entries into IgnoreColumns, so it is never serialized.
	IgnoreColumnsAlias     []IgnoreColumns `toml:"ignore-columns" json:"-"`
	ReadBlockSize          ByteSize        `toml:"read-block-size" json:"read-block-size"`
	BatchSize              ByteSize        `toml:"batch-size" json:"batch-size"`
	BatchImportRatio       float64         `toml:"batch-import-ratio" json:"batch-import-ratio"`
	SourceID               string          `toml:"source-id" json:"source-id"`
	CharacterSet           string          `toml:"character-set" json:"character-set"`
	DataCharacterSet       string          `toml:"data-character-set" json:"data-character-set"`
	DataInvalidCharReplace string          `toml:"data-invalid-char-replace" json:"data-invalid-char-replace"`
	MaxRegionSize          ByteSize        `toml:"max-region-size" json:"max-region-size"`
	StrictFormat           bool            `toml:"strict-format" json:"strict-format"`
	CaseSensitive          bool            `toml:"case-sensitive" json:"case-sensitive"`
	DefaultFileRules       *bool           `toml:"default-file-rules" json:"default-file-rules"`
	CSV                    CSV             `toml:"csv" json:"csv"`
	FileRouters            []FileRouteRule `toml:"files" json:"files"`
}

// IgnoreColumns is one [[mydumper.ignore-data-columns]] entry.
type IgnoreColumns struct {
	DB          string   `toml:"db" json:"db"`
	Table       string   `toml:"table" json:"table"`
	TableFilter []string `toml:"table-filter" json:"table-filter"`
	Columns     []string `toml:"columns" json:"columns"`
}

// CSV is the [mydumper.csv] section.
type CSV struct {
	Separator         string     `toml:"separator" json:"separator"`
	Delimiter         string     `toml:"delimiter" json:"delimiter"`
	Terminator        string     `toml:"terminator" json:"terminator"`
	Header            bool       `toml:"header" json:"header"`
	HeaderSchemaMatch bool       `toml:"header-schema-match" json:"header-schema-match"`
	NotNull           bool       `toml:"not-null" json:"not-null"`
	Null              StringList `toml:"null" json:"null"`
	BackslashEscape   bool       `toml:"backslash-escape" json:"backslash-escape"`
	EscapedBy         string     `toml:"escaped-by" json:"escaped-by"`
	TrimLastSeparator bool       `toml:"trim-last-separator" json:"trim-last-separator"`
}

// FileRouteRule is one [[mydumper.files]] entry.
type FileRouteRule struct {
	Pattern                string `toml:"pattern" json:"pattern"`
	Path                   string `toml:"path" json:"path"`
	Schema                 string `toml:"schema" json:"schema"`
	Table                  string `toml:"table" json:"table"`
	Type                   string `toml:"type" json:"type"`
	Key                    string `toml:"key" json:"key"`
	Compression            string `toml:"compression" json:"compression"`
	DataCharacterSet       string `toml:"data-character-set" json:"data-character-set"`
	DataInvalidCharReplace string `toml:"data-invalid-char-replace" json:"data-invalid-char-replace"`
}

// Route is one [[routes]] entry.
type Route struct {
	SchemaPattern   string          `toml:"schema-pattern" json:"schema-pattern"`
	TablePattern    string          `toml:"table-pattern" json:"table-pattern"`
	TargetSchema    string          `toml:"target-schema" json:"target-schema"`
	TargetTable     string          `toml:"target-table" json:"target-table"`
	TableExtractor  *RouteExtractor `toml:"extract-table" json:"extract-table,omitempty"`
	SchemaExtractor *RouteExtractor `toml:"extract-schema" json:"extract-schema,omitempty"`
	SourceExtractor *RouteExtractor `toml:"extract-source" json:"extract-source,omitempty"`
}

// RouteExtractor fills TargetColumn from a regexp capture over a source name.
type RouteExtractor struct {
	TableRegexp  string `toml:"table-regexp" json:"table-regexp,omitempty"`
	SchemaRegexp string `toml:"schema-regexp" json:"schema-regexp,omitempty"`
	SourceRegexp string `toml:"source-regexp" json:"source-regexp,omitempty"`
	TargetColumn string `toml:"target-column" json:"target-column"`
}

// TiDB is the [tidb] section: the target cluster's SQL front.
type TiDB struct {
	Host                       string            `toml:"host" json:"host"`
	Port                       int               `toml:"port" json:"port"`
	User                       string            `toml:"user" json:"user"`
	Password                   string            `toml:"password" json:"password"`
	StatusPort                 int               `toml:"status-port" json:"status-port"`
	PdAddr                     string            `toml:"pd-addr" json:"pd-addr"`
	LogLevel                   string            `toml:"log-level" json:"log-level"`
	SQLMode                    string            `toml:"sql-mode" json:"sql-mode"`
	TLS                        string            `toml:"tls" json:"tls"`
	MaxAllowedPacket           int64             `toml:"max-allowed-packet" json:"max-allowed-packet"`
	BuildStatsConcurrency      int               `toml:"build-stats-concurrency" json:"build-stats-concurrency"`
	DistSQLScanConcurrency     int               `toml:"distsql-scan-concurrency" json:"distsql-scan-concurrency"`
	IndexSerialScanConcurrency int               `toml:"index-serial-scan-concurrency" json:"index-serial-scan-concurrency"`
	ChecksumTableConcurrency   int               `toml:"checksum-table-concurrency" json:"checksum-table-concurrency"`
	SessionVars                map[string]string `toml:"session-vars" json:"session-vars"`
	Security                   *TLSFiles         `toml:"security" json:"security,omitempty"`
}

// PostRestore is the [post-restore] section. Checksum and Analyze hold one of
// OpLevelOff/Optional/Required (booleans in the file are mapped on load:
// true is required, false is off).
type PostRestore struct {
	Checksum          OpLevel `toml:"checksum" json:"checksum"`
	Analyze           OpLevel `toml:"analyze" json:"analyze"`
	Level1Compact     bool    `toml:"level-1-compact" json:"level-1-compact"`
	Compact           bool    `toml:"compact" json:"compact"`
	PostProcessAtLast bool    `toml:"post-process-at-last" json:"post-process-at-last"`
	ChecksumViaSQL    bool    `toml:"checksum-via-sql" json:"checksum-via-sql"`
}

// Conflict is the [conflict] section. A negative Threshold or MaxRecordRows
// means "not set": Adjust picks the value from the strategy and backend.
type Conflict struct {
	Strategy                     string `toml:"strategy" json:"strategy"`
	PrecheckConflictBeforeImport bool   `toml:"precheck-conflict-before-import" json:"precheck-conflict-before-import"`
	Threshold                    int64  `toml:"threshold" json:"threshold"`
	MaxRecordRows                int64  `toml:"max-record-rows" json:"max-record-rows"`
}

// Cron is the [cron] section.
type Cron struct {
	SwitchMode     Duration `toml:"switch-mode" json:"switch-mode"`
	LogProgress    Duration `toml:"log-progress" json:"log-progress"`
	CheckDiskQuota Duration `toml:"check-disk-quota" json:"check-disk-quota"`
}

// TLSFiles names a CA, certificate and key.
type TLSFiles struct {
	CAPath   string `toml:"ca-path" json:"ca-path"`
	CertPath string `toml:"cert-path" json:"cert-path"`
	KeyPath  string `toml:"key-path" json:"key-path"`
}

// Security is the [security] section.
type Security struct {
	TLSFiles
	RedactInfoLog bool `toml:"redact-info-log" json:"redact-info-log"`
}

// Checkpoint is the [checkpoint] section. It is accepted so Lightning task
// files load, but Temporal's workflow history replaces it.
type Checkpoint struct {
	Enable           bool             `toml:"enable" json:"enable"`
	Schema           string           `toml:"schema" json:"schema"`
	Driver           string           `toml:"driver" json:"driver"`
	DSN              string           `toml:"dsn" json:"dsn"`
	KeepAfterSuccess KeepAfterSuccess `toml:"keep-after-success" json:"keep-after-success"`
}

// Temporal is Tempest's own [temporal] section. An empty Address means the
// embedded default: the starter runs a Temporal server and a worker in-process.
type Temporal struct {
	Address    string   `toml:"address" json:"address"`
	Namespace  string   `toml:"namespace" json:"namespace"`
	TaskQueue  string   `toml:"task-queue" json:"task-queue"`
	NodeID     string   `toml:"node-id" json:"node-id"`
	StateDir   string   `toml:"state-dir" json:"state-dir"`
	UIPort     int      `toml:"ui-port" json:"ui-port"`
	TLS        TLSFiles `toml:"tls" json:"tls"`
	ServerName string   `toml:"server-name" json:"server-name"`
}

// Default returns a Config holding Lightning's effective defaults
// (lightning-reference.md §2).
func Default() *Config {
	ncpu := runtime.NumCPU()
	return &Config{
		Lightning: Lightning{
			CheckRequirements:  true,
			Level:              "info",
			MaxSize:            128,
			MaxDays:            28,
			MaxBackups:         14,
			RegionConcurrency:  ncpu,
			TableConcurrency:   0, // adjusted per backend in Adjust
			IndexConcurrency:   0,
			IOConcurrency:      5,
			MetaSchemaName:     "lightning_metadata",
			MaxError:           MaxError{Charset: math.MaxInt64},
			TaskInfoSchemaName: "lightning_task_info",
		},
		TikvImporter: TikvImporter{
			Backend:                 BackendLocal,
			DuplicateResolution:     "none",
			MaxKVPairs:              4096,
			SendKVPairs:             32768,
			SendKVSize:              16 * KiB,
			RegionSplitBatchSize:    4096,
			RegionSplitConcurrency:  ncpu,
			RegionCheckBackoffLimit: 1800,
			DiskQuota:               ByteSize(math.MaxInt64),
			RangeConcurrency:        16,
			EngineMemCacheSize:      512 * MiB,
			LocalWriterMemCacheSize: 128 * MiB,
			LogicalImportBatchSize:  96 * KiB,
			LogicalImportBatchRows:  65536,
			PausePDSchedulerScope:   "table",
			BlockSize:               16 * KiB,
		},
		Mydumper: Mydumper{
			Filter: []string{"*.*", "!mysql.*", "!sys.*", "!INFORMATION_SCHEMA.*", "!PERFORMANCE_SCHEMA.*",
				"!METRICS_SCHEMA.*", "!INSPECTION_SCHEMA.*"},
			ReadBlockSize:          64 * KiB,
			BatchSize:              100 * GiB,
			BatchImportRatio:       0.75,
			CharacterSet:           "auto",
			DataCharacterSet:       "binary",
			DataInvalidCharReplace: "\uFFFD",
			MaxRegionSize:          256 * MiB,
			CSV: CSV{
				Separator:         ",",
				Delimiter:         `"`,
				Header:            true,
				HeaderSchemaMatch: true,
				Null:              StringList{`\N`},
				BackslashEscape:   true,
				EscapedBy:         `\`,
			},
		},
		TiDB: TiDB{
			Host:                       "127.0.0.1",
			User:                       "root",
			StatusPort:                 10080,
			LogLevel:                   "error",
			SQLMode:                    "ONLY_FULL_GROUP_BY,NO_AUTO_CREATE_USER",
			MaxAllowedPacket:           DefaultMaxAllowedPacket,
			BuildStatsConcurrency:      20,
			DistSQLScanConcurrency:     15,
			IndexSerialScanConcurrency: 20,
			ChecksumTableConcurrency:   2,
		},
		PostRestore: PostRestore{
			Checksum:          OpLevelRequired,
			Analyze:           OpLevelOptional,
			PostProcessAtLast: true,
		},
		Cron: Cron{
			SwitchMode:     Duration(5 * time.Minute),
			LogProgress:    Duration(5 * time.Minute),
			CheckDiskQuota: Duration(time.Minute),
		},
		Checkpoint: Checkpoint{
			Enable:           true,
			Schema:           "tidb_lightning_checkpoint",
			Driver:           "file",
			KeepAfterSuccess: KeepCheckpointRemove,
		},
		Conflict: Conflict{
			Threshold:     -1,
			MaxRecordRows: -1,
		},
		Temporal: Temporal{
			Namespace: "default",
			TaskQueue: "tempest",
		},
	}
}
