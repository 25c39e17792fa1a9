package parser

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// DefaultReadBlockSize is used when an option leaves ReadBlockSize at zero;
// it matches Lightning's [mydumper].read-block-size default.
const DefaultReadBlockSize = 64 << 10

// maxEmptyReads bounds consecutive (0, nil) reads before giving up, so a
// misbehaving reader cannot spin a parser forever.
const maxEmptyReads = 100

// status is the outcome of one restartable scanning step.
type status uint8

const (
	stOK   status = iota // the step consumed input and may be repeated
	stMore               // the step ran off the buffered input; fill and retry from the same place
	stRow                // a row is ready in LastRow
	stEOF                // no more rows
	stErr                // a syntax error was recorded
)

// source is a growable window over the input stream.
//
// Invariant: buf[pos:] is unconsumed input, base is the stream offset of
// buf[0], so the stream offset of buf[i] is base+i. Scanners never keep
// pointers into buf across a fill: they keep indexes relative to pos and
// restart from pos after fill, which is what allows fill to move data.
type source struct {
	r     io.Reader
	path  string
	buf   []byte
	pos   int
	base  int64
	eof   bool // r has reported io.EOF; buf holds everything that is left
	block int
}

func newSource(r io.Reader, path string, block int) source {
	if block <= 0 {
		block = DefaultReadBlockSize
	}
	return source{r: r, path: path, block: block}
}

// offset is the stream offset of buf[i].
func (s *source) offset(i int) int64 { return s.base + int64(i) }

// fill drops consumed input and appends more. It reads at least the block
// size and at least as much as is already pending, so a token that is
// retried after every fill costs amortised linear time even with a 1-byte
// block size. It returns io.EOF when the stream is exhausted and nothing was
// added.
func (s *source) fill(ctx context.Context) error {
	if s.eof {
		return io.EOF
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.pos > 0 {
		n := copy(s.buf, s.buf[s.pos:])
		s.buf = s.buf[:n]
		s.base += int64(s.pos)
		s.pos = 0
	}
	want := s.block
	if pending := len(s.buf); pending > want {
		want = pending
	}
	if need := len(s.buf) + want; cap(s.buf) < need {
		c := 2 * cap(s.buf)
		if c < need {
			c = need
		}
		nb := make([]byte, len(s.buf), c)
		copy(nb, s.buf)
		s.buf = nb
	}
	got, empty := 0, 0
	for got < want {
		n, err := s.r.Read(s.buf[len(s.buf):cap(s.buf)])
		if n < 0 || n > cap(s.buf)-len(s.buf) {
			return fmt.Errorf("read %s at offset %d: reader returned invalid count %d", s.path, s.offset(len(s.buf)), n)
		}
		s.buf = s.buf[:len(s.buf)+n]
		got += n
		if err == io.EOF {
			s.eof = true
			break
		}
		if err != nil {
			return fmt.Errorf("read %s at offset %d: %w", s.path, s.offset(len(s.buf)), err)
		}
		if n == 0 {
			empty++
			if empty >= maxEmptyReads {
				return fmt.Errorf("read %s at offset %d: %w", s.path, s.offset(len(s.buf)), io.ErrNoProgress)
			}
			continue
		}
		empty = 0
	}
	if got == 0 && s.eof {
		return io.EOF
	}
	return nil
}

// seek moves the window so that the next unconsumed byte is at stream offset
// off. It reuses buffered data when possible, seeks when the reader can, and
// otherwise reads forward and discards.
func (s *source) seek(off int64) error {
	if off < 0 {
		return fmt.Errorf("seek %s: negative offset %d", s.path, off)
	}
	end := s.offset(len(s.buf))
	if off >= s.base && off <= end {
		s.pos = int(off - s.base)
		return nil
	}
	if sk, ok := s.r.(io.Seeker); ok {
		if _, err := sk.Seek(off, io.SeekStart); err != nil {
			return fmt.Errorf("seek %s to offset %d: %w", s.path, off, err)
		}
		s.buf = s.buf[:0]
		s.pos = 0
		s.base = off
		s.eof = false
		return nil
	}
	if off < s.base {
		return fmt.Errorf("seek %s to offset %d: reader is not seekable and has already passed offset %d", s.path, off, s.base)
	}
	// Forward-only reader: discard the gap.
	n, err := io.CopyN(io.Discard, s.r, off-end)
	s.buf = s.buf[:0]
	s.pos = 0
	s.base = end + n
	if err != nil {
		if errors.Is(err, io.EOF) {
			// Positioned past the end: the parser simply has no more rows.
			s.eof = true
			return nil
		}
		return fmt.Errorf("skip %s to offset %d: %w", s.path, off, err)
	}
	return nil
}

// excerpt returns a short printable context starting at buf[i], for errors.
func (s *source) excerpt(i int) string {
	if i < 0 {
		i = 0
	}
	if i > len(s.buf) {
		i = len(s.buf)
	}
	j := i + 32
	if j > len(s.buf) {
		j = len(s.buf)
	}
	return string(s.buf[i:j])
}

// scratchFix records a field whose bytes are scratch[start:end]. Fields
// that alias the source buffer get their Bytes immediately (the buffer does
// not move while one row is scanned: a fill restarts the row), but scratch
// may be reallocated by later appends in the same row, so those Bytes are
// set only once the row is complete.
type scratchFix struct{ idx, start, end int }

func applyFixes(fields []Field, fix []scratchFix, scratch []byte) {
	for _, f := range fix {
		fields[f.idx].Bytes = scratch[f.start:f.end:f.end]
	}
}

// Position is a resumable parser position. Offset and RowID are what Pos
// reports; StmtStart is the start of the SQL statement that Offset lies in
// (equal to Offset for CSV and at statement boundaries).
type Position struct {
	StmtStart int64 `json:"stmtStart"`
	Offset    int64 `json:"offset"`
	RowID     int64 `json:"rowID"`
}

// Positioner is implemented by both parsers: the full resume state.
type Positioner interface {
	Position() Position
	SetPosition(pos Position) error
}
