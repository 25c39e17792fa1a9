package storage

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
)

// Compression is a whole-file compression method. Package mydump has its own
// enum (chosen from file names and rules) and converts to this one; the
// dependency runs mydump → storage only.
type Compression int

const (
	CompressionNone Compression = iota
	CompressionGzip
	CompressionZstd
	// CompressionSnappy is the framed ("sNaPpY" stream identifier) format,
	// which is what Dumpling writes; raw block snappy is not accepted.
	CompressionSnappy
	// The following are recognised names that cannot be read yet.
	CompressionLZ4
	CompressionXZ
	CompressionLZO
)

func (c Compression) String() string {
	switch c {
	case CompressionNone:
		return "none"
	case CompressionGzip:
		return "gzip"
	case CompressionZstd:
		return "zstd"
	case CompressionSnappy:
		return "snappy"
	case CompressionLZ4:
		return "lz4"
	case CompressionXZ:
		return "xz"
	case CompressionLZO:
		return "lzo"
	}
	return fmt.Sprintf("compression(%d)", int(c))
}

// Supported reports whether OpenDecompressed can read c.
func (c Compression) Supported() bool {
	switch c {
	case CompressionNone, CompressionGzip, CompressionZstd, CompressionSnappy:
		return true
	}
	return false
}

// OpenDecompressed opens path and returns its decompressed content. For
// CompressionNone this is the raw file (seeks are direct). Otherwise the
// reader decompresses on the fly and emulates seeking in the decompressed
// stream: forward seeks discard, backward seeks restart from the beginning
// of the file. SeekEnd is not supported for compressed files because the
// decompressed size is unknown without reading everything.
func OpenDecompressed(ctx context.Context, store ExternalStorage, path string, c Compression) (ReadSeekCloser, error) {
	if c == CompressionNone {
		return store.Open(ctx, path)
	}
	if !c.Supported() {
		return nil, fmt.Errorf("storage: opening %q: unsupported compression %s: %w", path, c, ErrNotSupported)
	}
	r := &decompressReader{ctx: ctx, store: store, path: path, c: c}
	if err := r.open(); err != nil {
		return nil, err
	}
	return r, nil
}

// decompressReader is a decompressing stream with emulated seeking.
type decompressReader struct {
	ctx   context.Context
	store ExternalStorage
	path  string
	c     Compression

	raw      ReadSeekCloser
	dec      io.Reader
	closeDec func() error
	pos      int64 // offset in the decompressed stream
	eof      bool  // dec reported io.EOF
}

func (r *decompressReader) open() error {
	raw, err := r.store.Open(r.ctx, r.path)
	if err != nil {
		return err
	}
	r.raw, r.pos, r.eof = raw, 0, false
	switch r.c {
	case CompressionGzip:
		zr, err := gzip.NewReader(raw)
		if errors.Is(err, io.EOF) {
			// A zero-length .gz file: treat as an empty stream rather than
			// failing the whole table over a file with no rows.
			r.dec, r.closeDec, r.eof = eofReader{}, nil, true
			return nil
		}
		if err != nil {
			_ = raw.Close()
			return fmt.Errorf("storage: opening gzip stream %q: %w", r.path, err)
		}
		// Multistream (concatenated members, as written by pigz or by
		// appending) is the default and is kept.
		r.dec, r.closeDec = zr, zr.Close
	case CompressionZstd:
		// One decoder goroutine: many chunks are read in parallel already,
		// so per-stream concurrency would only add memory.
		zr, err := zstd.NewReader(raw, zstd.WithDecoderConcurrency(1))
		if err != nil {
			_ = raw.Close()
			return fmt.Errorf("storage: opening zstd stream %q: %w", r.path, err)
		}
		r.dec, r.closeDec = zr, func() error { zr.Close(); return nil }
	case CompressionSnappy:
		r.dec, r.closeDec = snappy.NewReader(raw), nil
	default:
		_ = raw.Close()
		return fmt.Errorf("storage: opening %q: unsupported compression %s: %w", r.path, r.c, ErrNotSupported)
	}
	return nil
}

func (r *decompressReader) Read(p []byte) (int, error) {
	if r.raw == nil {
		return 0, fmt.Errorf("storage: reading %q: reader is closed", r.path)
	}
	if r.eof {
		return 0, io.EOF
	}
	n, err := r.dec.Read(p)
	r.pos += int64(n)
	if errors.Is(err, io.EOF) {
		r.eof = true
		return n, io.EOF
	}
	if err != nil {
		return n, fmt.Errorf("storage: decompressing %s file %q at decompressed offset %d: %w", r.c, r.path, r.pos, err)
	}
	return n, nil
}

// Seek moves to an offset in the decompressed stream.
func (r *decompressReader) Seek(offset int64, whence int) (int64, error) {
	if r.raw == nil {
		return 0, fmt.Errorf("storage: seeking %q: reader is closed", r.path)
	}
	var target int64
	switch whence {
	case io.SeekStart:
		target = offset
	case io.SeekCurrent:
		target = r.pos + offset
	default:
		return r.pos, fmt.Errorf("storage: seeking %s file %q: only SeekStart and SeekCurrent are supported", r.c, r.path)
	}
	if target < 0 {
		return r.pos, fmt.Errorf("storage: seeking %s file %q to negative offset %d", r.c, r.path, target)
	}
	if target < r.pos {
		// Rewind: decompression only runs forward, so start over.
		if err := r.closeStreams(); err != nil {
			return 0, err
		}
		if err := r.open(); err != nil {
			return 0, err
		}
	}
	if skip := target - r.pos; skip > 0 {
		n, err := io.CopyN(io.Discard, r, skip)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return r.pos, fmt.Errorf("storage: seeking %s file %q to decompressed offset %d: stream ends at %d: %w",
					r.c, r.path, target, r.pos, io.ErrUnexpectedEOF)
			}
			return r.pos, err
		}
		_ = n
	}
	return r.pos, nil
}

func (r *decompressReader) closeStreams() error {
	var err error
	if r.closeDec != nil {
		err = r.closeDec()
		r.closeDec = nil
	}
	if r.raw != nil {
		if cerr := r.raw.Close(); err == nil {
			err = cerr
		}
		r.raw = nil
	}
	if err != nil {
		return fmt.Errorf("storage: closing %q: %w", r.path, err)
	}
	return nil
}

func (r *decompressReader) Close() error { return r.closeStreams() }

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }
