package importer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/ingest"
	"github.com/tempestdb/tempest/internal/parser"
	"github.com/tempestdb/tempest/internal/physical"
)

// physicalSink encodes a chunk's rows into its table's local engine on this
// worker. It has no committed position: the engine write is not
// transactional with anything Temporal records, so every attempt encodes
// the chunk from its start (idempotent: same pairs, last write wins) and
// its outcome covers the whole chunk; see package physical.
type physicalSink struct {
	enc *physical.ChunkEncoder
	res physical.ChunkResult
}

// finisher is a sink with work to complete after the last row (the
// physical sink's engine writer) and to drop on failure.
type finisher interface {
	Finish(ctx context.Context) error
	Abort()
}

func (im *Importer) physicalSinkFor(ctx context.Context, job ChunkJob) (rowSink, error) {
	cfg := job.Config
	tbl, err := physical.TableInfo(ctx, cfg, job.DB, job.Table)
	if err != nil {
		return nil, fmt.Errorf("chunk %s: %w", job.Key, err)
	}
	settings, err := physical.ReadSettings(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("chunk %s: %w", job.Key, err)
	}
	eng, err := im.phys.OpenEngine(cfg, engineRef(job.TaskID, job.DB, job.Table, job.EngineGeneration))
	if err != nil {
		return nil, fmt.Errorf("chunk %s: %w", job.Key, err)
	}
	ts := job.Timestamp
	if ts.IsZero() {
		// Only CURRENT_TIMESTAMP defaults read it; the workflow always
		// sets it so that every attempt writes the same values.
		ts = time.Now()
	}
	enc, err := physical.NewChunkEncoder(eng, physical.EncoderConfig{
		Table: tbl, SQLMode: cfg.TiDB.SQLMode, TimeZone: time.Local, Timestamp: ts,
		LegacyCollation: !settings.NewCollation, AutoRandomSeed: job.Chunk.PrevRowIDMax,
		ExtendColumns: job.Chunk.File.ExtendColumns, MaxTypeErrors: cfg.Lightning.MaxError.Type,
	})
	if errors.Is(err, physical.ErrUnsupportedTable) {
		return nil, permanent("SchemaError", fmt.Errorf("chunk %s: %w", job.Key, err))
	}
	if err != nil {
		return nil, fmt.Errorf("chunk %s: %w", job.Key, err)
	}
	return &physicalSink{enc: enc}, nil
}

func engineRef(taskID, db, table string, generation int) physical.EngineRef {
	return physical.EngineRef{TaskID: taskID, DB: db, Table: table, Generation: generation}
}

func (s *physicalSink) Committed(context.Context) (*ChunkPosition, error) { return nil, nil }

func (s *physicalSink) Append(columns []string, row parser.Row) (bool, error) {
	full, err := s.enc.Append(columns, row)
	switch {
	case errors.Is(err, physical.ErrColumns):
		return false, permanent("SchemaError", err)
	case errors.Is(err, physical.ErrTypeErrorsExceeded):
		return false, permanent("ErrorBudgetExceeded", err)
	}
	return full, err
}

func (s *physicalSink) Flush(ctx context.Context, _ ChunkPosition) (ChunkStats, error) {
	rows, typeErrors, err := s.enc.Flush(ctx)
	return ChunkStats{Rows: rows, TypeErrors: typeErrors}, err
}

func (s *physicalSink) Finish(ctx context.Context) error {
	res, err := s.enc.Close(ctx)
	s.res = res
	return err
}

func (s *physicalSink) Abort() { s.enc.Abort() }

// EngineJob names the engine of one table on this worker.
type EngineJob struct {
	TaskID     string
	Config     *config.Config
	DB, Table  string
	Generation int
}

// ImportEngine ingests a table's engine into TiKV, skipping ranges an
// earlier attempt finished and reporting newly finished ones.
func (im *Importer) ImportEngine(ctx context.Context, job EngineJob, finished []ingest.KeyRange, progress func([]ingest.KeyRange)) (physical.ImportResult, error) {
	if !job.Config.IsPhysical() {
		return physical.ImportResult{}, permanent("ConfigError", fmt.Errorf("import engine of `%s`.`%s`: the task does not use the physical backend", job.DB, job.Table))
	}
	res, err := im.phys.ImportEngine(ctx, job.Config, engineRef(job.TaskID, job.DB, job.Table, job.Generation), finished, progress)
	if errors.Is(err, ingest.ErrDiskFull) {
		return res, permanent("DiskFull", err)
	}
	return res, err
}

// TableSummary is the physical import's totals of a table for
// PostProcess: the chunks' summed checksum and max auto IDs.
type TableSummary = physical.TableSummary
