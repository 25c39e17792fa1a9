package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cockroachdb/pebble/v2"
	"go.uber.org/zap"
)

// writeGate lets the disk-quota enforcer hold back every writer of a
// sorted-kv-dir while it imports engines early (Lightning's
// diskQuotaLock): a writer's flush enters the gate before its SST grows the
// engine, and the enforcer closes the gate and waits for the flushes in
// progress to leave. Waiting is cancellable, unlike a sync.RWMutex.
type writeGate struct {
	mu      chan struct{} // a one-slot mutex, so that waits can select
	active  int           // flushes inside the gate
	closed  chan struct{} // non-nil while closed; closed (the channel) on reopen
	drained chan struct{} // non-nil while the closer waits for active == 0
}

func newWriteGate() *writeGate {
	return &writeGate{mu: make(chan struct{}, 1)}
}

func (g *writeGate) lock()   { g.mu <- struct{}{} }
func (g *writeGate) unlock() { <-g.mu }

// enter waits while the gate is closed.
func (g *writeGate) enter(ctx context.Context) error {
	for {
		g.lock()
		wait := g.closed
		if wait == nil {
			g.active++
			g.unlock()
			return nil
		}
		g.unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return fmt.Errorf("wait for the disk-quota import to finish: %w", ctx.Err())
		}
	}
}

func (g *writeGate) leave() {
	g.lock()
	g.active--
	if g.active == 0 && g.drained != nil {
		close(g.drained)
		g.drained = nil
	}
	g.unlock()
}

// close stops new flushes and waits for those in progress; open must be
// called afterwards, also on error. Only one closer at a time.
func (g *writeGate) close(ctx context.Context) error {
	g.lock()
	g.closed = make(chan struct{})
	var drained chan struct{}
	if g.active > 0 {
		g.drained = make(chan struct{})
		drained = g.drained
	}
	g.unlock()
	if drained == nil {
		return nil
	}
	select {
	case <-drained:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for engine writers to pause: %w", ctx.Err())
	}
}

func (g *writeGate) open() {
	g.lock()
	if g.closed != nil {
		close(g.closed)
		g.closed = nil
	}
	g.drained = nil
	g.unlock()
}

// LockImport takes the engine's import lock: the workflow's ImportEngine
// and the disk-quota enforcer never import the same engine at once (the
// enforcer resets the engine afterwards, which must not happen under a
// running import).
func (e *Engine) LockImport(ctx context.Context) (unlock func(), err error) {
	select {
	case e.importing <- struct{}{}:
		return func() { <-e.importing }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for the early import of engine %s: %w", e.Name(), ctx.Err())
	}
}

// TryLockImport takes the import lock if it is free.
func (e *Engine) TryLockImport() (unlock func(), ok bool) {
	select {
	case e.importing <- struct{}{}:
		return func() { <-e.importing }, true
	default:
		return nil, false
	}
}

// Reset drops every pair of the engine, keeping its name, UUID and commit
// TS: the disk-quota enforcer calls it after ingesting the engine's pairs
// early, with the writers held at the gate, so that what the engine gets
// afterwards is imported (with the same commit TS) by its final import.
// A failed reset leaves the engine closed.
func (e *Engine) Reset() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.mu.closed {
		return ErrClosed
	}
	for e.mu.inflight > 0 {
		e.mu.idle.Wait()
	}
	fail := func(err error) error {
		e.mu.closed = true
		return fmt.Errorf("reset engine %s: %w", e.mu.meta.Name, err)
	}
	if err := e.db.Close(); err != nil {
		return fail(fmt.Errorf("close pebble: %w", err))
	}
	if err := os.RemoveAll(filepath.Join(e.dir, dbDir)); err != nil {
		return fail(err)
	}
	if err := e.mu.propsFile.Truncate(0); err != nil {
		return fail(fmt.Errorf("truncate range properties: %w", err))
	}
	db, err := pebble.Open(filepath.Join(e.dir, dbDir), pebbleOptions(e.opts, e.logger))
	if err != nil {
		return fail(fmt.Errorf("reopen pebble: %w", err))
	}
	e.db = db
	e.mu.props, e.mu.size, e.mu.keys = nil, 0, 0
	return nil
}

// ImportFunc ingests everything an open engine holds now into the target.
type ImportFunc func(ctx context.Context, e *Engine) error

// EnforceQuota is one disk-quota check of the sorted-kv-dir (Lightning's
// checkDiskQuota, run every cron.check-disk-quota): when the directory
// exceeds quota, it holds back every writer, ingests the largest open
// engines early through importFn — just enough of them, largest first, to
// bring the directory back under the quota — and resets each one, then
// lets the writers go on. Engines already being imported (by their own
// final import) count as freed and are skipped. quota <= 0 disables the
// check. The quota is soft: writers run freely between checks.
func (m *Manager) EnforceQuota(ctx context.Context, quota int64, importFn ImportFunc) (imported []string, err error) {
	if quota <= 0 {
		return nil, nil
	}
	total, err := DirSize(m.dir)
	if err != nil || total <= quota {
		return nil, err
	}
	usages, err := m.Usages()
	if err != nil {
		return nil, err
	}
	log := m.opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	log.Warn("disk quota exceeded", zap.String("dir", m.dir), zap.Int64("used", total), zap.Int64("quota", quota))
	if err := m.gate.close(ctx); err != nil {
		m.gate.open()
		return nil, err
	}
	defer m.gate.open()
	remain := total
	for _, u := range usages {
		if remain <= quota {
			break
		}
		e, ok := m.Get(u.Name)
		if !ok {
			continue // removed since Usages
		}
		unlock, free := e.TryLockImport()
		if !free {
			remain -= u.DiskBytes // its own import removes it
			continue
		}
		e.mu.Lock()
		closed := e.mu.closed
		e.mu.Unlock()
		if closed {
			// Its final import finished and removed it since Usages.
			unlock()
			remain -= u.DiskBytes
			continue
		}
		err := func() error {
			defer unlock()
			if err := importFn(ctx, e); err != nil {
				return fmt.Errorf("import engine %s early for the disk quota: %w", u.Name, err)
			}
			return e.Reset()
		}()
		if err != nil {
			return imported, err
		}
		log.Info("engine imported early for the disk quota", zap.String("engine", u.Name), zap.Int64("diskBytes", u.DiskBytes))
		imported = append(imported, u.Name)
		remain -= u.DiskBytes
	}
	return imported, nil
}
