package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/kv"
	"github.com/tempestdb/tempest/internal/mydump"
	"github.com/tempestdb/tempest/internal/parser"
	"github.com/tempestdb/tempest/internal/physical"
	"github.com/tempestdb/tempest/internal/storage"
)

// ChunkJob is one chunk of one table.
type ChunkJob struct {
	TaskID string
	Config *config.Config
	DB     string
	Table  string
	Key    string // stable chunk key (file:offset), see workflows.ChunkKey
	Chunk  mydump.Chunk

	// Physical backend only: the table's fixed CURRENT_TIMESTAMP value and
	// the generation of its engine (see physical.EngineRef).
	Timestamp        time.Time
	EngineGeneration int
	// Session is the target's session (physical.TableBase.Session) the
	// physical encoder reads values in; nil: read it from the target.
	Session *physical.Session
}

// ChunkStats counts what a chunk has written so far.
type ChunkStats struct {
	Rows       int64
	Bytes      int64
	TypeErrors int64
	Conflicts  int64
}

func (s *ChunkStats) add(o ChunkStats) {
	s.Rows += o.Rows
	s.Bytes += o.Bytes
	s.TypeErrors += o.TypeErrors
	s.Conflicts += o.Conflicts
}

// ChunkPosition is a committed position in a chunk: every row before Offset
// has been written, and the counters say what they amounted to. StmtStart is
// the start of the SQL statement Offset lies in (so a resumed parser knows
// the statement's column list).
type ChunkPosition struct {
	StmtStart int64
	Offset    int64
	RowID     int64
	Stats     ChunkStats
}

// ChunkOutcome is the result of ImportChunk.
type ChunkOutcome struct {
	Stats   ChunkStats
	Resumed bool
	// Physical backend only: the checksum of every pair the chunk encoded
	// and the largest auto IDs it used.
	Checksum kv.Checksum
	MaxIDs   kv.MaxIDs
}

// rowSink is where a chunk's rows go. Append buffers one row and says when
// a batch is full; Flush writes the buffered rows and commits pos, the
// position after them, in one step. A sink that commits both atomically (the
// logical backend's progress row) gives exactly-once delivery; see
// ImportChunk.
type rowSink interface {
	// Committed returns the last committed position of the chunk, if any.
	Committed(ctx context.Context) (*ChunkPosition, error)
	Append(columns []string, row parser.Row) (full bool, err error)
	Flush(ctx context.Context, pos ChunkPosition) (ChunkStats, error)
}

