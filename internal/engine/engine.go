package engine

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/sstable"
	"go.uber.org/zap"

	"github.com/tempestdb/tempest/internal/config"
)

// ErrClosed is returned by operations on a closed engine.
var ErrClosed = errors.New("engine: closed")

// Defaults from lightning-reference.md §2 [tikv-importer] and §7.8.
const (
	DefaultMemTableSize       = 512 << 20
	DefaultWriterMemCacheSize = 128 << 20
	DefaultBlockSize          = 16 << 10
	DefaultPropSizeInterval   = 4 << 20
	DefaultPropKeysInterval   = 40960

	// maxMemTableSize keeps us under Pebble's hard 4 GiB memtable limit.
	maxMemTableSize = 4<<30 - 1<<20
)

// Options configure an engine. Zero values select the defaults.
type Options struct {
	// MemTableSize is tikv-importer.engine-mem-cache-size.
	MemTableSize int64
	// BlockSize is tikv-importer.block-size, the SST data block size.
	BlockSize int
	// WriterMemCacheSize is tikv-importer.local-writer-mem-cache-size, the
	// default sort buffer of each Writer.
	WriterMemCacheSize int64
	// PropSizeInterval and PropKeysInterval control how dense the range
	// properties are (4 MiB / 40,960 keys as in Lightning); tests lower them.
	PropSizeInterval int64
	PropKeysInterval int64
	// MaxOpenFiles is raised to at least 128.
	MaxOpenFiles int
	// Logger receives engine and Pebble logs; nil means no logging.
	Logger *zap.Logger
}

// OptionsFromConfig maps the [tikv-importer] keys of an engine.
func OptionsFromConfig(cfg *config.Config, logger *zap.Logger) Options {
	t := cfg.TikvImporter
	return Options{
		MemTableSize:       int64(t.EngineMemCacheSize),
		BlockSize:          int(t.BlockSize),
		WriterMemCacheSize: int64(t.LocalWriterMemCacheSize),
		Logger:             logger,
	}
}

