package sandbox

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/objstorage/objstorageprovider"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/pingcap/kvproto/pkg/import_sstpb"
	"go.uber.org/zap"
)

// Pebble key prefixes of a store's DB.
//
//	'd' rawKey -> BE64(commitTS) value   visible data
//	's' ...                              staged pairs of the old staging scheme
//	                                     (only ever deleted, on open)
//
// Visible data is keyed by the raw TiDB key: TiKV would store
// 'z'+EncodeBytes(key)+^ts in RocksDB, but the sandbox only has to return
// what was ingested, and raw keys keep Scan trivial.
//
// A Write stream is turned into an SST file under the store's import
// directory as it arrives, and Ingest hands that file to Pebble's ingestion
// (pebble.DB.Ingest), which links it into the LSM — what TiKV's import
// service does with RocksDB's IngestExternalFile. Region SSTs do not overlap
// each other, so they land in the bottom level: nothing is rewritten by
// flushes or compactions, and the staged data never passes through a
// memtable or the WAL.
const (
	prefixData   = 'd'
	prefixStaged = 's'
)

// importDirName is the directory, inside a store's DB directory, holding
// written but not yet ingested SST files (TiKV's <data-dir>/import).
// Pebble ignores names it does not own, and ingestion hard-links from the
// same file system.
const importDirName = "import"

// shortValueLen mirrors TiKV: values up to this size are inlined in the
// write CF; longer values also produce a default-CF SST.
const shortValueLen = 255

// stagedSST is what completed Write streams left on a store for one UUID.
type stagedSST struct {
	meta       *import_sstpb.SSTMeta
	kvs        uint64
	bytes      uint64
	hasDefault bool
	// files are the SST files of the streams, in arrival order; a second
	// stream with the same UUID adds a file whose pairs win over the first.
	files []string
}

// store is one sandbox TiKV: a Pebble DB plus import-mode state. It knows
// nothing about regions; the cluster checks region state before calling it.
type store struct {
	id  uint64
	db  *pebble.DB
	log *zap.Logger
	fs  vfs.FS
	// importDir holds the SST files of finished and in-flight Write streams.
	importDir string
	sstOpts   sstable.WriterOptions
	fileSeq   atomic.Uint64

	mu       sync.Mutex
	mode     import_sstpb.SwitchMode
	staged   map[string]*stagedSST
	ingested map[string]bool
	// forceRanges are AddForcePartitionRange ranges ("start\x00end" ->
	// expiry); TiKV only uses them to shape compactions, the sandbox
	// records them so tests can check they are removed.
	forceRanges map[string]time.Time
	// ingestMu serializes ingests on this store, so a retried MultiIngest
	// racing its first attempt finds the UUID either staged or ingested,
	// never half-way (TiKV serializes them per region through raft).
	ingestMu sync.Mutex

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
	// Defaults first: the SST writer options below must match the DB's.
	opts.EnsureDefaults()
	db, err := pebble.Open(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("sandbox: open store %d: %w", id, err)
	}
	s := &store{
		id: id, db: db, log: log, fs: opts.FS, importDir: opts.FS.PathJoin(dir, importDirName),
		sstOpts: opts.MakeWriterOptions(6, db.TableFormat()),
		staged:  map[string]*stagedSST{}, ingested: map[string]bool{}, forceRanges: map[string]time.Time{},
	}
	// Staged SSTs do not survive a restart (their bookkeeping is in memory),
	// so drop any leftovers, including pairs staged in the DB by the
	// previous scheme.
	if err := s.fs.RemoveAll(s.importDir); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("sandbox: store %d: clear %s: %w", id, s.importDir, err)
	}
	if err := s.fs.MkdirAll(s.importDir, 0o755); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("sandbox: store %d: create %s: %w", id, s.importDir, err)
	}
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

// errUnsorted is a Write whose pairs are not in strictly ascending key
// order; TiKV's SST writer refuses those too.
var errUnsorted = errors.New("keys must be written in strictly ascending order")

// sstWriter turns one Write stream into an SST file of visible-data keys.
type sstWriter struct {
	s          *store
	uuid       []byte
	path       string
	w          *sstable.Writer // nil until the first pair
	kvs        uint64
	bytes      uint64
	hasDefault bool
	// key, last and val are reused buffers: the SST writer copies what it
	// keeps.
	key, last, val []byte
}

func (s *store) newWriter(uuid []byte) *sstWriter {
	return &sstWriter{s: s, uuid: uuid}
}

