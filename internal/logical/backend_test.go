package logical

import (
	"errors"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/parser"
	"github.com/tempestdb/tempest/internal/schema"
)

func TestOpenSessionSettings(t *testing.T) {
	_, b, _ := setup(t, func(c *config.Config) {
		c.TiDB.SQLMode = "STRICT_ALL_TABLES,NO_ZERO_DATE"
		c.TiDB.SessionVars = map[string]string{
			"max_heap_table_size":           "33554432",
			"tidb_distsql_scan_concurrency": "5", // TiDB only: dropped on MariaDB
			"time_zone":                     "+08:00",
		}
	})
	if b.IsTiDB() {
		t.Fatal("MariaDB detected as TiDB")
	}
	var mode, tz string
	var heap, ac int64
	if err := b.DB().QueryRowContext(testCtx(t), "SELECT @@session.sql_mode, @@session.time_zone, @@session.max_heap_table_size, @@session.autocommit").Scan(&mode, &tz, &heap, &ac); err != nil {
		t.Fatal(err)
	}
	if mode != "STRICT_ALL_TABLES,NO_ZERO_DATE" || tz != "+08:00" || heap != 33554432 || ac != 1 {
		t.Fatalf("session: mode=%s tz=%s heap=%d autocommit=%d", mode, tz, heap, ac)
	}
	if _, rows := b.BatchLimits(); rows != 65536 {
		t.Fatalf("batch rows %d", rows)
	}
}

func TestOpenCapsBatchAtMaxAllowedPacket(t *testing.T) {
	_, b, _ := setup(t, func(c *config.Config) {
		c.TikvImporter.LogicalImportBatchSize = 1 << 30
		c.TiDB.MaxAllowedPacket = 1 << 20
	})
	if bytes, _ := b.BatchLimits(); bytes > 1<<20 || bytes < 1<<19 {
		t.Fatalf("batch bytes %d not capped at max_allowed_packet", bytes)
	}
}

func TestOpenFailsOnBadTarget(t *testing.T) {
	cfg := config.Default()
	cfg.TiDB.Host = "127.0.0.1"
	cfg.TiDB.Port = 1 // nothing listens there
	if _, err := Open(testCtx(t), cfg, "", nil); err == nil {
		t.Fatal("Open succeeded against a closed port")
	}
}

const viewV1 = "/*!40101 SET NAMES binary*/;\nDROP TABLE IF EXISTS `v1`;\nDROP VIEW IF EXISTS `v1`;\nSET character_set_client = utf8;\n" +
	"CREATE ALGORITHM=UNDEFINED DEFINER=CURRENT_USER SQL SECURITY DEFINER VIEW `v1` (`i`, `s`) AS SELECT `i`,`s` FROM `tbl`;\n"

