package tidb

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/tempestdb/tempest/internal/kv"
	"github.com/tempestdb/tempest/internal/tidbtypes"
)

// The status API serves TiDB's model.TableInfo / DBInfo in the shapes kv
// defines (kv.JSONTableInfo, kv.JSONDBInfo), so that kv.TableInfoFromJSON
// reads back exactly the table model the front holds.

func cis(s string) kv.CIStr { return kv.NewCIStr(s) }

// defaultJSON renders a column default the way TiDB stores it: strings for
// literals, the CURRENT_TIMESTAMP spelling for time defaults, raw bytes in
// *_bit for BIT columns.
func defaultJSON(d kv.DefaultValue, ft *tidbtypes.FieldType) (v any, bit []byte, isExpr bool) {
	switch d.Kind {
	case kv.DefaultLiteral:
		if ft.Tp == tidbtypes.TypeBit {
			return nil, append([]byte(nil), d.Value.Bytes...), false
		}
		return string(d.Value.Bytes), nil, false
	case kv.DefaultCurrentTimestamp:
		return "CURRENT_TIMESTAMP", nil, false
	case kv.DefaultExpr:
		return d.Expr, nil, true
	}
	return nil, nil, false
}

// tableJSON converts a snapshot into the status API shape.
func tableJSON(snap tableSnapshot) kv.JSONTableInfo {
	info := snap.Info
	charset, collate := "utf8mb4", "utf8mb4_bin"
	if snap.DB != nil && snap.DB.Charset != "" {
		charset, collate = snap.DB.Charset, snap.DB.Collate
	}
	jt := kv.JSONTableInfo{
		ID: info.ID, Name: cis(snap.Name), Charset: charset, Collate: collate, State: kv.StatePublic,
		PKIsHandle: info.PKIsHandle, IsCommonHandle: info.IsCommonHandle, CommonHandleVersion: info.CommonHandleVersion,
		AutoIncID: autoIncID(snap.AutoIDBase), AutoRandID: snap.AutoRandomBase,
		ShardRowIDBits: info.ShardRowIDBits, MaxShardRowIDBits: info.MaxShardRowIDBits,
		AutoRandomBits: info.AutoRandomBits, AutoRandomRangeBits: info.AutoRandomRangeBits,
		PreSplitRegions: info.PreSplitRegions, Version: 5,
		Columns: []kv.JSONColumn{}, Indices: []kv.JSONIndex{},
	}
	for _, c := range info.Columns {
		d, db, dx := defaultJSON(c.Default, &c.Type)
		od, odb, _ := defaultJSON(c.OriginDefault, &c.Type)
		if c.OriginDefault.Kind == kv.DefaultNone && c.Default.Kind != kv.DefaultNone && c.Default.Kind != kv.DefaultExpr {
			od, odb = d, db
		}
		jt.Columns = append(jt.Columns, kv.JSONColumn{
			ID: c.ID, Name: cis(c.Name), Offset: c.Offset,
			Default: d, DefaultBit: db, DefaultIsExpr: dx, OriginDefault: od, OriginDefaultBit: odb,
			GeneratedExprString: c.GeneratedExpr, GeneratedStored: c.GeneratedStored,
			Type: kv.JSONFieldType{Tp: c.Type.Tp, Flag: c.Type.Flag, Flen: c.Type.Flen, Decimal: c.Type.Decimal,
				Charset: c.Type.Charset, Collate: c.Type.Collate, Elems: c.Type.Elems},
			State: c.State, Hidden: c.Hidden, Version: 2,
		})
		jt.MaxColumnID = max(jt.MaxColumnID, c.ID)
	}
	for _, idx := range info.Indices {
		ji := kv.JSONIndex{ID: idx.ID, Name: cis(idx.Name), Table: cis(snap.Name), State: idx.State,
			Unique: idx.Unique, Primary: idx.Primary, Invisible: idx.Invisible, Global: idx.Global, IndexType: 1}
		for _, ic := range idx.Columns {
			ji.Columns = append(ji.Columns, kv.JSONIndexColumn{Name: cis(ic.Name), Offset: ic.Offset, Length: ic.Length})
		}
		jt.Indices = append(jt.Indices, ji)
		jt.MaxIndexID = max(jt.MaxIndexID, idx.ID)
	}
	if p := info.Partition; p != nil {
		jp := &kv.JSONPartition{Type: p.Type, Expr: p.Expr, Enable: true, Num: p.Num}
		for _, c := range p.Columns {
			jp.Columns = append(jp.Columns, cis(c))
		}
		for _, d := range p.Defs {
			jp.Defs = append(jp.Defs, kv.JSONPartitionDef{ID: d.ID, Name: cis(d.Name), LessThan: d.LessThan, InValues: d.InValues})
		}
		jt.Partition = jp
	}
	return jt
}

