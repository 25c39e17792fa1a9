package parser

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestSQLLiterals(t *testing.T) {
	cases := []struct {
		in   string
		want string
	}{
		{`1`, `number:"1"`},
		{`-1.5e-3`, `number:"-1.5e-3"`},
		{`+5`, `number:"+5"`},
		{`.5`, `number:".5"`},
		{`1.`, `number:"1."`},
		{`1E10`, `number:"1E10"`},
		{`18446744073709551614`, `number:"18446744073709551614"`},
		{`'abc'`, `string:"abc"`},
		{`"abc"`, `string:"abc"`},
		{`''`, `string:""`},
		{`""""`, `string:"\""`},
		{`''''`, `string:"'"`},
		{`'it''s'`, `string:"it's"`},
		{`"\""`, `string:"\""`},
		{`'\''`, `string:"'"`},
		{`'\0\b\n\r\t\Z\\'`, `string:"\x00\b\n\r\t\x1a\\"`},
		{`'\%\_'`, `string:"\\%\\_"`},
		{`'\q\é'`, `string:"qé"`},
		{`'a' 'b'  "c"`, `string:"abc"`},
		{`'\Z'`, `string:"\x1a"`},
		{`'@P&FLASHSHA'`, `string:"@P&FLASHSHA"`},
		{`0x0`, `hex:"\x00"`},
		{`0x3`, `hex:"\x03"`},
		{`0xABcd`, `hex:"\xab\xcd"`},
		{`0x123`, `hex:"\x01#"`},
		{`x'ee72'`, `hex:"\xeer"`},
		{`X''`, `hex:""`},
		{`b'00'`, `bits:"\x00"`},
		{`b'01'`, `bits:"\x01"`},
		{`B'11'`, `bits:"\x03"`},
		{`b''`, `bits:"\x00"`},
		{`0b10`, `bits:"\x02"`},
		{`0b100000001`, `bits:"\x01\x01"`},
		{`NULL`, `NULL`},
		{`null`, `NULL`},
		{`\N`, `NULL`},
		{`TRUE`, `bool:"1"`},
		{`false`, `bool:"0"`},
		{`DEFAULT`, `default`},
		{`_binary'ab'`, `string(binary):"ab"`},
		{`_utf8mb4 'x'`, `string(utf8mb4):"x"`},
		{`_LATIN1"x"`, `string(latin1):"x"`},
		{`_binary 0x41`, `hex(binary):"A"`},
		{`_binary X'4142'`, `hex(binary):"AB"`},
		{`N'x'`, `string(utf8):"x"`},
		{`CONVERT("{\"a\": 1}" USING UTF8MB4)`, `string(utf8mb4):"{\"a\": 1}"`},
		{`convert ( _binary'x' using latin1 )`, `string(latin1):"x"`},
		{`'a' COLLATE utf8mb4_bin`, `string:"a"`},
		{`'🤪'`, `string:"🤪"`},
		{`/* c */ 1 # x` + "\n", `number:"1"`},
	}
	for _, c := range cases {
		in := "INSERT INTO t VALUES (" + c.in + ");"
		for _, bs := range []int{0, 1, 3} {
			rows, err := sqlRows(t, []byte(in), SQLOptions{ReadBlockSize: bs}, bs == 1)
			if err != nil {
				t.Errorf("%s (block %d): %v", c.in, bs, err)
				continue
			}
			if len(rows) != 1 || rows[0].Fields != c.want {
				t.Errorf("%s (block %d): got %v, want %s", c.in, bs, rows, c.want)
			}
		}
	}
}

