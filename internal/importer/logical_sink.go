package importer

import (
	"context"
	"errors"
	"fmt"

	"github.com/tempestdb/tempest/internal/logical"
	"github.com/tempestdb/tempest/internal/parser"
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
	return &logicalSink{be: be, w: w, taskID: taskID, key: job.Table + "/" + job.Key, prevRowIDMax: job.Chunk.PrevRowIDMax}, nil
}

func (s *logicalSink) Committed(ctx context.Context) (*ChunkPosition, error) {
	p, found, err := s.be.LoadChunkPosition(ctx, s.taskID, s.key)
	if err != nil || !found {
		return nil, err
	}
	return &ChunkPosition{StmtStart: p.StmtStart, Offset: p.EndOffset, RowID: p.RowID,
		Stats: ChunkStats{Rows: p.Rows, TypeErrors: p.TypeErrors, Conflicts: p.Conflicts}}, nil
}

func (s *logicalSink) Append(columns []string, row parser.Row) (bool, error) {
	return s.w.Append(columns, row)
}

func (s *logicalSink) Flush(ctx context.Context, pos ChunkPosition) (ChunkStats, error) {
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
