package sandbox

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/pingcap/kvproto/pkg/import_sstpb"
	"go.uber.org/zap"
)

// Pebble key prefixes of a store's DB.
//
//	'd' rawKey                    -> BE64(commitTS) value      visible data
//	's' len(uuid) uuid rawKey     -> op BE64(commitTS) value   staged (written, not ingested)
//
// Visible data is keyed by the raw TiDB key: TiKV would store
// 'z'+EncodeBytes(key)+^ts in RocksDB, but the sandbox only has to return
// what was ingested, and raw keys keep Scan trivial. Staged pairs live in the
// same DB (instead of memory) so a large import does not have to fit in RAM.
const (
	prefixData   = 'd'
	prefixStaged = 's'
)

const (
	opPut    byte = 0
	opDelete byte = 1
)

// shortValueLen mirrors TiKV: values up to this size are inlined in the
// write CF; longer values also produce a default-CF SST.
const shortValueLen = 255

// stagedSST is what a completed Write stream left on a store.
type stagedSST struct {
	meta       *import_sstpb.SSTMeta
	kvs        uint64
	bytes      uint64
	hasDefault bool
}

// store is one sandbox TiKV: a Pebble DB plus import-mode state. It knows
// nothing about regions; the cluster checks region state before calling it.
type store struct {
	id  uint64
	db  *pebble.DB
	log *zap.Logger

	mu       sync.Mutex
	mode     import_sstpb.SwitchMode
	staged   map[string]*stagedSST
	ingested map[string]bool
	// forceRanges are AddForcePartitionRange ranges ("start\x00end" ->
	// expiry); TiKV only uses them to shape compactions, the sandbox
	// records them so tests can check they are removed.
	forceRanges map[string]time.Time

	writes      atomic.Int64
	writtenKVs  atomic.Int64
	ingests     atomic.Int64
	ingestedKVs atomic.Int64
	splits      atomic.Int64
}

// pebbleLogger routes Pebble's logging into zap.
type pebbleLogger struct{ s *zap.SugaredLogger }

func (l pebbleLogger) Infof(format string, args ...any)  { l.s.Debugf(format, args...) }
func (l pebbleLogger) Errorf(format string, args ...any) { l.s.Errorf(format, args...) }

// Fatalf must not return (Pebble's contract); it is only reached on internal
// corruption, never on a request path.
func (l pebbleLogger) Fatalf(format string, args ...any) {
	l.s.Errorf(format, args...)
	panic(fmt.Sprintf(format, args...))
}

func openStore(id uint64, dataDir string, log *zap.Logger) (*store, error) {
	opts := &pebble.Options{Logger: pebbleLogger{log.Sugar()}}
	dir := ""
	if dataDir == "" {
		opts.FS = vfs.NewMem()
	} else {
		dir = DataDirFor(dataDir, id)
	}
	db, err := pebble.Open(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("sandbox: open store %d: %w", id, err)
	}
	s := &store{id: id, db: db, log: log, staged: map[string]*stagedSST{}, ingested: map[string]bool{}, forceRanges: map[string]time.Time{}}
	// Staged SSTs do not survive a restart (their bookkeeping is in memory),
	// so drop any leftovers.
	if err := db.DeleteRange([]byte{prefixStaged}, []byte{prefixStaged + 1}, pebble.NoSync); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("sandbox: store %d: clear staged data: %w", id, err)
	}
	return s, nil
}

func (s *store) close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("sandbox: close store %d: %w", s.id, err)
	}
	return nil
}

func (s *store) setMode(m import_sstpb.SwitchMode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mode = m
}

func (s *store) getMode() import_sstpb.SwitchMode {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mode
}

func forceRangeKey(start, end []byte) string {
	return string(start) + "\x00" + string(end)
}

func (s *store) addForceRange(start, end []byte, ttl time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forceRanges[forceRangeKey(start, end)] = time.Now().Add(ttl)
}

func (s *store) removeForceRange(start, end []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.forceRanges, forceRangeKey(start, end))
}

