package e2e

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/BurntSushi/toml"
)

// TestPhysicalLightningExamples imports Lightning's examples dump with the
// physical backend (--backend local: KV encoding, local engines, ingest
// into the sandbox's TiKV stores, ADMIN CHECKSUM, auto-ID rebase) through
// the embedded Temporal server, and runs the acceptance case's checks over
// SQL. Each read-block-size gets its own cluster.
func TestPhysicalLightningExamples(t *testing.T) {
	dir := acceptanceDir(t)
	for _, name := range []string{"lightning_examples_512", "lightning_examples_131072", "lightning_examples_1"} {
		t.Run(name, func(t *testing.T) {
			var c acceptanceCase
			if _, err := toml.DecodeFile(filepath.Join(dir, "cases", name+".toml"), &c); err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(c.Backends, "physical") {
				t.Fatalf("case %s does not run on the physical backend", name)
			}
			target := startSandbox(t)
			src := filepath.Join(dir, c.Source)
			args := []string{"--config", filepath.Join(src, c.Config), "-d", filepath.Join(src, c.Data),
				"--backend", "local", "--sorted-kv-dir", t.TempDir(), "--checksum", "required"}
			args = append(args, target.flags(t)...)
			res, err := runImport(t, args)
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			if res.Rows != 20002 {
				t.Errorf("import reports %d rows, want 20002", res.Rows)
			}
			if got := target.kv.StoresInImportMode(); len(got) != 0 {
				t.Errorf("stores %v left in import mode", got)
			}
			// The rows must have arrived through SST ingest, not SQL.
			var ingested int64
			for _, st := range target.kv.Stats().Stores {
				ingested += st.IngestedKVs
			}
			// Every store holds every region; 20002 rows plus their
			// index entries, times the stores.
			if ingested < 3*20002 {
				t.Errorf("stores ingested %d KVs in total: the physical path was not used", ingested)
			}

			ctx := context.Background()
			conn, err := target.db.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			counts := map[string]string{
				"SELECT COUNT(*) FROM mocker_test.tbl_autoid":            "10000",
				"SELECT COUNT(*) FROM mocker_test.tbl_multi_index":       "10000",
				"SELECT COUNT(*) FROM mocker_test.report_case_high_risk": "1",
				"SELECT COUNT(*) FROM mocker_test.`ı`":                   "1",
			}
			for q, want := range counts {
				got, err := queryStrings(ctx, conn, q)
				if err != nil || len(got) != 1 || got[0][0] != want {
					t.Errorf("%s = %q (%v), want %s", q, got, err, want)
				}
			}
			for i, chk := range c.Checks {
				if len(chk.Targets) > 0 && !slices.Contains(chk.Targets, "tidb") {
					continue
				}
				got, err := queryStrings(ctx, conn, chk.SQL)
				if err != nil {
					t.Errorf("check %d %q: %v", i, chk.SQL, err)
					continue
				}
				if chk.Expect != nil && !slices.EqualFunc(got, chk.Expect, slices.Equal[[]string]) {
					t.Errorf("check %d %q:\n got %q\nwant %q", i, chk.SQL, got, chk.Expect)
				}
			}
		})
	}
}
