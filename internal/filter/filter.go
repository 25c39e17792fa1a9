package filter

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Filter decides which schemas and tables are imported.
type Filter interface {
	// MatchTable reports whether schema.table is imported.
	MatchTable(schema, table string) bool
	// MatchSchema reports whether some table of schema may be imported, i.e.
	// false only when the rules exclude every table of it. It decides
	// whether a schema with a CREATE DATABASE file but no tables is created.
	MatchSchema(schema string) bool
}

// rule is one parsed table-filter line.
type rule struct {
	source   string
	positive bool
	schema   *regexp.Regexp
	table    *regexp.Regexp
	// tableAll is set when the table pattern is a bare "*": only such a
	// negative rule can exclude a whole schema.
	tableAll bool
}

// tableFilter evaluates rules from the last to the first.
type tableFilter struct {
	rules []rule
}

// Parse compiles table-filter rules (mydumper.filter / -f) with
// case-insensitive matching, Lightning's default.
func Parse(rules []string) (Filter, error) { return parse(rules, false) }

// ParseCaseSensitive compiles table-filter rules matching names exactly
// (mydumper.case-sensitive = true).
func ParseCaseSensitive(rules []string) (Filter, error) { return parse(rules, true) }

func parse(lines []string, caseSensitive bool) (Filter, error) {
	f := &tableFilter{}
	for _, line := range lines {
		r, ok, err := parseRule(line, caseSensitive)
		if err != nil {
			return nil, fmt.Errorf("table filter rule %q: %w", line, err)
		}
		if ok {
			f.rules = append(f.rules, r)
		}
	}
	return f, nil
}

func (f *tableFilter) MatchTable(schema, table string) bool {
	for i := len(f.rules) - 1; i >= 0; i-- {
		r := &f.rules[i]
		if r.schema.MatchString(schema) && r.table.MatchString(table) {
			return r.positive
		}
	}
	return false
}

func (f *tableFilter) MatchSchema(schema string) bool {
	for i := len(f.rules) - 1; i >= 0; i-- {
		r := &f.rules[i]
		// "!db.t1" removes one table, not the schema; only "!db.*" does.
		if r.schema.MatchString(schema) && (r.positive || r.tableAll) {
			return r.positive
		}
	}
	return false
}

// parseRule parses one line. ok is false for blank lines and comments.
func parseRule(line string, caseSensitive bool) (rule, bool, error) {
	s := strings.TrimSpace(line)
	if s == "" || s[0] == '#' {
		return rule{}, false, nil
	}
	r := rule{source: s, positive: true}
	if s[0] == '!' {
		r.positive = false
		s = strings.TrimLeftFunc(s[1:], unicode.IsSpace)
	}
	if s == "" {
		return rule{}, false, fmt.Errorf("empty pattern after '!'")
	}
	if s[0] == '@' {
		return rule{}, false, fmt.Errorf("importing rules from a file (@path) is not supported")
	}
	schema, _, rest, err := parsePattern(s, caseSensitive)
	if err != nil {
		return rule{}, false, fmt.Errorf("schema pattern: %w", err)
	}
	if rest == "" || rest[0] != '.' {
		return rule{}, false, fmt.Errorf("expected 'schema.table', missing '.'")
	}
	table, all, rest, err := parsePattern(rest[1:], caseSensitive)
	if err != nil {
		return rule{}, false, fmt.Errorf("table pattern: %w", err)
	}
	rest = strings.TrimSpace(rest)
	if rest != "" && rest[0] != '#' {
		return rule{}, false, fmt.Errorf("unexpected %q after the table pattern", rest)
	}
	r.schema, r.table, r.tableAll = schema, table, all
	return r, true, nil
}

