package rowcodec

import (
	"bytes"
	"math"
	"math/rand"
	"testing"
)

func TestIntWidths(t *testing.T) {
	for _, c := range []struct {
		v int64
		n int
	}{{0, 1}, {127, 1}, {-128, 1}, {128, 2}, {-129, 2}, {math.MaxInt16, 2}, {math.MaxInt16 + 1, 4}, {math.MinInt32, 4}, {math.MaxInt32 + 1, 8}, {math.MinInt64, 8}} {
		b := AppendInt(nil, c.v)
		if len(b) != c.n {
			t.Errorf("AppendInt(%d) width %d want %d", c.v, len(b), c.n)
		}
		if got, err := DecodeInt(b); err != nil || got != c.v {
			t.Errorf("DecodeInt(%x) = %d %v", b, got, err)
		}
	}
	for _, c := range []struct {
		v uint64
		n int
	}{{0, 1}, {255, 1}, {256, 2}, {65535, 2}, {65536, 4}, {math.MaxUint32, 4}, {math.MaxUint32 + 1, 8}, {math.MaxUint64, 8}} {
		b := AppendUint(nil, c.v)
		if len(b) != c.n {
			t.Errorf("AppendUint(%d) width %d want %d", c.v, len(b), c.n)
		}
		if got, err := DecodeUint(b); err != nil || got != c.v {
			t.Errorf("DecodeUint(%x) = %d %v", b, got, err)
		}
	}
}

// TestLargeData: a data area beyond 64 KiB switches to 32-bit ids/offsets.
func TestLargeData(t *testing.T) {
	var w Writer
	big := bytes.Repeat([]byte{'x'}, 70000)
	w.AddInt(1, 5)
	w.AddBytes(2, big)
	w.AddNull(3)
	b, err := w.AppendTo(nil)
	if err != nil {
		t.Fatal(err)
	}
	if b[1] != flagLarge {
		t.Fatalf("flags %x", b[1])
	}
	// header 6 + ids 3*4 + offsets 2*4
	if len(b) != 6+12+8+1+70000 {
		t.Fatalf("len %d", len(b))
	}
	r, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok, null := r.Lookup(2); !ok || null || !bytes.Equal(v, big) {
		t.Fatal("lookup big")
	}
	if _, ok, null := r.Lookup(3); !ok || !null {
		t.Fatal("lookup null")
	}
	if _, ok, _ := r.Lookup(4); ok {
		t.Fatal("lookup absent")
	}
}

func TestWriterRandomRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	var w Writer
	for iter := 0; iter < 500; iter++ {
		w.Reset()
		vals := map[int64][]byte{}
		nulls := map[int64]bool{}
		perm := r.Perm(40)
		for _, p := range perm[:r.Intn(40)] {
			id := int64(p*(1+r.Intn(20)) + 1)
			if _, dup := vals[id]; dup || nulls[id] {
				continue
			}
			if r.Intn(5) == 0 {
				w.AddNull(id)
				nulls[id] = true
				continue
			}
			v := make([]byte, r.Intn(10))
			r.Read(v)
			w.AddBytes(id, v)
			vals[id] = v
		}
		b, err := w.AppendTo(nil)
		if err != nil {
			t.Fatal(err)
		}
		row, err := Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		if row.NumNotNull() != len(vals) || row.NumNull() != len(nulls) {
			t.Fatalf("counts %d/%d", row.NumNotNull(), row.NumNull())
		}
		prev := int64(0)
		for i := 0; i < row.NumNotNull(); i++ {
			id, v := row.NotNull(i)
			if id <= prev || !bytes.Equal(v, vals[id]) {
				t.Fatalf("column %d out of order or wrong", id)
			}
			prev = id
		}
	}
}
