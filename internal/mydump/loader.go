package mydump

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/filter"
	"github.com/tempestdb/tempest/internal/storage"
)

// maxListedUnmatched bounds how many unmatched file names a warning lists.
const maxListedUnmatched = 5

// Loader turns the file listing of a dump into target databases, tables
// and views.
type Loader struct {
	Config *config.Config
	Store  storage.ExternalStorage
	// Filter, when set, replaces the filter built by NewFilter.
	Filter filter.Filter
}

// Load lists store and groups its files as cfg describes. See Loader.Load.
func Load(ctx context.Context, cfg *config.Config, store storage.ExternalStorage) (*Source, error) {
	return (&Loader{Config: cfg, Store: store}).Load(ctx)
}

// NewFilter builds the table filter of a task: the legacy
// [black-white-list] section when present, else mydumper.filter. An empty
// rule list keeps everything (the configuration layer fills in Lightning's
// default list when the key is absent). Matching ignores case unless
// mydumper.case-sensitive is set.
func NewFilter(cfg *config.Config) (filter.Filter, error) {
	m := &cfg.Mydumper
	if bw := cfg.BWList; bw != nil {
		rules := &filter.MySQLReplicationRules{DoDBs: bw.DoDBs, IgnoreDBs: bw.IgnoreDBs}
		for _, t := range bw.DoTables {
			rules.DoTables = append(rules.DoTables, &filter.MySQLTable{Schema: t.Schema, Name: t.Name})
		}
		for _, t := range bw.IgnoreTables {
			rules.IgnoreTables = append(rules.IgnoreTables, &filter.MySQLTable{Schema: t.Schema, Name: t.Name})
		}
		f, err := filter.ParseMySQLReplicationRules(rules, m.CaseSensitive)
		if err != nil {
			return nil, fmt.Errorf("black-white-list: %w", err)
		}
		return f, nil
	}
	if len(m.Filter) == 0 {
		return filter.All(), nil
	}
	if m.CaseSensitive {
		return filter.ParseCaseSensitive(m.Filter)
	}
	return filter.Parse(m.Filter)
}

// routedFile is a file with its target names.
type routedFile struct {
	info        FileInfo
	db, table   string
	movedFromDB bool // routing changed the schema
}

// dbAcc collects one target database while loading.
type dbAcc struct {
	meta      *DBMeta
	tables    map[string]*TableMeta
	views     map[string]*ViewMeta
	routedOut bool // some table of this (source) database was routed elsewhere
}

