package ingest

import (
	"bytes"
	"testing"

	"github.com/tempestdb/tempest/internal/kv/codec"
)

func kr(s, e string) KeyRange {
	var end []byte
	if e != "" {
		end = []byte(e)
	}
	return KeyRange{Start: []byte(s), End: end}
}

func rangesEqual(a, b []KeyRange) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i].Start, b[i].Start) || !bytes.Equal(a[i].End, b[i].End) {
			return false
		}
	}
	return true
}

func TestMergeRanges(t *testing.T) {
	got := MergeRanges([]KeyRange{kr("e", "g"), kr("a", "c"), kr("c", "d"), kr("f", "h"), kr("x", "")})
	want := []KeyRange{kr("a", "d"), kr("e", "h"), kr("x", "")}
	if !rangesEqual(got, want) {
		t.Fatalf("MergeRanges = %v, want %v", got, want)
	}
}

func TestSubtractRanges(t *testing.T) {
	cases := []struct {
		r    KeyRange
		done []KeyRange
		want []KeyRange
	}{
		{kr("a", "z"), nil, []KeyRange{kr("a", "z")}},
		{kr("a", "z"), []KeyRange{kr("a", "z")}, nil},
		{kr("c", "m"), []KeyRange{kr("a", "d"), kr("f", "g"), kr("l", "q")}, []KeyRange{kr("d", "f"), kr("g", "l")}},
		{kr("c", "m"), []KeyRange{kr("x", "")}, []KeyRange{kr("c", "m")}},
		{kr("c", "m"), []KeyRange{kr("e", "")}, []KeyRange{kr("c", "e")}},
	}
	for _, c := range cases {
		if got := subtractRanges(c.r, c.done); !rangesEqual(got, c.want) {
			t.Errorf("subtract(%v, %v) = %v, want %v", c.r, c.done, got, c.want)
		}
	}
}

func TestIntersectAndRegionDecode(t *testing.T) {
	raw := []byte("t\x80\x00\x00\x00\x00\x00\x00\x05_r\x80\x00\x00\x00\x00\x00\x00\x07")
	enc := codec.EncodeBytes(nil, raw)
	reg := &Region{}
	reg.Meta = regionMeta(enc, nil)
	rr := reg.rawRange()
	if !bytes.Equal(rr.Start, raw) || rr.End != nil {
		t.Fatalf("rawRange = %v", rr)
	}
	x, ok := intersect(kr("a", "zzzz"), rr)
	if !ok || !bytes.Equal(x.Start, raw) || string(x.End) != "zzzz" {
		t.Fatalf("intersect = %v %v", x, ok)
	}
	if _, ok := intersect(kr("a", "b"), kr("b", "c")); ok {
		t.Fatal("adjacent ranges intersect")
	}
}
