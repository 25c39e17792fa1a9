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

// The JSON below follows TiDB's model.TableInfo / DBInfo as the status API
// serves them, limited to the fields importers read. kv.TableInfoFromJSON
// must be able to read it back into an identical table model.

type ciStr struct {
	O string `json:"O"`
	L string `json:"L"`
}

func cis(s string) ciStr { return ciStr{O: s, L: strings.ToLower(s)} }

type jsonFieldType struct {
	Tp      byte     `json:"Tp"`
	Flag    uint32   `json:"Flag"`
	Flen    int      `json:"Flen"`
	Decimal int      `json:"Decimal"`
	Charset string   `json:"Charset"`
	Collate string   `json:"Collate"`
	Elems   []string `json:"Elems"`
}

type jsonColumn struct {
	ID                  int64         `json:"id"`
	Name                ciStr         `json:"name"`
	Offset              int           `json:"offset"`
	OriginDefault       any           `json:"origin_default"`
	OriginDefaultBit    []byte        `json:"origin_default_bit"`
	Default             any           `json:"default"`
	DefaultBit          []byte        `json:"default_bit"`
	DefaultIsExpr       bool          `json:"default_is_expr"`
	GeneratedExprString string        `json:"generated_expr_string"`
	GeneratedStored     bool          `json:"generated_stored"`
	Type                jsonFieldType `json:"type"`
	State               int           `json:"state"`
	Hidden              bool          `json:"hidden"`
	Version             int           `json:"version"`
}

type jsonIndexColumn struct {
	Name   ciStr `json:"name"`
	Offset int   `json:"offset"`
	Length int   `json:"length"`
}

type jsonIndex struct {
	ID        int64             `json:"id"`
	Name      ciStr             `json:"idx_name"`
	Table     ciStr             `json:"tbl_name"`
	Columns   []jsonIndexColumn `json:"idx_cols"`
	State     int               `json:"state"`
	Unique    bool              `json:"is_unique"`
	Primary   bool              `json:"is_primary"`
	Invisible bool              `json:"is_invisible"`
	Global    bool              `json:"is_global"`
	IndexType int               `json:"index_type"`
}

type jsonPartitionDef struct {
	ID       int64      `json:"id"`
	Name     ciStr      `json:"name"`
	LessThan []string   `json:"less_than"`
	InValues [][]string `json:"in_values"`
}

type jsonPartition struct {
	Type    int                `json:"type"`
	Expr    string             `json:"expr"`
	Columns []ciStr            `json:"columns"`
	Enable  bool               `json:"enable"`
	Num     uint64             `json:"num"`
	Defs    []jsonPartitionDef `json:"definitions"`
}

type jsonTable struct {
	ID                  int64          `json:"id"`
	Name                ciStr          `json:"name"`
	Charset             string         `json:"charset"`
	Collate             string         `json:"collate"`
	Columns             []jsonColumn   `json:"cols"`
	Indices             []jsonIndex    `json:"index_info"`
	State               int            `json:"state"`
	PKIsHandle          bool           `json:"pk_is_handle"`
	IsCommonHandle      bool           `json:"is_common_handle"`
	CommonHandleVersion uint16         `json:"common_handle_version"`
	AutoIncID           int64          `json:"auto_inc_id"`
	AutoRandID          int64          `json:"auto_rand_id"`
	MaxColumnID         int64          `json:"max_col_id"`
	MaxIndexID          int64          `json:"max_idx_id"`
	ShardRowIDBits      uint64         `json:"shard_row_id_bits"`
	MaxShardRowIDBits   uint64         `json:"max_shard_row_id_bits"`
	AutoRandomBits      uint64         `json:"auto_random_bits"`
	AutoRandomRangeBits uint64         `json:"auto_random_range_bits"`
	PreSplitRegions     uint64         `json:"pre_split_regions"`
	Partition           *jsonPartition `json:"partition"`
	Version             int            `json:"version"`
}

