// Package kvcmd implements the "kv" debug command: encode data files into
// the exact KV pairs the physical import would write, and decode such pairs
// back into rows and index entries.
//
//	kv encode --schema t.sql --data t.csv [--table-id N | --ids schema.json]
//	          [--sql-mode M] [--time-zone Z] [--timestamp RFC3339]
//	          [--row-format 1|2] [--legacy-collation] [--auto-random-seed N]
//	kv decode --schema t.sql [--table-id N | --ids schema.json] [--input F]
//
// encode prints "<hex key> <hex value>" per pair in key order, then
// "checksum <crc64xor> <kvs> <bytes>". decode reads such lines (other lines
// are ignored) and prints one description per pair.
package kvcmd

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/kv"
	"github.com/tempestdb/tempest/internal/parser"
	"github.com/tempestdb/tempest/internal/tidbtypes"
)

// Run executes "kv <encode|decode> ...". args excludes the "kv" word.
func Run(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New("kv: usage: kv encode|decode [flags]")
	}
	switch args[0] {
	case "encode":
		return runEncode(ctx, args[1:], stdout)
	case "decode":
		return runDecode(ctx, args[1:], stdout)
	}
	return fmt.Errorf("kv: unknown subcommand %q (want encode or decode)", args[0])
}

type common struct {
	schema, ids, sqlMode, timeZone string
	tableID                        int64
	legacyCollation                bool
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.schema, "schema", "", "file with the CREATE TABLE statement")
	fs.StringVar(&c.ids, "ids", "", "status API /schema/{db}/{table} JSON with the cluster-assigned IDs")
	fs.Int64Var(&c.tableID, "table-id", 0, "table ID when no --ids is given (columns/indexes numbered 1..n)")
	fs.StringVar(&c.sqlMode, "sql-mode", "STRICT_TRANS_TABLES", "session sql_mode")
	fs.StringVar(&c.timeZone, "time-zone", "UTC", "session time_zone (IANA name, UTC, or ±hh:mm)")
	fs.BoolVar(&c.legacyCollation, "legacy-collation", false, "the cluster has new_collation_enabled=False")
}

func (c *common) table() (*kv.TableInfo, error) {
	switch {
	case c.ids != "":
		b, err := os.ReadFile(c.ids)
		if err != nil {
			return nil, fmt.Errorf("kv: reading --ids: %w", err)
		}
		tbl, err := kv.TableInfoFromJSON(b)
		if err != nil {
			return nil, err
		}
		if c.schema != "" {
			// Cross-check that the JSON describes the same columns.
			sql, err := os.ReadFile(c.schema)
			if err != nil {
				return nil, fmt.Errorf("kv: reading --schema: %w", err)
			}
			// Best effort: schemas the AST builder refuses (e.g. expression
			// indexes) are still fully described by the JSON.
			ast, err := kv.ParseCreateTable(string(sql), tbl.ID)
			if err == nil && len(ast.Columns) != countVisible(tbl) {
				return nil, fmt.Errorf("kv: --schema has %d columns, --ids JSON has %d", len(ast.Columns), countVisible(tbl))
			}
		}
		return tbl, nil
	case c.schema != "":
		if c.tableID <= 0 {
			return nil, errors.New("kv: --table-id is required without --ids")
		}
		sql, err := os.ReadFile(c.schema)
		if err != nil {
			return nil, fmt.Errorf("kv: reading --schema: %w", err)
		}
		return kv.ParseCreateTable(string(sql), c.tableID)
	}
	return nil, errors.New("kv: --schema or --ids is required")
}

func countVisible(t *kv.TableInfo) int {
	n := 0
	for _, c := range t.Columns {
		if !c.Hidden {
			n++
		}
	}
	return n
}

