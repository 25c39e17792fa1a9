package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/cockroachdb/pebble/v2/objstorage/objstorageprovider"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"
	"go.uber.org/zap"
)

// PairSource is a batch of pairs, e.g. *kv.Pairs.
type PairSource interface {
	Len() int
	Key(i int) []byte
	Value(i int) []byte
}

// WriterOptions configure one Writer.
type WriterOptions struct {
	// MemCacheSize overrides the engine's WriterMemCacheSize.
	MemCacheSize int64
}

// WriterStats describe what a writer has flushed so far.
type WriterStats struct {
	Pairs int64 // pairs ingested (after in-buffer dedup)
	Bytes int64 // key+value bytes ingested
	SSTs  int   // number of SSTs ingested
}

// Writer buffers pairs, sorts them and ingests them into the engine as SSTs.
type Writer struct {
	e        *Engine
	memLimit int64

	mu struct {
		sync.Mutex
		arena   []byte
		entries []entry
		stats   WriterStats
		closed  bool
		err     error // sticky: a failed flush poisons the writer
	}
}

// entry locates one pair in the arena.
type entry struct {
	off, klen, vlen int
}

// NewWriter returns a writer for the engine.
func (e *Engine) NewWriter(opts WriterOptions) (*Writer, error) {
	e.mu.Lock()
	closed := e.mu.closed
	e.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	limit := opts.MemCacheSize
	if limit <= 0 {
		limit = e.opts.WriterMemCacheSize
	}
	return &Writer{e: e, memLimit: limit}, nil
}

// Put adds one pair; key and value are copied.
func (w *Writer) Put(ctx context.Context, key, value []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.usableLocked(); err != nil {
		return err
	}
	w.addLocked(key, value)
	return w.maybeFlushLocked(ctx)
}

// AppendPairs adds every pair of src; they are copied.
func (w *Writer) AppendPairs(ctx context.Context, src PairSource) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.usableLocked(); err != nil {
		return err
	}
	for i, n := 0, src.Len(); i < n; i++ {
		w.addLocked(src.Key(i), src.Value(i))
		// Checking per pair bounds memory by the limit plus one pair rather
		// than by the size of a caller's batch.
		if err := w.maybeFlushLocked(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (w *Writer) usableLocked() error {
	if w.mu.closed {
		return errors.New("engine writer: closed")
	}
	return w.mu.err
}

func (w *Writer) addLocked(key, value []byte) {
	off := len(w.mu.arena)
	w.mu.arena = append(w.mu.arena, key...)
	w.mu.arena = append(w.mu.arena, value...)
	w.mu.entries = append(w.mu.entries, entry{off: off, klen: len(key), vlen: len(value)})
}

func (w *Writer) bufferedLocked() int64 {
	// Each entry also costs its 24-byte descriptor.
	return int64(len(w.mu.arena)) + int64(len(w.mu.entries))*24
}

func (w *Writer) maybeFlushLocked(ctx context.Context) error {
	if w.bufferedLocked() < w.memLimit {
		return nil
	}
	return w.flushLocked(ctx)
}

// Flush sorts the buffered pairs and ingests them now.
func (w *Writer) Flush(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.usableLocked(); err != nil {
		return err
	}
	return w.flushLocked(ctx)
}

// Close flushes and releases the writer. Closing twice is a no-op.
func (w *Writer) Close(ctx context.Context) (WriterStats, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.mu.closed {
		return w.mu.stats, w.mu.err
	}
	var err error
	if w.mu.err == nil {
		err = w.flushLocked(ctx)
	} else {
		err = w.mu.err
	}
	w.mu.closed = true
	w.mu.arena, w.mu.entries = nil, nil
	return w.mu.stats, err
}

// Stats returns what has been ingested so far.
func (w *Writer) Stats() WriterStats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.mu.stats
}

func (w *Writer) key(en entry) []byte { return w.mu.arena[en.off : en.off+en.klen] }
func (w *Writer) value(en entry) []byte {
	return w.mu.arena[en.off+en.klen : en.off+en.klen+en.vlen]
}

func (w *Writer) flushLocked(ctx context.Context) error {
	if len(w.mu.entries) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("flush engine writer: %w", err)
	}
	// Stable, so among equal keys the last added stays last and wins below.
	slices.SortStableFunc(w.mu.entries, func(a, b entry) int {
		return bytes.Compare(w.key(a), w.key(b))
	})
	st, err := w.e.ingestSorted(ctx, w)
	if err != nil {
		// The buffer may be half-visible (props appended, ingest failed);
		// poison the writer so the chunk activity restarts from scratch.
		w.mu.err = err
		return err
	}
	w.mu.stats.Pairs += st.Pairs
	w.mu.stats.Bytes += st.Bytes
	w.mu.stats.SSTs++
	w.mu.arena = w.mu.arena[:0]
	w.mu.entries = w.mu.entries[:0]
	return nil
}

