package collate

import (
	_ "embed"
	"errors"
	"fmt"
	"sync"
)

// The weight tables are embedded as compact binary files produced by
// gen_tables.go (formats documented there) and expanded on first use, so
// importers of this package that never touch a _ci collation pay nothing.
// After expansion the tables are never written again.

//go:embed general_ci.bin
var generalCIData string

//go:embed unicode_ci_0400.bin
var unicode0400Data string

// generalWeights maps every BMP code point to its general_ci weight.
type generalWeights [0x10000]uint16

var generalTable = sync.OnceValues(func() (*generalWeights, error) {
	d := generalCIData
	if len(d)%4 != 0 || len(d) == 0 {
		return nil, fmt.Errorf("general_ci table: corrupt length %d", len(d))
	}
	t := new(generalWeights)
	for i := range t {
		t[i] = uint16(i)
	}
	for ; len(d) >= 4; d = d[4:] {
		cp := uint16(d[0])<<8 | uint16(d[1])
		t[cp] = uint16(d[2])<<8 | uint16(d[3])
	}
	return t, nil
})

// ucaTable holds UCA 4.0.0 primary weights for the BMP. packed[r] holds up to
// four non-zero weights, first weight in the low 16 bits, unused slots zero;
// 0 means the rune is ignorable. Runes with more weights have packed[r] ==
// longMarker and their weights in long.
type ucaTable struct {
	packed [0x10000]uint64
	long   map[rune][]uint16
}

// longMarker cannot be a real packing: the data never contains weight 0xFFFF
// (checked while decoding).
const longMarker = ^uint64(0)

// uca0400Implicit is MySQL's UCA 4.0.0 implicit weight for a BMP code point
// not listed in allkeys-4.0.0.txt: the UCA "derived collation element" with
// MySQL's bases (0xFB40 for unified CJK U+4E00..U+9FA5, 0xFB80 for CJK
// extension A U+3400..U+4DB5, 0xFBC0 otherwise).
func uca0400Implicit(r rune) (uint16, uint16) {
	base := rune(0xFBC0)
	switch {
	case r >= 0x4E00 && r <= 0x9FA5:
		base = 0xFB40
	case r >= 0x3400 && r <= 0x4DB5:
		base = 0xFB80
	}
	return uint16(base + r>>15), uint16(r&0x7FFF | 0x8000)
}

var unicode0400Table = sync.OnceValues(func() (*ucaTable, error) {
	t := &ucaTable{long: make(map[rune][]uint16)}
	d := unicode0400Data
	for r := rune(0); r < 0x10000; r++ {
		if len(d) == 0 {
			return nil, errors.New("unicode_ci table: truncated")
		}
		n := int(d[0])
		d = d[1:]
		if n == 0xFF {
			w1, w2 := uca0400Implicit(r)
			t.packed[r] = uint64(w1) | uint64(w2)<<16
			continue
		}
		if n > 8 || len(d) < 2*n {
			return nil, fmt.Errorf("unicode_ci table: bad entry for U+%04X", r)
		}
		ws := make([]uint16, n)
		for i := range ws {
			ws[i] = uint16(d[2*i])<<8 | uint16(d[2*i+1])
			if ws[i] == 0 || ws[i] == 0xFFFF {
				return nil, fmt.Errorf("unicode_ci table: bad weight for U+%04X", r)
			}
		}
		d = d[2*n:]
		if n > 4 {
			t.packed[r] = longMarker
			t.long[r] = ws
			continue
		}
		var p uint64
		for i, w := range ws {
			p |= uint64(w) << (16 * i)
		}
		t.packed[r] = p
	}
	if len(d) != 0 {
		return nil, errors.New("unicode_ci table: trailing data")
	}
	return t, nil
})
