package logical

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/parser"
)

// awkward strings must arrive byte for byte, in text and binary columns.
func TestLiteralRoundTrip(t *testing.T) {
	for _, mode := range []string{"ONLY_FULL_GROUP_BY,NO_AUTO_CREATE_USER", "STRICT_TRANS_TABLES,NO_BACKSLASH_ESCAPES"} {
		t.Run(strings.SplitN(mode, ",", 2)[1], func(t *testing.T) {
			srv, b, db := setup(t, func(c *config.Config) { c.TiDB.SQLMode = mode })
			ctx := testCtx(t)
			if err := srv.Exec(ctx, "CREATE TABLE `"+db+"`.t (id INT PRIMARY KEY, bin LONGBLOB, txt LONGTEXT, bits BIT(12), flag BOOL, def INT DEFAULT 42)"); err != nil {
				t.Fatal(err)
			}
			all := make([]byte, 256)
			for i := range all {
				all[i] = byte(i)
			}
			texts := []string{
				"", "'", "''", `\`, `\\'`, `'\`, "a\x00b", "\r\n\t", "\x1a", "😀 emoji 中文", `"double"`, "%_", "\\N", "NULL",
				strings.Repeat("x'", 1000),
			}
			var input []parser.Row
			id := int64(1)
			input = append(input, parser.Row{RowID: id, EndOffset: id, Fields: []parser.Field{num("1"),
				{Kind: parser.KindString, Bytes: all}, str("bytes"), {Kind: parser.KindBits, Bytes: []byte{0x0A, 0xBC}},
				{Kind: parser.KindBool, Bytes: []byte("1")}, {Kind: parser.KindDefault}}})
			for _, s := range texts {
				id++
				input = append(input, parser.Row{RowID: id, EndOffset: id, Fields: []parser.Field{num(strconv.FormatInt(id, 10)),
					{Kind: parser.KindHex, Bytes: []byte(s)}, str(s), {Kind: parser.KindBits, Bytes: []byte{1}},
					{Kind: parser.KindBool, Bytes: []byte("0")}, null()}})
			}
			// An explicit _binary introducer on valid UTF-8 and a Latin-1 one.
			id++
			input = append(input, parser.Row{RowID: id, EndOffset: id, Fields: []parser.Field{num(strconv.FormatInt(id, 10)),
				{Kind: parser.KindString, Bytes: []byte("abc"), Charset: "binary"}, {Kind: parser.KindString, Bytes: []byte{0xE9}, Charset: "latin1"},
				{Kind: parser.KindNumber, Bytes: []byte("7")}, {Kind: parser.KindNumber, Bytes: []byte("1")}, num("-5")}})

			res, err := b.WriteRows(ctx, ChunkTarget{DB: db, Table: "t", Path: "t.sql", TaskID: 1, ChunkKey: "c"}, nil, input)
			if err != nil {
				t.Fatal(err)
			}
			if res.Rows != int64(len(input)) || res.TypeErrors != 0 {
				t.Fatalf("result %+v", res)
			}
			got := query(t, srv, "SELECT id, HEX(bin), HEX(txt), bits+0, flag, IFNULL(def, 'NULL') FROM `"+db+"`.t ORDER BY id")
			if len(got) != len(input) {
				t.Fatalf("got %d rows", len(got))
			}
			check := func(i int, col int, want string) {
				t.Helper()
				if got[i][col] != want {
					t.Errorf("row %d col %d = %s, want %s", i+1, col, got[i][col], want)
				}
			}
			check(0, 1, strings.ToUpper(hex.EncodeToString(all)))
			check(0, 3, strconv.Itoa(0x0ABC))
			check(0, 4, "1")
			check(0, 5, "42")
			for i, s := range texts {
				check(i+1, 1, strings.ToUpper(hex.EncodeToString([]byte(s))))
				check(i+1, 2, strings.ToUpper(hex.EncodeToString([]byte(s))))
				check(i+1, 3, "1")
				check(i+1, 4, "0")
				check(i+1, 5, "NULL")
			}
			last := len(input) - 1
			check(last, 1, "616263")
			check(last, 2, "C3A9") // é converted from latin1 to utf8mb4
			check(last, 3, "7")
			check(last, 5, "-5")
		})
	}
}

func TestEncodeRejectsMalformedNumber(t *testing.T) {
	_, b, db := setup(t, nil)
	w, err := b.NewChunkWriter(ChunkTarget{DB: db, Table: "t"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = w.Append(nil, parser.Row{Fields: []parser.Field{num("1); DROP TABLE x; --")}, Offset: 77})
	if err == nil || !strings.Contains(err.Error(), "offset 77") {
		t.Fatalf("err = %v", err)
	}
}

func comInsert(t *testing.T, b *Backend) int {
	t.Helper()
	var name string
	var n int
	if err := b.DB().QueryRowContext(testCtx(t), "SHOW GLOBAL STATUS LIKE 'Com_insert'").Scan(&name, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestBatchingByRowsAndBytes(t *testing.T) {
	t.Run("rows", func(t *testing.T) {
		srv, b, db := setup(t, func(c *config.Config) { c.TikvImporter.LogicalImportBatchRows = 3 })
		if err := srv.Exec(testCtx(t), "CREATE TABLE `"+db+"`.t (id INT PRIMARY KEY)"); err != nil {
			t.Fatal(err)
		}
		var in [][]parser.Field
		for i := 1; i <= 10; i++ {
			in = append(in, []parser.Field{num(strconv.Itoa(i))})
		}
		w, _ := b.NewChunkWriter(ChunkTarget{DB: db, Table: "t", TaskID: 1, ChunkKey: "k"})
		var fulls []int
		for i, r := range rows(1, in...) {
			full, err := w.Append(nil, r)
			if err != nil {
				t.Fatal(err)
			}
			if full {
				fulls = append(fulls, i+1)
			}
		}
		// A statement completes every third row; the tenth row opens a
		// fourth one, which only the flush ends.
		if fmt.Sprint(fulls) != "[3 6 9]" {
			t.Fatalf("statements completed after rows %v", fulls)
		}
		before := comInsert(t, b)
		res, err := w.Flush(testCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		// 4 data statements (3+3+3+1), the progress upsert, and the
		// creation of the chunk's progress row before its first batch.
		if d := comInsert(t, b) - before; d != 6 {
			t.Fatalf("%d INSERT statements, want 6", d)
		}
		if res.Rows != 10 || res.EndOffset != 100 || res.RowID != 10 {
			t.Fatalf("result %+v", res)
		}
		expect(t, srv, "SELECT count(*), sum(id) FROM `"+db+"`.t", "10|55")
	})
	t.Run("bytes", func(t *testing.T) {
		const limit = 300
		srv, b, db := setup(t, func(c *config.Config) { c.TikvImporter.LogicalImportBatchSize = limit })
		if err := srv.Exec(testCtx(t), "CREATE TABLE `"+db+"`.t (id INT PRIMARY KEY, s TEXT)"); err != nil {
			t.Fatal(err)
		}
		var in [][]parser.Field
		for i := 1; i <= 9; i++ {
			in = append(in, []parser.Field{num(strconv.Itoa(i)), str(strings.Repeat("x", 40))})
		}
		// Each tuple "(i,'x...')" is 45 bytes, plus a comma after the
		// first. A statement (prefix included) closes with the tuple that
		// makes it reach the limit, and WriteRows flushes each one.
		prefix := len("INSERT INTO `" + db + "`.`t` (`id`,`s`) VALUES ")
		perStmt := (limit - prefix + 1 + 45) / 46 // smallest n with prefix+46n-1 >= limit
		want := (9 + perStmt - 1) / perStmt
		before := comInsert(t, b)
		res, err := b.WriteRows(testCtx(t), ChunkTarget{DB: db, Table: "t"}, []string{"id", "s"}, rows(1, in...))
		if err != nil {
			t.Fatal(err)
		}
		if d := comInsert(t, b) - before; d != want {
			t.Fatalf("%d INSERT statements, want %d (%d rows per statement)", d, want, perStmt)
		}
		if res.Rows != 9 {
			t.Fatalf("result %+v", res)
		}
		expect(t, srv, "SELECT count(*) FROM `"+db+"`.t", "9")
	})
}

func dupSetup(t *testing.T, strategy string, threshold int64) (*Backend, string, func() (WriteResult, error)) {
	srv, b, db := setup(t, func(c *config.Config) {
		c.Conflict.Strategy = strategy
		c.Conflict.Threshold = threshold
		c.TikvImporter.LogicalImportBatchRows = 1
	})
	ctx := testCtx(t)
	if err := srv.Exec(ctx, "CREATE TABLE `"+db+"`.dup (pk INT PRIMARY KEY, d VARCHAR(3))"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Exec(ctx, "INSERT INTO `"+db+"`.dup VALUES (1, 'pre')"); err != nil {
		t.Fatal(err)
	}
	return b, db, func() (WriteResult, error) {
		return b.WriteRows(ctx, ChunkTarget{DB: db, Table: "dup", Path: "dup.dup.sql", TaskID: 7, ChunkKey: "dup.sql:0"}, nil,
			rows(1, []parser.Field{num("1"), str("old")}, []parser.Field{num("2"), str("old")}))
	}
}

func TestStrategyError(t *testing.T) {
	b, db, run := dupSetup(t, "", 0)
	_, err := run()
	if !errors.Is(err, ErrDuplicate) || !strings.Contains(err.Error(), "Duplicate entry") {
		t.Fatalf("err = %v", err)
	}
	if IsRetryable(err) {
		t.Fatal("duplicate reported as retryable")
	}
	srv := testenvServer(t)
	expect(t, srv, "SELECT pk, d FROM `"+db+"`.dup ORDER BY pk", "1|pre")
	expect(t, srv, "SELECT task_id, table_name, path, `offset`, row_id, row_data, error LIKE '%Duplicate entry%' FROM `"+b.taskSchema+"`.conflict_records",
		"7|`"+db+"`.`dup`|dup.dup.sql|10|1|(1,'old')|1")
}

func TestStrategyReplace(t *testing.T) {
	b, db, run := dupSetup(t, "replace", 0)
	res, err := run()
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 2 || res.Conflicts != 0 {
		t.Fatalf("result %+v", res)
	}
	srv := testenvServer(t)
	expect(t, srv, "SELECT pk, d FROM `"+db+"`.dup ORDER BY pk", "1|old", "2|old")
	tc, cc, err := b.CountRecordedErrors(testCtx(t), 7)
	if err != nil || tc != 0 || cc != 0 {
		t.Fatalf("recorded %d/%d %v", tc, cc, err)
	}
}

func TestStrategyIgnore(t *testing.T) {
	b, db, run := dupSetup(t, "ignore", 0)
	res, err := run()
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 1 || res.Conflicts != 1 {
		t.Fatalf("result %+v", res)
	}
	srv := testenvServer(t)
	expect(t, srv, "SELECT pk, d FROM `"+db+"`.dup ORDER BY pk", "1|pre", "2|old")
	expect(t, srv, "SELECT `offset`, row_id, row_data FROM `"+b.taskSchema+"`.conflict_records", "10|1|(1,'old')")
	p, found, err := b.LoadChunkPosition(testCtx(t), 7, "dup.sql:0")
	if err != nil || !found || p != (ChunkPosition{EndOffset: 20, RowID: 2, Rows: 1, Conflicts: 1}) {
		t.Fatalf("position = %+v %v %v", p, found, err)
	}
}

func TestConflictThreshold(t *testing.T) {
	srv, b, db := setup(t, func(c *config.Config) {
		c.Conflict.Strategy = "ignore"
		c.Conflict.Threshold = 2
	})
	ctx := testCtx(t)
	if err := srv.Exec(ctx, "CREATE TABLE `"+db+"`.t (id INT PRIMARY KEY, v VARCHAR(10))"); err != nil {
		t.Fatal(err)
	}
	if err := srv.Exec(ctx, "INSERT INTO `"+db+"`.t VALUES (1,'a'),(2,'a'),(3,'a')"); err != nil {
		t.Fatal(err)
	}
	target := ChunkTarget{DB: db, Table: "t", Path: "t.csv", TaskID: 9, ChunkKey: "t.csv:0"}
	// Two conflicts: within the threshold.
	res, err := b.WriteRows(ctx, target, []string{"id", "v"}, rows(1,
		[]parser.Field{str("1"), str("b")}, []parser.Field{str("2"), str("b")}, []parser.Field{str("4"), str("b")}))
	if err != nil || res.Conflicts != 2 || res.Rows != 1 {
		t.Fatalf("first batch: %+v %v", res, err)
	}
	// A second chunk (another worker) adds one more: the task total 3 > 2.
	target.ChunkKey = "t.csv:1"
	_, err = b.WriteRows(ctx, target, []string{"id", "v"}, rows(4, []parser.Field{str("3"), str("b")}, []parser.Field{str("5"), str("b")}))
	if !errors.Is(err, ErrConflictsExceeded) || !strings.Contains(err.Error(), "The number of conflict errors exceeds the threshold configured by `conflict.threshold`") {
		t.Fatalf("err = %v", err)
	}
	// The whole failing batch was recorded before failing.
	tc, cc, err := b.CountRecordedErrors(ctx, 9)
	if err != nil || tc != 0 || cc != 3 {
		t.Fatalf("recorded %d/%d %v", tc, cc, err)
	}
	expect(t, srv, "SELECT group_concat(id ORDER BY id), group_concat(v ORDER BY id) FROM `"+db+"`.t", "1,2,3,4,5|a,a,a,b,b")
}

// TestTypeErrorsStrict replays lightning_sqlmode (on.toml) on MariaDB: under
// STRICT_TRANS_TABLES the server rejects rows, which are recorded as type
// errors while max-error.type allows, and fail the import beyond it.
func TestTypeErrorsStrict(t *testing.T) {
	sqlmodeRows := func() []parser.Row {
		hexF := func(b ...byte) parser.Field { return parser.Field{Kind: parser.KindHex, Bytes: b} }
		r := rows(1,
			[]parser.Field{num("1"), num("9"), num("128"), str("too long"), str("x,y,z")},
			[]parser.Field{num("2"), str("2000-00-00 00:00:00"), num("-99999"), str("🤩"), num("3")},
			[]parser.Field{num("3"), str("9999-12-31 23:59:59"), str("NaN"), hexF(0x99), str("x+y")},
			[]parser.Field{num("4"), str("2000-01-01 00:00:00"), num("99.999"), str(""), str("x,y,x,y,x,y,x,y")},
			[]parser.Field{num("5"), null(), null(), null(), null()},
		)
		ends := []int64{53, 100, 149, 208, 237}
		for i := range r {
			r[i].EndOffset = ends[i]
		}
		return r
	}
	create := "CREATE TABLE `%s`.t (id INT PRIMARY KEY, a TIMESTAMP NOT NULL, b TINYINT NOT NULL, c VARCHAR(1) CHARSET latin1 NOT NULL, d SET('x','y') NOT NULL)"

	t.Run("within budget", func(t *testing.T) {
		srv, b, db := setup(t, func(c *config.Config) {
			c.TiDB.SQLMode = "STRICT_TRANS_TABLES"
			c.Lightning.MaxError.Type = 20
		})
		if err := srv.Exec(testCtx(t), fmt.Sprintf(create, db)); err != nil {
			t.Fatal(err)
		}
		res, err := b.WriteRows(testCtx(t), ChunkTarget{DB: db, Table: "t", Path: "sqlmodedb.t.1.sql", TaskID: 3, ChunkKey: "k"}, nil, sqlmodeRows())
		if err != nil {
			t.Fatal(err)
		}
		if res.Rows != 1 || res.TypeErrors != 4 {
			t.Fatalf("result %+v", res)
		}
		expect(t, srv, "SELECT min(id), max(id) FROM `"+db+"`.t", "4|4")
		expect(t, srv, "SELECT path, `offset`, row_data FROM `"+b.taskSchema+"`.type_error_v1 ORDER BY `offset`",
			"sqlmodedb.t.1.sql|53|(1,9,128,'too long','x,y,z')",
			"sqlmodedb.t.1.sql|100|(2,'2000-00-00 00:00:00',-99999,'🤩',3)",
			"sqlmodedb.t.1.sql|149|(3,'9999-12-31 23:59:59','NaN',x'99','x+y')",
			"sqlmodedb.t.1.sql|237|(5,NULL,NULL,NULL,NULL)")
		// TiDB names column a; MariaDB fills a NOT NULL TIMESTAMP given NULL
		// with the current time and complains about b instead.
		expect(t, srv, "SELECT error LIKE 'Error 1048 (23000): Column % cannot be null' FROM `"+b.taskSchema+"`.type_error_v1 WHERE `offset` = 237", "1")
	})
	t.Run("over budget", func(t *testing.T) {
		srv, b, db := setup(t, func(c *config.Config) {
			c.TiDB.SQLMode = "STRICT_TRANS_TABLES"
			c.Lightning.MaxError.Type = 3
		})
		if err := srv.Exec(testCtx(t), fmt.Sprintf(create, db)); err != nil {
			t.Fatal(err)
		}
		_, err := b.WriteRows(testCtx(t), ChunkTarget{DB: db, Table: "t", Path: "sqlmodedb.t.1.sql", TaskID: 3, ChunkKey: "k"}, nil, sqlmodeRows())
		if !errors.Is(err, ErrTypeErrorsExceeded) || !strings.Contains(err.Error(), "The number of type errors exceeds the threshold configured by `max-error.type`: '3'") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("lenient", func(t *testing.T) {
		srv, b, db := setup(t, nil)
		if err := srv.Exec(testCtx(t), fmt.Sprintf(create, db)); err != nil {
			t.Fatal(err)
		}
		res, err := b.WriteRows(testCtx(t), ChunkTarget{DB: db, Table: "t", Path: "p", TaskID: 3, ChunkKey: "k"}, nil, sqlmodeRows())
		if err != nil || res.Rows != 5 || res.TypeErrors != 0 {
			t.Fatalf("%+v %v", res, err)
		}
		// MariaDB stores '?' for the emoji in a latin1 column (TiDB keeps
		// the first byte, F0): the server casts, not the importer.
		expect(t, srv, "SELECT b, hex(c) FROM `"+db+"`.t ORDER BY id", "127|74", "-128|3F", "0|99", "100|", "0|")
	})
}

func TestColumnPermutationAndDefaults(t *testing.T) {
	srv, b, db := setup(t, nil)
	ctx := testCtx(t)
	if err := srv.Exec(ctx, "CREATE TABLE `"+db+"`.t (id INT PRIMARY KEY AUTO_INCREMENT, a INT, b VARCHAR(20), c INT NOT NULL DEFAULT 123, "+
		"z DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, g INT AS (a * 2) VIRTUAL, src VARCHAR(10))"); err != nil {
		t.Fatal(err)
	}
	info, err := b.LoadTableInfo(ctx, db, "t")
	if err != nil {
		t.Fatal(err)
	}
	target := ChunkTarget{DB: db, Table: "t", Info: info, Path: "t.csv"}
	// CSV header in another order, missing columns left to the server.
	if _, err := b.WriteRows(ctx, target, []string{"b", "A"}, rows(1, []parser.Field{str("bee"), str("5")})); err != nil {
		t.Fatal(err)
	}
	// Table order with a generated column: it is skipped, not an error.
	if _, err := b.WriteRows(ctx, target, nil, rows(2, []parser.Field{num("10"), num("6"), str("tbl"), num("1"), str("2020-01-01 00:00:00"), str("s")})); err != nil {
		t.Fatal(err)
	}
	// All-default rows, with "()" as column list and without one
	// ("INSERT INTO t VALUES ()"), despite the generated column.
	if _, err := b.WriteRows(ctx, target, []string{}, rows(3, []parser.Field{})); err != nil {
		t.Fatal(err)
	}
	if _, err := b.WriteRows(ctx, target, nil, rows(3, []parser.Field{})); err != nil {
		t.Fatal(err)
	}
	// Routes' extracted column, appended to every row and overriding data.
	target.ExtendColumns = map[string]string{"src": "shard1"}
	if _, err := b.WriteRows(ctx, target, []string{"id", "a"}, rows(4, []parser.Field{num("20"), num("7")})); err != nil {
		t.Fatal(err)
	}
	if _, err := b.WriteRows(ctx, target, []string{"id", "src"}, rows(5, []parser.Field{num("21"), str("data")})); err != nil {
		t.Fatal(err)
	}
	expect(t, srv, "SELECT id, IFNULL(a,'NULL'), IFNULL(b,'NULL'), c, z IS NOT NULL, IFNULL(g,'NULL'), IFNULL(src,'NULL') FROM `"+db+"`.t ORDER BY id",
		"1|5|bee|123|1|10|NULL",
		"10|6|tbl|1|1|12|s",
		"11|NULL|NULL|123|1|NULL|NULL",
		"12|NULL|NULL|123|1|NULL|NULL",
		"20|7|NULL|123|1|14|shard1",
		"21|NULL|NULL|123|1|NULL|shard1")

	_, err = b.WriteRows(ctx, ChunkTarget{DB: db, Table: "t", Info: info, Path: "t.csv"}, []string{"a", "nope"}, rows(1, []parser.Field{num("1"), num("2")}))
	if !errors.Is(err, ErrUnknownColumns) || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("err = %v", err)
	}
}
