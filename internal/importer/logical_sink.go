package importer

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tempestdb/tempest/internal/logical"
	"github.com/tempestdb/tempest/internal/mydump"
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

// sessionLocation reads the time zone of the target's sessions.
func sessionLocation(ctx context.Context, be *logical.Backend) (*time.Location, error) {
	var zone, system string
	if err := be.DB().QueryRowContext(ctx, "SELECT @@session.time_zone, @@system_time_zone").Scan(&zone, &system); err != nil {
		return nil, fmt.Errorf("read the target's time zone: %w", err)
	}
	if strings.EqualFold(zone, "SYSTEM") {
		zone = system
	}
	return parseZone(zone), nil
}

// parseZone understands MySQL's zone forms: "+08:00" offsets and named
// zones; an abbreviation the system cannot resolve ("CST") falls back to
// this process's local zone.
func parseZone(zone string) *time.Location {
	if len(zone) == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':' {
		h, err1 := strconv.Atoi(zone[1:3])
		m, err2 := strconv.Atoi(zone[4:6])
		if err1 == nil && err2 == nil {
			off := h*3600 + m*60
			if zone[0] == '-' {
				off = -off
			}
			return time.FixedZone(zone, off)
		}
	}
	if loc, err := time.LoadLocation(zone); err == nil {
		return loc
	}
	return time.Local
}
