package kv

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	tparser "github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/pingcap/tidb/pkg/parser/test_driver"

	"github.com/tempestdb/tempest/internal/parser"
	"github.com/tempestdb/tempest/internal/tidbtypes"
)

// The expression subset evaluated for generated columns and partitioning
// functions. Expressions are type-checked when the encoder is built, so an
// unsupported function or operand type is a plan-time error, never a wrong
// value at run time. Supported:
//
//	column references, integer/float/string/DECIMAL literals, parentheses
//	+ - * on integers (overflow is an error) and floats; DIV and % on
//	integers; unary minus; / on floats (DOUBLE) and on integers/decimals
//	(DECIMAL, dividend scale + div_precision_increment; expr_funcs.go)
//	CONCAT (strings and integers), LOWER/UPPER (ASCII data only; other
//	bytes are a row error), SUBSTRING/SUBSTR/MID, LENGTH/OCTET_LENGTH,
//	CHAR_LENGTH/CHARACTER_LENGTH, ABS
//	YEAR, MONTH, DAY/DAYOFMONTH, TO_DAYS on DATE/DATETIME/TIMESTAMP
//	POW/POWER (DOUBLE), REPEAT, SHA1/SHA, UNHEX, JSON_OBJECT,
//	AES_ENCRYPT (block_encryption_mode aes-*-ecb / aes-*-cbc),
//	FROM_UNIXTIME(n) (DATETIME in the session time zone) — expr_funcs.go
//
// Other decimal arithmetic, other JSON functions and date formatting are
// rejected. ENUM/SET columns read as their names, JSON columns only as
// JSON_OBJECT values.

type exprType uint8

const (
	etInt exprType = iota
	etUint
	etReal
	etString
	etTime
	etDecimal
	etJSON
	etOther
)

type compiledExpr struct {
	typ    exprType
	binary bool // string result compares as bytes
	eval   func(e *Encoder, out *tidbtypes.Datum) error
}

func parseExpr(text string) (ast.ExprNode, error) {
	stmt, err := tparser.New().ParseOneStmt("SELECT "+text, "", "")
	if err != nil {
		return nil, fmt.Errorf("parsing expression %q: %w", text, err)
	}
	sel, ok := stmt.(*ast.SelectStmt)
	if !ok || sel.Fields == nil || len(sel.Fields.Fields) != 1 || sel.From != nil {
		return nil, fmt.Errorf("not a scalar expression: %q", text)
	}
	return sel.Fields.Fields[0].Expr, nil
}

func typeOfColumn(ft *tidbtypes.FieldType) exprType {
	switch ft.Tp {
	case tidbtypes.TypeTiny, tidbtypes.TypeShort, tidbtypes.TypeInt24, tidbtypes.TypeLong, tidbtypes.TypeLonglong, tidbtypes.TypeYear:
		if ft.IsUnsigned() {
			return etUint
		}
		return etInt
	case tidbtypes.TypeFloat, tidbtypes.TypeDouble:
		return etReal
	case tidbtypes.TypeNewDecimal:
		return etDecimal
	case tidbtypes.TypeDate, tidbtypes.TypeDatetime, tidbtypes.TypeTimestamp:
		return etTime
	case tidbtypes.TypeJSON:
		return etJSON
	case tidbtypes.TypeEnum, tidbtypes.TypeSet:
		// In a string context an ENUM/SET value is its name, which is
		// what the datum's bytes hold.
		return etString
	}
	if tidbtypes.IsStringType(ft.Tp) {
		return etString
	}
	return etOther
}

