package tidb

import (
	"context"
	"fmt"
	"strings"

	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
	tparser "github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"

	"github.com/tempestdb/tempest/internal/kv"
)

func (e *executor) admin(ctx context.Context, s *ast.AdminStmt) (*sqltypes.Result, bool, error) {
	switch s.Tp {
	case ast.AdminChecksumTable:
		r := &sqltypes.Result{}
		for _, t := range s.Tables {
			db := e.dbOf(t)
			snap, err := e.srv.b.cat.table(db, t.Name.O)
			if err != nil {
				return nil, true, err
			}
			sum, err := tableChecksum(ctx, e.srv.b.kv, snap.Info)
			if err != nil {
				return nil, true, err
			}
			one := checksumResult(snap.DB.Name, snap.Name, sum.Sum(), sum.KVs(), sum.Bytes())
			r.Fields = one.Fields
			r.Rows = append(r.Rows, one.Rows...)
		}
		return r, true, nil
	case ast.AdminShowNextRowID:
		// The older spelling of SHOW TABLE t NEXT_ROW_ID; same answer.
		if len(s.Tables) != 1 {
			return nil, true, fmt.Errorf("ADMIN SHOW NEXT_ROW_ID takes one table")
		}
		t := s.Tables[0]
		snap, err := e.srv.b.cat.table(e.dbOf(t), t.Name.O)
		if err != nil {
			return nil, true, err
		}
		r, err := nextRowIDResult(e.dbOf(t), t.Name.O, snap)
		return r, true, err
	case ast.AdminCheckTable, ast.AdminCheckIndex:
		for _, t := range s.Tables {
			snap, err := e.srv.b.cat.table(e.dbOf(t), t.Name.O)
			if err != nil {
				return nil, true, err
			}
			if err := checkTable(ctx, e.srv.b.kv, snap.Info, s.Index); err != nil {
				return nil, true, err
			}
		}
		return okResult(0), true, nil
	}
	return nil, false, nil
}

// tableChecksum is ADMIN CHECKSUM TABLE: CRC64-ECMA XOR, count and size of
// every record and index KV of the table (all partitions), over the raw
// keys (spec §6).
func tableChecksum(ctx context.Context, store KVStore, info *kv.TableInfo) (kv.Checksum, error) {
	var sum kv.Checksum
	for _, id := range allIDs(info) {
		start := kv.AppendTablePrefix(nil, id)
		end := kv.AppendTablePrefix(nil, id+1)
		if err := store.Scan(ctx, start, end, func(k, v []byte) error {
			sum.UpdateOne(k, v)
			return nil
		}); err != nil {
			return sum, fmt.Errorf("checksum of table %s: %w", info.Name, err)
		}
	}
	return sum, nil
}

// checkTable is a cheap ADMIN CHECK TABLE: every record decodes, and every
// index has exactly one entry per row (TiDB writes an entry for each row,
// NULLs included) pointing at an existing record.
func checkTable(ctx context.Context, store KVStore, info *kv.TableInfo, onlyIndex string) error {
	dec := kv.NewDecoder(info, nil, true)
	rows := 0
	handles := map[string]bool{}
	for _, pid := range info.PhysicalIDs() {
		start := kv.AppendRecordPrefix(nil, pid)
		if err := store.Scan(ctx, start, prefixEnd(start), func(k, v []byte) error {
			r, err := dec.DecodeRecord(k, v)
			if err != nil {
				return fmt.Errorf("record %x: %w", k, err)
			}
			rows++
			handles[fmt.Sprintf("%d/%s", pid, r.Handle.String())] = true
			return nil
		}); err != nil {
			return fmt.Errorf("admin check table %s: %w", info.Name, err)
		}
	}
	for _, idx := range info.Indices {
		if info.IsCommonHandle && idx.Primary {
			continue // the clustered PK is the record key itself
		}
		if onlyIndex != "" && !strings.EqualFold(onlyIndex, idx.Name) {
			continue
		}
		n := 0
		for _, id := range allIDs(info) {
			start := kv.AppendIndexPrefix(nil, id, idx.ID)
			if err := store.Scan(ctx, start, prefixEnd(start), func(k, v []byte) error {
				di, err := dec.DecodeIndex(k, v)
				if err != nil {
					return fmt.Errorf("index %s entry %x: %w", idx.Name, k, err)
				}
				pid := di.PhysicalID
				if di.PartitionID != 0 {
					pid = di.PartitionID
				}
				if !handles[fmt.Sprintf("%d/%s", pid, di.Handle.String())] {
					return fmt.Errorf("index %s entry %x points at missing handle %s", idx.Name, k, di.Handle.String())
				}
				n++
				return nil
			}); err != nil {
				return fmt.Errorf("admin check table %s: %w", info.Name, err)
			}
		}
		if n != rows {
			return fmt.Errorf("admin check table %s: index %s has %d entries for %d rows", info.Name, idx.Name, n, rows)
		}
	}
	return nil
}

