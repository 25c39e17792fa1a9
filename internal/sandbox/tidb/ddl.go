package tidb

import (
	"context"
	"fmt"
	"strings"

	"github.com/dolthub/vitess/go/sqltypes"
	tparser "github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	"go.uber.org/zap"

	"github.com/tempestdb/tempest/internal/collate"
	"github.com/tempestdb/tempest/internal/kv"
)

// executor runs one TiDB statement owned by the front.
type executor struct {
	srv   *Server
	curDB string
}

func (e *executor) exec(ctx context.Context, stmt ast.StmtNode) (*sqltypes.Result, bool, error) {
	switch s := stmt.(type) {
	case *ast.CreateDatabaseStmt:
		return e.createDatabase(s)
	case *ast.DropDatabaseStmt:
		ids, err := e.srv.b.cat.dropDB(s.Name.O, s.IfExists)
		if err != nil {
			return nil, true, err
		}
		e.srv.b.log.Info("dropped database", zap.String("db", s.Name.O))
		return okResult(0), true, e.srv.b.clearIDs(ctx, ids)
	case *ast.CreateTableStmt:
		return e.createTable(s)
	case *ast.DropTableStmt:
		for _, t := range s.Tables {
			db := e.dbOf(t)
			ids, err := e.srv.b.cat.dropTable(db, t.Name.O, s.IfExists, s.IsView)
			if err != nil {
				return nil, true, err
			}
			if err := e.srv.b.clearIDs(ctx, ids); err != nil {
				return nil, true, err
			}
		}
		return okResult(0), true, nil
	case *ast.TruncateTableStmt:
		db := e.dbOf(s.Table)
		old, err := e.srv.b.cat.truncateTable(db, s.Table.Name.O)
		if err != nil {
			return nil, true, err
		}
		for _, id := range old {
			e.srv.b.resetAlloc(id)
		}
		return okResult(0), true, e.srv.b.clearIDs(ctx, old)
	case *ast.AdminStmt:
		return e.admin(ctx, s)
	case *ast.AlterTableStmt:
		return e.alterTable(s)
	case *ast.AnalyzeTableStmt:
		// Statistics do not exist in the sandbox; TiDB returns no rows.
		for _, t := range s.TableNames {
			if _, err := e.srv.b.cat.table(e.dbOf(t), t.Name.O); err != nil {
				return nil, true, err
			}
		}
		return okResult(0), true, nil
	case *ast.CreateUserStmt, *ast.GrantStmt:
		// The front has no privilege system: every account may do
		// everything, so creating accounts and granting to them succeed
		// with nothing to record (the engine would need a mysql schema).
		return okResult(0), true, nil
	case *ast.SplitRegionStmt:
		// Region layout is PD/TiKV's business; nothing to do up here.
		return result([]string{"TOTAL_SPLIT_REGION", "SCATTER_FINISH_RATIO"}, [][]string{{"0", "1"}}), true, nil
	case *ast.ShowStmt:
		return e.show(s)
	}
	return nil, false, nil
}

func (e *executor) dbOf(t *ast.TableName) string {
	if t.Schema.O != "" {
		return t.Schema.O
	}
	return e.curDB
}

func (e *executor) createDatabase(s *ast.CreateDatabaseStmt) (*sqltypes.Result, bool, error) {
	var cs, coll string
	for _, o := range s.Options {
		switch o.Tp {
		case ast.DatabaseOptionCharset:
			cs = strings.ToLower(o.Value)
		case ast.DatabaseOptionCollate:
			coll = strings.ToLower(o.Value)
		}
	}
	if cs != "" && coll == "" {
		coll = defaultCollation(cs)
	}
	if err := e.srv.b.cat.createDB(s.Name.O, cs, coll, s.IfNotExists); err != nil {
		return nil, true, err
	}
	return okResult(1), true, nil
}

