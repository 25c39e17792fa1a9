package tidb

import (
	"fmt"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"github.com/tempestdb/tempest/internal/kv"
	"github.com/tempestdb/tempest/internal/tidbtypes"
)

// dataType is information_schema.COLUMNS.DATA_TYPE for a TiDB column type.
func dataType(ft *tidbtypes.FieldType) string {
	bin := strings.EqualFold(ft.Charset, "binary")
	switch ft.Tp {
	case tidbtypes.TypeTiny:
		return "tinyint"
	case tidbtypes.TypeShort:
		return "smallint"
	case tidbtypes.TypeInt24:
		return "mediumint"
	case tidbtypes.TypeLong:
		return "int"
	case tidbtypes.TypeLonglong:
		return "bigint"
	case tidbtypes.TypeFloat:
		return "float"
	case tidbtypes.TypeDouble:
		return "double"
	case tidbtypes.TypeNewDecimal, tidbtypes.TypeDecimal:
		return "decimal"
	case tidbtypes.TypeDate, tidbtypes.TypeNewDate:
		return "date"
	case tidbtypes.TypeDatetime:
		return "datetime"
	case tidbtypes.TypeTimestamp:
		return "timestamp"
	case tidbtypes.TypeDuration:
		return "time"
	case tidbtypes.TypeYear:
		return "year"
	case tidbtypes.TypeBit:
		return "bit"
	case tidbtypes.TypeJSON:
		return "json"
	case tidbtypes.TypeEnum:
		return "enum"
	case tidbtypes.TypeSet:
		return "set"
	case tidbtypes.TypeVarchar, tidbtypes.TypeVarString:
		if bin {
			return "varbinary"
		}
		return "varchar"
	case tidbtypes.TypeString:
		if bin {
			return "binary"
		}
		return "char"
	case tidbtypes.TypeTinyBlob:
		if bin {
			return "tinyblob"
		}
		return "tinytext"
	case tidbtypes.TypeBlob:
		if bin {
			return "blob"
		}
		return "text"
	case tidbtypes.TypeMediumBlob:
		if bin {
			return "mediumblob"
		}
		return "mediumtext"
	case tidbtypes.TypeLongBlob:
		if bin {
			return "longblob"
		}
		return "longtext"
	}
	return fmt.Sprintf("type%d", ft.Tp)
}

// columnType is information_schema.COLUMNS.COLUMN_TYPE, as TiDB renders it
// (int(11), varchar(20), decimal(10,2), enum('a','b'), ... unsigned).
func columnType(ft *tidbtypes.FieldType) string {
	name := dataType(ft)
	var sb strings.Builder
	sb.WriteString(name)
	switch ft.Tp {
	case tidbtypes.TypeEnum, tidbtypes.TypeSet:
		sb.WriteByte('(')
		for i, e := range ft.Elems {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString("'" + strings.ReplaceAll(e, "'", "''") + "'")
		}
		sb.WriteByte(')')
	case tidbtypes.TypeNewDecimal, tidbtypes.TypeDecimal:
		if ft.Flen > 0 {
			fmt.Fprintf(&sb, "(%d,%d)", ft.Flen, max(ft.Decimal, 0))
		}
	case tidbtypes.TypeDatetime, tidbtypes.TypeTimestamp, tidbtypes.TypeDuration:
		if ft.Decimal > 0 {
			fmt.Fprintf(&sb, "(%d)", ft.Decimal)
		}
	case tidbtypes.TypeTiny, tidbtypes.TypeShort, tidbtypes.TypeInt24, tidbtypes.TypeLong, tidbtypes.TypeLonglong,
		tidbtypes.TypeVarchar, tidbtypes.TypeVarString, tidbtypes.TypeString, tidbtypes.TypeBit, tidbtypes.TypeYear:
		if ft.Flen > 0 {
			fmt.Fprintf(&sb, "(%d)", ft.Flen)
		}
	case tidbtypes.TypeFloat, tidbtypes.TypeDouble:
		if ft.Flen > 0 && ft.Decimal > 0 {
			fmt.Fprintf(&sb, "(%d,%d)", ft.Flen, ft.Decimal)
		}
	}
	if ft.IsUnsigned() && tidbtypes.IsIntegerType(ft.Tp) || ft.IsUnsigned() && (ft.Tp == tidbtypes.TypeNewDecimal || ft.Tp == tidbtypes.TypeFloat || ft.Tp == tidbtypes.TypeDouble) {
		sb.WriteString(" unsigned")
	}
	if ft.Flag&tidbtypes.ZerofillFlag != 0 {
		sb.WriteString(" zerofill")
	}
	return sb.String()
}

