// Package parser turns data files (Dumpling/mydumper SQL dumps and CSV) into
// rows, streaming, with exact byte offsets so an import step can stop and
// resume anywhere.
//
// # Buffering and restartable scanning
//
// Both parsers read through a source: one growable buffer whose unconsumed
// part is buf[pos:], with base the stream offset of buf[0] (offset of
// buf[i] = base+i). Scanners never suspend in the middle of a token. A row
// (or a header token, a comment, a quoted string in a skipped statement) is
// scanned from its first byte; when the scanner needs a byte that is not
// buffered yet it returns stMore without committing anything, the source
// drops the consumed prefix, appends at least max(block, pending) bytes, and
// the scanner starts the same unit again. Growing by at least the pending
// amount keeps this linear even with ReadBlockSize = 1 and values longer than
// the block. Because nothing is committed mid-row, fields are recorded as
// indexes (fieldRef) and turned into Field slices only when the row is
// complete. Field.Bytes alias the source buffer (plain values) or a scratch
// buffer (values with escapes, doubled quotes, hex/bit literals); both stay
// valid until the next ReadRow, whose first fill may overwrite them.
//
// # SQL state machine
//
// A statement is scanned token by token (whitespace and comments - "# ",
// "-- ", "/* */" including "/*!40101 ... */" - are skipped everywhere):
//
//	sHeader: words, quoted names and parenthesised groups until VALUES/VALUE.
//	         The last "(a, `b`)" group of plain names is the column list; any
//	         other group is skipped balanced. A statement whose first word is
//	         SET, LOCK, UNLOCK, USE, DROP, ... goes to sSkip. Other keywords are
//	         ignored, which makes the reader lenient like Lightning's:
//	         "create table `t` values (1);" yields one row.
//	sSkip:   skip (quote- and comment-aware) to ';'.
//	sRows:   '(' literal, ... ')' is a row.
//	sAfter:  ',' -> sRows; ';' ends the statement; ON DUPLICATE ... -> sSkip.
//
// ';' always returns to sHeader. Literals: '..' and ".." strings (backslash
// escapes \0 \' \" \b \n \r \t \Z \\, \% and \_ keep the backslash, other \x
// is x; doubled quotes; adjacent literals concatenate), numbers as written,
// 0x../X'..' (KindHex), 0b../b'..' (KindBits), NULL and \N, TRUE/FALSE,
// DEFAULT, N'..', charset introducers (_binary, _utf8mb4 ...) which set
// Field.Charset, and a trailing COLLATE name, which is ignored. ANSIQuotes and
// NoBackslashEscapes follow sql_mode.
//
// # Offsets and resumption
//
// Offsets are positions in the stream the parser reads (the decompressed,
// and if converted, charset-converted file). A parser's reader must start at
// offset 0: positioning seeks an io.Seeker with absolute offsets and
// otherwise reads forward and discards.
//
// Row.Offset is the offset of the row's first byte ('(' in SQL, first field
// byte in CSV), Row.EndOffset is just past it (past ')' in SQL, past the line
// terminator in CSV). After ReadRow returns row R, Pos() = (R.EndOffset,
// R.RowID) and Position() adds the start of R's statement.
//
// CSV: SetPos(R.EndOffset, R.RowID) on a fresh parser continues with the row
// after R.
//
// SQL: a position between two rows of one VALUES list needs the statement's
// column list, which lies before the offset. SetPosition(Position()) (or
// SetPosWithStatement) seeks to the statement start, re-reads the header up to
// VALUES and then jumps to the offset. SetPos(offset) is for statement
// boundaries (chunk starts, or the end of a statement's last row); if the next
// token at that offset is ',' the parser reports a position error instead of
// misreading rows. The statement start is the offset just past the previous
// ';' (or the chunk start), so leading comments are part of the statement.
//
// # Chunks
//
// SQL: SQLStatementBoundaries returns offsets just past statement-ending ';'
// (lexed exactly like the parser). A chunk [start,end) owns every statement
// whose start lies in it: SetEnd(end) makes ReadRow return io.EOF once the next
// statement would start at or after end; a statement that started before end
// is read to its ';'.
//
// CSV (strict-format): a chunk [start,end) owns every row whose first byte
// lies in it (rows start at 0 and just after a terminator). With
// StartsAtChunkBoundary the first SetPos(start) begins at the first row
// starting at or after start (it scans from start-len(terminator) to just past
// the first terminator), so both planners that cut at arbitrary offsets and
// planners that cut right after a terminator work. End stops before the first
// row starting at or after end. Blank lines (a bare terminator) are skipped.
// A UTF-8 BOM at offset 0 is skipped; offsets still count it.
//
// # Character sets
//
// NewCharsetReader converts a stream to UTF-8 before parsing (binary is a
// pass-through; utf8mb4 replaces each invalid byte; gb18030, gbk, latin1 and
// ascii decode via golang.org/x/text). Offsets then refer to the converted
// stream, so chunk boundaries of a converted file must be computed through
// the same conversion.
//
// # Errors
//
// Malformed input gives *SyntaxError (file, byte offset, reason, excerpt);
// it is sticky until the parser is re-positioned. Read errors are wrapped
// with the file and offset. Nothing panics on any input (fuzzed).
package parser
