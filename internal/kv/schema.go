package kv

import (
	"fmt"
	"strings"

	"github.com/tempestdb/tempest/internal/parser"
	"github.com/tempestdb/tempest/internal/tidbtypes"
)

// SchemaState mirrors TiDB's model.SchemaState numbering.
type SchemaState uint8

// Schema states.
const (
	StateNone SchemaState = iota
	StateDeleteOnly
	StateWriteOnly
	StateWriteReorganization
	StateDeleteReorganization
	StatePublic
)

// ExtraHandleName is the name of the implicit row-ID column.
const ExtraHandleName = "_tidb_rowid"

// TableInfo is the part of TiDB's table metadata that decides the bytes of
// the KV pairs a row produces.
type TableInfo struct {
	ID      int64
	Name    string
	Columns []*ColumnInfo // in table order; Columns[i].Offset == i
	Indices []*IndexInfo

	// PKIsHandle: single integer clustered PK whose value is the int handle.
	PKIsHandle bool
	// IsCommonHandle: clustered PK that is not a single integer column.
	IsCommonHandle      bool
	CommonHandleVersion uint16

	ShardRowIDBits      uint64
	MaxShardRowIDBits   uint64
	PreSplitRegions     uint64
	AutoRandomBits      uint64
	AutoRandomRangeBits uint64
	// AutoIncID is TiDB's auto_inc_id: the AUTO_INCREMENT table option or
	// the last ALTER TABLE AUTO_INCREMENT (0 when never set). Lightning
	// rebases the allocator past max(AutoIncID, IDs used) after a
	// physical import.
	AutoIncID int64

	Partition *PartitionInfo
}

// ColumnInfo describes one column.
type ColumnInfo struct {
	ID     int64
	Name   string
	Offset int
	Type   tidbtypes.FieldType
	State  SchemaState

	Default       DefaultValue
	OriginDefault DefaultValue

	// GeneratedExpr is the SQL text of a generated column's expression
	// (empty for ordinary columns); GeneratedStored tells stored from virtual.
	GeneratedExpr   string
	GeneratedStored bool
	// Hidden columns back expression indexes.
	Hidden bool
}

// IsGenerated reports a generated column.
func (c *ColumnInfo) IsGenerated() bool { return c.GeneratedExpr != "" }

// IsAutoIncrement reports the AUTO_INCREMENT flag.
func (c *ColumnInfo) IsAutoIncrement() bool {
	return c.Type.Flag&tidbtypes.AutoIncrementFlag != 0
}

// DefaultKind says what a column default is.
type DefaultKind uint8

// Default kinds.
const (
	// DefaultNone: no DEFAULT clause; a missing value is NULL if the column
	// is nullable, else the type's zero value (non-strict) / error (strict).
	DefaultNone DefaultKind = iota
	// DefaultNull: DEFAULT NULL.
	DefaultNull
	// DefaultLiteral: a constant; Value holds it as a source field.
	DefaultLiteral
	// DefaultCurrentTimestamp: CURRENT_TIMESTAMP/NOW() (with optional fsp),
	// evaluated once per import from EncoderOptions.Timestamp.
	DefaultCurrentTimestamp
	// DefaultExpr: another expression (e.g. (UUID())), held in Expr. Rows
	// that omit such a column cannot be encoded deterministically.
	DefaultExpr
)

// DefaultValue is a column default as written in the DDL / schema JSON.
type DefaultValue struct {
	Kind  DefaultKind
	Value parser.Field // for DefaultLiteral; Bytes is owned
	Expr  string       // for DefaultExpr
	// UTC marks a TIMESTAMP literal stored in UTC (TiDB's schema JSON keeps
	// TIMESTAMP defaults in UTC for column version ≥ 1); a DDL literal is
	// session wall-clock time instead.
	UTC bool
}

// IndexInfo describes one index.
type IndexInfo struct {
	ID        int64
	Name      string
	Columns   []IndexColumn
	Unique    bool
	Primary   bool
	Invisible bool
	Global    bool
	State     SchemaState
	// Unsupported names a kind of index this package cannot encode
	// (multi-valued, partial, fulltext); empty when supported.
	Unsupported string
	// NoKVs marks TiFlash-side indexes (vector, columnar) that row writes
	// never produce KVs for.
	NoKVs bool
}

