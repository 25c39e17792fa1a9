package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	vtmysql "github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/vt/vttls"

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
	target := mariaDBTarget(db)
	for _, c := range loadCases(t, dir) {
		if !slices.Contains(c.Backends, "logical") || !slices.Contains(c.Targets, "mysql") {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			if c.After == "" {
				resetTarget(t, db)
			}
			runCase(t, dir, target, "logical", c)
		})
	}
}

// acceptanceTarget is the server a case runs on, as the runner sees it.
type acceptanceTarget struct {
	// name is the case format's target ("mysql" or "tidb"): checks whose
	// own targets exclude it are skipped.
	name string
	// db runs setup_sql and teardown_sql; dsn opens the fresh sessions a
	// case needs (see freshConn).
	db  *sql.DB
	dsn string
	// host, port, user, statusPort and pdURLs fill the import's connection
	// flags and the extra_flags placeholders. statusPort 0 and empty pdURLs
	// mean the target has no TiDB status API or PD (MariaDB): the flags are
	// left out and the placeholders get Lightning's defaults, which only a
	// physical import would use.
	host       string
	port       int
	user       string
	statusPort int
	pdURLs     string
}

func mariaDBTarget(db *testenv.Server) acceptanceTarget {
	return acceptanceTarget{name: "mysql", db: db.DB(), dsn: db.DSN(""), host: db.Host(), port: db.Port(), user: db.User()}
}

// connFlags are the command-line flags that point an import at the target.
func (a acceptanceTarget) connFlags() []string {
	f := []string{"--tidb-host", a.host, "--tidb-port", strconv.Itoa(a.port), "--tidb-user", a.user}
	if a.statusPort != 0 {
		f = append(f, "--tidb-status", strconv.Itoa(a.statusPort))
	}
	if a.pdURLs != "" {
		f = append(f, "--pd-urls", a.pdURLs)
	}
	return f
}

// backendFlag maps the case format's backend names to Lightning's.
var backendFlag = map[string]string{"logical": "tidb", "physical": "local"}

