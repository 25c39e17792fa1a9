package tidb

import (
	"bytes"
	"math"
	"strconv"
	"strings"

	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
	tparser "github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	ptypes "github.com/pingcap/tidb/pkg/parser/types"

	"github.com/tempestdb/tempest/internal/kv"
	"github.com/tempestdb/tempest/internal/tidbtypes"
)

// The SQL engine differs from TiDB in a few places that matter for checks
// run against imported data. Rather than patch the engine, SELECTs that hit
// them are rewritten (through TiDB's own parser and restorer) into
// equivalent SQL the engine evaluates the TiDB way:
//
//   - bit literals (b'0101', 0b0101) are numbers in numeric context on
//     TiDB; the engine treats them as strings or does not parse them;
//   - SUM over integers is an exact DECIMAL on TiDB; the engine sums in
//     float64 and loses digits past 2^53;
//   - AVG returns DECIMAL with four more fractional digits on TiDB;
//   - IF(c, a, b) has the type of a in the engine, so IF(fl = 0, 0, fl)
//     truncated a FLOAT to an integer; TiDB takes the wider numeric type
//     of both branches. The first branch is cast to the wider type;
//   - CRC32 of a DATE/DATETIME/TIMESTAMP hashes its string form on TiDB;
//     the engine rejects the value. The argument is formatted first;
//   - information_schema.COLUMNS / STATISTICS must describe TiDB's column
//     types and indexes; they are pointed at tables built from the catalog
//     (columnsSysTable, statisticsSysTable).

// rewriteSelect returns the rewritten text and true when query needed it;
// readOnly tells a SELECT (safe to re-run) from DML.
// DML is only touched for bit literals (aggregates do not occur there in
// a way that matters).
func (h *handler) rewriteSelect(query, curDB string) (text string, readOnly, ok bool) {
	lq := strings.ToLower(query)
	bitOps := strings.HasPrefix(strings.TrimLeft(lq, " \t\r\n("), "select") && strings.ContainsAny(lq, "&|^<>")
	if !bitOps && !strings.Contains(lq, "sum(") && !strings.Contains(lq, "avg(") && !strings.Contains(lq, "b'") && !strings.Contains(lq, "0b") &&
		!strings.Contains(lq, "if(") && !strings.Contains(lq, "if (") && !strings.Contains(lq, "crc32") &&
		!(strings.Contains(lq, "information_schema") && (strings.Contains(lq, "columns") || strings.Contains(lq, "statistics"))) {
		return "", false, false
	}
	stmts, _, err := tparser.New().ParseSQL(query)
	if err != nil || len(stmts) != 1 {
		return "", false, false
	}
	dml := false
	switch stmts[0].(type) {
	case *ast.SelectStmt, *ast.SetOprStmt:
	case *ast.InsertStmt, *ast.UpdateStmt, *ast.DeleteStmt:
		dml = true
	default:
		return "", false, false
	}
	rw := &rewriter{cat: h.srv.b.cat, curDB: curDB, dml: dml}
	stmts[0].Accept(&tableCollector{rw: rw})
	out, _ := stmts[0].Accept(rw)
	if !rw.changed {
		return "", false, false
	}
	var sb strings.Builder
	flags := format.DefaultRestoreFlags | format.RestoreStringWithoutCharset | format.RestoreTiDBSpecialComment
	if err := out.Restore(format.NewRestoreCtx(flags, &sb)); err != nil {
		return "", false, false
	}
	return sb.String(), !dml, true
}

// tableCollector records the tables a statement reads, for column typing.
type tableCollector struct{ rw *rewriter }

func (c *tableCollector) Enter(n ast.Node) (ast.Node, bool) {
	if tn, ok := n.(*ast.TableName); ok {
		db := tn.Schema.O
		if db == "" {
			db = c.rw.curDB
		}
		if snap, err := c.rw.cat.table(db, tn.Name.O); err == nil {
			c.rw.tables = append(c.rw.tables, snap.Info)
		}
	}
	return n, false
}

func (c *tableCollector) Leave(n ast.Node) (ast.Node, bool) { return n, true }

type rewriter struct {
	cat     *catalog
	curDB   string
	tables  []*kv.TableInfo
	changed bool
	// dml: bit literals are written as hex strings, not numbers, since
	// they may be stored into string columns where b'01000001' is "A".
	dml bool
}

