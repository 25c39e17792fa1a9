package tidb

import (
	"fmt"
	"strings"

	tparser "github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	ptypes "github.com/pingcap/tidb/pkg/parser/types"

	"github.com/tempestdb/tempest/internal/kv"
)

// Expression indexes. TiDB implements KEY ((expr)) with a hidden virtual
// generated column per expression key part, named _V$_<index>_<part>,
// appended after the table's columns (so it takes the next column ID), whose
// type is the expression's; the index then covers that column. The schema
// JSON shows both (the column with "hidden": true), and that is all the
// codec needs to write the index KVs: it evaluates the hidden column like any
// indexed virtual column. kv.BuildTableInfo refuses expression key parts
// (from SQL text alone it cannot know TiDB's hidden-column layout), so the
// front rewrites the statement into TiDB's layout before building the model
// and marks the added columns hidden afterwards. The stored CREATE TABLE
// text keeps the expression, as SHOW CREATE TABLE on TiDB does.

// expressionIndexPrefix is TiDB's name prefix for hidden columns.
const expressionIndexPrefix = "_V$"

// buildTableInfo builds the table model of a stored CREATE TABLE text with
// the given table ID, expression indexes included.
func buildTableInfo(createSQL string, id int64) (*kv.TableInfo, error) {
	stmt, err := tparser.New().ParseOneStmt(createSQL, "", "")
	if err != nil {
		return nil, fmt.Errorf("parsing CREATE TABLE: %w", err)
	}
	ct, ok := stmt.(*ast.CreateTableStmt)
	if !ok {
		return nil, fmt.Errorf("not a CREATE TABLE statement")
	}
	hidden, err := addHiddenColumns(ct)
	if err != nil {
		return nil, err
	}
	info, err := kv.BuildTableInfo(ct, id)
	if err != nil {
		return nil, err
	}
	for _, h := range hidden {
		if c := info.FindColumn(h.name); c != nil {
			c.Hidden = true
			c.GeneratedExpr = h.expr
		}
	}
	return info, nil
}

// hiddenColumn is one added column: its name and TiDB's text of its
// expression (generated_expr_string in the schema JSON).
type hiddenColumn struct{ name, expr string }

// exprRestoreFlags are the flags TiDB restores an index expression with
// for the hidden column's generated_expr_string.
const exprRestoreFlags = format.RestoreStringSingleQuotes | format.RestoreKeyWordLowercase | format.RestoreNameBackQuotes |
	format.RestoreSpacesAroundBinaryOperation | format.RestoreWithoutSchemaName | format.RestoreWithoutTableName

// addHiddenColumns rewrites every expression key part of ct into a hidden
// generated column plus a plain key part naming it, and returns the added
// columns. ct is changed in place.
func addHiddenColumns(ct *ast.CreateTableStmt) ([]hiddenColumn, error) {
	cols := map[string]*ast.ColumnDef{}
	for _, cd := range ct.Cols {
		cols[cd.Name.Name.L] = cd
	}
	used := map[string]bool{}
	for _, c := range ct.Constraints {
		if c.Name != "" {
			used[strings.ToLower(c.Name)] = true
		}
	}
	var hidden []hiddenColumn
	for _, c := range ct.Constraints {
		hasExpr := false
		for _, k := range c.Keys {
			hasExpr = hasExpr || k.Expr != nil
		}
		if !hasExpr {
			continue
		}
		switch c.Tp {
		case ast.ConstraintKey, ast.ConstraintIndex, ast.ConstraintUniq, ast.ConstraintUniqKey, ast.ConstraintUniqIndex:
		default:
			return nil, fmt.Errorf("table %s: an expression is not allowed in this kind of key", ct.Table.Name.O)
		}
		if c.Name == "" {
			// TiDB's name for an unnamed expression index.
			name := "expression_index"
			for i := 2; used[name]; i++ {
				name = fmt.Sprintf("expression_index_%d", i)
			}
			c.Name = name
			used[name] = true
		}
		for i, k := range c.Keys {
			if k.Expr == nil {
				continue
			}
			if _, ok := unparen(k.Expr).(*ast.ColumnNameExpr); ok {
				// TiDB's ErrFunctionalIndexOnField.
				return nil, fmt.Errorf("table %s: index %s: functional index on a column is not supported, consider using a regular index instead", ct.Table.Name.O, c.Name)
			}
			ft, err := exprType(k.Expr, cols)
			if err != nil {
				return nil, fmt.Errorf("table %s: expression index %s: %w", ct.Table.Name.O, c.Name, err)
			}
			var sb strings.Builder
			if err := k.Expr.Restore(format.NewRestoreCtx(exprRestoreFlags, &sb)); err != nil {
				return nil, fmt.Errorf("table %s: expression index %s: restoring expression: %w", ct.Table.Name.O, c.Name, err)
			}
			name := fmt.Sprintf("%s_%s_%d", expressionIndexPrefix, c.Name, i)
			cd := &ast.ColumnDef{
				Name:    &ast.ColumnName{Name: ast.NewCIStr(name)},
				Tp:      ft,
				Options: []*ast.ColumnOption{{Tp: ast.ColumnOptionGenerated, Expr: k.Expr, Stored: false}},
			}
			ct.Cols = append(ct.Cols, cd)
			hidden = append(hidden, hiddenColumn{name: name, expr: sb.String()})
			k.Column = &ast.ColumnName{Name: ast.NewCIStr(name)}
			k.Expr = nil
			k.Length = ptypes.UnspecifiedLength
		}
	}
	return hidden, nil
}

func unparen(e ast.ExprNode) ast.ExprNode {
	for {
		p, ok := e.(*ast.ParenthesesExpr)
		if !ok {
			return e
		}
		e = p.Expr
	}
}

