package parser

import "bytes"

// Lexical helpers shared by the SQL parser and the statement-boundary
// scanner. They work on a buffer b whose bytes past len(b) may still arrive
// (eof == false): whenever the answer depends on bytes not yet buffered they
// return stMore and the caller retries after a fill, from the same index.

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isWordByte: bytes of an unquoted identifier or keyword. Every byte >= 0x80
// counts, so UTF-8 (and GBK) table names such as 中文表 are one word.
func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '$' || c >= 0x80
}

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// eqFold reports whether w equals the lower-case ASCII keyword kw, ignoring
// ASCII case, without allocating.
func eqFold(w []byte, kw string) bool {
	if len(w) != len(kw) {
		return false
	}
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != kw[i] {
			return false
		}
	}
	return true
}

// skipSpace skips whitespace and comments (MySQL's "# ...", "-- ..." where
// the dashes are followed by whitespace or a control byte, and "/* ... */",
// which includes "/*!40101 ... */" version comments: data files carry only
// session settings in those, never rows). It returns the index of the next
// significant byte (len(b) at the end of the buffer). stMore means a comment
// or a possible comment start is cut by the buffer end; the returned index is
// then the comment start, so the caller may commit everything before it.
// stErr means an unterminated block comment at end of input.
func skipSpace(b []byte, i int, eof bool) (int, status) {
	for i < len(b) {
		c := b[i]
		switch {
		case isSpace(c):
			i++
		case c == '#':
			j := bytes.IndexByte(b[i:], '\n')
			if j < 0 {
				if eof {
					return len(b), stOK
				}
				return i, stMore
			}
			i += j + 1
		case c == '-':
			if i+2 >= len(b) {
				if !eof {
					return i, stMore
				}
				if i+2 == len(b) && b[i+1] == '-' {
					return len(b), stOK // a bare "--" ending the input
				}
				return i, stOK
			}
			if b[i+1] != '-' || b[i+2] > ' ' {
				return i, stOK
			}
			j := bytes.IndexByte(b[i:], '\n')
			if j < 0 {
				if eof {
					return len(b), stOK
				}
				return i, stMore
			}
			i += j + 1
		case c == '/':
			if i+1 >= len(b) {
				if eof {
					return i, stOK
				}
				return i, stMore
			}
			if b[i+1] != '*' {
				return i, stOK
			}
			j := bytes.Index(b[i+2:], []byte("*/"))
			if j < 0 {
				if eof {
					return i, stErr
				}
				return i, stMore
			}
			i += 2 + j + 2
		default:
			return i, stOK
		}
	}
	return i, stOK
}

// scanQuoted skips a quoted token starting at b[i] (the quote byte): a
// string, or an identifier when backslash is false. A doubled quote stands
// for itself; with backslash, "\x" never ends the token. It returns the index
// just past the closing quote.
func scanQuoted(b []byte, i int, backslash, eof bool) (int, status) {
	q := b[i]
	j := i + 1
	for {
		for j < len(b) && b[j] != q && !(backslash && b[j] == '\\') {
			j++
		}
		if j >= len(b) {
			if eof {
				return i, stErr
			}
			return i, stMore
		}
		if b[j] == '\\' {
			if j+1 >= len(b) {
				if eof {
					return i, stErr
				}
				return i, stMore
			}
			j += 2
			continue
		}
		// b[j] == q: closing, unless doubled.
		if j+1 >= len(b) {
			if eof {
				return j + 1, stOK
			}
			return i, stMore
		}
		if b[j+1] == q {
			j += 2
			continue
		}
		return j + 1, stOK
	}
}

// scanWord returns the end of the word starting at b[i].
func scanWord(b []byte, i int) int {
	for i < len(b) && isWordByte(b[i]) {
		i++
	}
	return i
}

// charsetName lower-cases an introducer name, returning a constant for the
// common ones so that rows with introducers do not allocate.
func charsetName(w []byte) string {
	var tmp [16]byte
	if len(w) <= len(tmp) {
		for i, c := range w {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			tmp[i] = c
		}
		switch string(tmp[:len(w)]) {
		case "binary":
			return "binary"
		case "utf8mb4":
			return "utf8mb4"
		case "utf8":
			return "utf8"
		case "utf8mb3":
			return "utf8mb3"
		case "latin1":
			return "latin1"
		case "ascii":
			return "ascii"
		case "gbk":
			return "gbk"
		case "gb18030":
			return "gb18030"
		}
	}
	return string(bytes.ToLower(w))
}