func (r *rewriter) Enter(n ast.Node) (ast.Node, bool) { return n, false }

func (r *rewriter) Leave(n ast.Node) (ast.Node, bool) {
	switch x := n.(type) {
	case *ast.TableSource:
		if tn, ok := x.Source.(*ast.TableName); ok && tn.Schema.L == "information_schema" {
			target := ""
			switch tn.Name.L {
			case "columns":
				target = columnsTableName
			case "statistics":
				target = statisticsTableName
			}
			if target != "" {
				if x.AsName.O == "" {
					x.AsName = tn.Name // keep columns.x references valid
				}
				tn.Schema, tn.Name = ast.NewCIStr(systemDB), ast.NewCIStr(target)
				r.changed = true
			}
		}
	case ast.ValueExpr:
		if v, ok := bitLiteralValue(x); ok {
			r.changed = true
			if r.dml {
				x.GetType().AddFlag(mysql.UnsignedFlag) // restores as x'..'
				return x, true
			}
			return ast.NewValueExpr(v, "", ""), true
		}
	case *ast.BinaryOperationExpr:
		// MySQL and TiDB evaluate bit operations on unsigned 64-bit
		// integers. The engine does so only when both operands are
		// unsigned and otherwise goes through float64, which loses the
		// low bits of large values (id & b'0111...' gave 0). Casting
		// integer operands to UNSIGNED is exactly MySQL's conversion
		// (two's complement for negatives) and keeps the engine exact.
		switch x.Op {
		case opcode.And, opcode.Or, opcode.Xor, opcode.LeftShift, opcode.RightShift:
			ls, lok := r.exactScale(x.L)
			rs, rok := r.exactScale(x.R)
			if lok && rok && ls == 0 && rs == 0 {
				x.L, x.R = castUnsigned(x.L), castUnsigned(x.R)
				r.changed = true
			}
		}
	case *ast.FuncCallExpr:
		switch x.FnName.L {
		case "if":
			// The engine's IF has the type of its first branch: cast that
			// branch to the wider type of the second.
			if len(x.Args) == 3 {
				a, b := r.numericRank(x.Args[1]), r.numericRank(x.Args[2])
				switch {
				case a == 0 || b <= a:
				case b == rankFloat:
					x.Args[1] = castDouble(x.Args[1])
					r.changed = true
				case b == rankDecimal:
					scale, _ := r.exactScale(x.Args[2])
					x.Args[1] = castDecimal(x.Args[1], scale)
					r.changed = true
				}
			}
		case "crc32":
			if len(x.Args) == 1 {
				if c := r.column(x.Args[0]); c != nil {
					if f, ok := temporalString(x.Args[0], c); ok {
						x.Args[0] = f
						r.changed = true
					}
				}
			}
		}
	case *ast.AggregateFuncExpr:
		if len(x.Args) != 1 {
			return n, true
		}
		scale, ok := r.exactScale(x.Args[0])
		switch strings.ToLower(x.F) {
		case ast.AggFuncSum:
			// The engine sums decimals exactly but declares the column
			// DOUBLE; the outer CAST restores the DECIMAL result type.
			if ok {
				if scale == 0 {
					x.Args[0] = castDecimal(x.Args[0], 0)
				}
				r.changed = true
				return castDecimal(x, scale), true
			}
		case ast.AggFuncAvg:
			if ok {
				x.Args[0] = castDecimal(x.Args[0], scale)
				r.changed = true
				return castDecimal(x, min(scale+4, 30)), true
			}
		}
	}
	return n, true
}

// bitLiteralValue reports a b'..' / 0b.. literal (hex literals carry the
// unsigned flag and stay strings) and its numeric value.
func bitLiteralValue(v ast.ValueExpr) (uint64, bool) {
	type binaryLiteralGetter interface {
		GetType() *ptypes.FieldType
		GetBytes() []byte
		Kind() byte
	}
	g, ok := v.(binaryLiteralGetter)
	if !ok {
		return 0, false
	}
	const kindBinaryLiteral = 7 // test_driver.KindBinaryLiteral
	if g.Kind() != kindBinaryLiteral || g.GetType().GetFlag()&mysql.UnsignedFlag != 0 {
		return 0, false
	}
	b := g.GetBytes()
	b = bytes.TrimLeft(b, "\x00")
	if len(b) > 8 {
		return 0, false // not representable as a number; leave it alone
	}
	var u uint64
	for _, c := range b {
		u = u<<8 | uint64(c)
	}
	return u, true
}