func (e *Encoder) compileExpr(n ast.ExprNode) (*compiledExpr, error) {
	switch x := n.(type) {
	case *ast.ParenthesesExpr:
		return e.compileExpr(x.Expr)
	case *ast.ColumnNameExpr:
		c := e.tbl.FindColumn(x.Name.Name.O)
		if c == nil {
			return nil, fmt.Errorf("unknown column %s", x.Name.Name.O)
		}
		off := c.Offset
		if c.IsGenerated() {
			// Generated columns may build on earlier generated columns;
			// compile the dependency first so it is evaluated first.
			if err := e.ensureGenerated(off); err != nil {
				return nil, err
			}
		}
		t := typeOfColumn(&c.Type)
		if t == etOther {
			return nil, fmt.Errorf("column %s of type %s is not supported in expressions", c.Name, tidbtypes.TypeName(c.Type.Tp))
		}
		return &compiledExpr{typ: t, binary: c.Type.IsBinary(), eval: func(e *Encoder, out *tidbtypes.Datum) error {
			*out = e.row[off]
			return nil
		}}, nil
	case *test_driver.ValueExpr:
		d := x.Datum
		var v tidbtypes.Datum
		t := etInt
		switch d.Kind() {
		case test_driver.KindNull:
			v.SetNull()
		case test_driver.KindInt64:
			v.SetInt64(d.GetInt64())
		case test_driver.KindUint64:
			v.SetUint64(d.GetUint64())
			t = etUint
		case test_driver.KindFloat64, test_driver.KindFloat32:
			v.SetFloat64(d.GetFloat64())
			t = etReal
		case test_driver.KindString:
			v.SetString([]byte(d.GetString()), "")
			t = etString
		case test_driver.KindMysqlDecimal:
			var dec tidbtypes.MyDecimal
			if err := dec.FromString([]byte(d.GetMysqlDecimal().String())); err != nil {
				return nil, fmt.Errorf("decimal literal %s: %w", x.GetDatumString(), err)
			}
			v.SetDecimal(&dec, 0, 0)
			t = etDecimal
		default:
			return nil, fmt.Errorf("literal %s is not supported in expressions", x.GetDatumString())
		}
		return &compiledExpr{typ: t, eval: func(_ *Encoder, out *tidbtypes.Datum) error {
			*out = v
			return nil
		}}, nil
	case *ast.UnaryOperationExpr:
		if x.Op != opcode.Minus && x.Op != opcode.Plus {
			return nil, fmt.Errorf("operator %s is not supported", x.Op)
		}
		a, err := e.compileExpr(x.V)
		if err != nil {
			return nil, err
		}
		if x.Op == opcode.Plus {
			return a, nil
		}
		switch a.typ {
		case etInt:
			return &compiledExpr{typ: etInt, eval: func(e *Encoder, out *tidbtypes.Datum) error {
				if err := a.eval(e, out); err != nil || out.IsNull() {
					return err
				}
				v := out.GetInt64()
				if v == math.MinInt64 {
					return errOverflow("-", v)
				}
				out.SetInt64(-v)
				return nil
			}}, nil
		case etReal:
			return &compiledExpr{typ: etReal, eval: func(e *Encoder, out *tidbtypes.Datum) error {
				if err := a.eval(e, out); err != nil || out.IsNull() {
					return err
				}
				out.SetFloat64(-out.GetFloat64())
				return nil
			}}, nil
		}
		return nil, fmt.Errorf("unary minus on this operand type is not supported")
	case *ast.BinaryOperationExpr:
		return e.compileBinary(x)
	case *ast.FuncCallExpr:
		return e.compileFunc(x)
	}
	return nil, fmt.Errorf("expression %T is not supported", n)
}

func errOverflow(op string, v ...any) error {
	return fmt.Errorf("BIGINT value is out of range in %s %v", op, v)
}

func evalArgs(e *Encoder, a, b *compiledExpr, x, y *tidbtypes.Datum) (null bool, err error) {
	if err := a.eval(e, x); err != nil {
		return false, err
	}
	if err := b.eval(e, y); err != nil {
		return false, err
	}
	return x.IsNull() || y.IsNull(), nil
}

func asFloat(d *tidbtypes.Datum, t exprType) float64 {
	switch t {
	case etInt:
		return float64(d.GetInt64())
	case etUint:
		return float64(d.GetUint64())
	}
	return d.GetFloat64()
}

