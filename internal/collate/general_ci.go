package collate

import (
	"slices"
	"unicode/utf8"
)

// generalCICollator is utf8mb4_general_ci / utf8_general_ci: one 2-byte
// big-endian weight per rune after trimming trailing spaces.
type generalCICollator struct {
	name string
	t    *generalWeights
}

// weight returns the general_ci weight of the next rune of s and the number
// of bytes it used; ok is false at the end of s or at invalid UTF-8, where
// TiDB stops producing the key.
func (c generalCICollator) weight(s []byte) (w uint16, size int, ok bool) {
	if len(s) == 0 {
		return 0, 0, false
	}
	if s[0] < utf8.RuneSelf {
		return c.t[s[0]], 1, true
	}
	r, size := utf8.DecodeRune(s)
	if r == utf8.RuneError && size <= 1 {
		return 0, 0, false
	}
	if r > 0xFFFF {
		// The MySQL table only covers the BMP; everything above sorts as U+FFFD.
		return 0xFFFD, size, true
	}
	return c.t[r], size, true
}

func (c generalCICollator) Key(dst, s []byte) []byte {
	s = trimSpace(s)
	// Exactly 2 bytes per rune, at most one rune per byte: one allocation.
	dst = slices.Grow(dst, 2*len(s))
	for {
		w, n, ok := c.weight(s)
		if !ok {
			return dst
		}
		dst = append(dst, byte(w>>8), byte(w))
		s = s[n:]
	}
}

func (c generalCICollator) Compare(a, b []byte) int {
	a, b = trimSpace(a), trimSpace(b)
	for {
		wa, na, oka := c.weight(a)
		wb, nb, okb := c.weight(b)
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
		a, b = a[na:], b[nb:]
	}
}

func (c generalCICollator) Name() string   { return c.name }
func (c generalCICollator) PadSpace() bool { return true }
