package parser

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/tempestdb/tempest/internal/config"
)

// CSVOptions configure NewCSVParser.
type CSVOptions struct {
	// ReadBlockSize is the read granularity; 0 means DefaultReadBlockSize.
	// Rows longer than a block still work: the buffer grows.
	ReadBlockSize int
	// ShouldParseHeader: the first line of the file is a header (cfg.Header
	// after the caller has decided it applies). Its names become Columns().
	// When the parser is positioned past offset 0 it reads the header from
	// offset 0 first (seeking back), unless SetColumns was called.
	ShouldParseHeader bool
	// StartsAtChunkBoundary: the first SetPos names a strict-format chunk
	// start that may fall inside a row; the parser then begins at the first
	// row that starts at or after that offset. Resuming from a Pos() must
	// use a parser without this flag (Pos offsets are exact).
	StartsAtChunkBoundary bool
	// End > 0 makes the parser stop before the first row that starts at or
	// after End (equivalent to SetEnd).
	End int64
}

// CSVParser reads rows of a CSV file configured by [mydumper.csv]. It
// implements Parser and Positioner. Fields are KindString or KindNull.
type CSVParser struct {
	src source

	sep, delim, term []byte
	anyNL            bool // empty terminator: \n, \r\n or \r
	esc              int  // escape byte, -1 for none
	nulls            [][]byte
	trimLastSep      bool
	stop             [256]bool // bytes that interrupt an unquoted field

	header     bool
	headerDone bool
	headerEnd  int64 // offset just past the header row, 0 if none was read
	bomDone    bool
	alignOpt   bool // StartsAtChunkBoundary not yet applied
	align      bool // skipping to the first row start
	end        int64

	cols    []string
	fix     []scratchFix
	scratch []byte
	fields  []Field
	row     Row
	rowID   int64
	lastEnd int64

	err error
}

