package kvcmd

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Table 200 of the spec, row (x, 5, Foo): the output must hold the golden
// record and index pairs in key order, and decode must read it back.
func TestEncodeDecode(t *testing.T) {
	dir := t.TempDir()
	schema := writeFile(t, dir, "t.sql", "/*!40101 SET NAMES binary*/;\nCREATE TABLE t200 (a VARCHAR(10) COLLATE utf8mb4_bin, b INT, c VARCHAR(10) COLLATE utf8mb4_general_ci, PRIMARY KEY(a) CLUSTERED, KEY idx_b(b), UNIQUE KEY uk_c(c));\n")
	csv := writeFile(t, dir, "t.csv", "a,b,c\nx,5,Foo\n")
	sqlData := writeFile(t, dir, "t.0.sql", "INSERT INTO t200 (c,b,a) VALUES ('Foo',5,'x');\n")
	want := strings.Join([]string{
		"7480000000000000c85f698000000000000002038000000000000005017800000000000000f8 007d0180000100000001010000",
		"7480000000000000c85f698000000000000003010046004f004f0000fd 007d017f000a017800000000000000f880000200000001030100040000466f6f",
		"7480000000000000c85f72017800000000000000f8 8000030000000102030100020005007805466f6f",
	}, "\n") + "\n"
	for _, data := range []string{csv, sqlData} {
		var out bytes.Buffer
		if err := Run(context.Background(), []string{"encode", "--schema", schema, "--data", data, "--table-id", "200"}, &out); err != nil {
			t.Fatal(err)
		}
		got := out.String()
		if !strings.HasPrefix(got, want) {
			t.Fatalf("%s: output\n%s\nwant prefix\n%s", data, got, want)
		}
		if !strings.Contains(got, "checksum ") || !strings.HasSuffix(got, " 3 "+bytesTotal(want)+"\n") {
			t.Fatalf("checksum line wrong: %s", got)
		}
		in := writeFile(t, dir, "pairs.txt", got)
		var dec bytes.Buffer
		if err := Run(context.Background(), []string{"decode", "--schema", schema, "--table-id", "200", "--input", in}, &dec); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(dec.String(), `record table=200 handle=017800000000000000f8 a="x" b=5 c="Foo"`) ||
			!strings.Contains(dec.String(), `index table=200 index=uk_c(3)`) {
			t.Fatalf("decode output:\n%s", dec.String())
		}
	}
}

func bytesTotal(lines string) string {
	n := 0
	for _, l := range strings.Split(strings.TrimSpace(lines), "\n") {
		f := strings.Fields(l)
		n += (len(f[0]) + len(f[1])) / 2
	}
	return itoa(n)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	s := ""
	for n > 0 {
		s = string(rune('0'+n%10)) + s
		n /= 10
	}
	return s
}

func TestErrors(t *testing.T) {
	if err := Run(context.Background(), nil, &bytes.Buffer{}); err == nil {
		t.Error("no subcommand must fail")
	}
	if err := Run(context.Background(), []string{"encode", "--data", "x.csv"}, &bytes.Buffer{}); err == nil {
		t.Error("missing schema must fail")
	}
}