// parsePattern reads one name pattern from the start of s, up to an
// unquoted '.' or whitespace, and returns the compiled matcher, whether it is
// a bare "*", and the unread rest.
func parsePattern(s string, caseSensitive bool) (*regexp.Regexp, bool, string, error) {
	if s == "" {
		return nil, false, "", fmt.Errorf("empty pattern")
	}
	if s[0] == '/' {
		return parseRegexpPattern(s, caseSensitive)
	}
	// glob collects the pattern in Wildcard syntax; quoted text is copied
	// with every character backslash-escaped so it matches literally.
	var glob strings.Builder
	i := 0
loop:
	for i < len(s) {
		c := s[i]
		switch {
		case c == '.':
			break loop
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			break loop
		case c == '"' || c == '`':
			n, err := copyQuoted(&glob, s[i:])
			if err != nil {
				return nil, false, "", err
			}
			i += n
		case c == '\\':
			if i+1 >= len(s) {
				return nil, false, "", fmt.Errorf("pattern ends with a lone backslash")
			}
			_, size := utf8.DecodeRuneInString(s[i+1:])
			glob.WriteString(s[i : i+1+size])
			i += 1 + size
		case c == '[':
			n := classEnd(s[i:])
			if n < 0 {
				return nil, false, "", fmt.Errorf("unterminated character class in %q", s)
			}
			glob.WriteString(s[i : i+n])
			i += n
		default:
			glob.WriteByte(c)
			i++
		}
	}
	g := glob.String()
	if g == "" {
		return nil, false, "", fmt.Errorf("empty pattern")
	}
	body, err := globToRegexp(g)
	if err != nil {
		return nil, false, "", err
	}
	re, err := compileAnchored(body, caseSensitive)
	if err != nil {
		return nil, false, "", err
	}
	return re, g == "*", s[i:], nil
}

// copyQuoted copies a "..." or `...` name (doubled quote = literal quote) as
// escaped glob literals and returns the bytes consumed.
func copyQuoted(glob *strings.Builder, s string) (int, error) {
	q := s[0]
	i := 1
	for {
		if i >= len(s) {
			return 0, fmt.Errorf("unterminated %c-quoted name in %q", q, s)
		}
		if s[i] == q {
			if i+1 < len(s) && s[i+1] == q {
				glob.WriteByte('\\')
				glob.WriteByte(q)
				i += 2
				continue
			}
			return i + 1, nil
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		glob.WriteByte('\\')
		glob.WriteRune(r)
		i += size
	}
}

// classEnd returns the length of the character class at the start of s
// (s[0] == '['), or -1 when it is not terminated.
func classEnd(s string) int {
	i := 1
	if i < len(s) && (s[i] == '!' || s[i] == '^') {
		i++
	}
	if i < len(s) && s[i] == ']' {
		i++
	}
	for i < len(s) {
		switch s[i] {
		case '\\':
			i += 2
			continue
		case ']':
			return i + 1
		}
		i++
	}
	return -1
}

// parseRegexpPattern reads /regexp/. The expression is not anchored (write
// ^ and $ yourself), as in Lightning's table filter.
func parseRegexpPattern(s string, caseSensitive bool) (*regexp.Regexp, bool, string, error) {
	var body strings.Builder
	i := 1
	for {
		if i >= len(s) {
			return nil, false, "", fmt.Errorf("unterminated /regexp/ in %q", s)
		}
		c := s[i]
		if c == '\\' && i+1 < len(s) && s[i+1] == '/' {
			body.WriteByte('/')
			i += 2
			continue
		}
		if c == '\\' && i+1 < len(s) {
			body.WriteString(s[i : i+2])
			i += 2
			continue
		}
		if c == '/' {
			i++
			break
		}
		body.WriteByte(c)
		i++
	}
	expr := body.String()
	if !caseSensitive {
		expr = `(?i)` + expr
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, false, "", fmt.Errorf("compiling /%s/: %w", body.String(), err)
	}
	return re, false, s[i:], nil
}

// allFilter accepts everything; used when no rules are configured at all.
type allFilter struct{}

func (allFilter) MatchTable(string, string) bool { return true }
func (allFilter) MatchSchema(string) bool        { return true }

// All returns a filter that keeps every table.
func All() Filter { return allFilter{} }