func castUnsigned(e ast.ExprNode) ast.ExprNode {
	ft := ptypes.NewFieldType(mysql.TypeLonglong)
	ft.AddFlag(mysql.UnsignedFlag)
	return &ast.FuncCastExpr{Expr: e, Tp: ft, FunctionType: ast.CastFunction}
}

func castDouble(e ast.ExprNode) ast.ExprNode {
	return &ast.FuncCastExpr{Expr: e, Tp: ptypes.NewFieldType(mysql.TypeDouble), FunctionType: ast.CastFunction}
}

func castDecimal(e ast.ExprNode, scale int) ast.ExprNode {
	ft := ptypes.NewFieldType(mysql.TypeNewDecimal)
	ft.SetFlen(65)
	ft.SetDecimal(scale)
	return &ast.FuncCastExpr{Expr: e, Tp: ft, FunctionType: ast.CastFunction}
}

// column returns the table column an expression names, if it is one.
func (r *rewriter) column(e ast.ExprNode) *kv.ColumnInfo {
	for {
		p, ok := e.(*ast.ParenthesesExpr)
		if !ok {
			break
		}
		e = p.Expr
	}
	x, ok := e.(*ast.ColumnNameExpr)
	if !ok {
		return nil
	}
	for _, t := range r.tables {
		if x.Name.Table.O != "" && !strings.EqualFold(x.Name.Table.O, t.Name) {
			continue
		}
		if c := t.FindColumn(x.Name.Name.O); c != nil {
			return c
		}
	}
	return nil
}

// Evident numeric types in the order MySQL widens them.
const (
	rankUnknown = iota
	rankInt
	rankDecimal
	rankFloat
)

// numericRank classifies the evident numeric type of an expression.
func (r *rewriter) numericRank(e ast.ExprNode) int {
	switch x := e.(type) {
	case *ast.ParenthesesExpr:
		return r.numericRank(x.Expr)
	case *ast.UnaryOperationExpr:
		if x.Op == opcode.Minus || x.Op == opcode.Plus {
			return r.numericRank(x.V)
		}
		return rankUnknown
	}
	if scale, ok := r.exactScale(e); ok {
		if scale == 0 {
			return rankInt
		}
		return rankDecimal
	}
	if c := r.column(e); c != nil && (c.Type.Tp == tidbtypes.TypeFloat || c.Type.Tp == tidbtypes.TypeDouble) {
		return rankFloat
	}
	if v, ok := e.(ast.ValueExpr); ok {
		if k, ok := v.(interface{ Kind() byte }); ok {
			switch k.Kind() {
			case 3, 4: // Float32, Float64
				return rankFloat
			case 8: // MysqlDecimal
				return rankDecimal
			}
		}
	}
	return rankUnknown
}

// temporalString formats a DATE/DATETIME/TIMESTAMP column as MySQL prints
// it (fractional seconds to the column's precision), for functions that
// take the value's string form.
func temporalString(e ast.ExprNode, c *kv.ColumnInfo) (ast.ExprNode, bool) {
	layout, width := "", 0
	switch c.Type.Tp {
	case tidbtypes.TypeDate, tidbtypes.TypeNewDate:
		layout, width = "%Y-%m-%d", 10
	case tidbtypes.TypeDatetime, tidbtypes.TypeTimestamp:
		layout, width = "%Y-%m-%d %H:%i:%s", 19
		if fsp := c.Type.Decimal; fsp > 0 && fsp <= 6 {
			layout, width = layout+".%f", 20+fsp
		}
	default:
		return nil, false
	}
	f := &ast.FuncCallExpr{FnName: ast.NewCIStr("date_format"), Args: []ast.ExprNode{e, ast.NewValueExpr(layout, "", "")}}
	return &ast.FuncCallExpr{FnName: ast.NewCIStr("left"), Args: []ast.ExprNode{f, ast.NewValueExpr(width, "", "")}}, true
}

