package tidb

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"sync"
)

// KVStore is what the TiDB front needs from the storage layer: ordered
// scans over raw (not memcomparable-encoded) TiDB keys such as
// t{tableID}_r{handle}. The sandbox cluster's Scan has this shape, so the
// front reads exactly the bytes a physical import ingested.
type KVStore interface {
	// Scan calls fn for every key in [start, end) in ascending order; an
	// empty end means "to the end of the keyspace". fn must not retain k or
	// v after it returns. An error from fn stops the scan and is returned.
	Scan(ctx context.Context, start, end []byte, fn func(k, v []byte) error) error
}

// KVWriter is the optional write side of a KVStore. When the store
// implements it, INSERT/REPLACE/DELETE/TRUNCATE work through SQL (logical
// imports); otherwise the front is read-only for table data.
type KVWriter interface {
	Put(ctx context.Context, key, value []byte) error
	Delete(ctx context.Context, key []byte) error
}

// MemKV is an in-memory KVStore + KVWriter. It backs tests and a front
// started without a cluster; it is not meant for large data.
type MemKV struct {
	mu   sync.RWMutex
	keys [][]byte // sorted
	vals map[string][]byte
}

// NewMemKV returns an empty store.
func NewMemKV() *MemKV { return &MemKV{vals: make(map[string][]byte)} }

// Scan implements KVStore. It copies the matching pairs a chunk at a time
// and calls fn without the lock held, so fn may call back into the store
// (e.g. Put) without deadlocking and a long range is not copied at once.
func (m *MemKV) Scan(ctx context.Context, start, end []byte, fn func(k, v []byte) error) error {
	const chunk = 256
	from, inclusive := start, true
	for {
		m.mu.RLock()
		i := sort.Search(len(m.keys), func(i int) bool {
			c := bytes.Compare(m.keys[i], from)
			return c > 0 || (inclusive && c == 0)
		})
		var ks, vs [][]byte
		for ; i < len(m.keys) && len(ks) < chunk; i++ {
			k := m.keys[i]
			if len(end) > 0 && bytes.Compare(k, end) >= 0 {
				break
			}
			ks = append(ks, k)
			vs = append(vs, m.vals[string(k)])
		}
		m.mu.RUnlock()
		for i := range ks {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("memkv scan: %w", err)
			}
			if err := fn(ks[i], vs[i]); err != nil {
				return err
			}
		}
		if len(ks) < chunk {
			return nil
		}
		from, inclusive = ks[len(ks)-1], false
	}
}

// Put implements KVWriter.
func (m *MemKV) Put(_ context.Context, key, value []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := string(key)
	if _, ok := m.vals[k]; !ok {
		i := sort.Search(len(m.keys), func(i int) bool { return bytes.Compare(m.keys[i], key) >= 0 })
		m.keys = append(m.keys, nil)
		copy(m.keys[i+1:], m.keys[i:])
		m.keys[i] = []byte(k)
	}
	m.vals[k] = append([]byte(nil), value...)
	return nil
}

// Delete implements KVWriter.
func (m *MemKV) Delete(_ context.Context, key []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := string(key)
	if _, ok := m.vals[k]; !ok {
		return nil
	}
	delete(m.vals, k)
	i := sort.Search(len(m.keys), func(i int) bool { return bytes.Compare(m.keys[i], key) >= 0 })
	if i < len(m.keys) && bytes.Equal(m.keys[i], key) {
		m.keys = append(m.keys[:i], m.keys[i+1:]...)
	}
	return nil
}

// Len returns the number of keys (for tests).
func (m *MemKV) Len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.keys)
}

// prefixEnd returns the smallest key greater than every key with prefix p.
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}
