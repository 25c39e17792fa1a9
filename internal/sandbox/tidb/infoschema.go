package tidb

import (
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
)

// infoSchema wraps the engine's information_schema to add what TiDB reports
// and the engine does not: TABLES.CREATE_OPTIONS is "partitioned" for
// partitioned tables (importers and checks use it to detect them).
// (COLUMNS cannot be wrapped the same way: the engine type-asserts its own
// table there; see columnsSysTable for how TiDB's COLUMNS is served.)
type infoSchema struct {
	sql.Database
	b *backend
}

func (d *infoSchema) GetTableInsensitive(ctx *sql.Context, name string) (sql.Table, bool, error) {
	t, ok, err := d.Database.GetTableInsensitive(ctx, name)
	if ok && err == nil && strings.EqualFold(name, "tables") {
		return &tablesTable{Table: t, b: d.b}, true, nil
	}

	return t, ok, err
}

// tablesTable is information_schema.TABLES with CREATE_OPTIONS filled in.
type tablesTable struct {
	sql.Table
	b *backend
}

// AssignCatalog keeps the wrapper when the engine hands the table its
// catalog (the engine's own TABLES needs it to list tables).
func (t *tablesTable) AssignCatalog(cat sql.Catalog) sql.Table {
	if ct, ok := t.Table.(sql.CatalogTable); ok {
		return &tablesTable{Table: ct.AssignCatalog(cat), b: t.b}
	}
	return t
}

func (t *tablesTable) PartitionRows(ctx *sql.Context, p sql.Partition) (sql.RowIter, error) {
	it, err := t.Table.PartitionRows(ctx, p)
	if err != nil {
		return nil, err
	}
	s := t.Schema()
	schemaIdx, nameIdx, optIdx := s.IndexOfColName("TABLE_SCHEMA"), s.IndexOfColName("TABLE_NAME"), s.IndexOfColName("CREATE_OPTIONS")
	if schemaIdx < 0 || nameIdx < 0 || optIdx < 0 {
		return it, nil
	}
	return &optionsIter{RowIter: it, b: t.b, schemaIdx: schemaIdx, nameIdx: nameIdx, optIdx: optIdx}, nil
}

type optionsIter struct {
	sql.RowIter
	b                          *backend
	schemaIdx, nameIdx, optIdx int
}

func (it *optionsIter) Next(ctx *sql.Context) (sql.Row, error) {
	row, err := it.RowIter.Next(ctx)
	if err != nil {
		return row, err
	}
	db, _ := row[it.schemaIdx].(string)
	name, _ := row[it.nameIdx].(string)
	if snap, err := it.b.cat.table(db, name); err == nil && snap.Info.Partition != nil {
		row = append(sql.Row(nil), row...)
		row[it.optIdx] = "partitioned"
	}
	return row, nil
}