// columnsTableName is the hidden table in the `mysql` schema that serves
// TiDB's information_schema.COLUMNS for catalog tables. Queries naming
// information_schema.COLUMNS are pointed at it (rewrite.go): the engine's
// own COLUMNS reports its stand-in types (all nullable, VARCHAR as TEXT).
const columnsTableName = "tidb_sandbox_columns"

// columnsSysTable lists the columns of every catalog table.
type columnsSysTable struct{ b *backend }

func (t *columnsSysTable) Name() string               { return columnsTableName }
func (t *columnsSysTable) String() string             { return columnsTableName }
func (t *columnsSysTable) Collation() sql.CollationID { return sql.Collation_utf8mb4_bin }
func (t *columnsSysTable) Partitions(*sql.Context) (sql.PartitionIter, error) {
	return sql.PartitionsToPartitionIter(physPartition(0)), nil
}

func (t *columnsSysTable) Schema() sql.Schema {
	var s sql.Schema
	for _, c := range []struct {
		name string
		num  bool
	}{
		{"TABLE_CATALOG", false}, {"TABLE_SCHEMA", false}, {"TABLE_NAME", false}, {"COLUMN_NAME", false},
		{"ORDINAL_POSITION", true}, {"COLUMN_DEFAULT", false}, {"IS_NULLABLE", false}, {"DATA_TYPE", false},
		{"CHARACTER_MAXIMUM_LENGTH", true}, {"CHARACTER_OCTET_LENGTH", true}, {"NUMERIC_PRECISION", true},
		{"NUMERIC_SCALE", true}, {"DATETIME_PRECISION", true}, {"CHARACTER_SET_NAME", false},
		{"COLLATION_NAME", false}, {"COLUMN_TYPE", false}, {"COLUMN_KEY", false}, {"EXTRA", false},
		{"PRIVILEGES", false}, {"COLUMN_COMMENT", false}, {"GENERATION_EXPRESSION", false}, {"SRS_ID", true},
	} {
		typ := sql.Type(types.LongText)
		if c.num {
			typ = types.Uint64
		}
		s = append(s, &sql.Column{Name: c.name, Type: typ, Nullable: true, Source: columnsTableName, DatabaseSource: systemDB})
	}
	return s
}

func (t *columnsSysTable) PartitionRows(*sql.Context, sql.Partition) (sql.RowIter, error) {
	var rows []sql.Row
	for _, db := range t.b.cat.dbNames() {
		names, err := t.b.cat.tableNames(db)
		if err != nil {
			continue // dropped meanwhile
		}
		for _, n := range names {
			snap, err := t.b.cat.table(db, n)
			if err != nil {
				continue
			}
			pos := uint64(0)
			for _, c := range snap.Info.Columns {
				if c.Hidden {
					continue
				}
				pos++
				rows = append(rows, columnRow(snap.DB.Name, snap.Name, c, pos))
			}
		}
	}
	return sql.RowsToRowIter(rows...), nil
}

func columnRow(db, tbl string, c *kv.ColumnInfo, pos uint64) sql.Row {
	ft := &c.Type
	var def any
	switch c.Default.Kind {
	case kv.DefaultLiteral:
		def = string(c.Default.Value.Bytes)
	case kv.DefaultCurrentTimestamp:
		def = "CURRENT_TIMESTAMP"
	case kv.DefaultExpr:
		def = c.Default.Expr
	}
	nullable := "YES"
	if ft.IsNotNull() {
		nullable = "NO"
	}
	var charLen, octLen, numPrec, numScale, dtPrec, cs, coll any
	switch ft.Tp {
	case tidbtypes.TypeVarchar, tidbtypes.TypeVarString, tidbtypes.TypeString,
		tidbtypes.TypeTinyBlob, tidbtypes.TypeBlob, tidbtypes.TypeMediumBlob, tidbtypes.TypeLongBlob,
		tidbtypes.TypeEnum, tidbtypes.TypeSet:
		if ft.Flen > 0 {
			charLen = uint64(ft.Flen)
			octLen = uint64(ft.Flen) * 4
			if strings.EqualFold(ft.Charset, "binary") {
				octLen = uint64(ft.Flen)
			}
		}
		if !strings.EqualFold(ft.Charset, "binary") {
			cs, coll = ft.Charset, ft.Collate
		}
	case tidbtypes.TypeDatetime, tidbtypes.TypeTimestamp, tidbtypes.TypeDuration:
		dtPrec = uint64(max(ft.Decimal, 0))
	default:
		if ft.Flen > 0 && ft.Tp != tidbtypes.TypeDate && ft.Tp != tidbtypes.TypeJSON && ft.Tp != tidbtypes.TypeYear {
			numPrec = uint64(ft.Flen)
			if tidbtypes.IsIntegerType(ft.Tp) || ft.Tp == tidbtypes.TypeNewDecimal {
				numScale = uint64(max(ft.Decimal, 0))
			}
		}
	}
	key := ""
	switch {
	case ft.Flag&tidbtypes.PriKeyFlag != 0:
		key = "PRI"
	case ft.Flag&tidbtypes.UniqueKeyFlag != 0:
		key = "UNI"
	case ft.Flag&tidbtypes.MultipleKeyFlag != 0:
		key = "MUL"
	}
	return sql.Row{"def", db, tbl, c.Name, pos, def, nullable, dataType(ft), charLen, octLen, numPrec, numScale, dtPrec,
		cs, coll, columnType(ft), key, columnExtra(c), "select,insert,update,references", "", c.GeneratedExpr, nil}
}