// showCreateTable renders the stored definition in TiDB's layout: one
// column or constraint per line, table options after the parenthesis, and
// the current auto-ID bases.
func showCreateTable(snap tableSnapshot) (string, error) {
	stmt, err := tparser.New().ParseOneStmt(snap.CreateSQL, "", "")
	if err != nil {
		return "", fmt.Errorf("re-parsing %s: %w", snap.Name, err)
	}
	ct, ok := stmt.(*ast.CreateTableStmt)
	if !ok {
		return "", fmt.Errorf("stored definition of %s is not CREATE TABLE", snap.Name)
	}
	var lines []string
	for _, c := range ct.Cols {
		s, err := restore(c)
		if err != nil {
			return "", err
		}
		lines = append(lines, "  "+s)
	}
	for _, c := range ct.Constraints {
		s, err := restore(c)
		if err != nil {
			return "", err
		}
		lines = append(lines, "  "+s)
	}
	var sb strings.Builder
	sb.WriteString("CREATE TABLE " + quoteName(snap.Name) + " (\n")
	sb.WriteString(strings.Join(lines, ",\n"))
	sb.WriteString("\n)")
	hasEngine, hasCharset, hasCollate := false, false, false
	var opts []string
	for _, o := range ct.Options {
		switch o.Tp {
		case ast.TableOptionEngine:
			hasEngine = true
		case ast.TableOptionCharset:
			hasCharset = true
		case ast.TableOptionCollate:
			hasCollate = true
		}
		s, err := restore(o)
		if err != nil {
			return "", err
		}
		opts = append(opts, s)
	}
	var head []string
	if !hasEngine {
		head = append(head, "ENGINE=InnoDB")
	}
	if !hasCharset {
		head = append(head, "DEFAULT CHARSET=utf8mb4")
	}
	if !hasCollate && !hasCharset {
		head = append(head, "COLLATE=utf8mb4_bin")
	}
	opts = append(head, opts...)
	hasAutoInc := false
	for _, c := range snap.Info.Columns {
		hasAutoInc = hasAutoInc || c.IsAutoIncrement()
	}
	if hasAutoInc && snap.AutoIDBase > 0 {
		opts = append(opts, fmt.Sprintf("AUTO_INCREMENT=%d", snap.AutoIDBase+1))
	}
	if snap.Info.AutoRandomBits > 0 && snap.AutoRandomBase > 0 {
		opts = append(opts, fmt.Sprintf("/*T![auto_rand_base] AUTO_RANDOM_BASE=%d */", snap.AutoRandomBase+1))
	}
	if len(opts) > 0 {
		sb.WriteString(" " + strings.Join(opts, " "))
	}
	if ct.Partition != nil {
		s, err := restore(ct.Partition)
		if err != nil {
			return "", err
		}
		sb.WriteString("\n" + s)
	}
	return sb.String(), nil
}

