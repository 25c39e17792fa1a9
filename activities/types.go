package activities

import (
	"time"

	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/mydump"
	"github.com/tempestdb/tempest/internal/physical"
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
	// Base (physical backend only) is the table's base from an earlier
	// plan (a re-plan after a node loss): it is reused, not read again,
	// since by then the table may hold part of this import.
	Base *TableBase `json:"base,omitempty"`
}

// PlanTableResult lists the chunks of one table in row-ID order.
type PlanTableResult struct {
	Chunks []mydump.Chunk `json:"chunks"`
	// Base (physical backend only) is what the table held before the
	// import; the chunks' row IDs are already offset by Base.RowID.
	Base *TableBase `json:"base,omitempty"`
}

// TableBase is physical.TableBase: the base checksum of the rows a table
// held before the import, the row ID its allocators had reached, and the
// target's time zone for TIMESTAMP values.
type TableBase struct {
	Checksum KVChecksum       `json:"checksum"`
	RowID    int64            `json:"rowID,omitempty"`
	Session  physical.Session `json:"session"`
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

	// Physical backend only: the table's fixed CURRENT_TIMESTAMP value
	// (the same for every attempt, so re-encoding writes the same pairs)
	// and the generation of the table's engines.
	Timestamp        *time.Time `json:"timestamp,omitempty"`
	EngineGeneration int        `json:"engineGeneration,omitempty"`
	// Session (physical backend only) is the target's session
	// (TableBase.Session), in which values are read.
	Session *physical.Session `json:"session,omitempty"`
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
	// Physical backend only: the checksum of every KV pair the chunk
	// encoded and the largest auto IDs it used.
	Checksum *KVChecksum `json:"checksum,omitempty"`
	MaxIDs   *AutoIDs    `json:"maxIDs,omitempty"`
}

// KVChecksum is Lightning's KV checksum (XOR of CRC64 over key||value, pair
// count, total bytes); sums of chunks combine with Add.
type KVChecksum struct {
	Sum   uint64 `json:"sum"`
	KVs   uint64 `json:"kvs"`
	Bytes uint64 `json:"bytes"`
}

// Add merges o into c.
func (c *KVChecksum) Add(o KVChecksum) {
	c.Sum ^= o.Sum
	c.KVs += o.KVs
	c.Bytes += o.Bytes
}

// AutoIDs are the largest auto IDs an import used (AutoRandom without its
// shard bits).
type AutoIDs struct {
	RowID         int64 `json:"rowID,omitempty"`
	AutoIncrement int64 `json:"autoIncrement,omitempty"`
	AutoRandom    int64 `json:"autoRandom,omitempty"`
}

// Merge keeps the larger of each ID.
func (a *AutoIDs) Merge(o AutoIDs) {
	a.RowID = max(a.RowID, o.RowID)
	a.AutoIncrement = max(a.AutoIncrement, o.AutoIncrement)
	a.AutoRandom = max(a.AutoRandom, o.AutoRandom)
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
	// Physical backend only: what the table's chunks encoded, to rebase
	// the allocators and compare with ADMIN CHECKSUM TABLE.
	Checksum *KVChecksum `json:"checksum,omitempty"`
	MaxIDs   *AutoIDs    `json:"maxIDs,omitempty"`
	// BaseChecksum is TableBase.Checksum: the target must hold it plus
	// Checksum.
	BaseChecksum *KVChecksum `json:"baseChecksum,omitempty"`
}

// ClaimEngineNodeInput asks a worker to host a table's engines.
type ClaimEngineNodeInput struct {
	TaskID string `json:"taskID"`
	DB     string `json:"db"`
	Table  string `json:"table"`
}

// ClaimEngineNodeResult is the node queue of the worker that took it.
type ClaimEngineNodeResult struct {
	NodeQueue string `json:"nodeQueue"`
}

// ImportEngineInput ingests one engine of a table: a data engine (EngineID
// 0…, mydump.Chunk.EngineID) or the index engine (IndexEngineID). It runs
// on the node queue of the worker holding the engine.
type ImportEngineInput struct {
	TaskID     string         `json:"taskID"`
	Config     *config.Config `json:"config"`
	DB         string         `json:"db"`
	Table      string         `json:"table"`
	Generation int            `json:"generation,omitempty"`
	EngineID   int32          `json:"engineID"`
}

// IndexEngineID is the engine ID of a table's index engine (Lightning's
// -1).
const IndexEngineID = physical.IndexEngineID

// ImportEngineResult counts what was written to TiKV.
type ImportEngineResult struct {
	Pairs int64 `json:"pairs"`
	Bytes int64 `json:"bytes"`
}

// KeyRange is a raw-key range [Start, End).
type KeyRange struct {
	Start []byte `json:"start"`
	End   []byte `json:"end"`
}

// ImportEngineHeartbeat carries the ranges already ingested (merged, so it
// stays small); a retried attempt skips them.
type ImportEngineHeartbeat struct {
	Finished []KeyRange `json:"finished,omitempty"`
}

// CleanupInput runs at the end of an import, also after failure or cancel.
type CleanupInput struct {
	TaskID    string         `json:"taskID"`
	Config    *config.Config `json:"config"`
	Succeeded bool           `json:"succeeded"`
}
