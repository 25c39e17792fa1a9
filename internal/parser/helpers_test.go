package parser

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/tempestdb/tempest/internal/config"
)

// gotRow is a deep copy of a Row plus the columns it was read with.
type gotRow struct {
	Offset, End, RowID int64
	Cols               string
	Fields             string
}

func (r gotRow) String() string {
	return fmt.Sprintf("[%d,%d)#%d cols=%s %s", r.Offset, r.End, r.RowID, r.Cols, r.Fields)
}

func fieldsString(fs []Field) string {
	var sb strings.Builder
	for i, f := range fs {
		if i > 0 {
			sb.WriteString(" | ")
		}
		sb.WriteString(f.Kind.String())
		if f.Charset != "" {
			sb.WriteString("(" + f.Charset + ")")
		}
		if f.Kind != KindNull && f.Kind != KindDefault {
			sb.WriteString(":" + quote(string(f.Bytes)))
		}
	}
	return sb.String()
}

func snapshot(p Parser) gotRow {
	r := p.LastRow()
	cols := "<nil>"
	if c := p.Columns(); c != nil {
		cols = strings.Join(c, ",")
	}
	return gotRow{Offset: r.Offset, End: r.EndOffset, RowID: r.RowID, Cols: cols, Fields: fieldsString(r.Fields)}
}

// drain reads every row, checking the Pos invariant after each.
func drain(t testing.TB, p Parser) ([]gotRow, error) {
	t.Helper()
	var out []gotRow
	ctx := context.Background()
	for {
		err := p.ReadRow(ctx)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		r := p.LastRow()
		off, id := p.Pos()
		if off != r.EndOffset || id != r.RowID {
			t.Fatalf("Pos() = (%d,%d), row ends at %d id %d", off, id, r.EndOffset, r.RowID)
		}
		if r.Offset >= r.EndOffset {
			t.Fatalf("row offsets not increasing: %d..%d", r.Offset, r.EndOffset)
		}
		if len(out) > 0 && r.Offset < out[len(out)-1].End {
			t.Fatalf("row %d starts at %d before previous end %d", len(out), r.Offset, out[len(out)-1].End)
		}
		out = append(out, snapshot(p))
	}
}

func sqlRows(t testing.TB, data []byte, opts SQLOptions, oneByte bool) ([]gotRow, error) {
	var r io.Reader = bytes.NewReader(data)
	if oneByte {
		r = iotest.OneByteReader(r)
	}
	return drain(t, NewSQLParser(r, "test.sql", opts))
}

func defaultCSV() config.CSV {
	return config.Default().Mydumper.CSV
}

func csvRows(t testing.TB, data []byte, cfg config.CSV, opts CSVOptions, oneByte bool) ([]gotRow, error) {
	var r io.Reader = bytes.NewReader(data)
	if oneByte {
		r = iotest.OneByteReader(r)
	}
	p, err := NewCSVParser(r, "test.csv", cfg, opts)
	if err != nil {
		return nil, err
	}
	return drain(t, p)
}

func sameRows(t testing.TB, what string, want, got []gotRow) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("%s: %d rows, want %d\nfirst want %v\nfirst got %v", what, len(got), len(want), head(want), head(got))
	}
	for i := range want {
		if want[i] != got[i] {
			t.Fatalf("%s: row %d differs\nwant %v\n got %v", what, i, want[i], got[i])
		}
	}
}

func head(r []gotRow) []gotRow {
	if len(r) > 3 {
		return r[:3]
	}
	return r
}
