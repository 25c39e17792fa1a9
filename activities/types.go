package activities

import (
	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/mydump"
)

// Inputs and results of the activities. They are descriptors only — paths,
// offsets, row-ID ranges, counters — never row data, so that workflow history
// stays small. Config is the redacted task config (no secrets): workers
// resolve passwords themselves.

// ScanInput asks for the source to be listed and routed.
type ScanInput struct {
	TaskID string         `json:"taskID"`
	Config *config.Config `json:"config"`
}

// ScanResult is the routed source: databases, tables, views.
type ScanResult struct {
	DBs        []*mydump.DBMeta `json:"dbs"`
	TotalBytes int64            `json:"totalBytes"`
	Warnings   []string         `json:"warnings,omitempty"`
}

// SchemaInput asks for databases and tables (or, with Views, views) to be
// created on the target.
type SchemaInput struct {
	TaskID string           `json:"taskID"`
	Config *config.Config   `json:"config"`
	DBs    []*mydump.DBMeta `json:"dbs"`
}

// PlanTableInput asks for one table's data files to be cut into chunks.
type PlanTableInput struct {
	TaskID string            `json:"taskID"`
	Config *config.Config    `json:"config"`
	Table  *mydump.TableMeta `json:"table"`
}

// PlanTableResult lists the chunks of one table in row-ID order.
type PlanTableResult struct {
	Chunks []mydump.Chunk `json:"chunks"`
}

// ChunkInput is one chunk to parse and write.
type ChunkInput struct {
	TaskID string         `json:"taskID"`
	Config *config.Config `json:"config"`
	DB     string         `json:"db"`
	Table  string         `json:"table"`
	// Key identifies the chunk within the task; it is also the suffix of the
	// activity ID and the key of the chunk's progress row.
	Key   string       `json:"key"`
	Chunk mydump.Chunk `json:"chunk"`
}

// ChunkResult counts what one chunk wrote.
type ChunkResult struct {
	Rows       int64 `json:"rows"`
	Bytes      int64 `json:"bytes"`
	TypeErrors int64 `json:"typeErrors"`
	Conflicts  int64 `json:"conflicts"`
	// Resumed is true when the chunk continued from an earlier attempt's
	// committed position.
	Resumed bool `json:"resumed,omitempty"`
}

// ChunkHeartbeat is the progress a chunk activity reports; a retried attempt
// reads it back to resume (the logical backend additionally keeps a
// transactional progress row, which wins when present).
type ChunkHeartbeat struct {
	Offset int64       `json:"offset"`
	RowID  int64       `json:"rowID"`
	Result ChunkResult `json:"result"`
}

// PostProcessInput finishes one table (checksum, analyze, auto-ID rebase).
type PostProcessInput struct {
	TaskID string         `json:"taskID"`
	Config *config.Config `json:"config"`
	DB     string         `json:"db"`
	Table  string         `json:"table"`
	Rows   int64          `json:"rows"`
}

// CleanupInput runs at the end of an import, also after failure or cancel.
type CleanupInput struct {
	TaskID    string         `json:"taskID"`
	Config    *config.Config `json:"config"`
	Succeeded bool           `json:"succeeded"`
}