func (o Options) withDefaults() Options {
	if o.MemTableSize <= 0 {
		o.MemTableSize = DefaultMemTableSize
	}
	if o.MemTableSize > maxMemTableSize {
		o.MemTableSize = maxMemTableSize
	}
	if o.BlockSize <= 0 {
		o.BlockSize = DefaultBlockSize
	}
	// Pebble panics on blocks whose restart offsets overflow 31 bits.
	if o.BlockSize > 1<<30 {
		o.BlockSize = 1 << 30
	}
	if o.WriterMemCacheSize <= 0 {
		o.WriterMemCacheSize = DefaultWriterMemCacheSize
	}
	if o.PropSizeInterval <= 0 {
		o.PropSizeInterval = DefaultPropSizeInterval
	}
	if o.PropKeysInterval <= 0 {
		o.PropKeysInterval = DefaultPropKeysInterval
	}
	if o.MaxOpenFiles < 128 {
		o.MaxOpenFiles = 128
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	return o
}

// Meta is the persistent identity of an engine.
type Meta struct {
	Name string `json:"name"`
	// UUID is a random 16-byte id, hex encoded; stable across reopen.
	UUID string `json:"uuid"`
	// CommitTS is the TiKV commit timestamp of every pair in the engine, set
	// by the caller from PD TSO; 0 means not yet assigned.
	CommitTS uint64 `json:"commit_ts"`
}

// Engine is one local sorted store.
type Engine struct {
	dir    string
	opts   Options
	db     *pebble.DB
	logger *zap.Logger
	// sstOpts builds writer SSTs in the DB's own table format.
	sstOpts sstable.WriterOptions

	sstSeq atomic.Uint64
	// gate is the disk-quota gate of the Manager that opened the engine
	// (nil for an engine opened on its own).
	gate *writeGate
	// importing is the import lock (see LockImport).
	importing chan struct{}

	mu struct {
		sync.Mutex
		closed    bool
		meta      Meta
		props     []propPoint
		propsFile *os.File
		size      int64
		keys      int64
		// inflight counts flushes between their closed-check and the end
		// of their ingest; Close waits on idle until it drops to zero so
		// that Pebble is never closed under an ingest.
		inflight int
		idle     *sync.Cond
	}
}

const (
	dbDir     = "db"
	tmpDir    = "tmp"
	metaFile  = "engine.meta"
	propsFile = "range.props"
)

// Open opens or creates the engine name under dir (the sorted-kv-dir).
// Reopening an existing engine keeps its UUID, commit TS and properties.
func Open(dir, name string, opts Options) (*Engine, error) {
	if name == "" || filepath.Base(name) != name || name == "." || name == ".." {
		return nil, fmt.Errorf("open engine: invalid name %q", name)
	}
	opts = opts.withDefaults()
	edir := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Join(edir, tmpDir), 0o755); err != nil {
		return nil, fmt.Errorf("open engine %s: %w", name, err)
	}
	// Leftover SSTs from a crashed writer were never ingested; drop them.
	if err := clearDir(filepath.Join(edir, tmpDir)); err != nil {
		return nil, fmt.Errorf("open engine %s: clear tmp: %w", name, err)
	}
	e := &Engine{dir: edir, opts: opts, logger: opts.Logger.With(zap.String("engine", name)), importing: make(chan struct{}, 1)}
	e.mu.idle = sync.NewCond(&e.mu.Mutex)

	meta, err := loadOrCreateMeta(edir, name)
	if err != nil {
		return nil, fmt.Errorf("open engine %s: %w", name, err)
	}
	e.mu.meta = meta

	props, err := loadProps(filepath.Join(edir, propsFile))
	if err != nil {
		return nil, fmt.Errorf("open engine %s: %w", name, err)
	}
	e.mu.props = props
	for _, p := range props {
		e.mu.size += p.size
		e.mu.keys += p.keys
	}
	pf, err := os.OpenFile(filepath.Join(edir, propsFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open engine %s: props: %w", name, err)
	}
	e.mu.propsFile = pf

	po := pebbleOptions(opts, e.logger)
	db, err := pebble.Open(filepath.Join(edir, dbDir), po)
	if err != nil {
		_ = pf.Close()
		return nil, fmt.Errorf("open engine %s: pebble: %w", name, err)
	}
	e.db = db
	po.EnsureDefaults()
	e.sstOpts = po.MakeWriterOptions(0, db.TableFormat())
	e.logger.Debug("engine opened", zap.String("dir", edir), zap.Int64("size", e.mu.size), zap.Int64("keys", e.mu.keys))
	return e, nil
}

// pebbleOptions returns the bulk-load tuning of §7.8.
func pebbleOptions(o Options, logger *zap.Logger) *pebble.Options {
	po := &pebble.Options{
		DisableWAL:                  true,
		DisableAutomaticCompactions: true,
		MemTableSize:                uint64(o.MemTableSize),
		MemTableStopWritesThreshold: 8,
		L0CompactionThreshold:       math.MaxInt32,
		L0StopWritesThreshold:       math.MaxInt32,
		LBaseMaxBytes:               16 << 40,
		MaxOpenFiles:                o.MaxOpenFiles,
		Logger:                      pebbleLogger{logger.Named("pebble")},
	}
	po.TargetFileSizes[0] = 16 << 30
	for i := range po.Levels {
		po.Levels[i].BlockSize = o.BlockSize
	}
	return po
}

// pebbleLogger adapts zap to Pebble's logger. Pebble only calls Fatalf on
// unrecoverable corruption and expects it not to return; zap's Fatal exits
// the process after logging, which is the same contract as Pebble's own
// default logger.
type pebbleLogger struct{ l *zap.Logger }

func (p pebbleLogger) Infof(format string, args ...interface{}) {
	p.l.Debug(fmt.Sprintf(format, args...))
}
func (p pebbleLogger) Errorf(format string, args ...interface{}) {
	p.l.Error(fmt.Sprintf(format, args...))
}
func (p pebbleLogger) Fatalf(format string, args ...interface{}) {
	p.l.Fatal(fmt.Sprintf(format, args...))
}

func loadOrCreateMeta(edir, name string) (Meta, error) {
	path := filepath.Join(edir, metaFile)
	b, err := os.ReadFile(path)
	if err == nil {
		var m Meta
		if err := json.Unmarshal(b, &m); err != nil {
			return Meta{}, fmt.Errorf("decode %s: %w", path, err)
		}
		return m, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return Meta{}, fmt.Errorf("read %s: %w", path, err)
	}
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return Meta{}, fmt.Errorf("generate uuid: %w", err)
	}
	// Version 4 / variant bits so the id is a well-formed UUIDv4.
	id[6] = id[6]&0x0f | 0x40
	id[8] = id[8]&0x3f | 0x80
	m := Meta{Name: name, UUID: hex.EncodeToString(id[:])}
	if err := writeMeta(edir, m); err != nil {
		return Meta{}, err
	}
	return m, nil
}

func writeMeta(edir string, m Meta) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encode engine meta: %w", err)
	}
	tmp := filepath.Join(edir, metaFile+".tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("write engine meta: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(edir, metaFile)); err != nil {
		return fmt.Errorf("rename engine meta: %w", err)
	}
	return nil
}

func clearDir(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, ent := range ents {
		if err := os.RemoveAll(filepath.Join(dir, ent.Name())); err != nil {
			return err
		}
	}
	return nil
}