// ImportChunk parses one chunk and writes its rows in batches, calling
// heartbeat after each committed batch.
//
// Exactly-once across crashes: a batch and the chunk position after it are
// committed together (the logical backend writes both in one transaction).
// A retried attempt starts from the committed position, so no row is
// written twice and none is skipped, whichever worker runs the retry. The
// heartbeat carries the same position; it is used only when the target
// cannot store positions (task-info-schema-name = ""), where the batch in
// flight at a crash may be applied twice (harmless for replace/ignore, a
// recorded duplicate for error).
//
// The physical backend has no committed position: its rows go to a local
// engine, not a transaction. An attempt always starts at the chunk's start
// (ignoring resume); re-encoding writes identical pairs, and the outcome's
// Checksum and MaxIDs cover the whole chunk.
func (im *Importer) ImportChunk(ctx context.Context, job ChunkJob, resume *ChunkPosition, heartbeat func(ChunkPosition)) (ChunkOutcome, error) {
	cfg := job.Config
	sink, err := im.rowSinkFor(ctx, job)
	if err != nil {
		return ChunkOutcome{}, err
	}
	committed, err := sink.Committed(ctx)
	if err != nil {
		return ChunkOutcome{}, fmt.Errorf("chunk %s: read committed position: %w", job.Key, err)
	}
	start := ChunkPosition{StmtStart: job.Chunk.Offset, Offset: job.Chunk.Offset, RowID: job.Chunk.PrevRowIDMax}
	resumed := false
	switch {
	case committed != nil:
		start, resumed = *committed, true
	case cfg.IsPhysical():
		// The engine keeps no committed position: re-encode from the
		// chunk's start so that the outcome's checksum covers all of it
		// (see physicalSink).
	case resume != nil && resume.Offset > start.Offset:
		start, resumed = *resume, true
	}
	fin, _ := sink.(finisher)
	succeeded := false
	if fin != nil {
		defer func() {
			if !succeeded {
				fin.Abort()
			}
		}()
	}

	store, err := storage.Parse(cfg.Mydumper.DataSourceDir)
	if err != nil {
		return ChunkOutcome{}, permanent("ConfigError", err)
	}
	// Parquet timestamps are instants; they are rendered in the target
	// session's time zone, as the server would render them.
	loc := time.UTC
	if z, ok := sink.(interface{ SessionLocation() *time.Location }); ok {
		loc = z.SessionLocation()
	}
	p, err := openParser(ctx, store, cfg, job.Chunk, start, loc)
	if err != nil {
		return ChunkOutcome{}, err
	}
	defer p.Close()

	stats := start.Stats
	var last parser.Position
	pending := false
	flush := func() error {
		if !pending {
			return nil
		}
		pos := ChunkPosition{StmtStart: last.StmtStart, Offset: last.Offset, RowID: last.RowID}
		pos.Stats = stats
		pos.Stats.Bytes = chunkBytesDone(job.Chunk, last.Offset)
		written, err := sink.Flush(ctx, pos)
		if err != nil {
			return fmt.Errorf("write rows of %s up to offset %d: %w", job.Chunk.File.Path, last.Offset, err)
		}
		stats.Rows += written.Rows
		stats.TypeErrors += written.TypeErrors
		stats.Conflicts += written.Conflicts
		stats.Bytes = pos.Stats.Bytes
		pending = false
		if heartbeat != nil {
			heartbeat(ChunkPosition{StmtStart: last.StmtStart, Offset: last.Offset, RowID: last.RowID, Stats: stats})
		}
		return nil
	}
	checkRowIDs := !cfg.IsLogical()
	// Parsing runs ahead in its own goroutine so that it overlaps with the
	// sink's writes: a flush waits on the target (a commit, an fsync) while
	// the next rows are already being parsed.
	readCtx, stopReading := context.WithCancel(ctx)
	blocks := make(chan rowBlock, 2)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		readAhead(readCtx, p, blocks)
	}()
	defer func() {
		stopReading()
		<-readerDone // the parser is closed only after the reader stopped
	}()
	for blk := range blocks {
		for i, row := range blk.rows {
			if checkRowIDs && job.Chunk.RowIDMax > 0 && row.RowID > job.Chunk.RowIDMax {
				return ChunkOutcome{}, permanent("SyntaxError", fmt.Errorf(
					"%s offset %d: chunk holds more rows than its row-ID range allows (%d > %d): rows are shorter than the planner assumed",
					job.Chunk.File.Path, row.Offset, row.RowID, job.Chunk.RowIDMax))
			}
			full, err := sink.Append(blk.cols[i], row)
			if err != nil {
				return ChunkOutcome{}, classifyWriteError(err)
			}
			last, pending = blk.pos[i], true
			if full {
				if err := flush(); err != nil {
					return ChunkOutcome{}, classifyWriteError(err)
				}
			}
		}
		if blk.err != nil {
			var se *parser.SyntaxError
			if errors.As(blk.err, &se) {
				return ChunkOutcome{}, permanent("SyntaxError", blk.err)
			}
			return ChunkOutcome{}, fmt.Errorf("read %s: %w", job.Chunk.File.Path, blk.err)
		}
	}
	if err := ctx.Err(); err != nil {
		return ChunkOutcome{}, err
	}
	if err := flush(); err != nil {
		return ChunkOutcome{}, classifyWriteError(err)
	}
	stats.Bytes = chunkBytesDone(job.Chunk, -1)
	out := ChunkOutcome{Stats: stats, Resumed: resumed}
	if fin != nil {
		if err := fin.Finish(ctx); err != nil {
			return ChunkOutcome{}, fmt.Errorf("finish chunk %s: %w", job.Key, err)
		}
		if ps, ok := sink.(*physicalSink); ok {
			out.Checksum, out.MaxIDs = ps.res.Checksum, ps.res.MaxIDs
		}
	}
	succeeded = true
	return out, nil
}

// chunkBytesDone is the source bytes a chunk has consumed up to offset (-1:
// all of it). Compressed chunks count their stored size, since progress
// totals are stored sizes.
func chunkBytesDone(c mydump.Chunk, offset int64) int64 {
	if c.EndOffset < 0 {
		if offset < 0 {
			return c.File.Size
		}
		return 0
	}
	if offset < 0 || offset > c.EndOffset {
		return c.EndOffset - c.Offset
	}
	return offset - c.Offset
}

// chunkParser is what ImportChunk needs of a parser.
type chunkParser interface {
	parser.Parser
	parser.Positioner
}

