package kv

import (
	"fmt"
	"strconv"
	"strings"

	tparser "github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/charset"
	"github.com/pingcap/tidb/pkg/parser/format"
	"github.com/pingcap/tidb/pkg/parser/mysql"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/pingcap/tidb/pkg/parser/test_driver"

	"github.com/tempestdb/tempest/internal/parser"
	"github.com/tempestdb/tempest/internal/tidbtypes"
)

// Defaults of a TiDB cluster that shape a fresh CREATE TABLE.
const (
	defaultAutoRandomShardBits = 5
	defaultAutoRandomRangeBits = 64
)

// ParseCreateTable parses one CREATE TABLE statement and builds its
// TableInfo as a fresh CREATE TABLE on TiDB would (see BuildTableInfo).
func ParseCreateTable(sql string, tableID int64) (*TableInfo, error) {
	// Schema files from dump tools carry SET statements and comments around
	// the CREATE TABLE; take the single CREATE TABLE among them.
	stmts, _, err := tparser.New().Parse(sql, "", "")
	if err != nil {
		return nil, fmt.Errorf("kv: parsing CREATE TABLE: %w", err)
	}
	var ct *ast.CreateTableStmt
	for _, st := range stmts {
		if c, ok := st.(*ast.CreateTableStmt); ok {
			if ct != nil {
				return nil, fmt.Errorf("kv: schema holds more than one CREATE TABLE")
			}
			ct = c
		}
	}
	if ct == nil {
		return nil, fmt.Errorf("kv: no CREATE TABLE statement in schema")
	}
	return BuildTableInfo(ct, tableID)
}

