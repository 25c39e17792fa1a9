// Package progress holds the import progress model: what the import
// workflow's "progress" query returns and what the starter draws. It is plain
// data (JSON-friendly, deterministic to build) so that it can live in workflow
// state.
package progress

import "time"

// Phase of a table or of the whole import.
type Phase string

const (
	PhasePending     Phase = "pending"
	PhaseScan        Phase = "scan"
	PhaseSchema      Phase = "schema"
	PhaseImport      Phase = "import"      // parse + encode/insert chunks
	PhaseIngest      Phase = "ingest"      // physical: write + ingest engines
	PhasePostProcess Phase = "postprocess" // checksum, analyze, auto-ID rebase
	PhaseDone        Phase = "done"
	PhaseFailed      Phase = "failed"
	PhaseCancelled   Phase = "cancelled"
)

// Counters are the measurable amounts of work.
type Counters struct {
	TotalBytes  int64 `json:"totalBytes"`
	DoneBytes   int64 `json:"doneBytes"`
	Rows        int64 `json:"rows"`
	ChunksTotal int   `json:"chunksTotal"`
	ChunksDone  int   `json:"chunksDone"`
	TypeErrors  int64 `json:"typeErrors"`
	Conflicts   int64 `json:"conflicts"`
}

// Add accumulates o into c.
func (c *Counters) Add(o Counters) {
	c.TotalBytes += o.TotalBytes
	c.DoneBytes += o.DoneBytes
	c.Rows += o.Rows
	c.ChunksTotal += o.ChunksTotal
	c.ChunksDone += o.ChunksDone
	c.TypeErrors += o.TypeErrors
	c.Conflicts += o.Conflicts
}

// Table is the progress of one target table.
type Table struct {
	Name  string `json:"name"` // `db`.`table`
	Phase Phase  `json:"phase"`
	Counters
	Error string `json:"error,omitempty"`
}

// Import is the progress of a whole import task.
type Import struct {
	TaskID    string    `json:"taskID"`
	Phase     Phase     `json:"phase"`
	Paused    bool      `json:"paused"`
	StartedAt time.Time `json:"startedAt"`
	// UpdatedAt is workflow time of the last change; with StartedAt and
	// DoneBytes it gives the average rate.
	UpdatedAt time.Time `json:"updatedAt"`
	Counters
	TablesTotal int     `json:"tablesTotal"`
	TablesDone  int     `json:"tablesDone"`
	Tables      []Table `json:"tables"`
	Error       string  `json:"error,omitempty"`
}

// Rate is the average import rate in bytes per second up to UpdatedAt.
func (p *Import) Rate() float64 {
	d := p.UpdatedAt.Sub(p.StartedAt).Seconds()
	if d <= 0 {
		return 0
	}
	return float64(p.DoneBytes) / d
}

// ETA estimates the time left at the average rate; 0 when unknown.
func (p *Import) ETA() time.Duration {
	r := p.Rate()
	if r <= 0 || p.TotalBytes <= p.DoneBytes {
		return 0
	}
	return time.Duration(float64(p.TotalBytes-p.DoneBytes) / r * float64(time.Second))
}