func TestSchemaAndViewsAfterTables(t *testing.T) {
	srv, b, db := setup(t, nil)
	ctx := testCtx(t)
	other := db + "_b"
	if err := srv.Exec(ctx, "DROP DATABASE IF EXISTS `"+other+"`"); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{db, other} {
		if err := b.CreateDatabase(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	created, err := b.CreateTable(ctx, db, "tbl", []byte("CREATE TABLE whatever(i TINYINT PRIMARY KEY, j INT, s VARCHAR(16));"))
	if err != nil || !created {
		t.Fatalf("created=%v err=%v", created, err)
	}
	// Existing tables are reused.
	if created, err := b.CreateTable(ctx, db, "tbl", []byte("garbage that is never parsed")); err != nil || created {
		t.Fatalf("second create: created=%v err=%v", created, err)
	}
	// Dumpling's placeholder tables for the views.
	for _, p := range [][2]string{{db, "v1"}, {other, "v2"}} {
		if _, err := b.CreateTable(ctx, p[0], p[1], []byte("CREATE TABLE x (i TINYINT, s VARCHAR(16));")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.WriteRows(ctx, ChunkTarget{DB: db, Table: "tbl"}, nil, rows(1,
		[]parser.Field{num("1"), num("1"), str("test1")}, []parser.Field{num("2"), num("2"), str("test2")})); err != nil {
		t.Fatal(err)
	}
	viewV2 := "CREATE VIEW `v2` (`s`) AS SELECT `s` FROM `" + db + "`.`v1` WHERE `i`<2;"
	// v2 depends on v1 but comes first.
	if err := b.CreateViews(ctx, []View{{DB: other, Name: "v2", SchemaFile: []byte(viewV2)}, {DB: db, Name: "v1", SchemaFile: []byte(viewV1)}}); err != nil {
		t.Fatal(err)
	}
	expect(t, srv, "SELECT count(*), sum(i) FROM `"+db+"`.v1", "2|3")
	expect(t, srv, "SELECT s FROM `"+other+"`.v2", "test1")
	expect(t, srv, "SELECT TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = '"+other+"' AND TABLE_NAME = 'v2'", "VIEW")

	// A view over a missing table cannot be created: the error names it.
	err = b.CreateViews(ctx, []View{{DB: db, Name: "bad", SchemaFile: []byte("CREATE VIEW bad AS SELECT * FROM missing;")}})
	if err == nil || !strings.Contains(err.Error(), "bad") {
		t.Fatalf("err = %v", err)
	}
	// Invalid schema files fail with Lightning's wording.
	_, err = b.CreateTable(ctx, db, "invalid", []byte("this is a invalid schema;"))
	if !errors.Is(err, schema.ErrInvalidSchema) {
		t.Fatalf("err = %v", err)
	}
}

func TestCreateTableCharsets(t *testing.T) {
	gb := []byte{'c', 'r', 'e', 'a', 't', 'e', ' ', 't', 'a', 'b', 'l', 'e', ' ', 'x', ' ', '(', '`', 0xD6, 0xF7, 0xBC, 0xFC, '`', ' ', 'i', 'n', 't', ')', ';'}
	t.Run("auto", func(t *testing.T) {
		srv, b, db := setup(t, nil)
		if _, err := b.CreateTable(testCtx(t), db, "gb", gb); err != nil {
			t.Fatal(err)
		}
		expect(t, srv, "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '"+db+"' AND TABLE_NAME = 'gb'", "主键")
	})
	t.Run("utf8mb4", func(t *testing.T) {
		_, b, db := setup(t, func(c *config.Config) { c.Mydumper.CharacterSet = "utf8mb4" })
		_, err := b.CreateTable(testCtx(t), db, "gb", gb)
		if !errors.Is(err, schema.ErrInvalidEncoding) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestNoSchema(t *testing.T) {
	srv, b, db := setup(t, func(c *config.Config) { c.Mydumper.NoSchema = true })
	ctx := testCtx(t)
	_, err := b.CreateTable(ctx, db, "t", []byte("CREATE TABLE t (x INT);"))
	if err == nil || !strings.Contains(err.Error(), "schema not found") {
		t.Fatalf("err = %v", err)
	}
	if err := srv.Exec(ctx, "CREATE TABLE `"+db+"`.t (x INT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	// The file is not even parsed in no-schema mode.
	if created, err := b.CreateTable(ctx, db, "t", []byte("this is a invalid schema;")); err != nil || created {
		t.Fatalf("created=%v err=%v", created, err)
	}
}

func TestOpenDropsUnknownSQLModeFlags(t *testing.T) {
	_, b, _ := setup(t, func(c *config.Config) { c.TiDB.SQLMode = "STRICT_TRANS_TABLES,NO_SUCH_MODE_FLAG" })
	var mode string
	if err := b.DB().QueryRowContext(testCtx(t), "SELECT @@session.sql_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "STRICT_TRANS_TABLES" {
		t.Fatalf("sql_mode = %q", mode)
	}
}