// defaultCollation is TiDB's default collation of a character set; a charset
// collate does not know keeps the "<cs>_bin" spelling.
func defaultCollation(cs string) string {
	if c := collate.DefaultForCharset(cs); c != "" {
		return c
	}
	return cs + "_bin"
}

// restore renders a TiDB AST node back to SQL (TiDB's own restorer keeps
// every TiDB extension, so the text re-parses to the same table).
func restore(n ast.Node) (string, error) {
	var sb strings.Builder
	rc := format.NewRestoreCtx(format.DefaultRestoreFlags|format.RestoreTiDBSpecialComment|format.RestoreStringWithoutCharset, &sb)
	if err := n.Restore(rc); err != nil {
		return "", fmt.Errorf("restoring SQL: %w", err)
	}
	return sb.String(), nil
}

func (e *executor) createTable(s *ast.CreateTableStmt) (*sqltypes.Result, bool, error) {
	db := e.dbOf(s.Table)
	if db == "" {
		return nil, true, fmt.Errorf("no database selected: %w", ErrUnknownDatabase)
	}
	name := s.Table.Name.O
	if s.ReferTable != nil {
		src, err := e.srv.b.cat.table(e.dbOf(s.ReferTable), s.ReferTable.Name.O)
		if err != nil {
			return nil, true, err
		}
		stmt, err := tparser.New().ParseOneStmt(src.CreateSQL, "", "")
		if err != nil {
			return nil, true, fmt.Errorf("re-parsing %s: %w", src.Name, err)
		}
		ct, ok := stmt.(*ast.CreateTableStmt)
		if !ok {
			return nil, true, fmt.Errorf("stored definition of %s is not CREATE TABLE", src.Name)
		}
		ct.IfNotExists = s.IfNotExists
		s = ct
	}
	if s.Select != nil {
		return nil, true, fmt.Errorf("CREATE TABLE ... SELECT is not supported by the sandbox")
	}
	// The stored text names no schema so it stays valid after renames.
	s.Table = &ast.TableName{Name: ast.NewCIStr(name)}
	e.applyClusteredDefault(s)
	var autoInc, autoRand int64
	var keep []*ast.TableOption
	for _, o := range s.Options {
		switch o.Tp {
		case ast.TableOptionAutoIncrement, ast.TableOptionAutoIdCache:
			if o.Tp == ast.TableOptionAutoIncrement && o.UintValue > 0 {
				autoInc = int64(o.UintValue) - 1
			}
			if o.Tp == ast.TableOptionAutoIdCache {
				keep = append(keep, o)
			}
			continue
		case ast.TableOptionAutoRandomBase:
			if o.UintValue > 0 {
				autoRand = int64(o.UintValue) - 1
			}
			continue
		}
		keep = append(keep, o)
	}
	s.Options = keep
	text, err := restore(s)
	if err != nil {
		return nil, true, err
	}
	_, created, err := e.srv.b.cat.createTable(db, name, s.IfNotExists, func(id int64) (*kv.TableInfo, string, error) {
		info, err := buildTableInfo(text, id)
		if err != nil {
			return nil, "", err
		}
		return info, text, nil
	})
	if err != nil {
		return nil, true, err
	}
	if created && (autoInc > 0 || autoRand > 0) {
		if err := e.srv.b.cat.rebase(db, name, autoInc, autoRand, false); err != nil {
			return nil, true, err
		}
	}
	if created {
		snap, _ := e.srv.b.cat.table(db, name)
		e.srv.b.log.Info("created table", zap.String("db", db), zap.String("table", name), zap.Int64("id", snap.ID))
	}
	return okResult(0), true, nil
}