// statisticsTableName serves information_schema.STATISTICS for catalog
// tables (the engine only lists indexes of tables that expose them to its
// optimizer, which these do not).
const statisticsTableName = "tidb_sandbox_statistics"

type statisticsSysTable struct{ b *backend }

func (t *statisticsSysTable) Name() string               { return statisticsTableName }
func (t *statisticsSysTable) String() string             { return statisticsTableName }
func (t *statisticsSysTable) Collation() sql.CollationID { return sql.Collation_utf8mb4_bin }
func (t *statisticsSysTable) Partitions(*sql.Context) (sql.PartitionIter, error) {
	return sql.PartitionsToPartitionIter(physPartition(0)), nil
}

func (t *statisticsSysTable) Schema() sql.Schema {
	var s sql.Schema
	for _, c := range []struct {
		name string
		num  bool
	}{
		{"TABLE_CATALOG", false}, {"TABLE_SCHEMA", false}, {"TABLE_NAME", false}, {"NON_UNIQUE", true},
		{"INDEX_SCHEMA", false}, {"INDEX_NAME", false}, {"SEQ_IN_INDEX", true}, {"COLUMN_NAME", false},
		{"COLLATION", false}, {"CARDINALITY", true}, {"SUB_PART", true}, {"PACKED", false},
		{"NULLABLE", false}, {"INDEX_TYPE", false}, {"COMMENT", false}, {"INDEX_COMMENT", false},
		{"IS_VISIBLE", false}, {"EXPRESSION", false},
	} {
		typ := sql.Type(types.LongText)
		if c.num {
			typ = types.Int64
		}
		s = append(s, &sql.Column{Name: c.name, Type: typ, Nullable: true, Source: statisticsTableName, DatabaseSource: systemDB})
	}
	return s
}

func (t *statisticsSysTable) PartitionRows(*sql.Context, sql.Partition) (sql.RowIter, error) {
	var rows []sql.Row
	for _, db := range t.b.cat.dbNames() {
		names, err := t.b.cat.tableNames(db)
		if err != nil {
			continue
		}
		for _, n := range names {
			snap, err := t.b.cat.table(db, n)
			if err != nil {
				continue
			}
			info := snap.Info
			if hc := info.HandleColumn(); hc != nil {
				// An integer clustered key has no index of its own but is
				// listed as PRIMARY.
				rows = append(rows, sql.Row{"def", snap.DB.Name, snap.Name, int64(0), snap.DB.Name, "PRIMARY", int64(1),
					hc.Name, "A", int64(0), nil, nil, "", "BTREE", "", "", "YES", nil})
			}
			for _, idx := range info.Indices {
				nonUnique := int64(1)
				if idx.Unique || idx.Primary {
					nonUnique = 0
				}
				name := idx.Name
				if idx.Primary {
					name = "PRIMARY"
				}
				visible := "YES"
				if idx.Invisible {
					visible = "NO"
				}
				for i, ic := range idx.Columns {
					var sub any
					if ic.Length > 0 {
						sub = int64(ic.Length)
					}
					nullable := "YES"
					if info.Columns[ic.Offset].Type.IsNotNull() {
						nullable = ""
					}
					rows = append(rows, sql.Row{"def", snap.DB.Name, snap.Name, nonUnique, snap.DB.Name, name, int64(i + 1),
						ic.Name, "A", int64(0), sub, nil, nullable, "BTREE", "", "", visible, nil})
				}
			}
		}
	}
	return sql.RowsToRowIter(rows...), nil
}
