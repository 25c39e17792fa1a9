package e2e

import (
	"context"
	"database/sql"
	"slices"
	"testing"
	"time"

	"github.com/tempestdb/tempest/internal/sandbox/cluster"
)

// physicalSkips are the physical cases the sandbox cannot pass, each with
// the reason. A skipped case still must not be silently forgotten: the
// reason says what would have to change for it to run.
var physicalSkips = map[string]string{}

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