// applyClusteredDefault honours tidb_enable_clustered_index: ON makes every
// primary key without an explicit keyword clustered, OFF non-clustered;
// INT_ONLY (the default) is what the codec assumes already.
func (e *executor) applyClusteredDefault(s *ast.CreateTableStmt) {
	mode := strings.ToUpper(e.srv.globalString("tidb_enable_clustered_index"))
	var tp ast.PrimaryKeyType
	switch mode {
	case "ON", "1":
		tp = ast.PrimaryKeyTypeClustered
	case "OFF", "0":
		tp = ast.PrimaryKeyTypeNonClustered
	default:
		return
	}
	for _, c := range s.Constraints {
		if c.Tp == ast.ConstraintPrimaryKey {
			if c.Option == nil {
				c.Option = &ast.IndexOption{}
			}
			if c.Option.PrimaryKeyTp == ast.PrimaryKeyTypeDefault {
				c.Option.PrimaryKeyTp = tp
			}
		}
	}
	for _, col := range s.Cols {
		for _, o := range col.Options {
			if o.Tp == ast.ColumnOptionPrimaryKey && o.PrimaryKeyTp == ast.PrimaryKeyTypeDefault {
				o.PrimaryKeyTp = tp
			}
		}
	}
}

// alterTable supports the auto-ID rebases Lightning issues after an import.
func (e *executor) alterTable(s *ast.AlterTableStmt) (*sqltypes.Result, bool, error) {
	db := e.dbOf(s.Table)
	snap, err := e.srv.b.cat.table(db, s.Table.Name.O)
	if err != nil {
		return nil, true, err
	}
	autoInc, autoRand := int64(-1), int64(-1)
	force := false
	for _, spec := range s.Specs {
		if spec.Tp != ast.AlterTableOption {
			return nil, true, fmt.Errorf("ALTER TABLE %s: only AUTO_INCREMENT / AUTO_RANDOM_BASE changes are supported by the sandbox", snap.Name)
		}
		for _, o := range spec.Options {
			switch o.Tp {
			case ast.TableOptionAutoIncrement:
				autoInc = int64(o.UintValue) - 1
				force = force || o.BoolValue
			case ast.TableOptionAutoRandomBase:
				autoRand = int64(o.UintValue) - 1
				force = force || o.BoolValue
			case ast.TableOptionAutoIdCache, ast.TableOptionComment:
			default:
				return nil, true, fmt.Errorf("ALTER TABLE %s: table option %d is not supported by the sandbox", snap.Name, o.Tp)
			}
		}
	}
	if err := e.srv.b.cat.rebase(db, snap.Name, autoInc, autoRand, force); err != nil {
		return nil, true, err
	}
	e.srv.b.resetAlloc(snap.ID)
	return okResult(0), true, nil
}

func (e *executor) show(s *ast.ShowStmt) (*sqltypes.Result, bool, error) {
	switch s.Tp {
	case ast.ShowCreateTable:
		db := e.dbOf(s.Table)
		snap, err := e.srv.b.cat.table(db, s.Table.Name.O)
		if err != nil {
			// Views (and unknown names) are the engine's to answer.
			return nil, false, nil
		}
		text, err := showCreateTable(snap)
		if err != nil {
			return nil, true, err
		}
		return result([]string{"Table", "Create Table"}, [][]string{{snap.Name, text}}), true, nil
	case ast.ShowTableNextRowId:
		db := e.dbOf(s.Table)
		snap, err := e.srv.b.cat.table(db, s.Table.Name.O)
		if err != nil {
			return nil, true, err
		}
		r, err := nextRowIDResult(db, s.Table.Name.O, snap)
		return r, true, err
	case ast.ShowCreateDatabase:
		info, ok := e.srv.b.cat.dbInfo(s.DBName)
		if !ok {
			return nil, false, nil
		}
		text := fmt.Sprintf("CREATE DATABASE %s /*!40100 DEFAULT CHARACTER SET %s COLLATE %s */", quoteName(info.Name), info.Charset, info.Collate)
		return result([]string{"Database", "Create Database"}, [][]string{{info.Name, text}}), true, nil
	}
	return nil, false, nil
}

func quoteName(n string) string { return "`" + strings.ReplaceAll(n, "`", "``") + "`" }
