package parser

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
)

const parquetCase = "/work/shared/acceptance/cases/lightning_parquet.toml"

// parquetAcceptanceFiles maps table name → the table's data file.
func parquetAcceptanceFiles(t *testing.T) map[string]string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(acceptanceRoot, "lightning_parquet/data/test/test.*/*.parquet"))
	if len(files) == 0 {
		t.Skip("parquet acceptance corpus not available")
	}
	out := map[string]string{}
	for _, f := range files {
		table := strings.TrimPrefix(filepath.Base(filepath.Dir(f)), "test.")
		out[table] = f
	}
	return out
}

func openParquetBytes(t testing.TB, data []byte, name string, opts ParquetOptions) *ParquetParser {
	t.Helper()
	p, err := NewParquetParser(bytes.NewReader(data), int64(len(data)), name, opts)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	return p
}

// drainParquet reads all rows, checking the Pos invariant and that offsets
// are consecutive row indexes.
func drainParquet(t testing.TB, p *ParquetParser) []gotRow {
	t.Helper()
	rows, err := drain(t, p)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	start, _ := p.Pos()
	start -= int64(len(rows))
	for i, r := range rows {
		if r.Offset != start+int64(i) || r.End != r.Offset+1 {
			t.Fatalf("row %d: offsets [%d,%d), want row index %d", i, r.Offset, r.End, start+int64(i))
		}
	}
	return rows
}

