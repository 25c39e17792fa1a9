package kv

import (
	"bytes"
	"fmt"
	"math"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/test_driver"

	"github.com/tempestdb/tempest/internal/parser"
	"github.com/tempestdb/tempest/internal/tidbtypes"
)

// partitionPlan routes rows to physical partition IDs.
type partitionPlan struct {
	info *PartitionInfo
	expr *compiledExpr // RANGE/LIST/HASH
	cols []int         // COLUMNS variants: column offsets
	// RANGE: bounds[i] per partition (MAXVALUE = maxBound).
	intBounds []int64
	maxBound  []bool
	unsigned  bool
	// RANGE COLUMNS: per partition one tuple; max[i][j] marks MAXVALUE.
	colBounds [][]tidbtypes.Datum
	colMax    [][]bool
	// LIST: value → partition index; nullPart/defaultPart -1 when absent.
	listInt     map[int64]int
	listTuples  [][][]tidbtypes.Datum // per partition, tuples (LIST COLUMNS)
	nullPart    int
	defaultPart int
	scratch     tidbtypes.Datum
}

func (e *Encoder) preparePartition() (*partitionPlan, error) {
	pi := e.tbl.Partition
	fail := func(format string, args ...any) error {
		return fmt.Errorf("kv: table %s: %s partitioning: %s", e.tbl.Name, pi.Type, fmt.Sprintf(format, args...))
	}
	pp := &partitionPlan{info: pi, nullPart: -1, defaultPart: -1}
	if pi.Linear {
		return nil, fail("LINEAR is not supported")
	}
	if pi.Type == PartitionKey {
		return nil, fail("KEY partitioning hashes differ from HASH and are not supported")
	}
	if pi.Expr != "" {
		n, err := parseExpr(pi.Expr)
		if err != nil {
			return nil, fail("%v", err)
		}
		c, err := e.compileExpr(n)
		if err != nil {
			return nil, fail("%v", err)
		}
		if c.typ != etInt && c.typ != etUint {
			return nil, fail("expression %s is not an integer", pi.Expr)
		}
		pp.expr = c
		pp.unsigned = c.typ == etUint
	} else {
		if len(pi.Columns) == 0 {
			return nil, fail("no partitioning expression or columns")
		}
		for _, name := range pi.Columns {
			c := e.tbl.FindColumn(name)
			if c == nil {
				return nil, fail("unknown column %s", name)
			}
			if typeOfColumn(&c.Type) == etString && e.cols[c.Offset].coll == nil {
				return nil, fail("column %s has collation %s without an exact ordering", c.Name, c.Type.Collate)
			}
			switch typeOfColumn(&c.Type) {
			case etInt, etUint, etString, etTime:
			default:
				return nil, fail("column %s of type %s is not supported", c.Name, tidbtypes.TypeName(c.Type.Tp))
			}
			pp.cols = append(pp.cols, c.Offset)
		}
		if pi.Type == PartitionHash {
			return nil, fail("HASH needs an expression")
		}
	}
	switch pi.Type {
	case PartitionRange:
		for _, d := range pi.Defs {
			if pp.expr != nil {
				if len(d.LessThan) != 1 {
					return nil, fail("partition %s: expected one bound", d.Name)
				}
				if isMaxValue(d.LessThan[0]) {
					pp.intBounds = append(pp.intBounds, 0)
					pp.maxBound = append(pp.maxBound, true)
					continue
				}
				v, err := intLiteral(d.LessThan[0])
				if err != nil {
					return nil, fail("partition %s: %v", d.Name, err)
				}
				pp.intBounds = append(pp.intBounds, v)
				pp.maxBound = append(pp.maxBound, false)
				continue
			}
			if len(d.LessThan) != len(pp.cols) {
				return nil, fail("partition %s: expected %d bounds", d.Name, len(pp.cols))
			}
			tuple := make([]tidbtypes.Datum, len(pp.cols))
			maxes := make([]bool, len(pp.cols))
			for j, s := range d.LessThan {
				if isMaxValue(s) {
					maxes[j] = true
					continue
				}
				v, err := e.literalForColumn(s, pp.cols[j])
				if err != nil {
					return nil, fail("partition %s: %v", d.Name, err)
				}
				tuple[j] = v
			}
			pp.colBounds = append(pp.colBounds, tuple)
			pp.colMax = append(pp.colMax, maxes)
		}
	case PartitionList:
		pp.listInt = map[int64]int{}
		for i, d := range pi.Defs {
			var tuples [][]tidbtypes.Datum
			for _, vs := range d.InValues {
				if len(vs) == 1 && strings.EqualFold(strings.TrimSpace(vs[0]), "DEFAULT") {
					pp.defaultPart = i
					continue
				}
				if pp.expr != nil {
					if len(vs) != 1 {
						return nil, fail("partition %s: expected single values", d.Name)
					}
					if strings.EqualFold(strings.TrimSpace(vs[0]), "NULL") {
						pp.nullPart = i
						continue
					}
					v, err := intLiteral(vs[0])
					if err != nil {
						return nil, fail("partition %s: %v", d.Name, err)
					}
					pp.listInt[v] = i
					continue
				}
				if len(vs) != len(pp.cols) {
					return nil, fail("partition %s: expected %d values per tuple", d.Name, len(pp.cols))
				}
				tuple := make([]tidbtypes.Datum, len(vs))
				for j, s := range vs {
					if strings.EqualFold(strings.TrimSpace(s), "NULL") {
						continue // NULL datum
					}
					v, err := e.literalForColumn(s, pp.cols[j])
					if err != nil {
						return nil, fail("partition %s: %v", d.Name, err)
					}
					tuple[j] = v
				}
				tuples = append(tuples, tuple)
			}
			pp.listTuples = append(pp.listTuples, tuples)
		}
	case PartitionHash:
	default:
		return nil, fail("not supported")
	}
	return pp, nil
}

