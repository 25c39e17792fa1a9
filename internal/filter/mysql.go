package filter

import (
	"fmt"
	"regexp"
	"strings"
)

// MySQLTable is one do-tables / ignore-tables entry of the legacy
// [black-white-list] section.
type MySQLTable struct {
	Schema string `toml:"db-name" json:"db-name"`
	Name   string `toml:"tbl-name" json:"tbl-name"`
}

// MySQLReplicationRules is the legacy [black-white-list] section, modelled on
// MySQL's replicate-do-db / replicate-ignore-db / replicate-do-table /
// replicate-ignore-table options. A name starting with ~ is an (unanchored)
// regular expression; any other name matches literally (no wildcards, as in
// MySQL's non-"wild" replicate options).
type MySQLReplicationRules struct {
	DoDBs        []string      `toml:"do-dbs" json:"do-dbs"`
	IgnoreDBs    []string      `toml:"ignore-dbs" json:"ignore-dbs"`
	DoTables     []*MySQLTable `toml:"do-tables" json:"do-tables"`
	IgnoreTables []*MySQLTable `toml:"ignore-tables" json:"ignore-tables"`
}

type nameMatcher = *regexp.Regexp

type tableMatcher struct{ schema, table nameMatcher }

// replicationFilter evaluates rules the way MySQL evaluates replication
// filters: database rules first, then table rules.
type replicationFilter struct {
	doDBs, ignoreDBs       []nameMatcher
	doTables, ignoreTables []tableMatcher
}

// ParseMySQLReplicationRules compiles the legacy rules. Matching ignores
// case unless caseSensitive is set.
func ParseMySQLReplicationRules(rules *MySQLReplicationRules, caseSensitive bool) (Filter, error) {
	f := &replicationFilter{}
	if rules == nil {
		return All(), nil
	}
	var err error
	if f.doDBs, err = compileNames(rules.DoDBs, caseSensitive, "do-dbs"); err != nil {
		return nil, err
	}
	if f.ignoreDBs, err = compileNames(rules.IgnoreDBs, caseSensitive, "ignore-dbs"); err != nil {
		return nil, err
	}
	if f.doTables, err = compileTables(rules.DoTables, caseSensitive, "do-tables"); err != nil {
		return nil, err
	}
	if f.ignoreTables, err = compileTables(rules.IgnoreTables, caseSensitive, "ignore-tables"); err != nil {
		return nil, err
	}
	return f, nil
}

func compileName(name string, caseSensitive bool) (*regexp.Regexp, error) {
	if strings.HasPrefix(name, "~") {
		expr := name[1:]
		if !caseSensitive {
			expr = "(?i)" + expr
		}
		return regexp.Compile(expr)
	}
	return compileAnchored(regexp.QuoteMeta(name), caseSensitive)
}

func compileNames(names []string, caseSensitive bool, key string) ([]nameMatcher, error) {
	out := make([]nameMatcher, 0, len(names))
	for _, n := range names {
		m, err := compileName(n, caseSensitive)
		if err != nil {
			return nil, fmt.Errorf("black-white-list.%s %q: %w", key, n, err)
		}
		out = append(out, m)
	}
	return out, nil
}

func compileTables(tables []*MySQLTable, caseSensitive bool, key string) ([]tableMatcher, error) {
	out := make([]tableMatcher, 0, len(tables))
	for _, t := range tables {
		if t == nil {
			continue
		}
		s, err := compileName(t.Schema, caseSensitive)
		if err != nil {
			return nil, fmt.Errorf("black-white-list.%s db-name %q: %w", key, t.Schema, err)
		}
		n, err := compileName(t.Name, caseSensitive)
		if err != nil {
			return nil, fmt.Errorf("black-white-list.%s tbl-name %q: %w", key, t.Name, err)
		}
		out = append(out, tableMatcher{schema: s, table: n})
	}
	return out, nil
}

func anyName(ms []nameMatcher, s string) bool {
	for _, m := range ms {
		if m.MatchString(s) {
			return true
		}
	}
	return false
}

func anyTable(ms []tableMatcher, schema, table string) bool {
	for _, m := range ms {
		if m.schema.MatchString(schema) && m.table.MatchString(table) {
			return true
		}
	}
	return false
}

// MatchSchema applies the database rules: with do-dbs only listed schemas
// pass, otherwise ignore-dbs removes schemas.
func (f *replicationFilter) MatchSchema(schema string) bool {
	if len(f.doDBs) > 0 {
		return anyName(f.doDBs, schema)
	}
	return !anyName(f.ignoreDBs, schema)
}

// MatchTable applies the database rules, then the table rules in MySQL's
// order: a do-table match accepts, an ignore-table match rejects, and when
// do-tables exist an unmatched table is rejected.
func (f *replicationFilter) MatchTable(schema, table string) bool {
	if !f.MatchSchema(schema) {
		return false
	}
	if anyTable(f.doTables, schema, table) {
		return true
	}
	if anyTable(f.ignoreTables, schema, table) {
		return false
	}
	return len(f.doTables) == 0
}