func (e *Encoder) compileBinary(x *ast.BinaryOperationExpr) (*compiledExpr, error) {
	a, err := e.compileExpr(x.L)
	if err != nil {
		return nil, err
	}
	b, err := e.compileExpr(x.R)
	if err != nil {
		return nil, err
	}
	numeric := func(t exprType) bool { return t == etInt || t == etUint || t == etReal }
	if x.Op == opcode.Div && a.typ != etReal && b.typ != etReal {
		// TiDB's `/` on exact operands is DECIMAL division, never DIV.
		return e.compileDecimalDiv(a, b)
	}
	if !numeric(a.typ) || !numeric(b.typ) {
		return nil, fmt.Errorf("operator %s is only supported on integer and float operands", x.Op)
	}
	if a.typ == etReal || b.typ == etReal {
		var f func(p, q float64) (float64, bool)
		switch x.Op {
		case opcode.Plus:
			f = func(p, q float64) (float64, bool) { return p + q, true }
		case opcode.Minus:
			f = func(p, q float64) (float64, bool) { return p - q, true }
		case opcode.Mul:
			f = func(p, q float64) (float64, bool) { return p * q, true }
		case opcode.Div:
			f = func(p, q float64) (float64, bool) { return p / q, q != 0 }
		default:
			return nil, fmt.Errorf("operator %s on floats is not supported", x.Op)
		}
		var y tidbtypes.Datum
		return &compiledExpr{typ: etReal, eval: func(e *Encoder, out *tidbtypes.Datum) error {
			null, err := evalArgs(e, a, b, out, &y)
			if err != nil || null {
				if null {
					out.SetNull()
				}
				return err
			}
			r, ok := f(asFloat(out, a.typ), asFloat(&y, b.typ))
			if !ok {
				out.SetNull()
				return nil
			}
			if math.IsInf(r, 0) || math.IsNaN(r) {
				return fmt.Errorf("DOUBLE value is out of range")
			}
			out.SetFloat64(r)
			return nil
		}}, nil
	}
	if a.typ == etUint || b.typ == etUint {
		return nil, fmt.Errorf("arithmetic on UNSIGNED operands is not supported")
	}
	var f func(p, q int64) (int64, bool, error)
	switch x.Op {
	case opcode.Plus:
		f = func(p, q int64) (int64, bool, error) {
			r := p + q
			if (p > 0 && q > 0 && r < 0) || (p < 0 && q < 0 && r >= 0) {
				return 0, false, errOverflow("+", p, q)
			}
			return r, true, nil
		}
	case opcode.Minus:
		f = func(p, q int64) (int64, bool, error) {
			r := p - q
			if (p >= 0 && q < 0 && r < 0) || (p < 0 && q > 0 && r >= 0) {
				return 0, false, errOverflow("-", p, q)
			}
			return r, true, nil
		}
	case opcode.Mul:
		f = func(p, q int64) (int64, bool, error) {
			if p == 0 || q == 0 {
				return 0, true, nil
			}
			r := p * q
			if r/q != p || (p == -1 && q == math.MinInt64) || (q == -1 && p == math.MinInt64) {
				return 0, false, errOverflow("*", p, q)
			}
			return r, true, nil
		}
	case opcode.IntDiv:
		f = func(p, q int64) (int64, bool, error) {
			if q == 0 {
				return 0, false, nil
			}
			if p == math.MinInt64 && q == -1 {
				return 0, false, errOverflow("DIV", p, q)
			}
			return p / q, true, nil
		}
	case opcode.Mod:
		f = func(p, q int64) (int64, bool, error) {
			if q == 0 {
				return 0, false, nil
			}
			if q == -1 {
				return 0, true, nil
			}
			return p % q, true, nil
		}
	default:
		return nil, fmt.Errorf("operator %s on integers is not supported (its result is DECIMAL)", x.Op)
	}
	var y tidbtypes.Datum
	return &compiledExpr{typ: etInt, eval: func(e *Encoder, out *tidbtypes.Datum) error {
		null, err := evalArgs(e, a, b, out, &y)
		if err != nil || null {
			if null {
				out.SetNull()
			}
			return err
		}
		r, ok, err := f(out.GetInt64(), y.GetInt64())
		if err != nil {
			return err
		}
		if !ok {
			out.SetNull()
			return nil
		}
		out.SetInt64(r)
		return nil
	}}, nil
}