// IndexColumn is one column of an index; Length is the prefix length in
// characters (bytes for binary/ascii charsets), or -1 for the whole value.
type IndexColumn struct {
	Name   string
	Offset int
	Length int
}

// PartitionType mirrors TiDB's model.PartitionType.
type PartitionType int

// Partition types.
const (
	PartitionRange PartitionType = 1
	PartitionHash  PartitionType = 2
	PartitionList  PartitionType = 3
	PartitionKey   PartitionType = 4
)

func (t PartitionType) String() string {
	switch t {
	case PartitionRange:
		return "RANGE"
	case PartitionHash:
		return "HASH"
	case PartitionList:
		return "LIST"
	case PartitionKey:
		return "KEY"
	}
	return fmt.Sprintf("partition-type-%d", int(t))
}

// PartitionInfo describes the partitioning of a table.
type PartitionInfo struct {
	Type PartitionType
	// Expr is the partitioning expression (RANGE/LIST/HASH), empty for the
	// COLUMNS variants and KEY.
	Expr    string
	Columns []string
	Linear  bool
	Num     uint64
	Defs    []PartitionDefinition
}

// PartitionDefinition is one partition; LessThan holds one expression text
// per partitioning column (MAXVALUE as "MAXVALUE"); InValues holds one tuple
// per listed value (DEFAULT as a single "DEFAULT").
type PartitionDefinition struct {
	ID       int64
	Name     string
	LessThan []string
	InValues [][]string
}

// FindColumn returns the column named name (case-insensitive) or nil.
func (t *TableInfo) FindColumn(name string) *ColumnInfo {
	for _, c := range t.Columns {
		if strings.EqualFold(c.Name, name) {
			return c
		}
	}
	return nil
}

// PrimaryIndex returns the PRIMARY index info (nil for int-handle tables and
// tables without a primary key).
func (t *TableInfo) PrimaryIndex() *IndexInfo {
	for _, idx := range t.Indices {
		if idx.Primary {
			return idx
		}
	}
	return nil
}

// HandleColumn returns the int handle PK column when PKIsHandle.
func (t *TableInfo) HandleColumn() *ColumnInfo {
	if !t.PKIsHandle {
		return nil
	}
	for _, c := range t.Columns {
		if c.Type.Flag&tidbtypes.PriKeyFlag != 0 {
			return c
		}
	}
	return nil
}

// HasImplicitRowID reports tables whose handle is the hidden _tidb_rowid.
func (t *TableInfo) HasImplicitRowID() bool { return !t.PKIsHandle && !t.IsCommonHandle }

// PhysicalIDs returns the IDs under which record/index KVs are written: the
// partition IDs of a partitioned table, else the table ID.
func (t *TableInfo) PhysicalIDs() []int64 {
	if t.Partition == nil {
		return []int64{t.ID}
	}
	ids := make([]int64, len(t.Partition.Defs))
	for i, d := range t.Partition.Defs {
		ids[i] = d.ID
	}
	return ids
}

// Column-mapping sentinels for MapColumns results.
const (
	// ColumnIgnored marks a source field that maps to no table column.
	ColumnIgnored = -1
	// ColumnRowID marks a source field holding _tidb_rowid.
	ColumnRowID = -2
)

// MapColumns maps source column names (CSV header / INSERT column list) to
// table column offsets. nil names means table order over the visible,
// non-hidden columns. Unknown names are an error naming the table.
func (t *TableInfo) MapColumns(names []string) ([]int, error) {
	var out []int
	if names == nil {
		for _, c := range t.Columns {
			if !c.Hidden {
				out = append(out, c.Offset)
			}
		}
		return out, nil
	}
	seen := make(map[int]bool, len(names))
	for _, n := range names {
		if strings.EqualFold(n, ExtraHandleName) && t.HasImplicitRowID() {
			out = append(out, ColumnRowID)
			continue
		}
		c := t.FindColumn(n)
		if c == nil || c.Hidden {
			return nil, fmt.Errorf("kv: table %s has no column %q", t.Name, n)
		}
		if seen[c.Offset] {
			return nil, fmt.Errorf("kv: table %s: column %q given twice", t.Name, n)
		}
		seen[c.Offset] = true
		out = append(out, c.Offset)
	}
	return out, nil
}