// parquetTables parses every table of the acceptance corpus into column →
// values (NULL as nil).
func parquetTables(t *testing.T, loc *time.Location) map[string][]map[string]*string {
	t.Helper()
	out := map[string][]map[string]*string{}
	for table, path := range parquetAcceptanceFiles(t) {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := f.Stat()
		p, err := NewParquetParser(f, st.Size(), path, ParquetOptions{Location: loc})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		for {
			err := p.ReadRow(ctx)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", table, err)
			}
			row := map[string]*string{}
			for i, fd := range p.LastRow().Fields {
				if fd.Kind == KindNull {
					row[strings.ToLower(p.Columns()[i])] = nil
					continue
				}
				s := string(fd.Bytes)
				row[strings.ToLower(p.Columns()[i])] = &s
			}
			out[table] = append(out[table], row)
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestParquetAcceptanceChecks evaluates the case file's checks on the parsed
// fields: counts, sums and selected values.
//
// The expected c_since "2020-09-10 20:17:16" is the stored instant
// 2020-09-10 12:17:16 UTC shown at +08:00: the original test ran in
// Asia/Shanghai. It is evaluated with Location +08:00; UTC gives 12:17:16.
func TestParquetAcceptanceChecks(t *testing.T) {
	var kase struct {
		Check []struct {
			SQL    string     `toml:"sql"`
			Expect [][]string `toml:"expect"`
		} `toml:"check"`
	}
	if _, err := toml.DecodeFile(parquetCase, &kase); err != nil {
		t.Skipf("case file: %v", err)
	}
	reCount := regexp.MustCompile(`^SELECT count\(\*\) FROM test\.(\w+)$`)
	reSum := regexp.MustCompile(`^SELECT sum\((\w+)\) FROM test\.(\w+)$`)
	reSelect := regexp.MustCompile(`^SELECT ([\w, ]+) FROM test\.(\w+)(?: WHERE (\w+) = (\w+))?$`)
	tables := parquetTables(t, time.FixedZone("+08:00", 8*3600))
	n := 0
	for _, c := range kase.Check {
		var got [][]string
		switch {
		case reCount.MatchString(c.SQL):
			m := reCount.FindStringSubmatch(c.SQL)
			got = [][]string{{fmt.Sprint(len(tables[m[1]]))}}
		case reSum.MatchString(c.SQL):
			m := reSum.FindStringSubmatch(c.SQL)
			sum := new(big.Rat)
			for _, r := range tables[m[2]] {
				if v := r[m[1]]; v != nil {
					x, ok := new(big.Rat).SetString(*v)
					if !ok {
						t.Fatalf("%s: %q is not a number", m[1], *v)
					}
					sum.Add(sum, x)
				}
			}
			got = [][]string{{sum.RatString()}}
		case reSelect.MatchString(c.SQL):
			m := reSelect.FindStringSubmatch(c.SQL)
			cols := strings.Split(m[1], ", ")
			for _, r := range tables[m[2]] {
				if m[3] != "" && (r[m[3]] == nil || *r[m[3]] != m[4]) {
					continue
				}
				var vals []string
				for _, col := range cols {
					v, ok := r[col]
					if !ok {
						t.Fatalf("no column %s in %s", col, m[2])
					}
					if v == nil {
						vals = append(vals, "NULL")
					} else {
						vals = append(vals, *v)
					}
				}
				got = append(got, vals)
			}
		default:
			t.Errorf("check not evaluated: %s", c.SQL)
			continue
		}
		n++
		if fmt.Sprint(got) != fmt.Sprint(c.Expect) {
			t.Errorf("%s: got %v, want %v", c.SQL, got, c.Expect)
		}
	}
	if n < 12 {
		t.Errorf("only %d checks evaluated", n)
	}
	utc := parquetTables(t, nil)
	for _, r := range utc["customer"] {
		if *r["c_id"] == "20" && *r["c_since"] != "2020-09-10 12:17:16" {
			t.Errorf("c_since in UTC: %s", *r["c_since"])
		}
	}
}

func TestParquetAcceptanceResume(t *testing.T) {
	for table, path := range parquetAcceptanceFiles(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		p := openParquetBytes(t, data, path, ParquetOptions{})
		if got := strings.Join(p.Columns(), ","); !strings.Contains(got, "_") {
			t.Errorf("%s: columns %s", table, got)
		}
		full := drainParquet(t, p)
		if int64(len(full)) != p.NumRows() {
			t.Errorf("%s: %d rows, footer says %d", table, len(full), p.NumRows())
		}
		checkResumeEverywhere(t, data, path, full, ParquetOptions{BatchSize: 7})
	}
}

// checkResumeEverywhere resumes at every row index, on fresh parsers and on
// one parser moved back and forth, and compares with the full read.
func checkResumeEverywhere(t *testing.T, data []byte, name string, full []gotRow, opts ParquetOptions) {
	t.Helper()
	shared := openParquetBytes(t, data, name, opts)
	defer shared.Close()
	for i := 0; i <= len(full); i++ {
		for _, p := range []*ParquetParser{openParquetBytes(t, data, name, opts), shared} {
			const base = 1000
			if err := p.SetPos(int64(i), base+int64(i)); err != nil {
				t.Fatal(err)
			}
			rest := drainParquet(t, p)
			if len(rest) != len(full)-i {
				t.Fatalf("%s: resume at %d: %d rows, want %d", name, i, len(rest), len(full)-i)
			}
			for j, r := range rest {
				w := full[i+j]
				if r.Offset != w.Offset || r.Fields != w.Fields || r.RowID != base+w.RowID {
					t.Fatalf("%s: resume at %d, row %d:\n got %v\nwant %v (row ID +%d)", name, i, j, r, w, base)
				}
			}
		}
	}
	// Backwards on the same parser, in the middle of a batch.
	if len(full) > 3 {
		p := openParquetBytes(t, data, name, opts)
		ctx := context.Background()
		for k := 0; k < 3; k++ {
			if err := p.ReadRow(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if err := p.SetPos(1, 1); err != nil {
			t.Fatal(err)
		}
		rest := drainParquet(t, p)
		if len(rest) != len(full)-1 || rest[0].Fields != full[1].Fields {
			t.Fatalf("%s: backwards seek: %d rows", name, len(rest))
		}
	}
}

// pqTestCol is one column of a generated file; Group sorts columns by name,
// so tests name them in order.
type pqTestCol struct {
	name string
	node parquet.Node
}

func writeTestParquet(t testing.TB, cols []pqTestCol, rows [][]any, opts ...parquet.WriterOption) []byte {
	t.Helper()
	g := parquet.Group{}
	for i, c := range cols {
		if i > 0 && cols[i-1].name >= c.name {
			t.Fatalf("test columns must be sorted: %s", c.name)
		}
		g[c.name] = c.node
	}
	schema := parquet.NewSchema("t", g)
	var buf bytes.Buffer
	w := parquet.NewWriter(&buf, append([]parquet.WriterOption{schema}, opts...)...)
	prows := make([]parquet.Row, len(rows))
	for r, vals := range rows {
		for c, v := range vals {
			def := 0
			if cols[c].node.Optional() {
				def = 1
			}
			var pv parquet.Value
			switch x := v.(type) {
			case nil:
				pv, def = parquet.NullValue(), 0
			case parquet.Value:
				pv = x
			default:
				pv = parquet.ValueOf(x)
			}
			prows[r] = append(prows[r], pv.Level(0, def, c))
		}
	}
	if _, err := w.WriteRows(prows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// twosComplement returns v as a big-endian two's complement of n bytes.
func twosComplement(v *big.Int, n int) []byte {
	x := new(big.Int).Set(v)
	if x.Sign() < 0 {
		x.Add(x, new(big.Int).Lsh(big.NewInt(1), uint(8*n)))
	}
	b := x.Bytes()
	return append(make([]byte, n-len(b)), b...)
}

func bigInt(s string) *big.Int {
	v, _ := new(big.Int).SetString(s, 10)
	return v
}

func int96Timestamp(t time.Time) parquet.Value {
	days := t.Unix()/86400 + julianUnixEpoch
	nanos := uint64(t.Sub(time.Unix(t.Unix()/86400*86400, 0)))
	return parquet.Int96Value(deprecated.Int96{uint32(nanos), uint32(nanos >> 32), uint32(days)})
}

func TestParquetTypes(t *testing.T) {
	plus8 := time.FixedZone("+08", 8*3600)
	utcInstant := time.Date(2020, 9, 10, 12, 17, 16, 500_000_000, time.UTC)
	type tc struct {
		node  parquet.Node
		value any
		want  string // fieldsString form, Location UTC
		want8 string // with Location +08:00, when different
	}
	cases := []tc{
		{parquet.Optional(parquet.Int(32)), nil, `NULL`, ""},
		{parquet.Leaf(parquet.BooleanType), true, `number:"1"`, ""},
		{parquet.Leaf(parquet.BooleanType), false, `number:"0"`, ""},
		{parquet.Int(8), parquet.Int32Value(-5), `number:"-5"`, ""},
		{parquet.Leaf(parquet.Int32Type), parquet.Int32Value(math.MinInt32), `number:"-2147483648"`, ""},
		{parquet.Uint(32), parquet.Int32Value(-1), `number:"4294967295"`, ""},
		{parquet.Uint(64), parquet.Int64Value(-1), `number:"18446744073709551615"`, ""},
		{parquet.Int(64), parquet.Int64Value(math.MinInt64), `number:"-9223372036854775808"`, ""},
		{parquet.Leaf(parquet.FloatType), float32(0.1), `number:"0.1"`, ""},
		{parquet.Leaf(parquet.DoubleType), 1e21, `number:"1e+21"`, ""},
		{parquet.Leaf(parquet.DoubleType), -1.5e-7, `number:"-1.5e-07"`, ""},
		{parquet.Leaf(parquet.DoubleType), 123.25, `number:"123.25"`, ""},
		{parquet.Decimal(2, 9, parquet.Int32Type), parquet.Int32Value(-5), `number:"-0.05"`, ""},
		{parquet.Decimal(2, 9, parquet.Int32Type), parquet.Int32Value(12345), `number:"123.45"`, ""},
		{parquet.Decimal(4, 4, parquet.Int32Type), parquet.Int32Value(585), `number:"0.0585"`, ""},
		{parquet.Decimal(0, 9, parquet.Int32Type), parquet.Int32Value(-7), `number:"-7"`, ""},
		{parquet.Decimal(2, 12, parquet.Int64Type), parquet.Int64Value(0), `number:"0.00"`, ""},
		{parquet.Decimal(4, 18, parquet.Int64Type), parquet.Int64Value(math.MinInt64), `number:"-922337203685477.5808"`, ""},
		{parquet.Decimal(2, 9, parquet.FixedLenByteArrayType(4)), parquet.FixedLenByteArrayValue(twosComplement(big.NewInt(-200), 4)), `number:"-2.00"`, ""},
		{parquet.Decimal(3, 38, parquet.FixedLenByteArrayType(16)), parquet.FixedLenByteArrayValue(twosComplement(bigInt("-1234567890123456789012"), 16)), `number:"-1234567890123456789.012"`, ""},
		{parquet.Decimal(3, 38, parquet.FixedLenByteArrayType(16)), parquet.FixedLenByteArrayValue(twosComplement(bigInt("99999999999999999999999999999999999999"), 16)), `number:"99999999999999999999999999999999999.999"`, ""},
		{parquet.Decimal(30, 38, parquet.FixedLenByteArrayType(16)), parquet.FixedLenByteArrayValue(twosComplement(bigInt("-170141183460469231731687303715884105728"), 16)), `number:"-170141183.460469231731687303715884105728"`, ""},
		{parquet.Decimal(1, 30, parquet.ByteArrayType), parquet.ByteArrayValue(twosComplement(bigInt("123456789012345678901"), 9)), `number:"12345678901234567890.1"`, ""},
		{parquet.Decimal(5, 30, parquet.ByteArrayType), parquet.ByteArrayValue([]byte{0xff}), `number:"-0.00001"`, ""},
		{parquet.Date(), parquet.Int32Value(18515), `string:"2020-09-10"`, ""},
		{parquet.Date(), parquet.Int32Value(-1), `string:"1969-12-31"`, ""},
		{parquet.Timestamp(parquet.Microsecond), parquet.Int64Value(1599740236000000), `string:"2020-09-10 12:17:16"`, `string:"2020-09-10 20:17:16"`},
		{parquet.Timestamp(parquet.Millisecond), parquet.Int64Value(1599740236123), `string:"2020-09-10 12:17:16.123"`, `string:"2020-09-10 20:17:16.123"`},
		{parquet.Timestamp(parquet.Nanosecond), parquet.Int64Value(1599740236000001000), `string:"2020-09-10 12:17:16.000001"`, `string:"2020-09-10 20:17:16.000001"`},
		{parquet.Timestamp(parquet.Nanosecond), parquet.Int64Value(1599740236000000007), `string:"2020-09-10 12:17:16.000000007"`, `string:"2020-09-10 20:17:16.000000007"`},
		{parquet.Timestamp(parquet.Microsecond), parquet.Int64Value(-1), `string:"1969-12-31 23:59:59.999999"`, `string:"1970-01-01 07:59:59.999999"`},
		{parquet.TimestampAdjusted(parquet.Microsecond, false), parquet.Int64Value(1599740236000000), `string:"2020-09-10 12:17:16"`, ""},
		{parquet.Leaf(parquet.Int96Type), int96Timestamp(utcInstant), `string:"2020-09-10 12:17:16.5"`, `string:"2020-09-10 20:17:16.5"`},
		{parquet.Time(parquet.Millisecond), parquet.Int32Value(45296789), `string:"12:34:56.789"`, ""},
		{parquet.Time(parquet.Microsecond), parquet.Int64Value(45296000001), `string:"12:34:56.000001"`, ""},
		{parquet.Time(parquet.Nanosecond), parquet.Int64Value(3600_000_000_000), `string:"01:00:00"`, ""},
		{parquet.String(), "héllo", `string:"héllo"`, ""},
		{parquet.JSON(), []byte(`{"a":1}`), `string:"{\"a\":1}"`, ""},
		{parquet.Enum(), []byte("red"), `string:"red"`, ""},
		{parquet.Leaf(parquet.ByteArrayType), []byte{0, 1, 0xff}, `string(binary):"\x00\x01\xff"`, ""},
		{parquet.UUID(), parquet.FixedLenByteArrayValue(bytes.Repeat([]byte{0xab}, 16)), `string(binary):"` + strings.Repeat(`\xab`, 16) + `"`, ""},
		{parquet.Leaf(parquet.FixedLenByteArrayType(3)), parquet.FixedLenByteArrayValue([]byte("abc")), `string(binary):"abc"`, ""},
	}
	var cols []pqTestCol
	var row []any
	for i, c := range cases {
		cols = append(cols, pqTestCol{fmt.Sprintf("c%03d", i), c.node})
		row = append(row, c.value)
	}
	data := writeTestParquet(t, cols, [][]any{row})
	for _, loc := range []*time.Location{nil, plus8} {
		p := openParquetBytes(t, data, "types.parquet", ParquetOptions{Location: loc})
		rows := drainParquet(t, p)
		if len(rows) != 1 {
			t.Fatalf("%d rows", len(rows))
		}
		got := strings.Split(rows[0].Fields, " | ")
		for i, c := range cases {
			want := c.want
			if loc != nil && c.want8 != "" {
				want = c.want8
			}
			if got[i] != want {
				t.Errorf("case %d (%s, loc %v): got %s, want %s", i, c.node.Type(), loc, got[i], want)
			}
		}
	}
}

func TestParquetFloatSpecials(t *testing.T) {
	cols := []pqTestCol{{"a", parquet.Leaf(parquet.DoubleType)}}
	data := writeTestParquet(t, cols, [][]any{{1.0}, {math.NaN()}})
	p := openParquetBytes(t, data, "nan.parquet", ParquetOptions{})
	ctx := context.Background()
	if err := p.ReadRow(ctx); err != nil {
		t.Fatal(err)
	}
	err := p.ReadRow(ctx)
	if err == nil || !strings.Contains(err.Error(), "nan.parquet") || !strings.Contains(err.Error(), "row 1") || !strings.Contains(err.Error(), `"a"`) {
		t.Fatalf("NaN: %v", err)
	}
	// Sticky until re-positioned.
	if err2 := p.ReadRow(ctx); err2 == nil || err2.Error() != err.Error() {
		t.Fatalf("not sticky: %v", err2)
	}
}

func TestParquetNestedRejected(t *testing.T) {
	for _, c := range []struct {
		name string
		node parquet.Node
	}{
		{"tags", parquet.List(parquet.String())},
		{"kv", parquet.Map(parquet.String(), parquet.Int(32))},
		{"rep", parquet.Repeated(parquet.String())},
		{"st", parquet.Group{"x": parquet.Int(32)}},
	} {
		cols := []pqTestCol{{"a", parquet.Int(32)}, {c.name, parquet.Optional(c.node)}}
		if c.name == "rep" {
			cols[1].node = c.node
		}
		g := parquet.Group{}
		for _, col := range cols {
			g[col.name] = col.node
		}
		var buf bytes.Buffer
		w := parquet.NewWriter(&buf, parquet.NewSchema("t", g))
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		_, err := NewParquetParser(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "nested.parquet", ParquetOptions{})
		if err == nil || !strings.Contains(err.Error(), `"`+c.name+`"`) || !strings.Contains(err.Error(), "nested.parquet") {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// genParquet writes n rows spread over many row groups and pages, with an
// offset index (the writer's default) so seeks can jump to pages.
func genParquet(t testing.TB, n int, opts ...parquet.WriterOption) []byte {
	cols := []pqTestCol{
		{"a_id", parquet.Int(64)},
		{"b_name", parquet.Optional(parquet.String())},
		{"c_amount", parquet.Optional(parquet.Decimal(2, 12, parquet.Int64Type))},
		{"d_at", parquet.Timestamp(parquet.Microsecond)},
	}
	rows := make([][]any, n)
	for i := range rows {
		var name any = fmt.Sprintf("name-%d-%s", i, strings.Repeat("x", i%13))
		if i%7 == 3 {
			name = nil
		}
		var amt any = parquet.Int64Value(int64(i*37 - 500))
		if i%11 == 5 {
			amt = nil
		}
		rows[i] = []any{parquet.Int64Value(int64(i)), name, amt, parquet.Int64Value(int64(i) * 1_000_001)}
	}
	return writeTestParquet(t, cols, rows, opts...)
}

func TestParquetResumeManyGroups(t *testing.T) {
	data := genParquet(t, 600, parquet.MaxRowsPerRowGroup(97), parquet.PageBufferSize(512))
	p := openParquetBytes(t, data, "gen.parquet", ParquetOptions{})
	if len(p.groups) < 6 {
		t.Fatalf("only %d row groups", len(p.groups))
	}
	full := drainParquet(t, p)
	if len(full) != 600 || !strings.HasPrefix(full[599].Fields, `number:"599" | string:"name-599-`) {
		t.Fatalf("%d rows, last %v", len(full), full[len(full)-1])
	}
	if want := `number:"0" | string:"name-0-" | number:"-5.00" | string:"1970-01-01 00:00:00"`; full[0].Fields != want {
		t.Fatalf("row 0: %s", full[0].Fields)
	}
	for _, bs := range []int{1, 0} {
		checkResumeEverywhere(t, data, "gen.parquet", full, ParquetOptions{BatchSize: bs})
	}
	// SetEnd stops inside a group.
	p = openParquetBytes(t, data, "gen.parquet", ParquetOptions{End: 150})
	if err := p.SetPos(140, 140); err != nil {
		t.Fatal(err)
	}
	if rest := drainParquet(t, p); len(rest) != 10 || rest[9].Fields != full[149].Fields {
		t.Fatalf("SetEnd: %d rows", len(rest))
	}
	if err := p.SetPos(601, 0); err == nil {
		t.Fatal("SetPos past the end accepted")
	}
}

func TestParquetContextCancel(t *testing.T) {
	data := genParquet(t, 10)
	p := openParquetBytes(t, data, "gen.parquet", ParquetOptions{})
	var _ Parser = p
	var _ Positioner = p
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.ReadRow(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
}

func TestParquetAllocs(t *testing.T) {
	data := genParquet(t, 4000, parquet.PageBufferSize(64<<10))
	p := openParquetBytes(t, data, "gen.parquet", ParquetOptions{})
	ctx := context.Background()
	for i := 0; i < 200; i++ { // warm up buffers
		if err := p.ReadRow(ctx); err != nil {
			t.Fatal(err)
		}
	}
	allocs := testing.AllocsPerRun(3000, func() {
		if err := p.ReadRow(ctx); err != nil {
			t.Fatal(err)
		}
	})
	// The library allocates per page and per batch, not per value.
	if allocs > 0.5 {
		t.Errorf("%.2f allocations per row", allocs)
	}
}

// TestParquetCorrupt truncates and garbles real files: every outcome must be
// rows or an error naming the file, never a panic or a hang.
func TestParquetCorrupt(t *testing.T) {
	inputs := map[string][]byte{"gen.parquet": genParquet(t, 300, parquet.MaxRowsPerRowGroup(64), parquet.PageBufferSize(256))}
	for table, path := range parquetAcceptanceFiles(t) {
		if table == "customer" || table == "stock" || table == "warehouse" {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			inputs[filepath.Base(path)] = data
		}
	}
	rng := rand.New(rand.NewSource(1))
	var openErrs, readErrs, recovered, clean int
	defer func() {
		t.Logf("open errors %d, read errors %d (library panics recovered: %d), read fully %d", openErrs, readErrs, recovered, clean)
	}()
	try := func(name string, data []byte) {
		p, err := NewParquetParser(bytes.NewReader(data), int64(len(data)), name, ParquetOptions{BatchSize: 16})
		if err != nil {
			openErrs++
			if strings.Contains(err.Error(), "library panic") {
				recovered++
			}
			if !strings.Contains(err.Error(), name) {
				t.Errorf("error without file name: %v", err)
			}
			return
		}
		defer p.Close()
		ctx := context.Background()
		for i := 0; i < 100000; i++ {
			err := p.ReadRow(ctx)
			if errors.Is(err, io.EOF) {
				clean++
				return
			}
			if err != nil {
				readErrs++
				if strings.Contains(err.Error(), "library panic") {
					recovered++
				}
				if !strings.Contains(err.Error(), name) {
					t.Errorf("error without file name: %v", err)
				}
				// Resuming after an error must not panic either.
				_ = p.SetPos(p.NumRows()/2, 0)
				_ = p.ReadRow(ctx)
				return
			}
		}
	}
	for name, data := range inputs {
		for i := 0; i < 40; i++ {
			try(name, data[:rng.Intn(len(data))])
		}
		for i := 0; i < 400; i++ {
			bad := bytes.Clone(data)
			for k := rng.Intn(4) + 1; k > 0; k-- {
				bad[rng.Intn(len(bad))] = byte(rng.Intn(256))
			}
			try(name, bad)
		}
		// Garble the footer region specifically: the metadata holds the
		// lengths and offsets the library trusts.
		for i := 0; i < 400; i++ {
			bad := bytes.Clone(data)
			n := min(len(bad), 600)
			bad[len(bad)-1-rng.Intn(n)] = byte(rng.Intn(256))
			try(name, bad)
		}
	}
}

func FuzzParquetParser(f *testing.F) {
	f.Add(genParquet(f, 20, parquet.MaxRowsPerRowGroup(8), parquet.PageBufferSize(128)))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := NewParquetParser(bytes.NewReader(data), int64(len(data)), "fuzz.parquet", ParquetOptions{})
		if err != nil {
			return
		}
		ctx := context.Background()
		for i := 0; i < 10000; i++ {
			if err := p.ReadRow(ctx); err != nil {
				break
			}
		}
		_ = p.SetPos(p.NumRows()/2, 0)
		_ = p.ReadRow(ctx)
		_ = p.Close()
	})
}

// TestParquetDecimalBytes compares the byte-array decimal formatting (128-bit
// and big paths) with math/big on random two's complement values.
func TestParquetDecimalBytes(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	p := &ParquetParser{}
	for i := 0; i < 20000; i++ {
		b := make([]byte, 1+rng.Intn(24))
		rng.Read(b)
		switch rng.Intn(4) {
		case 0:
			b[0] = 0x80 // most negative prefixes
		case 1:
			for k := range b {
				b[k] = 0xff
			}
		}
		scale := rng.Intn(40)
		v := parquet.ByteArrayValue(b)
		got, err := p.appendDecimal(nil, &v, &pqColumn{phys: parquet.ByteArray, kind: pqDecimal, scale: scale})
		if err != nil {
			t.Fatal(err)
		}
		x := new(big.Int).SetBytes(b)
		if b[0]&0x80 != 0 {
			x.Sub(x, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
		}
		want := new(big.Rat).SetFrac(x, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)).FloatString(scale)
		if string(got) != want {
			t.Fatalf("% x scale %d: got %s, want %s", b, scale, got, want)
		}
	}
}