func (e *Encoder) compileFunc(x *ast.FuncCallExpr) (*compiledExpr, error) {
	args := make([]*compiledExpr, len(x.Args))
	for i, a := range x.Args {
		c, err := e.compileExpr(a)
		if err != nil {
			return nil, err
		}
		args[i] = c
	}
	name := x.FnName.L
	nargs := func(lo, hi int) error {
		if len(args) < lo || len(args) > hi {
			return fmt.Errorf("wrong number of arguments to %s", name)
		}
		return nil
	}
	switch name {
	case ast.Concat:
		if len(args) == 0 {
			return nil, fmt.Errorf("CONCAT needs arguments")
		}
		binary := false
		for _, a := range args {
			if a.typ != etString && a.typ != etInt && a.typ != etUint {
				return nil, fmt.Errorf("CONCAT of non-string, non-integer arguments is not supported")
			}
			binary = binary || a.binary
		}
		var buf []byte
		var tmp tidbtypes.Datum
		return &compiledExpr{typ: etString, binary: binary, eval: func(e *Encoder, out *tidbtypes.Datum) error {
			buf = buf[:0]
			for _, a := range args {
				if err := a.eval(e, &tmp); err != nil {
					return err
				}
				if tmp.IsNull() {
					out.SetNull()
					return nil
				}
				switch a.typ {
				case etInt:
					buf = strconv.AppendInt(buf, tmp.GetInt64(), 10)
				case etUint:
					buf = strconv.AppendUint(buf, tmp.GetUint64(), 10)
				default:
					buf = append(buf, tmp.GetBytes()...)
				}
			}
			out.SetString(buf, "")
			return nil
		}}, nil
	case ast.Lower, ast.Lcase, ast.Upper, ast.Ucase:
		if err := nargs(1, 1); err != nil {
			return nil, err
		}
		if args[0].typ != etString {
			return nil, fmt.Errorf("%s of a non-string argument is not supported", name)
		}
		a := args[0]
		upper := name == ast.Upper || name == ast.Ucase
		var buf []byte
		return &compiledExpr{typ: etString, binary: a.binary, eval: func(e *Encoder, out *tidbtypes.Datum) error {
			if err := a.eval(e, out); err != nil || out.IsNull() {
				return err
			}
			if a.binary {
				// MySQL leaves binary strings unchanged.
				return nil
			}
			buf = buf[:0]
			for _, c := range out.GetBytes() {
				if c >= 0x80 {
					return fmt.Errorf("%s of non-ASCII text is not supported by the import encoder", strings.ToUpper(name))
				}
				if upper && 'a' <= c && c <= 'z' {
					c -= 'a' - 'A'
				} else if !upper && 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				buf = append(buf, c)
			}
			out.SetString(buf, out.Collation())
			return nil
		}}, nil
	case ast.Length, ast.OctetLength, ast.CharLength, ast.CharacterLength:
		if err := nargs(1, 1); err != nil {
			return nil, err
		}
		if args[0].typ != etString {
			return nil, fmt.Errorf("%s of a non-string argument is not supported", name)
		}
		a := args[0]
		chars := (name == ast.CharLength || name == ast.CharacterLength) && !a.binary
		return &compiledExpr{typ: etInt, eval: func(e *Encoder, out *tidbtypes.Datum) error {
			if err := a.eval(e, out); err != nil || out.IsNull() {
				return err
			}
			n := len(out.GetBytes())
			if chars {
				n = utf8.RuneCount(out.GetBytes())
			}
			out.SetInt64(int64(n))
			return nil
		}}, nil
	case ast.Substring, ast.Substr, ast.Mid:
		if err := nargs(2, 3); err != nil {
			return nil, err
		}
		if args[0].typ != etString || args[1].typ != etInt || (len(args) == 3 && args[2].typ != etInt) {
			return nil, fmt.Errorf("SUBSTRING needs a string and integer positions")
		}
		s := args[0]
		var pos, ln tidbtypes.Datum
		return &compiledExpr{typ: etString, binary: s.binary, eval: func(e *Encoder, out *tidbtypes.Datum) error {
			if err := s.eval(e, out); err != nil {
				return err
			}
			if err := args[1].eval(e, &pos); err != nil {
				return err
			}
			length := int64(math.MaxInt64)
			if len(args) == 3 {
				if err := args[2].eval(e, &ln); err != nil {
					return err
				}
				if ln.IsNull() {
					out.SetNull()
					return nil
				}
				length = ln.GetInt64()
			}
			if out.IsNull() || pos.IsNull() {
				out.SetNull()
				return nil
			}
			b := out.GetBytes()
			res := substring(b, pos.GetInt64(), length, s.binary)
			out.SetString(res, out.Collation())
			return nil
		}}, nil
	case ast.Abs:
		if err := nargs(1, 1); err != nil {
			return nil, err
		}
		a := args[0]
		switch a.typ {
		case etInt:
			return &compiledExpr{typ: etInt, eval: func(e *Encoder, out *tidbtypes.Datum) error {
				if err := a.eval(e, out); err != nil || out.IsNull() {
					return err
				}
				v := out.GetInt64()
				if v == math.MinInt64 {
					return errOverflow("ABS", v)
				}
				if v < 0 {
					out.SetInt64(-v)
				}
				return nil
			}}, nil
		case etReal:
			return &compiledExpr{typ: etReal, eval: func(e *Encoder, out *tidbtypes.Datum) error {
				if err := a.eval(e, out); err != nil || out.IsNull() {
					return err
				}
				out.SetFloat64(math.Abs(out.GetFloat64()))
				return nil
			}}, nil
		}
		return nil, fmt.Errorf("ABS of this argument type is not supported")
	case ast.Year, ast.Month, ast.Day, ast.DayOfMonth, ast.ToDays:
		if err := nargs(1, 1); err != nil {
			return nil, err
		}
		a := args[0]
		if a.typ != etTime {
			return nil, fmt.Errorf("%s is only supported on DATE/DATETIME/TIMESTAMP columns", strings.ToUpper(name))
		}
		return &compiledExpr{typ: etInt, eval: func(e *Encoder, out *tidbtypes.Datum) error {
			if err := a.eval(e, out); err != nil || out.IsNull() {
				return err
			}
			t := out.GetTime()
			switch name {
			case ast.Year:
				out.SetInt64(int64(t.Year()))
			case ast.Month:
				out.SetInt64(int64(t.Month()))
			case ast.ToDays:
				if t.Month() == 0 || t.Day() == 0 {
					out.SetNull()
					return nil
				}
				out.SetInt64(toDays(t.Year(), t.Month(), t.Day()))
			default:
				out.SetInt64(int64(t.Day()))
			}
			return nil
		}}, nil
	}
	if c, ok, err := e.compileMoreFunc(name, args); ok {
		return c, err
	}
	return nil, fmt.Errorf("function %s is not supported by the import encoder", strings.ToUpper(name))
}