func parseTimeZone(s string) (*time.Location, error) {
	switch strings.ToUpper(s) {
	case "", "UTC", "SYSTEM":
		if strings.EqualFold(s, "SYSTEM") {
			return time.Local, nil
		}
		return time.UTC, nil
	}
	if (s[0] == '+' || s[0] == '-') && len(s) == 6 && s[3] == ':' {
		var h, m int
		if _, err := fmt.Sscanf(s[1:], "%02d:%02d", &h, &m); err != nil {
			return nil, fmt.Errorf("kv: bad time zone %q", s)
		}
		off := h*3600 + m*60
		if s[0] == '-' {
			off = -off
		}
		return time.FixedZone(s, off), nil
	}
	return time.LoadLocation(s)
}

func runEncode(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("kv encode", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var c common
	c.register(fs)
	data := fs.String("data", "", "data file (.sql with INSERT statements, or .csv)")
	tsFlag := fs.String("timestamp", "", "fixed import time for CURRENT_TIMESTAMP defaults (RFC 3339; default now)")
	rowFormat := fs.Int("row-format", 2, "tidb_row_format_version (1 or 2)")
	seed := fs.Int64("auto-random-seed", 0, "AUTO_RANDOM / SHARD_ROW_ID_BITS seed (the chunk's PrevRowIDMax)")
	rowIDBase := fs.Int64("row-id-base", 0, "row IDs start at base+1")
	noHeader := fs.Bool("no-header", false, "CSV file has no header line")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("kv encode: %w", err)
	}
	if *data == "" {
		return errors.New("kv encode: --data is required")
	}
	tbl, err := c.table()
	if err != nil {
		return err
	}
	loc, err := parseTimeZone(c.timeZone)
	if err != nil {
		return err
	}
	ts := time.Now()
	if *tsFlag != "" {
		if ts, err = time.Parse(time.RFC3339Nano, *tsFlag); err != nil {
			return fmt.Errorf("kv encode: --timestamp: %w", err)
		}
	}
	enc, err := kv.NewEncoder(tbl, kv.EncoderOptions{
		SQLMode: c.sqlMode, TimeZone: loc, Timestamp: ts, LegacyCollation: c.legacyCollation,
		RowFormatVersion: *rowFormat, AutoRandomSeed: *seed,
	})
	if err != nil {
		return err
	}
	f, err := os.Open(*data)
	if err != nil {
		return fmt.Errorf("kv encode: %w", err)
	}
	defer f.Close()
	var p parser.Parser
	switch strings.ToLower(filepath.Ext(*data)) {
	case ".csv":
		cfg := config.Default().Mydumper.CSV
		cfg.Header = !*noHeader
		cp, err := parser.NewCSVParser(f, *data, cfg, parser.CSVOptions{ShouldParseHeader: cfg.Header})
		if err != nil {
			return err
		}
		p = cp
	case ".sql":
		p = parser.NewSQLParser(f, *data, parser.SQLOptionsFromMode(c.sqlMode, 0))
	default:
		return fmt.Errorf("kv encode: unsupported data file %s (want .sql or .csv)", *data)
	}
	defer p.Close()
	if err := p.SetPos(0, *rowIDBase); err != nil {
		return err
	}

	var pairs kv.Pairs
	var lastNames []string
	var colMap []int
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := p.ReadRow(ctx); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return err
		}
		row := p.LastRow()
		names := p.Columns()
		if colMap == nil || !sameNames(names, lastNames) {
			if colMap, err = tbl.MapColumns(names); err != nil {
				return err
			}
			if err := enc.CheckColumns(colMap); err != nil {
				return err
			}
			lastNames = append(lastNames[:0], names...)
		}
		if err := enc.EncodeFields(row.Fields, colMap, row.RowID, &pairs); err != nil {
			return fmt.Errorf("kv encode: row %d (offset %d): %w", row.RowID, row.Offset, err)
		}
	}
	order := make([]int, pairs.Len())
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return bytes.Compare(pairs.Key(order[a]), pairs.Key(order[b])) < 0 })
	w := bufio.NewWriter(stdout)
	var sum kv.Checksum
	for _, i := range order {
		fmt.Fprintf(w, "%x %x\n", pairs.Key(i), pairs.Value(i))
		sum.UpdateOne(pairs.Key(i), pairs.Value(i))
	}
	fmt.Fprintf(w, "checksum %d %d %d\n", sum.Sum(), sum.KVs(), sum.Bytes())
	return w.Flush()
}

