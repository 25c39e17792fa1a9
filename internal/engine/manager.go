package engine

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
)

// DirSize returns the total size of the regular files under dir. Files
// vanishing during the walk (SSTs being ingested) are ignored.
func DirSize(dir string) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		total += info.Size()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("size of %s: %w", dir, err)
	}
	return total, nil
}

// Manager keeps the open engines of one sorted-kv-dir so that disk-quota
// enforcement can see all of them and pick the largest to import early.
type Manager struct {
	dir  string
	opts Options
	// gate holds back the writers of every engine of the directory while
	// EnforceQuota imports engines early.
	gate *writeGate

	mu      sync.Mutex
	engines map[string]*Engine
}

// NewManager creates dir if needed.
func NewManager(dir string, opts Options) (*Manager, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("engine manager: create %s: %w", dir, err)
	}
	return &Manager{dir: dir, opts: opts, gate: newWriteGate(), engines: make(map[string]*Engine)}, nil
}

// Dir returns the sorted-kv-dir.
func (m *Manager) Dir() string { return m.dir }

// Open returns the open engine name, opening it if necessary. Several
// chunk activities share one engine this way.
func (m *Manager) Open(name string) (*Engine, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.engines[name]; ok {
		return e, nil
	}
	e, err := Open(m.dir, name, m.opts)
	if err != nil {
		return nil, err
	}
	e.gate = m.gate
	m.engines[name] = e
	return e, nil
}

// Get returns an already open engine.
func (m *Manager) Get(name string) (*Engine, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.engines[name]
	return e, ok
}

// Close closes one engine, keeping its files.
func (m *Manager) Close(name string) error {
	m.mu.Lock()
	e, ok := m.engines[name]
	delete(m.engines, name)
	m.mu.Unlock()
	if !ok {
		return nil
	}
	return e.Close()
}

// Cleanup closes one engine (if open) and removes its files.
func (m *Manager) Cleanup(name string) error {
	m.mu.Lock()
	e, ok := m.engines[name]
	delete(m.engines, name)
	m.mu.Unlock()
	if ok {
		return e.Cleanup()
	}
	if name == "" || filepath.Base(name) != name {
		return fmt.Errorf("cleanup engine: invalid name %q", name)
	}
	if err := os.RemoveAll(filepath.Join(m.dir, name)); err != nil {
		return fmt.Errorf("cleanup engine %s: %w", name, err)
	}
	return nil
}

// CloseAll closes every open engine.
func (m *Manager) CloseAll() error {
	m.mu.Lock()
	engines := m.engines
	m.engines = make(map[string]*Engine)
	m.mu.Unlock()
	var errs []error
	for _, e := range engines {
		errs = append(errs, e.Close())
	}
	return errors.Join(errs...)
}

// Usage is the disk footprint of one open engine.
type Usage struct {
	Name      string
	DiskBytes int64 // bytes on disk under the engine directory
	DataBytes int64 // key+value bytes written (Engine.TotalSize)
}

// Usages lists the open engines, largest on disk first.
func (m *Manager) Usages() ([]Usage, error) {
	m.mu.Lock()
	engines := make([]*Engine, 0, len(m.engines))
	for _, e := range m.engines {
		engines = append(engines, e)
	}
	m.mu.Unlock()
	out := make([]Usage, 0, len(engines))
	for _, e := range engines {
		n, err := DirSize(e.Dir())
		if err != nil {
			return nil, err
		}
		out = append(out, Usage{Name: e.Name(), DiskBytes: n, DataBytes: e.TotalSize()})
	}
	slices.SortFunc(out, func(a, b Usage) int {
		if a.DiskBytes != b.DiskBytes {
			if a.DiskBytes > b.DiskBytes {
				return -1
			}
			return 1
		}
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	return out, nil
}

// CheckQuota reports the total disk usage of sorted-kv-dir and, when it
// exceeds quota, the open engines to import first: largest first, just
// enough of them to bring usage back under the quota (disk-quota is a soft
// limit, §1.13). quota <= 0 disables the check.
func (m *Manager) CheckQuota(quota int64) (total int64, toImport []Usage, err error) {
	total, err = DirSize(m.dir)
	if err != nil {
		return 0, nil, err
	}
	if quota <= 0 || total <= quota {
		return total, nil, nil
	}
	usages, err := m.Usages()
	if err != nil {
		return total, nil, err
	}
	remain := total
	for _, u := range usages {
		if remain <= quota {
			break
		}
		toImport = append(toImport, u)
		remain -= u.DiskBytes
	}
	return total, toImport, nil
}
