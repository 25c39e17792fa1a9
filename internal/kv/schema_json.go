package kv

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/tempestdb/tempest/internal/parser"
	"github.com/tempestdb/tempest/internal/tidbtypes"
)

// The JSON shapes below follow TiDB's model.TableInfo as served by the status
// API /schema/{db}/{table}. They are the one definition of that wire format in
// the project: TableInfoFromJSON reads it, and the sandbox's TiDB front
// writes it, so what one serves the other reads back. Unknown fields are
// ignored when reading.

// CIStr is TiDB's case-insensitive name: original and lower-cased.
type CIStr struct {
	O string `json:"O"`
	L string `json:"L"`
}

// NewCIStr returns the CIStr of s.
func NewCIStr(s string) CIStr { return CIStr{O: s, L: strings.ToLower(s)} }

type JSONFieldType struct {
	Tp      byte     `json:"Tp"`
	Flag    uint32   `json:"Flag"`
	Flen    int      `json:"Flen"`
	Decimal int      `json:"Decimal"`
	Charset string   `json:"Charset"`
	Collate string   `json:"Collate"`
	Elems   []string `json:"Elems"`
	Array   bool     `json:"Array"`
}

type JSONColumn struct {
	ID                  int64         `json:"id"`
	Name                CIStr         `json:"name"`
	Offset              int           `json:"offset"`
	OriginDefault       any           `json:"origin_default"`
	OriginDefaultBit    []byte        `json:"origin_default_bit"`
	Default             any           `json:"default"`
	DefaultBit          []byte        `json:"default_bit"`
	DefaultIsExpr       bool          `json:"default_is_expr"`
	GeneratedExprString string        `json:"generated_expr_string"`
	GeneratedStored     bool          `json:"generated_stored"`
	Type                JSONFieldType `json:"type"`
	State               SchemaState   `json:"state"`
	Hidden              bool          `json:"hidden"`
	Version             uint64        `json:"version"`
}

type JSONIndexColumn struct {
	Name   CIStr `json:"name"`
	Offset int   `json:"offset"`
	Length int   `json:"length"`
}

type JSONIndex struct {
	ID         int64             `json:"id"`
	Name       CIStr             `json:"idx_name"`
	Table      CIStr             `json:"tbl_name"`
	IndexType  int               `json:"index_type"`
	Columns    []JSONIndexColumn `json:"idx_cols"`
	State      SchemaState       `json:"state"`
	Unique     bool              `json:"is_unique"`
	Primary    bool              `json:"is_primary"`
	Invisible  bool              `json:"is_invisible"`
	Invisible2 bool              `json:"invisible"`
	Global     bool              `json:"is_global"`
	MVIndex    bool              `json:"mv_index"`
	Condition  string            `json:"condition_expr_string"`
	VectorInfo json.RawMessage   `json:"vector_index"`
	FullText   json.RawMessage   `json:"fulltext_index"`
	Columnar   json.RawMessage   `json:"columnar_index"`
}

type JSONPartitionDef struct {
	ID       int64      `json:"id"`
	Name     CIStr      `json:"name"`
	LessThan []string   `json:"less_than"`
	InValues [][]string `json:"in_values"`
}

type JSONPartition struct {
	Type    PartitionType      `json:"type"`
	Expr    string             `json:"expr"`
	Columns []CIStr            `json:"columns"`
	Num     uint64             `json:"num"`
	Enable  bool               `json:"enable"`
	Defs    []JSONPartitionDef `json:"definitions"`
}

type JSONTableInfo struct {
	ID                  int64          `json:"id"`
	Name                CIStr          `json:"name"`
	Charset             string         `json:"charset"`
	Collate             string         `json:"collate"`
	State               SchemaState    `json:"state"`
	AutoRandID          int64          `json:"auto_rand_id"`
	MaxColumnID         int64          `json:"max_col_id"`
	MaxIndexID          int64          `json:"max_idx_id"`
	Version             int            `json:"version"`
	Columns             []JSONColumn   `json:"cols"`
	Indices             []JSONIndex    `json:"index_info"`
	PKIsHandle          bool           `json:"pk_is_handle"`
	IsCommonHandle      bool           `json:"is_common_handle"`
	CommonHandleVersion uint16         `json:"common_handle_version"`
	ShardRowIDBits      uint64         `json:"shard_row_id_bits"`
	MaxShardRowIDBits   uint64         `json:"max_shard_row_id_bits"`
	AutoRandomBits      uint64         `json:"auto_random_bits"`
	AutoRandomRangeBits uint64         `json:"auto_random_range_bits"`
	AutoIncID           int64          `json:"auto_inc_id"`
	PreSplitRegions     uint64         `json:"pre_split_regions"`
	Partition           *JSONPartition `json:"partition"`
	// Linear is not part of TiDB's JSON; LINEAR HASH is detected from Expr
	// being absent and rejected elsewhere.
}

