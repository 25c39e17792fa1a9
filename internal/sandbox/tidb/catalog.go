package tidb

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/tempestdb/tempest/internal/kv"
)

// firstUserID is where the global ID allocator starts. TiDB reserves the low
// IDs for its own system schemas, so user objects in a fresh cluster get IDs
// in the low hundreds; starting there keeps sandbox keys looking like a real
// cluster's without depending on the exact number.
const firstUserID = 100

// catalogFile is the name of the persisted catalog inside Options.DataDir.
const catalogFile = "tidb-catalog.json"

// ErrUnknownDatabase and ErrUnknownTable are returned (wrapped) by catalog
// look-ups so the SQL layer can map them to MySQL error codes.
var (
	ErrUnknownDatabase = errors.New("unknown database")
	ErrUnknownTable    = errors.New("unknown table")
	ErrExists          = errors.New("already exists")
)

// dbMeta is one schema. Names keep their original spelling; look-ups are
// case-insensitive like TiDB with lower_case_table_names=2.
type dbMeta struct {
	ID      int64        `json:"id"`
	Name    string       `json:"name"`
	Charset string       `json:"charset"`
	Collate string       `json:"collate"`
	Tables  []*tableMeta `json:"tables"`
	Views   []*viewMeta  `json:"views,omitempty"`
}

// tableMeta is one table. The table model is not persisted: it is rebuilt
// from CreateSQL with the same ID, which BuildTableInfo maps to the same
// column/index/partition IDs, so the JSON stays small and never drifts from
// what the codec derives.
type tableMeta struct {
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	CreateSQL string `json:"create_sql"`
	// AutoIDBase is the largest auto ID handed out or rebased to (row IDs
	// and AUTO_INCREMENT share one allocator, as in TiDB with the default
	// AUTO_ID_CACHE); the next allocation is AutoIDBase+1.
	AutoIDBase int64 `json:"auto_id_base"`
	// AutoRandomBase is the AUTO_RANDOM incremental part's base.
	AutoRandomBase int64 `json:"auto_random_base"`

	info *kv.TableInfo
}

// viewMeta is one view, kept as its SELECT text for the SQL engine.
type viewMeta struct {
	Name       string `json:"name"`
	Select     string `json:"select"`
	CreateStmt string `json:"create_stmt"`
}

type catalogState struct {
	NextID int64     `json:"next_id"`
	DBs    []*dbMeta `json:"dbs"`
}

// catalog holds schemas and tables with TiDB-style IDs. It is the single
// source of truth for the SQL engine and the status API. All methods are
// safe for concurrent use.
type catalog struct {
	mu    sync.RWMutex
	path  string // empty: memory only
	state catalogState
}

// openCatalog loads the catalog from dir (creating it when missing); an
// empty dir keeps the catalog in memory.
func openCatalog(dir string) (*catalog, error) {
	c := &catalog{state: catalogState{NextID: firstUserID}}
	if dir == "" {
		return c, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("tidb: creating data dir: %w", err)
	}
	c.path = filepath.Join(dir, catalogFile)
	data, err := os.ReadFile(c.path)
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tidb: reading catalog: %w", err)
	}
	if err := json.Unmarshal(data, &c.state); err != nil {
		return nil, fmt.Errorf("tidb: decoding catalog %s: %w", c.path, err)
	}
	for _, db := range c.state.DBs {
		for _, t := range db.Tables {
			info, err := buildTableInfo(t.CreateSQL, t.ID)
			if err != nil {
				return nil, fmt.Errorf("tidb: rebuilding table %s.%s: %w", db.Name, t.Name, err)
			}
			t.info = info
		}
	}
	return c, nil
}

// saveLocked writes the catalog atomically (temp file + rename) so a crash
// never leaves a half-written catalog behind.
func (c *catalog) saveLocked() error {
	if c.path == "" {
		return nil
	}
	data, err := json.MarshalIndent(&c.state, "", "  ")
	if err != nil {
		return fmt.Errorf("tidb: encoding catalog: %w", err)
	}
	tmp := c.path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("tidb: writing catalog: %w", err)
	}
	if err := os.Rename(tmp, c.path); err != nil {
		return fmt.Errorf("tidb: replacing catalog: %w", err)
	}
	return nil
}

func (c *catalog) findDBLocked(name string) *dbMeta {
	for _, db := range c.state.DBs {
		if strings.EqualFold(db.Name, name) {
			return db
		}
	}
	return nil
}

func (db *dbMeta) findTable(name string) *tableMeta {
	for _, t := range db.Tables {
		if strings.EqualFold(t.Name, name) {
			return t
		}
	}
	return nil
}

func (db *dbMeta) findView(name string) *viewMeta {
	for _, v := range db.Views {
		if strings.EqualFold(v.Name, name) {
			return v
		}
	}
	return nil
}

