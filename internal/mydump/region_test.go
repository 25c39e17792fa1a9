package mydump

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/storage"
)

// checkChunks verifies the invariants every plan must keep: consecutive
// indexes, row-ID ranges laid end to end, non-decreasing engine IDs, and
// per file contiguous byte ranges covering the whole file.
func checkChunks(t *testing.T, chunks []Chunk) {
	t.Helper()
	var prev int64
	var prevEngine int32
	nextOffset := map[string]int64{}
	for i, c := range chunks {
		if c.Index != i {
			t.Errorf("chunk %d has Index %d", i, c.Index)
		}
		if c.PrevRowIDMax != prev || c.RowIDMax < c.PrevRowIDMax {
			t.Errorf("chunk %d: row IDs (%d,%d] after %d", i, c.PrevRowIDMax, c.RowIDMax, prev)
		}
		prev = c.RowIDMax
		if c.EngineID < prevEngine {
			t.Errorf("chunk %d: engine %d after %d", i, c.EngineID, prevEngine)
		}
		prevEngine = c.EngineID
		if c.Offset != nextOffset[c.File.Path] {
			t.Errorf("chunk %d of %s starts at %d, want %d", i, c.File.Path, c.Offset, nextOffset[c.File.Path])
		}
		nextOffset[c.File.Path] = c.EndOffset
	}
	for _, c := range chunks {
		if end := nextOffset[c.File.Path]; end != c.File.Size && end != -1 {
			t.Errorf("%s: chunks end at %d, file has %d bytes", c.File.Path, end, c.File.Size)
		}
	}
}

func plannerFor(t *testing.T, files map[string]string) (*Planner, *TableMeta) {
	t.Helper()
	dir := writeTree(t, files)
	store, err := storage.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	src, err := Load(context.Background(), config.Default(), store)
	if err != nil {
		t.Fatal(err)
	}
	if len(src.DBs) != 1 || len(src.DBs[0].Tables) != 1 {
		t.Fatalf("want one table, got %q", summary(src))
	}
	return NewPlanner(config.Default(), store), src.DBs[0].Tables[0]
}

func TestChunksWholeFiles(t *testing.T) {
	p, tm := plannerFor(t, map[string]string{
		"d.t.1.sql": strings.Repeat("x", 1000),
		"d.t.2.csv": strings.Repeat("y", 300),
		"d.t.3.sql": strings.Repeat("z", 7),
	})
	chunks, err := p.MakeTableChunks(context.Background(), tm, 3)
	if err != nil {
		t.Fatal(err)
	}
	checkChunks(t, chunks)
	// SQL divisor 3+2, CSV divisor 3.
	want := [][2]int64{{0, 200}, {200, 300}, {300, 301}}
	for i, c := range chunks {
		if [2]int64{c.PrevRowIDMax, c.RowIDMax} != want[i] || c.EngineID != 0 || c.EndOffset != c.File.Size {
			t.Errorf("chunk %d: %+v", i, c)
		}
	}
	// Unknown column count counts as one column.
	chunks, _ = p.MakeTableChunks(context.Background(), tm, 0)
	if chunks[0].RowIDMax != 1000/3 {
		t.Errorf("columns=0: RowIDMax %d", chunks[0].RowIDMax)
	}
}

