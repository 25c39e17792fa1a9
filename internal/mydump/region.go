package mydump

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"

	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/storage"
)

// BoundaryFunc returns offsets in r (which starts at offset start of the
// decompressed file) at which a new INSERT statement begins, spaced roughly
// every `every` bytes. parser.SQLStatementBoundaries has this shape.
type BoundaryFunc func(ctx context.Context, r io.Reader, start int64, every int64) ([]int64, error)

// RowCountFunc returns the exact number of rows of a file (parquet footers
// record it).
type RowCountFunc func(ctx context.Context, store storage.ExternalStorage, file FileInfo) (int64, error)

// Planner cuts a table's data files into chunks. Its zero value is not
// usable; build it with NewPlanner and adjust the function fields.
type Planner struct {
	Store storage.ExternalStorage
	// MaxRegionSize is the target chunk size in bytes (mydumper.max-region-size).
	MaxRegionSize int64
	// StrictFormat allows splitting CSV files (mydumper.strict-format).
	StrictFormat bool
	// CSVTerminator is mydumper.csv.terminator; "" means "\n" (which also
	// ends "\r\n" lines).
	CSVTerminator string
	// BatchSize and BatchImportRatio size engines (mydumper.batch-size,
	// mydumper.batch-import-ratio); TableConcurrency bounds how many
	// engines get the growing, non-uniform sizes (lightning.table-concurrency).
	BatchSize        int64
	BatchImportRatio float64
	TableConcurrency int
	// SQLBoundaries, when set, lets SQL files larger than MaxRegionSize be
	// split at INSERT statements. When nil, SQL files are one chunk each, as
	// in Lightning.
	SQLBoundaries BoundaryFunc
	// ParquetRowCount gives parquet chunks exact row-ID ranges; NewPlanner
	// sets it to ParquetRowCount (footer num_rows). When nil the file size
	// is used as the bound (Lightning's behaviour for tables without auto
	// IDs), which can be too small for narrow, highly compressed rows.
	ParquetRowCount RowCountFunc
}

// regionSplitSlack: a file up to 10% above MaxRegionSize stays whole, so a
// dump written with the same size limit is not cut into a full chunk plus a
// sliver.
const regionSplitSlack = 10

// defaultBatchImportRatio replaces ratios outside [0, 1).
const defaultBatchImportRatio = 0.75

// NewPlanner takes the planning settings from cfg.
func NewPlanner(cfg *config.Config, store storage.ExternalStorage) *Planner {
	return &Planner{
		Store:            store,
		MaxRegionSize:    int64(cfg.Mydumper.MaxRegionSize),
		StrictFormat:     cfg.Mydumper.StrictFormat,
		CSVTerminator:    cfg.Mydumper.CSV.Terminator,
		BatchSize:        int64(cfg.Mydumper.BatchSize),
		BatchImportRatio: cfg.Mydumper.BatchImportRatio,
		TableConcurrency: cfg.Lightning.TableConcurrency,
		ParquetRowCount:  ParquetRowCount,
	}
}

// MakeTableChunks plans table with the settings of cfg and no SQL splitting
// or parquet row counts; use a Planner to inject those.
func MakeTableChunks(ctx context.Context, store storage.ExternalStorage, table *TableMeta, cfg *config.Config, columns int) ([]Chunk, error) {
	return NewPlanner(cfg, store).MakeTableChunks(ctx, table, columns)
}

