package parser

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// SQLOptions configure NewSQLParser.
type SQLOptions struct {
	// ReadBlockSize is the read granularity ([mydumper].read-block-size);
	// 0 means DefaultReadBlockSize. Tokens longer than a block still work:
	// the buffer grows.
	ReadBlockSize int
	// ANSIQuotes (sql_mode ANSI_QUOTES) makes "..." an identifier, not a
	// string.
	ANSIQuotes bool
	// NoBackslashEscapes (sql_mode NO_BACKSLASH_ESCAPES) makes '\' an
	// ordinary character inside strings.
	NoBackslashEscapes bool
}

// SQLOptionsFromMode derives the quoting flags from a sql_mode string such as
// [tidb].sql-mode ("ANSI" implies ANSI_QUOTES).
func SQLOptionsFromMode(sqlMode string, readBlockSize int) SQLOptions {
	o := SQLOptions{ReadBlockSize: readBlockSize}
	for _, m := range strings.Split(sqlMode, ",") {
		switch strings.ToUpper(strings.TrimSpace(m)) {
		case "ANSI_QUOTES", "ANSI":
			o.ANSIQuotes = true
		case "NO_BACKSLASH_ESCAPES":
			o.NoBackslashEscapes = true
		}
	}
	return o
}

// SQL statement states (see doc.go).
const (
	sHeader uint8 = iota // before VALUES: keywords, table name, column list
	sSkip                // a statement without rows (SET, LOCK ...): skip to ';'
	sRows                // after VALUES or ',': a '(' row must follow
	sAfter               // after a row: ',' ';' or ON DUPLICATE KEY UPDATE
)

// SQLParser reads rows from a Dumpling / mydumper SQL dump. It implements
// Parser and Positioner.
type SQLParser struct {
	src   source
	ansi  bool
	noBS  bool
	end   int64 // -1: none
	state uint8

	// Statement being scanned.
	stmtStart   int64 // offset just past the previous ';' (or the start position)
	fresh       bool  // no token of the statement seen yet
	isInsert    bool  // the statement began with INSERT or REPLACE
	kind        StatementKind
	rowKind     StatementKind // kind of the last row's statement
	pendingCols []string
	hasPending  bool
	resumeCheck bool // positioned by SetPos; a leading ',' means mid-VALUES

	// Last row.
	cols         []string
	fix          []scratchFix // fields whose Bytes live in scratch
	scratch      []byte
	fields       []Field
	row          Row
	rowID        int64
	lastEnd      int64
	rowStmtStart int64

	err error // sticky syntax error
}

// NewSQLParser returns a parser reading r from offset 0 (use SetPos or
// SetPosition to start elsewhere). r must be at offset 0 of the
// (decompressed) file: positioning seeks an io.Seeker with absolute offsets
// and otherwise reads forward and discards. path names the file in errors.
func NewSQLParser(r io.Reader, path string, opts SQLOptions) *SQLParser {
	p := &SQLParser{
		src:  newSource(r, path, opts.ReadBlockSize),
		ansi: opts.ANSIQuotes,
		noBS: opts.NoBackslashEscapes,
		end:  -1,
	}
	p.endStmt(0)
	return p
}

// SetEnd limits the parser to the statements that start before end: when the
// next statement would start (the offset just past a ';') at or after end,
// ReadRow returns io.EOF. A statement that starts before end is read to its
// ';' even if that lies past end. end < 0 removes the limit.
func (p *SQLParser) SetEnd(end int64) {
	if end < 0 {
		end = -1
	}
	p.end = end
}

// Columns is the column list of the INSERT the last row came from; nil when
// the statement had none (table order).
func (p *SQLParser) Columns() []string { return p.cols }

// LastRow is the row read by the last successful ReadRow.
func (p *SQLParser) LastRow() Row { return p.row }

// StatementKind says which statement a row came from. The importer does not
// need it (conflict handling is configured, as in Lightning) but it is kept
// for logging and for callers that want to honour REPLACE / IGNORE.
type StatementKind uint8

const (
	// StatementOther is a statement the lenient reader accepted without an
	// INSERT/REPLACE keyword, e.g. "create table t values (1);".
	StatementOther StatementKind = iota
	StatementInsert
	StatementInsertIgnore
	StatementReplace
)

