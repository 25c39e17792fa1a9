package importer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tempestdb/tempest/internal/logical"
	"github.com/tempestdb/tempest/internal/mydump"
	"github.com/tempestdb/tempest/internal/parser"
	"github.com/tempestdb/tempest/internal/physical"
)

// logicalSink sends a chunk's rows to the SQL backend. Each Flush is one
// transaction holding the batch, its error records and the chunk's progress
// row, so the committed position and the committed rows never disagree.
type logicalSink struct {
	be     *logical.Backend
	w      *logical.ChunkWriter
	taskID int64
	key    string
	// prevRowIDMax converts a committed row ID into a row count.
	prevRowIDMax int64
	loc          *time.Location
	// fullStatements counts batches that reached the statement size since
	// the last Flush.
	fullStatements int
}

func (im *Importer) rowSinkFor(ctx context.Context, job ChunkJob) (rowSink, error) {
	cfg := job.Config
	if cfg.IsPhysical() {
		return im.physicalSinkFor(ctx, job)
	}
	if !cfg.IsLogical() {
		return nil, permanent("ConfigError", fmt.Errorf("chunk %s: backend %q is not supported", job.Key, cfg.TikvImporter.Backend))
	}
	be, err := im.logicalBackend(ctx, job.TaskID, cfg)
	if err != nil {
		return nil, err
	}
	info, err := be.LoadTableInfo(ctx, job.DB, job.Table)
	if err != nil {
		return nil, fmt.Errorf("chunk %s: read columns of `%s`.`%s`: %w", job.Key, job.DB, job.Table, err)
	}
	taskID := taskNumber(job.TaskID)
	w, err := be.NewChunkWriter(logical.ChunkTarget{
		DB: job.DB, Table: job.Table, Info: info, Path: job.Chunk.File.Path,
		TaskID: taskID, ChunkKey: job.Table + "/" + job.Key, ExtendColumns: job.Chunk.File.ExtendColumns,
	})
	if err != nil {
		return nil, err
	}
	loc := time.UTC
	if job.Chunk.File.Type == mydump.SourceTypeParquet {
		if loc, err = sessionLocation(ctx, be); err != nil {
			return nil, err
		}
	}
	return &logicalSink{be: be, w: w, taskID: taskID, key: job.Table + "/" + job.Key, prevRowIDMax: job.Chunk.PrevRowIDMax, loc: loc}, nil
}

func (s *logicalSink) Committed(ctx context.Context) (*ChunkPosition, error) {
	p, found, err := s.be.LoadChunkPosition(ctx, s.taskID, s.key)
	if err != nil || !found {
		return nil, err
	}
	return &ChunkPosition{StmtStart: p.StmtStart, Offset: p.EndOffset, RowID: p.RowID,
		Stats: ChunkStats{Rows: p.Rows, TypeErrors: p.TypeErrors, Conflicts: p.Conflicts}}, nil
}

// statementsPerTransaction groups batches into transactions. Each Flush is
// one transaction (rows, error records and the progress row) and costs the
// target a durable commit — an fsync on InnoDB — so committing every
// logical-import-batch-size statement made the commit rate, not the rows,
// the limit. A transaction now carries up to this many statements; the
// statements themselves keep Lightning's batch size and row limit.
const statementsPerTransaction = 16

func (s *logicalSink) Append(columns []string, row parser.Row) (bool, error) {
	full, err := s.w.Append(columns, row)
	if err != nil || !full {
		return false, err
	}
	s.fullStatements++
	return s.fullStatements >= statementsPerTransaction, nil
}

func (s *logicalSink) Flush(ctx context.Context, pos ChunkPosition) (ChunkStats, error) {
	s.fullStatements = 0
	s.w.SetPosition(logical.ChunkPosition{
		StmtStart: pos.StmtStart, EndOffset: pos.Offset, RowID: pos.RowID,
	})
	res, err := s.w.Flush(ctx)
	stats := ChunkStats{Rows: res.Rows, TypeErrors: res.TypeErrors, Conflicts: res.Conflicts}
	if err != nil {
		return stats, err
	}
	return stats, nil
}

// classifyWriteError marks spent error budgets as permanent: retrying the
// chunk would only record the same rows again.
func classifyWriteError(err error) error {
	if errors.Is(err, logical.ErrTypeErrorsExceeded) || errors.Is(err, logical.ErrConflictsExceeded) {
		return permanent("ErrorBudgetExceeded", err)
	}
	if errors.Is(err, logical.ErrDuplicate) {
		return permanent("ErrorBudgetExceeded", err)
	}
	return err
}

// SessionLocation is the target session's time zone, in which instants from
// the source (parquet timestamps) are rendered: the server would render them
// the same way.
func (s *logicalSink) SessionLocation() *time.Location { return s.loc }

// sessionLocation reads the time zone of the target's sessions (the same
// rule as the physical encoder's: SYSTEM is the server's zone).
func sessionLocation(ctx context.Context, be *logical.Backend) (*time.Location, error) {
	zone, err := physical.TargetTimeZone(ctx, be.DB())
	if err != nil {
		return nil, err
	}
	return physical.ParseTimeZone(zone)
}