// liveForceRanges counts unexpired force-partition ranges.
func (s *store) liveForceRanges() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	n := 0
	for k, exp := range s.forceRanges {
		if now.After(exp) {
			delete(s.forceRanges, k)
			continue
		}
		n++
	}
	return n
}

func dataKey(raw []byte) []byte {
	return append([]byte{prefixData}, raw...)
}

func stagedPrefix(uuid []byte) []byte {
	k := make([]byte, 0, 2+len(uuid))
	k = append(k, prefixStaged, byte(len(uuid)))
	return append(k, uuid...)
}

// prefixEnd returns the smallest key greater than every key with prefix p.
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] != 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// sstWriter accumulates one Write stream's pairs into the staging area.
type sstWriter struct {
	s          *store
	uuid       []byte
	kvs        uint64
	bytes      uint64
	hasDefault bool
}

func (s *store) newWriter(uuid []byte) *sstWriter {
	return &sstWriter{s: s, uuid: uuid}
}

func (w *sstWriter) add(commitTS uint64, pairs []*import_sstpb.Pair) error {
	b := w.s.db.NewBatch()
	defer b.Close()
	prefix := stagedPrefix(w.uuid)
	for _, p := range pairs {
		op := opPut
		if p.GetOp() == import_sstpb.Pair_Delete {
			op = opDelete
		}
		v := make([]byte, 0, 9+len(p.GetValue()))
		v = append(v, op)
		v = binary.BigEndian.AppendUint64(v, commitTS)
		v = append(v, p.GetValue()...)
		k := append(append([]byte(nil), prefix...), p.GetKey()...)
		if err := b.Set(k, v, nil); err != nil {
			return fmt.Errorf("sandbox: stage pair: %w", err)
		}
		w.kvs++
		w.bytes += uint64(len(p.GetKey()) + len(p.GetValue()))
		if op == opPut && len(p.GetValue()) > shortValueLen {
			w.hasDefault = true
		}
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		return fmt.Errorf("sandbox: stage batch: %w", err)
	}
	return nil
}

// abort discards what the writer staged (a broken stream never produces an
// SST on a real TiKV either).
func (w *sstWriter) abort() {
	p := stagedPrefix(w.uuid)
	if err := w.s.db.DeleteRange(p, prefixEnd(p), pebble.NoSync); err != nil {
		w.s.log.Warn("sandbox: discard staged data", zap.Uint64("store", w.s.id), zap.Error(err))
	}
}

// finish registers the staged SST and returns the metas TiKV would return:
// a default-CF meta first if any long value was written, then a write-CF
// meta, both copies of the client meta sharing its UUID. No pairs, no metas.
func (w *sstWriter) finish(meta *import_sstpb.SSTMeta) []*import_sstpb.SSTMeta {
	w.s.writes.Add(1)
	w.s.writtenKVs.Add(int64(w.kvs))
	if w.kvs == 0 {
		return nil
	}
	w.s.mu.Lock()
	old := w.s.staged[string(w.uuid)]
	st := &stagedSST{meta: meta, kvs: w.kvs, bytes: w.bytes, hasDefault: w.hasDefault}
	if old != nil {
		// A second stream with the same UUID appends to the same staging
		// area; keep the totals consistent.
		st.kvs += old.kvs
		st.bytes += old.bytes
		st.hasDefault = st.hasDefault || old.hasDefault
	}
	w.s.staged[string(w.uuid)] = st
	w.s.mu.Unlock()

	mk := func(cf string) *import_sstpb.SSTMeta {
		m := *meta
		m.CfName = cf
		m.TotalKvs = st.kvs
		m.TotalBytes = st.bytes
		m.Length = st.bytes
		return &m
	}
	var metas []*import_sstpb.SSTMeta
	if st.hasDefault {
		metas = append(metas, mk("default"))
	}
	return append(metas, mk("write"))
}

// hasStaged reports whether uuid was written (and not yet ingested) on this
// store, with how many pairs and bytes, or whether it was already ingested.
func (s *store) hasStaged(uuid []byte) (st stagedSST, staged, ingested bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, staged := s.staged[string(uuid)]
	if staged {
		st = *p
	}
	return st, staged, s.ingested[string(uuid)]
}