// NewCSVParser validates cfg and returns a parser reading r from offset 0.
// r must be at offset 0 of the (decompressed) file: positioning seeks an
// io.Seeker with absolute offsets and otherwise reads forward and discards.
//
// Escape rule: escaped-by wins when set; backslash-escape = false turns off
// the default escaped-by '\' (a task file that says backslash-escape = false
// and leaves escaped-by alone means "no escapes"); backslash-escape = true
// with an empty escaped-by means '\'.
//
// Null rule: with not-null nothing is NULL; otherwise a field whose text
// (between the delimiters, before unescaping, so quoted "\N" counts) equals
// one of cfg.Null is NULL, and an empty null list means [""].
func NewCSVParser(r io.Reader, path string, cfg config.CSV, opts CSVOptions) (*CSVParser, error) {
	p := &CSVParser{
		src:         newSource(r, path, opts.ReadBlockSize),
		sep:         []byte(cfg.Separator),
		delim:       []byte(cfg.Delimiter),
		term:        []byte(cfg.Terminator),
		anyNL:       cfg.Terminator == "",
		esc:         -1,
		trimLastSep: cfg.TrimLastSeparator,
		header:      opts.ShouldParseHeader,
		alignOpt:    opts.StartsAtChunkBoundary,
		end:         -1,
	}
	if opts.End > 0 {
		p.end = opts.End
	}
	if len(p.sep) == 0 {
		return nil, fmt.Errorf("csv parser for %s: separator must not be empty", path)
	}
	if len(p.delim) > 0 && (bytes.HasPrefix(p.sep, p.delim) || bytes.HasPrefix(p.delim, p.sep)) {
		return nil, fmt.Errorf("csv parser for %s: separator %q and delimiter %q must not be prefixes of each other", path, cfg.Separator, cfg.Delimiter)
	}
	switch {
	case cfg.EscapedBy != "" && (cfg.BackslashEscape || cfg.EscapedBy != `\`):
		if len(cfg.EscapedBy) != 1 {
			return nil, fmt.Errorf("csv parser for %s: escaped-by %q must be a single byte", path, cfg.EscapedBy)
		}
		p.esc = int(cfg.EscapedBy[0])
	case cfg.EscapedBy == "" && cfg.BackslashEscape:
		p.esc = '\\'
	}
	if p.esc >= 0 {
		e := byte(p.esc)
		if e == p.sep[0] || (len(p.delim) > 0 && e == p.delim[0]) || (len(p.term) > 0 && e == p.term[0]) ||
			(p.anyNL && (e == '\n' || e == '\r')) {
			return nil, fmt.Errorf("csv parser for %s: escape %q must differ from separator, delimiter and terminator", path, string(e))
		}
	}
	if !cfg.NotNull {
		if len(cfg.Null) == 0 {
			p.nulls = [][]byte{{}}
		}
		for _, n := range cfg.Null {
			p.nulls = append(p.nulls, []byte(n))
		}
	}
	p.stop[p.sep[0]] = true
	if p.anyNL {
		p.stop['\n'] = true
		p.stop['\r'] = true
	} else {
		p.stop[p.term[0]] = true
	}
	if p.esc >= 0 {
		p.stop[p.esc] = true
	}
	return p, nil
}

// SetEnd stops the parser before the first row that starts at or after end
// (a chunk [start,end) owns the rows starting inside it). end < 0: no limit.
func (p *CSVParser) SetEnd(end int64) {
	if end < 0 {
		end = -1
	}
	p.end = end
}

// SetColumns supplies the header names (read elsewhere); the parser then
// never parses a header itself.
func (p *CSVParser) SetColumns(cols []string) {
	p.cols = cols
	p.headerDone = true
}

// Columns are the header names (nil without a header).
func (p *CSVParser) Columns() []string { return p.cols }

// LastRow is the row read by the last successful ReadRow.
func (p *CSVParser) LastRow() Row { return p.row }

// Pos is the offset just past the last row and its row ID.
func (p *CSVParser) Pos() (int64, int64) { return p.lastEnd, p.rowID }

// Position is Pos as a Position (StmtStart = Offset).
func (p *CSVParser) Position() Position {
	return Position{StmtStart: p.lastEnd, Offset: p.lastEnd, RowID: p.rowID}
}

// SetPosition is SetPos(pos.Offset, pos.RowID).
func (p *CSVParser) SetPosition(pos Position) error { return p.SetPos(pos.Offset, pos.RowID) }

// SetPos continues at offset, which must be a row start (a Pos() value or
// offset 0) unless this is the first SetPos of a parser created with
// StartsAtChunkBoundary.
func (p *CSVParser) SetPos(offset, rowID int64) error {
	if offset < 0 {
		return fmt.Errorf("csv parser for %s: negative offset %d", p.src.path, offset)
	}
	p.err = nil
	if p.header && !p.headerDone && offset > 0 {
		if err := p.src.seek(0); err != nil {
			return err
		}
		if err := p.ReadHeader(context.Background()); err != nil {
			return err
		}
	}
	target := offset
	p.align = false
	if p.headerEnd > 0 && offset <= p.headerEnd {
		// Rows start after the header; never align into it.
		offset, target = p.headerEnd, p.headerEnd
	} else if p.alignOpt && offset > 0 {
		tl := int64(len(p.term))
		if p.anyNL {
			tl = 1
		}
		target = offset - tl
		if target < 0 {
			target = 0
		}
		p.align = true
	}
	p.alignOpt = false
	if err := p.src.seek(target); err != nil {
		return err
	}
	if offset > 0 {
		p.bomDone = true
		p.headerDone = true
	}
	p.rowID = rowID
	p.lastEnd = offset
	p.row = Row{}
	return nil
}

// Close closes the underlying reader when it is an io.Closer.
func (p *CSVParser) Close() error {
	if c, ok := p.src.r.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// ReadHeader parses the header now (when ShouldParseHeader and not yet
// done), so Columns() is known before the first row.
func (p *CSVParser) ReadHeader(ctx context.Context) error {
	for p.header && !p.headerDone {
		if err := p.run(ctx, true); err != nil {
			if errors.Is(err, io.EOF) {
				p.headerDone = true
				return nil
			}
			return err
		}
	}
	return nil
}

// ReadRow parses the next row.
func (p *CSVParser) ReadRow(ctx context.Context) error {
	return p.run(ctx, false)
}

func (p *CSVParser) run(ctx context.Context, headerOnly bool) error {
	if p.err != nil {
		return p.err
	}
	for {
		switch p.step() {
		case stOK:
			if headerOnly && p.headerDone {
				return nil
			}
		case stRow:
			return nil
		case stEOF:
			return io.EOF
		case stErr:
			return p.err
		case stMore:
			if p.src.eof {
				return fmt.Errorf("parse %s at offset %d: internal error: scanner wants input after end of file", p.src.path, p.src.offset(p.src.pos))
			}
			if err := p.src.fill(ctx); err != nil && !errors.Is(err, io.EOF) {
				return err
			}
		}
	}
}

func (p *CSVParser) fail(i int, reason string) status {
	p.err = &SyntaxError{Path: p.src.path, Offset: p.src.offset(i), Reason: reason, Context: p.src.excerpt(i)}
	return stErr
}

// match reports whether pat occurs at b[i]; more means b ends inside a
// possible match.
func match(b []byte, i int, pat []byte, eof bool) (ok, more bool) {
	if len(b)-i >= len(pat) {
		return bytes.Equal(b[i:i+len(pat)], pat), false
	}
	if !eof && bytes.HasPrefix(pat, b[i:]) {
		return false, true
	}
	return false, false
}

// matchTerm returns the length of the terminator at b[i] (0 if none).
func (p *CSVParser) matchTerm(b []byte, i int, eof bool) (int, bool) {
	if i >= len(b) {
		return 0, !eof
	}
	if p.anyNL {
		switch b[i] {
		case '\n':
			return 1, false
		case '\r':
			if i+1 >= len(b) {
				if eof {
					return 1, false
				}
				return 0, true
			}
			if b[i+1] == '\n' {
				return 2, false
			}
			return 1, false
		}
		return 0, false
	}
	ok, more := match(b, i, p.term, eof)
	if ok {
		return len(p.term), false
	}
	return 0, more
}

// step consumes a blank line, the BOM, the header, the chunk alignment or
// one row.
func (p *CSVParser) step() status {
	s := &p.src
	b, eof := s.buf, s.eof
	i := s.pos
	if p.align {
		return p.stepAlign(b, i, eof)
	}
	if !p.bomDone {
		if s.offset(i) == 0 {
			bom := []byte{0xEF, 0xBB, 0xBF}
			ok, more := match(b, i, bom, eof)
			if more {
				return stMore
			}
			if ok {
				s.pos = i + 3
				i = s.pos
			}
		}
		p.bomDone = true
	}
	header := p.header && !p.headerDone
	if !header && p.end >= 0 && s.offset(i) >= p.end {
		return stEOF
	}
	if i >= len(b) {
		if !eof {
			return stMore
		}
		return stEOF
	}
	tl, more := p.matchTerm(b, i, eof)
	if more {
		return stMore
	}
	if tl > 0 {
		// Blank lines carry no row (a trailing blank line is common).
		s.pos = i + tl
		return stOK
	}
	next, st := p.scanRow(b, i, eof)
	if st != stOK {
		return st
	}
	applyFixes(p.fields, p.fix, p.scratch)
	s.pos = next
	if header {
		cols := make([]string, len(p.fields))
		for k, f := range p.fields {
			cols[k] = string(f.Bytes)
		}
		p.cols = cols
		p.headerDone = true
		p.headerEnd = s.offset(next)
		p.fields = p.fields[:0]
		return stOK
	}
	p.rowID++
	p.row = Row{Fields: p.fields, Offset: s.offset(i), EndOffset: s.offset(next), RowID: p.rowID}
	p.lastEnd = p.row.EndOffset
	return stRow
}

// stepAlign moves to just past the first terminator found at or after the
// seek target (chunk start minus the terminator length): that is the first
// row starting at or after the chunk start.
func (p *CSVParser) stepAlign(b []byte, i int, eof bool) status {
	s := &p.src
	k := -1
	if p.anyNL {
		for j := i; j < len(b); j++ {
			if b[j] == '\n' || b[j] == '\r' {
				k = j
				break
			}
		}
	} else if x := bytes.Index(b[i:], p.term); x >= 0 {
		k = i + x
	}
	if k < 0 {
		if eof {
			s.pos = len(b)
			p.align = false
			return stEOF
		}
		keep := len(p.term) - 1
		if p.anyNL {
			keep = 0
		}
		if n := len(b) - keep; n > i {
			s.pos = n
		}
		return stMore
	}
	tl, more := p.matchTerm(b, k, eof)
	if more {
		s.pos = k
		return stMore
	}
	s.pos = k + tl
	p.align = false
	return stOK
}

// appendCSVEscape decodes the byte after an escape character.
func appendCSVEscape(dst []byte, c byte) []byte {
	switch c {
	case '0':
		return append(dst, 0)
	case 'b':
		return append(dst, '\b')
	case 'n':
		return append(dst, '\n')
	case 'r':
		return append(dst, '\r')
	case 't':
		return append(dst, '\t')
	case 'Z':
		return append(dst, 0x1a)
	}
	return append(dst, c)
}

func (p *CSVParser) isNull(raw []byte) bool {
	for _, n := range p.nulls {
		if len(n) == len(raw) && bytes.Equal(n, raw) {
			return true
		}
	}
	return false
}

// scanRow parses the row starting at b[i] into p.fields and returns the index
// just past its terminator. On stMore nothing is kept: the row is re-scanned
// after the fill.
func (p *CSVParser) scanRow(b []byte, i int, eof bool) (int, status) {
	p.fields = p.fields[:0]
	p.fix = p.fix[:0]
	p.scratch = p.scratch[:0]
	j := i
	for {
		fs := j
		var cs, ce int      // raw content [cs, ce)
		scr, ss := false, 0 // decoded into scratch[ss:]
		seg := 0            // start of the not yet copied raw run
		quoted := false
		if len(p.delim) > 0 {
			ok, more := match(b, j, p.delim, eof)
			if more {
				return i, stMore
			}
			quoted = ok
		}
		if quoted {
			j += len(p.delim)
			cs, seg = j, j
			for {
				// Vectorised search for the delimiter, then for an
				// escape before it.
				k := len(b)
				if x := bytes.IndexByte(b[j:], p.delim[0]); x >= 0 {
					k = j + x
				}
				if p.esc >= 0 {
					if x := bytes.IndexByte(b[j:k], byte(p.esc)); x >= 0 {
						k = j + x
					}
				}
				if k >= len(b) {
					if eof {
						return i, p.fail(fs, "unterminated quoted field")
					}
					return i, stMore
				}
				if int(b[k]) == p.esc {
					if k+1 >= len(b) {
						if eof {
							return i, p.fail(fs, "unterminated quoted field")
						}
						return i, stMore
					}
					if !scr {
						scr, ss = true, len(p.scratch)
					}
					p.scratch = append(p.scratch, b[seg:k]...)
					p.scratch = appendCSVEscape(p.scratch, b[k+1])
					j = k + 2
					seg = j
					continue
				}
				ok, more := match(b, k, p.delim, eof)
				if more {
					return i, stMore
				}
				if !ok {
					j = k + 1
					continue
				}
				k2 := k + len(p.delim)
				ok2, more2 := match(b, k2, p.delim, eof)
				if more2 {
					return i, stMore
				}
				if ok2 {
					// Doubled delimiter: a literal delimiter.
					if !scr {
						scr, ss = true, len(p.scratch)
					}
					p.scratch = append(p.scratch, b[seg:k]...)
					p.scratch = append(p.scratch, p.delim...)
					j = k2 + len(p.delim)
					seg = j
					continue
				}
				ce = k
				j = k2
				break
			}
		} else {
			cs, seg = j, j
			for {
				k := j
				for k < len(b) && !p.stop[b[k]] {
					k++
				}
				if k >= len(b) {
					if !eof {
						return i, stMore
					}
					ce, j = len(b), len(b)
					break
				}
				if int(b[k]) == p.esc {
					if k+1 >= len(b) {
						if !eof {
							return i, stMore
						}
						// A lone escape at end of input stays literal.
						j = k + 1
						continue
					}
					if !scr {
						scr, ss = true, len(p.scratch)
					}
					p.scratch = append(p.scratch, b[seg:k]...)
					p.scratch = appendCSVEscape(p.scratch, b[k+1])
					j = k + 2
					seg = j
					continue
				}
				tl, more := p.matchTerm(b, k, eof)
				if more {
					return i, stMore
				}
				if tl > 0 {
					ce, j = k, k
					break
				}
				ok, more := match(b, k, p.sep, eof)
				if more {
					return i, stMore
				}
				if ok {
					ce, j = k, k
					break
				}
				j = k + 1
			}
		}
		// Record the field.
		switch {
		case p.isNull(b[cs:ce]):
			p.fields = append(p.fields, Field{Kind: KindNull})
		case scr:
			p.scratch = append(p.scratch, b[seg:ce]...)
			p.fix = append(p.fix, scratchFix{idx: len(p.fields), start: ss, end: len(p.scratch)})
			p.fields = append(p.fields, Field{Kind: KindString})
		default:
			p.fields = append(p.fields, Field{Kind: KindString, Bytes: b[cs:ce:ce]})
		}
		// After the field: terminator, separator or end of input.
		if j >= len(b) {
			if !eof {
				return i, stMore
			}
			return j, stOK
		}
		tl, more := p.matchTerm(b, j, eof)
		if more {
			return i, stMore
		}
		if tl > 0 {
			return j + tl, stOK
		}
		ok, more := match(b, j, p.sep, eof)
		if more {
			return i, stMore
		}
		if !ok {
			return i, p.fail(fs, "unexpected data after closing delimiter")
		}
		j += len(p.sep)
		if p.trimLastSep {
			// A separator right before the line end ends the line.
			if j >= len(b) {
				if !eof {
					return i, stMore
				}
				return j, stOK
			}
			tl, more := p.matchTerm(b, j, eof)
			if more {
				return i, stMore
			}
			if tl > 0 {
				return j + tl, stOK
			}
		}
	}
}
