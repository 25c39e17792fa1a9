package schema

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
)

// Column is one column of a target table, in table order.
type Column struct {
	Name string
	// Type is the column type as SQL text ("INT", "VARCHAR(16)", ...).
	Type     string
	Nullable bool
	// HasDefault says whether DEFAULT was given; DefaultExpr is its SQL
	// text ("123", "CURRENT_TIMESTAMP()", "NULL"; "" when none).
	HasDefault    bool
	DefaultExpr   string
	AutoIncrement bool
	AutoRandom    bool
	// Generated columns cannot be written; GeneratedExpr is their expression.
	Generated     bool
	GeneratedExpr string
	Stored        bool
}

// Index is a primary or unique key.
type Index struct {
	Name    string
	Columns []string
	Primary bool
}

// TableInfo is the part of a table definition that import needs.
type TableInfo struct {
	DB      string
	Name    string
	Columns []Column
	// PrimaryKey is nil when the table has none.
	PrimaryKey *Index
	UniqueKeys []Index
}

// ColumnIndex returns the position of a column (names compare
// case-insensitively, as in MySQL), or -1.
func (t *TableInfo) ColumnIndex(name string) int {
	for i := range t.Columns {
		if strings.EqualFold(t.Columns[i].Name, name) {
			return i
		}
	}
	return -1
}

// ColumnNames are all column names in table order.
func (t *TableInfo) ColumnNames() []string {
	out := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		out[i] = c.Name
	}
	return out
}

// WritableColumns are the columns a data file in table order provides
// values for: all except generated ones.
func (t *TableInfo) WritableColumns() []string {
	var out []string
	for _, c := range t.Columns {
		if !c.Generated {
			out = append(out, c.Name)
		}
	}
	return out
}

// MissingColumns are the writable columns not named in columns: the server
// fills them with their default (or NULL / an auto value).
func (t *TableInfo) MissingColumns(columns []string) []string {
	var out []string
	for _, c := range t.Columns {
		if c.Generated {
			continue
		}
		found := false
		for _, n := range columns {
			if strings.EqualFold(n, c.Name) {
				found = true
				break
			}
		}
		if !found {
			out = append(out, c.Name)
		}
	}
	return out
}

// UnknownColumns are the names in columns that the table does not have.
// _tidb_rowid is accepted: TiDB lets a session with tidb_opt_write_row_id
// write it explicitly.
func (t *TableInfo) UnknownColumns(columns []string) []string {
	var out []string
	for _, n := range columns {
		if t.ColumnIndex(n) < 0 && !strings.EqualFold(n, "_tidb_rowid") {
			out = append(out, n)
		}
	}
	return out
}

func restoreText(n interface {
	Restore(*format.RestoreCtx) error
}) string {
	var sb strings.Builder
	if err := n.Restore(format.NewRestoreCtx(restoreFlags, &sb)); err != nil {
		return ""
	}
	return sb.String()
}

// TableInfoFromAST describes a parsed CREATE TABLE.
func TableInfoFromAST(db string, stmt *ast.CreateTableStmt) (*TableInfo, error) {
	if stmt == nil || stmt.Table == nil {
		return nil, fmt.Errorf("describing table in %s: %w: no table", QuoteName(db), ErrInvalidSchema)
	}
	ti := &TableInfo{DB: db, Name: stmt.Table.Name.O}
	if stmt.ReferTable != nil {
		return nil, fmt.Errorf("describing table %s: CREATE TABLE ... LIKE has no column list; load it from the server instead", QualifiedName(db, ti.Name))
	}
	for _, cd := range stmt.Cols {
		c := Column{Name: cd.Name.Name.O, Nullable: true}
		if cd.Tp != nil {
			c.Type = restoreText(cd.Tp)
		}
		for _, opt := range cd.Options {
			switch opt.Tp {
			case ast.ColumnOptionNotNull:
				c.Nullable = false
			case ast.ColumnOptionNull:
				c.Nullable = true
			case ast.ColumnOptionPrimaryKey:
				c.Nullable = false
				ti.PrimaryKey = &Index{Name: "PRIMARY", Columns: []string{c.Name}, Primary: true}
			case ast.ColumnOptionUniqKey:
				ti.UniqueKeys = append(ti.UniqueKeys, Index{Name: c.Name, Columns: []string{c.Name}})
			case ast.ColumnOptionDefaultValue:
				c.HasDefault = true
				if opt.Expr != nil {
					c.DefaultExpr = restoreText(opt.Expr)
				}
			case ast.ColumnOptionAutoIncrement:
				c.AutoIncrement = true
			case ast.ColumnOptionAutoRandom:
				c.AutoRandom = true
			case ast.ColumnOptionGenerated:
				c.Generated = true
				c.Stored = opt.Stored
				if opt.Expr != nil {
					c.GeneratedExpr = restoreText(opt.Expr)
				}
			}
		}
		ti.Columns = append(ti.Columns, c)
	}
	for _, con := range stmt.Constraints {
		var cols []string
		for _, k := range con.Keys {
			if k.Column != nil {
				cols = append(cols, k.Column.Name.O)
			}
		}
		switch con.Tp {
		case ast.ConstraintPrimaryKey:
			ti.PrimaryKey = &Index{Name: "PRIMARY", Columns: cols, Primary: true}
			for _, n := range cols {
				if i := ti.ColumnIndex(n); i >= 0 {
					ti.Columns[i].Nullable = false
				}
			}
		case ast.ConstraintUniq, ast.ConstraintUniqKey, ast.ConstraintUniqIndex:
			name := con.Name
			if name == "" && len(cols) > 0 {
				name = cols[0]
			}
			ti.UniqueKeys = append(ti.UniqueKeys, Index{Name: name, Columns: cols})
		}
	}
	return ti, nil
}

