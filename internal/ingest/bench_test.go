package ingest

import (
	"context"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/tempestdb/tempest/internal/engine"
	"github.com/tempestdb/tempest/internal/kv/codec"
	"github.com/tempestdb/tempest/internal/sandbox"
)

// BenchmarkImportEngine measures ImportEngine alone: a prebuilt engine of
// TEMPEST_BENCH_INGEST_MB MiB (default 32) of record pairs shaped like the
// bench dump's rows (19-byte keys, ~200-byte values that compress about as
// well as encoded rows) plus one index pair per row, imported with the
// default [tikv-importer] options into an on-disk sandbox cluster. Profile
// with -cpuprofile / -memprofile to see where the ingest path spends.
func BenchmarkImportEngine(b *testing.B) {
	mb := 32
	if s := os.Getenv("TEMPEST_BENCH_INGEST_MB"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			b.Fatalf("TEMPEST_BENCH_INGEST_MB=%q: want a positive integer", s)
		}
		mb = n
	}
	logger := zap.NewNop()
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		cl, err := sandbox.StartKV(ctx, sandbox.Options{DataDir: b.TempDir(), Logger: logger})
		if err != nil {
			b.Fatalf("start sandbox: %v", err)
		}
		p, err := NewPD(ctx, []string{cl.PDAddress()}, logger)
		if err != nil {
			b.Fatalf("connect PD: %v", err)
		}
		c := NewClient(p, Options{RegionCheckInterval: 20 * time.Millisecond}, logger)
		eng, size := benchEngine(b, p, logger, int64(mb)<<20)
		b.SetBytes(size)
		b.StartTimer()
		st, err := ImportEngine(ctx, eng, c, ImportOptions{}, nil)
		b.StopTimer()
		if err != nil {
			b.Fatalf("import: %v", err)
		}
		b.ReportMetric(float64(st.Jobs), "jobs")
		_ = c.Close()
		p.Close()
		_ = eng.Close()
		_ = cl.Stop()
	}
}

func benchEngine(b *testing.B, p *PD, logger *zap.Logger, target int64) (*engine.Engine, int64) {
	ctx := context.Background()
	eng, err := engine.Open(b.TempDir(), "bench-engine", engine.Options{Logger: logger})
	if err != nil {
		b.Fatal(err)
	}
	w, err := eng.NewWriter(engine.WriterOptions{})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	val := make([]byte, 200)
	var size int64
	for h := int64(1); size < target; h++ {
		// Half random bytes, half text: encoded rows compress ~2×.
		for i := 0; i < len(val)/2; i++ {
			val[i] = byte(rng.Uint32())
		}
		for i := len(val) / 2; i < len(val); i++ {
			val[i] = 'a' + byte(i%26)
		}
		k := recordKey(h)
		if err := w.Put(ctx, k, val); err != nil {
			b.Fatal(err)
		}
		ik := append([]byte{'t'}, codec.EncodeInt(nil, testTableID)...)
		ik = append(ik, '_', 'i')
		ik = codec.EncodeInt(ik, 1)
		ik = codec.EncodeInt(ik, rng.Int64N(1<<20))
		ik = codec.EncodeInt(ik, h)
		if err := w.Put(ctx, ik, []byte{'0'}); err != nil {
			b.Fatal(err)
		}
		size += int64(len(k) + len(val) + len(ik) + 1)
	}
	if _, err := w.Close(ctx); err != nil {
		b.Fatal(err)
	}
	ts, err := p.TS(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if err := eng.SetCommitTS(ts); err != nil {
		b.Fatal(err)
	}
	return eng, size
}