func isMaxValue(s string) bool { return strings.EqualFold(strings.TrimSpace(s), "MAXVALUE") }

// intLiteral parses an integer partition bound written as a literal.
func intLiteral(s string) (int64, error) {
	n, err := parseExpr(s)
	if err != nil {
		return 0, err
	}
	neg := false
	if u, ok := n.(*ast.UnaryOperationExpr); ok && u.Op.String() == "minus" {
		neg, n = true, u.V
	}
	v, ok := n.(*test_driver.ValueExpr)
	if !ok {
		return 0, fmt.Errorf("bound %q is not an integer literal", s)
	}
	switch v.Datum.Kind() {
	case test_driver.KindInt64:
		x := v.Datum.GetInt64()
		if neg {
			x = -x
		}
		return x, nil
	case test_driver.KindUint64:
		if neg || v.Datum.GetUint64() > math.MaxInt64 {
			return 0, fmt.Errorf("bound %q out of range", s)
		}
		return int64(v.Datum.GetUint64()), nil
	}
	return 0, fmt.Errorf("bound %q is not an integer literal", s)
}

// literalForColumn converts a bound literal to the column's type.
func (e *Encoder) literalForColumn(s string, off int) (tidbtypes.Datum, error) {
	n, err := parseExpr(s)
	if err != nil {
		return tidbtypes.Datum{}, err
	}
	var f parser.Field
	switch x := n.(type) {
	case *test_driver.ValueExpr:
		f = fieldFromValue(x)
	case *ast.UnaryOperationExpr:
		v, ok := x.V.(*test_driver.ValueExpr)
		if !ok || x.Op.String() != "minus" {
			return tidbtypes.Datum{}, fmt.Errorf("bound %q is not a literal", s)
		}
		f = fieldFromValue(v)
		f.Bytes = negateNumber(f.Bytes)
	default:
		return tidbtypes.Datum{}, fmt.Errorf("bound %q is not a literal", s)
	}
	d, err := e.convertStrict(f, &e.tbl.Columns[off].Type)
	if err != nil {
		return d, err
	}
	return d.Clone(), nil
}

