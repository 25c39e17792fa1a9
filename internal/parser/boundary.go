package parser

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// SQLStatementBoundaries scans a SQL dump and returns statement boundaries
// usable as chunk starts, each at least every bytes after the previous one
// (the first at least every bytes after start). start must itself be a
// boundary (usually 0). If r is an io.Seeker it is seeked to start (offsets
// are absolute file offsets); otherwise r must already be positioned there.
//
// A boundary is the offset just past a ';' that ends a statement (outside
// quotes and comments, lexed exactly as SQLParser lexes them). Chunks
// [start,b1), [b1,b2) ... [bn,size) then partition the statements: a
// SQLParser positioned with SetPos(bi) and SetEnd(bi+1) reads exactly the
// statements that start in its chunk. A boundary at the very end of the input
// is not returned (it would start an empty chunk).
func SQLStatementBoundaries(ctx context.Context, r io.Reader, start, every int64) ([]int64, error) {
	return SQLStatementBoundariesWithOptions(ctx, r, "", start, every, SQLOptions{})
}

// SQLStatementBoundariesWithOptions is SQLStatementBoundaries honouring the
// quoting options (ANSI_QUOTES, NO_BACKSLASH_ESCAPES) the parser will use;
// path names the file in errors.
func SQLStatementBoundariesWithOptions(ctx context.Context, r io.Reader, path string, start, every int64, opts SQLOptions) ([]int64, error) {
	if start < 0 {
		return nil, fmt.Errorf("statement boundaries of %s: negative start %d", path, start)
	}
	if every < 1 {
		every = 1
	}
	if sk, ok := r.(io.Seeker); ok {
		if _, err := sk.Seek(start, io.SeekStart); err != nil {
			return nil, fmt.Errorf("statement boundaries of %s: seek to %d: %w", path, start, err)
		}
	}
	s := newSource(r, path, opts.ReadBlockSize)
	if s.block < 1<<20 {
		// Scanning is sequential; bigger blocks cost nothing here.
		s.block = 1 << 20
	}
	s.base = start
	var out []int64
	last := start
	for {
		b, eof := s.buf, s.eof
		i := s.pos
		st := stOK
	scan:
		for i < len(b) {
			switch c := b[i]; c {
			case ';':
				i++
				if off := s.offset(i); off-last >= every {
					out = append(out, off)
					last = off
				}
			case '\'', '"', '`':
				bs := c != '`' && !opts.NoBackslashEscapes && !(c == '"' && opts.ANSIQuotes)
				var k int
				k, st = scanQuoted(b, i, bs, eof)
				if st != stOK {
					break scan
				}
				i = k
			case '#', '-', '/':
				var k int
				k, st = skipSpace(b, i, eof)
				if st != stOK {
					i = k
					break scan
				}
				if k == i {
					k++
				}
				i = k
			default:
				i++
			}
		}
		s.pos = i
		if st == stErr {
			// Unterminated quote or comment: the parser will report it; no
			// further boundaries exist.
			break
		}
		if i >= len(b) && eof {
			break
		}
		if err := s.fill(ctx); err != nil {
			if errors.Is(err, io.EOF) {
				if s.eof && s.pos >= len(s.buf) {
					break
				}
				continue
			}
			return nil, fmt.Errorf("statement boundaries of %s: %w", path, err)
		}
	}
	total := s.offset(len(s.buf))
	for len(out) > 0 && out[len(out)-1] >= total {
		out = out[:len(out)-1]
	}
	return out, nil
}
