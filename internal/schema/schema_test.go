package schema

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tempestdb/tempest/internal/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

func acceptanceDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("TEMPEST_ACCEPTANCE_DIR")
	if dir == "" {
		dir = "/work/shared/acceptance"
	}
	if _, err := os.Stat(filepath.Join(dir, "lightning")); err != nil {
		t.Skipf("acceptance corpus not found at %s (set TEMPEST_ACCEPTANCE_DIR): %v", dir, err)
	}
	return dir
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestReadCreateTableRewritesName(t *testing.T) {
	src := "/*!40101 SET NAMES binary*/;\n/*!40014 SET FOREIGN_KEY_CHECKS=0*/;\n-- a comment\n" +
		"CREATE TABLE `otherdb`.`src` (\n  `id` bigint NOT NULL AUTO_RANDOM(5),\n  `v` varchar(10) DEFAULT 'a\\\\b''c',\n" +
		"  `g` int AS (id + 1) VIRTUAL,\n  PRIMARY KEY (`id`) /*T![clustered_index] CLUSTERED */,\n  UNIQUE KEY uk (v)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 /*T! SHARD_ROW_ID_BITS=4 */;\n"
	stmt, ast, err := ReadCreateTable([]byte(src), "tgt`db", "T1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stmt, "CREATE TABLE IF NOT EXISTS `tgt``db`.`T1` (") {
		t.Fatalf("unexpected statement head: %s", stmt)
	}
	if strings.Contains(stmt, "otherdb") || strings.Contains(stmt, "`src`") {
		t.Fatalf("source name leaked: %s", stmt)
	}
	if !strings.Contains(stmt, "/*T![auto_rand] AUTO_RANDOM(5) */") {
		t.Fatalf("AUTO_RANDOM not kept as TiDB comment: %s", stmt)
	}
	if !strings.Contains(stmt, `'a\\b''c'`) {
		t.Fatalf("default string not escaped for MySQL: %s", stmt)
	}
	ti, err := TableInfoFromAST("tgt`db", ast)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ti.ColumnNames(), ","); got != "id,v,g" {
		t.Fatalf("columns = %s", got)
	}
	if !ti.Columns[0].AutoRandom || ti.Columns[0].Nullable || !ti.Columns[2].Generated || !ti.Columns[1].HasDefault {
		t.Fatalf("column flags wrong: %+v", ti.Columns)
	}
	if ti.PrimaryKey == nil || ti.PrimaryKey.Columns[0] != "id" || len(ti.UniqueKeys) != 1 || ti.UniqueKeys[0].Name != "uk" {
		t.Fatalf("keys wrong: %+v %+v", ti.PrimaryKey, ti.UniqueKeys)
	}
	if got := ti.WritableColumns(); len(got) != 2 {
		t.Fatalf("writable = %v", got)
	}
	if got := ti.UnknownColumns([]string{"ID", "nope", "_tidb_rowid"}); len(got) != 1 || got[0] != "nope" {
		t.Fatalf("unknown = %v", got)
	}
	if got := ti.MissingColumns([]string{"V"}); len(got) != 1 || got[0] != "id" {
		t.Fatalf("missing = %v", got)
	}
}

func TestReadCreateTableRejects(t *testing.T) {
	for name, src := range map[string]string{
		"garbage":   "this is a invalid schema;",
		"no create": "SET NAMES utf8mb4;",
		"two":       "CREATE TABLE a (x int); CREATE TABLE b (x int);",
		"insert":    "CREATE TABLE a (x int); INSERT INTO a VALUES (1);",
	} {
		_, _, err := ReadCreateTable([]byte(src), "d", "t")
		if !errors.Is(err, ErrInvalidSchema) {
			t.Errorf("%s: err = %v, want ErrInvalidSchema", name, err)
		}
		if err != nil && !strings.Contains(err.Error(), "invalid schema statement") {
			t.Errorf("%s: message %q lacks Lightning's text", name, err)
		}
	}
}

