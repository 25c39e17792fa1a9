package codec

import (
	"bytes"
	"math"
	"math/rand"
	"testing"
)

func TestComparableVarint(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	vals := []int64{math.MinInt64, -1 << 40, -65536, -256, -255, -1, 0, 1, 239, 240, 255, 256, 1 << 40, math.MaxInt64}
	for i := 0; i < 1000; i++ {
		vals = append(vals, r.Int63()>>uint(r.Intn(63))*int64(1-2*r.Intn(2)))
	}
	for _, a := range vals {
		ea := EncodeComparableVarint(nil, a)
		rest, got, err := DecodeComparableVarint(ea)
		if err != nil || got != a || len(rest) != 0 {
			t.Fatalf("round trip %d: %d %v", a, got, err)
		}
		for _, b := range vals[:14] {
			eb := EncodeComparableVarint(nil, b)
			want := 0
			if a < b {
				want = -1
			} else if a > b {
				want = 1
			}
			if got := bytes.Compare(ea, eb); got != want {
				t.Fatalf("order %d vs %d: %d", a, b, got)
			}
		}
	}
}

func TestIntFloatRoundTrip(t *testing.T) {
	for _, v := range []int64{math.MinInt64, -1, 0, 1, math.MaxInt64} {
		if _, got, _ := DecodeInt(EncodeInt(nil, v)); got != v {
			t.Fatalf("int %d", v)
		}
	}
	for _, f := range []float64{math.Inf(-1), -1.5, 0, 2.25, math.MaxFloat64, math.Inf(1)} {
		if _, got, _ := DecodeFloat(EncodeFloat(nil, f)); got != f {
			t.Fatalf("float %g", f)
		}
	}
	// -0.0 and +0.0 encode identically (they compare equal in SQL).
	if !bytes.Equal(EncodeFloat(nil, math.Copysign(0, -1)), EncodeFloat(nil, 0)) {
		t.Fatal("-0 and +0 differ")
	}
	if _, _, err := DecodeBytes([]byte{1, 2, 3, 0, 0, 0, 0, 1, 0xfa}, nil); err == nil {
		t.Fatal("non-zero padding accepted")
	}
}