var errNotStaged = errors.New("sst not found")

// ingest makes the staged pairs of uuid visible. Ingesting an
// already-ingested UUID is a no-op so that a retried ingest whose first
// attempt succeeded (but whose response was lost) does not fail.
func (s *store) ingest(uuid []byte) error {
	s.mu.Lock()
	_, ok := s.staged[string(uuid)]
	done := s.ingested[string(uuid)]
	s.mu.Unlock()
	if done {
		return nil
	}
	if !ok {
		return errNotStaged
	}
	prefix := stagedPrefix(uuid)
	end := prefixEnd(prefix)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: end})
	if err != nil {
		return fmt.Errorf("sandbox: store %d: %w", s.id, err)
	}
	b := s.db.NewBatch()
	defer b.Close()
	var n int64
	for it.First(); it.Valid(); it.Next() {
		raw := it.Key()[len(prefix):]
		v := it.Value()
		if len(v) < 9 {
			_ = it.Close()
			return fmt.Errorf("sandbox: store %d: malformed staged value", s.id)
		}
		if v[0] == opDelete {
			err = b.Delete(dataKey(raw), nil)
		} else {
			err = b.Set(dataKey(raw), v[1:], nil)
		}
		if err != nil {
			_ = it.Close()
			return fmt.Errorf("sandbox: store %d: %w", s.id, err)
		}
		n++
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("sandbox: store %d: %w", s.id, err)
	}
	if err := b.DeleteRange(prefix, end, nil); err != nil {
		return fmt.Errorf("sandbox: store %d: %w", s.id, err)
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("sandbox: store %d: ingest: %w", s.id, err)
	}
	s.mu.Lock()
	delete(s.staged, string(uuid))
	s.ingested[string(uuid)] = true
	s.mu.Unlock()
	s.ingests.Add(1)
	s.ingestedKVs.Add(n)
	return nil
}

// scan calls fn for visible pairs with raw key in [start, end) (end nil =
// unbounded), passing the commit TS. The slices are only valid during fn.
func (s *store) scan(start, end []byte, fn func(k, v []byte, commitTS uint64) error) error {
	opts := &pebble.IterOptions{LowerBound: dataKey(start), UpperBound: []byte{prefixData + 1}}
	if end != nil {
		opts.UpperBound = dataKey(end)
	}
	it, err := s.db.NewIter(opts)
	if err != nil {
		return fmt.Errorf("sandbox: store %d: %w", s.id, err)
	}
	for it.First(); it.Valid(); it.Next() {
		v := it.Value()
		if len(v) < 8 {
			_ = it.Close()
			return fmt.Errorf("sandbox: store %d: malformed value for key %x", s.id, it.Key()[1:])
		}
		if err := fn(it.Key()[1:], v[8:], binary.BigEndian.Uint64(v)); err != nil {
			_ = it.Close()
			return err
		}
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("sandbox: store %d: %w", s.id, err)
	}
	return nil
}

// put sets (or deletes) a visible key directly. NoSync: SQL writes come one
// row at a time and the WAL is still written; Close persists it.
func (s *store) put(raw, value []byte, commitTS uint64, del bool) error {
	var err error
	if del {
		err = s.db.Delete(dataKey(raw), pebble.NoSync)
	} else {
		v := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(value)), commitTS)
		err = s.db.Set(dataKey(raw), append(v, value...), pebble.NoSync)
	}
	if err != nil {
		return fmt.Errorf("sandbox: store %d: %w", s.id, err)
	}
	return nil
}

// overwrite replaces the value of an existing visible key, keeping its
// commit TS. It reports whether the key existed.
func (s *store) overwrite(raw, value []byte) (bool, error) {
	v, closer, err := s.db.Get(dataKey(raw))
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sandbox: store %d: %w", s.id, err)
	}
	nv := append(append([]byte(nil), v[:8]...), value...)
	_ = closer.Close()
	if err := s.db.Set(dataKey(raw), nv, pebble.Sync); err != nil {
		return false, fmt.Errorf("sandbox: store %d: %w", s.id, err)
	}
	return true, nil
}