// substring is MySQL SUBSTRING(s, pos, len): 1-based, negative pos counts
// from the end, characters for non-binary strings.
func substring(b []byte, pos, length int64, binary bool) []byte {
	if binary {
		n := int64(len(b))
		start := pos - 1
		if pos < 0 {
			start = n + pos
		}
		if pos == 0 || start < 0 || start >= n || length <= 0 {
			return b[:0]
		}
		end := n
		if length < n-start {
			end = start + length
		}
		return b[start:end]
	}
	n := int64(utf8.RuneCount(b))
	start := pos - 1
	if pos < 0 {
		start = n + pos
	}
	if pos == 0 || start < 0 || start >= n || length <= 0 {
		return b[:0]
	}
	end := n
	if length < n-start {
		end = start + length
	}
	// Convert rune offsets to byte offsets.
	var bs, be int
	i := int64(0)
	for off := range string(b) {
		if i == start {
			bs = off
		}
		if i == end {
			be = off
			return b[bs:be]
		}
		i++
	}
	return b[bs:]
}

// toDays is MySQL TO_DAYS: days since year 0 (proleptic Gregorian, with
// MySQL's calc_daynr).
func toDays(y, m, d int) int64 {
	if y == 0 && m == 0 {
		return 0
	}
	delsum := int64(365*y + 31*(m-1) + d)
	if m <= 2 {
		y--
	} else {
		delsum -= int64((m*4 + 23) / 10)
	}
	temp := ((y/100 + 1) * 3) / 4
	return delsum + int64(y/4) - int64(temp)
}