// Load walks the store in lexical order and:
//
//  1. routes every file with the file rules (no match: skipped with a
//     warning; type ignore: skipped silently);
//  2. filters on the source names (MatchSchema for CREATE DATABASE files,
//     MatchTable for everything else), as Lightning filters before routing;
//  3. applies [[routes]], filling FileInfo.ExtendColumns for data files;
//  4. groups by target database and table. The first file in path order
//     wins where several schema files land on one target (merged shards);
//     tables with data but no schema file are kept (no-schema mode,
//     pre-created tables); a database whose every table was routed away is
//     dropped, while a database that only ever had its CREATE DATABASE file
//     is kept (an empty database in the dump).
//
// Data files are ordered by numeric sort key, then path; databases, tables
// and views by name, so the result is the same on every run.
func (l *Loader) Load(ctx context.Context) (*Source, error) {
	cfg := l.Config
	if cfg == nil || l.Store == nil {
		return nil, fmt.Errorf("mydump: loader needs a config and a store")
	}
	fr, err := NewFileRouter(&cfg.Mydumper)
	if err != nil {
		return nil, fmt.Errorf("mydump: file rules: %w", err)
	}
	f := l.Filter
	if f == nil {
		if f, err = NewFilter(cfg); err != nil {
			return nil, fmt.Errorf("mydump: table filter: %w", err)
		}
	}
	tr, err := NewTableRouter(cfg.Routes, cfg.Mydumper.CaseSensitive, cfg.Mydumper.SourceID)
	if err != nil {
		return nil, fmt.Errorf("mydump: %w", err)
	}

	src := &Source{}
	var unmatched []string
	unmatchedCount := 0
	var dbFiles, tableFiles, viewFiles, dataFiles []routedFile
	err = l.Store.WalkDir(ctx, func(path string, size int64) error {
		res, err := fr.Route(path)
		if err != nil {
			return err
		}
		if res == nil {
			unmatchedCount++
			if len(unmatched) < maxListedUnmatched {
				unmatched = append(unmatched, path)
			}
			return nil
		}
		if res.Type == SourceTypeIgnore {
			return nil
		}
		if res.Type == SourceTypeSchemaSchema {
			if !f.MatchSchema(res.Schema) {
				return nil
			}
		} else if !f.MatchTable(res.Schema, res.Table) {
			return nil
		}
		info := FileInfo{
			Path: path, Size: size, Type: res.Type, Compression: res.Compression,
			SortKey: res.Key, SourceDB: res.Schema, SourceTable: res.Table,
		}
		if err := checkReadable(&info); err != nil {
			return err
		}
		db, table, extend, err := tr.Route(res.Schema, res.Table)
		if err != nil {
			return fmt.Errorf("routing file %q: %w", path, err)
		}
		if res.Type.IsData() {
			info.ExtendColumns = extend
		}
		rf := routedFile{info: info, db: db, table: table, movedFromDB: db != res.Schema}
		switch res.Type {
		case SourceTypeSchemaSchema:
			rf.table = ""
			dbFiles = append(dbFiles, rf)
		case SourceTypeTableSchema:
			tableFiles = append(tableFiles, rf)
		case SourceTypeViewSchema:
			viewFiles = append(viewFiles, rf)
		default:
			dataFiles = append(dataFiles, rf)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("mydump: loading %s: %w", l.Store.URI(), err)
	}
	if unmatchedCount > 0 {
		src.Warnings = append(src.Warnings, fmt.Sprintf("%d file(s) matched no file rule and were skipped, e.g. %s",
			unmatchedCount, strings.Join(unmatched, ", ")))
	}

	dbs := map[string]*dbAcc{}
	acc := func(name string) *dbAcc {
		d := dbs[name]
		if d == nil {
			d = &dbAcc{meta: &DBMeta{Name: name}, tables: map[string]*TableMeta{}, views: map[string]*ViewMeta{}}
			dbs[name] = d
		}
		return d
	}
	table := func(d *dbAcc, name string) *TableMeta {
		t := d.tables[name]
		if t == nil {
			t = &TableMeta{DB: d.meta.Name, Table: name}
			d.tables[name] = t
		}
		return t
	}
	markMoved := func(rf *routedFile) {
		if rf.movedFromDB {
			acc(rf.info.SourceDB).routedOut = true
		}
	}

	for i := range dbFiles {
		rf := &dbFiles[i]
		d := acc(rf.db)
		if d.meta.SchemaFile == nil {
			info := rf.info
			d.meta.SchemaFile = &info
		}
	}
	for i := range tableFiles {
		rf := &tableFiles[i]
		markMoved(rf)
		t := table(acc(rf.db), rf.table)
		if t.SchemaFile == nil {
			info := rf.info
			t.SchemaFile = &info
		}
	}
	for i := range dataFiles {
		rf := &dataFiles[i]
		markMoved(rf)
		t := table(acc(rf.db), rf.table)
		t.DataFiles = append(t.DataFiles, rf.info)
		t.TotalSize += rf.info.Size
	}
	for i := range viewFiles {
		rf := &viewFiles[i]
		markMoved(rf)
		d := acc(rf.db)
		if d.views[rf.table] == nil {
			d.views[rf.table] = &ViewMeta{DB: rf.db, View: rf.table, SchemaFile: rf.info}
		}
	}

	names := make([]string, 0, len(dbs))
	for name := range dbs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		d := dbs[name]
		// Dumpling writes a placeholder CREATE TABLE next to each view so
		// that views over views can be created in any order; Lightning
		// creates the view instead. Creating the placeholder would also fail
		// on servers with sql_require_primary_key.
		for vname := range d.views {
			if t, ok := d.tables[vname]; ok {
				if len(t.DataFiles) == 0 {
					delete(d.tables, vname)
				} else {
					src.Warnings = append(src.Warnings, fmt.Sprintf(
						"`%s`.`%s` has both a view definition and data files; keeping both", name, vname))
				}
			}
		}
		if len(d.tables) == 0 && len(d.views) == 0 && (d.routedOut || d.meta.SchemaFile == nil) {
			continue
		}
		for _, t := range d.tables {
			sortDataFiles(t.DataFiles)
			d.meta.Tables = append(d.meta.Tables, t)
		}
		sort.Slice(d.meta.Tables, func(i, j int) bool { return d.meta.Tables[i].Table < d.meta.Tables[j].Table })
		for _, v := range d.views {
			d.meta.Views = append(d.meta.Views, v)
		}
		sort.Slice(d.meta.Views, func(i, j int) bool { return d.meta.Views[i].View < d.meta.Views[j].View })
		if d.meta.Tables == nil {
			d.meta.Tables = []*TableMeta{}
		}
		src.DBs = append(src.DBs, d.meta)
	}
	return src, nil
}

// checkReadable rejects kept files that could be routed but not read, before
// any import work starts.
func checkReadable(info *FileInfo) error {
	if !info.Compression.Supported() {
		return fmt.Errorf("file %q: unsupported compression %s", info.Path, info.Compression)
	}
	if info.Type == SourceTypeParquet && info.Compression != CompressionNone {
		return fmt.Errorf("file %q: whole-file compression of parquet files is not supported (use the writer's internal codec)", info.Path)
	}
	return nil
}

// sortDataFiles orders data files by sort key, then path. Keys made only of
// digits compare numerically (so "10" follows "9" whatever the zero
// padding), an empty key sorts before every other key, and other keys
// follow the numeric ones in byte order.
func sortDataFiles(files []FileInfo) {
	sort.SliceStable(files, func(i, j int) bool {
		if c := compareSortKeys(files[i].SortKey, files[j].SortKey); c != 0 {
			return c < 0
		}
		return files[i].Path < files[j].Path
	})
}

func compareSortKeys(a, b string) int {
	ca, cb := keyClass(a), keyClass(b)
	if ca != cb {
		return ca - cb
	}
	if ca == 1 {
		// Compare digit strings of any length without overflow.
		a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
		if len(a) != len(b) {
			return len(a) - len(b)
		}
	}
	return strings.Compare(a, b)
}

// keyClass: 0 empty, 1 all digits, 2 anything else.
func keyClass(k string) int {
	if k == "" {
		return 0
	}
	for i := 0; i < len(k); i++ {
		if k[i] < '0' || k[i] > '9' {
			return 2
		}
	}
	return 1
}