// ingestSorted writes the writer's sorted buffer to an SST and ingests it.
func (e *Engine) ingestSorted(ctx context.Context, w *Writer) (WriterStats, error) {
	// The SST grows the sorted-kv-dir: wait while the disk-quota enforcer
	// imports engines early.
	if e.gate != nil {
		if err := e.gate.enter(ctx); err != nil {
			return WriterStats{}, fmt.Errorf("engine %s: %w", e.Name(), err)
		}
		defer e.gate.leave()
	}
	e.mu.Lock()
	if e.mu.closed {
		e.mu.Unlock()
		return WriterStats{}, ErrClosed
	}
	e.mu.inflight++
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		e.mu.inflight--
		if e.mu.inflight == 0 {
			e.mu.idle.Broadcast()
		}
		e.mu.Unlock()
	}()

	path := filepath.Join(e.dir, tmpDir, fmt.Sprintf("%06d.sst", e.sstSeq.Add(1)))
	st, points, err := e.writeSST(path, w)
	if err != nil {
		_ = os.Remove(path)
		return WriterStats{}, fmt.Errorf("engine %s: build sst: %w", e.Name(), err)
	}
	// Properties first: after a crash between the two steps they can only
	// over-count, which merely shrinks the regions a little.
	if err := e.appendProps(points); err != nil {
		_ = os.Remove(path)
		return WriterStats{}, fmt.Errorf("engine %s: %w", e.Name(), err)
	}
	if err := e.db.Ingest(ctx, []string{path}); err != nil {
		_ = os.Remove(path)
		return WriterStats{}, fmt.Errorf("engine %s: ingest sst: %w", e.Name(), err)
	}
	// Pebble links the file into the DB; drop our name for it.
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		e.logger.Warn("remove ingested sst", zap.String("path", path), zap.Error(err))
	}
	return st, nil
}

func (e *Engine) writeSST(path string, w *Writer) (st WriterStats, points []propPoint, err error) {
	f, err := vfs.Default.Create(path, vfs.WriteCategoryUnspecified)
	if err != nil {
		return st, nil, err
	}
	sw := sstable.NewWriter(objstorageprovider.NewFileWritable(f), e.sstOpts)
	pc := propCollector{sizeInterval: e.opts.PropSizeInterval, keysInterval: e.opts.PropKeysInterval}
	ents := w.mu.entries
	for i, en := range ents {
		k := w.key(en)
		// Last write wins: skip an entry followed by one with the same key.
		if i+1 < len(ents) && bytes.Equal(k, w.key(ents[i+1])) {
			continue
		}
		v := w.value(en)
		if err := sw.Set(k, v); err != nil {
			_ = sw.Close()
			return st, nil, err
		}
		pc.add(k, int64(len(k)+len(v)))
		st.Pairs++
		st.Bytes += int64(len(k) + len(v))
	}
	if err := sw.Close(); err != nil {
		return st, nil, err
	}
	return st, pc.finish(), nil
}
