package parser

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/tempestdb/tempest/internal/config"
)

// readAll parses everything, returning rows and the final error (nil at EOF).
// It fails the test on an invariant violation: offsets must increase and lie
// inside the input, and Pos must follow each row.
func readAll(t *testing.T, p Parser, size int64) ([]gotRow, error) {
	t.Helper()
	var out []gotRow
	var prevEnd int64
	for i := 0; ; i++ {
		err := p.ReadRow(context.Background())
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			var se *SyntaxError
			if errors.As(err, &se) && (se.Offset < 0 || se.Offset > size) {
				t.Fatalf("error offset %d outside input of %d bytes", se.Offset, size)
			}
			return out, err
		}
		r := p.LastRow()
		if r.Offset < prevEnd || r.EndOffset <= r.Offset || r.EndOffset > size {
			t.Fatalf("row %d offsets [%d,%d) after %d, input %d bytes", i, r.Offset, r.EndOffset, prevEnd, size)
		}
		if off, id := p.Pos(); off != r.EndOffset || id != r.RowID {
			t.Fatalf("Pos (%d,%d) != row end (%d,%d)", off, id, r.EndOffset, r.RowID)
		}
		prevEnd = r.EndOffset
		out = append(out, snapshot(p))
		if i > 100000 {
			t.Fatal("too many rows")
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	// The context excerpt depends on how much input was buffered.
	var se *SyntaxError
	if errors.As(err, &se) {
		return se.Path + "@" + itoa(se.Offset) + ": " + se.Reason
	}
	return err.Error()
}

func FuzzSQLParser(f *testing.F) {
	f.Add([]byte("INSERT INTO t VALUES (1,'a'),(2,\"b\\n\");"), uint8(0))
	f.Add([]byte("/*!40101 SET NAMES binary*/;\nINSERT INTO `t` (`a`,b) VALUES (0x1F, b'101', _binary'x', NULL, -1.5e3),\n(TRUE, DEFAULT, 'it''s' 'x');"), uint8(1))
	f.Add([]byte("create table `second` values (909);-- c\n# d\nREPLACE t VALUE (CONVERT('x' USING utf8mb4)) ON DUPLICATE KEY UPDATE a=1;"), uint8(2))
	f.Add(genSQL(3, 3), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, flags uint8) {
		if len(data) > 8<<10 {
			return // resume checks are quadratic; small inputs find the bugs
		}
		opts := SQLOptions{ANSIQuotes: flags&1 != 0, NoBackslashEscapes: flags&2 != 0}
		size := int64(len(data))
		full, ferr := readAll(t, NewSQLParser(bytes.NewReader(data), "f.sql", opts), size)
		tiny := opts
		tiny.ReadBlockSize = 1
		small, serr := readAll(t, NewSQLParser(iotest.OneByteReader(bytes.NewReader(data)), "f.sql", tiny), size)
		if errString(ferr) != errString(serr) {
			t.Fatalf("block size changes the error: %v vs %v", ferr, serr)
		}
		sameRows(t, "1-byte reads", full, small)
		// Resume after every row (bounded).
		p := NewSQLParser(bytes.NewReader(data), "f.sql", opts)
		for k := 0; k < len(full) && k < 40; k++ {
			if err := p.ReadRow(context.Background()); err != nil {
				t.Fatal(err)
			}
			q := NewSQLParser(bytes.NewReader(data), "f.sql", opts)
			if err := q.SetPosition(p.Position()); err != nil {
				t.Fatalf("SetPosition(%+v): %v", p.Position(), err)
			}
			rest, err := readAll(t, q, size)
			if errString(err) != errString(ferr) {
				t.Fatalf("resume after %d: error %v, full parse %v", k, err, ferr)
			}
			sameRows(t, "resume", full[k+1:], rest)
		}
		if ferr != nil {
			return
		}
		// Chunks at statement boundaries read the same rows.
		bounds, err := SQLStatementBoundariesWithOptions(context.Background(), bytes.NewReader(data), "f.sql", 0, size/16+int64(flags%16)+1, opts)
		if err != nil {
			t.Fatal(err)
		}
		starts := append([]int64{0}, bounds...)
		var got []gotRow
		var rowID int64
		for ci, s := range starts {
			if s <= 0 && ci > 0 || s > size {
				t.Fatalf("boundary %d outside input", s)
			}
			c := NewSQLParser(bytes.NewReader(data), "f.sql", tiny)
			if err := c.SetPos(s, rowID); err != nil {
				t.Fatal(err)
			}
			if ci+1 < len(starts) {
				c.SetEnd(starts[ci+1])
			}
			rows, err := readAll(t, c, size)
			if err != nil {
				t.Fatalf("chunk at %d: %v", s, err)
			}
			got = append(got, rows...)
			if len(rows) > 0 {
				rowID = rows[len(rows)-1].RowID
			}
		}
		sameRows(t, "chunks", full, got)
	})
}

