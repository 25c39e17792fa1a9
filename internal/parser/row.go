package parser

import "context"

// Kind says how a source field was written. It decides how the field is cast
// to its column: a Number is converted with numeric rules, a String with
// string rules, Hex and Bits are binary literals, Null is SQL NULL.
type Kind uint8

const (
	// KindNull is SQL NULL (or a CSV null marker).
	KindNull Kind = iota
	// KindString is a quoted (SQL) or plain (CSV) value; Bytes hold the
	// unescaped content in the file's character set.
	KindString
	// KindNumber is an unquoted numeric literal; Bytes hold its text as
	// written ("-12", "1.5e3", ".5").
	KindNumber
	// KindHex is 0x.. / X'..'; Bytes hold the decoded bytes.
	KindHex
	// KindBits is b'..' / 0b..; Bytes hold the value big-endian, shortest form
	// (at least one byte).
	KindBits
	// KindBool is TRUE/FALSE; Bytes hold "1" or "0".
	KindBool
	// KindDefault is the DEFAULT keyword inside VALUES.
	KindDefault
)

func (k Kind) String() string {
	switch k {
	case KindNull:
		return "NULL"
	case KindString:
		return "string"
	case KindNumber:
		return "number"
	case KindHex:
		return "hex"
	case KindBits:
		return "bits"
	case KindBool:
		return "bool"
	case KindDefault:
		return "default"
	}
	return "unknown"
}

// Field is one source value. Bytes alias the parser's buffers and are valid
// only until the next ReadRow; copy them to keep them.
type Field struct {
	Kind  Kind
	Bytes []byte
	// Charset is the introducer of a string literal ("binary" for _binary,
	// "utf8mb4" for _utf8mb4 ...), lower-cased; empty when none was written.
	Charset string
}

// Row is one parsed source row.
type Row struct {
	Fields []Field
	// Offset is the byte offset (in the decompressed stream) where the row
	// starts; EndOffset is just past it. A parser re-positioned with SetPos(EndOffset)
	// continues with the next row.
	Offset    int64
	EndOffset int64
	// RowID is the 1-based ordinal of the row in its chunk's row-ID sequence
	// (prevRowIDMax + n), as Lightning assigns it.
	RowID int64
}

// Parser reads rows from one data file (or one chunk of it).
//
// The invariant that makes resumption exact: after ReadRow returns row R,
// Pos() reports (R.EndOffset, R.RowID); a new parser for the same file
// positioned with SetPos at that pair reads exactly the rows after R.
//
// For SQL dumps the pair is not enough between two rows of one INSERT (the
// column list lies before the offset): both parsers also implement
// Positioner, whose Position carries the statement start, and SetPosition
// with it resumes anywhere. SQLParser.SetPos accepts statement boundaries and
// ends of statements, and reports an error (never misreads) when given an
// offset between two rows. See doc.go.
type Parser interface {
	// ReadRow parses the next row. It returns io.EOF when the input (or the
	// chunk end set with SetEnd) is reached. Malformed input yields a
	// *SyntaxError naming the byte offset.
	ReadRow(ctx context.Context) error
	// LastRow is the row read by the last successful ReadRow.
	LastRow() Row
	// Columns are the column names for the last row: the INSERT column list or
	// the CSV header; nil means table order.
	Columns() []string
	// Pos is the offset just past the last row and its row ID.
	Pos() (offset int64, rowID int64)
	// SetPos moves the parser; the reader must support seeking or the parser
	// discards input up to offset.
	SetPos(offset int64, rowID int64) error
	// Close releases the underlying reader.
	Close() error
}

// SyntaxError is malformed input at a byte offset of a file.
type SyntaxError struct {
	Path    string
	Offset  int64
	Reason  string
	Context string // a short excerpt around Offset
}

func (e *SyntaxError) Error() string {
	if e.Context != "" {
		return "syntax error in " + e.Path + " at offset " + itoa(e.Offset) + ": " + e.Reason + " near " + quote(e.Context)
	}
	return "syntax error in " + e.Path + " at offset " + itoa(e.Offset) + ": " + e.Reason
}
