package tidb

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
	"github.com/shopspring/decimal"

	"github.com/tempestdb/tempest/internal/kv"
	"github.com/tempestdb/tempest/internal/parser"
	"github.com/tempestdb/tempest/internal/tidbtypes"
)

// gmsCollation maps a TiDB collation name to the SQL engine's collation.
// Only comparison behaviour matters here (the bytes on disk come from the
// codec), so unknown collations fall back to binary-ish utf8mb4_bin, which
// is also TiDB's default.
func gmsCollation(coll string) sql.CollationID {
	switch strings.ToLower(coll) {
	case "binary":
		return sql.Collation_binary
	case "utf8mb4_general_ci", "utf8_general_ci":
		return sql.Collation_utf8mb4_general_ci
	case "utf8mb4_unicode_ci", "utf8_unicode_ci":
		return sql.Collation_utf8mb4_unicode_ci
	case "utf8mb4_0900_ai_ci":
		return sql.Collation_utf8mb4_0900_ai_ci
	case "latin1_bin":
		return sql.Collation_latin1_bin
	case "latin1_swedish_ci", "latin1_general_ci":
		return sql.Collation_latin1_swedish_ci
	}
	return sql.Collation_utf8mb4_bin
}

// gmsType maps a TiDB column type to the SQL engine's type. Errors (never
// panics) for shapes the engine cannot represent.
func gmsType(ft *tidbtypes.FieldType) (sql.Type, error) {
	unsigned := ft.IsUnsigned()
	pick := func(s, u sql.Type) sql.Type {
		if unsigned {
			return u
		}
		return s
	}
	binary := strings.EqualFold(ft.Charset, "binary") || strings.EqualFold(ft.Collate, "binary")
	flen := int64(ft.Flen)
	switch ft.Tp {
	case tidbtypes.TypeTiny:
		return pick(types.Int8, types.Uint8), nil
	case tidbtypes.TypeShort:
		return pick(types.Int16, types.Uint16), nil
	case tidbtypes.TypeInt24:
		return pick(types.Int24, types.Uint24), nil
	case tidbtypes.TypeLong:
		return pick(types.Int32, types.Uint32), nil
	case tidbtypes.TypeLonglong:
		return pick(types.Int64, types.Uint64), nil
	case tidbtypes.TypeFloat:
		return types.Float32, nil
	case tidbtypes.TypeDouble:
		return types.Float64, nil
	case tidbtypes.TypeNewDecimal, tidbtypes.TypeDecimal:
		prec, scale := ft.Flen, ft.Decimal
		if prec <= 0 {
			prec = 10
		}
		if scale < 0 {
			scale = 0
		}
		return types.CreateDecimalType(uint8(min(prec, 65)), uint8(min(scale, 30)))
	case tidbtypes.TypeYear:
		return types.Year, nil
	case tidbtypes.TypeDate, tidbtypes.TypeNewDate:
		return types.Date, nil
	case tidbtypes.TypeDatetime:
		return types.CreateDatetimeType(sqltypes.Datetime, max(ft.Decimal, 0))
	case tidbtypes.TypeTimestamp:
		// The engine's TIMESTAMP is limited to 1970..2038 in its own
		// (UTC) terms; values here are wall clock in the session zone
		// (1969-12-31 16:00:01 in -08:00 is valid), so the engine sees a
		// DATETIME of the same precision. The handler restores the wire
		// type of TIMESTAMP columns (floatFixer.restoreTemporalFields).
		return types.CreateDatetimeType(sqltypes.Datetime, max(ft.Decimal, 0))
	case tidbtypes.TypeDuration:
		return types.Time, nil
	case tidbtypes.TypeBit:
		n := ft.Flen
		if n <= 0 {
			n = 1
		}
		return types.CreateBitType(uint8(min(n, 64)))
	case tidbtypes.TypeJSON:
		return types.JSON, nil
	case tidbtypes.TypeEnum:
		return types.CreateEnumType(ft.Elems, gmsCollation(ft.Collate))
	case tidbtypes.TypeSet:
		return types.CreateSetType(ft.Elems, gmsCollation(ft.Collate))
	case tidbtypes.TypeString:
		if flen <= 0 {
			flen = 1
		}
		if binary {
			return types.CreateBinary(sqltypes.Binary, min(flen, 255))
		}
		return types.CreateString(sqltypes.Char, min(flen, 255), gmsCollation(ft.Collate))
	case tidbtypes.TypeVarchar, tidbtypes.TypeVarString:
		if flen <= 0 {
			flen = 65535
		}
		if binary {
			return types.CreateBinary(sqltypes.VarBinary, min(flen, 65535))
		}
		// The engine caps VARCHAR by bytes; TiDB by characters. Text
		// avoids false "too long" errors on multibyte data.
		return types.CreateString(sqltypes.Text, types.LongTextBlobMax, gmsCollation(ft.Collate))
	case tidbtypes.TypeTinyBlob, tidbtypes.TypeBlob, tidbtypes.TypeMediumBlob, tidbtypes.TypeLongBlob:
		if binary {
			return types.LongBlob, nil
		}
		return types.CreateString(sqltypes.Text, types.LongTextBlobMax, gmsCollation(ft.Collate))
	}
	return nil, fmt.Errorf("unsupported column type 0x%x", ft.Tp)
}