// statusHandler serves the TiDB status API subset.
func (s *Server) statusHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/status", func(w http.ResponseWriter, r *http.Request) {
		s.writeJSON(w, map[string]any{"connections": 0, "version": Version, "git_hash": GitHash})
	})
	mux.HandleFunc("/settings", func(w http.ResponseWriter, r *http.Request) {
		s.writeJSON(w, map[string]any{
			"host": "127.0.0.1", "port": s.sqlPort, "status": map[string]any{"status-port": s.statusPort, "report-status": true},
			"status-port": s.statusPort, "path": s.opts.PDAddress, "store": "tikv",
			"new_collations_enabled_on_first_bootstrap": true, "lower-case-table-names": 2,
		})
	})
	mux.HandleFunc("/schema", func(w http.ResponseWriter, r *http.Request) {
		var out []kv.JSONDBInfo
		for _, n := range s.b.cat.dbNames() {
			if d, ok := s.b.cat.dbInfo(n); ok {
				out = append(out, kv.JSONDBInfo{ID: d.ID, Name: cis(d.Name), Charset: d.Charset, Collate: d.Collate, State: kv.StatePublic})
			}
		}
		s.writeJSON(w, out)
	})
	mux.HandleFunc("/schema/", func(w http.ResponseWriter, r *http.Request) {
		parts := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/schema/"), "/"), "/")
		switch len(parts) {
		case 1:
			names, err := s.b.cat.tableNames(parts[0])
			if err != nil {
				http.Error(w, "[schema:1049]Unknown database '"+parts[0]+"'", http.StatusNotFound)
				return
			}
			out := []kv.JSONTableInfo{}
			for _, n := range names {
				if snap, err := s.b.cat.table(parts[0], n); err == nil {
					out = append(out, tableJSON(snap))
				}
			}
			s.writeJSON(w, out)
		case 2:
			snap, err := s.b.cat.table(parts[0], parts[1])
			switch {
			case errors.Is(err, ErrUnknownDatabase):
				http.Error(w, "[schema:1049]Unknown database '"+parts[0]+"'", http.StatusNotFound)
			case err != nil:
				http.Error(w, "[schema:1146]Table '"+parts[0]+"."+parts[1]+"' doesn't exist", http.StatusNotFound)
			default:
				s.writeJSON(w, tableJSON(snap))
			}
		default:
			http.NotFound(w, r)
		}
	})
	return mux
}

func (s *Server) writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	if err := enc.Encode(v); err != nil {
		s.log.Debug("writing status response", zap.Error(err))
	}
}

// autoIncID is TiDB's auto_inc_id for an allocator base: the value the
// table's AUTO_INCREMENT option or last rebase set, i.e. the next ID
// (AUTO_INCREMENT=80000 is base 79999), and 0 for a table that never had
// one. Importers rebase past it after a physical import.
func autoIncID(base int64) int64 {
	if base <= 0 {
		return 0
	}
	return base + 1
}