func sameNames(a, b []string) bool {
	if len(a) != len(b) || (a == nil) != (b == nil) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func runDecode(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("kv decode", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var c common
	c.register(fs)
	input := fs.String("input", "", "file with '<hex key> <hex value>' lines (default stdin)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("kv decode: %w", err)
	}
	tbl, err := c.table()
	if err != nil {
		return err
	}
	loc, err := parseTimeZone(c.timeZone)
	if err != nil {
		return err
	}
	var r io.Reader = os.Stdin
	if *input != "" {
		f, err := os.Open(*input)
		if err != nil {
			return fmt.Errorf("kv decode: %w", err)
		}
		defer f.Close()
		r = f
	}
	dec := kv.NewDecoder(tbl, loc, !c.legacyCollation)
	w := bufio.NewWriter(stdout)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		if err := ctx.Err(); err != nil {
			return err
		}
		fields := strings.Fields(sc.Text())
		if len(fields) != 2 || fields[0] == "checksum" {
			continue
		}
		key, err1 := hex.DecodeString(fields[0])
		val, err2 := hex.DecodeString(fields[1])
		if err1 != nil || err2 != nil {
			return fmt.Errorf("kv decode: bad hex in line %q", sc.Text())
		}
		if err := describe(w, dec, tbl, key, val); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return w.Flush()
}

func describe(w io.Writer, dec *kv.Decoder, tbl *kv.TableInfo, key, val []byte) error {
	switch kv.ClassifyKey(key) {
	case kv.KeyRecord:
		row, err := dec.DecodeRecord(key, val)
		if err != nil {
			return fmt.Errorf("kv decode: %x: %w", key, err)
		}
		fmt.Fprintf(w, "record table=%d handle=%s", row.PhysicalID, row.Handle)
		for i, col := range tbl.Columns {
			if !row.Present[i] {
				continue
			}
			fmt.Fprintf(w, " %s=%s", col.Name, formatDatum(&row.Values[i]))
		}
		fmt.Fprintln(w)
	case kv.KeyIndex:
		ie, err := dec.DecodeIndex(key, val)
		if err != nil {
			return fmt.Errorf("kv decode: %x: %w", key, err)
		}
		fmt.Fprintf(w, "index table=%d index=%s(%d) handle=%s", ie.PhysicalID, ie.Index.Name, ie.Index.ID, ie.Handle)
		for i, ic := range ie.Index.Columns {
			fmt.Fprintf(w, " %s=%s", ic.Name, formatDatum(&ie.Values[i]))
		}
		fmt.Fprintln(w)
	default:
		fmt.Fprintf(w, "unknown key %x\n", key)
	}
	return nil
}

func formatDatum(d *tidbtypes.Datum) string {
	switch d.Kind() {
	case tidbtypes.KindNull:
		return "NULL"
	case tidbtypes.KindInt64:
		return fmt.Sprint(d.GetInt64())
	case tidbtypes.KindUint64:
		return fmt.Sprint(d.GetUint64())
	case tidbtypes.KindFloat32, tidbtypes.KindFloat64:
		return fmt.Sprint(d.GetFloat64())
	case tidbtypes.KindString:
		return fmt.Sprintf("%q", d.GetBytes())
	case tidbtypes.KindBytes, tidbtypes.KindBinaryLiteral:
		return "0x" + hex.EncodeToString(d.GetBytes())
	case tidbtypes.KindDecimal:
		return d.GetDecimal().String()
	case tidbtypes.KindTime:
		return "'" + d.GetTime().String() + "'"
	case tidbtypes.KindDuration:
		return "'" + d.GetDuration().String() + "'"
	case tidbtypes.KindEnum:
		return fmt.Sprintf("%q", d.GetEnum().Name)
	case tidbtypes.KindSet:
		return fmt.Sprintf("%q", d.GetSet().Name)
	case tidbtypes.KindJSON:
		return d.GetJSON().String()
	}
	return d.Kind().String()
}