// gmsSchema builds the engine schema of a table. withRowID appends the
// hidden _tidb_rowid column; the handler asks for it only when a statement
// names it, so SELECT * keeps TiDB's visible column list.
//
// Every column is reported nullable and without default: defaults,
// NOT NULL handling, auto IDs and generated columns are the codec's job
// (kv.Encoder applies TiDB's rules), and letting the engine apply its own
// first would reject rows TiDB accepts.
func gmsSchema(dbName string, info *kv.TableInfo, withRowID bool) (sql.Schema, error) {
	var s sql.Schema
	for _, c := range info.Columns {
		if c.Hidden {
			continue
		}
		typ, err := gmsType(&c.Type)
		if err != nil {
			return nil, fmt.Errorf("table %s column %s: %w", info.Name, c.Name, err)
		}
		col := &sql.Column{
			Name:           c.Name,
			Type:           typ,
			Nullable:       true,
			Source:         info.Name,
			DatabaseSource: dbName,
			PrimaryKey:     c.Type.Flag&tidbtypes.PriKeyFlag != 0,
			Extra:          columnExtra(c),
		}
		if c.IsGenerated() {
			// The engine evaluates generated columns from TiDB's
			// expression text; stored ones are also in the row, virtual
			// ones exist only here.
			col.Generated = sql.NewUnresolvedColumnDefaultValue(c.GeneratedExpr)
			col.Virtual = !c.GeneratedStored
		}
		s = append(s, col)
	}
	if withRowID {
		s = append(s, &sql.Column{Name: kv.ExtraHandleName, Type: types.Int64, Nullable: true, Source: info.Name, DatabaseSource: dbName})
	}
	return s, nil
}

func columnExtra(c *kv.ColumnInfo) string {
	switch {
	case c.IsAutoIncrement():
		return "auto_increment"
	case c.IsGenerated() && c.GeneratedStored:
		return "STORED GENERATED"
	case c.IsGenerated():
		return "VIRTUAL GENERATED"
	}
	return ""
}

// toGMS converts a decoded datum to the engine's value for typ. Going
// through the datum's text form and the engine's own Convert keeps this
// small and makes the engine own its value representation.
func toGMS(ctx context.Context, d *tidbtypes.Datum, typ sql.Type) (any, error) {
	var v any
	switch d.Kind() {
	case tidbtypes.KindNull:
		return nil, nil
	case tidbtypes.KindInt64:
		v = d.GetInt64()
	case tidbtypes.KindUint64:
		v = d.GetUint64()
	case tidbtypes.KindFloat32:
		v = float64(d.GetFloat32())
	case tidbtypes.KindFloat64:
		v = d.GetFloat64()
	case tidbtypes.KindString, tidbtypes.KindBytes:
		if types.IsBinaryType(typ) {
			return append([]byte(nil), d.GetBytes()...), nil
		}
		if isLatin1(typ) {
			// A latin1 column holds one byte per character (a truncated
			// emoji leaves the lone byte F0); the engine keeps text as
			// UTF-8 and re-encodes it to latin1 for hex() and the like.
			v = latin1ToUTF8(d.GetBytes())
		} else {
			v = d.GetString()
		}
	case tidbtypes.KindDecimal:
		dec, err := decimal.NewFromString(d.GetDecimal().String())
		if err != nil {
			return nil, fmt.Errorf("decimal %s: %w", d.GetDecimal().String(), err)
		}
		v = dec
	case tidbtypes.KindTime:
		t := d.GetTime()
		if t.IsZero() {
			// The engine maps this text to its zero time, which it renders
			// as 0000-00-00 like TiDB.
			v = types.ZeroTimestampDatetimeStr
		} else {
			v = t.String()
		}
	case tidbtypes.KindDuration:
		v = d.GetDuration().String()
	case tidbtypes.KindEnum:
		if e := d.GetEnum(); e.Value == 0 {
			return uint16(0), nil
		} else {
			return uint16(e.Value), nil
		}
	case tidbtypes.KindSet:
		return d.GetSet().Value, nil
	case tidbtypes.KindBinaryLiteral:
		u, ok := d.GetMysqlBitUint64()
		if !ok {
			return nil, fmt.Errorf("bit value too long")
		}
		v = u
	case tidbtypes.KindJSON:
		v = d.GetJSON().String()
	default:
		v = d.String()
	}
	out, _, err := typ.Convert(ctx, v)
	if err != nil {
		return nil, fmt.Errorf("converting %v to %s: %w", v, typ, err)
	}
	return out, nil
}