// JSONDBInfo is TiDB's model.DBInfo as the status API serves it.
type JSONDBInfo struct {
	ID      int64       `json:"id"`
	Name    CIStr       `json:"db_name"`
	Charset string      `json:"charset"`
	Collate string      `json:"collate"`
	State   SchemaState `json:"state"`
}

// TableInfoFromJSON decodes the TiDB status API /schema/{db}/{table} body.
func TableInfoFromJSON(data []byte) (*TableInfo, error) {
	var jt JSONTableInfo
	if err := json.Unmarshal(data, &jt); err != nil {
		return nil, fmt.Errorf("kv: decoding table info JSON: %w", err)
	}
	t := &TableInfo{
		ID:                  jt.ID,
		Name:                jt.Name.O,
		PKIsHandle:          jt.PKIsHandle,
		IsCommonHandle:      jt.IsCommonHandle,
		CommonHandleVersion: jt.CommonHandleVersion,
		ShardRowIDBits:      jt.ShardRowIDBits,
		MaxShardRowIDBits:   jt.MaxShardRowIDBits,
		AutoRandomBits:      jt.AutoRandomBits,
		AutoRandomRangeBits: jt.AutoRandomRangeBits,
		AutoIncID:           jt.AutoIncID,
		PreSplitRegions:     jt.PreSplitRegions,
	}
	// Columns in other states than public are kept out: Lightning imports
	// into tables that are not under DDL, and a delete-only column must not
	// be written.
	for _, jc := range jt.Columns {
		if jc.State != StatePublic {
			if jc.State == StateWriteOnly || jc.State == StateWriteReorganization {
				return nil, fmt.Errorf("kv: table %s: column %s is in the middle of a DDL (state %d)", t.Name, jc.Name.O, jc.State)
			}
			continue
		}
		c := &ColumnInfo{
			ID:              jc.ID,
			Name:            jc.Name.O,
			Offset:          jc.Offset,
			State:           jc.State,
			GeneratedExpr:   jc.GeneratedExprString,
			GeneratedStored: jc.GeneratedStored,
			Hidden:          jc.Hidden,
			Type: tidbtypes.FieldType{
				Tp: jc.Type.Tp, Flag: jc.Type.Flag, Flen: jc.Type.Flen, Decimal: jc.Type.Decimal,
				Charset: jc.Type.Charset, Collate: jc.Type.Collate, Elems: jc.Type.Elems,
			},
		}
		if jc.Type.Array {
			return nil, fmt.Errorf("kv: table %s: column %s is an array (multi-valued index) column, not supported", t.Name, c.Name)
		}
		c.Default = jsonDefault(jc.Default, jc.DefaultBit, jc.DefaultIsExpr, &c.Type)
		c.OriginDefault = jsonDefault(jc.OriginDefault, jc.OriginDefaultBit, false, &c.Type)
		if c.Type.Tp == tidbtypes.TypeTimestamp && jc.Version >= 1 {
			c.Default.UTC = c.Default.Kind == DefaultLiteral
			c.OriginDefault.UTC = c.OriginDefault.Kind == DefaultLiteral
		}
		t.Columns = append(t.Columns, c)
	}
	// Offsets in TiDB JSON are positions among all columns; re-derive them
	// from the sorted order so Columns[i].Offset == i holds.
	sortColumnsByOffset(t.Columns)
	offsetMap := make(map[int]int, len(t.Columns))
	for i, c := range t.Columns {
		offsetMap[c.Offset] = i
		c.Offset = i
	}
	for _, ji := range jt.Indices {
		if ji.State == StateNone || ji.State == StateDeleteOnly || ji.State == StateDeleteReorganization {
			continue
		}
		idx := &IndexInfo{
			ID: ji.ID, Name: ji.Name.O, Unique: ji.Unique, Primary: ji.Primary,
			Invisible: ji.Invisible || ji.Invisible2, Global: ji.Global, State: ji.State,
		}
		switch {
		case ji.MVIndex:
			idx.Unsupported = "multi-valued index"
		case ji.Condition != "":
			idx.Unsupported = "partial index"
		case len(ji.FullText) > 0 && string(ji.FullText) != "null":
			idx.Unsupported = "fulltext index"
		case len(ji.VectorInfo) > 0 && string(ji.VectorInfo) != "null",
			len(ji.Columnar) > 0 && string(ji.Columnar) != "null":
			idx.NoKVs = true
		}
		for _, jic := range ji.Columns {
			off, ok := offsetMap[jic.Offset]
			if !ok || !strings.EqualFold(t.Columns[off].Name, jic.Name.O) {
				if c := t.FindColumn(jic.Name.O); c != nil {
					off, ok = c.Offset, true
				}
			}
			if !ok {
				return nil, fmt.Errorf("kv: table %s: index %s refers to unknown column %s", t.Name, idx.Name, jic.Name.O)
			}
			length := jic.Length
			if length == 0 {
				length = tidbtypes.UnspecifiedLength
			}
			idx.Columns = append(idx.Columns, IndexColumn{Name: t.Columns[off].Name, Offset: off, Length: length})
		}
		t.Indices = append(t.Indices, idx)
	}
	if jt.Partition != nil && jt.Partition.Type != 0 {
		p := &PartitionInfo{Type: jt.Partition.Type, Expr: jt.Partition.Expr, Num: jt.Partition.Num}
		for _, c := range jt.Partition.Columns {
			p.Columns = append(p.Columns, c.O)
		}
		for _, d := range jt.Partition.Defs {
			p.Defs = append(p.Defs, PartitionDefinition{ID: d.ID, Name: d.Name.O, LessThan: d.LessThan, InValues: d.InValues})
		}
		t.Partition = p
	}
	if err := t.validate(); err != nil {
		return nil, err
	}
	return t, nil
}