func TestSQLNoBackslashAndANSI(t *testing.T) {
	rows, err := sqlRows(t, []byte(`INSERT INTO t ("a") VALUES ('x\n', 'it''s');`), SQLOptions{ANSIQuotes: true, NoBackslashEscapes: true}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Fields != `string:"x\\n" | string:"it's"` || rows[0].Cols != "a" {
		t.Fatalf("got %v", rows)
	}
	if _, err := sqlRows(t, []byte(`INSERT INTO t VALUES ("a");`), SQLOptions{ANSIQuotes: true}, false); err == nil {
		t.Fatal("ANSI_QUOTES: double-quoted value must be an error")
	}
	o := SQLOptionsFromMode("ONLY_FULL_GROUP_BY, ansi,NO_BACKSLASH_ESCAPES", 7)
	if !o.ANSIQuotes || !o.NoBackslashEscapes || o.ReadBlockSize != 7 {
		t.Fatalf("SQLOptionsFromMode: %+v", o)
	}
}

func TestSQLStatements(t *testing.T) {
	in := "/*!40101 SET NAMES binary*/;\n" +
		"/*!40014 SET FOREIGN_KEY_CHECKS=0*/;\n" +
		"-- comment ; with semicolon\n" +
		"# another ; comment\n" +
		"SET @a = 'VALUES (1)';\n" +
		"LOCK TABLES `t` WRITE;\n" +
		";;\n" +
		"INSERT INTO `t` VALUES (1,'a'),(2,'b');\n" +
		"insert ignore into t (`a`, `b``c`, d) values (3, \"x;y\");\n" +
		"REPLACE INTO t(a) VALUE (4) , (5) ON DUPLICATE KEY UPDATE a = VALUES(a);\n" +
		"create table `second` values (909);\n" +
		"INSERT INTO t () VALUES (), ();\n" +
		"UNLOCK TABLES;\n" +
		"INSERT INTO t VALUES (6)" // no final ';'
	rows, err := sqlRows(t, []byte(in), SQLOptions{}, false)
	if err != nil {
		t.Fatal(err)
	}
	p := NewSQLParser(strings.NewReader(in), "k.sql", SQLOptions{})
	var kinds []string
	for p.ReadRow(context.Background()) == nil {
		kinds = append(kinds, p.StatementKind().String())
	}
	if got := strings.Join(kinds, ","); got != "INSERT,INSERT,INSERT IGNORE,REPLACE,REPLACE,other,INSERT,INSERT,INSERT" {
		t.Errorf("statement kinds: %s", got)
	}
	want := []string{
		`<nil> number:"1" | string:"a"`,
		`<nil> number:"2" | string:"b"`,
		"a,b`c,d number:\"3\" | string:\"x;y\"",
		`a number:"4"`,
		`a number:"5"`,
		`<nil> number:"909"`,
		` `,
		` `,
		`<nil> number:"6"`,
	}
	if len(rows) != len(want) {
		t.Fatalf("got %d rows: %v", len(rows), rows)
	}
	for i, r := range rows {
		if got := r.Cols + " " + r.Fields; got != want[i] {
			t.Errorf("row %d: got %q want %q", i, got, want[i])
		}
		if r.RowID != int64(i+1) {
			t.Errorf("row %d: id %d", i, r.RowID)
		}
		if in[r.Offset] != '(' || in[r.End-1] != ')' {
			t.Errorf("row %d: offsets [%d,%d) = %q", i, r.Offset, r.End, in[r.Offset:r.End])
		}
	}
}

func TestSQLErrors(t *testing.T) {
	cases := []struct {
		in     string
		offset int64
		reason string
	}{
		{"INSERT INTO t VALUES (1,'abc", 24, "unterminated string"},
		{"INSERT INTO t VALUES (1 2);", 24, "expecting ','"},
		{"INSERT INTO t VALUES (1, foo);", 25, "unexpected word"},
		{"INSERT INTO t VALUES (1)(2);", 24, "expecting ',' or ';'"},
		{"INSERT INTO t VALUES (12abc);", 22, "invalid number"},
		{"INSERT INTO t VALUES (0xZZ);", 22, "invalid hexadecimal"},
		{"INSERT INTO t VALUES (1), /* x", 26, "unterminated /*"},
		{"INSERT INTO t VALUES (1),", 25, "unexpected end of file"},
		{"INSERT INTO t SELECT * FROM u;", 14, "INSERT ... SELECT"},
		{"insert into t set a = 1;", 14, "INSERT ... SET"},
		{"INSERT INTO t VALUES (_binary 12);", 22, "charset introducer"},
	}
	for _, c := range cases {
		for _, one := range []bool{false, true} {
			_, err := sqlRows(t, []byte(c.in), SQLOptions{ReadBlockSize: 1}, one)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Errorf("%q: got %v, want syntax error", c.in, err)
				continue
			}
			if se.Offset != c.offset || !strings.Contains(se.Reason, c.reason) || se.Path != "test.sql" {
				t.Errorf("%q: got %v (offset %d), want offset %d reason %q", c.in, err, se.Offset, c.offset, c.reason)
			}
			if !strings.Contains(err.Error(), "test.sql") {
				t.Errorf("%q: error %v does not name the file", c.in, err)
			}
		}
	}
}

