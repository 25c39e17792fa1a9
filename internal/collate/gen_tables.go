//go:build ignore

// gen_tables regenerates general_ci.bin and unicode_ci_0400.bin from a
// per-code-point weight sweep of a MySQL-family server (see doc.go, "Where the
// weight tables come from"). It is not part of the build.
//
// Produce the sweep with a local MariaDB (Debian package mariadb-server; its
// utf8mb4_unicode_ci is UCA 4.0.0 and its utf8mb4_general_ci is MySQL's
// classic case-folding table) started with --skip-networking, then:
//
//	mariadb -N -B test -e "select seq,
//	  hex(weight_string(convert(char(seq using utf32) using utf8mb4) collate utf8mb4_unicode_ci)),
//	  hex(weight_string(convert(char(seq using utf32) using utf8mb4) collate utf8mb4_general_ci))
//	  from seq_0_to_65535" > sweep.tsv
//	go run gen_tables.go sweep.tsv
//
// Output formats (both big-endian, read by tables.go):
//
//	general_ci.bin:      repeated (code point uint16, weight uint16) for every
//	                     BMP code point whose weight is not the code point itself.
//	unicode_ci_0400.bin: for every code point 0..0xFFFF in order, one count byte
//	                     n followed by n uint16 primary weights; n == 0xFF means
//	                     "implicit weight" (computed by uca0400Implicit, not stored).
package main

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
)

func implicit(cp int) [2]uint16 {
	base := 0xFBC0
	switch {
	case cp >= 0x4E00 && cp <= 0x9FA5:
		base = 0xFB40
	case cp >= 0x3400 && cp <= 0x4DB5:
		base = 0xFB80
	}
	return [2]uint16{uint16(base + cp>>15), uint16(cp&0x7FFF | 0x8000)}
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go run gen_tables.go sweep.tsv")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()
	var gen, uca []byte
	seen := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) < 3 {
			fmt.Fprintln(os.Stderr, "short line:", sc.Text())
			os.Exit(1)
		}
		cp, err := strconv.Atoi(fields[0])
		if err != nil || cp != seen {
			fmt.Fprintf(os.Stderr, "expected code point %d, got %q\n", seen, fields[0])
			os.Exit(1)
		}
		seen++
		u, err1 := hex.DecodeString(fields[1])
		g, err2 := hex.DecodeString(fields[2])
		if err1 != nil || err2 != nil || len(u)%2 != 0 || len(g) != 2 || len(u)/2 > 8 {
			fmt.Fprintln(os.Stderr, "bad weights:", sc.Text())
			os.Exit(1)
		}
		if w := binary.BigEndian.Uint16(g); int(w) != cp {
			gen = binary.BigEndian.AppendUint16(gen, uint16(cp))
			gen = binary.BigEndian.AppendUint16(gen, w)
		}
		imp := implicit(cp)
		if len(u) == 4 && binary.BigEndian.Uint16(u) == imp[0] && binary.BigEndian.Uint16(u[2:]) == imp[1] {
			uca = append(uca, 0xFF)
			continue
		}
		uca = append(uca, byte(len(u)/2))
		uca = append(uca, u...)
	}
	if seen != 0x10000 {
		fmt.Fprintf(os.Stderr, "sweep has %d code points, want 65536\n", seen)
		os.Exit(1)
	}
	if err := os.WriteFile("general_ci.bin", gen, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := os.WriteFile("unicode_ci_0400.bin", uca, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("general_ci.bin: %d bytes, unicode_ci_0400.bin: %d bytes\n", len(gen), len(uca))
}