// createDB creates a schema; ifNotExists turns "exists" into success.
func (c *catalog) createDB(name, charset, collate string, ifNotExists bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.findDBLocked(name) != nil {
		if ifNotExists {
			return nil
		}
		return fmt.Errorf("database %s: %w", name, ErrExists)
	}
	if charset == "" {
		charset = "utf8mb4"
	}
	if collate == "" {
		collate = "utf8mb4_bin"
	}
	c.state.DBs = append(c.state.DBs, &dbMeta{ID: c.state.NextID, Name: name, Charset: charset, Collate: collate})
	c.state.NextID++
	return c.saveLocked()
}

// dropDB removes a schema and returns the physical IDs whose data must be
// cleared.
func (c *catalog) dropDB(name string, ifExists bool) ([]int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, db := range c.state.DBs {
		if strings.EqualFold(db.Name, name) {
			var ids []int64
			for _, t := range db.Tables {
				ids = append(ids, allIDs(t.info)...)
			}
			c.state.DBs = append(c.state.DBs[:i], c.state.DBs[i+1:]...)
			return ids, c.saveLocked()
		}
	}
	if ifExists {
		return nil, nil
	}
	return nil, fmt.Errorf("database %s: %w", name, ErrUnknownDatabase)
}

// allIDs lists the table ID and every partition ID: the key ranges a table
// owns.
func allIDs(info *kv.TableInfo) []int64 {
	ids := []int64{info.ID}
	if info.Partition != nil {
		ids = append(ids, info.PhysicalIDs()...)
	}
	return ids
}

// createTable registers a table built by build(tableID). build receives the
// ID the global allocator reserves; partitions take the IDs right after it
// (BuildTableInfo's rule), so the allocator moves past them.
func (c *catalog) createTable(dbName, tblName string, ifNotExists bool, build func(id int64) (*kv.TableInfo, string, error)) (*tableMeta, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	db := c.findDBLocked(dbName)
	if db == nil {
		return nil, false, fmt.Errorf("database %s: %w", dbName, ErrUnknownDatabase)
	}
	if t := db.findTable(tblName); t != nil || db.findView(tblName) != nil {
		if ifNotExists {
			return t, false, nil
		}
		return nil, false, fmt.Errorf("table %s.%s: %w", dbName, tblName, ErrExists)
	}
	id := c.state.NextID
	info, createSQL, err := build(id)
	if err != nil {
		return nil, false, err
	}
	next := id + 1
	for _, pid := range info.PhysicalIDs() {
		if pid >= next {
			next = pid + 1
		}
	}
	t := &tableMeta{ID: id, Name: tblName, CreateSQL: createSQL, info: info}
	db.Tables = append(db.Tables, t)
	c.state.NextID = next
	return t, true, c.saveLocked()
}

// replaceTableIDs gives a table fresh IDs (TRUNCATE TABLE semantics): the
// old data becomes unreachable and the returned old IDs can be cleared.
func (c *catalog) truncateTable(dbName, tblName string) ([]int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	db := c.findDBLocked(dbName)
	if db == nil {
		return nil, fmt.Errorf("database %s: %w", dbName, ErrUnknownDatabase)
	}
	t := db.findTable(tblName)
	if t == nil {
		return nil, fmt.Errorf("table %s.%s: %w", dbName, tblName, ErrUnknownTable)
	}
	old := allIDs(t.info)
	id := c.state.NextID
	info, err := buildTableInfo(t.CreateSQL, id)
	if err != nil {
		return nil, fmt.Errorf("tidb: rebuilding table %s.%s: %w", dbName, tblName, err)
	}
	next := id + 1
	for _, pid := range info.PhysicalIDs() {
		if pid >= next {
			next = pid + 1
		}
	}
	t.ID, t.info, t.AutoIDBase, t.AutoRandomBase = id, info, 0, 0
	c.state.NextID = next
	return old, c.saveLocked()
}

// dropTable removes a table (or a view when isView) and returns the IDs whose
// data must be cleared.
func (c *catalog) dropTable(dbName, tblName string, ifExists, isView bool) ([]int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	db := c.findDBLocked(dbName)
	if db == nil {
		if ifExists {
			return nil, nil
		}
		return nil, fmt.Errorf("database %s: %w", dbName, ErrUnknownDatabase)
	}
	if isView {
		for i, v := range db.Views {
			if strings.EqualFold(v.Name, tblName) {
				db.Views = append(db.Views[:i], db.Views[i+1:]...)
				return nil, c.saveLocked()
			}
		}
	} else {
		for i, t := range db.Tables {
			if strings.EqualFold(t.Name, tblName) {
				db.Tables = append(db.Tables[:i], db.Tables[i+1:]...)
				return allIDs(t.info), c.saveLocked()
			}
		}
	}
	if ifExists {
		return nil, nil
	}
	return nil, fmt.Errorf("table %s.%s: %w", dbName, tblName, ErrUnknownTable)
}

