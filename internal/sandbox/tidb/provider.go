package tidb

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// systemDB is the name of TiDB's system schema. Only the bits importers
// read are served (mysql.tidb); it is never stored in the catalog.
const systemDB = "mysql"

// session is the engine session with the per-statement switch that exposes
// _tidb_rowid. The handler sets it before a statement that names the
// column; statements on one connection run one at a time, so a plain flag
// is enough.
type session struct {
	*sql.BaseSession
	wantRowID atomic.Bool
}

func wantsRowID(ctx *sql.Context) bool {
	s, ok := ctx.Session.(*session)
	return ok && s.wantRowID.Load()
}

// provider exposes the catalog to the SQL engine. DDL does not go through
// it (the handler runs DDL with TiDB's parser), so it implements only the
// read side plus views, which the engine stores as text.
type provider struct {
	b *backend
}

var _ sql.DatabaseProvider = (*provider)(nil)

func (p *provider) Database(ctx *sql.Context, name string) (sql.Database, error) {
	if strings.EqualFold(name, systemDB) {
		return &sysDatabase{b: p.b}, nil
	}
	info, ok := p.b.cat.dbInfo(name)
	if !ok {
		return nil, sql.ErrDatabaseNotFound.New(name)
	}
	return &database{b: p.b, name: info.Name}, nil
}

func (p *provider) HasDatabase(ctx *sql.Context, name string) bool {
	return strings.EqualFold(name, systemDB) || p.b.cat.hasDB(name)
}

func (p *provider) AllDatabases(ctx *sql.Context) []sql.Database {
	out := []sql.Database{&sysDatabase{b: p.b}}
	for _, n := range p.b.cat.dbNames() {
		out = append(out, &database{b: p.b, name: n})
	}
	return out
}

// database is one user schema.
type database struct {
	b    *backend
	name string
}

var (
	_ sql.Database     = (*database)(nil)
	_ sql.ViewDatabase = (*database)(nil)
)

func (d *database) Name() string { return d.name }

func (d *database) GetTableInsensitive(ctx *sql.Context, name string) (sql.Table, bool, error) {
	snap, err := d.b.cat.table(d.name, name)
	if errors.Is(err, ErrUnknownTable) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	t, err := newTable(d.b, d.name, snap, wantsRowID(ctx))
	if err != nil {
		return nil, false, err
	}
	return t, true, nil
}

func (d *database) GetTableNames(ctx *sql.Context) ([]string, error) {
	return d.b.cat.tableNames(d.name)
}

// CreateView stores the view text; the engine expands it on use.
func (d *database) CreateView(ctx *sql.Context, name, selectStatement, createViewStmt string) error {
	err := d.b.cat.createView(d.name, viewMeta{Name: name, Select: selectStatement, CreateStmt: createViewStmt}, false)
	if errors.Is(err, ErrExists) {
		return sql.ErrExistingView.New(d.name, name)
	}
	return err
}

func (d *database) DropView(ctx *sql.Context, name string) error {
	_, err := d.b.cat.dropTable(d.name, name, false, true)
	if errors.Is(err, ErrUnknownTable) {
		return sql.ErrViewDoesNotExist.New(d.name, name)
	}
	return err
}

func (d *database) GetViewDefinition(ctx *sql.Context, name string) (sql.ViewDefinition, bool, error) {
	for _, v := range d.b.cat.views(d.name) {
		if strings.EqualFold(v.Name, name) {
			return sql.ViewDefinition{Name: v.Name, TextDefinition: v.Select, CreateViewStatement: v.CreateStmt}, true, nil
		}
	}
	return sql.ViewDefinition{}, false, nil
}

func (d *database) AllViews(ctx *sql.Context) ([]sql.ViewDefinition, error) {
	var out []sql.ViewDefinition
	for _, v := range d.b.cat.views(d.name) {
		out = append(out, sql.ViewDefinition{Name: v.Name, TextDefinition: v.Select, CreateViewStatement: v.CreateStmt})
	}
	return out, nil
}

// sysDatabase is the read-only `mysql` schema.
type sysDatabase struct{ b *backend }

func (d *sysDatabase) Name() string { return systemDB }

func (d *sysDatabase) GetTableInsensitive(ctx *sql.Context, name string) (sql.Table, bool, error) {
	if strings.EqualFold(name, "tidb") {
		return tidbSysTable(), true, nil
	}
	return nil, false, nil
}

func (d *sysDatabase) GetTableNames(ctx *sql.Context) ([]string, error) {
	return []string{"tidb"}, nil
}

// tidbSysTable is mysql.tidb: bootstrap facts such as whether new
// collations are enabled, which Lightning reads before encoding keys.
func tidbSysTable() *memTable {
	col := func(n string) *sql.Column {
		return &sql.Column{Name: n, Type: types.LongText, Nullable: true, Source: "tidb", DatabaseSource: systemDB}
	}
	return &memTable{
		name:   "tidb",
		schema: sql.Schema{col("VARIABLE_NAME"), col("VARIABLE_VALUE"), col("COMMENT")},
		rows: []sql.Row{
			{"bootstrapped", "True", "Bootstrap flag. Do not delete."},
			{"tidb_server_version", "218", "Bootstrap version. Do not delete."},
			{"system_tz", "UTC", "TiDB Global System Timezone."},
			{"new_collation_enabled", "True", "If the new collations are enabled. Do not edit it."},
			{"tikv_gc_life_time", "10m0s", "All versions within life time will not be collected by GC, at least 10m, in Go format."},
			{"tikv_gc_enable", "true", "Current GC enable status"},
		},
	}
}

// memTable is a small read-only table held in memory.
type memTable struct {
	name   string
	schema sql.Schema
	rows   []sql.Row
}

func (t *memTable) Name() string               { return t.name }
func (t *memTable) String() string             { return t.name }
func (t *memTable) Schema() sql.Schema         { return t.schema }
func (t *memTable) Collation() sql.CollationID { return sql.Collation_utf8mb4_bin }
func (t *memTable) Partitions(*sql.Context) (sql.PartitionIter, error) {
	return sql.PartitionsToPartitionIter(physPartition(0)), nil
}
func (t *memTable) PartitionRows(*sql.Context, sql.Partition) (sql.RowIter, error) {
	return sql.RowsToRowIter(t.rows...), nil
}

// sqlErr maps catalog errors to the engine's MySQL errors.
func sqlErr(err error, db, tbl string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrUnknownDatabase):
		return sql.ErrDatabaseNotFound.New(db)
	case errors.Is(err, ErrUnknownTable):
		return sql.ErrTableNotFound.New(tbl)
	}
	return fmt.Errorf("%w", err)
}
