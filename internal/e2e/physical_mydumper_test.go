package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/testenv"
	"github.com/tempestdb/tempest/workflows"
)

// physicalConfig is a task importing dataDir into the sandbox with the
// physical backend (engines under a fresh sorted-kv-dir) and a required
// post-import checksum, so that a local/remote checksum mismatch fails the
// import.
func (s *sandboxTarget) physicalConfig(t testing.TB, dataDir string) *config.Config {
	t.Helper()
	cfg, _, err := config.LoadWithFlags(append([]string{"-d", dataDir, "--backend", "local",
		"--sorted-kv-dir", t.TempDir(), "--checksum", "required"}, s.flags(t)...))
	if err != nil {
		t.Fatalf("physical config: %v", err)
	}
	return cfg
}

// TestRealMydumperDumpPhysicalMatchesLogical imports the real mydumper dump
// of TestRealMydumperDump (many types, every byte value, emoji, JSON, NULLs,
// compressed files split by --rows) twice: logically into MariaDB and with
// --backend local into the sandbox cluster. Both targets must answer the
// same queries the same: row counts, every row in primary-key order, and
// aggregates.
func TestRealMydumperDumpPhysicalMatchesLogical(t *testing.T) {
	db := testenv.MariaDB(t)
	dumpDir := realMydumperDump(t, db)
	route := []config.Route{{SchemaPattern: "src", TablePattern: "*", TargetSchema: "dst"}}

	logical := config.Default()
	logical.TikvImporter.Backend = config.BackendTiDB
	logical.Mydumper.DataSourceDir = dumpDir
	logical.Routes = route
	logical.TiDB.Host, logical.TiDB.Port, logical.TiDB.User = db.Host(), db.Port(), db.User()
	if err := logical.Adjust(); err != nil {
		t.Fatal(err)
	}
	if _, err := runTask(t, logical, workflows.Timeouts{}); err != nil {
		t.Fatalf("logical import: %v", err)
	}

	target := startSandbox(t)
	physical := target.physicalConfig(t, dumpDir)
	physical.Routes = route
	res, err := runTask(t, physical, workflows.Timeouts{})
	if err != nil {
		t.Fatalf("physical import: %v", err)
	}
	if res.TablesDone != 2 {
		t.Errorf("physical import finished %d tables, want 2", res.TablesDone)
	}
	if got := target.kv.StoresInImportMode(); len(got) != 0 {
		t.Errorf("stores %v left in import mode", got)
	}
	var ingested int64
	for _, st := range target.kv.Stats().Stores {
		ingested += st.IngestedKVs
	}
	if ingested == 0 {
		t.Fatal("no KV was ingested: the physical path was not used")
	}

	ctx := context.Background()
	maria, err := db.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer maria.Close()
	// The sandbox front shows TIMESTAMP in UTC only (it has no session time
	// zone); MariaDB shows it in the session's zone, the machine's by
	// default.
	if _, err := maria.ExecContext(ctx, "SET time_zone = '+00:00'"); err != nil {
		t.Fatal(err)
	}
	tidb := mustConn(t, target.db)

	// Every column is compared exactly as each server prints it: no
	// display difference between MariaDB and the TiDB front needed
	// normalising. (MariaDB's JSON type is an alias of LONGTEXT, so the
	// dump carries js as the text MariaDB stored and both targets hold that
	// text.) The binary
	// columns are also compared as HEX so that a difference shows readably.
	// names is ordered by k, whose values are lower-case ASCII: the same
	// order under MariaDB's utf8mb4_general_ci and any TiDB collation.
	queries := []string{
		"SELECT COUNT(*) FROM dst.kitchen_sink",
		"SELECT COUNT(*) FROM dst.names",
		"SELECT id, HEX(bin), HEX(vb), HEX(bl), HEX(bt), LENGTH(tx), HEX(tx) FROM dst.kitchen_sink ORDER BY id",
		"SELECT * FROM dst.kitchen_sink ORDER BY id",
		"SELECT k, v, HEX(v) FROM dst.names ORDER BY k",
		"SELECT SUM(bi), SUM(dec1), MIN(dt), MAX(dt), COUNT(js), SUM(LENGTH(tx)), SUM(LENGTH(bl)), SUM(LENGTH(vb)), MAX(id) FROM dst.kitchen_sink",
		"SELECT COUNT(*), COUNT(ti), COUNT(ts), COUNT(bl), COUNT(vb), COUNT(en), COUNT(st) FROM dst.kitchen_sink",
		"SELECT id, vc FROM dst.kitchen_sink WHERE vc LIKE 'row 1999%' ORDER BY id",
		"SELECT SUM(LENGTH(v)), SUM(CHAR_LENGTH(v)) FROM dst.names",
	}
	for _, q := range queries {
		want, err := queryStrings(ctx, maria, q)
		if err != nil {
			t.Fatalf("MariaDB: %s: %v", q, err)
		}
		if len(want) == 0 {
			t.Fatalf("MariaDB: %s: no rows; the comparison would be empty", q)
		}
		got, err := queryStrings(ctx, tidb, q)
		if err != nil {
			t.Errorf("sandbox: %s: %v", q, err)
			continue
		}
		compareRows(t, q, got, want)
	}
}

// compareRows reports the first differing rows of got (sandbox) and want
// (MariaDB), and a count mismatch.
func compareRows(t *testing.T, query string, got, want [][]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: sandbox returned %d rows, MariaDB %d", query, len(got), len(want))
	}
	shown := 0
	for i := range min(len(got), len(want)) {
		if strings.Join(got[i], "\x00") == strings.Join(want[i], "\x00") {
			continue
		}
		if shown++; shown > 5 {
			t.Errorf("%s: more rows differ", query)
			return
		}
		t.Errorf("%s: row %d differs:\n sandbox %q\n MariaDB %q", query, i, got[i], want[i])
	}
}