// runCase runs one case on target with backend ("logical" or "physical"):
// setup_sql, the import, the expected error or the checks, teardown_sql.
func runCase(t *testing.T, dir string, target acceptanceTarget, backend string, c acceptanceCase) {
	ctx := context.Background()
	for _, stmt := range c.SetupSQL {
		if _, err := target.db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("setup %q: %v", stmt, err)
		}
		// TiDB propagates SET GLOBAL to its sessions with a delay; the
		// import's sessions must see the new value.
		if err := waitGlobal(ctx, target, stmt); err != nil {
			t.Fatalf("setup %q: %v", stmt, err)
		}
	}
	// Teardown runs even after a failure: the target (and, for the
	// sandbox, the process-wide system variables) may be reused.
	defer func() {
		for _, stmt := range c.TeardownSQL {
			if _, err := target.db.ExecContext(ctx, stmt); err != nil {
				t.Errorf("teardown %q: %v", stmt, err)
			}
		}
	}()
	bf, ok := backendFlag[backend]
	if !ok {
		t.Fatalf("unknown backend %q", backend)
	}
	src := filepath.Join(dir, c.Source)
	args := []string{"--config", filepath.Join(src, c.Config), "-d", filepath.Join(src, c.Data), "--backend", bf}
	if bf == "local" {
		args = append(args, "--sorted-kv-dir", t.TempDir())
	}
	args = append(args, target.connFlags()...)
	args = append(args, expandFlags(c.ExtraFlags, target, t.TempDir())...)
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
	// The check session must start after setup_sql, so that it inherits the
	// globals set there (e.g. autocommit=0), as a new mysql client would.
	conn, err := target.textSession(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for i, chk := range c.Checks {
		if len(chk.Targets) > 0 && !slices.Contains(chk.Targets, target.name) {
			continue
		}
		got, err := rawQueryStrings(conn, chk.SQL)
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

// textSession opens a new session whose results are the server's own text,
// as the mysql client prints them. database/sql cannot give that: the
// driver parses DOUBLE/FLOAT text into float64, and scanning it back into
// bytes renders it Go's way (1e+304 where the server sent 1e304).
func (a acceptanceTarget) textSession(ctx context.Context) (*vtmysql.Conn, error) {
	conn, err := vtmysql.Connect(ctx, &vtmysql.ConnParams{
		Host: a.host, Port: a.port, Uname: a.user, Charset: "utf8mb4", SslMode: vttls.Disabled,
	})
	if err != nil {
		return nil, fmt.Errorf("connect to %s:%d: %w", a.host, a.port, err)
	}
	return conn, nil
}

// rawQueryStrings runs one statement and returns every value as the text
// the server sent (NULL as "NULL").
func rawQueryStrings(conn *vtmysql.Conn, query string) ([][]string, error) {
	res, err := conn.ExecuteFetch(query, math.MaxInt32, false)
	if err != nil {
		return nil, err
	}
	var out [][]string
	for _, r := range res.Rows {
		row := make([]string, len(r))
		for i, v := range r {
			if v.IsNull() {
				row[i] = "NULL"
			} else {
				row[i] = v.ToString()
			}
		}
		out = append(out, row)
	}
	return out, nil
}

// freshConn opens a new session on dsn. A pooled connection would not do:
// it may predate a SET GLOBAL, and a session keeps the values it started
// with.
func freshConn(ctx context.Context, dsn string) (*sql.Conn, func(), error) {
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("open %s: %w", dsn, err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		_ = db.Close()
		return nil, nil, fmt.Errorf("connect: %w", err)
	}
	return conn, func() { _ = conn.Close(); _ = db.Close() }, nil
}

// setGlobalRE matches a single-variable SET GLOBAL statement.
var setGlobalRE = regexp.MustCompile(`(?is)^\s*SET\s+GLOBAL\s+(\w+)\s*=\s*(.+?)\s*;?\s*$`)

// waitGlobal waits, after stmt, until a new session sees the global value
// it set: TiDB applies SET GLOBAL to other servers' sessions only after its
// variable cache refreshes (about 2 s). A statement other than SET GLOBAL
// returns at once.
func waitGlobal(ctx context.Context, target acceptanceTarget, stmt string) error {
	m := setGlobalRE.FindStringSubmatch(stmt)
	if m == nil {
		return nil
	}
	name := m[1]
	var want string
	// The value the server stored, as the statement's own session reads it.
	if err := target.db.QueryRowContext(ctx, "SELECT @@GLOBAL."+name).Scan(&want); err != nil {
		return fmt.Errorf("read back %s: %w", name, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, closeConn, err := freshConn(ctx, target.dsn)
		if err != nil {
			return err
		}
		var got string
		err = conn.QueryRowContext(ctx, "SELECT @@SESSION."+name).Scan(&got)
		if err != nil {
			// A global-only variable has no session value.
			err = conn.QueryRowContext(ctx, "SELECT @@GLOBAL."+name).Scan(&got)
		}
		closeConn()
		if err == nil && got == want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("a new session still sees %s = %q (%v), want %q", name, got, err, want)
		}
		time.Sleep(200 * time.Millisecond)
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

// expandFlags fills the runner placeholders of extra_flags with the
// target's values.
func expandFlags(flags []string, target acceptanceTarget, tmp string) []string {
	status, pd := strconv.Itoa(target.statusPort), target.pdURLs
	if target.statusPort == 0 {
		status = "10080"
	}
	if pd == "" {
		pd = "127.0.0.1:2379"
	}
	r := strings.NewReplacer("{tidb_host}", target.host, "{tidb_port}", strconv.Itoa(target.port), "{tidb_user}", target.user,
		"{tidb_status_port}", status, "{pd_urls}", pd, "{log_file}", filepath.Join(tmp, "import.log"))
	out := make([]string, len(flags))
	for i, f := range flags {
		out[i] = r.Replace(f)
	}
	return out
}