func (k StatementKind) String() string {
	switch k {
	case StatementInsert:
		return "INSERT"
	case StatementInsertIgnore:
		return "INSERT IGNORE"
	case StatementReplace:
		return "REPLACE"
	}
	return "other"
}

// StatementKind is the kind of the statement the last row came from.
func (p *SQLParser) StatementKind() StatementKind { return p.rowKind }

// Pos is the offset just past the last row and its row ID.
func (p *SQLParser) Pos() (int64, int64) { return p.lastEnd, p.rowID }

// Position is Pos plus the start of the statement the last row belongs to;
// SetPosition with it resumes exactly after the last row.
func (p *SQLParser) Position() Position {
	return Position{StmtStart: p.rowStmtStart, Offset: p.lastEnd, RowID: p.rowID}
}

// SetPos moves the parser to a statement boundary: offset must be the
// start of a statement or a position after the last row of one (so that only
// ';', whitespace or comments come next). Resuming between two rows of the same
// VALUES list needs the statement's column list: use SetPosition (or
// SetPosWithStatement) then. A mid-list offset given here is detected when the
// next token is ',' and reported as an error rather than misread.
func (p *SQLParser) SetPos(offset, rowID int64) error {
	if err := p.setPosition(Position{StmtStart: offset, Offset: offset, RowID: rowID}); err != nil {
		return err
	}
	p.resumeCheck = true
	return nil
}

// SetPosWithStatement is SetPosition(Position{stmtStart, offset, rowID}).
func (p *SQLParser) SetPosWithStatement(stmtStart, offset, rowID int64) error {
	return p.SetPosition(Position{StmtStart: stmtStart, Offset: offset, RowID: rowID})
}

// SetPosition resumes at pos: it re-reads the header of the statement
// starting at pos.StmtStart (to learn its column list) and then continues
// at pos.Offset, which must be the end of a row in that statement (or equal
// StmtStart).
func (p *SQLParser) SetPosition(pos Position) error {
	return p.setPosition(pos)
}

func (p *SQLParser) setPosition(pos Position) error {
	path := p.src.path
	if pos.StmtStart < 0 || pos.Offset < pos.StmtStart {
		return fmt.Errorf("position %s: invalid statement start %d for offset %d", path, pos.StmtStart, pos.Offset)
	}
	p.err = nil
	p.rowKind = StatementOther
	if err := p.src.seek(pos.StmtStart); err != nil {
		return err
	}
	p.endStmt(p.src.pos)
	p.resumeCheck = false
	p.cols = nil
	p.row = Row{}
	p.rowID = pos.RowID
	p.lastEnd = pos.Offset
	p.rowStmtStart = pos.StmtStart
	if pos.Offset == pos.StmtStart {
		return nil
	}
	// Replay the statement header (no end limit: the statement already
	// started inside the chunk).
	end := p.end
	p.end = -1
	defer func() { p.end = end }()
	for p.state == sHeader {
		st := p.step()
		switch st {
		case stMore:
			if p.src.eof {
				return fmt.Errorf("position %s at offset %d: internal error: scanner wants input after end of file", path, p.src.offset(p.src.pos))
			}
			if err := p.src.fill(context.Background()); err != nil && err != io.EOF {
				return err
			}
		case stErr:
			return p.err
		case stEOF:
			return fmt.Errorf("position %s: no VALUES between statement start %d and offset %d", path, pos.StmtStart, pos.Offset)
		}
		if p.stmtStart != pos.StmtStart {
			return fmt.Errorf("position %s: statement starting at %d ends before offset %d", path, pos.StmtStart, pos.Offset)
		}
	}
	if p.state != sRows {
		return fmt.Errorf("position %s: statement at %d has no VALUES list", path, pos.StmtStart)
	}
	cur := p.src.offset(p.src.pos)
	if pos.Offset < cur {
		return fmt.Errorf("position %s: offset %d lies inside the header of the statement at %d (VALUES ends at %d)", path, pos.Offset, pos.StmtStart, cur)
	}
	if pos.Offset > cur {
		if err := p.src.seek(pos.Offset); err != nil {
			return err
		}
		p.state = sAfter
	}
	p.cols = p.pendingCols
	p.rowKind = p.kind
	return nil
}

