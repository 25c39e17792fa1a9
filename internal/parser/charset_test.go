package parser

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestCharsetReader(t *testing.T) {
	cases := []struct {
		charset, replace string
		in               []byte
		want             string
	}{
		{"binary", "?", []byte("a\xff\xfeb"), "a\xff\xfeb"},
		{"", "?", []byte("\xff"), "\xff"},
		{"utf8mb4", "\uFFFD", []byte("ok 中文 \xff end"), "ok 中文 \uFFFD end"},
		{"utf8mb4", "?", []byte("a\xe4\xb8b"), "a??b"}, // truncated sequence: one per byte
		{"UTF8", "", []byte("a\xc0\xafb"), "ab"},
		{"ascii", "?", []byte("a\xe4\xb8\xadb"), "a???b"},
		{"gb18030", "\uFFFD", []byte("\xd6\xd0\xce\xc4"), "中文"},
		{"gbk", "\uFFFD", []byte("\xd6\xd0\xce\xc4,x"), "中文,x"},
		{"gb18030", "?", []byte("a\xd6"), "a?"},
		{"latin1", "?", []byte("caf\xe9 \x80"), "café €"},
	}
	for _, c := range cases {
		for _, one := range []bool{false, true} {
			var src io.Reader = bytes.NewReader(c.in)
			if one {
				src = iotest.OneByteReader(src)
			}
			r, err := NewCharsetReader(src, c.charset, c.replace)
			if err != nil {
				t.Fatalf("%s: %v", c.charset, err)
			}
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatalf("%s: %v", c.charset, err)
			}
			if string(got) != c.want {
				t.Errorf("%s %q (one-byte %v): got %q want %q", c.charset, c.in, one, got, c.want)
			}
		}
	}
	if _, err := NewCharsetReader(strings.NewReader(""), "ebcdic", "?"); err == nil {
		t.Error("unknown charset accepted")
	}
}

func TestCharsetReaderFeedsCSV(t *testing.T) {
	r, err := NewCharsetReader(bytes.NewReader([]byte("\xd6\xd0,\xce\xc4\n")), "gb18030", "\uFFFD")
	if err != nil {
		t.Fatal(err)
	}
	cfg := defaultCSV()
	cfg.Header = false
	p, err := NewCSVParser(r, "gb.csv", cfg, CSVOptions{ReadBlockSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := drain(t, p)
	if err != nil {
		t.Fatal(err)
	}
	// Offsets count converted (UTF-8) bytes: two 3-byte runes, ',' and '\n'.
	if len(rows) != 1 || rows[0].Fields != `string:"中" | string:"文"` || rows[0].End != 8 {
		t.Fatalf("got %v", rows)
	}
}