// MakeTableChunks cuts table's data files (in TableMeta order) into chunks
// and gives each a row-ID range and an engine.
//
// Row IDs: a chunk of n bytes may hold at most n/divisor rows, where
// divisor is columns for CSV and columns+2 for SQL (the bytes a row needs at
// the very least: one per field for CSV, separators plus "(", ")" for SQL).
// Ranges are laid end to end in chunk order, so they never overlap as long
// as columns is not larger than the number of fields a source row really
// has; pass the table's column count, or the source's field count when the
// files carry fewer fields (CSV header subsets). columns < 1 counts as 1.
// The importer should still fail a chunk whose rows exceed RowIDMax.
//
// Compressed files are one chunk each (EndOffset -1); their decompressed
// size is measured by streaming through the file, because an estimate that
// comes out low would make row-ID ranges overlap.
//
// Strict-format CSV files larger than MaxRegionSize are split. The planner
// aligns each cut: it moves the cut forward to just past the next
// terminator, which is safe because strict format forbids terminators
// inside quoted fields. Chunks therefore start at a row; the parser reads
// [Offset, EndOffset) and, for a CSV with a header, a chunk with Offset > 0
// must take the column names from the file's first line.
//
// SQL files larger than MaxRegionSize are split at INSERT statements found
// by SQLBoundaries, when set.
func (p *Planner) MakeTableChunks(ctx context.Context, table *TableMeta, columns int) ([]Chunk, error) {
	if columns < 1 {
		columns = 1
	}
	var chunks []Chunk
	var sizes []float64
	var prevRowIDMax int64
	for _, file := range table.DataFiles {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		pieces, err := p.fileRanges(ctx, file)
		if err != nil {
			return nil, fmt.Errorf("mydump: planning chunks of `%s`.`%s` file %q: %w", table.DB, table.Table, file.Path, err)
		}
		for _, pc := range pieces {
			rows := pc.rows
			if rows < 0 {
				rows = pc.size / divisor(file.Type, columns)
			}
			c := Chunk{
				File:         file,
				Index:        len(chunks),
				Offset:       pc.offset,
				EndOffset:    pc.end,
				PrevRowIDMax: prevRowIDMax,
				RowIDMax:     prevRowIDMax + rows,
			}
			if c.RowIDMax < c.PrevRowIDMax { // overflow on absurd sizes
				return nil, fmt.Errorf("mydump: row-ID range of `%s`.`%s` overflows int64", table.DB, table.Table)
			}
			prevRowIDMax = c.RowIDMax
			chunks = append(chunks, c)
			sizes = append(sizes, float64(pc.size))
		}
	}
	ratio := p.BatchImportRatio
	if ratio < 0 || ratio >= 1 {
		ratio = defaultBatchImportRatio
	}
	for i, id := range assignEngines(sizes, float64(p.BatchSize), ratio, float64(p.TableConcurrency)) {
		chunks[i].EngineID = id
	}
	return chunks, nil
}

func divisor(t SourceType, columns int) int64 {
	if t == SourceTypeCSV {
		return int64(columns)
	}
	return int64(columns) + 2
}

// piece is one planned byte range of a file. size is the decompressed
// byte count; rows is an exact row count, or -1 to derive from size.
type piece struct {
	offset, end int64
	size        int64
	rows        int64
}

func (p *Planner) fileRanges(ctx context.Context, file FileInfo) ([]piece, error) {
	switch {
	case file.Type == SourceTypeParquet:
		// Parquet is read by row groups, not byte offsets: one chunk.
		rows := file.Size
		if p.ParquetRowCount != nil {
			n, err := p.ParquetRowCount(ctx, p.Store, file)
			if err != nil {
				return nil, fmt.Errorf("counting parquet rows: %w", err)
			}
			rows = n
		}
		return []piece{{offset: 0, end: file.Size, size: file.Size, rows: rows}}, nil
	case file.Compression != CompressionNone:
		size, err := p.decompressedSize(ctx, file)
		if err != nil {
			return nil, err
		}
		return []piece{{offset: 0, end: -1, size: size, rows: -1}}, nil
	}
	whole := []piece{{offset: 0, end: file.Size, size: file.Size, rows: -1}}
	limit := p.MaxRegionSize
	if limit <= 0 || file.Size <= limit+limit/regionSplitSlack {
		return whole, nil
	}
	switch {
	case file.Type == SourceTypeCSV && p.StrictFormat:
		return p.splitCSV(ctx, file)
	case file.Type == SourceTypeSQL && p.SQLBoundaries != nil:
		return p.splitSQL(ctx, file)
	}
	return whole, nil
}

// decompressedSize streams through a compressed file.
func (p *Planner) decompressedSize(ctx context.Context, file FileInfo) (int64, error) {
	r, err := OpenFile(ctx, p.Store, file)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	n, err := io.Copy(io.Discard, ctxReader{ctx: ctx, r: r})
	if err != nil {
		return 0, fmt.Errorf("measuring decompressed size: %w", err)
	}
	return n, nil
}