// exprType is the type TiDB infers for an index expression, for the
// expressions the codec can evaluate: column references, string functions
// (which keep their argument's character set and collation), integer
// results (lengths, date parts), ABS and integer/real arithmetic, and CAST.
// The parts that decide the bytes of an index key are exact (type class,
// signedness, collation); display widths are approximations.
func exprType(e ast.ExprNode, cols map[string]*ast.ColumnDef) (*ptypes.FieldType, error) {
	switch x := e.(type) {
	case *ast.ParenthesesExpr:
		return exprType(x.Expr, cols)
	case *ast.ColumnNameExpr:
		cd := cols[x.Name.Name.L]
		if cd == nil {
			return nil, fmt.Errorf("unknown column %s", x.Name.Name.O)
		}
		ft := cd.Tp.Clone()
		// Keep what the column's options add to its type: a column-level
		// COLLATE decides the key bytes of a string expression.
		for _, o := range cd.Options {
			if o.Tp == ast.ColumnOptionCollate && o.StrValue != "" {
				ft.SetCollate(o.StrValue)
			}
		}
		return ft, nil
	case *ast.FuncCastExpr:
		return x.Tp.Clone(), nil
	case *ast.FuncCallExpr:
		switch x.FnName.L {
		case ast.Lower, ast.Lcase, ast.Upper, ast.Ucase, ast.Substring, ast.Substr, ast.Mid, ast.Concat:
			return stringResult(x, cols)
		case ast.Length, ast.OctetLength, ast.CharLength, ast.CharacterLength,
			ast.Year, ast.Month, ast.Day, ast.DayOfMonth, ast.ToDays:
			ft := ptypes.NewFieldType(mysql.TypeLonglong)
			ft.SetFlen(mysql.MaxIntWidth)
			return ft, nil
		case ast.Abs:
			if len(x.Args) == 1 {
				return exprType(x.Args[0], cols)
			}
		}
		return nil, fmt.Errorf("function %s is not supported in an expression index by the sandbox", x.FnName.O)
	case *ast.BinaryOperationExpr:
		switch x.Op {
		case opcode.Plus, opcode.Minus, opcode.Mul:
		default:
			return nil, fmt.Errorf("operator %s is not supported in an expression index by the sandbox", x.Op)
		}
		l, err := operandType(x.L, cols)
		if err != nil {
			return nil, err
		}
		r, err := operandType(x.R, cols)
		if err != nil {
			return nil, err
		}
		switch {
		case isRealType(l) || isRealType(r):
			return ptypes.NewFieldType(mysql.TypeDouble), nil
		case isIntType(l) && isIntType(r):
			ft := ptypes.NewFieldType(mysql.TypeLonglong)
			ft.SetFlen(mysql.MaxIntWidth)
			if mysql.HasUnsignedFlag(l.GetFlag()) || mysql.HasUnsignedFlag(r.GetFlag()) {
				ft.AddFlag(mysql.UnsignedFlag)
			}
			return ft, nil
		}
		return nil, fmt.Errorf("arithmetic on non-integer values is not supported in an expression index by the sandbox")
	}
	return nil, fmt.Errorf("expression %T is not supported in an expression index by the sandbox", e)
}

// operandType is exprType that also types numeric literals.
func operandType(e ast.ExprNode, cols map[string]*ast.ColumnDef) (*ptypes.FieldType, error) {
	if v, ok := e.(ast.ValueExpr); ok {
		switch v.GetType().GetType() {
		case mysql.TypeLonglong:
			return v.GetType().Clone(), nil
		case mysql.TypeDouble:
			return ptypes.NewFieldType(mysql.TypeDouble), nil
		}
		return nil, fmt.Errorf("literal of type %s is not supported in an expression index by the sandbox", ptypes.TypeToStr(v.GetType().GetType(), ""))
	}
	return exprType(e, cols)
}

func isIntType(ft *ptypes.FieldType) bool {
	switch ft.GetType() {
	case mysql.TypeTiny, mysql.TypeShort, mysql.TypeInt24, mysql.TypeLong, mysql.TypeLonglong, mysql.TypeYear:
		return true
	}
	return false
}

func isRealType(ft *ptypes.FieldType) bool {
	return ft.GetType() == mysql.TypeFloat || ft.GetType() == mysql.TypeDouble
}

// stringResult types a string function: VARSTRING (TiDB's type for string
// expression results; its keys are a VARCHAR's) in the character set and
// collation of its first string argument (the table's when it has none),
// as long as the argument (or, for CONCAT, the sum of the arguments).
func stringResult(x *ast.FuncCallExpr, cols map[string]*ast.ColumnDef) (*ptypes.FieldType, error) {
	out := ptypes.NewFieldType(mysql.TypeVarString)
	flen, typed := 0, false
	for i, a := range x.Args {
		if x.FnName.L != ast.Concat && i > 0 {
			break
		}
		if _, ok := a.(ast.ValueExpr); ok && x.FnName.L == ast.Concat {
			flen += len(a.(ast.ValueExpr).GetDatumString())
			continue
		}
		ft, err := exprType(a, cols)
		if err != nil {
			return nil, err
		}
		if !typed {
			out.SetCharset(ft.GetCharset())
			out.SetCollate(ft.GetCollate())
			if mysql.HasBinaryFlag(ft.GetFlag()) {
				out.AddFlag(mysql.BinaryFlag)
			}
			typed = true
		}
		if n := ft.GetFlen(); n > 0 {
			flen += n
		}
	}
	if flen <= 0 || flen > mysql.MaxFieldVarCharLength {
		flen = mysql.MaxFieldVarCharLength
	}
	out.SetFlen(flen)
	return out, nil
}
