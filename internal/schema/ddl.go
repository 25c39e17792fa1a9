package schema

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	// The parser needs a value-expression driver to build literals.
	_ "github.com/pingcap/tidb/pkg/parser/test_driver"
)

// ErrInvalidSchema is wrapped by every error about a schema file whose
// statements cannot be used (syntax error, no CREATE statement, unexpected
// statements). The text matches Lightning's log message.
var ErrInvalidSchema = errors.New("invalid schema statement")

// restoreFlags print DDL that TiDB, MySQL and MariaDB all accept:
// backslashes in strings are escaped (the default sql_mode interprets them),
// and TiDB-only clauses go into /*T![feature] */ comments.
const restoreFlags = format.DefaultRestoreFlags | format.RestoreStringEscapeBackslash | format.RestoreTiDBSpecialComment

// QuoteName quotes an identifier with backticks.
func QuoteName(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// QualifiedName is `db`.`table`.
func QualifiedName(db, table string) string {
	return QuoteName(db) + "." + QuoteName(table)
}

// ReadCreateDatabase returns the statement that creates targetDB. The body of
// a *-schema-create.sql file is deliberately ignored, like Lightning does:
// dumps contain variants that are not even valid SQL
// ("CREATE DATABASE `perm` IF NOT EXISTS;"), and the file name already says
// which database to create.
func ReadCreateDatabase(_ []byte, targetDB string) (string, error) {
	if targetDB == "" {
		return "", fmt.Errorf("%w: empty database name", ErrInvalidSchema)
	}
	return "CREATE DATABASE IF NOT EXISTS " + QuoteName(targetDB), nil
}

func parseAll(data []byte) ([]ast.StmtNode, error) {
	p := parser.New()
	stmts, _, err := p.Parse(string(data), "", "")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidSchema, err)
	}
	return stmts, nil
}

func restore(node ast.Node) (string, error) {
	var sb strings.Builder
	if err := node.Restore(format.NewRestoreCtx(restoreFlags, &sb)); err != nil {
		return "", err
	}
	return sb.String(), nil
}

// ReadCreateTable parses a table schema file (already decoded with
// DecodeSchemaFile) and returns its CREATE TABLE statement for
// `targetDB`.`targetTable`, with IF NOT EXISTS forced, plus the parsed
// statement (whose name has been rewritten too). Dumpling's session SETs,
// USE and DROP statements are skipped; anything else is an error.
func ReadCreateTable(data []byte, targetDB, targetTable string) (string, *ast.CreateTableStmt, error) {
	stmts, err := parseAll(data)
	if err != nil {
		return "", nil, fmt.Errorf("reading CREATE TABLE for %s: %w", QualifiedName(targetDB, targetTable), err)
	}
	var create *ast.CreateTableStmt
	for _, s := range stmts {
		switch st := s.(type) {
		case *ast.SetStmt, *ast.UseStmt, *ast.DropTableStmt:
			continue
		case *ast.CreateTableStmt:
			if create != nil {
				return "", nil, fmt.Errorf("reading CREATE TABLE for %s: %w: more than one CREATE TABLE in one schema file", QualifiedName(targetDB, targetTable), ErrInvalidSchema)
			}
			create = st
		default:
			return "", nil, fmt.Errorf("reading CREATE TABLE for %s: %w: unexpected %s", QualifiedName(targetDB, targetTable), ErrInvalidSchema, stmtKind(s))
		}
	}
	if create == nil {
		return "", nil, fmt.Errorf("reading CREATE TABLE for %s: %w: no CREATE TABLE statement found", QualifiedName(targetDB, targetTable), ErrInvalidSchema)
	}
	create.Table.Schema = ast.NewCIStr(targetDB)
	create.Table.Name = ast.NewCIStr(targetTable)
	create.IfNotExists = true
	if create.ReferTable != nil && create.ReferTable.Schema.O == "" {
		// CREATE TABLE ... LIKE other: the statement runs without a default
		// database, so name the source table's database explicitly.
		create.ReferTable.Schema = ast.NewCIStr(targetDB)
	}
	text, err := restore(create)
	if err == nil {
		text, err = portableChecks(create, text)
	}
	if err != nil {
		return "", nil, fmt.Errorf("printing CREATE TABLE for %s: %w", QualifiedName(targetDB, targetTable), err)
	}
	return text, create, nil
}