func (w *sstWriter) open() error {
	name := fmt.Sprintf("%s-%d.sst", hex.EncodeToString(w.uuid), w.s.fileSeq.Add(1))
	w.path = w.s.fs.PathJoin(w.s.importDir, name)
	f, err := w.s.fs.Create(w.path, vfs.WriteCategoryUnspecified)
	if err != nil {
		return fmt.Errorf("sandbox: store %d: create %s: %w", w.s.id, w.path, err)
	}
	w.w = sstable.NewWriter(objstorageprovider.NewFileWritable(f), w.s.sstOpts)
	return nil
}

// add appends one batch. Keys must ascend strictly across the whole stream.
func (w *sstWriter) add(commitTS uint64, pairs []*import_sstpb.Pair) error {
	if len(pairs) == 0 {
		return nil
	}
	if w.w == nil {
		if err := w.open(); err != nil {
			return err
		}
	}
	for _, p := range pairs {
		w.key = append(append(w.key[:0], prefixData), p.GetKey()...)
		if w.kvs > 0 && bytes.Compare(w.key, w.last) <= 0 {
			return fmt.Errorf("%w: key %x after %x", errUnsorted, p.GetKey(), w.last[1:])
		}
		var err error
		if p.GetOp() == import_sstpb.Pair_Delete {
			err = w.w.Delete(w.key)
		} else {
			w.val = binary.BigEndian.AppendUint64(w.val[:0], commitTS)
			w.val = append(w.val, p.GetValue()...)
			err = w.w.Set(w.key, w.val)
			if len(p.GetValue()) > shortValueLen {
				w.hasDefault = true
			}
		}
		if err != nil {
			return fmt.Errorf("sandbox: store %d: write %s: %w", w.s.id, w.path, err)
		}
		w.last = append(w.last[:0], w.key...)
		w.kvs++
		w.bytes += uint64(len(p.GetKey()) + len(p.GetValue()))
	}
	return nil
}

// abort discards what the writer wrote (a broken stream never produces an
// SST on a real TiKV either).
func (w *sstWriter) abort() {
	if w.w == nil {
		return
	}
	_ = w.w.Close()
	w.w = nil
	if err := w.s.fs.Remove(w.path); err != nil {
		w.s.log.Warn("sandbox: discard staged SST", zap.Uint64("store", w.s.id), zap.String("file", w.path), zap.Error(err))
	}
}

// finish completes the SST, registers it and returns the metas TiKV would
// return: a default-CF meta first if any long value was written, then a
// write-CF meta, both copies of the client meta sharing its UUID. No pairs,
// no metas.
func (w *sstWriter) finish(meta *import_sstpb.SSTMeta) ([]*import_sstpb.SSTMeta, error) {
	if w.w != nil {
		err := w.w.Close() // syncs the file
		w.w = nil
		if err != nil {
			_ = w.s.fs.Remove(w.path)
			return nil, fmt.Errorf("sandbox: store %d: finish %s: %w", w.s.id, w.path, err)
		}
	}
	w.s.writes.Add(1)
	w.s.writtenKVs.Add(int64(w.kvs))
	if w.kvs == 0 {
		return nil, nil
	}
	w.s.mu.Lock()
	old := w.s.staged[string(w.uuid)]
	st := &stagedSST{meta: meta, kvs: w.kvs, bytes: w.bytes, hasDefault: w.hasDefault, files: []string{w.path}}
	if old != nil {
		// A second stream with the same UUID adds to the same SST; keep the
		// totals consistent.
		st.kvs += old.kvs
		st.bytes += old.bytes
		st.hasDefault = st.hasDefault || old.hasDefault
		st.files = append(old.files, w.path)
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
	return append(metas, mk("write")), nil
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

// ingest makes the SST(s) of uuid visible by ingesting the files into
// Pebble. Ingesting an already-ingested UUID is a no-op so that a retried
// ingest whose first attempt succeeded (but whose response was lost) does
// not fail.
func (s *store) ingest(ctx context.Context, uuid []byte) error {
	s.ingestMu.Lock()
	defer s.ingestMu.Unlock()
	s.mu.Lock()
	st := s.staged[string(uuid)]
	done := s.ingested[string(uuid)]
	s.mu.Unlock()
	if done {
		return nil
	}
	if st == nil {
		return errNotStaged
	}
	// One file per call: files of repeated streams may overlap, which one
	// Ingest call refuses, and later ones must win.
	for len(st.files) > 0 {
		if err := s.db.Ingest(ctx, st.files[:1]); err != nil {
			return fmt.Errorf("sandbox: store %d: ingest %s: %w", s.id, st.files[0], err)
		}
		// Pebble removed the file (it is linked into the DB now).
		s.mu.Lock()
		st.files = st.files[1:]
		s.mu.Unlock()
	}
	s.mu.Lock()
	delete(s.staged, string(uuid))
	s.ingested[string(uuid)] = true
	s.mu.Unlock()
	s.ingests.Add(1)
	s.ingestedKVs.Add(int64(st.kvs))
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
