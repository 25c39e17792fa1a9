package ingest

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/tempestdb/tempest/internal/kv/codec"
)

// KeyRange is a half-open range [Start, End) of raw TiDB keys. An empty End
// means "to the end of the key space".
type KeyRange struct {
	Start []byte `json:"start"`
	End   []byte `json:"end"`
}

func (r KeyRange) String() string { return fmt.Sprintf("[%x, %x)", r.Start, r.End) }

// contains reports whether k lies in r.
func (r KeyRange) contains(k []byte) bool {
	return bytes.Compare(k, r.Start) >= 0 && (len(r.End) == 0 || bytes.Compare(k, r.End) < 0)
}

// endLess compares two range ends, where empty means +infinity.
func endCompare(a, b []byte) int {
	switch {
	case len(a) == 0 && len(b) == 0:
		return 0
	case len(a) == 0:
		return 1
	case len(b) == 0:
		return -1
	}
	return bytes.Compare(a, b)
}

// nextKey is the smallest key greater than k. Appending 0x00 is always
// correct for the byte order; it need not be a valid TiDB key because it is
// only used as an exclusive bound.
func nextKey(k []byte) []byte {
	return append(append(make([]byte, 0, len(k)+1), k...), 0)
}

// encodeKey is the memcomparable form PD/TiKV use for region boundaries.
// The empty key stays empty: it means -inf/+inf in region boundaries.
func encodeKey(raw []byte) []byte {
	if len(raw) == 0 {
		return nil
	}
	return codec.EncodeBytes(nil, raw)
}

// decodeRegionKey turns a region boundary into raw-key space. Region
// boundaries created by TiDB or by our own splits are EncodeBytes forms; a
// boundary that is not a complete encoding (a few system regions) is mapped
// to the raw key formed by its decodable prefix, which keeps the order.
func decodeRegionKey(enc []byte) []byte {
	if len(enc) == 0 {
		return nil
	}
	_, raw, err := codec.DecodeBytes(enc, nil)
	if err != nil {
		return raw
	}
	return raw
}

// intersect returns a ∩ b and whether it is non-empty.
func intersect(a, b KeyRange) (KeyRange, bool) {
	out := KeyRange{Start: a.Start, End: a.End}
	if bytes.Compare(b.Start, out.Start) > 0 {
		out.Start = b.Start
	}
	if endCompare(b.End, out.End) < 0 {
		out.End = b.End
	}
	if len(out.End) > 0 && bytes.Compare(out.Start, out.End) >= 0 {
		return KeyRange{}, false
	}
	return out, true
}

// MergeRanges sorts ranges and merges overlapping or adjacent ones, so a
// heartbeat carrying finished ranges stays small.
func MergeRanges(rs []KeyRange) []KeyRange {
	if len(rs) == 0 {
		return nil
	}
	s := slices.Clone(rs)
	slices.SortFunc(s, func(a, b KeyRange) int { return bytes.Compare(a.Start, b.Start) })
	out := []KeyRange{s[0]}
	for _, r := range s[1:] {
		last := &out[len(out)-1]
		if len(last.End) == 0 {
			break // last already extends to +inf
		}
		if bytes.Compare(r.Start, last.End) <= 0 {
			if endCompare(r.End, last.End) > 0 {
				last.End = r.End
			}
			continue
		}
		out = append(out, r)
	}
	return out
}

// subtractRanges returns the parts of r not covered by done (which must be
// merged, see MergeRanges).
func subtractRanges(r KeyRange, done []KeyRange) []KeyRange {
	var out []KeyRange
	cur := r
	for _, d := range done {
		if len(cur.End) > 0 && bytes.Compare(cur.End, cur.Start) <= 0 {
			return out
		}
		if len(d.End) > 0 && bytes.Compare(d.End, cur.Start) <= 0 {
			continue
		}
		if len(cur.End) > 0 && bytes.Compare(d.Start, cur.End) >= 0 {
			break
		}
		if bytes.Compare(d.Start, cur.Start) > 0 {
			out = append(out, KeyRange{Start: cur.Start, End: d.Start})
		}
		if len(d.End) == 0 || endCompare(d.End, cur.End) >= 0 {
			return out
		}
		cur.Start = d.End
	}
	if len(cur.End) == 0 || bytes.Compare(cur.Start, cur.End) < 0 {
		out = append(out, cur)
	}
	return out
}