// ReadCreateView parses a Dumpling view file (*-schema-view.sql) and returns
// the statements to run, in order, for `targetDB`.`targetView`:
//
//	DROP TABLE IF EXISTS `db`.`v`   -- the placeholder table Dumpling's -schema.sql created
//	DROP VIEW IF EXISTS `db`.`v`
//	CREATE ... VIEW `db`.`v` ... AS SELECT ...
//
// The DROPs are emitted even when the file lacks them, because the
// placeholder table of the same name always exists at this point. The
// SELECT keeps its table references as written: unqualified names must be
// resolved in targetDB, so the statements must run with targetDB as the
// session's default database.
func ReadCreateView(data []byte, targetDB, targetView string) ([]string, *ast.CreateViewStmt, error) {
	name := QualifiedName(targetDB, targetView)
	stmts, err := parseAll(data)
	if err != nil {
		return nil, nil, fmt.Errorf("reading CREATE VIEW for %s: %w", name, err)
	}
	var create *ast.CreateViewStmt
	for _, s := range stmts {
		switch st := s.(type) {
		case *ast.SetStmt, *ast.UseStmt, *ast.DropTableStmt:
			continue
		case *ast.CreateViewStmt:
			if create != nil {
				return nil, nil, fmt.Errorf("reading CREATE VIEW for %s: %w: more than one CREATE VIEW in one schema file", name, ErrInvalidSchema)
			}
			create = st
		default:
			return nil, nil, fmt.Errorf("reading CREATE VIEW for %s: %w: unexpected %s", name, ErrInvalidSchema, stmtKind(s))
		}
	}
	if create == nil {
		return nil, nil, fmt.Errorf("reading CREATE VIEW for %s: %w: no CREATE VIEW statement found", name, ErrInvalidSchema)
	}
	create.ViewName.Schema = ast.NewCIStr(targetDB)
	create.ViewName.Name = ast.NewCIStr(targetView)
	// The placeholder table is dropped right before, so OR REPLACE only
	// matters when a view of that name already exists; DROP VIEW handles it.
	create.OrReplace = false
	text, err := restore(create)
	if err != nil {
		return nil, nil, fmt.Errorf("printing CREATE VIEW for %s: %w", name, err)
	}
	return []string{
		"DROP TABLE IF EXISTS " + name,
		"DROP VIEW IF EXISTS " + name,
		text,
	}, create, nil
}

func stmtKind(s ast.StmtNode) string {
	t := fmt.Sprintf("%T", s)
	t = strings.TrimPrefix(t, "*ast.")
	t = strings.TrimSuffix(t, "Stmt")
	text := s.Text()
	if len(text) > 60 {
		text = text[:60] + "..."
	}
	if text != "" {
		return fmt.Sprintf("%s statement %q", t, text)
	}
	return t + " statement"
}

// portableChecks rewrites the CHECK clauses of a restored CREATE TABLE so
// that MySQL, MariaDB and TiDB all accept them. TiDB's printer always spells
// out "ENFORCED" or "NOT ENFORCED", which MariaDB rejects as a syntax error
// (mydumper dumps of JSON columns carry CHECK (json_valid(...))). ENFORCED is
// the default everywhere and is dropped; NOT ENFORCED goes into a versioned
// comment that MySQL ≥ 8.0.16 and TiDB execute and MariaDB ignores.
func portableChecks(create *ast.CreateTableStmt, text string) (string, error) {
	var checks []*ast.ColumnOption
	var tableChecks []*ast.Constraint
	for _, col := range create.Cols {
		for _, opt := range col.Options {
			if opt.Tp == ast.ColumnOptionCheck {
				checks = append(checks, opt)
			}
		}
	}
	for _, c := range create.Constraints {
		if c.Tp == ast.ConstraintCheck {
			tableChecks = append(tableChecks, c)
		}
	}
	rewrite := func(expr ast.ExprNode, enforced bool, sep string) error {
		body, err := restore(expr)
		if err != nil {
			return err
		}
		from, to := "CHECK("+body+")"+sep+"ENFORCED", "CHECK("+body+")"
		if !enforced {
			from, to = "CHECK("+body+")"+sep+"NOT ENFORCED", "CHECK("+body+") /*!80016 NOT ENFORCED */"
		}
		text = strings.Replace(text, from, to, 1)
		return nil
	}
	for _, opt := range checks {
		if err := rewrite(opt.Expr, opt.Enforced, " "); err != nil {
			return "", err
		}
	}
	for _, c := range tableChecks {
		if err := rewrite(c.Expr, c.Enforced, " "); err != nil {
			return "", err
		}
	}
	return text, nil
}
