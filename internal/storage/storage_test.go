package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
)

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLocalWalkOrderAndSymlinks(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	other := t.TempDir()
	writeFile(t, filepath.Join(dir, "a", "x.sql"), []byte("1"))
	writeFile(t, filepath.Join(dir, "a.b.sql"), []byte("22"))
	writeFile(t, filepath.Join(dir, "B.sql"), []byte("333"))
	writeFile(t, filepath.Join(other, "target.sql"), []byte("4444"))
	writeFile(t, filepath.Join(other, "sub", "in.csv"), []byte("55555"))
	if err := os.Symlink(filepath.Join(other, "target.sql"), filepath.Join(dir, "link.sql")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(other, "sub"), filepath.Join(dir, "linkdir")); err != nil {
		t.Fatal(err)
	}
	for _, root := range []string{dir, "file://" + dir, "local://" + dir} {
		s, err := Parse(root)
		if err != nil {
			t.Fatalf("Parse(%q): %v", root, err)
		}
		var got []string
		err = s.WalkDir(ctx, func(p string, size int64) error {
			got = append(got, fmt.Sprintf("%s:%d", p, size))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Byte order: "B" < "a.b.sql" < "a/x.sql" ('.' < '/').
		want := []string{"B.sql:3", "a.b.sql:2", "a/x.sql:1", "link.sql:4", "linkdir/in.csv:5"}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("walk %q: got %v, want %v", root, got, want)
		}
	}
	s, _ := NewLocal(dir)
	f, err := s.Open(ctx, "linkdir/in.csv")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "55555" {
		t.Fatalf("read %q", b)
	}
	if _, err := s.Open(ctx, "../x"); err == nil {
		t.Fatal("expected error opening a path outside the root")
	}
}

func TestLocalSymlinkLoop(t *testing.T) {
	dir := t.TempDir()
	if err := os.Symlink(dir, filepath.Join(dir, "loop")); err != nil {
		t.Fatal(err)
	}
	s, err := NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	err = s.WalkDir(context.Background(), func(string, int64) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "loop") {
		t.Fatalf("want loop error, got %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	if _, err := NewLocal(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("missing root must fail")
	}
	for _, u := range []string{"s3://bucket/prefix?access-key=SECRET", "gcs://b/p", "gs://b/p", "azure://c/p"} {
		_, err := Parse(u)
		if !errors.Is(err, ErrNotSupported) {
			t.Fatalf("Parse(%q) = %v, want ErrNotSupported", u, err)
		}
		if strings.Contains(err.Error(), "SECRET") {
			t.Fatalf("error leaks query string: %v", err)
		}
	}
	if _, err := Parse("ftp://x/y"); err == nil || errors.Is(err, ErrNotSupported) {
		t.Fatalf("unknown scheme: %v", err)
	}
}

func compressBytes(t *testing.T, c Compression, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.WriteCloser
	switch c {
	case CompressionGzip:
		w = gzip.NewWriter(&buf)
	case CompressionZstd:
		zw, err := zstd.NewWriter(&buf)
		if err != nil {
			t.Fatal(err)
		}
		w = zw
	case CompressionSnappy:
		w = snappy.NewBufferedWriter(&buf)
	default:
		t.Fatalf("no writer for %s", c)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDecompressRoundTripAndSeek(t *testing.T) {
	ctx := context.Background()
	var plain bytes.Buffer
	for i := 0; i < 20000; i++ {
		fmt.Fprintf(&plain, "(%d,'row-%d'),\n", i, i*7)
	}
	data := plain.Bytes()
	dir := t.TempDir()
	files := map[Compression]string{
		CompressionNone:   "t.sql",
		CompressionGzip:   "t.sql.gz",
		CompressionZstd:   "t.sql.zst",
		CompressionSnappy: "t.sql.snappy",
	}
	for c, name := range files {
		if c == CompressionNone {
			writeFile(t, filepath.Join(dir, name), data)
		} else {
			writeFile(t, filepath.Join(dir, name), compressBytes(t, c, data))
		}
	}
	s, err := NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	for c, name := range files {
		t.Run(c.String(), func(t *testing.T) {
			r, err := OpenDecompressed(ctx, s, name, c)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			got, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("round trip mismatch: %d vs %d bytes", len(got), len(data))
			}
			// Backward seek (restart), then forward seek (discard), then a
			// relative seek.
			for _, off := range []int64{123457, 5, 200000, 200000} {
				pos, err := r.Seek(off, io.SeekStart)
				if err != nil || pos != off {
					t.Fatalf("Seek(%d) = %d, %v", off, pos, err)
				}
				buf := make([]byte, 40)
				if _, err := io.ReadFull(r, buf); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(buf, data[off:off+40]) {
					t.Fatalf("at %d got %q want %q", off, buf, data[off:off+40])
				}
			}
			pos, err := r.Seek(10, io.SeekCurrent)
			if err != nil || pos != 200050 {
				t.Fatalf("SeekCurrent: %d %v", pos, err)
			}
			b := make([]byte, 3)
			io.ReadFull(r, b)
			if !bytes.Equal(b, data[200050:200053]) {
				t.Fatalf("after SeekCurrent got %q", b)
			}
			if c != CompressionNone {
				if _, err := r.Seek(int64(len(data))+10, io.SeekStart); !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("seek past end: %v", err)
				}
			}
		})
	}
	if _, err := OpenDecompressed(ctx, s, "t.sql", CompressionLZ4); !errors.Is(err, ErrNotSupported) {
		t.Fatalf("lz4: %v", err)
	}
	writeFile(t, filepath.Join(dir, "bad.gz"), []byte("not gzip at all"))
	if _, err := OpenDecompressed(ctx, s, "bad.gz", CompressionGzip); err == nil || !strings.Contains(err.Error(), "bad.gz") {
		t.Fatalf("corrupt gzip: %v", err)
	}
}
