package filter

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// globToRegexp translates a wildcard pattern to regexp syntax (without
// anchors). The pattern uses * (any run, possibly empty), ? (one character),
// [abc] / [a-z] / [!a-z] (character classes; ^ is accepted for ! too) and
// backslash escapes. Every literal is emitted as an escaped code point, so
// names with regexp metacharacters are safe.
func globToRegexp(pattern string) (string, error) {
	var sb strings.Builder
	for i := 0; i < len(pattern); {
		r, size := utf8.DecodeRuneInString(pattern[i:])
		switch r {
		case '*':
			sb.WriteString(`.*`)
			i += size
		case '?':
			sb.WriteString(`.`)
			i += size
		case '\\':
			if i+size >= len(pattern) {
				return "", fmt.Errorf("pattern %q ends with a lone backslash", pattern)
			}
			i += size
			r, size = utf8.DecodeRuneInString(pattern[i:])
			writeLiteral(&sb, r)
			i += size
		case '[':
			n, err := writeClass(&sb, pattern, i)
			if err != nil {
				return "", err
			}
			i += n
		default:
			if r == utf8.RuneError && size == 1 {
				return "", fmt.Errorf("pattern %q is not valid UTF-8", pattern)
			}
			writeLiteral(&sb, r)
			i += size
		}
	}
	return sb.String(), nil
}

func writeLiteral(sb *strings.Builder, r rune) {
	if r < utf8.RuneSelf && (r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
		sb.WriteRune(r)
		return
	}
	fmt.Fprintf(sb, `\x{%x}`, r)
}

// writeClass translates the class starting at pattern[start] == '[' and
// returns how many bytes it consumed. A ']' right after '[' or '[!' is a
// member, as in shell globs.
func writeClass(sb *strings.Builder, pattern string, start int) (int, error) {
	i := start + 1
	negate := false
	if i < len(pattern) && (pattern[i] == '!' || pattern[i] == '^') {
		negate = true
		i++
	}
	var items strings.Builder
	first := true
	for {
		if i >= len(pattern) {
			return 0, fmt.Errorf("pattern %q has an unterminated character class", pattern)
		}
		r, size := utf8.DecodeRuneInString(pattern[i:])
		if r == ']' && !first {
			i += size
			break
		}
		first = false
		if r == '\\' && i+size < len(pattern) {
			i += size
			r, size = utf8.DecodeRuneInString(pattern[i:])
		}
		i += size
		lo := r
		// A range "a-z" unless the '-' is last before ']'.
		if i+1 < len(pattern) && pattern[i] == '-' && pattern[i+1] != ']' {
			i++
			hi, hsize := utf8.DecodeRuneInString(pattern[i:])
			if hi == '\\' && i+hsize < len(pattern) {
				i += hsize
				hi, hsize = utf8.DecodeRuneInString(pattern[i:])
			}
			i += hsize
			if hi < lo {
				return 0, fmt.Errorf("pattern %q has an inverted range %c-%c", pattern, lo, hi)
			}
			fmt.Fprintf(&items, `\x{%x}-\x{%x}`, lo, hi)
			continue
		}
		fmt.Fprintf(&items, `\x{%x}`, lo)
	}
	sb.WriteByte('[')
	if negate {
		sb.WriteByte('^')
	}
	sb.WriteString(items.String())
	sb.WriteByte(']')
	return i - start, nil
}

// compileAnchored compiles a regexp body anchored at both ends.
func compileAnchored(body string, caseSensitive bool) (*regexp.Regexp, error) {
	prefix := `(?s)`
	if !caseSensitive {
		prefix = `(?is)`
	}
	return regexp.Compile(prefix + `^(?:` + body + `)$`)
}

// Wildcard matches names against one glob pattern, as used by [[routes]]
// schema-pattern and table-pattern.
type Wildcard struct {
	pattern string
	re      *regexp.Regexp
}

// CompileWildcard compiles a glob. Matching ignores case unless
// caseSensitive is set (mydumper.case-sensitive).
func CompileWildcard(pattern string, caseSensitive bool) (*Wildcard, error) {
	body, err := globToRegexp(pattern)
	if err != nil {
		return nil, err
	}
	re, err := compileAnchored(body, caseSensitive)
	if err != nil {
		return nil, fmt.Errorf("compiling pattern %q: %w", pattern, err)
	}
	return &Wildcard{pattern: pattern, re: re}, nil
}

// Match reports whether name matches the whole pattern.
func (w *Wildcard) Match(name string) bool { return w.re.MatchString(name) }

// String returns the source pattern.
func (w *Wildcard) String() string { return w.pattern }