// genSQL builds a dump with every literal form, several statements, column
// lists and comments, for resume/chunk/benchmark tests.
func genSQL(stmts, rowsPer int) []byte {
	var b bytes.Buffer
	b.WriteString("/*!40101 SET NAMES binary*/;\n/*!40014 SET FOREIGN_KEY_CHECKS=0*/;\n")
	id := 0
	for s := 0; s < stmts; s++ {
		if s%3 == 1 {
			b.WriteString("INSERT INTO `tbl` (`id`,`name`,`v`,`d`) VALUES\n")
		} else {
			b.WriteString("INSERT INTO `tbl` VALUES\n")
		}
		for r := 0; r < rowsPer; r++ {
			if r > 0 {
				b.WriteString(",\n")
			}
			id++
			switch id % 5 {
			case 0:
				b.WriteString("(" + itoa(int64(id)) + ",'name \\'" + itoa(int64(id)) + "\\' with; semicolon',-1.5e-3,NULL)")
			case 1:
				b.WriteString("(" + itoa(int64(id)) + ",\"plain-" + itoa(int64(id)) + "\",0x" + "DEADbeef" + ",_binary'x')")
			case 2:
				b.WriteString("(" + itoa(int64(id)) + ", 'it''s' /* c */ , b'101', '2020-01-01 00:00:00')")
			case 3:
				b.WriteString("(" + itoa(int64(id)) + ",'" + strings.Repeat("long", 40) + "',.5,TRUE)")
			default:
				b.WriteString("(" + itoa(int64(id)) + ",'中文',+7,DEFAULT)")
			}
		}
		b.WriteString(";\n")
		if s%4 == 2 {
			b.WriteString("-- a comment; between statements\n")
		}
	}
	return b.Bytes()
}

// TestSQLResume checks, for every row boundary k, that a fresh parser
// positioned with Position() after row k reads exactly the remaining rows.
func TestSQLResume(t *testing.T) {
	data := genSQL(7, 5)
	resumeSQL(t, data, SQLOptions{ReadBlockSize: 7})
}

func resumeSQL(t *testing.T, data []byte, opts SQLOptions) {
	t.Helper()
	ctx := context.Background()
	full, err := sqlRows(t, data, opts, false)
	if err != nil {
		t.Fatal(err)
	}
	p := NewSQLParser(bytes.NewReader(data), "test.sql", opts)
	var positions []Position
	positions = append(positions, p.Position())
	for range full {
		if err := p.ReadRow(ctx); err != nil {
			t.Fatal(err)
		}
		positions = append(positions, p.Position())
	}
	for k, pos := range positions {
		q := NewSQLParser(bytes.NewReader(data), "test.sql", opts)
		if err := q.SetPosition(pos); err != nil {
			t.Fatalf("SetPosition(%+v) after row %d: %v", pos, k, err)
		}
		rest, err := drain(t, q)
		if err != nil {
			t.Fatalf("after row %d: %v", k, err)
		}
		sameRows(t, "resume after row "+itoa(int64(k)), full[k:], rest)
		// A forward-only reader must work too.
		q2 := NewSQLParser(io.MultiReader(bytes.NewReader(data)), "test.sql", opts)
		if err := q2.SetPosition(pos); err != nil {
			t.Fatalf("forward-only SetPosition(%+v): %v", pos, err)
		}
		rest2, err := drain(t, q2)
		if err != nil {
			t.Fatal(err)
		}
		sameRows(t, "forward-only resume", full[k:], rest2)
	}
}