func TestChunksStrictCSVSplit(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("a,b\r\n")
	for i := 0; i < 500; i++ {
		fmt.Fprintf(&sb, "%d,\"v%d\"\r\n", i, i*i)
	}
	content := sb.String()
	p, tm := plannerFor(t, map[string]string{"d.t.csv": content})
	p.MaxRegionSize = 1000
	// Not strict: one chunk.
	chunks, err := p.MakeTableChunks(context.Background(), tm, 2)
	if err != nil || len(chunks) != 1 {
		t.Fatalf("non-strict: %d chunks, %v", len(chunks), err)
	}
	p.StrictFormat = true
	p.CSVTerminator = "\r\n"
	chunks, err = p.MakeTableChunks(context.Background(), tm, 2)
	if err != nil {
		t.Fatal(err)
	}
	checkChunks(t, chunks)
	if len(chunks) < 5 {
		t.Fatalf("expected a split, got %d chunks", len(chunks))
	}
	for i, c := range chunks {
		// Every cut lands just after a terminator, at most one row past
		// the target size.
		if c.EndOffset != int64(len(content)) && content[c.EndOffset-2:c.EndOffset] != "\r\n" {
			t.Errorf("chunk %d ends mid-row at %d", i, c.EndOffset)
		}
		if size := c.EndOffset - c.Offset; size > 1000+20 && c.EndOffset != int64(len(content)) {
			t.Errorf("chunk %d too big: %d", i, size)
		}
		if want := c.PrevRowIDMax + (c.EndOffset-c.Offset)/2; c.RowIDMax != want {
			t.Errorf("chunk %d RowIDMax %d want %d", i, c.RowIDMax, want)
		}
	}
	// A cut exactly after a terminator stays there.
	exact := strings.Repeat("123456789\n", 300)
	p2, tm2 := plannerFor(t, map[string]string{"d.t.csv": exact})
	p2.MaxRegionSize, p2.StrictFormat = 1000, true
	chunks, err = p2.MakeTableChunks(context.Background(), tm2, 1)
	if err != nil {
		t.Fatal(err)
	}
	checkChunks(t, chunks)
	if chunks[0].EndOffset != 1000 || len(chunks) != 3 {
		t.Errorf("exact boundary: %+v", chunks)
	}
}

func TestChunksSQLSplitWithInjectedBoundaries(t *testing.T) {
	stmt := "INSERT INTO t VALUES (1,2),(3,4);\n"
	content := strings.Repeat(stmt, 100)
	p, tm := plannerFor(t, map[string]string{"d.t.sql": content})
	p.MaxRegionSize = 500
	// Without a boundary finder SQL files stay whole, as in Lightning.
	chunks, err := p.MakeTableChunks(context.Background(), tm, 2)
	if err != nil || len(chunks) != 1 {
		t.Fatalf("no finder: %d chunks, %v", len(chunks), err)
	}
	var gotStart, gotEvery int64
	p.SQLBoundaries = func(ctx context.Context, r io.Reader, start, every int64) ([]int64, error) {
		gotStart, gotEvery = start, every
		data, err := io.ReadAll(r)
		if err != nil {
			return nil, err
		}
		var out []int64
		last := int64(0)
		for off := 0; off < len(data); off += len(stmt) {
			if int64(off)-last >= every {
				out = append(out, int64(off))
				last = int64(off)
			}
		}
		// Junk the planner must ignore: duplicates, 0, past the end.
		return append(out, 0, out[0], int64(len(data))+5), nil
	}
	chunks, err = p.MakeTableChunks(context.Background(), tm, 2)
	if err != nil {
		t.Fatal(err)
	}
	checkChunks(t, chunks)
	if gotStart != 0 || gotEvery != 500 {
		t.Errorf("finder called with start %d every %d", gotStart, gotEvery)
	}
	if len(chunks) != 7 {
		t.Errorf("got %d chunks", len(chunks))
	}
	for i, c := range chunks {
		if !strings.HasPrefix(content[c.Offset:], "INSERT") {
			t.Errorf("chunk %d does not start at a statement", i)
		}
	}
}