// BuildTableInfo builds the table model of a CREATE TABLE statement with
// TiDB's ID rules for a fresh table: column IDs 1..n in column order, index
// IDs 1..n in the order TiDB processes constraints (table-level constraints
// first, then column-level PRIMARY KEY/UNIQUE options in column order; an
// int-handle primary key consumes no index ID), partition IDs tableID+1..
// in definition order. When the cluster assigned other IDs, use
// TableInfoFromJSON with the status API schema instead.
//
// The clustered-index default is INT_ONLY: a single integer PRIMARY KEY is
// the handle unless NONCLUSTERED; other primary keys are clustered only with
// the CLUSTERED keyword.
func BuildTableInfo(stmt *ast.CreateTableStmt, tableID int64) (*TableInfo, error) {
	name := stmt.Table.Name.O
	t := &TableInfo{ID: tableID, Name: name}
	if stmt.ReferTable != nil || stmt.Select != nil {
		return nil, fmt.Errorf("kv: table %s: CREATE TABLE ... LIKE/SELECT is not supported", name)
	}
	tblCharset, tblCollate := "", ""
	for _, opt := range stmt.Options {
		switch opt.Tp {
		case ast.TableOptionCharset:
			tblCharset = strings.ToLower(opt.StrValue)
		case ast.TableOptionCollate:
			tblCollate = strings.ToLower(opt.StrValue)
		case ast.TableOptionShardRowID:
			t.ShardRowIDBits = opt.UintValue
			t.MaxShardRowIDBits = opt.UintValue
		case ast.TableOptionPreSplitRegion:
			t.PreSplitRegions = opt.UintValue
		}
	}
	tblCharset, tblCollate, err := resolveCharset(tblCharset, tblCollate, mysql.DefaultCharset, mysql.DefaultCollationName)
	if err != nil {
		return nil, fmt.Errorf("kv: table %s: %w", name, err)
	}

	constraints := append([]*ast.Constraint(nil), stmt.Constraints...)
	for i, cd := range stmt.Cols {
		c, cts, err := buildColumn(t, cd, tblCharset, tblCollate)
		if err != nil {
			return nil, fmt.Errorf("kv: table %s: column %s: %w", name, cd.Name.Name.O, err)
		}
		c.ID = int64(i + 1)
		c.Offset = i
		c.State = StatePublic
		t.Columns = append(t.Columns, c)
		constraints = append(constraints, cts...)
	}
	if err := buildIndices(t, constraints); err != nil {
		return nil, err
	}
	if t.AutoRandomBits > 0 && !t.PKIsHandle {
		return nil, fmt.Errorf("kv: table %s: AUTO_RANDOM requires a clustered BIGINT primary key", name)
	}
	if stmt.Partition != nil {
		p, err := buildPartition(t, stmt.Partition)
		if err != nil {
			return nil, err
		}
		t.Partition = p
	}
	if err := t.validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// resolveCharset derives (charset, collation) the way TiDB does for a
// column or table: an explicit collation wins and implies its charset; a
// charset alone takes its default collation (utf8mb4_bin for utf8mb4); no
// charset inherits the enclosing table's. The database default is assumed to
// be utf8mb4/utf8mb4_bin: the status API schema is exact where it is not.
func resolveCharset(cs, coll, parentCS, parentColl string) (string, string, error) {
	cs, coll = strings.ToLower(cs), strings.ToLower(coll)
	switch {
	case coll != "":
		c, err := charset.GetCollationByName(coll)
		if err != nil {
			return "", "", err
		}
		if cs != "" && !strings.EqualFold(c.CharsetName, cs) && !(cs == "utf8mb3" && c.CharsetName == "utf8") {
			return "", "", fmt.Errorf("collation %s is not valid for charset %s", coll, cs)
		}
		return c.CharsetName, c.Name, nil
	case cs != "":
		if cs == "utf8mb3" {
			cs = "utf8"
		}
		d, err := charset.GetDefaultCollation(cs)
		if err != nil {
			return "", "", err
		}
		if cs == mysql.DefaultCharset {
			d = mysql.DefaultCollationName
		}
		return cs, d, nil
	}
	return parentCS, parentColl, nil
}

func isStringLike(tp byte) bool {
	return tidbtypes.IsStringType(tp) || tp == tidbtypes.TypeEnum || tp == tidbtypes.TypeSet
}

func buildColumn(t *TableInfo, cd *ast.ColumnDef, tblCS, tblColl string) (*ColumnInfo, []*ast.Constraint, error) {
	pft := cd.Tp
	if pft.IsArray() {
		return nil, nil, fmt.Errorf("array columns are not supported")
	}
	ft := tidbtypes.FieldType{
		Tp:      pft.GetType(),
		Flag:    uint32(pft.GetFlag()),
		Flen:    pft.GetFlen(),
		Decimal: pft.GetDecimal(),
		Elems:   append([]string(nil), pft.GetElems()...),
	}
	c := &ColumnInfo{Name: cd.Name.Name.O}
	var cts []*ast.Constraint
	colCollate := ""
	for _, opt := range cd.Options {
		switch opt.Tp {
		case ast.ColumnOptionNotNull:
			ft.Flag |= tidbtypes.NotNullFlag
		case ast.ColumnOptionNull:
			ft.Flag &^= tidbtypes.NotNullFlag
		case ast.ColumnOptionAutoIncrement:
			ft.Flag |= tidbtypes.AutoIncrementFlag | tidbtypes.NotNullFlag
		case ast.ColumnOptionPrimaryKey:
			ft.Flag |= tidbtypes.PriKeyFlag | tidbtypes.NotNullFlag
			cts = append(cts, &ast.Constraint{
				Tp:     ast.ConstraintPrimaryKey,
				Keys:   []*ast.IndexPartSpecification{{Column: cd.Name, Length: tidbtypes.UnspecifiedLength}},
				Option: &ast.IndexOption{PrimaryKeyTp: opt.PrimaryKeyTp},
			})
		case ast.ColumnOptionUniqKey:
			ft.Flag |= tidbtypes.UniqueKeyFlag
			cts = append(cts, &ast.Constraint{
				Tp:   ast.ConstraintUniqKey,
				Keys: []*ast.IndexPartSpecification{{Column: cd.Name, Length: tidbtypes.UnspecifiedLength}},
			})
		case ast.ColumnOptionDefaultValue:
			d, err := defaultFromExpr(opt.Expr)
			if err != nil {
				return nil, nil, err
			}
			c.Default = d
		case ast.ColumnOptionGenerated:
			s, err := restoreExpr(opt.Expr)
			if err != nil {
				return nil, nil, err
			}
			c.GeneratedExpr = s
			c.GeneratedStored = opt.Stored
		case ast.ColumnOptionCollate:
			colCollate = opt.StrValue
		case ast.ColumnOptionAutoRandom:
			shard := opt.AutoRandOpt.ShardBits
			if shard == tidbtypes.UnspecifiedLength {
				shard = defaultAutoRandomShardBits
			}
			rng := opt.AutoRandOpt.RangeBits
			if rng == tidbtypes.UnspecifiedLength {
				rng = defaultAutoRandomRangeBits
			}
			if shard <= 0 || shard > 15 || rng < 32 || rng > 64 {
				return nil, nil, fmt.Errorf("invalid AUTO_RANDOM(%d, %d)", shard, rng)
			}
			t.AutoRandomBits = uint64(shard)
			t.AutoRandomRangeBits = uint64(rng)
			if rng == defaultAutoRandomRangeBits {
				// TiDB stores 0 for the default range (64 bits).
				t.AutoRandomRangeBits = 0
			}
		}
	}
	// Charset and collation: binary types keep binary; strings inherit from
	// the table; everything else is binary as far as TiDB is concerned.
	if isStringLike(ft.Tp) {
		cs, coll := pft.GetCharset(), pft.GetCollate()
		if colCollate != "" {
			coll = colCollate
		}
		if cs == charset.CharsetBin || coll == charset.CollationBin && cs == "" {
			cs, coll = charset.CharsetBin, charset.CollationBin
		}
		var err error
		ft.Charset, ft.Collate, err = resolveCharset(cs, coll, tblCS, tblColl)
		if err != nil {
			return nil, nil, err
		}
		if ft.Charset == charset.CharsetBin {
			ft.Flag |= tidbtypes.BinaryFlag
		}
	} else {
		ft.Charset, ft.Collate = charset.CharsetBin, charset.CollationBin
		if ft.Tp != tidbtypes.TypeJSON {
			ft.Flag |= tidbtypes.BinaryFlag
		}
	}
	// Unspecified lengths take MySQL's defaults; for DECIMAL that decides
	// the stored precision (DECIMAL = DECIMAL(10,0)) and for temporal types
	// the fsp (0).
	defFlen, defDec := mysql.GetDefaultFieldLengthAndDecimal(ft.Tp)
	if ft.Flen == tidbtypes.UnspecifiedLength {
		ft.Flen = defFlen
	}
	if ft.Decimal == tidbtypes.UnspecifiedLength {
		switch ft.Tp {
		case tidbtypes.TypeNewDecimal, tidbtypes.TypeDatetime, tidbtypes.TypeTimestamp, tidbtypes.TypeDuration, tidbtypes.TypeDate:
			ft.Decimal = defDec
		}
	}
	if (ft.Tp == tidbtypes.TypeEnum || ft.Tp == tidbtypes.TypeSet) && len(ft.Elems) == 0 {
		return nil, nil, fmt.Errorf("%s without members", tidbtypes.TypeName(ft.Tp))
	}
	if c.IsGenerated() && c.Default.Kind != DefaultNone {
		return nil, nil, fmt.Errorf("generated column cannot have a default")
	}
	c.Type = ft
	return c, cts, nil
}

// defaultFromExpr turns a DEFAULT clause into a DefaultValue.
func defaultFromExpr(e ast.ExprNode) (DefaultValue, error) {
	switch x := e.(type) {
	case *test_driver.ValueExpr:
		return DefaultValue{Kind: DefaultLiteral, Value: fieldFromValue(x)}.normalize(), nil
	case *ast.UnaryOperationExpr:
		if v, ok := x.V.(*test_driver.ValueExpr); ok && (x.Op == opcode.Minus || x.Op == opcode.Plus) {
			f := fieldFromValue(v)
			if f.Kind == parser.KindNumber {
				if x.Op == opcode.Minus {
					f.Bytes = negateNumber(f.Bytes)
				}
				return DefaultValue{Kind: DefaultLiteral, Value: f}, nil
			}
		}
	case *ast.FuncCallExpr:
		switch x.FnName.L {
		case ast.CurrentTimestamp, ast.Now, ast.LocalTime, ast.LocalTimestamp:
			return DefaultValue{Kind: DefaultCurrentTimestamp}, nil
		}
	}
	s, err := restoreExpr(e)
	if err != nil {
		return DefaultValue{}, err
	}
	return DefaultValue{Kind: DefaultExpr, Expr: s}, nil
}

func (d DefaultValue) normalize() DefaultValue {
	if d.Kind == DefaultLiteral && d.Value.Kind == parser.KindNull {
		return DefaultValue{Kind: DefaultNull}
	}
	return d
}

func negateNumber(b []byte) []byte {
	if len(b) > 0 && b[0] == '-' {
		return b[1:]
	}
	return append([]byte{'-'}, b...)
}

// fieldFromValue converts a parsed literal into the source-field form the
// value converter takes, so defaults are cast exactly like data values.
func fieldFromValue(v *test_driver.ValueExpr) parser.Field {
	d := &v.Datum
	switch d.Kind() {
	case test_driver.KindNull:
		return parser.Field{Kind: parser.KindNull}
	case test_driver.KindInt64:
		if v.Type.GetType() == mysql.TypeTiny && v.Type.GetFlen() == 1 {
			// TRUE/FALSE literals
			return parser.Field{Kind: parser.KindBool, Bytes: []byte(strconv.FormatInt(d.GetInt64(), 10))}
		}
		return parser.Field{Kind: parser.KindNumber, Bytes: []byte(strconv.FormatInt(d.GetInt64(), 10))}
	case test_driver.KindUint64:
		return parser.Field{Kind: parser.KindNumber, Bytes: []byte(strconv.FormatUint(d.GetUint64(), 10))}
	case test_driver.KindFloat32, test_driver.KindFloat64:
		return parser.Field{Kind: parser.KindNumber, Bytes: []byte(strconv.FormatFloat(d.GetFloat64(), 'g', -1, 64))}
	case test_driver.KindMysqlDecimal:
		return parser.Field{Kind: parser.KindNumber, Bytes: []byte(d.GetMysqlDecimal().String())}
	case test_driver.KindBinaryLiteral:
		f := parser.Field{Kind: parser.KindHex, Bytes: append([]byte(nil), d.GetBytes()...)}
		if _, isBit := d.GetValue().(test_driver.BitLiteral); isBit {
			f.Kind = parser.KindBits
		}
		return f
	case test_driver.KindString, test_driver.KindBytes:
		f := parser.Field{Kind: parser.KindString, Bytes: []byte(d.GetString())}
		if v.Type.GetCharset() == charset.CharsetBin {
			f.Charset = charset.CharsetBin
		}
		return f
	}
	return parser.Field{Kind: parser.KindString, Bytes: []byte(v.GetDatumString())}
}

func restoreExpr(e ast.ExprNode) (string, error) {
	var sb strings.Builder
	flags := format.RestoreStringSingleQuotes | format.RestoreKeyWordLowercase | format.RestoreNameBackQuotes
	if err := e.Restore(format.NewRestoreCtx(flags, &sb)); err != nil {
		return "", fmt.Errorf("kv: restoring expression: %w", err)
	}
	return sb.String(), nil
}

func isSingleIntPK(t *TableInfo, keys []*ast.IndexPartSpecification) bool {
	if len(keys) != 1 || keys[0].Expr != nil {
		return false
	}
	c := t.FindColumn(keys[0].Column.Name.O)
	return c != nil && tidbtypes.IsIntegerType(c.Type.Tp)
}

func buildIndices(t *TableInfo, constraints []*ast.Constraint) error {
	used := map[string]bool{}
	var fks []*ast.Constraint
	for _, constr := range constraints {
		var unique, primary bool
		switch constr.Tp {
		case ast.ConstraintPrimaryKey:
			if t.PKIsHandle || t.IsCommonHandle || t.PrimaryIndex() != nil {
				return fmt.Errorf("kv: table %s: multiple primary keys", t.Name)
			}
			for _, k := range constr.Keys {
				if k.Expr != nil {
					return fmt.Errorf("kv: table %s: expression in PRIMARY KEY is not supported", t.Name)
				}
				c := t.FindColumn(k.Column.Name.O)
				if c == nil {
					return fmt.Errorf("kv: table %s: primary key column %s not found", t.Name, k.Column.Name.O)
				}
				c.Type.Flag |= tidbtypes.PriKeyFlag | tidbtypes.NotNullFlag
			}
			pkTp := ast.PrimaryKeyTypeDefault
			if constr.Option != nil {
				pkTp = constr.Option.PrimaryKeyTp
			}
			single := isSingleIntPK(t, constr.Keys)
			clustered := pkTp == ast.PrimaryKeyTypeClustered || (pkTp == ast.PrimaryKeyTypeDefault && single)
			if clustered {
				if single {
					t.PKIsHandle = true
					continue
				}
				t.IsCommonHandle = true
				t.CommonHandleVersion = 1
			}
			primary, unique = true, true
		case ast.ConstraintUniq, ast.ConstraintUniqKey, ast.ConstraintUniqIndex:
			unique = true
		case ast.ConstraintKey, ast.ConstraintIndex:
		case ast.ConstraintForeignKey:
			fks = append(fks, constr)
			continue
		case ast.ConstraintFulltext:
			return fmt.Errorf("kv: table %s: FULLTEXT index is not supported", t.Name)
		case ast.ConstraintVector, ast.ConstraintColumnar:
			// Not written by row encoding (TiFlash-side indexes).
			continue
		default:
			continue
		}
		idx := &IndexInfo{ID: int64(len(t.Indices) + 1), Unique: unique, Primary: primary, State: StatePublic}
		if constr.Option != nil {
			idx.Invisible = constr.Option.Visibility == ast.IndexVisibilityInvisible
			idx.Global = constr.Option.Global
			if constr.Option.Condition != nil {
				idx.Unsupported = "partial index"
			}
		}
		for _, k := range constr.Keys {
			if k.Expr != nil {
				return fmt.Errorf("kv: table %s: expression index is not supported without the cluster schema (use the status API JSON)", t.Name)
			}
			c := t.FindColumn(k.Column.Name.O)
			if c == nil {
				return fmt.Errorf("kv: table %s: index column %s not found", t.Name, k.Column.Name.O)
			}
			length := k.Length
			if length <= 0 {
				length = tidbtypes.UnspecifiedLength
			}
			idx.Columns = append(idx.Columns, IndexColumn{Name: c.Name, Offset: c.Offset, Length: length})
		}
		idx.Name = indexName(constr, idx, used)
		used[strings.ToLower(idx.Name)] = true
		t.Indices = append(t.Indices, idx)
	}
	// TiDB (FK support, 6.6+) adds an index for every foreign key whose
	// columns no index covers as a prefix, after all declared indexes, named
	// after the foreign key (fk_N when unnamed).
	for n, fk := range fks {
		if len(fk.Keys) == 1 && t.PKIsHandle {
			if c := t.HandleColumn(); c != nil && strings.EqualFold(c.Name, fk.Keys[0].Column.Name.O) {
				continue
			}
		}
		if hasIndexPrefix(t, fk.Keys) {
			continue
		}
		idx := &IndexInfo{ID: int64(len(t.Indices) + 1), State: StatePublic, Name: fk.Name}
		if idx.Name == "" {
			idx.Name = "fk_" + strconv.Itoa(n+1)
		}
		for _, k := range fk.Keys {
			c := t.FindColumn(k.Column.Name.O)
			if c == nil {
				return fmt.Errorf("kv: table %s: foreign key column %s not found", t.Name, k.Column.Name.O)
			}
			idx.Columns = append(idx.Columns, IndexColumn{Name: c.Name, Offset: c.Offset, Length: tidbtypes.UnspecifiedLength})
		}
		t.Indices = append(t.Indices, idx)
	}
	return nil
}

func indexName(constr *ast.Constraint, idx *IndexInfo, used map[string]bool) string {
	if idx.Primary {
		return "PRIMARY"
	}
	if constr.Name != "" {
		return constr.Name
	}
	base := idx.Columns[0].Name
	name := base
	for i := 2; used[strings.ToLower(name)]; i++ {
		name = base + "_" + strconv.Itoa(i)
	}
	return name
}

// hasIndexPrefix reports whether a built index starts with the given
// columns.
func hasIndexPrefix(t *TableInfo, keys []*ast.IndexPartSpecification) bool {
	for _, idx := range t.Indices {
		if len(idx.Columns) < len(keys) {
			continue
		}
		ok := true
		for i, k := range keys {
			if k.Column == nil || !strings.EqualFold(idx.Columns[i].Name, k.Column.Name.O) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func buildPartition(t *TableInfo, po *ast.PartitionOptions) (*PartitionInfo, error) {
	if po.Sub != nil {
		return nil, fmt.Errorf("kv: table %s: subpartitions are not supported", t.Name)
	}
	p := &PartitionInfo{Type: PartitionType(po.Tp), Linear: po.Linear, Num: po.Num}
	switch po.Tp {
	case ast.PartitionTypeRange, ast.PartitionTypeList, ast.PartitionTypeHash, ast.PartitionTypeKey:
	default:
		return nil, fmt.Errorf("kv: table %s: partition type %v is not supported", t.Name, po.Tp)
	}
	if po.Interval != nil {
		return nil, fmt.Errorf("kv: table %s: INTERVAL partitioning is not supported", t.Name)
	}
	if po.Expr != nil {
		s, err := restoreExpr(po.Expr)
		if err != nil {
			return nil, err
		}
		p.Expr = s
	}
	for _, cn := range po.ColumnNames {
		p.Columns = append(p.Columns, cn.Name.O)
	}
	if len(po.Definitions) == 0 {
		n := po.Num
		if n == 0 {
			n = 1
		}
		for i := uint64(0); i < n; i++ {
			p.Defs = append(p.Defs, PartitionDefinition{Name: "p" + strconv.FormatUint(i, 10)})
		}
	}
	for _, d := range po.Definitions {
		def := PartitionDefinition{Name: d.Name.O}
		switch cl := d.Clause.(type) {
		case *ast.PartitionDefinitionClauseLessThan:
			for _, e := range cl.Exprs {
				s, err := restoreExpr(e)
				if err != nil {
					return nil, err
				}
				def.LessThan = append(def.LessThan, s)
			}
		case *ast.PartitionDefinitionClauseIn:
			if len(cl.Values) == 0 {
				def.InValues = [][]string{{"DEFAULT"}}
			}
			for _, tuple := range cl.Values {
				var vs []string
				for _, e := range tuple {
					s, err := restoreExpr(e)
					if err != nil {
						return nil, err
					}
					vs = append(vs, s)
				}
				def.InValues = append(def.InValues, vs)
			}
		}
		p.Defs = append(p.Defs, def)
	}
	p.Num = uint64(len(p.Defs))
	for i := range p.Defs {
		p.Defs[i].ID = t.ID + 1 + int64(i)
	}
	return p, nil
}