func TestSQLSetPosMidStatementIsRejected(t *testing.T) {
	data := []byte("INSERT INTO t (a) VALUES (1),(2);")
	p := NewSQLParser(bytes.NewReader(data), "x.sql", SQLOptions{})
	if err := p.ReadRow(context.Background()); err != nil {
		t.Fatal(err)
	}
	off, id := p.Pos()
	q := NewSQLParser(bytes.NewReader(data), "x.sql", SQLOptions{})
	if err := q.SetPos(off, id); err != nil {
		t.Fatal(err)
	}
	err := q.ReadRow(context.Background())
	var se *SyntaxError
	if !errors.As(err, &se) || !strings.Contains(se.Reason, "SetPosition") {
		t.Fatalf("got %v, want a position error", err)
	}
	// After the last row of a statement SetPos is fine.
	q = NewSQLParser(bytes.NewReader(data), "x.sql", SQLOptions{})
	if err := q.SetPos(int64(len(data)-1), 2); err != nil {
		t.Fatal(err)
	}
	if err := q.ReadRow(context.Background()); !errors.Is(err, io.EOF) {
		t.Fatalf("got %v, want EOF", err)
	}
}

// TestSQLChunks splits a dump at statement boundaries for several sizes and
// checks that the chunks together read exactly the full row sequence.
func TestSQLChunks(t *testing.T) {
	data := genSQL(20, 4)
	full, err := sqlRows(t, data, SQLOptions{}, false)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, every := range []int64{1, 50, 300, 1000, int64(len(data))} {
		bounds, err := SQLStatementBoundaries(ctx, bytes.NewReader(data), 0, every)
		if err != nil {
			t.Fatal(err)
		}
		starts := append([]int64{0}, bounds...)
		var got []gotRow
		var rowID int64
		for ci, s := range starts {
			if ci > 0 && (s-starts[ci-1] < every || data[s-1] != ';') {
				t.Fatalf("every=%d: boundary %d is not a ';' boundary >= every apart", every, s)
			}
			p := NewSQLParser(bytes.NewReader(data), "c.sql", SQLOptions{ReadBlockSize: 5})
			if err := p.SetPos(s, rowID); err != nil {
				t.Fatal(err)
			}
			if ci+1 < len(starts) {
				p.SetEnd(starts[ci+1])
			}
			rows, err := drain(t, p)
			if err != nil {
				t.Fatalf("chunk %d at %d: %v", ci, s, err)
			}
			got = append(got, rows...)
			if len(rows) > 0 {
				rowID = rows[len(rows)-1].RowID
			}
		}
		// Columns are per-statement, so compare completely.
		sameRows(t, "chunks every="+itoa(every), full, got)
	}
	// start offset != 0
	b1, err := SQLStatementBoundaries(ctx, bytes.NewReader(data), 0, 500)
	if err != nil || len(b1) < 2 {
		t.Fatal(b1, err)
	}
	// A seekable reader is seeked to start; a forward-only one must already
	// be there.
	for _, r := range []io.Reader{bytes.NewReader(data), io.MultiReader(bytes.NewReader(data[b1[0]:]))} {
		b2, err := SQLStatementBoundaries(ctx, r, b1[0], 500)
		if err != nil {
			t.Fatal(err)
		}
		if len(b2) == 0 || b2[0] != b1[1] {
			t.Fatalf("boundaries from %d: %v, full %v", b1[0], b2, b1)
		}
	}
}

func TestSQLBoundariesQuoteAware(t *testing.T) {
	in := "INSERT INTO t VALUES ('a;b', \"c;\\\"d\", `e;f`) /* ; */ -- ;\n;# ;\nINSERT INTO t VALUES (1);\nX;"
	b, err := SQLStatementBoundaries(context.Background(), strings.NewReader(in), 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{int64(strings.Index(in, "\n;#") + 2), int64(strings.Index(in, "(1);") + 4)}
	if len(b) != 2 || b[0] != want[0] || b[1] != want[1] {
		t.Fatalf("got %v want %v", b, want)
	}
}

func TestSQLContextCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p := NewSQLParser(strings.NewReader("INSERT INTO t VALUES (1);"), "x.sql", SQLOptions{})
	if err := p.ReadRow(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
}