// TestCharacterSets replays lightning_character_sets: which combinations of
// schema-file encoding and mydumper.character-set must fail, and which column
// name the others produce on a real server.
func TestCharacterSets(t *testing.T) {
	acc := acceptanceDir(t)
	srv := testenv.MariaDB(t)
	ctx := testCtx(t)
	type tc struct {
		dir, charset string
		fail         bool
		column       string // column to sum on MariaDB ("" = do not execute)
	}
	cases := []tc{
		{"gb18030", "auto", false, "主键"},
		{"gb18030", "gb18030", false, "主键"},
		{"gb18030", "utf8mb4", true, ""},
		{"gb18030", "binary", false, ""}, // raw GB18030 identifier: TiDB only
		{"mixed", "auto", true, ""},
		{"mixed", "gb18030", true, ""},
		{"mixed", "utf8mb4", true, ""},
		{"mixed", "binary", false, "唯一键"},
		{"utf8mb4", "auto", false, "主键"},
		{"utf8mb4", "utf8mb4", false, "主键"},
		{"utf8mb4", "binary", false, "主键"},
		{"utf8mb4", "gb18030", false, "涓婚敭"},
	}
	for _, c := range cases {
		t.Run(c.dir+"_"+c.charset, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(acc, "lightning/lightning_character_sets", c.dir, "charsets."+c.dir+"-schema.sql"))
			if err != nil {
				t.Fatal(err)
			}
			var stmt string
			data, err := DecodeSchemaFile(raw, c.charset)
			if err == nil {
				stmt, _, err = ReadCreateTable(data, "charsets", c.dir)
			}
			if c.fail {
				if err == nil {
					t.Fatalf("want failure, got statement %s", stmt)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.column == "" {
				return
			}
			if err := srv.CreateDatabase(ctx, "charsets"); err != nil {
				t.Fatal(err)
			}
			if err := srv.Exec(ctx, stmt); err != nil {
				t.Fatal(err)
			}
			if err := srv.Exec(ctx, "INSERT INTO charsets."+QuoteName(c.dir)+" VALUES (7), (8)"); err != nil {
				t.Fatal(err)
			}
			rows, err := srv.Query(ctx, "SELECT sum("+QuoteName(c.column)+") FROM charsets."+QuoteName(c.dir))
			if err != nil {
				t.Fatal(err)
			}
			if rows[0][0] != "15" {
				t.Fatalf("sum = %v", rows)
			}
		})
	}
}

func TestDecodeSchemaFileLatin1AndUnknown(t *testing.T) {
	out, err := DecodeSchemaFile([]byte{'a', 0x93, 0xA1}, "latin1")
	if err != nil || string(out) != "a“¡" {
		t.Fatalf("latin1: %q %v", out, err)
	}
	if _, err := DecodeSchemaFile([]byte("x"), "ebcdic"); err == nil {
		t.Fatal("unknown charset accepted")
	}
	if _, err := DecodeSchemaFile([]byte{0xff, 0xff, 0xff}, "auto"); !errors.Is(err, ErrInvalidEncoding) {
		t.Fatalf("auto on garbage: %v", err)
	}
}

var schemaFileRE = regexp.MustCompile(`^([^/.]+)\.(.*?)-schema(-view)?\.sql$`)