func (p *Planner) splitCSV(ctx context.Context, file FileInfo) ([]piece, error) {
	term := []byte(p.CSVTerminator)
	if len(term) == 0 {
		term = []byte("\n")
	}
	r, err := p.Store.Open(ctx, file.Path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var pieces []piece
	var start int64
	for start < file.Size {
		end := start + p.MaxRegionSize
		if end >= file.Size || file.Size-end <= p.MaxRegionSize/regionSplitSlack {
			// The rest fits (with slack) into this chunk.
			end = file.Size
		} else {
			end, err = alignAfterTerminator(ctx, r, end, term, file.Size)
			if err != nil {
				return nil, err
			}
		}
		pieces = append(pieces, piece{offset: start, end: end, size: end - start, rows: -1})
		start = end
	}
	return pieces, nil
}

// alignAfterTerminator returns the smallest offset b >= pos such that the
// bytes just before b are the terminator (a row ends at b), or size when no
// terminator follows. Starting the search len(term)-1 bytes early catches a
// terminator that straddles pos.
func alignAfterTerminator(ctx context.Context, r io.ReadSeeker, pos int64, term []byte, size int64) (int64, error) {
	from := pos - int64(len(term))
	if from < 0 {
		from = 0
	}
	if _, err := r.Seek(from, io.SeekStart); err != nil {
		return 0, fmt.Errorf("seeking to %d: %w", from, err)
	}
	br := bufio.NewReaderSize(ctxReader{ctx: ctx, r: r}, 64<<10)
	// window holds the last len(term) bytes read.
	window := make([]byte, 0, len(term))
	off := from
	for {
		c, err := br.ReadByte()
		if errors.Is(err, io.EOF) {
			return size, nil
		}
		if err != nil {
			return 0, fmt.Errorf("reading at %d: %w", off, err)
		}
		off++
		if len(window) == len(term) {
			copy(window, window[1:])
			window = window[:len(term)-1]
		}
		window = append(window, c)
		if off >= pos && bytes.Equal(window, term) {
			return off, nil
		}
	}
}

func (p *Planner) splitSQL(ctx context.Context, file FileInfo) ([]piece, error) {
	r, err := p.Store.Open(ctx, file.Path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	offsets, err := p.SQLBoundaries(ctx, r, 0, p.MaxRegionSize)
	if err != nil {
		return nil, fmt.Errorf("finding INSERT statement boundaries: %w", err)
	}
	// Do not trust the finder's ordering or range: keep sorted, distinct
	// offsets strictly inside the file.
	sort.Slice(offsets, func(i, j int) bool { return offsets[i] < offsets[j] })
	var pieces []piece
	var start int64
	for _, off := range offsets {
		if off <= start || off >= file.Size {
			continue
		}
		pieces = append(pieces, piece{offset: start, end: off, size: off - start, rows: -1})
		start = off
	}
	pieces = append(pieces, piece{offset: start, end: file.Size, size: file.Size - start, rows: -1})
	return pieces, nil
}

// assignEngines gives each chunk (in order, of the given sizes) an engine
// ID. Engines hold about batchSize bytes each; with ratio R the first N
// engines (N bounded by concurrency) get sizes growing by a factor of
// 1+R/(N-i) from one to the next. Lightning does this so that engines
// finish importing at staggered times: importing engine i overlaps with
// encoding engine i+1 instead of all imports queuing at the end. The first
// size is chosen so that the growing sizes add up to the total.
//
// The relation used: with sizes B_1 = b and B_{i+1} = B_i·(1+R/(N−i)),
// Σ B_i ≈ b/(1−R)·(N − Γ(N+R)/(Γ(N)Γ(R))); we look for the smallest N at
// which b does not exceed batchSize.
func assignEngines(sizes []float64, batchSize, ratio, concurrency float64) []int32 {
	ids := make([]int32, len(sizes))
	var total float64
	for _, s := range sizes {
		total += s
	}
	if batchSize <= 0 || total <= batchSize {
		return ids
	}
	need := total * (1 - ratio) / batchSize
	n := math.Ceil(need)
	lgNR, _ := math.Lgamma(n + ratio)
	lgN, _ := math.Lgamma(n)
	lgR, _ := math.Lgamma(ratio)
	// invBeta = 1/B(n, R) = Γ(n+R)/(Γ(n)Γ(R)); advanced incrementally with
	// Γ(x+1) = x·Γ(x) as n grows.
	invBeta := math.Exp(lgNR - lgN - lgR)
	cur := batchSize
	for {
		if n <= 0 || n > concurrency {
			n = concurrency
			break
		}
		eff := n - invBeta
		if eff >= need {
			cur = total * (1 - ratio) / eff
			break
		}
		invBeta *= 1 + ratio/n
		n++
	}
	var engine int32
	var filled float64
	for i, s := range sizes {
		ids[i] = engine
		filled += s
		if filled >= cur {
			filled = 0
			engine++
			if k := float64(engine); k >= n {
				cur = batchSize
			} else {
				cur *= ratio/(n-k) + 1
			}
		}
	}
	return ids
}

// OpenFile opens a source file decompressed, ready for a parser; Seek moves
// in the decompressed stream.
func OpenFile(ctx context.Context, store storage.ExternalStorage, file FileInfo) (storage.ReadSeekCloser, error) {
	return storage.OpenDecompressed(ctx, store, file.Path, file.Compression.Storage())
}

// ctxReader stops long reads when ctx is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
