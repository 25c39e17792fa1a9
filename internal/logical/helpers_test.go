package logical

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/parser"
	"github.com/tempestdb/tempest/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// safeName turns a test name into an identifier usable as a schema name.
func safeName(t *testing.T) string {
	n := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, t.Name())
	if len(n) > 50 {
		n = n[len(n)-50:]
	}
	return strings.ToLower(n)
}

// setup gives a test its own database and task-info schema on the shared
// server and an opened backend configured by mutate.
func setup(t *testing.T, mutate func(*config.Config)) (*testenv.Server, *Backend, string) {
	t.Helper()
	srv := testenv.MariaDB(t)
	ctx := testCtx(t)
	db := "db_" + safeName(t)
	if err := srv.CreateDatabase(ctx, db); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.TikvImporter.Backend = config.BackendTiDB
	cfg.TiDB.Host = srv.Host()
	cfg.TiDB.Port = srv.Port()
	cfg.TiDB.User = srv.User()
	cfg.Lightning.RegionConcurrency = 2
	cfg.Lightning.TaskInfoSchemaName = "ti_" + safeName(t)
	if err := srv.Exec(ctx, "DROP DATABASE IF EXISTS `"+cfg.Lightning.TaskInfoSchemaName+"`"); err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		mutate(cfg)
	}
	b, err := Open(ctx, cfg, "", zaptest.NewLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	// Keep failing tests fast: transient retries are exercised explicitly.
	b.retry.base = 10 * time.Millisecond
	t.Cleanup(func() { _ = b.Close() })
	return srv, b, db
}

func str(s string) parser.Field { return parser.Field{Kind: parser.KindString, Bytes: []byte(s)} }
func num(s string) parser.Field { return parser.Field{Kind: parser.KindNumber, Bytes: []byte(s)} }
func null() parser.Field        { return parser.Field{Kind: parser.KindNull} }

// rows numbers rows 1.. with offsets 10, 20, ...
func rows(start int64, fields ...[]parser.Field) []parser.Row {
	out := make([]parser.Row, len(fields))
	for i, f := range fields {
		id := start + int64(i)
		out[i] = parser.Row{Fields: f, Offset: id*10 - 10, EndOffset: id * 10, RowID: id}
	}
	return out
}

func query(t *testing.T, srv *testenv.Server, q string) [][]string {
	t.Helper()
	r, err := srv.Query(testCtx(t), q)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func expect(t *testing.T, srv *testenv.Server, q string, want ...string) {
	t.Helper()
	got := query(t, srv, q)
	var flat []string
	for _, r := range got {
		flat = append(flat, strings.Join(r, "|"))
	}
	if strings.Join(flat, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s:\n got  %q\n want %q", q, flat, want)
	}
}

func testenvServer(t *testing.T) *testenv.Server { return testenv.MariaDB(t) }
