package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/testenv"
	"github.com/tempestdb/tempest/workflows"
)

// realDumpSchema has many column types and the awkward strings real data
// holds: every byte value, quotes and backslashes, multi-byte text, NULLs,
// zero dates, extreme numbers.
var realDumpSchema = []string{
	"CREATE DATABASE src",
	`CREATE TABLE src.kitchen_sink (
		id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
		ti TINYINT, si SMALLINT UNSIGNED, mi MEDIUMINT, bi BIGINT, ubi BIGINT UNSIGNED,
		dec1 DECIMAL(20,6), fl FLOAT, db DOUBLE,
		d DATE, dt DATETIME(6), ts TIMESTAMP NULL DEFAULT NULL, tm TIME(3), yr YEAR,
		ch CHAR(10), vc VARCHAR(255), tx TEXT, bin BINARY(4), vb VARBINARY(64), bl BLOB,
		en ENUM('a','b','c d'), st SET('x','y','z'), bt BIT(12), js JSON,
		UNIQUE KEY uk_vc (vc(100))
	) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
	`CREATE TABLE src.names (k VARCHAR(64) PRIMARY KEY, v TEXT) DEFAULT CHARSET=utf8mb4`,
}

func fillRealDump(t *testing.T, db *testenv.Server) {
	t.Helper()
	ctx := context.Background()
	for _, s := range realDumpSchema {
		if err := db.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	// Rows built by SQL so that the server, not this test, produces the
	// values mydumper dumps.
	inserts := []string{
		`INSERT INTO src.kitchen_sink (ti,si,mi,bi,ubi,dec1,fl,db,d,dt,ts,tm,yr,ch,vc,tx,bin,vb,bl,en,st,bt,js) VALUES
		 (-128, 65535, -8388608, -9223372036854775808, 18446744073709551615, -99999999999999.999999, 3.25, -1.5e300,
		  '1000-01-01', '9999-12-31 23:59:59.999999', '1970-01-02 00:00:00', '-838:59:59.000', 1901,
		  'a', 'it''s "quoted" \\ back', 'line1\nline2\r\n\ttab \0 nul \Z ctrlz', x'00010203', x'ff00ff', x'00',
		  'c d', 'x,z', b'101010101010', '{"k": [1, "two", null, {"x": 1.5}]}'),
		 (127, 0, 8388607, 9223372036854775807, 0, 0.000001, -0.0, 0,
		  '2024-02-29', '2024-02-29 12:00:00', NULL, '00:00:00.001', 2155,
		  '', '', '', x'61626364', '', '',
		  'a', '', b'0', '[]'),
		 (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
		  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
		// Every byte value in a BLOB and a VARBINARY.
		"INSERT INTO src.kitchen_sink (vc, bl) SELECT CONCAT('bytes-', seq), UNHEX(REPEAT(LPAD(HEX(seq), 2, '0'), 16)) FROM src.seq_0_to_255",
		"INSERT INTO src.kitchen_sink (vc, vb) SELECT CONCAT('vb-', seq), CHAR(seq, 255 - seq, 39, 92 USING binary) FROM src.seq_0_to_255",
		// Multi-byte and emoji text.
		"INSERT INTO src.names VALUES ('zh', '中文表 数据'), ('emoji', '😀🚀 ok'), ('ru', 'Ольга'), ('quote', '''\"`'), ('bs', '\\\\\\\\')",
		// Bulk rows so that --rows splits the table into several files.
		`INSERT INTO src.kitchen_sink (bi, dec1, dt, vc, tx, js) SELECT seq * 7919, seq / 7, '2020-01-01' + INTERVAL seq MINUTE,
		   CONCAT('row ', seq, ' ''q'' \\ ', CHAR(seq % 26 + 65)), REPEAT(CONCAT('tx', seq, ';'), seq % 20),
		   JSON_OBJECT('n', seq, 's', CONCAT('v', seq)) FROM src.seq_1_to_20000`,
	}
	for _, s := range inserts {
		if err := db.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// TestRealMydumperDump builds a MariaDB database with many column types and
// awkward strings, dumps it with `mydumper -c --rows`, imports the dump under
// another name through [[routes]], and compares row counts and CHECKSUM
// TABLE with the source.
func TestRealMydumperDump(t *testing.T) {
	db := testenv.MariaDB(t)
	dumpDir := realMydumperDump(t, db)

	cfg := config.Default()
	cfg.TikvImporter.Backend = config.BackendTiDB
	cfg.Mydumper.DataSourceDir = dumpDir
	cfg.Routes = []config.Route{{SchemaPattern: "src", TablePattern: "*", TargetSchema: "copy"}}
	cfg.TiDB.Host, cfg.TiDB.Port, cfg.TiDB.User = db.Host(), db.Port(), db.User()
	if err := cfg.Adjust(); err != nil {
		t.Fatal(err)
	}
	res, err := runTask(t, cfg, workflows.Timeouts{})
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if res.TablesDone != 2 {
		t.Errorf("imported %d tables, want 2", res.TablesDone)
	}
	for _, table := range []string{"kitchen_sink", "names"} {
		ctx := context.Background()
		src, err := db.Query(ctx, "SELECT COUNT(*) FROM src."+table)
		if err != nil {
			t.Fatal(err)
		}
		dst, err := db.Query(ctx, "SELECT COUNT(*) FROM copy."+table)
		if err != nil {
			t.Fatal(err)
		}
		if src[0][0] != dst[0][0] {
			t.Errorf("%s: %s rows imported, source has %s", table, dst[0][0], src[0][0])
		}
		assertSameChecksum(t, db, "src."+table, "copy."+table)
	}
}

// realMydumperDump empties the test MariaDB, fills database src with the
// kitchen-sink data (fillRealDump) and dumps it with `mydumper -c --rows`
// into a new directory, which it returns: several compressed data files
// for kitchen_sink, one for names.
func realMydumperDump(t *testing.T, db *testenv.Server) string {
	t.Helper()
	if _, err := exec.LookPath("mydumper"); err != nil {
		t.Fatalf("mydumper not found (make test installs it): %v", err)
	}
	resetTarget(t, db)
	fillRealDump(t, db)
	dumpDir := filepath.Join(t.TempDir(), "dump")
	cmd := exec.Command("mydumper", "-h", db.Host(), "-P", fmt.Sprint(db.Port()), "-u", db.User(),
		"-B", "src", "-o", dumpDir, "-c", "--rows", "3000", "-t", "2", "-v", "1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mydumper: %v\n%s", err, out)
	}
	entries, _ := os.ReadDir(dumpDir)
	var dataFiles int
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "src.kitchen_sink.") && strings.HasSuffix(e.Name(), ".sql.gz") && !strings.Contains(e.Name(), "schema") {
			dataFiles++
		}
	}
	if dataFiles < 3 {
		t.Fatalf("mydumper wrote %d compressed data files for kitchen_sink, want several: %v", dataFiles, entries)
	}
	return dumpDir
}
