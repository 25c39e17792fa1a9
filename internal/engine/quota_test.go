package engine

import (
	"bytes"
	"context"
	"math/rand"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/tempestdb/tempest/internal/config"
)

// fillEngine writes keys [from, to) with incompressible 200-byte values,
// the same for the same key, through one writer of e.
func fillEngine(t *testing.T, e *Engine, from, to int) {
	t.Helper()
	ctx := context.Background()
	w, err := e.NewWriter(WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := from; i < to; i++ {
		v := make([]byte, 200)
		rand.New(rand.NewSource(int64(i))).Read(v)
		if err := w.Put(ctx, key(i), v); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestEnforceQuotaImportsLargestAndHoldsWriters: over the quota, the
// largest engine is imported early (writers of every engine wait meanwhile)
// and reset; what it gets afterwards plus what was imported early is every
// pair, with the commit TS kept. Under the quota nothing happens.
func TestEnforceQuotaImportsLargestAndHoldsWriters(t *testing.T) {
	ctx := context.Background()
	m, err := NewManager(t.TempDir(), Options{WriterMemCacheSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer m.CloseAll()
	engines := map[string]*Engine{}
	for name, n := range map[string]int{"small": 100, "big": 5000, "mid": 1000} {
		e, err := m.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		fillEngine(t, e, 0, n)
		engines[name] = e
	}
	if err := engines["big"].SetCommitTS(42); err != nil {
		t.Fatal(err)
	}
	total, err := DirSize(m.Dir())
	if err != nil {
		t.Fatal(err)
	}

	// The "target": pairs imported early, by engine.
	target := map[string]map[string][]byte{}
	var writerDone time.Time
	var importEnd time.Time
	var wg sync.WaitGroup
	importFn := func(ctx context.Context, e *Engine) error {
		// A writer of another engine flushing now must wait for us.
		wg.Add(1)
		go func() {
			defer wg.Done()
			fillEngine(t, engines["small"], 100, 200)
			writerDone = time.Now()
		}()
		time.Sleep(200 * time.Millisecond)
		got := map[string][]byte{}
		keys, vals := collect(t, e, nil, nil)
		for i := range keys {
			got[string(keys[i])] = vals[i]
		}
		target[e.Name()] = got
		importEnd = time.Now()
		return nil
	}

	if imported, err := m.EnforceQuota(ctx, total+1, importFn); err != nil || len(imported) != 0 {
		t.Fatalf("under quota: imported %v, err %v", imported, err)
	}
	imported, err := m.EnforceQuota(ctx, total-1, importFn)
	if err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if len(imported) != 1 || imported[0] != "big" {
		t.Fatalf("imported %v, want just the largest engine", imported)
	}
	if len(target["big"]) != 5000 {
		t.Fatalf("early import saw %d pairs of big, want 5000", len(target["big"]))
	}
	if !writerDone.After(importEnd) {
		t.Fatal("a writer flushed while the quota import was running")
	}
	big := engines["big"]
	if big.TotalSize() != 0 || big.CommitTS() != 42 {
		t.Fatalf("after reset: size %d, commit TS %d; want 0 and 42", big.TotalSize(), big.CommitTS())
	}
	if keys, _ := collect(t, big, nil, nil); len(keys) != 0 {
		t.Fatalf("reset engine still holds %d pairs", len(keys))
	}
	after, _ := DirSize(m.Dir())
	if after >= total {
		t.Fatalf("sorted-kv-dir did not shrink: %d >= %d", after, total)
	}

	// The engine takes new pairs (a retried chunk rewriting some of the
	// imported ones) and its split points describe only those.
	fillEngine(t, big, 4000, 6000)
	keys, vals := collect(t, big, nil, nil)
	if len(keys) != 2000 || !bytes.Equal(keys[0], key(4000)) {
		t.Fatalf("after refill: %d pairs from %q", len(keys), keys[0])
	}
	if !bytes.Equal(vals[0], target["big"][string(key(4000))]) {
		t.Fatal("a rewritten pair differs from the one imported early")
	}
	if big.TotalKeys() != 2000 {
		t.Fatalf("TotalKeys after refill = %d, want 2000", big.TotalKeys())
	}

	// An engine under its final import is not imported early; it counts
	// as freed.
	unlock, err := big.LockImport(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	total, _ = DirSize(m.Dir())
	// Over the quota by less than big's size: big being imported
	// suffices.
	us, _ := m.Usages()
	if us[0].Name != "big" {
		t.Fatalf("usages %+v: big is not the largest", us)
	}
	if imported, err := m.EnforceQuota(ctx, total-us[0].DiskBytes/2, importFn); err != nil || len(imported) != 0 {
		t.Fatalf("with big importing: imported %v, err %v (usages %+v)", imported, err, us)
	}
	// Over by more: the next largest goes too.
	if imported, err := m.EnforceQuota(ctx, total-us[0].DiskBytes-us[1].DiskBytes/2, importFn); err != nil || len(imported) != 1 || imported[0] != us[1].Name {
		t.Fatalf("over by more than big: imported %v, err %v (usages %+v)", imported, err, us)
	}
	wg.Wait()
}

// TestGateWaitIsCancellable: a writer held at a closed gate gives up with
// its context.
func TestGateWaitIsCancellable(t *testing.T) {
	m, err := NewManager(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.CloseAll()
	e, err := m.Open("e")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.gate.close(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.gate.open()
	w, _ := e.NewWriter(WriterOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := w.Put(ctx, key(1), []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(ctx); err == nil {
		t.Fatal("flush through a closed gate succeeded")
	}
}

// TestOptionsFromConfigSizesMemory: engine-mem-cache-size is each engine's
// Pebble memtable (capped below Pebble's 4 GiB limit) and
// local-writer-mem-cache-size each writer's sort buffer (§7.8).
func TestOptionsFromConfigSizesMemory(t *testing.T) {
	cfg := config.Default()
	cfg.TikvImporter.EngineMemCacheSize = 64 * config.MiB
	cfg.TikvImporter.LocalWriterMemCacheSize = 8 * config.MiB
	o := OptionsFromConfig(cfg, nil).withDefaults()
	if po := pebbleOptions(o, zap.NewNop()); po.MemTableSize != 64<<20 {
		t.Fatalf("memtable %d, want 64 MiB", po.MemTableSize)
	}
	e, err := Open(t.TempDir(), "m", OptionsFromConfig(cfg, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	w, err := e.NewWriter(WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if w.memLimit != 8<<20 {
		t.Fatalf("writer buffer %d, want 8 MiB", w.memLimit)
	}
	cfg.TikvImporter.EngineMemCacheSize = 16 * config.GiB
	if po := pebbleOptions(OptionsFromConfig(cfg, nil).withDefaults(), zap.NewNop()); po.MemTableSize >= 4<<30 {
		t.Fatalf("memtable %d not capped below 4 GiB", po.MemTableSize)
	}
}
