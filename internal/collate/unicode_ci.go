package collate

import (
	"slices"
	"unicode/utf8"
)

// unicodeCICollator is utf8mb4_unicode_ci / utf8_unicode_ci: the UCA 4.0.0
// primary weights of each rune (0..8 of them), 2 bytes big-endian each, after
// trimming trailing spaces. Weights are per rune: MySQL's (and TiDB's)
// unicode_ci has no contractions, only expansions.
type unicodeCICollator struct {
	name string
	t    *ucaTable
}

// ucaIter yields the weights of a string one at a time, so Compare needs no
// allocation and provably agrees with Key.
type ucaIter struct {
	t    *ucaTable
	s    []byte
	pend uint64   // remaining packed weights of the current rune, low first
	long []uint16 // remaining weights of the current long rune
}

func (it *ucaIter) next() (uint16, bool) {
	for {
		if it.pend != 0 {
			w := uint16(it.pend)
			it.pend >>= 16
			return w, true
		}
		if len(it.long) > 0 {
			w := it.long[0]
			it.long = it.long[1:]
			return w, true
		}
		if len(it.s) == 0 {
			return 0, false
		}
		r, size := rune(it.s[0]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRune(it.s)
			if r == utf8.RuneError && size <= 1 {
				// Invalid UTF-8: TiDB stops the key here.
				it.s = nil
				return 0, false
			}
		}
		it.s = it.s[size:]
		if r > 0xFFFF {
			return 0xFFFD, true
		}
		p := it.t.packed[r]
		if p == longMarker {
			it.long = it.t.long[r]
			continue
		}
		it.pend = p // 0 for an ignorable rune: loop on to the next one
	}
}

func (c unicodeCICollator) Key(dst, s []byte) []byte {
	it := ucaIter{t: c.t, s: trimSpace(s)}
	// Most runes have one weight; grow once for the common case.
	dst = slices.Grow(dst, 2*len(it.s))
	for {
		w, ok := it.next()
		if !ok {
			return dst
		}
		dst = append(dst, byte(w>>8), byte(w))
	}
}

func (c unicodeCICollator) Compare(a, b []byte) int {
	ia := ucaIter{t: c.t, s: trimSpace(a)}
	ib := ucaIter{t: c.t, s: trimSpace(b)}
	for {
		wa, oka := ia.next()
		wb, okb := ib.next()
		switch {
		case !oka && !okb:
			return 0
		case !oka:
			return -1
		case !okb:
			return 1
		case wa != wb:
			if wa < wb {
				return -1
			}
			return 1
		}
	}
}

func (c unicodeCICollator) Name() string   { return c.name }
func (c unicodeCICollator) PadSpace() bool { return true }