// Name returns the engine name.
func (e *Engine) Name() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.mu.meta.Name
}

// Dir returns the engine's directory.
func (e *Engine) Dir() string { return e.dir }

// Meta returns a copy of the engine's persistent identity.
func (e *Engine) Meta() Meta {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.mu.meta
}

// UUID returns the engine's 16-byte id.
func (e *Engine) UUID() []byte {
	b, err := hex.DecodeString(e.Meta().UUID)
	if err != nil {
		// The meta file was hand-edited; the UUID is only informational.
		return nil
	}
	return b
}

// CommitTS returns the commit timestamp set by SetCommitTS (0 if unset).
func (e *Engine) CommitTS() uint64 { return e.Meta().CommitTS }

// SetCommitTS records the TiKV commit TS used for every pair of the engine.
// It is persisted so that a resumed import uses the same TS.
func (e *Engine) SetCommitTS(ts uint64) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.mu.closed {
		return ErrClosed
	}
	m := e.mu.meta
	m.CommitTS = ts
	if err := writeMeta(e.dir, m); err != nil {
		return fmt.Errorf("set commit ts of engine %s: %w", m.Name, err)
	}
	e.mu.meta = m
	return nil
}

// TotalSize is the key+value bytes written (duplicates counted per write).
func (e *Engine) TotalSize() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.mu.size
}

// TotalKeys is the number of pairs written (duplicates counted per write).
func (e *Engine) TotalKeys() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.mu.keys
}

// Iterator walks the engine in key order. It is not safe for concurrent use.
type Iterator struct {
	it *pebble.Iterator
}

// Iterate returns an iterator over [start, end); nil bounds are open.
// Position it with First or SeekGE.
func (e *Engine) Iterate(start, end []byte) (*Iterator, error) {
	e.mu.Lock()
	closed := e.mu.closed
	e.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: start, UpperBound: end})
	if err != nil {
		return nil, fmt.Errorf("iterate engine %s: %w", e.Name(), err)
	}
	return &Iterator{it: it}, nil
}

// First moves to the first pair; it reports whether one exists.
func (i *Iterator) First() bool { return i.it.First() }

// Last moves to the last pair; it reports whether one exists.
func (i *Iterator) Last() bool { return i.it.Last() }

// SeekGE moves to the first pair with key >= k.
func (i *Iterator) SeekGE(k []byte) bool { return i.it.SeekGE(k) }

// Next advances; it reports whether the iterator is still valid.
func (i *Iterator) Next() bool { return i.it.Next() }

// Valid reports whether the iterator is positioned on a pair.
func (i *Iterator) Valid() bool { return i.it.Valid() }

// Key is valid until the next move.
func (i *Iterator) Key() []byte { return i.it.Key() }

// Value is valid until the next move.
func (i *Iterator) Value() ([]byte, error) { return i.it.ValueAndErr() }

// Error returns the iteration error, if any.
func (i *Iterator) Error() error { return i.it.Error() }

// Close releases the iterator.
func (i *Iterator) Close() error { return i.it.Close() }

// Bounds returns the first and last key in the engine, or ok=false if it is
// empty. The slices are copies.
func (e *Engine) Bounds() (first, last []byte, ok bool, err error) {
	it, err := e.Iterate(nil, nil)
	if err != nil {
		return nil, nil, false, err
	}
	defer func() {
		if cerr := it.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close iterator: %w", cerr)
		}
	}()
	if !it.First() {
		return nil, nil, false, it.Error()
	}
	first = append([]byte(nil), it.Key()...)
	if !it.Last() {
		return nil, nil, false, it.Error()
	}
	last = append([]byte(nil), it.Key()...)
	return first, last, true, nil
}

// Close closes the engine, keeping its files. All writers must be closed.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.mu.closed {
		e.mu.Unlock()
		return nil
	}
	e.mu.closed = true
	// Writers that are mid-flush finish their ingest before we close Pebble.
	for e.mu.inflight > 0 {
		e.mu.idle.Wait()
	}
	pf := e.mu.propsFile
	e.mu.propsFile = nil
	e.mu.Unlock()
	var errs []error
	if pf != nil {
		if err := pf.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close props: %w", err))
		}
	}
	if err := e.db.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close pebble: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close engine %s: %w", e.Name(), err)
	}
	return nil
}

// Cleanup closes the engine and removes its directory.
func (e *Engine) Cleanup() error {
	if err := e.Close(); err != nil {
		return err
	}
	if err := os.RemoveAll(e.dir); err != nil {
		return fmt.Errorf("cleanup engine %s: %w", e.Name(), err)
	}
	return nil
}