// tableSnapshot is an immutable copy of a table's catalog entry.
type tableSnapshot struct {
	DB             *dbMeta
	ID             int64
	Name           string
	CreateSQL      string
	AutoIDBase     int64
	AutoRandomBase int64
	Info           *kv.TableInfo
}

func (c *catalog) table(dbName, tblName string) (tableSnapshot, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	db := c.findDBLocked(dbName)
	if db == nil {
		return tableSnapshot{}, fmt.Errorf("database %s: %w", dbName, ErrUnknownDatabase)
	}
	t := db.findTable(tblName)
	if t == nil {
		return tableSnapshot{}, fmt.Errorf("table %s.%s: %w", dbName, tblName, ErrUnknownTable)
	}
	return tableSnapshot{DB: db, ID: t.ID, Name: t.Name, CreateSQL: t.CreateSQL, AutoIDBase: t.AutoIDBase, AutoRandomBase: t.AutoRandomBase, Info: t.info}, nil
}

func (c *catalog) hasDB(name string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.findDBLocked(name) != nil
}

// dbNames returns schema names sorted by ID (creation order).
func (c *catalog) dbNames() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]string, 0, len(c.state.DBs))
	for _, db := range c.state.DBs {
		out = append(out, db.Name)
	}
	return out
}

// dbInfo returns the schema's name spelling, ID and charset.
func (c *catalog) dbInfo(name string) (dbMeta, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	db := c.findDBLocked(name)
	if db == nil {
		return dbMeta{}, false
	}
	return dbMeta{ID: db.ID, Name: db.Name, Charset: db.Charset, Collate: db.Collate}, true
}

func (c *catalog) tableNames(dbName string) ([]string, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	db := c.findDBLocked(dbName)
	if db == nil {
		return nil, fmt.Errorf("database %s: %w", dbName, ErrUnknownDatabase)
	}
	out := make([]string, 0, len(db.Tables))
	for _, t := range db.Tables {
		out = append(out, t.Name)
	}
	sort.Strings(out)
	return out, nil
}

// reserve implements an allocator refill: it returns the persisted base
// before the call and moves it to max(base, floor) + step.
func (c *catalog) reserve(dbName, tblName string, autoRandom bool, step, floor int64) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, err := c.findTableLocked(dbName, tblName)
	if err != nil {
		return 0, err
	}
	p := &t.AutoIDBase
	if autoRandom {
		p = &t.AutoRandomBase
	}
	old := *p
	*p = max(old, floor) + step
	return old, c.saveLocked()
}

// rebase moves the allocators forward to at least the given bases; it
// never moves them backward, like TiDB's allocator rebase without FORCE.
func (c *catalog) rebase(dbName, tblName string, autoID, autoRandom int64, force bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, err := c.findTableLocked(dbName, tblName)
	if err != nil {
		return err
	}
	if autoID > t.AutoIDBase || (force && autoID >= 0) {
		t.AutoIDBase = autoID
	}
	if autoRandom > t.AutoRandomBase || (force && autoRandom >= 0) {
		t.AutoRandomBase = autoRandom
	}
	return c.saveLocked()
}

func (c *catalog) findTableLocked(dbName, tblName string) (*tableMeta, error) {
	db := c.findDBLocked(dbName)
	if db == nil {
		return nil, fmt.Errorf("database %s: %w", dbName, ErrUnknownDatabase)
	}
	t := db.findTable(tblName)
	if t == nil {
		return nil, fmt.Errorf("table %s.%s: %w", dbName, tblName, ErrUnknownTable)
	}
	return t, nil
}

// views of a schema, copied.
func (c *catalog) views(dbName string) []viewMeta {
	c.mu.RLock()
	defer c.mu.RUnlock()
	db := c.findDBLocked(dbName)
	if db == nil {
		return nil
	}
	out := make([]viewMeta, 0, len(db.Views))
	for _, v := range db.Views {
		out = append(out, *v)
	}
	return out
}

func (c *catalog) createView(dbName string, v viewMeta, orReplace bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	db := c.findDBLocked(dbName)
	if db == nil {
		return fmt.Errorf("database %s: %w", dbName, ErrUnknownDatabase)
	}
	if db.findTable(v.Name) != nil {
		return fmt.Errorf("table %s.%s: %w", dbName, v.Name, ErrExists)
	}
	if old := db.findView(v.Name); old != nil {
		if !orReplace {
			return fmt.Errorf("view %s.%s: %w", dbName, v.Name, ErrExists)
		}
		*old = v
		return c.saveLocked()
	}
	db.Views = append(db.Views, &v)
	return c.saveLocked()
}