// engineZeroUnix is how the engine represents 0000-00-00 00:00:00
// (0000-01-01 UTC, the closest time.Time gets).
const engineZeroUnix = -62167219200

// isLatin1 reports a text type in the latin1 character set.
func isLatin1(typ sql.Type) bool {
	st, ok := typ.(sql.StringType)
	return ok && st.Collation().CharacterSet() == sql.CharacterSet_latin1
}

// latin1ToUTF8 decodes latin1 bytes the way the engine's latin1
// (MySQL's, which is cp1252) encodes them back, so hex() and length() see
// the stored bytes. A byte cp1252 leaves undefined (0x81, 0x8D, ...) has
// no round trip; it is kept as the code point of the same value.
func latin1ToUTF8(b []byte) string {
	enc := sql.CharacterSet_latin1.Encoder()
	var sb strings.Builder
	for _, c := range b {
		if r, ok := enc.DecodeRune([]byte{c}); ok {
			if back, ok := enc.EncodeRune(r); ok && len(back) == 1 && back[0] == c {
				sb.Write(r)
				continue
			}
		}
		sb.WriteRune(rune(c))
	}
	return sb.String()
}

// utf8ToLatin1 encodes text for a latin1 column, the inverse of
// latin1ToUTF8. Text with characters beyond latin1 is stored as its UTF-8
// bytes, as TiDB stores what the client sent without converting.
func utf8ToLatin1(s string) []byte {
	if b, ok := sql.CharacterSet_latin1.Encoder().Encode([]byte(s)); ok {
		return append([]byte(nil), b...)
	}
	return []byte(s)
}

// toField renders an engine value as a source field so kv.Encoder converts
// it with TiDB's (Lightning's) casting rules, exactly as a logical import
// statement's literal would be.
func toField(v any) (parser.Field, error) {
	num := func(s string) parser.Field { return parser.Field{Kind: parser.KindNumber, Bytes: []byte(s)} }
	str := func(s string) parser.Field { return parser.Field{Kind: parser.KindString, Bytes: []byte(s)} }
	switch x := v.(type) {
	case nil:
		return parser.Field{Kind: parser.KindNull}, nil
	case int8:
		return num(strconv.FormatInt(int64(x), 10)), nil
	case int16:
		return num(strconv.FormatInt(int64(x), 10)), nil
	case int32:
		return num(strconv.FormatInt(int64(x), 10)), nil
	case int64:
		return num(strconv.FormatInt(x, 10)), nil
	case int:
		return num(strconv.Itoa(x)), nil
	case uint8:
		return num(strconv.FormatUint(uint64(x), 10)), nil
	case uint16:
		return num(strconv.FormatUint(uint64(x), 10)), nil
	case uint32:
		return num(strconv.FormatUint(uint64(x), 10)), nil
	case uint64:
		return num(strconv.FormatUint(x, 10)), nil
	case float32:
		return num(strconv.FormatFloat(float64(x), 'g', -1, 32)), nil
	case float64:
		return num(strconv.FormatFloat(x, 'g', -1, 64)), nil
	case bool:
		if x {
			return num("1"), nil
		}
		return num("0"), nil
	case decimal.Decimal:
		return num(x.String()), nil
	case decimal.NullDecimal:
		if !x.Valid {
			return parser.Field{Kind: parser.KindNull}, nil
		}
		return num(x.Decimal.String()), nil
	case string:
		return str(x), nil
	case []byte:
		return parser.Field{Kind: parser.KindString, Bytes: append([]byte(nil), x...)}, nil
	case time.Time:
		if x.Unix() == engineZeroUnix {
			return str("0000-00-00 00:00:00"), nil
		}
		return str(x.Format("2006-01-02 15:04:05.999999")), nil
	case types.Timespan:
		return str(x.String()), nil
	case sql.JSONWrapper:
		s, err := types.JsonToMySqlString(x)
		if err != nil {
			return parser.Field{}, fmt.Errorf("json value: %w", err)
		}
		return str(s), nil
	case fmt.Stringer:
		return str(x.String()), nil
	}
	return parser.Field{}, fmt.Errorf("unsupported value %T", v)
}