func TestChunksCompressedMeasured(t *testing.T) {
	// Highly compressible data: a fixed compression-ratio estimate would
	// under-count its rows.
	plain := strings.Repeat("INSERT INTO t VALUES ('aaaaaaaaaa');\n", 5000)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(plain))
	zw.Close()
	dir := writeTree(t, map[string]string{"d.t.1.sql.gz": buf.String(), "d.t.2.sql": "INSERT INTO t VALUES ('b');\n"})
	store, _ := storage.NewLocal(dir)
	src, err := Load(context.Background(), config.Default(), store)
	if err != nil {
		t.Fatal(err)
	}
	tm := src.Table("d", "t")
	p := NewPlanner(config.Default(), store)
	p.MaxRegionSize = 100 // compressed files are never split
	chunks, err := p.MakeTableChunks(context.Background(), tm, 1)
	if err != nil {
		t.Fatal(err)
	}
	checkChunks(t, chunks)
	if len(chunks) != 2 || chunks[0].EndOffset != -1 {
		t.Fatalf("chunks: %+v", chunks)
	}
	if chunks[0].RowIDMax != int64(len(plain))/3 || chunks[0].RowIDMax < 5000 {
		t.Errorf("compressed RowIDMax %d", chunks[0].RowIDMax)
	}
	r, err := OpenFile(context.Background(), store, chunks[0].File)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Seek(int64(len(plain))-10, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	tail, _ := io.ReadAll(r)
	if string(tail) != plain[len(plain)-10:] {
		t.Errorf("tail %q", tail)
	}
}

func TestChunksParquetAndEngines(t *testing.T) {
	files := map[string]string{}
	for i := 0; i < 20; i++ {
		files[fmt.Sprintf("d.t.%d.csv", i)] = strings.Repeat("1\n", 50) // 100 bytes
	}
	files["d.t.99.parquet"] = strings.Repeat("P", 64)
	p, tm := plannerFor(t, files)
	p.ParquetRowCount = func(ctx context.Context, store storage.ExternalStorage, f FileInfo) (int64, error) {
		return 7, nil
	}
	p.BatchSize = 500 // total 2064 bytes → several engines
	p.BatchImportRatio = 0.75
	p.TableConcurrency = 6
	chunks, err := p.MakeTableChunks(context.Background(), tm, 1)
	if err != nil {
		t.Fatal(err)
	}
	checkChunks(t, chunks)
	last := chunks[len(chunks)-1]
	if last.File.Type != SourceTypeParquet || last.RowIDMax-last.PrevRowIDMax != 7 {
		t.Errorf("parquet chunk: %+v", last)
	}
	engines := map[int32]int64{}
	for _, c := range chunks {
		engines[c.EngineID] += c.File.Size
	}
	if len(engines) < 3 || len(engines) > 6 {
		t.Errorf("engines: %v", engines)
	}
	// Batches grow: the first engine is not larger than the second.
	if engines[0] > engines[1] {
		t.Errorf("first engine larger than second: %v", engines)
	}
	// Everything fits one batch: a single engine.
	p.BatchSize = 1 << 30
	chunks, _ = p.MakeTableChunks(context.Background(), tm, 1)
	for _, c := range chunks {
		if c.EngineID != 0 {
			t.Fatalf("small table split into engines: %+v", c)
		}
	}
}

func TestAssignEngines(t *testing.T) {
	sizes := make([]float64, 100)
	for i := range sizes {
		sizes[i] = 1
	}
	// Uniform batches when concurrency is 0.
	ids := assignEngines(sizes, 10, 0.75, 0)
	if ids[9] != 0 || ids[10] != 1 || ids[99] != 9 {
		t.Errorf("uniform: %v", ids)
	}
	// Non-uniform: every engine still gets some data, IDs are contiguous.
	ids = assignEngines(sizes, 10, 0.75, 8)
	count := map[int32]int{}
	for i, id := range ids {
		count[id]++
		if i > 0 && id != ids[i-1] && id != ids[i-1]+1 {
			t.Fatalf("gap at %d: %v", i, ids)
		}
	}
	if count[0] >= count[1] {
		t.Errorf("first batch should be the smallest: %v", count)
	}
}

func TestOpenFileUnsupported(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "x.sql.xz"), []byte("x"), 0o644)
	store, _ := storage.NewLocal(dir)
	if _, err := OpenFile(context.Background(), store, FileInfo{Path: "x.sql.xz", Compression: CompressionXZ}); err == nil ||
		!strings.Contains(err.Error(), "unsupported compression") {
		t.Errorf("xz: %v", err)
	}
}