func fuzzCSVConfig(sel uint8) (config.CSV, CSVOptions) {
	cfg := config.CSV{Separator: ",", Delimiter: `"`, Null: config.StringList{`\N`}, BackslashEscape: true, EscapedBy: `\`}
	switch sel % 3 {
	case 1:
		cfg.Separator = "|*|"
	case 2:
		cfg.Separator = "\t"
	}
	switch (sel / 3) % 3 {
	case 1:
		cfg.Delimiter = "'"
	case 2:
		cfg.Delimiter = ""
	}
	switch (sel / 9) % 3 {
	case 1:
		cfg.Terminator = "\n"
	case 2:
		cfg.Terminator = "#E"
	}
	if sel&0x20 != 0 {
		cfg.BackslashEscape = false
	}
	if sel&0x40 != 0 {
		cfg.TrimLastSeparator = true
	}
	return cfg, CSVOptions{ShouldParseHeader: sel&0x80 != 0}
}

func FuzzCSVParser(f *testing.F) {
	f.Add([]byte("a,b\n1,\"x\"\"y\"\n\\N,\"\\N\"\r\n"), uint8(0))
	f.Add([]byte("a|*|'b'#E'c''d'|*|e#E"), uint8(1+3+18))
	f.Add(genCSV(5), uint8(0x80))
	f.Fuzz(func(t *testing.T, data []byte, sel uint8) {
		if len(data) > 8<<10 {
			return // resume checks are quadratic; small inputs find the bugs
		}
		cfg, opts := fuzzCSVConfig(sel)
		size := int64(len(data))
		newP := func(r io.Reader, o CSVOptions) *CSVParser {
			p, err := NewCSVParser(r, "f.csv", cfg, o)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		full, ferr := readAll(t, newP(bytes.NewReader(data), opts), size)
		tiny := opts
		tiny.ReadBlockSize = 1
		small, serr := readAll(t, newP(iotest.OneByteReader(bytes.NewReader(data)), tiny), size)
		if errString(ferr) != errString(serr) {
			t.Fatalf("block size changes the error: %v vs %v", ferr, serr)
		}
		sameRows(t, "1-byte reads", full, small)
		for k := 0; k < len(full) && k < 40; k++ {
			q := newP(bytes.NewReader(data), opts)
			if err := q.SetPos(full[k].End, full[k].RowID); err != nil {
				t.Fatal(err)
			}
			rest, err := readAll(t, q, size)
			if errString(err) != errString(ferr) {
				t.Fatalf("resume after %d: error %v, full parse %v", k, err, ferr)
			}
			sameRows(t, "resume", full[k+1:], rest)
		}
		// Strict-format chunks: only meaningful without quoting/escaping
		// (strict-format promises no terminator inside fields).
		if ferr != nil || cfg.Terminator == "" || bytes.ContainsAny(data, "\"'\\") {
			return
		}
		cut := int64(len(data) / 2)
		if cut == 0 {
			return
		}
		a := newP(bytes.NewReader(data), CSVOptions{ShouldParseHeader: opts.ShouldParseHeader, End: cut})
		ra, err := readAll(t, a, size)
		if err != nil {
			t.Fatal(err)
		}
		b := newP(bytes.NewReader(data), CSVOptions{ShouldParseHeader: opts.ShouldParseHeader, StartsAtChunkBoundary: true})
		if err := b.SetPos(cut, int64(len(ra))); err != nil {
			t.Fatal(err)
		}
		rb, err := readAll(t, b, size)
		if err != nil {
			t.Fatal(err)
		}
		sameRows(t, "strict chunks", full, append(ra, rb...))
	})
}