// compareColumnDatum orders two datums of the same column.
func (e *Encoder) compareColumnDatum(a, b *tidbtypes.Datum, off int) int {
	if a.IsNull() || b.IsNull() {
		switch {
		case a.IsNull() && b.IsNull():
			return 0
		case a.IsNull():
			return -1
		}
		return 1
	}
	switch a.Kind() {
	case tidbtypes.KindInt64:
		return cmp3(a.GetInt64(), b.GetInt64())
	case tidbtypes.KindUint64:
		return cmp3(a.GetUint64(), b.GetUint64())
	case tidbtypes.KindTime:
		return cmp3(a.GetTime().ToPackedUint(), b.GetTime().ToPackedUint())
	case tidbtypes.KindString, tidbtypes.KindBytes:
		if c := e.cols[off].coll; c != nil {
			return c.Compare(a.GetBytes(), b.GetBytes())
		}
		return bytes.Compare(a.GetBytes(), b.GetBytes())
	}
	return 0
}

func cmp3[T int64 | uint64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// locate returns the physical ID of the current row's partition.
func (pp *partitionPlan) locate(e *Encoder) (int64, error) {
	idx, err := pp.locateIndex(e)
	if err != nil {
		return 0, err
	}
	return pp.info.Defs[idx].ID, nil
}

func (pp *partitionPlan) locateIndex(e *Encoder) (int, error) {
	noPart := func() (int, error) {
		return 0, fmt.Errorf("kv: table %s has no partition for the row's value", e.tbl.Name)
	}
	var v *tidbtypes.Datum
	if pp.expr != nil {
		v = &pp.scratch
		if err := pp.expr.eval(e, v); err != nil {
			return 0, fmt.Errorf("kv: table %s partition expression: %w", e.tbl.Name, err)
		}
	}
	switch pp.info.Type {
	case PartitionHash:
		if v.IsNull() {
			return 0, nil
		}
		// TiDB takes the int64 bits even of UNSIGNED values here.
		n := int64(len(pp.info.Defs))
		r := v.GetInt64() % n
		if r < 0 {
			r = -r
		}
		return int(r), nil
	case PartitionRange:
		if pp.expr != nil {
			if v.IsNull() {
				return 0, nil // NULL sorts below every bound
			}
			for i := range pp.intBounds {
				if pp.maxBound[i] {
					return i, nil
				}
				if pp.unsigned {
					if pp.intBounds[i] > 0 && v.GetUint64() < uint64(pp.intBounds[i]) {
						return i, nil
					}
				} else if v.GetInt64() < pp.intBounds[i] {
					return i, nil
				}
			}
			return noPart()
		}
		for i := range pp.colBounds {
			less := false
			decided := false
			for j, off := range pp.cols {
				if pp.colMax[i][j] {
					less, decided = true, true
					break
				}
				c := e.compareColumnDatum(&e.row[off], &pp.colBounds[i][j], off)
				if c != 0 {
					less, decided = c < 0, true
					break
				}
			}
			if decided && less {
				return i, nil
			}
		}
		return noPart()
	case PartitionList:
		if pp.expr != nil {
			if v.IsNull() {
				if pp.nullPart >= 0 {
					return pp.nullPart, nil
				}
			} else if i, ok := pp.listInt[v.GetInt64()]; ok && !(pp.unsigned && v.GetInt64() < 0) {
				return i, nil
			}
			if pp.defaultPart >= 0 {
				return pp.defaultPart, nil
			}
			return noPart()
		}
		for i, tuples := range pp.listTuples {
			for _, t := range tuples {
				eq := true
				for j, off := range pp.cols {
					if e.compareColumnDatum(&e.row[off], &t[j], off) != 0 || e.row[off].IsNull() != t[j].IsNull() {
						eq = false
						break
					}
				}
				if eq {
					return i, nil
				}
			}
		}
		if pp.defaultPart >= 0 {
			return pp.defaultPart, nil
		}
		return noPart()
	}
	return noPart()
}