// Close closes the underlying reader when it is an io.Closer.
func (p *SQLParser) Close() error {
	if c, ok := p.src.r.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// ReadRow parses the next row.
func (p *SQLParser) ReadRow(ctx context.Context) error {
	if p.err != nil {
		return p.err
	}
	for {
		switch p.step() {
		case stOK:
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

func (p *SQLParser) fail(i int, reason string) status {
	p.err = &SyntaxError{Path: p.src.path, Offset: p.src.offset(i), Reason: reason, Context: p.src.excerpt(i)}
	return stErr
}

// endStmt starts a new statement at buf index next.
func (p *SQLParser) endStmt(next int) {
	p.src.pos = next
	p.stmtStart = p.src.offset(next)
	p.state = sHeader
	p.fresh = true
	p.isInsert = false
	p.kind = StatementOther
	p.pendingCols = nil
	p.hasPending = false
}

// step consumes one token (or one row) and commits src.pos past it.
// Every stOK result has advanced pos or changed state, so ReadRow's loop
// terminates.
func (p *SQLParser) step() status {
	s := &p.src
	if p.state == sHeader && p.fresh && p.end >= 0 && p.stmtStart >= p.end {
		return stEOF
	}
	b, eof := s.buf, s.eof
	i, st := skipSpace(b, s.pos, eof)
	s.pos = i
	switch st {
	case stMore:
		return stMore
	case stErr:
		return p.fail(i, "unterminated /* comment")
	}
	if i >= len(b) {
		if !eof {
			return stMore
		}
		if p.state == sRows {
			return p.fail(i, "unexpected end of file: expecting a row '('")
		}
		return stEOF
	}
	c := b[i]
	switch p.state {
	case sHeader:
		return p.stepHeader(b, i, eof)
	case sSkip:
		return p.stepSkip(b, i, eof)
	case sRows:
		switch c {
		case '(':
			return p.stepTuple(b, i, eof)
		case ';':
			p.endStmt(i + 1)
			return stOK
		}
		return p.fail(i, "expecting '(' to start a row")
	default: // sAfter
		switch c {
		case ',':
			s.pos = i + 1
			p.state = sRows
			return stOK
		case ';':
			p.endStmt(i + 1)
			return stOK
		}
		if isWordByte(c) {
			j := scanWord(b, i)
			if j >= len(b) && !eof {
				return stMore
			}
			if eqFold(b[i:j], "on") {
				// ON DUPLICATE KEY UPDATE ...: nothing more to read.
				s.pos = j
				p.state = sSkip
				return stOK
			}
		}
		return p.fail(i, "expecting ',' or ';' after a row")
	}
}

// skipStatementWords start statements that never carry rows even when a
// VALUES keyword appears in them.
func skipStatementWord(w []byte) bool {
	switch len(w) {
	case 2:
		return eqFold(w, "on")
	case 3:
		return eqFold(w, "set") || eqFold(w, "use")
	case 4:
		return eqFold(w, "lock") || eqFold(w, "drop")
	case 5:
		return eqFold(w, "begin") || eqFold(w, "start")
	case 6:
		return eqFold(w, "unlock") || eqFold(w, "commit") || eqFold(w, "delete") || eqFold(w, "update")
	case 8:
		return eqFold(w, "rollback") || eqFold(w, "truncate")
	case 9:
		return eqFold(w, "delimiter")
	}
	return false
}

func (p *SQLParser) stepHeader(b []byte, i int, eof bool) status {
	s := &p.src
	c := b[i]
	if p.fresh && c == ',' {
		// No statement starts with ','. After SetPos this means the offset
		// lies between two rows of a VALUES list, whose column list is
		// unknown here; elsewhere it is garbage. Either way reading on would
		// misattribute rows.
		if p.resumeCheck {
			return p.fail(i, "position is inside a VALUES list; resume with SetPosition and the statement start")
		}
		return p.fail(i, "unexpected ',' at the start of a statement")
	}
	p.resumeCheck = false
	switch {
	case c == ';':
		p.endStmt(i + 1)
		return stOK
	case c == '(':
		j, cols, ok, st := p.scanColumnList(b, i, eof)
		if st != stOK {
			if st == stErr {
				return p.fail(i, "unterminated quoted text in parentheses")
			}
			return st
		}
		p.fresh = false
		p.pendingCols, p.hasPending = cols, ok
		if !ok {
			p.pendingCols = nil
		}
		s.pos = j
		return stOK
	case c == '`' || c == '\'' || c == '"':
		bs := c != '`' && !p.noBS && !(c == '"' && p.ansi)
		j, st := scanQuoted(b, i, bs, eof)
		if st != stOK {
			if st == stErr {
				return p.fail(i, "unterminated quoted text")
			}
			return st
		}
		p.fresh = false
		s.pos = j
		return stOK
	case isWordByte(c):
		j := scanWord(b, i)
		if j >= len(b) && !eof {
			return stMore
		}
		w := b[i:j]
		s.pos = j
		if p.fresh {
			p.fresh = false
			if eqFold(w, "insert") {
				p.isInsert, p.kind = true, StatementInsert
			} else if eqFold(w, "replace") {
				p.isInsert, p.kind = true, StatementReplace
			} else if skipStatementWord(w) {
				p.state = sSkip
				return stOK
			}
		}
		switch {
		case p.kind == StatementInsert && eqFold(w, "ignore"):
			p.kind = StatementInsertIgnore
		case eqFold(w, "values") || eqFold(w, "value"):
			p.state = sRows
			p.cols = p.pendingCols
		case p.isInsert && (eqFold(w, "select") || eqFold(w, "table")):
			return p.fail(i, "INSERT ... SELECT is not supported in data files")
		case p.isInsert && eqFold(w, "set"):
			// Skipping it would silently drop a row.
			return p.fail(i, "INSERT ... SET is not supported in data files")
		}
		return stOK
	default:
		p.fresh = false
		s.pos = i + 1
		return stOK
	}
}

// stepSkip scans to the ';' ending a statement without rows, stepping over
// quoted text and comments.
func (p *SQLParser) stepSkip(b []byte, i int, eof bool) status {
	s := &p.src
	j := i
	for j < len(b) {
		switch c := b[j]; c {
		case ';':
			p.endStmt(j + 1)
			return stOK
		case '\'', '"', '`':
			bs := c != '`' && !p.noBS && !(c == '"' && p.ansi)
			k, st := scanQuoted(b, j, bs, eof)
			if st != stOK {
				s.pos = j
				if st == stErr {
					return p.fail(j, "unterminated quoted text")
				}
				return st
			}
			j = k
		case '#', '-', '/':
			k, st := skipSpace(b, j, eof)
			if st != stOK {
				s.pos = k
				if st == stErr {
					return p.fail(k, "unterminated /* comment")
				}
				return st
			}
			if k == j {
				k++
			}
			j = k
		default:
			j++
		}
	}
	s.pos = j
	if eof {
		return stOK // step reports EOF next
	}
	return stMore
}

// scanColumnList reads "(a, `b`, c)". ok is false when the parentheses hold
// something else (a CREATE TABLE body, an expression): then they are skipped
// as a balanced group and no column list is recorded.
func (p *SQLParser) scanColumnList(b []byte, i int, eof bool) (int, []string, bool, status) {
	cols := []string{}
	j := i + 1
	expectName := true
	for {
		var st status
		j, st = skipSpace(b, j, eof)
		if st == stMore {
			return i, nil, false, stMore
		}
		if st == stErr || j >= len(b) {
			if !eof {
				return i, nil, false, stMore
			}
			return len(b), nil, false, stOK // lenient: header runs to end of file
		}
		c := b[j]
		if c == ')' {
			if expectName && len(cols) > 0 {
				break // trailing comma: not a column list
			}
			return j + 1, cols, true, stOK
		}
		if !expectName {
			if c != ',' {
				break
			}
			expectName = true
			j++
			continue
		}
		switch {
		case c == '`' || (c == '"' && p.ansi):
			k, st := scanQuoted(b, j, false, eof)
			if st == stMore {
				return i, nil, false, stMore
			}
			if st == stErr {
				return i, nil, false, stErr
			}
			cols = append(cols, unquoteIdent(b[j+1:k-1], c))
			j = k
		case isWordByte(c):
			k := scanWord(b, j)
			if k >= len(b) && !eof {
				return i, nil, false, stMore
			}
			cols = append(cols, string(b[j:k]))
			j = k
		default:
			return p.skipBalanced(b, i, eof)
		}
		expectName = false
	}
	return p.skipBalanced(b, i, eof)
}

func unquoteIdent(raw []byte, q byte) string {
	s := string(raw)
	d := string([]byte{q, q})
	if strings.Contains(s, d) {
		s = strings.ReplaceAll(s, d, string(q))
	}
	return s
}

// skipBalanced skips a parenthesised group starting at b[i] == '('.
func (p *SQLParser) skipBalanced(b []byte, i int, eof bool) (int, []string, bool, status) {
	depth := 0
	j := i
	for j < len(b) {
		switch c := b[j]; c {
		case '(':
			depth++
			j++
		case ')':
			depth--
			j++
			if depth == 0 {
				return j, nil, false, stOK
			}
		case '\'', '"', '`':
			bs := c != '`' && !p.noBS && !(c == '"' && p.ansi)
			k, st := scanQuoted(b, j, bs, eof)
			if st != stOK {
				return i, nil, false, st
			}
			j = k
		case '#', '-', '/':
			k, st := skipSpace(b, j, eof)
			if st != stOK {
				return i, nil, false, st
			}
			if k == j {
				k++
			}
			j = k
		case ';':
			// A ';' outside quotes always ends the statement: treat the
			// group as closed so the header sees it.
			return j, nil, false, stOK
		default:
			j++
		}
	}
	if !eof {
		return i, nil, false, stMore
	}
	return len(b), nil, false, stOK
}

// stepTuple parses one "( value, ... )" row starting at b[i] == '('. On
// stMore nothing is committed: the whole row is re-scanned after the fill.
func (p *SQLParser) stepTuple(b []byte, i int, eof bool) status {
	p.fields = p.fields[:0]
	p.fix = p.fix[:0]
	p.scratch = p.scratch[:0]
	j, st := skipSpace(b, i+1, eof)
	if st != stOK {
		if st == stErr {
			return p.fail(j, "unterminated /* comment")
		}
		return st
	}
	if j >= len(b) {
		if !eof {
			return stMore
		}
		return p.fail(i, "unexpected end of file inside a row")
	}
	if b[j] != ')' {
		for {
			j, st = p.scanValue(b, j, eof, true)
			if st != stOK {
				return st
			}
			j, st = skipSpace(b, j, eof)
			if st != stOK {
				if st == stErr {
					return p.fail(j, "unterminated /* comment")
				}
				return st
			}
			if j >= len(b) {
				if !eof {
					return stMore
				}
				return p.fail(i, "unexpected end of file inside a row")
			}
			c := b[j]
			if c == ',' {
				j, st = skipSpace(b, j+1, eof)
				if st != stOK {
					if st == stErr {
						return p.fail(j, "unterminated /* comment")
					}
					return st
				}
				if j >= len(b) {
					if !eof {
						return stMore
					}
					return p.fail(i, "unexpected end of file inside a row")
				}
				continue
			}
			if c == ')' {
				break
			}
			if c == 'c' || c == 'C' {
				// 'text' COLLATE name: the collation does not change the value.
				k := scanWord(b, j)
				if k >= len(b) && !eof {
					return stMore
				}
				if eqFold(b[j:k], "collate") {
					k, st = skipSpace(b, k, eof)
					if st != stOK {
						return st
					}
					if k >= len(b) && !eof {
						return stMore
					}
					if k < len(b) && isWordByte(b[k]) {
						e := scanWord(b, k)
						if e >= len(b) && !eof {
							return stMore
						}
						j = e
						j, st = skipSpace(b, j, eof)
						if st != stOK {
							return st
						}
						if j >= len(b) && !eof {
							return stMore
						}
						if j < len(b) && (b[j] == ',' || b[j] == ')') {
							if b[j] == ')' {
								break
							}
							j++
							continue
						}
					}
				}
			}
			return p.fail(j, "expecting ',' or ')' in a row")
		}
	}
	s := &p.src
	p.rowID++
	applyFixes(p.fields, p.fix, p.scratch)
	p.row = Row{Fields: p.fields, Offset: s.offset(i), EndOffset: s.offset(j + 1), RowID: p.rowID}
	p.lastEnd = p.row.EndOffset
	p.rowStmtStart = p.stmtStart
	p.rowKind = p.kind
	s.pos = j + 1
	p.state = sAfter
	return stRow
}

// scanValue parses one literal at b[i] (a significant byte) and appends its
// Field. intro allows a charset introducer (not twice in a row).
func (p *SQLParser) scanValue(b []byte, i int, eof bool, intro bool) (int, status) {
	c := b[i]
	switch {
	case c == '\'' || (c == '"' && !p.ansi):
		return p.scanString(b, i, eof, "")
	case c >= '0' && c <= '9':
		if c == '0' {
			if i+1 >= len(b) && !eof {
				return i, stMore
			}
			if i+1 < len(b) {
				switch b[i+1] {
				case 'x', 'X':
					return p.scanHexDigits(b, i, i+2, 0, eof, "")
				case 'b', 'B':
					return p.scanBitDigits(b, i, i+2, 0, eof, "")
				}
			}
		}
		return p.scanNumber(b, i, eof)
	case c == '-' || c == '+' || c == '.':
		return p.scanNumber(b, i, eof)
	case c == '\\':
		if i+2 >= len(b) && !eof {
			return i, stMore
		}
		if i+1 < len(b) && b[i+1] == 'N' && (i+2 >= len(b) || !isWordByte(b[i+2])) {
			p.fields = append(p.fields, Field{Kind: KindNull})
			return i + 2, stOK
		}
		return i, p.fail(i, "unexpected '\\' in a row")
	case isWordByte(c):
		j := scanWord(b, i)
		if j >= len(b) && !eof {
			return i, stMore
		}
		w := b[i:j]
		if len(w) == 1 && j < len(b) && b[j] == '\'' {
			switch w[0] {
			case 'x', 'X':
				return p.scanHexDigits(b, i, j+1, '\'', eof, "")
			case 'b', 'B':
				return p.scanBitDigits(b, i, j+1, '\'', eof, "")
			case 'n', 'N':
				return p.scanString(b, j, eof, "utf8")
			}
		}
		switch len(w) {
		case 4:
			if eqFold(w, "null") {
				p.fields = append(p.fields, Field{Kind: KindNull})
				return j, stOK
			}
			if eqFold(w, "true") {
				p.scratch = append(p.scratch, '1')
				p.addScratch(KindBool, len(p.scratch)-1, "")
				return j, stOK
			}
		case 5:
			if eqFold(w, "false") {
				p.scratch = append(p.scratch, '0')
				p.addScratch(KindBool, len(p.scratch)-1, "")
				return j, stOK
			}
		case 7:
			if eqFold(w, "default") {
				p.fields = append(p.fields, Field{Kind: KindDefault})
				return j, stOK
			}
			if eqFold(w, "convert") && intro {
				return p.scanConvert(b, i, j, eof)
			}
		}
		if w[0] == '_' && len(w) > 1 && intro {
			cs := charsetName(w[1:])
			k, st := skipSpace(b, j, eof)
			if st != stOK {
				if st == stErr {
					return i, p.fail(k, "unterminated /* comment")
				}
				return i, st
			}
			if k >= len(b) {
				if !eof {
					return i, stMore
				}
				return i, p.fail(i, "unexpected end of file after charset introducer")
			}
			n := len(p.fields)
			e, st := p.scanValue(b, k, eof, false)
			if st != stOK {
				return i, st
			}
			switch p.fields[n].Kind {
			case KindString, KindHex, KindBits:
				p.fields[n].Charset = cs
				return e, stOK
			}
			return i, p.fail(i, "charset introducer must be followed by a string, hexadecimal or bit literal")
		}
		return i, p.fail(i, "unexpected word "+quote(string(w))+" in a row")
	}
	return i, p.fail(i, "unexpected character in a row")
}

// scanConvert reads CONVERT(literal USING charset), which Dumpling and
// tidb-tools emit for JSON values: the literal, with Charset set for strings.
// i is the start of the word CONVERT, j just past it.
func (p *SQLParser) scanConvert(b []byte, i, j int, eof bool) (int, status) {
	// expect reports stOK when b[k] (after space) is c.
	expect := func(k int, c byte) (int, status) {
		k, st := skipSpace(b, k, eof)
		if st != stOK {
			if st == stErr {
				return k, p.fail(k, "unterminated /* comment")
			}
			return k, st
		}
		if k >= len(b) {
			if !eof {
				return k, stMore
			}
			return k, p.fail(i, "unexpected end of file in CONVERT(... USING ...)")
		}
		if c != 0 && b[k] != c {
			return k, p.fail(k, "expecting "+quote(string(c))+" in CONVERT(... USING ...)")
		}
		return k, stOK
	}
	k, st := expect(j, '(')
	if st != stOK {
		return i, st
	}
	k, st = expect(k+1, 0)
	if st != stOK {
		return i, st
	}
	n := len(p.fields)
	k, st = p.scanValue(b, k, eof, true)
	if st != stOK {
		return i, st
	}
	k, st = expect(k, 0)
	if st != stOK {
		return i, st
	}
	w := scanWord(b, k)
	if w >= len(b) && !eof {
		return i, stMore
	}
	if !eqFold(b[k:w], "using") {
		return i, p.fail(k, "expecting USING in CONVERT(... USING ...)")
	}
	k, st = expect(w, 0)
	if st != stOK {
		return i, st
	}
	w = scanWord(b, k)
	if w >= len(b) && !eof {
		return i, stMore
	}
	if w == k {
		return i, p.fail(k, "expecting a character set name in CONVERT(... USING ...)")
	}
	cs := charsetName(b[k:w])
	k, st = expect(w, ')')
	if st != stOK {
		return i, st
	}
	if p.fields[n].Kind == KindString || p.fields[n].Kind == KindHex {
		p.fields[n].Charset = cs
	}
	return k + 1, stOK
}

// addScratch appends a field whose bytes are scratch[start:] (to the
// current end of scratch).
func (p *SQLParser) addScratch(kind Kind, start int, cs string) {
	p.fix = append(p.fix, scratchFix{idx: len(p.fields), start: start, end: len(p.scratch)})
	p.fields = append(p.fields, Field{Kind: kind, Charset: cs})
}

// scanNumber reads [+-]digits[.digits][e[+-]digits]; Bytes keep the text.
func (p *SQLParser) scanNumber(b []byte, i int, eof bool) (int, status) {
	j := i
	if j < len(b) && (b[j] == '+' || b[j] == '-') {
		j++
	}
	nd := 0
	for j < len(b) && isDigit(b[j]) {
		j++
		nd++
	}
	if j < len(b) && b[j] == '.' {
		j++
		for j < len(b) && isDigit(b[j]) {
			j++
			nd++
		}
	}
	if j < len(b) && nd > 0 && (b[j] == 'e' || b[j] == 'E') {
		k := j + 1
		if k < len(b) && (b[k] == '+' || b[k] == '-') {
			k++
		}
		ed := 0
		for k < len(b) && isDigit(b[k]) {
			k++
			ed++
		}
		if k >= len(b) && !eof {
			return i, stMore
		}
		if ed == 0 {
			return i, p.fail(i, "invalid number: exponent without digits")
		}
		j = k
	}
	if j >= len(b) && !eof {
		return i, stMore
	}
	if nd == 0 {
		return i, p.fail(i, "invalid number")
	}
	if j < len(b) && (isWordByte(b[j]) || b[j] == '.') {
		return i, p.fail(i, "invalid number")
	}
	p.fields = append(p.fields, Field{Kind: KindNumber, Bytes: b[i:j:j]})
	return j, stOK
}

// scanHexDigits decodes hex digits starting at b[d] for a literal starting
// at b[i]; close is '\” for X'..' and 0 for 0x...
func (p *SQLParser) scanHexDigits(b []byte, i, d int, close byte, eof bool, cs string) (int, status) {
	j := d
	for j < len(b) {
		if _, ok := hexVal(b[j]); !ok {
			break
		}
		j++
	}
	if j >= len(b) && !eof {
		return i, stMore
	}
	end := j
	if close != 0 {
		if j >= len(b) || b[j] != close {
			return i, p.fail(i, "invalid hexadecimal literal")
		}
		j++
	} else if j == d || (j < len(b) && isWordByte(b[j])) {
		return i, p.fail(i, "invalid hexadecimal literal")
	}
	start := len(p.scratch)
	k := d
	if (end-d)%2 == 1 {
		v, _ := hexVal(b[k])
		p.scratch = append(p.scratch, v)
		k++
	}
	for ; k+1 < end; k += 2 {
		hi, _ := hexVal(b[k])
		lo, _ := hexVal(b[k+1])
		p.scratch = append(p.scratch, hi<<4|lo)
	}
	p.addScratch(KindHex, start, cs)
	return j, stOK
}

// scanBitDigits decodes b'0101' / 0b0101 big-endian, shortest form, at least
// one byte.
func (p *SQLParser) scanBitDigits(b []byte, i, d int, close byte, eof bool, cs string) (int, status) {
	j := d
	for j < len(b) && (b[j] == '0' || b[j] == '1') {
		j++
	}
	if j >= len(b) && !eof {
		return i, stMore
	}
	end := j
	if close != 0 {
		if j >= len(b) || b[j] != close {
			return i, p.fail(i, "invalid bit literal")
		}
		j++
	} else if j == d || (j < len(b) && isWordByte(b[j])) {
		return i, p.fail(i, "invalid bit literal")
	}
	k := d
	for k < end && b[k] == '0' {
		k++
	}
	nbits := end - k
	nbytes := (nbits + 7) / 8
	if nbytes == 0 {
		nbytes = 1
	}
	start := len(p.scratch)
	for n := 0; n < nbytes; n++ {
		p.scratch = append(p.scratch, 0)
	}
	out := p.scratch[start:]
	for bit := 0; bit < nbits; bit++ {
		if b[end-1-bit] == '1' {
			out[nbytes-1-bit/8] |= 1 << (bit % 8)
		}
	}
	p.addScratch(KindBits, start, cs)
	return j, stOK
}

// scanString reads a quoted string at b[i]. Without escapes, doubled quotes
// or adjacent literals the field aliases the input buffer; otherwise the
// decoded text goes to scratch.
func (p *SQLParser) scanString(b []byte, i int, eof bool, cs string) (int, status) {
	q := b[i]
	// Find the quote with a vectorised search, then make sure no backslash
	// precedes it; both are far faster than a byte loop on typical values.
	j := len(b)
	if k := bytes.IndexByte(b[i+1:], q); k >= 0 {
		j = i + 1 + k
	}
	if !p.noBS {
		if k := bytes.IndexByte(b[i+1:j], '\\'); k >= 0 {
			j = i + 1 + k
		}
	}
	if j >= len(b) {
		if eof {
			return i, p.fail(i, "unterminated string")
		}
		return i, stMore
	}
	if b[j] == q {
		k := j + 1
		for k < len(b) && isSpace(b[k]) {
			k++
		}
		if k >= len(b) && !eof {
			return i, stMore
		}
		if k >= len(b) || !(b[k] == '\'' || (b[k] == '"' && !p.ansi)) {
			p.fields = append(p.fields, Field{Kind: KindString, Bytes: b[i+1 : j : j], Charset: cs})
			return j + 1, stOK
		}
	}
	return p.scanStringSlow(b, i, eof, cs)
}

func (p *SQLParser) scanStringSlow(b []byte, i int, eof bool, cs string) (int, status) {
	esc := !p.noBS
	start := len(p.scratch)
	j := i
	for {
		q := b[j]
		j++
		for {
			k := j
			for k < len(b) && b[k] != q && !(esc && b[k] == '\\') {
				k++
			}
			p.scratch = append(p.scratch, b[j:k]...)
			j = k
			if j >= len(b) {
				if eof {
					return i, p.fail(i, "unterminated string")
				}
				return i, stMore
			}
			if b[j] == '\\' {
				if j+1 >= len(b) {
					if eof {
						return i, p.fail(i, "unterminated string")
					}
					return i, stMore
				}
				p.scratch = appendSQLEscape(p.scratch, b[j+1])
				j += 2
				continue
			}
			// closing or doubled quote
			if j+1 >= len(b) && !eof {
				return i, stMore
			}
			if j+1 < len(b) && b[j+1] == q {
				p.scratch = append(p.scratch, q)
				j += 2
				continue
			}
			j++
			break
		}
		// Adjacent literals concatenate: 'a' 'b' = 'ab'.
		k := j
		for k < len(b) && isSpace(b[k]) {
			k++
		}
		if k >= len(b) && !eof {
			return i, stMore
		}
		if k < len(b) && (b[k] == '\'' || (b[k] == '"' && !p.ansi)) {
			j = k
			continue
		}
		break
	}
	p.addScratch(KindString, start, cs)
	return j, stOK
}

// appendSQLEscape decodes the byte after a backslash as MySQL does: \% and
// \_ keep their backslash (they matter to LIKE), unknown escapes drop it.
func appendSQLEscape(dst []byte, c byte) []byte {
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
	case '%', '_':
		return append(dst, '\\', c)
	}
	return append(dst, c)
}
