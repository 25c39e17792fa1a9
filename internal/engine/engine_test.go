package engine

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tempestdb/tempest/internal/kv"
)

func key(i int) []byte { return []byte(fmt.Sprintf("k%08d", i)) }

func openTest(t *testing.T, opts Options) *Engine {
	t.Helper()
	e, err := Open(t.TempDir(), "e1", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

func collect(t *testing.T, e *Engine, start, end []byte) (keys, vals [][]byte) {
	t.Helper()
	it, err := e.Iterate(start, end)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.Value()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, append([]byte(nil), it.Key()...))
		vals = append(vals, append([]byte(nil), v...))
	}
	if err := it.Error(); err != nil {
		t.Fatal(err)
	}
	return keys, vals
}

func TestWriteIterateOrderAndLastWins(t *testing.T) {
	ctx := context.Background()
	// A tiny buffer forces many SSTs, so ordering must come from Pebble's
	// merge, not from a single sorted flush.
	e := openTest(t, Options{WriterMemCacheSize: 1 << 10})
	w, err := e.NewWriter(WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	perm := rand.New(rand.NewSource(1)).Perm(1000)
	for _, i := range perm {
		if err := w.Put(ctx, key(i), []byte(fmt.Sprintf("v%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	// Same key twice in one buffer: the later value wins.
	if err := w.Put(ctx, key(5), []byte("first")); err != nil {
		t.Fatal(err)
	}
	if err := w.Put(ctx, key(5), []byte("second")); err != nil {
		t.Fatal(err)
	}
	st, err := w.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.SSTs < 2 {
		t.Fatalf("expected several SSTs with a 1 KiB buffer, got %d", st.SSTs)
	}
	// A later writer overrides an earlier one.
	w2, _ := e.NewWriter(WriterOptions{})
	if err := w2.Put(ctx, key(7), []byte("late")); err != nil {
		t.Fatal(err)
	}
	if _, err := w2.Close(ctx); err != nil {
		t.Fatal(err)
	}

	keys, vals := collect(t, e, nil, nil)
	if len(keys) != 1000 {
		t.Fatalf("got %d keys, want 1000", len(keys))
	}
	for i := range keys {
		if !bytes.Equal(keys[i], key(i)) {
			t.Fatalf("key %d = %q, want %q", i, keys[i], key(i))
		}
		want := fmt.Sprintf("v%d", i)
		switch i {
		case 5:
			want = "second"
		case 7:
			want = "late"
		}
		if string(vals[i]) != want {
			t.Fatalf("value of %q = %q, want %q", keys[i], vals[i], want)
		}
	}
	// Bounded iteration is half-open.
	keys, _ = collect(t, e, key(10), key(20))
	if len(keys) != 10 || !bytes.Equal(keys[0], key(10)) || !bytes.Equal(keys[9], key(19)) {
		t.Fatalf("bounded iterate returned %d keys [%q..]", len(keys), keys)
	}
	first, last, ok, err := e.Bounds()
	if err != nil || !ok || !bytes.Equal(first, key(0)) || !bytes.Equal(last, key(999)) {
		t.Fatalf("Bounds = %q %q %v %v", first, last, ok, err)
	}
}

func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	e := openTest(t, Options{WriterMemCacheSize: 8 << 10})
	const writers, per = 8, 2000
	var wg sync.WaitGroup
	errs := make(chan error, writers*2)
	// One shared writer used by several goroutines plus private writers.
	shared, err := e.NewWriter(WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for g := 0; g < writers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			w := shared
			if g%2 == 0 {
				var err error
				if w, err = e.NewWriter(WriterOptions{}); err != nil {
					errs <- err
					return
				}
			}
			for i := 0; i < per; i++ {
				n := i*writers + g // disjoint keys per goroutine
				if err := w.Put(ctx, key(n), key(n)); err != nil {
					errs <- err
					return
				}
			}
			if w != shared {
				if _, err := w.Close(ctx); err != nil {
					errs <- err
				}
			}
		}(g)
	}
	wg.Wait()
	if _, err := shared.Close(ctx); err != nil {
		t.Fatal(err)
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	keys, vals := collect(t, e, nil, nil)
	if len(keys) != writers*per {
		t.Fatalf("got %d keys, want %d", len(keys), writers*per)
	}
	for i := range keys {
		if !bytes.Equal(keys[i], key(i)) || !bytes.Equal(vals[i], key(i)) {
			t.Fatalf("pair %d = %q/%q", i, keys[i], vals[i])
		}
	}
	if e.TotalKeys() != writers*per {
		t.Fatalf("TotalKeys = %d, want %d", e.TotalKeys(), writers*per)
	}
}

func TestSizeAccountingAndReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e, err := Open(dir, "acc", Options{WriterMemCacheSize: 4 << 10})
	if err != nil {
		t.Fatal(err)
	}
	w, _ := e.NewWriter(WriterOptions{})
	var wantSize int64
	for i := 0; i < 500; i++ {
		v := bytes.Repeat([]byte{'x'}, i%37)
		wantSize += int64(len(key(i)) + len(v))
		if err := w.Put(ctx, key(i), v); err != nil {
			t.Fatal(err)
		}
	}
	st, err := w.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Pairs != 500 || st.Bytes != wantSize {
		t.Fatalf("writer stats %+v, want 500 pairs %d bytes", st, wantSize)
	}
	if e.TotalKeys() != 500 || e.TotalSize() != wantSize {
		t.Fatalf("engine totals %d/%d, want 500/%d", e.TotalKeys(), e.TotalSize(), wantSize)
	}
	if err := e.SetCommitTS(42); err != nil {
		t.Fatal(err)
	}
	uuid := e.Meta().UUID
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	// A torn tail in range.props (crash during append) must be dropped.
	pf, err := os.OpenFile(filepath.Join(dir, "acc", propsFile), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pf.Write([]byte{0, 0, 1, 0, 'g', 'a'}); err != nil {
		t.Fatal(err)
	}
	pf.Close()

	e, err = Open(dir, "acc", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.TotalKeys() != 500 || e.TotalSize() != wantSize || e.CommitTS() != 42 || e.Meta().UUID != uuid {
		t.Fatalf("after reopen: keys %d size %d ts %d uuid %s", e.TotalKeys(), e.TotalSize(), e.CommitTS(), e.Meta().UUID)
	}
	if len(e.UUID()) != 16 {
		t.Fatalf("UUID is %d bytes", len(e.UUID()))
	}
	keys, _ := collect(t, e, nil, nil)
	if len(keys) != 500 {
		t.Fatalf("after reopen %d keys", len(keys))
	}
}

func TestSplitKeysFromRangeProperties(t *testing.T) {
	ctx := context.Background()
	// Dense points (every 10 keys) so splits land within 10 keys of target.
	e := openTest(t, Options{PropKeysInterval: 10, WriterMemCacheSize: 16 << 10})
	// Two writers with interleaved keys: split keys must come from merged
	// properties of overlapping SSTs.
	for g := 0; g < 2; g++ {
		w, _ := e.NewWriter(WriterOptions{})
		for i := g; i < 10000; i += 2 {
			if err := w.Put(ctx, key(i), make([]byte, 90)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.SplitKeys(1<<40, 1<<40); len(got) != 0 {
		t.Fatalf("engine fits one region but got %d split keys", len(got))
	}
	splits := e.SplitKeys(0, 1000)
	if len(splits) < 8 || len(splits) > 11 {
		t.Fatalf("got %d split keys for 10000 keys / 1000 per region", len(splits))
	}
	// Check every resulting range really holds about 1000 keys.
	bounds := append([][]byte{nil}, splits...)
	bounds = append(bounds, nil)
	for i := 0; i+1 < len(bounds); i++ {
		if i+2 < len(bounds)-1 && bytes.Compare(bounds[i+1], bounds[i+2]) >= 0 {
			t.Fatalf("split keys not increasing at %d", i)
		}
		ks, _ := collect(t, e, bounds[i], bounds[i+1])
		if i+2 < len(bounds) && (len(ks) < 980 || len(ks) > 1040) {
			t.Fatalf("range %d holds %d keys, want ~1000", i, len(ks))
		}
	}
	// Size limit: each pair is 9+90 bytes → ~50 pairs per 5000 bytes; the
	// property granularity (10 keys per SST, two SSTs interleaved) bounds
	// the error.
	bySize := e.SplitKeys(5000, 0)
	if len(bySize) < 150 || len(bySize) > 202 {
		t.Fatalf("got %d split keys by size", len(bySize))
	}
}

func TestSplitKeysPureFunction(t *testing.T) {
	pts := []propPoint{
		{key: []byte("a"), size: 10, keys: 1},
		{key: []byte("c"), size: 50, keys: 5},
		{key: []byte("b"), size: 50, keys: 5},
		{key: []byte("c"), size: 50, keys: 5},
		{key: []byte("d"), size: 10, keys: 1},
	}
	got := splitKeysFromProps(pts, 60, 0)
	// a+b = 60 → cut after b; c(100) → cut after c; d is the last key.
	want := [][]byte{[]byte("b\x00"), []byte("c\x00")}
	if len(got) != len(want) {
		t.Fatalf("got %q want %q", got, want)
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("got %q want %q", got, want)
		}
	}
}

func TestManagerQuotaLargestFirst(t *testing.T) {
	ctx := context.Background()
	m, err := NewManager(t.TempDir(), Options{WriterMemCacheSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer m.CloseAll()
	sizes := map[string]int{"small": 100, "big": 5000, "mid": 1000}
	for name, n := range sizes {
		e, err := m.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		w, _ := e.NewWriter(WriterOptions{})
		rnd := rand.New(rand.NewSource(int64(n)))
		for i := 0; i < n; i++ {
			v := make([]byte, 200)
			rnd.Read(v) // incompressible so disk size tracks data size
			if err := w.Put(ctx, key(i), v); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if again, _ := m.Open("big"); again == nil {
		t.Fatal("reopen through manager failed")
	}
	us, err := m.Usages()
	if err != nil {
		t.Fatal(err)
	}
	if len(us) != 3 || us[0].Name != "big" || us[1].Name != "mid" || us[2].Name != "small" {
		t.Fatalf("usages not largest first: %+v", us)
	}
	total, toImport, err := m.CheckQuota(1 << 40)
	if err != nil || toImport != nil || total <= 0 {
		t.Fatalf("under quota: total %d import %v err %v", total, toImport, err)
	}
	total, toImport, err = m.CheckQuota(total - 1)
	if err != nil || len(toImport) != 1 || toImport[0].Name != "big" {
		t.Fatalf("over quota by 1 byte: import %+v err %v", toImport, err)
	}
	if err := m.Cleanup("big"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(m.Dir(), "big")); !os.IsNotExist(err) {
		t.Fatalf("cleanup left files: %v", err)
	}
	after, _ := DirSize(m.Dir())
	if after >= total {
		t.Fatalf("DirSize did not shrink after cleanup: %d >= %d", after, total)
	}
}

func TestClosedEngine(t *testing.T) {
	ctx := context.Background()
	e, err := Open(t.TempDir(), "c", Options{})
	if err != nil {
		t.Fatal(err)
	}
	w, _ := e.NewWriter(WriterOptions{})
	if err := w.Put(ctx, []byte("a"), []byte("b")); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Close(ctx); err == nil {
		t.Fatal("flush into a closed engine succeeded")
	}
	if _, err := e.Iterate(nil, nil); err != ErrClosed {
		t.Fatalf("Iterate after close: %v", err)
	}
	if _, err := Open(t.TempDir(), "../x", Options{}); err == nil {
		t.Fatal("path traversal in engine name accepted")
	}
}

func TestAppendPairsFromKVPairs(t *testing.T) {
	ctx := context.Background()
	e := openTest(t, Options{})
	var p kv.Pairs
	p.Add([]byte("b"), []byte("2"))
	p.Add([]byte("a"), []byte("1"))
	p.Add([]byte("b"), []byte("3")) // same key later in the batch wins
	w, err := e.NewWriter(WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AppendPairs(ctx, &p); err != nil {
		t.Fatal(err)
	}
	st, err := w.Close(ctx)
	if err != nil || st.Pairs != 2 {
		t.Fatalf("close: %+v %v", st, err)
	}
	keys, vals := collect(t, e, nil, nil)
	if len(keys) != 2 || string(keys[0]) != "a" || string(vals[1]) != "3" {
		t.Fatalf("got %q %q", keys, vals)
	}
}
