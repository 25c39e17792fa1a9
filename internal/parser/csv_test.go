package parser

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/config"
)

func TestCSVBasics(t *testing.T) {
	noHeader := defaultCSV()
	noHeader.Header = false
	cases := []struct {
		name string
		cfg  func(c *config.CSV)
		in   string
		want []string
	}{
		{"plain", nil, "a,b,c\n1,2,3\n", []string{`string:"a" | string:"b" | string:"c"`, `string:"1" | string:"2" | string:"3"`}},
		{"crlf and last line without terminator", nil, "a,b\r\nc,d", []string{`string:"a" | string:"b"`, `string:"c" | string:"d"`}},
		{"bare cr", nil, "a\rb\r", []string{`string:"a"`, `string:"b"`}},
		{"quoted", nil, `"a,b","c""d",""` + "\n", []string{`string:"a,b" | string:"c\"d" | string:""`}},
		{"quoted newline", nil, "\"a\nb\",c\n", []string{`string:"a\nb" | string:"c"`}},
		{"null", nil, `\N,"\N",N,,""` + "\n", []string{`NULL | NULL | string:"N" | string:"" | string:""`}},
		{"escapes", nil, `a\,b,"\"\\n\0\b\r\t\Z\q"` + "\n", []string{`string:"a,b" | string:"\"\\n\x00\b\r\t\x1aq"`}},
		{"escaped newline", nil, "\"3\",\"\\\n\"\n", []string{`string:"3" | string:"\n"`}},
		{"empty strings", nil, "1,,\"\"\n2,,\n3,\"\"\"\",\n4,\"\",\"\"\n", []string{
			`string:"1" | string:"" | string:""`, `string:"2" | string:"" | string:""`,
			`string:"3" | string:"\"" | string:""`, `string:"4" | string:"" | string:""`}},
		{"trailing blank lines", nil, "4,1\n5,2\n6,3\n\n", []string{`string:"4" | string:"1"`, `string:"5" | string:"2"`, `string:"6" | string:"3"`}},
		{"trailing separator kept", nil, "a,\n", []string{`string:"a" | string:""`}},
		{"trim last separator", func(c *config.CSV) { c.TrimLastSeparator = true }, "a,b,\nc,\n", []string{`string:"a" | string:"b"`, `string:"c"`}},
		{"bom", nil, "\xEF\xBB\xBFa,b\n", []string{`string:"a" | string:"b"`}},
		{"not-null", func(c *config.CSV) { c.NotNull = true }, "\\N,\n", []string{`string:"N" | string:""`}},
		{"null list", func(c *config.CSV) { c.Null = config.StringList{"NULL", ""} }, "NULL,,x\n", []string{`NULL | NULL | string:"x"`}},
		{"empty null list means empty string", func(c *config.CSV) { c.Null = nil }, "a,,\"\"\n", []string{`string:"a" | NULL | NULL`}},
		{"no escapes", func(c *config.CSV) { c.BackslashEscape = false }, `a\n,"b\"` + "\n", []string{`string:"a\\n" | string:"b\\"`}},
		{"escaped-by", func(c *config.CSV) { c.EscapedBy = "!"; c.BackslashEscape = false }, `a!,b,\n` + "\n", []string{`string:"a,b" | string:"\\n"`}},
		{"multi-char", func(c *config.CSV) { c.Separator = "|*|"; c.Delimiter = "$$"; c.Terminator = "#END#\n" },
			"a|*|$$b|*|c$$$$d$$|*|$$x#END#\ny$$#END#\nq|*|r#END#\n",
			[]string{`string:"a" | string:"b|*|c$$d" | string:"x#END#\ny"`, `string:"q" | string:"r"`}},
		{"terminator beats separator", func(c *config.CSV) { c.Separator = ","; c.Terminator = ",\n" }, "a,b,\nc,\n", []string{`string:"a" | string:"b"`, `string:"c"`}},
		{"no delimiter", func(c *config.CSV) { c.Delimiter = "" }, `"a",b` + "\n", []string{`string:"\"a\"" | string:"b"`}},
		{"quote in unquoted field", nil, `a"b,c` + "\n", []string{`string:"a\"b" | string:"c"`}},
	}
	for _, c := range cases {
		cfg := noHeader
		if c.cfg != nil {
			c.cfg(&cfg)
		}
		for _, bs := range []int{0, 1, 2} {
			rows, err := csvRows(t, []byte(c.in), cfg, CSVOptions{ReadBlockSize: bs}, bs == 1)
			if err != nil {
				t.Errorf("%s (block %d): %v", c.name, bs, err)
				continue
			}
			var got []string
			for _, r := range rows {
				got = append(got, r.Fields)
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("%s (block %d):\n got %q\nwant %q", c.name, bs, got, c.want)
			}
		}
	}
}

