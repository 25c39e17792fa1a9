package logical

import (
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/tempestdb/tempest/internal/parser"
	"github.com/tempestdb/tempest/internal/taskinfo"
)

// encoder turns source fields into SQL literals. It never casts: the server
// applies its own conversion rules under the session's sql_mode.
type encoder struct {
	// noBackslashEscapes mirrors sql_mode NO_BACKSLASH_ESCAPES: then a
	// backslash is an ordinary character and only quotes may be escaped
	// (by doubling).
	noBackslashEscapes bool
}

// appendString appends a quoted string literal. The introducer is kept when
// the source wrote one; bytes that are not valid UTF-8 get _binary so the
// server takes them verbatim instead of validating them against the
// connection's utf8mb4 (which would reject or mangle BLOB data and raw
// non-UTF-8 text).
func (e encoder) appendString(buf []byte, b []byte, charset string) []byte {
	switch {
	case charset != "" && isIdent(charset):
		buf = append(buf, '_')
		buf = append(buf, strings.ToLower(charset)...)
	case !utf8.Valid(b):
		buf = append(buf, "_binary"...)
	}
	buf = append(buf, '\'')
	if e.noBackslashEscapes {
		for _, c := range b {
			if c == '\'' {
				buf = append(buf, '\'', '\'')
			} else {
				buf = append(buf, c)
			}
		}
		return append(buf, '\'')
	}
	for _, c := range b {
		switch c {
		case 0:
			buf = append(buf, '\\', '0')
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\\':
			buf = append(buf, '\\', '\\')
		case '\'':
			buf = append(buf, '\\', '\'')
		case 0x1a:
			// Ctrl-Z ends input on Windows clients; MySQL escapes it too.
			buf = append(buf, '\\', 'Z')
		default:
			buf = append(buf, c)
		}
	}
	return append(buf, '\'')
}

// appendField appends one field as a literal.
func (e encoder) appendField(buf []byte, f parser.Field) ([]byte, error) {
	switch f.Kind {
	case parser.KindNull:
		return append(buf, "NULL"...), nil
	case parser.KindDefault:
		return append(buf, "DEFAULT"...), nil
	case parser.KindBool:
		if len(f.Bytes) == 1 && f.Bytes[0] == '0' {
			return append(buf, "FALSE"...), nil
		}
		return append(buf, "TRUE"...), nil
	case parser.KindString:
		return e.appendString(buf, f.Bytes, f.Charset), nil
	case parser.KindNumber:
		// Sent as written so the server parses it (DECIMAL precision, huge
		// integers). Anything but a plain numeric literal would be SQL
		// injection from a confused parser, so refuse it.
		if !isNumber(f.Bytes) {
			return buf, fmt.Errorf("malformed numeric literal %q", f.Bytes)
		}
		return append(buf, f.Bytes...), nil
	case parser.KindHex:
		buf = append(buf, "x'"...)
		buf = hex.AppendEncode(buf, f.Bytes)
		return append(buf, '\''), nil
	case parser.KindBits:
		buf = append(buf, "b'"...)
		for i, c := range f.Bytes {
			for bit := 7; bit >= 0; bit-- {
				// Leading zero bits of the first byte add nothing.
				if i == 0 && bit > 0 && c>>bit == 0 {
					continue
				}
				buf = append(buf, '0'+(c>>bit)&1)
			}
		}
		return append(buf, '\''), nil
	}
	return buf, fmt.Errorf("unknown field kind %d", f.Kind)
}

func isNumber(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	digits := false
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			digits = true
		case c == '+' || c == '-' || c == '.' || c == 'e' || c == 'E':
		default:
			return false
		}
	}
	return digits
}

func isIdent(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// printable returns text safe for a utf8mb4 TEXT column (see
// taskinfo.Printable).
func printable(b []byte, limit int) string { return taskinfo.Printable(b, limit) }
