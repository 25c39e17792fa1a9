package e2e

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/tempestdb/tempest/internal/testenv"
)

// acceptanceDir is the shared acceptance corpus, beside the repository.
func acceptanceDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("TEMPEST_ACCEPTANCE_DIR"); d != "" {
		return d
	}
	d, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "acceptance"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(d, "cases")); err != nil {
		t.Fatalf("acceptance corpus not found at %s (set TEMPEST_ACCEPTANCE_DIR): %v", d, err)
	}
	return d
}

// acceptanceCase is one file of ../shared/acceptance/cases (format in its
// README).
type acceptanceCase struct {
	Name            string      `toml:"name"`
	Source          string      `toml:"source"`
	Data            string      `toml:"data"`
	Config          string      `toml:"config"`
	Backends        []string    `toml:"backends"`
	Targets         []string    `toml:"targets"`
	ExtraFlags      []string    `toml:"extra_flags"`
	ExpectError     string      `toml:"expect_error"`
	ExpectFailure   bool        `toml:"expect_failure"`
	ExpectErrorAlso []string    `toml:"expect_error_also"`
	ExpectErrorNot  []string    `toml:"expect_error_not"`
	Notes           string      `toml:"notes"`
	SetupSQL        []string    `toml:"setup_sql"`
	TeardownSQL     []string    `toml:"teardown_sql"`
	After           string      `toml:"after"`
	Checks          []caseCheck `toml:"check"`
}

type caseCheck struct {
	SQL            string     `toml:"sql"`
	Expect         [][]string `toml:"expect"`
	ExpectContains []string   `toml:"expect_contains"`
	ExpectEmpty    bool       `toml:"expect_empty"`
	Targets        []string   `toml:"targets"`
}

func loadCases(t *testing.T, dir string) []acceptanceCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "cases", "*.toml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no acceptance cases under %s: %v", dir, err)
	}
	var cases []acceptanceCase
	for _, f := range files {
		var c acceptanceCase
		md, err := toml.DecodeFile(f, &c)
		if err != nil {
			t.Fatalf("parse %s: %v", f, err)
		}
		if und := md.Undecoded(); len(und) > 0 {
			t.Fatalf("%s: keys this runner does not understand: %v", f, und)
		}
		cases = append(cases, c)
	}
	return cases
}

// TestAcceptanceLogicalMariaDB runs every acceptance case whose backends
// include "logical" and whose targets include "mysql" against a private
// MariaDB, through the embedded Temporal server, and checks the results.
func TestAcceptanceLogicalMariaDB(t *testing.T) {
	dir := acceptanceDir(t)
	db := testenv.MariaDB(t)
	// Lightning's integration tests ran in Asia/Shanghai (+08:00), and the
	// expected values of the time-zone-sensitive cases (parquet timestamps,
	// which are instants) were taken there.
	if err := db.Exec(context.Background(), "SET GLOBAL time_zone = '+08:00'"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Exec(context.Background(), "SET GLOBAL time_zone = 'SYSTEM'") })
	for _, c := range loadCases(t, dir) {
		if !slices.Contains(c.Backends, "logical") || !slices.Contains(c.Targets, "mysql") {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			if c.After == "" {
				resetTarget(t, db)
			}
			runCase(t, dir, db, c)
		})
	}
}

func runCase(t *testing.T, dir string, db *testenv.Server, c acceptanceCase) {
	ctx := context.Background()
	for _, stmt := range c.SetupSQL {
		if err := db.Exec(ctx, stmt); err != nil {
			t.Fatalf("setup %q: %v", stmt, err)
		}
	}
	defer func() {
		for _, stmt := range c.TeardownSQL {
			if err := db.Exec(ctx, stmt); err != nil {
				t.Errorf("teardown %q: %v", stmt, err)
			}
		}
	}()
	src := filepath.Join(dir, c.Source)
	args := []string{"--config", filepath.Join(src, c.Config), "-d", filepath.Join(src, c.Data), "--backend", "tidb"}
	args = append(args, targetFlags(db)...)
	args = append(args, expandFlags(c.ExtraFlags, db, t.TempDir())...)
	res, err := runImport(t, args)

	if c.ExpectError != "" || c.ExpectFailure {
		if err == nil {
			t.Fatalf("import succeeded (%d rows), want failure %q", res.Rows, c.ExpectError)
		}
		msg := err.Error()
		for _, want := range append([]string{c.ExpectError}, c.ExpectErrorAlso...) {
			if want != "" && !strings.Contains(msg, want) {
				t.Errorf("error %q does not contain %q", msg, want)
			}
		}
		for _, not := range c.ExpectErrorNot {
			if strings.Contains(msg, not) {
				t.Errorf("error %q contains %q", msg, not)
			}
		}
		return
	}
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	conn, err := db.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for i, chk := range c.Checks {
		if len(chk.Targets) > 0 && !slices.Contains(chk.Targets, "mysql") {
			continue
		}
		got, err := queryStrings(ctx, conn, chk.SQL)
		if err != nil {
			t.Errorf("check %d %q: %v", i, chk.SQL, err)
			continue
		}
		switch {
		case chk.ExpectEmpty:
			if len(got) != 0 {
				t.Errorf("check %d %q: want no rows, got %q", i, chk.SQL, got)
			}
		case chk.ExpectContains != nil:
			for _, want := range chk.ExpectContains {
				if !containsValue(got, want) {
					t.Errorf("check %d %q: no value contains %q in %q", i, chk.SQL, want, got)
				}
			}
		case chk.Expect != nil:
			if !slices.EqualFunc(got, chk.Expect, slices.Equal[[]string]) {
				t.Errorf("check %d %q:\n got %q\nwant %q", i, chk.SQL, got, chk.Expect)
			}
		}
	}
}

func containsValue(rows [][]string, want string) bool {
	for _, r := range rows {
		for _, v := range r {
			if strings.Contains(v, want) {
				return true
			}
		}
	}
	return false
}

// expandFlags fills the runner placeholders of extra_flags.
func expandFlags(flags []string, db *testenv.Server, tmp string) []string {
	r := strings.NewReplacer("{tidb_host}", db.Host(), "{tidb_port}", strconv.Itoa(db.Port()), "{tidb_user}", db.User(),
		"{tidb_status_port}", "10080", "{pd_urls}", "127.0.0.1:2379", "{log_file}", filepath.Join(tmp, "import.log"))
	out := make([]string, len(flags))
	for i, f := range flags {
		out[i] = r.Replace(f)
	}
	return out
}
