package tidb

import (
	"errors"
	"fmt"
	"strings"
	"sync"
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
	// The engine lists a `mysql` schema of its own in SHOW DATABASES, so
	// the system schema is reachable by name only.
	var out []sql.Database
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
			return viewDef(d.name, v), true, nil
		}
	}
	return sql.ViewDefinition{}, false, nil
}

func (d *database) AllViews(ctx *sql.Context) ([]sql.ViewDefinition, error) {
	var out []sql.ViewDefinition
	for _, v := range d.b.cat.views(d.name) {
		out = append(out, viewDef(d.name, v))
	}
	return out, nil
}

// viewDef hands the engine a minimal CREATE VIEW. The original text may
// name the schema and a DEFINER, which the engine then insists on binding
// against the session's current schema; neither matters for evaluation.
func viewDef(db string, v viewMeta) sql.ViewDefinition {
	return sql.ViewDefinition{
		Name:                v.Name,
		TextDefinition:      v.Select,
		CreateViewStatement: "CREATE VIEW " + quoteName(db) + "." + quoteName(v.Name) + " AS " + v.Select,
	}
}

// sysDatabase is the read-only `mysql` schema.
type sysDatabase struct{ b *backend }

func (d *sysDatabase) Name() string { return systemDB }

func (d *sysDatabase) GetTableInsensitive(ctx *sql.Context, name string) (sql.Table, bool, error) {
	switch strings.ToLower(name) {
	case "tidb":
		return &tidbSysTable{b: d.b}, true, nil
	case columnsTableName:
		return &columnsSysTable{b: d.b}, true, nil
	case statisticsTableName:
		return &statisticsSysTable{b: d.b}, true, nil
	}
	return nil, false, nil
}

func (d *sysDatabase) GetTableNames(ctx *sql.Context) ([]string, error) {
	return []string{"tidb"}, nil
}

// sysVarsTable holds mysql.tidb: bootstrap facts such as whether new
// collations are enabled, which Lightning reads before encoding keys, and
// the GC settings importers update around a checksum.
type sysVarsTable struct {
	mu   sync.Mutex
	rows []sql.Row // VARIABLE_NAME, VARIABLE_VALUE, COMMENT
}

func newSysVarsTable() *sysVarsTable {
	return &sysVarsTable{rows: []sql.Row{
		{"bootstrapped", "True", "Bootstrap flag. Do not delete."},
		{"tidb_server_version", "218", "Bootstrap version. Do not delete."},
		{"system_tz", "UTC", "TiDB Global System Timezone."},
		{"new_collation_enabled", "True", "If the new collations are enabled. Do not edit it."},
		{"tikv_gc_leader_uuid", "", "Current GC worker leader UUID. (DO NOT EDIT)"},
		{"tikv_gc_run_interval", "10m0s", "GC run interval, at least 10m, in Go format."},
		{"tikv_gc_life_time", "10m0s", "All versions within life time will not be collected by GC, at least 10m, in Go format."},
		{"tikv_gc_enable", "true", "Current GC enable status"},
	}}
}

// tidbSysTable is the engine view of mysql.tidb; UPDATE and upserting
// INSERT change it, keyed by VARIABLE_NAME.
type tidbSysTable struct{ b *backend }

var (
	_ sql.UpdatableTable   = (*tidbSysTable)(nil)
	_ sql.InsertableTable  = (*tidbSysTable)(nil)
	_ sql.ReplaceableTable = (*tidbSysTable)(nil)
)

func (t *tidbSysTable) Name() string   { return "tidb" }
func (t *tidbSysTable) String() string { return "tidb" }
func (t *tidbSysTable) Schema() sql.Schema {
	col := func(n string, pk bool) *sql.Column {
		return &sql.Column{Name: n, Type: types.LongText, Nullable: !pk, PrimaryKey: pk, Source: "tidb", DatabaseSource: systemDB}
	}
	return sql.Schema{col("VARIABLE_NAME", true), col("VARIABLE_VALUE", false), col("COMMENT", false)}
}
func (t *tidbSysTable) Collation() sql.CollationID { return sql.Collation_utf8mb4_bin }
func (t *tidbSysTable) Partitions(*sql.Context) (sql.PartitionIter, error) {
	return sql.PartitionsToPartitionIter(physPartition(0)), nil
}
func (t *tidbSysTable) PartitionRows(*sql.Context, sql.Partition) (sql.RowIter, error) {
	st := t.b.sysVars
	st.mu.Lock()
	defer st.mu.Unlock()
	rows := make([]sql.Row, len(st.rows))
	for i, r := range st.rows {
		rows[i] = append(sql.Row(nil), r...)
	}
	return sql.RowsToRowIter(rows...), nil
}
func (t *tidbSysTable) Inserter(*sql.Context) sql.RowInserter { return sysVarsEditor{t.b.sysVars} }
func (t *tidbSysTable) Replacer(*sql.Context) sql.RowReplacer { return sysVarsEditor{t.b.sysVars} }
func (t *tidbSysTable) Updater(*sql.Context) sql.RowUpdater   { return sysVarsEditor{t.b.sysVars} }

type sysVarsEditor struct{ st *sysVarsTable }

func (e sysVarsEditor) StatementBegin(*sql.Context)              {}
func (e sysVarsEditor) DiscardChanges(*sql.Context, error) error { return nil }
func (e sysVarsEditor) StatementComplete(*sql.Context) error     { return nil }
func (e sysVarsEditor) Close(*sql.Context) error                 { return nil }

func (e sysVarsEditor) Insert(_ *sql.Context, row sql.Row) error {
	e.st.mu.Lock()
	defer e.st.mu.Unlock()
	for _, r := range e.st.rows {
		if r[0] == row[0] {
			return sql.NewUniqueKeyErr(fmt.Sprint(row[0]), true, append(sql.Row(nil), r...))
		}
	}
	e.st.rows = append(e.st.rows, append(sql.Row(nil), row...))
	return nil
}

func (e sysVarsEditor) Delete(_ *sql.Context, row sql.Row) error {
	e.st.mu.Lock()
	defer e.st.mu.Unlock()
	for i, r := range e.st.rows {
		if r[0] == row[0] {
			e.st.rows = append(e.st.rows[:i], e.st.rows[i+1:]...)
			return nil
		}
	}
	return sql.ErrDeleteRowNotFound.New()
}

func (e sysVarsEditor) Update(_ *sql.Context, old, new sql.Row) error {
	e.st.mu.Lock()
	defer e.st.mu.Unlock()
	for i, r := range e.st.rows {
		if r[0] == old[0] {
			e.st.rows[i] = append(sql.Row(nil), new...)
			return nil
		}
	}
	return sql.ErrDeleteRowNotFound.New()
}
