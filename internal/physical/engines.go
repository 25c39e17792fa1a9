package physical

import (
	"context"
	"errors"
	"fmt"

	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/engine"
	"github.com/tempestdb/tempest/internal/kv"
)

// IndexEngineID names a table's index engine, as Lightning's engine ID -1;
// data engines are numbered 0… by the chunk planner (mydump.Chunk.EngineID).
const IndexEngineID int32 = -1

// pairWriter is where a ChunkEncoder sends its pairs: one engine writer, or
// a split between the chunk's data engine and the table's index engine.
type pairWriter interface {
	AppendPairs(ctx context.Context, src engine.PairSource) error
	Close(ctx context.Context) (engine.WriterStats, error)
}

// newPairWriter returns a writer into data, or, when index is set, one
// that sends record keys to data and index keys to index.
func newPairWriter(data, index *engine.Engine) (pairWriter, error) {
	dw, err := data.NewWriter(engine.WriterOptions{})
	if err != nil {
		return nil, fmt.Errorf("writer on engine %s: %w", data.Name(), err)
	}
	if index == nil {
		return dw, nil
	}
	iw, err := index.NewWriter(engine.WriterOptions{})
	if err != nil {
		return nil, fmt.Errorf("writer on engine %s: %w", index.Name(), err)
	}
	return &splitWriter{data: dw, index: iw}, nil
}

// splitWriter routes each pair by its key kind, as Lightning's
// ClassifyAndAppend: record keys to the data engine, index keys to the
// index engine. Each side keeps its own sort buffer of
// local-writer-mem-cache-size, as Lightning's data and index writers do.
type splitWriter struct {
	data, index *engine.Writer
	rec, idx    pairSubset
}

// pairSubset is the pairs of a source at the listed positions.
type pairSubset struct {
	src engine.PairSource
	at  []int
}

func (s *pairSubset) Len() int           { return len(s.at) }
func (s *pairSubset) Key(i int) []byte   { return s.src.Key(s.at[i]) }
func (s *pairSubset) Value(i int) []byte { return s.src.Value(s.at[i]) }

func (w *splitWriter) AppendPairs(ctx context.Context, src engine.PairSource) error {
	w.rec.src, w.idx.src = src, src
	w.rec.at, w.idx.at = w.rec.at[:0], w.idx.at[:0]
	for i, n := 0, src.Len(); i < n; i++ {
		if kv.ClassifyKey(src.Key(i)) == kv.KeyIndex {
			w.idx.at = append(w.idx.at, i)
		} else {
			// Anything not an index key is row data (records, and any
			// future key kind) and belongs with the rows.
			w.rec.at = append(w.rec.at, i)
		}
	}
	defer func() { w.rec.src, w.idx.src = nil, nil }()
	if err := w.data.AppendPairs(ctx, &w.rec); err != nil {
		return fmt.Errorf("data engine: %w", err)
	}
	if err := w.index.AppendPairs(ctx, &w.idx); err != nil {
		return fmt.Errorf("index engine: %w", err)
	}
	return nil
}

func (w *splitWriter) Close(ctx context.Context) (engine.WriterStats, error) {
	ds, derr := w.data.Close(ctx)
	is, ierr := w.index.Close(ctx)
	st := engine.WriterStats{Pairs: ds.Pairs + is.Pairs, Bytes: ds.Bytes + is.Bytes, SSTs: ds.SSTs + is.SSTs}
	if derr != nil {
		derr = fmt.Errorf("data engine: %w", derr)
	}
	if ierr != nil {
		ierr = fmt.Errorf("index engine: %w", ierr)
	}
	return st, errors.Join(derr, ierr)
}

// OpenChunkEngines opens the two engines a chunk writes to: the data engine
// of its batch (dataEngine = mydump.Chunk.EngineID) and the table's index
// engine, both under ref's task, table and generation.
func (p *Physical) OpenChunkEngines(cfg *config.Config, ref EngineRef, dataEngine int32) (data, index *engine.Engine, err error) {
	dref, iref := ref, ref
	dref.EngineID, iref.EngineID = dataEngine, IndexEngineID
	if data, err = p.OpenEngine(cfg, dref); err != nil {
		return nil, nil, err
	}
	if index, err = p.OpenEngine(cfg, iref); err != nil {
		return nil, nil, err
	}
	return data, index, nil
}
