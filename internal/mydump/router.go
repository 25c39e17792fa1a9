package mydump

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/tempestdb/tempest/internal/config"
)

// defaultFileRules returns Lightning's built-in rules for Dumpling/mydumper
// dumps, tried in order after any custom rules when default rules are on.
// The ignore rules come first so that "x.sql.bak" or "db.t-schema-post.sql"
// are not taken for data or schema files. Names are URL-unescaped because
// Dumpling percent-escapes characters that are unsafe in file names.
// (A function rather than a package variable so no caller can mutate the
// shared defaults.)
func defaultFileRules() []config.FileRouteRule {
	return []config.FileRouteRule{
		{Pattern: `(?i).*(?:-schema-trigger|-schema-post)\.sql(?:\.(\w*?))?$`, Type: "ignore"},
		{Pattern: `(?i).*\.(?:sql|csv|parquet)(?:\.(\w+))?\.bak$`, Type: "ignore"},
		{Pattern: `(?i)^(?:[^/]*/)*([^/.]+)-schema-create\.sql(?:\.(\w*?))?$`, Schema: "$1", Type: "schema-schema", Compression: "$2"},
		{Pattern: `(?i)^(?:[^/]*/)*([^/.]+)\.(.*?)-schema\.sql(?:\.(\w*?))?$`, Schema: "$1", Table: "$2", Type: "table-schema", Compression: "$3"},
		{Pattern: `(?i)^(?:[^/]*/)*([^/.]+)\.(.*?)-schema-view\.sql(?:\.(\w*?))?$`, Schema: "$1", Table: "$2", Type: "view-schema", Compression: "$3"},
		{Pattern: `(?i)^(?:[^/]*/)*([^/.]+)\.(.*?)(?:\.([0-9]+))?\.(sql|csv|parquet)(?:\.(\w+))?$`, Schema: "$1", Table: "$2", Type: "$4", Key: "$3", Compression: "$5"},
	}
}

// fileRule is one compiled routing rule.
type fileRule struct {
	re                                   *regexp.Regexp
	schema, table, typ, key, compression string
	unescape                             bool
	source                               string // for error messages
}

// FileRouter maps a file path (relative to the data source, slash
// separated) to what the file holds. The first matching rule wins.
type FileRouter struct {
	rules []fileRule
}

// RouteResult is what a rule made of one file path. Schema/Table are source
// names, before [[routes]].
type RouteResult struct {
	Schema      string
	Table       string
	Type        SourceType
	Key         string
	Compression Compression
}

// NewFileRouter builds the router of a [mydumper] section: custom
// [[mydumper.files]] rules first, then the default rules when
// default-file-rules is on (its default: on iff there are no custom rules).
func NewFileRouter(m *config.Mydumper) (*FileRouter, error) {
	useDefault := len(m.FileRouters) == 0
	if m.DefaultFileRules != nil {
		useDefault = *m.DefaultFileRules
	}
	r := &FileRouter{}
	for i, rule := range m.FileRouters {
		fr, err := compileFileRule(rule, false)
		if err != nil {
			return nil, fmt.Errorf("mydumper.files[%d]: %w", i, err)
		}
		r.rules = append(r.rules, fr)
	}
	if useDefault {
		for _, rule := range defaultFileRules() {
			fr, err := compileFileRule(rule, true)
			if err != nil {
				// The default rules are constants; failing here is a bug,
				// but still reported as an error, not a panic.
				return nil, fmt.Errorf("default file rule %q: %w", rule.Pattern, err)
			}
			r.rules = append(r.rules, fr)
		}
	}
	return r, nil
}

func compileFileRule(rule config.FileRouteRule, unescape bool) (fileRule, error) {
	pattern := rule.Pattern
	switch {
	case pattern != "" && rule.Path != "":
		return fileRule{}, fmt.Errorf("only one of pattern and path may be set (pattern %q, path %q)", rule.Pattern, rule.Path)
	case rule.Path != "":
		// A literal path matches exactly that file.
		pattern = `^` + regexp.QuoteMeta(strings.TrimPrefix(rule.Path, "/")) + `$`
	case pattern == "":
		return fileRule{}, fmt.Errorf("pattern or path is required")
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return fileRule{}, fmt.Errorf("compiling pattern %q: %w", pattern, err)
	}
	if rule.Type == "" {
		return fileRule{}, fmt.Errorf("rule %q: type is required", pattern)
	}
	// A literal type is checked now; a template is checked per file.
	if !strings.Contains(rule.Type, "$") {
		t, err := ParseSourceType(rule.Type)
		if err != nil {
			return fileRule{}, fmt.Errorf("rule %q: %w", pattern, err)
		}
		if t != SourceTypeIgnore && rule.Schema == "" {
			return fileRule{}, fmt.Errorf("rule %q: schema is required for type %s", pattern, t)
		}
		if (t == SourceTypeTableSchema || t == SourceTypeViewSchema || t.IsData()) && rule.Table == "" {
			return fileRule{}, fmt.Errorf("rule %q: table is required for type %s", pattern, t)
		}
	}
	return fileRule{
		re: re, schema: rule.Schema, table: rule.Table, typ: rule.Type, key: rule.Key,
		compression: rule.Compression, unescape: unescape, source: pattern,
	}, nil
}

// Route returns how path is routed, or nil when no rule matches (the file
// is skipped). Files of type ignore are returned with Type
// SourceTypeIgnore.
func (r *FileRouter) Route(path string) (*RouteResult, error) {
	for i := range r.rules {
		rule := &r.rules[i]
		m := rule.re.FindStringSubmatchIndex(path)
		if m == nil {
			continue
		}
		expand := func(tmpl string) string {
			if tmpl == "" {
				return ""
			}
			return string(rule.re.ExpandString(nil, tmpl, path, m))
		}
		typ, err := ParseSourceType(expand(rule.typ))
		if err != nil {
			return nil, fmt.Errorf("routing file %q with rule %q: %w", path, rule.source, err)
		}
		if typ == SourceTypeIgnore {
			return &RouteResult{Type: SourceTypeIgnore}, nil
		}
		res := &RouteResult{
			Schema: expand(rule.schema),
			Table:  expand(rule.table),
			Type:   typ,
			Key:    expand(rule.key),
		}
		if res.Compression, err = ParseCompression(expand(rule.compression)); err != nil {
			return nil, fmt.Errorf("routing file %q with rule %q: %w", path, rule.source, err)
		}
		if rule.unescape {
			res.Schema = unescapeName(res.Schema)
			res.Table = unescapeName(res.Table)
		}
		if res.Schema == "" {
			return nil, fmt.Errorf("routing file %q with rule %q: empty schema name", path, rule.source)
		}
		if res.Table == "" && typ != SourceTypeSchemaSchema {
			return nil, fmt.Errorf("routing file %q with rule %q: empty table name", path, rule.source)
		}
		return res, nil
	}
	return nil, nil
}

// unescapeName undoes Dumpling's percent-escaping. A name that is not valid
// percent-encoding (a literal "%" that Dumpling did not write) is kept as
// is rather than rejected.
func unescapeName(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	u, err := url.PathUnescape(s)
	if err != nil {
		return s
	}
	return u
}