func TestCSVIssue519(t *testing.T) {
	data := "'a','b'\n'''','\"'\n'\"',''''''\n'''''','\"\"'\n'\"\"','''\"'''\n'''\"''','\"''''''\"''\"'\n" +
		"'\"''''''''\"''\"','\"''\"''''''''''\"'\n'\"''\"''\"''''''''\"',''\n'a\",b,\"a','a,\"c\",a'\n'bbaa|*|aabb','bba|*|a|*|abb'\n"
	cfg := config.CSV{Separator: ",", Delimiter: "'", Header: true, Null: config.StringList{`\N`}, EscapedBy: `\`}
	p, err := NewCSVParser(strings.NewReader(data), "issue519.t.csv", cfg, CSVOptions{ShouldParseHeader: true, ReadBlockSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := drain(t, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 9 || rows[0].Cols != "a,b" {
		t.Fatalf("got %d rows %v", len(rows), rows)
	}
	if rows[0].Fields != `string:"'" | string:"\""` {
		t.Errorf("row 0: %s", rows[0].Fields)
	}
	// a = 0x2227272727222722, b = 0x222722272727272722
	if rows[5].Fields != `string:"\"''''\"'\"" | string:"\"'\"'''''\""` {
		t.Errorf("row 5: %s", rows[5].Fields)
	}
	if rows[8].Fields != `string:"bbaa|*|aabb" | string:"bba|*|a|*|abb"` {
		t.Errorf("row 8: %s", rows[8].Fields)
	}
}

func TestCSVErrors(t *testing.T) {
	cfg := defaultCSV()
	cfg.Header = false
	for _, c := range []struct {
		in     string
		offset int64
		reason string
	}{
		{"a,b\n\"c,d\n", 4, "unterminated quoted field"},
		{"a,\"b\"x,c\n", 2, "unexpected data after closing delimiter"},
	} {
		_, err := csvRows(t, []byte(c.in), cfg, CSVOptions{ReadBlockSize: 1}, true)
		var se *SyntaxError
		if !errors.As(err, &se) || se.Offset != c.offset || !strings.Contains(se.Reason, c.reason) {
			t.Errorf("%q: got %v", c.in, err)
		}
	}
	for _, bad := range []config.CSV{
		{Separator: ""},
		{Separator: ",", Delimiter: ",,"},
		{Separator: ",", EscapedBy: "ab"},
		{Separator: ",", EscapedBy: ","},
	} {
		if _, err := NewCSVParser(strings.NewReader(""), "x.csv", bad, CSVOptions{}); err == nil {
			t.Errorf("config %+v accepted", bad)
		}
	}
}

func genCSV(rows int) []byte {
	var b bytes.Buffer
	b.WriteString("id,name,v,note\n")
	for i := 1; i <= rows; i++ {
		s := itoa(int64(i))
		switch i % 4 {
		case 0:
			b.WriteString(s + ",\"name " + s + "\",1.5,\\N\n")
		case 1:
			b.WriteString(s + ",plain" + s + ",,\"with \"\"quotes\"\" and, comma\"\n")
		case 2:
			b.WriteString(s + ",\"esc\\ttab\",-7,\"" + strings.Repeat("x", 60) + "\"\r\n")
		default:
			b.WriteString(s + ",中文,0,\n")
		}
	}
	return b.Bytes()
}

func TestCSVResume(t *testing.T) {
	data := genCSV(40)
	cfg := defaultCSV()
	opts := CSVOptions{ShouldParseHeader: true, ReadBlockSize: 3}
	full, err := csvRows(t, data, cfg, opts, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(full) != 40 || full[0].Cols != "id,name,v,note" {
		t.Fatalf("%d rows, cols %s", len(full), full[0].Cols)
	}
	ends := []int64{0}
	for _, r := range full {
		ends = append(ends, r.End)
	}
	for k, off := range ends {
		p, err := NewCSVParser(bytes.NewReader(data), "t.csv", cfg, opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.SetPos(off, int64(k)); err != nil {
			t.Fatal(err)
		}
		rest, err := drain(t, p)
		if err != nil {
			t.Fatal(err)
		}
		sameRows(t, "csv resume after row "+itoa(int64(k)), full[k:], rest)
	}
}

// TestCSVStrictChunks cuts the file at every byte offset and checks that two
// chunks [0,c) and [c,EOF) read the full row sequence exactly once.
func TestCSVStrictChunks(t *testing.T) {
	for _, term := range []string{"\n", "\r\n", "#END#"} {
		cfg := defaultCSV()
		cfg.Terminator = term
		cfg.Header = true
		data := strings.ReplaceAll(strings.ReplaceAll(string(genCSV(12)), "\r\n", "\n"), "\n", term)
		opts := CSVOptions{ShouldParseHeader: true, ReadBlockSize: 4}
		full, err := csvRows(t, []byte(data), cfg, opts, false)
		if err != nil {
			t.Fatal(err)
		}
		for c := 1; c < len(data); c++ {
			a, err := NewCSVParser(strings.NewReader(data), "t.csv", cfg, CSVOptions{ShouldParseHeader: true, End: int64(c)})
			if err != nil {
				t.Fatal(err)
			}
			ra, err := drain(t, a)
			if err != nil {
				t.Fatal(err)
			}
			b, err := NewCSVParser(strings.NewReader(data), "t.csv", cfg, CSVOptions{ShouldParseHeader: true, StartsAtChunkBoundary: true, ReadBlockSize: 2})
			if err != nil {
				t.Fatal(err)
			}
			if err := b.SetPos(int64(c), int64(len(ra))); err != nil {
				t.Fatal(err)
			}
			rb, err := drain(t, b)
			if err != nil {
				t.Fatalf("term %q cut %d: %v", term, c, err)
			}
			sameRows(t, "term "+quote(term)+" cut "+itoa(int64(c)), full, append(ra, rb...))
		}
	}
}

func TestCSVReadHeaderAndSetColumns(t *testing.T) {
	p, err := NewCSVParser(strings.NewReader("x,y\n1,2\n"), "h.csv", defaultCSV(), CSVOptions{ShouldParseHeader: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.ReadHeader(context.Background()); err != nil {
		t.Fatal(err)
	}
	if strings.Join(p.Columns(), ",") != "x,y" {
		t.Fatalf("columns %v", p.Columns())
	}
	if err := p.ReadRow(context.Background()); err != nil || p.LastRow().Offset != 4 {
		t.Fatalf("%v %+v", err, p.LastRow())
	}
	if err := p.ReadRow(context.Background()); !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	q, _ := NewCSVParser(strings.NewReader("1,2\n"), "h.csv", defaultCSV(), CSVOptions{ShouldParseHeader: true})
	q.SetColumns([]string{"a", "b"})
	rows, err := drain(t, q)
	if err != nil || len(rows) != 1 || rows[0].Cols != "a,b" {
		t.Fatalf("%v %v", rows, err)
	}
}
