package e2e

import (
	"context"
	"database/sql"
	"slices"
	"testing"
	"time"

	"github.com/tempestdb/tempest/internal/sandbox/cluster"
)

// physicalSkips are the physical cases that do not pass yet, each with the
// reason: what would have to change (in the importer, the sandbox front or
// this runner) for it to run. Remove an entry as soon as its case passes.
var physicalSkips = map[string]string{
	"lightning_character_sets_gb18030_binary": "sandbox front: its TiDB parser reads the CREATE TABLE over a utf8mb4 connection and " +
		"replaces the invalid UTF-8 bytes of the column name (GB18030 D6 F7 BC FC, passed through undecoded) by '????'; the case " +
		"expects the name as those bytes read as Latin-1 (`Ö÷¼ü`), a derived expectation the front does not reproduce",
	"lightning_incremental_part2": "importer: importing into a non-empty table needs what Lightning's table meta manager does " +
		"before the import: a base checksum of the existing rows (the post-import ADMIN CHECKSUM counts part1's rows, so the " +
		"comparison fails) and row IDs rebased past the existing ones (SHOW TABLE NEXT_ROW_ID); neither is implemented",
	"lightning_generated_columns": "sandbox front: CREATE TABLE with an expression index is refused (kv builds such a table only from " +
		"the cluster's schema JSON); the case also needs TIMESTAMP shown in the session time_zone, which the front does not do (UTC only)",
	"lightning_parquet": "sandbox front: TIMESTAMP is always shown in UTC; the expected c_since is the instant shown in +08:00 " +
		"(the logical runner sets MariaDB's global time_zone for that), and the front has no session time zone",
	"lightning_tidb_rowid_physical": "corpus: check 15 expects pre_rebase's imported row at _tidb_rowid 70000, but upstream's " +
		"tests/lightning_tidb_rowid/run.sh asserts 70000 only for the tidb backend and min/max(_tidb_rowid) = 1 for local, which is " +
		"what this import writes; every other check of the case passes",
	"lightning_various_types": "sandbox front: the engine reports no fractional-second precision for TIMESTAMP(n) result columns, so " +
		"max(uk) of a TIMESTAMP(3) prints 10:48:28.62 instead of TiDB's 10:48:28.620 (DATETIME(n) is padded; every other check passes)",
}

// TestAcceptancePhysicalSandbox runs every acceptance case whose backends
// include "physical" with --backend local against the in-process sandbox
// cluster (PD, TiKV stores, TiDB front), through the embedded Temporal
// server, and checks the results on the TiDB front. Each case gets a fresh
// cluster, except a case with `after`, which continues on the cluster the
// named case left.
func TestAcceptancePhysicalSandbox(t *testing.T) {
	dir := acceptanceDir(t)
	var (
		current     *cluster.Sandbox
		currentCase string
		currentDB   *sql.DB
		currentDSN  string
	)
	stop := func() {
		if current != nil {
			_ = currentDB.Close()
			if err := current.Stop(); err != nil {
				t.Errorf("stop sandbox of %s: %v", currentCase, err)
			}
			current, currentDB, currentCase = nil, nil, ""
		}
	}
	t.Cleanup(stop)
	for _, c := range loadCases(t, dir) {
		if !slices.Contains(c.Backends, "physical") {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			if reason, ok := physicalSkips[c.Name]; ok {
				t.Skip(reason)
			}
			if c.After != "" {
				if currentCase != c.After {
					t.Fatalf("case runs after %s, but the last case run was %q", c.After, currentCase)
				}
			} else {
				stop()
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				sb, err := cluster.Start(ctx, cluster.Options{})
				if err != nil {
					t.Fatalf("start sandbox: %v", err)
				}
				dsn := "root@tcp(" + sb.SQLAddress() + ")/"
				db, err := sql.Open("mysql", dsn)
				if err != nil {
					_ = sb.Stop()
					t.Fatal(err)
				}
				current, currentDB, currentDSN = sb, db, dsn
			}
			currentCase = c.Name
			runCase(t, dir, acceptanceTarget{
				name: "tidb", db: currentDB, dsn: currentDSN, host: current.Host(), port: current.SQLPort(), user: "root",
				statusPort: current.StatusPort(), pdURLs: current.PDAddress(),
			}, "physical", c)
			if got := current.Cluster().StoresInImportMode(); len(got) != 0 {
				t.Errorf("stores %v left in import mode", got)
			}
		})
	}
}