// openParser opens the chunk's file and positions a parser at start.
func openParser(ctx context.Context, store storage.ExternalStorage, cfg *config.Config, c mydump.Chunk, start ChunkPosition, loc *time.Location) (chunkParser, error) {
	r, err := mydump.OpenFile(ctx, store, c.File)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", c.File.Path, err)
	}
	blockSize := int(cfg.Mydumper.ReadBlockSize)
	pos := parser.Position{StmtStart: start.StmtStart, Offset: start.Offset, RowID: start.RowID}
	switch c.File.Type {
	case mydump.SourceTypeSQL:
		p := parser.NewSQLParser(r, c.File.Path, parser.SQLOptionsFromMode(cfg.TiDB.SQLMode, blockSize))
		if c.EndOffset >= 0 {
			p.SetEnd(c.EndOffset)
		}
		if pos.Offset > 0 {
			if err := p.SetPosition(pos); err != nil {
				p.Close()
				return nil, fmt.Errorf("seek %s to offset %d: %w", c.File.Path, pos.Offset, err)
			}
		} else if pos.RowID != 0 {
			if err := p.SetPos(0, pos.RowID); err != nil {
				p.Close()
				return nil, fmt.Errorf("position %s: %w", c.File.Path, err)
			}
		}
		return p, nil
	case mydump.SourceTypeCSV:
		p, err := parser.NewCSVParser(r, c.File.Path, cfg.Mydumper.CSV, parser.CSVOptions{
			ReadBlockSize:         blockSize,
			ShouldParseHeader:     cfg.Mydumper.CSV.Header,
			StartsAtChunkBoundary: pos.Offset == c.Offset && c.Offset > 0,
			End:                   c.EndOffset,
		})
		if err != nil {
			r.Close()
			return nil, permanent("ConfigError", fmt.Errorf("csv parser for %s: %w", c.File.Path, err))
		}
		if err := p.ReadHeader(ctx); err != nil {
			p.Close()
			return nil, permanent("SyntaxError", fmt.Errorf("read header of %s: %w", c.File.Path, err))
		}
		if !cfg.Mydumper.CSV.HeaderSchemaMatch {
			p.SetColumns(nil)
		}
		if pos.Offset > 0 || pos.RowID != 0 {
			if err := p.SetPosition(pos); err != nil {
				p.Close()
				return nil, fmt.Errorf("seek %s to offset %d: %w", c.File.Path, pos.Offset, err)
			}
		}
		return p, nil
	case mydump.SourceTypeParquet:
		p, err := parser.NewParquetParser(readerAt{r: r, mu: new(sync.Mutex)}, c.File.Size, c.File.Path, parser.ParquetOptions{Location: loc})
		if err != nil {
			r.Close()
			return nil, permanent("SyntaxError", fmt.Errorf("open parquet %s: %w", c.File.Path, err))
		}
		if pos.Offset > 0 || pos.RowID != 0 {
			if err := p.SetPos(pos.Offset, pos.RowID); err != nil {
				p.Close()
				return nil, fmt.Errorf("seek %s to row %d: %w", c.File.Path, pos.Offset, err)
			}
		}
		return p, nil
	default:
		r.Close()
		return nil, permanent("ConfigError", fmt.Errorf("%s: %s is not a data file", c.File.Path, c.File.Type))
	}
}

// readerAt gives random access over a stored file (parquet readers jump
// between footer, row groups and pages). Reads are serialized: the
// underlying stream has one position.
type readerAt struct {
	r  storage.ReadSeekCloser
	mu *sync.Mutex
}

func (ra readerAt) ReadAt(p []byte, off int64) (int, error) {
	if ra.mu != nil {
		ra.mu.Lock()
		defer ra.mu.Unlock()
	}
	if _, err := ra.r.Seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	n, err := io.ReadFull(ra.r, p)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = io.EOF // io.ReaderAt's contract for a short read at the end
	}
	return n, err
}

func (ra readerAt) Close() error { return ra.r.Close() }

// rowBlock is a run of parsed rows handed from the reading goroutine to the
// writing one. Rows own their bytes (copied out of the parser's buffers);
// pos[i] is the parser position just after rows[i] and cols[i] its column
// names. A non-nil err ends the stream after the rows before it.
type rowBlock struct {
	rows []parser.Row
	pos  []parser.Position
	cols [][]string
	err  error
}

// rowsPerBlock trades channel hand-offs against latency.
const rowsPerBlock = 512

// readAhead parses rows into blocks until the input ends, an error occurs
// or ctx is cancelled, and closes out.
func readAhead(ctx context.Context, p chunkParser, out chan<- rowBlock) {
	defer close(out)
	var blk rowBlock
	var arena []byte
	var cols []string
	send := func() bool {
		select {
		case out <- blk:
			blk = rowBlock{}
			return true
		case <-ctx.Done():
			return false
		}
	}
	for {
		if err := p.ReadRow(ctx); err != nil {
			if !errors.Is(err, io.EOF) {
				blk.err = err
			}
			if len(blk.rows) > 0 || blk.err != nil {
				send()
			}
			return
		}
		row := p.LastRow()
		need := 0
		for _, f := range row.Fields {
			need += len(f.Bytes)
		}
		if cap(arena)-len(arena) < need {
			// Rows already handed out keep the old arena alive.
			arena = make([]byte, 0, max(need, 256<<10))
		}
		fields := make([]parser.Field, len(row.Fields))
		for i, f := range row.Fields {
			start := len(arena)
			arena = append(arena, f.Bytes...)
			f.Bytes = arena[start:len(arena):len(arena)]
			fields[i] = f
		}
		row.Fields = fields
		if c := p.Columns(); !slices.Equal(c, cols) || (c == nil) != (cols == nil) {
			cols = slices.Clone(c)
		}
		blk.rows = append(blk.rows, row)
		blk.pos = append(blk.pos, p.Position())
		blk.cols = append(blk.cols, cols)
		if len(blk.rows) >= rowsPerBlock && !send() {
			return
		}
	}
}