// prepareGenerated compiles the generated columns whose values are
// written: stored ones and those covered by an index. Columns they (or the
// partitioning expression) reference are compiled on demand, dependencies
// first, so genOrder is a valid evaluation order.
func (e *Encoder) prepareGenerated() error {
	for i := range e.cols {
		p := &e.cols[i]
		if !p.info.IsGenerated() {
			continue
		}
		if !p.info.GeneratedStored && !isKeyColumn(e.tbl, i) {
			continue
		}
		if err := e.ensureGenerated(i); err != nil {
			return err
		}
	}
	return nil
}

func (e *Encoder) ensureGenerated(off int) error {
	p := &e.cols[off]
	if p.gen != nil {
		return nil
	}
	if p.compiling {
		return fmt.Errorf("kv: table %s generated column %s: circular reference", e.tbl.Name, p.info.Name)
	}
	p.compiling = true
	defer func() { p.compiling = false }()
	n, err := parseExpr(p.info.GeneratedExpr)
	if err != nil {
		return fmt.Errorf("kv: table %s generated column %s: %w", e.tbl.Name, p.info.Name, err)
	}
	c, err := e.compileExpr(n)
	if err != nil {
		return fmt.Errorf("kv: table %s generated column %s (%s): %w", e.tbl.Name, p.info.Name, p.info.GeneratedExpr, err)
	}
	if c.typ == etOther {
		return fmt.Errorf("kv: table %s generated column %s: expression result type is not supported", e.tbl.Name, p.info.Name)
	}
	if (c.typ == etJSON) != (p.info.Type.Tp == tidbtypes.TypeJSON) {
		// JSON casts to and from other types are not reproduced.
		return fmt.Errorf("kv: table %s generated column %s: JSON value into %s column (or the reverse) is not supported", e.tbl.Name, p.info.Name, tidbtypes.TypeName(p.info.Type.Tp))
	}
	// Casts the text path reproduces: the column's own conversion of the
	// value's string form equals TiDB's cast only for these targets (e.g.
	// a DATETIME into an integer column is a number in TiDB, and a
	// DECIMAL into a DATE is read as a number, not as date text).
	colType := typeOfColumn(&p.info.Type)
	isText := tidbtypes.IsStringType(p.info.Type.Tp)
	switch c.typ {
	case etReal:
		if colType != etReal && colType != etInt && colType != etUint {
			return fmt.Errorf("kv: table %s generated column %s: float result into %s column is not supported", e.tbl.Name, p.info.Name, tidbtypes.TypeName(p.info.Type.Tp))
		}
	case etDecimal:
		if colType != etDecimal && colType != etReal && colType != etInt && colType != etUint && !isText {
			return fmt.Errorf("kv: table %s generated column %s: DECIMAL result into %s column is not supported", e.tbl.Name, p.info.Name, tidbtypes.TypeName(p.info.Type.Tp))
		}
	case etTime:
		if colType != etTime && !isText {
			return fmt.Errorf("kv: table %s generated column %s: DATETIME result into %s column is not supported", e.tbl.Name, p.info.Name, tidbtypes.TypeName(p.info.Type.Tp))
		}
	}
	p.gen = c
	e.genOrder = append(e.genOrder, off)
	return nil
}