// TestAcceptanceSchemasOnMariaDB prints every table and view schema of the
// MySQL-target acceptance cases and runs it on MariaDB: the restored DDL must
// be accepted there, and views must work once created after the tables.
func TestAcceptanceSchemasOnMariaDB(t *testing.T) {
	acc := acceptanceDir(t)
	srv := testenv.MariaDB(t)
	ctx := testCtx(t)
	sources := []string{"lightning_black-white-list", "lightning_cmdline_override", "lightning_column_permutation",
		"lightning_csv", "lightning_default-columns", "lightning_examples", "lightning_issue_282", "lightning_issue_410",
		"lightning_issue_519", "lightning_partitioned-table", "lightning_routes", "lightning_sqlmode",
		"lightning_tidb_duplicate_data", "lightning_tool_135", "lightning_tool_1420", "lightning_tool_241",
		"lightning_view"}
	if err := srv.Exec(ctx, "CREATE USER IF NOT EXISTS 'root'@'192.168.198.178'"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Exec(ctx, "GRANT ALL PRIVILEGES ON *.* TO 'root'@'192.168.198.178'"); err != nil {
		t.Fatal(err)
	}
	for _, src := range sources {
		t.Run(src, func(t *testing.T) {
			dir := filepath.Join(acc, "lightning", src, "data")
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			dbs := map[string]bool{}
			var tables, views [][3]string
			for _, e := range entries {
				m := schemaFileRE.FindStringSubmatch(e.Name())
				if m == nil {
					continue
				}
				dbs[m[1]] = true
				if m[3] != "" {
					views = append(views, [3]string{m[1], m[2], e.Name()})
				} else {
					tables = append(tables, [3]string{m[1], m[2], e.Name()})
				}
			}
			if len(tables) == 0 {
				t.Fatal("no schema files found")
			}
			var names []string
			for db := range dbs {
				names = append(names, db)
			}
			sort.Strings(names)
			for _, db := range names {
				if err := srv.CreateDatabase(ctx, db); err != nil {
					t.Fatal(err)
				}
			}
			for _, tb := range tables {
				raw, err := os.ReadFile(filepath.Join(dir, tb[2]))
				if err != nil {
					t.Fatal(err)
				}
				data, err := DecodeSchemaFile(raw, "auto")
				if err != nil {
					t.Fatalf("%s: %v", tb[2], err)
				}
				stmt, create, err := ReadCreateTable(data, tb[0], tb[1])
				if err != nil {
					t.Fatalf("%s: %v", tb[2], err)
				}
				if err := srv.Exec(ctx, stmt); err != nil {
					t.Fatalf("%s: %v", tb[2], err)
				}
				// The parsed description must agree with the server's.
				want, err := TableInfoFromAST(tb[0], create)
				if err != nil {
					t.Fatal(err)
				}
				got, err := LoadTargetColumns(ctx, srv.DB(), tb[0], tb[1])
				if err != nil {
					t.Fatal(err)
				}
				if strings.Join(want.ColumnNames(), ",") != strings.Join(got.ColumnNames(), ",") {
					t.Fatalf("%s: columns from AST %v, from server %v", tb[2], want.ColumnNames(), got.ColumnNames())
				}
				if (want.PrimaryKey == nil) != (got.PrimaryKey == nil) {
					t.Fatalf("%s: primary key from AST %v, from server %v", tb[2], want.PrimaryKey, got.PrimaryKey)
				}
				for i := range want.Columns {
					if want.Columns[i].AutoIncrement != got.Columns[i].AutoIncrement || want.Columns[i].Generated != got.Columns[i].Generated {
						t.Fatalf("%s: column %d differs: AST %+v server %+v", tb[2], i, want.Columns[i], got.Columns[i])
					}
				}
			}
			// Views depend on each other across databases (db0.v2 reads
			// db1.v1): retry the ones that fail until no progress is made.
			pending := views
			for len(pending) > 0 {
				var next [][3]string
				var lastErr error
				for _, v := range pending {
					raw, err := os.ReadFile(filepath.Join(dir, v[2]))
					if err != nil {
						t.Fatal(err)
					}
					stmts, _, err := ReadCreateView(raw, v[0], v[1])
					if err != nil {
						t.Fatalf("%s: %v", v[2], err)
					}
					conn, err := srv.DB().Conn(ctx)
					if err != nil {
						t.Fatal(err)
					}
					_, err = conn.ExecContext(ctx, "USE "+QuoteName(v[0]))
					for _, s := range stmts {
						if err != nil {
							break
						}
						_, err = conn.ExecContext(ctx, s)
					}
					conn.Close()
					if err != nil {
						lastErr = err
						next = append(next, v)
					}
				}
				if len(next) == len(pending) {
					t.Fatalf("views %v cannot be created: %v", next, lastErr)
				}
				pending = next
			}
			if src == "lightning_view" {
				if err := srv.Exec(ctx, "INSERT INTO db1.tbl VALUES (1,1,'test1'),(2,2,'test2'),(3,3,'test3')"); err != nil {
					t.Fatal(err)
				}
				rows, err := srv.Query(ctx, "SELECT count(*), sum(i) FROM db1.v1")
				if err != nil || rows[0][0] != "3" || rows[0][1] != "6" {
					t.Fatalf("db1.v1: %v %v", rows, err)
				}
				rows, err = srv.Query(ctx, "SELECT s FROM db0.v2")
				if err != nil || len(rows) != 1 || rows[0][0] != "test1" {
					t.Fatalf("db0.v2: %v %v", rows, err)
				}
			}
			for _, db := range names {
				if err := srv.Exec(ctx, "DROP DATABASE "+QuoteName(db)); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestReadCreateTableLike(t *testing.T) {
	stmt, _, err := ReadCreateTable([]byte("CREATE TABLE a LIKE b;"), "d", "t")
	if err != nil {
		t.Fatal(err)
	}
	if stmt != "CREATE TABLE IF NOT EXISTS `d`.`t` LIKE `d`.`b`" {
		t.Fatalf("stmt = %s", stmt)
	}
}

func TestCheckConstraintsArePortable(t *testing.T) {
	in := "CREATE TABLE t (js longtext CHECK (json_valid(`js`)), a int, CONSTRAINT c1 CHECK (a > 0) NOT ENFORCED)"
	out, _, err := ReadCreateTable([]byte(in), "d", "t")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, ") ENFORCED") || strings.Contains(out, ") NOT ENFORCED") {
		t.Fatalf("ENFORCED clause left in %s", out)
	}
	if !strings.Contains(out, "/*!80016 NOT ENFORCED */") || !strings.Contains(out, "CHECK(JSON_VALID(`js`))") {
		t.Fatalf("unexpected DDL %s", out)
	}
}