// exactScale returns the scale of an exact-numeric expression whose type is
// evident (integer or DECIMAL columns, integer functions and literals).
func (r *rewriter) exactScale(e ast.ExprNode) (int, bool) {
	switch x := e.(type) {
	case *ast.ColumnNameExpr:
		if strings.EqualFold(x.Name.Name.O, kv.ExtraHandleName) {
			return 0, true
		}
		if c := r.column(x); c != nil {
			switch {
			case tidbtypes.IsIntegerType(c.Type.Tp) || c.Type.Tp == tidbtypes.TypeYear:
				return 0, true
			case c.Type.Tp == tidbtypes.TypeNewDecimal:
				return max(c.Type.Decimal, 0), true
			}
			return 0, false
		}
	case *ast.FuncCallExpr:
		switch x.FnName.L {
		case "crc32", "length", "char_length", "character_length", "bit_length", "octet_length", "ascii", "ord", "bit_count", "find_in_set", "instr", "locate", "year", "month", "day", "hour", "minute", "second":
			return 0, true
		}
	case *ast.ParenthesesExpr:
		return r.exactScale(x.Expr)
	case ast.ValueExpr:
		if k, ok := x.(interface{ Kind() byte }); ok {
			switch k.Kind() {
			case 1, 2: // Int64, Uint64
				return 0, true
			case 8: // MysqlDecimal: the parser types it with its digits
				if d := x.GetType().GetDecimal(); d >= 0 {
					return d, true
				}
			}
		}
	}
	return 0, false
}

// floatFixer renders DOUBLE/FLOAT results (and the fractional seconds of
// DATETIME(n), see padFraction) as TiDB does: plain notation
// between 1e-15 and 1e15, otherwise exponent notation without '+' and
// trailing zeros (1e20, 9.85967654375977e-305). The engine streams a
// result as one packet with the fields and then packets of rows only, so
// the fixer remembers the fields.
type floatFixer struct {
	fields []*querypb.Field
	// cat resolves result columns that come straight from a table column
	// (the field names its schema, table and column) to the TiDB type.
	cat *catalog
}

func (ff *floatFixer) fix(r *sqltypes.Result) {
	if r == nil {
		return
	}
	if len(r.Fields) > 0 {
		ff.fields = r.Fields
		ff.restoreTemporalFields()
	}
	for i, f := range ff.fields {
		bits := 0
		switch f.Type {
		case sqltypes.Float64:
			bits = 64
		case sqltypes.Float32:
			bits = 32
		case sqltypes.Datetime, sqltypes.Timestamp:
			padFraction(r.Rows, i, int(f.Decimals))
			continue
		case sqltypes.Time:
			fixTimeFraction(r.Rows, i, int(f.Decimals))
			continue
		default:
			continue
		}
		for _, row := range r.Rows {
			if i >= len(row) || row[i].IsNull() {
				continue
			}
			v, err := strconv.ParseFloat(row[i].ToString(), 64)
			if err != nil {
				continue
			}
			row[i] = sqltypes.MakeTrusted(f.Type, []byte(formatFloat(v, bits)))
		}
	}
}

// padFraction writes the fractional seconds of column i with exactly fsp
// digits, as TiDB prints a DATETIME(3) 10:48:28.620; the engine drops
// trailing zeros (10:48:28.62) and the dot of a whole second.
func padFraction(rows [][]sqltypes.Value, i, fsp int) {
	if fsp <= 0 {
		return // a whole-second column prints no dot either way
	}
	fixTimeFraction(rows, i, fsp)
}