// evalGenerated evaluates a generated column and casts the result to the
// column type: floats into float columns and JSON into JSON columns
// directly, integral floats into integer columns exactly (a fractional one
// is a row error: TiDB's rounding is not reproduced), everything else
// through its text form, which convertStrict refuses to truncate.
func (e *Encoder) evalGenerated(p *columnPlan, out *tidbtypes.Datum) error {
	var v tidbtypes.Datum
	if p.gen == nil {
		out.SetNull()
		return nil
	}
	if err := p.gen.eval(e, &v); err != nil {
		return fmt.Errorf("kv: table %s generated column %s: %w", e.tbl.Name, p.info.Name, err)
	}
	var f parser.Field
	switch {
	case v.IsNull():
		if p.info.Type.IsNotNull() {
			return fmt.Errorf("kv: table %s: generated column %s cannot be null", e.tbl.Name, p.info.Name)
		}
		out.SetNull()
		return nil
	case p.gen.typ == etInt:
		e.numBuf = strconv.AppendInt(e.numBuf[:0], v.GetInt64(), 10)
		f = parser.Field{Kind: parser.KindNumber, Bytes: e.numBuf}
	case p.gen.typ == etUint:
		e.numBuf = strconv.AppendUint(e.numBuf[:0], v.GetUint64(), 10)
		f = parser.Field{Kind: parser.KindNumber, Bytes: e.numBuf}
	case p.gen.typ == etReal && p.info.Type.Tp == tidbtypes.TypeDouble:
		out.SetFloat64(v.GetFloat64())
		return nil
	case p.gen.typ == etReal && p.info.Type.Tp == tidbtypes.TypeFloat:
		r := v.GetFloat64()
		if math.Abs(r) > math.MaxFloat32 {
			return fmt.Errorf("kv: table %s generated column %s: value %v is out of range for FLOAT", e.tbl.Name, p.info.Name, r)
		}
		out.SetFloat32(float32(r))
		return nil
	case p.gen.typ == etReal:
		r := v.GetFloat64()
		if r != math.Trunc(r) || math.Abs(r) >= 1<<64 {
			return fmt.Errorf("kv: table %s generated column %s: DOUBLE %v into an integer column needs rounding, which the import encoder does not reproduce", e.tbl.Name, p.info.Name, r)
		}
		// Integral and below 2^64: the plain digits are exact, and
		// convertStrict refuses what the column cannot hold.
		e.numBuf = strconv.AppendFloat(e.numBuf[:0], r, 'f', -1, 64)
		f = parser.Field{Kind: parser.KindNumber, Bytes: e.numBuf}
	case p.gen.typ == etJSON:
		out.SetJSON(v.GetJSON())
		return nil
	case p.gen.typ == etDecimal:
		e.numBuf = v.GetDecimal().AppendString(e.numBuf[:0])
		f = parser.Field{Kind: parser.KindNumber, Bytes: e.numBuf}
	case p.gen.typ == etTime:
		e.numBuf = v.GetTime().AppendString(e.numBuf[:0])
		f = parser.Field{Kind: parser.KindString, Bytes: e.numBuf}
	default:
		f = parser.Field{Kind: parser.KindString, Bytes: v.GetBytes()}
	}
	d, err := e.convertStrict(f, &p.info.Type)
	if err != nil {
		return fmt.Errorf("kv: table %s generated column %s: %w", e.tbl.Name, p.info.Name, err)
	}
	*out = d
	return nil
}