// LoadTargetColumns describes an existing table from information_schema,
// for no-schema mode and tables that already exist on the target. It fails
// when the table does not exist.
func LoadTargetColumns(ctx context.Context, db *sql.DB, dbName, table string) (*TableInfo, error) {
	name := QualifiedName(dbName, table)
	rows, err := db.QueryContext(ctx, `SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA
FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, dbName, table)
	if err != nil {
		return nil, fmt.Errorf("loading columns of %s: %w", name, err)
	}
	defer rows.Close()
	ti := &TableInfo{DB: dbName, Name: table}
	for rows.Next() {
		var colName, colType, nullable, extra string
		var def sql.NullString
		if err := rows.Scan(&colName, &colType, &nullable, &def, &extra); err != nil {
			return nil, fmt.Errorf("loading columns of %s: %w", name, err)
		}
		extraL := strings.ToLower(extra)
		c := Column{
			Name:          colName,
			Type:          colType,
			Nullable:      nullable == "YES",
			AutoIncrement: strings.Contains(extraL, "auto_increment"),
			AutoRandom:    strings.Contains(extraL, "auto_random"),
			Generated:     strings.Contains(extraL, "generated") || strings.Contains(extraL, "virtual") || strings.Contains(extraL, "persistent") || strings.Contains(extraL, "stored"),
		}
		c.Stored = c.Generated && (strings.Contains(extraL, "stored") || strings.Contains(extraL, "persistent"))
		// MariaDB reports "NULL" (text) for a nullable column without an
		// explicit default, MySQL reports SQL NULL; both mean "no default
		// other than NULL".
		if def.Valid && !(c.Nullable && def.String == "NULL") {
			c.HasDefault = true
			c.DefaultExpr = def.String
		}
		ti.Columns = append(ti.Columns, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("loading columns of %s: %w", name, err)
	}
	if len(ti.Columns) == 0 {
		return nil, fmt.Errorf("loading columns of %s: schema not found (table does not exist on the target)", name)
	}

	krows, err := db.QueryContext(ctx, `SELECT INDEX_NAME, COLUMN_NAME, NON_UNIQUE
FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY INDEX_NAME, SEQ_IN_INDEX`, dbName, table)
	if err != nil {
		return nil, fmt.Errorf("loading keys of %s: %w", name, err)
	}
	defer krows.Close()
	byName := map[string]*Index{}
	var order []string
	for krows.Next() {
		var idx string
		var col sql.NullString
		var nonUnique int
		if err := krows.Scan(&idx, &col, &nonUnique); err != nil {
			return nil, fmt.Errorf("loading keys of %s: %w", name, err)
		}
		if nonUnique != 0 {
			continue
		}
		ix, ok := byName[idx]
		if !ok {
			ix = &Index{Name: idx, Primary: strings.EqualFold(idx, "PRIMARY")}
			byName[idx] = ix
			order = append(order, idx)
		}
		if col.Valid {
			ix.Columns = append(ix.Columns, col.String)
		}
	}
	if err := krows.Err(); err != nil {
		return nil, fmt.Errorf("loading keys of %s: %w", name, err)
	}
	for _, n := range order {
		ix := byName[n]
		if ix.Primary {
			ti.PrimaryKey = ix
		} else {
			ti.UniqueKeys = append(ti.UniqueKeys, *ix)
		}
	}
	return ti, nil
}
