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
	"github.com/tempestdb/tempest/internal/schema"
)

// physicalSink encodes a chunk's rows into its table's local engine on this
// worker. It has no committed position: the engine write is not
// transactional with anything Temporal records, so every attempt encodes
// the chunk from its start (idempotent: same pairs, last write wins) and
// its outcome covers the whole chunk; see package physical.
type physicalSink struct {
	enc *physical.ChunkEncoder
	res physical.ChunkResult
	loc *time.Location
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
	// Record KVs go to the data engine of the chunk's batch, index KVs to
	// the table's index engine (Lightning's layout; see package physical).
	data, index, err := im.phys.OpenChunkEngines(cfg, engineRef(job.TaskID, job.DB, job.Table, job.EngineGeneration, 0), job.Chunk.EngineID)
	if err != nil {
		return nil, fmt.Errorf("chunk %s: %w", job.Key, err)
	}
	ts := job.Timestamp
	if ts.IsZero() {
		// Only CURRENT_TIMESTAMP defaults read it; the workflow always
		// sets it so that every attempt writes the same values.
		ts = time.Now()
	}
	be, err := im.logicalBackend(ctx, job.TaskID, cfg)
	if err != nil {
		return nil, err
	}
	// TIMESTAMP literals are wall clock in the target's zone, never this
	// worker's: the workflow carries the zone read when the table was
	// planned.
	session := job.Session
	if session == nil {
		s, err := physical.ReadSession(ctx, be.DB())
		if err != nil {
			return nil, fmt.Errorf("chunk %s: %w", job.Key, err)
		}
		session = &s
	}
	loc, err := physical.ParseTimeZone(session.TimeZone)
	if err != nil {
		return nil, permanent("ConfigError", fmt.Errorf("chunk %s: %w", job.Key, err))
	}
	var errLog *physical.TypeErrorLog
	if cfg.Lightning.TaskInfoSchemaName != "" {
		errLog = &physical.TypeErrorLog{DB: be.DB(), Schema: cfg.Lightning.TaskInfoSchemaName, TaskID: taskNumber(job.TaskID)}
	}
	enc, err := physical.NewChunkEncoder(data, physical.EncoderConfig{
		Table: tbl, SQLMode: cfg.TiDB.SQLMode, Session: *session, Timestamp: ts,
		LegacyCollation: !settings.NewCollation, AutoRandomSeed: job.Chunk.PrevRowIDMax,
		ExtendColumns: job.Chunk.File.ExtendColumns, MaxTypeErrors: cfg.Lightning.MaxError.Type,
		Errors: errLog, QualifiedName: schema.QualifiedName(job.DB, job.Table), Path: job.Chunk.File.Path,
		IndexEngine: index,
	})
	if errors.Is(err, physical.ErrUnsupportedTable) {
		return nil, permanent("SchemaError", fmt.Errorf("chunk %s: %w", job.Key, err))
	}
	if err != nil {
		return nil, fmt.Errorf("chunk %s: %w", job.Key, err)
	}
	return &physicalSink{enc: enc, loc: loc}, nil
}

// SessionLocation is the target's time zone, in which instants from the
// source (parquet timestamps) are rendered.
func (s *physicalSink) SessionLocation() *time.Location { return s.loc }

func engineRef(taskID, db, table string, generation int, engineID int32) physical.EngineRef {
	return physical.EngineRef{TaskID: taskID, DB: db, Table: table, Generation: generation, EngineID: engineID}
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

// EngineJob names one engine of a table on this worker: a data engine
// (EngineID 0…) or the index engine (physical.IndexEngineID).
type EngineJob struct {
	TaskID     string
	Config     *config.Config
	DB, Table  string
	Generation int
	EngineID   int32
}

// ImportEngine ingests one engine of a table into TiKV, skipping ranges an
// earlier attempt finished and reporting newly finished ones.
func (im *Importer) ImportEngine(ctx context.Context, job EngineJob, finished []ingest.KeyRange, progress func([]ingest.KeyRange)) (physical.ImportResult, error) {
	if !job.Config.IsPhysical() {
		return physical.ImportResult{}, permanent("ConfigError", fmt.Errorf("import engine of `%s`.`%s`: the task does not use the physical backend", job.DB, job.Table))
	}
	res, err := im.phys.ImportEngine(ctx, job.Config, engineRef(job.TaskID, job.DB, job.Table, job.Generation, job.EngineID), finished, progress)
	if errors.Is(err, ingest.ErrDiskFull) {
		return res, permanent("DiskFull", err)
	}
	return res, err
}

// TableSummary is the physical import's totals of a table for
// PostProcess: the chunks' summed checksum and max auto IDs.
type TableSummary = physical.TableSummary