func sortColumnsByOffset(cols []*ColumnInfo) {
	for i := 1; i < len(cols); i++ {
		for j := i; j > 0 && cols[j-1].Offset > cols[j].Offset; j-- {
			cols[j-1], cols[j] = cols[j], cols[j-1]
		}
	}
}

// jsonDefault interprets a model.ColumnInfo default: nil means none (or
// NULL for nullable columns — identical for encoding), BIT defaults live in
// the *_bit field, CURRENT_TIMESTAMP is spelled out as a string.
func jsonDefault(v any, bit []byte, isExpr bool, ft *tidbtypes.FieldType) DefaultValue {
	if ft.Tp == tidbtypes.TypeBit && len(bit) > 0 {
		return DefaultValue{Kind: DefaultLiteral, Value: parser.Field{Kind: parser.KindBits, Bytes: append([]byte(nil), bit...)}}
	}
	switch x := v.(type) {
	case nil:
		return DefaultValue{Kind: DefaultNone}
	case string:
		if isCurrentTimestamp(x) && (tidbtypes.IsTimeType(ft.Tp)) {
			return DefaultValue{Kind: DefaultCurrentTimestamp}
		}
		if isExpr {
			return DefaultValue{Kind: DefaultExpr, Expr: x}
		}
		return DefaultValue{Kind: DefaultLiteral, Value: parser.Field{Kind: parser.KindString, Bytes: []byte(x)}}
	case float64:
		return DefaultValue{Kind: DefaultLiteral, Value: parser.Field{Kind: parser.KindNumber, Bytes: []byte(strconv.FormatFloat(x, 'g', -1, 64))}}
	case bool:
		b := "0"
		if x {
			b = "1"
		}
		return DefaultValue{Kind: DefaultLiteral, Value: parser.Field{Kind: parser.KindNumber, Bytes: []byte(b)}}
	}
	return DefaultValue{Kind: DefaultExpr, Expr: fmt.Sprint(v)}
}

func isCurrentTimestamp(s string) bool {
	u := strings.ToUpper(strings.TrimSpace(s))
	for _, p := range []string{"CURRENT_TIMESTAMP", "NOW", "LOCALTIME", "LOCALTIMESTAMP"} {
		if u == p || strings.HasPrefix(u, p+"(") {
			return true
		}
	}
	return false
}

// validate checks the invariants the encoder relies on.
func (t *TableInfo) validate() error {
	if t.ID <= 0 {
		return fmt.Errorf("kv: table %s: invalid table id %d", t.Name, t.ID)
	}
	ids := make(map[int64]bool, len(t.Columns))
	for i, c := range t.Columns {
		if c.Offset != i {
			return fmt.Errorf("kv: table %s: column %s has offset %d, want %d", t.Name, c.Name, c.Offset, i)
		}
		if c.ID <= 0 || ids[c.ID] {
			return fmt.Errorf("kv: table %s: column %s has invalid or duplicate id %d", t.Name, c.Name, c.ID)
		}
		ids[c.ID] = true
	}
	if t.PKIsHandle && t.IsCommonHandle {
		return fmt.Errorf("kv: table %s: both pk_is_handle and is_common_handle set", t.Name)
	}
	if t.PKIsHandle && t.HandleColumn() == nil {
		return fmt.Errorf("kv: table %s: pk_is_handle without a primary key column", t.Name)
	}
	if t.IsCommonHandle && t.PrimaryIndex() == nil {
		return fmt.Errorf("kv: table %s: clustered table without PRIMARY index", t.Name)
	}
	for _, idx := range t.Indices {
		for _, ic := range idx.Columns {
			if ic.Offset < 0 || ic.Offset >= len(t.Columns) {
				return fmt.Errorf("kv: table %s: index %s column offset %d out of range", t.Name, idx.Name, ic.Offset)
			}
		}
	}
	if p := t.Partition; p != nil {
		if len(p.Defs) == 0 {
			return fmt.Errorf("kv: table %s: partitioned table without partitions", t.Name)
		}
		for _, d := range p.Defs {
			if d.ID <= 0 {
				return fmt.Errorf("kv: table %s: partition %s has invalid id %d", t.Name, d.Name, d.ID)
			}
		}
	}
	return nil
}