// restoreTemporalFields gives result columns read straight from a TIMESTAMP
// or TIME column what the engine's types cannot carry: TIMESTAMP columns
// are DATETIME to the engine (so values shown in a session zone may fall
// outside the engine's TIMESTAMP range, see gmsType) and get their wire
// type back here; TIME has no precision in the engine, so TIME(n) gets its
// fsp from the catalog. Computed columns (max(ts), ...) keep the engine's
// field, which for TIMESTAMP(n) still carries the precision.
func (ff *floatFixer) restoreTemporalFields() {
	if ff.cat == nil {
		return
	}
	for _, f := range ff.fields {
		if f.Type != sqltypes.Datetime && f.Type != sqltypes.Time {
			continue
		}
		if f.Database == "" || f.OrgTable == "" || f.OrgName == "" {
			continue
		}
		snap, err := ff.cat.table(f.Database, f.OrgTable)
		if err != nil {
			continue
		}
		c := snap.Info.FindColumn(f.OrgName)
		if c == nil {
			continue
		}
		switch {
		case f.Type == sqltypes.Datetime && c.Type.Tp == tidbtypes.TypeTimestamp:
			f.Type = sqltypes.Timestamp
		case f.Type == sqltypes.Time && c.Type.Tp == tidbtypes.TypeDuration:
			f.Decimals = uint32(max(c.Type.Decimal, 0))
		}
	}
}

// fixTimeFraction writes TIME values with exactly fsp fractional digits:
// the engine prints six digits when there is a fraction and none
// otherwise, TiDB prints the column's fsp (10:48:28.620 for TIME(3)).
func fixTimeFraction(rows [][]sqltypes.Value, i, fsp int) {
	if fsp < 0 || fsp > 6 {
		return
	}
	for _, row := range rows {
		if i >= len(row) || row[i].IsNull() {
			continue
		}
		s := row[i].ToString()
		frac := ""
		if dot := strings.LastIndexByte(s, '.'); dot >= 0 && dot > strings.LastIndexByte(s, ':') {
			s, frac = s[:dot], s[dot+1:]
		}
		if strings.Trim(frac[min(fsp, len(frac)):], "0") != "" {
			continue // more precision than the column has: leave it alone
		}
		if len(frac) > fsp {
			frac = frac[:fsp]
		}
		frac += strings.Repeat("0", fsp-len(frac))
		if fsp > 0 {
			s += "." + frac
		}
		row[i] = sqltypes.MakeTrusted(row[i].Type(), []byte(s))
	}
}

func formatFloat(v float64, bits int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "0"
	}
	a := math.Abs(v)
	if bits == 32 {
		a = float64(float32(a))
	}
	if a >= 1e15 || (a != 0 && a < 1e-15) {
		s := strconv.FormatFloat(v, 'e', -1, bits)
		s = strings.Replace(s, "e+", "e", 1)
		// Go pads the exponent to two digits; TiDB does not.
		if i := strings.IndexByte(s, 'e'); i >= 0 && i+2 < len(s) {
			exp := s[i+1:]
			neg := strings.HasPrefix(exp, "-")
			exp = strings.TrimLeft(strings.TrimPrefix(exp, "-"), "0")
			if neg {
				exp = "-" + exp
			}
			s = s[:i+1] + exp
		}
		return s
	}
	return strconv.FormatFloat(v, 'f', -1, bits)
}

// rewriteCreateView drops the clauses of CREATE VIEW that the engine does
// not parse and the sandbox has no use for — ALGORITHM, DEFINER (TiDB's
// printer always writes one, as CURRENT_USER when unset) and SQL SECURITY:
// there are no accounts to check. Columns and the SELECT are kept as TiDB
// restores them.
func rewriteCreateView(query string) (string, bool) {
	lq := strings.ToLower(query)
	if !strings.Contains(lq, "create") || !strings.Contains(lq, "view") {
		return "", false
	}
	stmts, _, err := tparser.New().ParseSQL(query)
	if err != nil || len(stmts) != 1 {
		return "", false
	}
	cv, ok := stmts[0].(*ast.CreateViewStmt)
	if !ok {
		return "", false
	}
	var b strings.Builder
	ctx := format.NewRestoreCtx(format.DefaultRestoreFlags, &b)
	b.WriteString("CREATE ")
	if cv.OrReplace {
		b.WriteString("OR REPLACE ")
	}
	b.WriteString("VIEW ")
	if err := cv.ViewName.Restore(ctx); err != nil {
		return "", false
	}
	if len(cv.Cols) > 0 {
		b.WriteString(" (")
		for i, c := range cv.Cols {
			if i > 0 {
				b.WriteString(", ")
			}
			ctx.WriteName(c.O)
		}
		b.WriteString(")")
	}
	b.WriteString(" AS ")
	if err := cv.Select.Restore(ctx); err != nil {
		return "", false
	}
	return b.String(), true
}