type jsonDB struct {
	ID      int64  `json:"id"`
	Name    ciStr  `json:"db_name"`
	Charset string `json:"charset"`
	Collate string `json:"collate"`
	State   int    `json:"state"`
}

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
func tableJSON(snap tableSnapshot) jsonTable {
	info := snap.Info
	charset, collate := "utf8mb4", "utf8mb4_bin"
	if snap.DB != nil && snap.DB.Charset != "" {
		charset, collate = snap.DB.Charset, snap.DB.Collate
	}
	jt := jsonTable{
		ID: info.ID, Name: cis(snap.Name), Charset: charset, Collate: collate, State: int(kv.StatePublic),
		PKIsHandle: info.PKIsHandle, IsCommonHandle: info.IsCommonHandle, CommonHandleVersion: info.CommonHandleVersion,
		AutoIncID: autoIncID(snap.AutoIDBase), AutoRandID: snap.AutoRandomBase,
		ShardRowIDBits: info.ShardRowIDBits, MaxShardRowIDBits: info.MaxShardRowIDBits,
		AutoRandomBits: info.AutoRandomBits, AutoRandomRangeBits: info.AutoRandomRangeBits,
		PreSplitRegions: info.PreSplitRegions, Version: 5,
		Columns: []jsonColumn{}, Indices: []jsonIndex{},
	}
	for _, c := range info.Columns {
		d, db, dx := defaultJSON(c.Default, &c.Type)
		od, odb, _ := defaultJSON(c.OriginDefault, &c.Type)
		if c.OriginDefault.Kind == kv.DefaultNone && c.Default.Kind != kv.DefaultNone && c.Default.Kind != kv.DefaultExpr {
			od, odb = d, db
		}
		jt.Columns = append(jt.Columns, jsonColumn{
			ID: c.ID, Name: cis(c.Name), Offset: c.Offset,
			Default: d, DefaultBit: db, DefaultIsExpr: dx, OriginDefault: od, OriginDefaultBit: odb,
			GeneratedExprString: c.GeneratedExpr, GeneratedStored: c.GeneratedStored,
			Type: jsonFieldType{Tp: c.Type.Tp, Flag: c.Type.Flag, Flen: c.Type.Flen, Decimal: c.Type.Decimal,
				Charset: c.Type.Charset, Collate: c.Type.Collate, Elems: c.Type.Elems},
			State: int(c.State), Hidden: c.Hidden, Version: 2,
		})
		jt.MaxColumnID = max(jt.MaxColumnID, c.ID)
	}
	for _, idx := range info.Indices {
		ji := jsonIndex{ID: idx.ID, Name: cis(idx.Name), Table: cis(snap.Name), State: int(idx.State),
			Unique: idx.Unique, Primary: idx.Primary, Invisible: idx.Invisible, Global: idx.Global, IndexType: 1}
		for _, ic := range idx.Columns {
			ji.Columns = append(ji.Columns, jsonIndexColumn{Name: cis(ic.Name), Offset: ic.Offset, Length: ic.Length})
		}
		jt.Indices = append(jt.Indices, ji)
		jt.MaxIndexID = max(jt.MaxIndexID, idx.ID)
	}
	if p := info.Partition; p != nil {
		jp := &jsonPartition{Type: int(p.Type), Expr: p.Expr, Enable: true, Num: p.Num}
		for _, c := range p.Columns {
			jp.Columns = append(jp.Columns, cis(c))
		}
		for _, d := range p.Defs {
			jp.Defs = append(jp.Defs, jsonPartitionDef{ID: d.ID, Name: cis(d.Name), LessThan: d.LessThan, InValues: d.InValues})
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
		var out []jsonDB
		for _, n := range s.b.cat.dbNames() {
			if d, ok := s.b.cat.dbInfo(n); ok {
				out = append(out, jsonDB{ID: d.ID, Name: cis(d.Name), Charset: d.Charset, Collate: d.Collate, State: int(kv.StatePublic)})
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
			out := []jsonTable{}
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