// nextRowIDResult is SHOW TABLE t NEXT_ROW_ID: one row per allocator the
// table has, in TiDB's order (row ID, separate AUTO_INCREMENT, AUTO_RANDOM),
// each with the allocator's next global ID: the persisted base plus one.
// Like TiDB it is the base stored in the catalog, not the next value of a
// front's in-memory cache, so after INSERTs it sits at the end of the
// reserved batch (30001 after the first insert), and after a physical
// import it is whatever the importer rebased to. db and tbl are echoed as
// the statement spelled them, as TiDB does.
func nextRowIDResult(db, tbl string, snap tableSnapshot) (*sqltypes.Result, error) {
	info := snap.Info
	var autoInc *kv.ColumnInfo
	for _, c := range info.Columns {
		if c.IsAutoIncrement() {
			autoInc = c
			break
		}
	}
	sepAutoInc, err := autoIDCacheIsOne(snap)
	if err != nil {
		return nil, err
	}
	// The column TiDB names for the row-ID and AUTO_INCREMENT allocators:
	// the auto-increment handle column of an int-handle table, else the
	// hidden _tidb_rowid.
	idCol := kv.ExtraHandleName
	if info.PKIsHandle {
		idCol = ""
		if autoInc != nil {
			idCol = autoInc.Name
		}
	}
	r := &sqltypes.Result{Fields: []*querypb.Field{
		{Name: "DB_NAME", Type: sqltypes.VarChar, Charset: 255},
		{Name: "TABLE_NAME", Type: sqltypes.VarChar, Charset: 255},
		{Name: "COLUMN_NAME", Type: sqltypes.VarChar, Charset: 255},
		{Name: "NEXT_GLOBAL_ROW_ID", Type: sqltypes.Int64, Charset: 63},
		{Name: "ID_TYPE", Type: sqltypes.VarChar, Charset: 255},
	}}
	add := func(col string, next int64, typ string) {
		r.Rows = append(r.Rows, []sqltypes.Value{
			sqltypes.NewVarChar(db), sqltypes.NewVarChar(tbl), sqltypes.NewVarChar(col),
			sqltypes.NewInt64(next), sqltypes.NewVarChar(typ),
		})
	}
	// TiDB's allocator set (autoid.NewAllocatorsFromTblInfo): a row-ID
	// allocator when rows have an implicit handle or an AUTO_INCREMENT
	// column shares it, a separate AUTO_INCREMENT one for AUTO_ID_CACHE=1,
	// and one for AUTO_RANDOM. The sandbox keeps one base for the first
	// two, so both report it.
	if info.HasImplicitRowID() || autoInc != nil {
		add(idCol, snap.AutoIDBase+1, "_TIDB_ROWID")
	}
	if autoInc != nil && sepAutoInc {
		add(idCol, snap.AutoIDBase+1, "AUTO_INCREMENT")
	}
	if info.AutoRandomBits > 0 {
		pk := ""
		if h := info.HandleColumn(); h != nil {
			pk = h.Name
		}
		add(pk, snap.AutoRandomBase+1, "AUTO_RANDOM")
	}
	return r, nil
}

// autoIDCacheIsOne reports AUTO_ID_CACHE=1 in the stored definition, which
// gives TiDB a separate AUTO_INCREMENT allocator.
func autoIDCacheIsOne(snap tableSnapshot) (bool, error) {
	stmt, err := tparser.New().ParseOneStmt(snap.CreateSQL, "", "")
	if err != nil {
		return false, fmt.Errorf("re-parsing %s: %w", snap.Name, err)
	}
	ct, ok := stmt.(*ast.CreateTableStmt)
	if !ok {
		return false, fmt.Errorf("stored definition of %s is not CREATE TABLE", snap.Name)
	}
	for _, o := range ct.Options {
		if o.Tp == ast.TableOptionAutoIdCache && o.UintValue == 1 {
			return true, nil
		}
	}
	return false, nil
}
