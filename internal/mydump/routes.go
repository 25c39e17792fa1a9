package mydump

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/filter"
)

// extractor fills one extra target column from a regexp over a source
// name.
type extractor struct {
	re     *regexp.Regexp
	column string
}

// value is the concatenation of the capture groups of the first match
// (the whole match when the expression has no groups); "" when it does not
// match.
func (e *extractor) value(s string) string {
	m := e.re.FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	if len(m) == 1 {
		return m[0]
	}
	return strings.Join(m[1:], "")
}

type tableRoute struct {
	index        int
	schema       *filter.Wildcard
	table        *filter.Wildcard // nil: a schema-level rule
	targetSchema string
	targetTable  string
	extractors   []struct {
		ex     extractor
		source byte // 't' table name, 's' schema name, 'i' source id
	}
}

// TableRouter applies [[routes]]: it renames source schemas/tables to target
// ones, which merges sharded tables into one.
//
// Precedence: a rule with a table-pattern (table-level) beats a rule with
// only a schema-pattern (schema-level). Two matching rules of the same level
// are a configuration error, because the result would depend on rule order
// in a way users rarely intend.
type TableRouter struct {
	rules    []tableRoute
	sourceID string
}

// NewTableRouter compiles routes. Pattern matching ignores case unless
// caseSensitive; sourceID is mydumper.source-id, the input of
// [routes.extract-source].
func NewTableRouter(routes []config.Route, caseSensitive bool, sourceID string) (*TableRouter, error) {
	tr := &TableRouter{sourceID: sourceID}
	for i, r := range routes {
		if r.SchemaPattern == "" {
			return nil, fmt.Errorf("routes[%d]: schema-pattern is required", i)
		}
		rt := tableRoute{index: i, targetSchema: r.TargetSchema, targetTable: r.TargetTable}
		var err error
		if rt.schema, err = filter.CompileWildcard(r.SchemaPattern, caseSensitive); err != nil {
			return nil, fmt.Errorf("routes[%d] schema-pattern: %w", i, err)
		}
		if r.TablePattern != "" {
			if rt.table, err = filter.CompileWildcard(r.TablePattern, caseSensitive); err != nil {
				return nil, fmt.Errorf("routes[%d] table-pattern: %w", i, err)
			}
		}
		add := func(key string, e *config.RouteExtractor, expr string, source byte) error {
			if e == nil {
				return nil
			}
			if e.TargetColumn == "" {
				return fmt.Errorf("routes[%d].%s: target-column is required", i, key)
			}
			re, err := regexp.Compile(expr)
			if err != nil {
				return fmt.Errorf("routes[%d].%s: compiling %q: %w", i, key, expr, err)
			}
			rt.extractors = append(rt.extractors, struct {
				ex     extractor
				source byte
			}{extractor{re: re, column: e.TargetColumn}, source})
			return nil
		}
		if r.TableExtractor != nil {
			if err := add("extract-table", r.TableExtractor, r.TableExtractor.TableRegexp, 't'); err != nil {
				return nil, err
			}
		}
		if r.SchemaExtractor != nil {
			if err := add("extract-schema", r.SchemaExtractor, r.SchemaExtractor.SchemaRegexp, 's'); err != nil {
				return nil, err
			}
		}
		if r.SourceExtractor != nil {
			if err := add("extract-source", r.SourceExtractor, r.SourceExtractor.SourceRegexp, 'i'); err != nil {
				return nil, err
			}
		}
		tr.rules = append(tr.rules, rt)
	}
	return tr, nil
}

// Route returns the target names for a source schema and table (table ""
// for a schema-level object such as a CREATE DATABASE file) and the
// extracted column values of the rule that applied (nil when none).
// Unmatched names are returned unchanged.
func (tr *TableRouter) Route(schema, table string) (string, string, map[string]string, error) {
	if tr == nil || len(tr.rules) == 0 {
		return schema, table, nil, nil
	}
	var tableLevel, schemaLevel []*tableRoute
	for i := range tr.rules {
		r := &tr.rules[i]
		if !r.schema.Match(schema) {
			continue
		}
		if r.table == nil {
			schemaLevel = append(schemaLevel, r)
		} else if table != "" && r.table.Match(table) {
			tableLevel = append(tableLevel, r)
		}
	}
	pick := tableLevel
	if len(pick) == 0 {
		pick = schemaLevel
	}
	switch len(pick) {
	case 0:
		return schema, table, nil, nil
	case 1:
	default:
		return "", "", nil, fmt.Errorf("`%s`.`%s` matches %d routing rules (routes[%d] and routes[%d]); make the patterns disjoint",
			schema, table, len(pick), pick[0].index, pick[1].index)
	}
	r := pick[0]
	targetSchema, targetTable := schema, table
	if r.targetSchema != "" {
		targetSchema = r.targetSchema
	}
	// A schema-level rule moves tables into another schema but keeps their
	// names; only a table-level rule renames the table.
	if r.table != nil && r.targetTable != "" && table != "" {
		targetTable = r.targetTable
	}
	var extend map[string]string
	if table != "" && len(r.extractors) > 0 {
		extend = make(map[string]string, len(r.extractors))
		for _, e := range r.extractors {
			var in string
			switch e.source {
			case 't':
				in = table
			case 's':
				in = schema
			default:
				in = tr.sourceID
			}
			extend[e.ex.column] = e.ex.value(in)
		}
	}
	return targetSchema, targetTable, extend, nil
}
