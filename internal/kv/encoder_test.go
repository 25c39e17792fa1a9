package kv

import (
	"bytes"
	"fmt"
	"math"
	"math/rand"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tempestdb/tempest/internal/collate"
	"github.com/tempestdb/tempest/internal/kv/codec"
	"github.com/tempestdb/tempest/internal/parser"
	"github.com/tempestdb/tempest/internal/tidbtypes"
)

// wideTable has one column of most types, three secondary indexes, and a
// clustered-int-less _tidb_rowid handle.
const wideTable = `CREATE TABLE wide (
	c1 INT, c2 BIGINT, c3 TINYINT UNSIGNED, c4 SMALLINT, c5 BIGINT UNSIGNED,
	c6 VARCHAR(64), c7 VARCHAR(64) COLLATE utf8mb4_general_ci, c8 CHAR(16), c9 TEXT, c10 VARBINARY(32),
	c11 DECIMAL(12,3), c12 DECIMAL(30,10), c13 DOUBLE, c14 FLOAT, c15 DATE,
	c16 DATETIME(3), c17 TIMESTAMP, c18 TIME, c19 ENUM('a','b','c'), c20 YEAR,
	KEY i1(c1, c6), UNIQUE KEY i2(c2), KEY i3(c7(10), c16))`

func wideRow(r *rand.Rand, id int) []parser.Field {
	word := func(n int) string {
		const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789"
		b := make([]byte, r.Intn(n))
		for i := range b {
			b[i] = letters[r.Intn(len(letters))]
		}
		return string(b)
	}
	nullable := func(f parser.Field) parser.Field {
		if r.Intn(10) == 0 {
			return null()
		}
		return f
	}
	return []parser.Field{
		nullable(num(strconv.Itoa(r.Intn(1<<31) - 1<<30))),
		num(strconv.Itoa(id*7919 - 1000000)), // unique
		nullable(num(strconv.Itoa(r.Intn(256)))),
		nullable(num(strconv.Itoa(r.Intn(65536) - 32768))),
		nullable(num(strconv.FormatUint(r.Uint64(), 10))),
		nullable(str(word(40))),
		nullable(str(word(40) + "é")),
		nullable(str(word(12))),
		nullable(str(word(200))),
		nullable(str(word(30))),
		nullable(num(fmt.Sprintf("%d.%03d", r.Intn(1000000)-500000, r.Intn(1000)))),
		nullable(num(fmt.Sprintf("%d.%010d", r.Intn(1000000000), r.Intn(1000000000)))),
		nullable(num(strconv.FormatFloat(r.NormFloat64()*1e6, 'g', -1, 64))),
		nullable(num(strconv.FormatFloat(float64(float32(r.NormFloat64())), 'g', -1, 32))),
		nullable(str(fmt.Sprintf("%04d-%02d-%02d", 1000+r.Intn(9000), 1+r.Intn(12), 1+r.Intn(28)))),
		nullable(str(fmt.Sprintf("%04d-%02d-%02d %02d:%02d:%02d.%03d", 1000+r.Intn(9000), 1+r.Intn(12), 1+r.Intn(28), r.Intn(24), r.Intn(60), r.Intn(60), r.Intn(1000)))),
		nullable(str(fmt.Sprintf("%04d-%02d-%02d %02d:%02d:%02d", 1971+r.Intn(60), 1+r.Intn(12), 1+r.Intn(28), r.Intn(24), r.Intn(60), r.Intn(60)))),
		nullable(str(fmt.Sprintf("%d:%02d:%02d", r.Intn(838), r.Intn(60), r.Intn(60)))),
		nullable(str([]string{"a", "b", "c"}[r.Intn(3)])),
		nullable(num(strconv.Itoa(1901 + r.Intn(255)))),
	}
}

func datumEqual(a, b *tidbtypes.Datum) bool {
	if a.Kind() != b.Kind() {
		return false
	}
	switch a.Kind() {
	case tidbtypes.KindNull:
		return true
	case tidbtypes.KindInt64, tidbtypes.KindUint64, tidbtypes.KindEnum, tidbtypes.KindSet:
		return a.GetInt64() == b.GetInt64()
	case tidbtypes.KindFloat32, tidbtypes.KindFloat64:
		return a.GetFloat64() == b.GetFloat64()
	case tidbtypes.KindString, tidbtypes.KindBytes, tidbtypes.KindBinaryLiteral, tidbtypes.KindJSON:
		return bytes.Equal(a.GetBytes(), b.GetBytes())
	case tidbtypes.KindDecimal:
		return a.GetDecimal().Compare(b.GetDecimal()) == 0
	case tidbtypes.KindTime:
		return a.GetTime().ToPackedUint() == b.GetTime().ToPackedUint() && a.GetTime().Type() == b.GetTime().Type()
	case tidbtypes.KindDuration:
		return a.GetDuration().Duration == b.GetDuration().Duration
	}
	return false
}

func fmtDatum(d *tidbtypes.Datum) string {
	switch d.Kind() {
	case tidbtypes.KindDecimal:
		return d.GetDecimal().String()
	case tidbtypes.KindTime:
		return d.GetTime().String()
	case tidbtypes.KindString, tidbtypes.KindBytes:
		return strconv.Quote(string(d.GetBytes()))
	}
	return fmt.Sprintf("%v:%d", d.Kind(), d.GetInt64())
}

// TestRoundTripWide encodes random rows and decodes every KV back: the record
// must reproduce the converted row and each index entry the indexed values.
func TestRoundTripWide(t *testing.T) {
	for _, tz := range []*time.Location{time.UTC, time.FixedZone("+08:00", 8*3600)} {
		tbl := mustTable(t, wideTable, 77)
		opts := EncoderOptions{SQLMode: "STRICT_TRANS_TABLES", TimeZone: tz}
		enc, err := NewEncoder(tbl, opts)
		if err != nil {
			t.Fatal(err)
		}
		dec := NewDecoder(tbl, tz, true)
		sc, _ := tidbtypes.NewStmtContext(opts.SQLMode, tz)
		r := rand.New(rand.NewSource(1))
		var p Pairs
		for i := 1; i <= 500; i++ {
			fields := wideRow(r, i)
			p.Reset()
			if err := enc.EncodeFields(fields, identity(len(fields)), int64(i), &p); err != nil {
				t.Fatalf("row %d: %v", i, err)
			}
			want := make([]tidbtypes.Datum, len(fields))
			for j, f := range fields {
				if f.Kind != parser.KindNull {
					want[j], err = tidbtypes.Convert(f, &tbl.Columns[j].Type, sc)
					if err != nil {
						t.Fatal(err)
					}
				}
			}
			if p.Len() != 4 {
				t.Fatalf("row %d: %d pairs, want 4", i, p.Len())
			}
			for k := range p.Len() {
				if p.IsIndex(k) {
					ie, err := dec.DecodeIndex(p.Key(k), p.Value(k))
					if err != nil {
						t.Fatalf("row %d index: %v", i, err)
					}
					if !ie.Handle.IsInt || ie.Handle.Int != int64(i) {
						t.Fatalf("row %d index %s: handle %v", i, ie.Index.Name, ie.Handle)
					}
					for c, ic := range ie.Index.Columns {
						w := want[ic.Offset]
						truncateIndexValue(&w, ic.Length, &tbl.Columns[ic.Offset].Type)
						if tbl.Columns[ic.Offset].Type.Collate == "utf8mb4_general_ci" && !ie.Restored[c] && !w.IsNull() {
							t.Fatalf("row %d index %s: general_ci value not restored", i, ie.Index.Name)
						}
						if !datumEqual(&ie.Values[c], &w) {
							t.Fatalf("row %d index %s col %s: got %s want %s", i, ie.Index.Name, ic.Name, fmtDatum(&ie.Values[c]), fmtDatum(&w))
						}
					}
					continue
				}
				row, err := dec.DecodeRecord(p.Key(k), p.Value(k))
				if err != nil {
					t.Fatalf("row %d: %v", i, err)
				}
				if row.Handle.Int != int64(i) || row.PhysicalID != 77 {
					t.Fatalf("row %d: handle %v table %d", i, row.Handle, row.PhysicalID)
				}
				for j := range want {
					if want[j].IsNull() != !row.Present[j] {
						t.Fatalf("row %d col %d: present=%v for %s", i, j, row.Present[j], fmtDatum(&want[j]))
					}
					if !datumEqual(&row.Values[j], &want[j]) {
						t.Fatalf("row %d col %s: got %s want %s", i, tbl.Columns[j].Name, fmtDatum(&row.Values[j]), fmtDatum(&want[j]))
					}
				}
			}
		}
	}
}

// TestClusteredRoundTrip checks common-handle tables: PK values come back
// from the key (+ restored data) and secondary index values carry the
// restored PK tail.
func TestClusteredRoundTrip(t *testing.T) {
	tbl := mustTable(t, "CREATE TABLE t (a VARCHAR(20) COLLATE utf8mb4_bin, b INT, c VARCHAR(20) COLLATE utf8mb4_general_ci, d DATE, PRIMARY KEY(a, d) CLUSTERED, KEY kb(b), UNIQUE KEY uc(c))", 300)
	enc, err := NewEncoder(tbl, EncoderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dec := NewDecoder(tbl, nil, true)
	rows := [][]parser.Field{
		{str("x  "), num("5"), str("Foo "), str("2020-01-02")},
		{str("y"), null(), str("bar"), str("1999-12-31")},
		{str(strings.Repeat(" ", 3)), num("-1"), null(), str("2000-02-29")},
	}
	var p Pairs
	for i, f := range rows {
		if err := enc.EncodeFields(f, identity(4), int64(i+1), &p); err != nil {
			t.Fatal(err)
		}
	}
	for k := range p.Len() {
		if p.IsIndex(k) {
			ie, err := dec.DecodeIndex(p.Key(k), p.Value(k))
			if err != nil {
				t.Fatal(err)
			}
			if ie.Handle.IsInt || len(ie.Handle.Common) == 0 {
				t.Fatalf("index %s: missing common handle", ie.Index.Name)
			}
			continue
		}
		row, err := dec.DecodeRecord(p.Key(k), p.Value(k))
		if err != nil {
			t.Fatal(err)
		}
		i := -1
		for j, f := range rows {
			if string(f[0].Bytes) == string(row.Values[0].GetBytes()) {
				i = j
			}
		}
		if i < 0 {
			t.Fatalf("record PK %q not among inputs", row.Values[0].GetBytes())
		}
		if got := row.Values[3].GetTime().String(); got != string(rows[i][3].Bytes) {
			t.Fatalf("date from handle = %s", got)
		}
	}
}

func sign(x int) int {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}

func keyOf(t *testing.T, d tidbtypes.Datum, coll collate.Collator) []byte {
	var scratch []byte
	b, err := appendKeyDatum(nil, &d, coll, time.UTC, &scratch)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestKeyOrder checks that comparable encodings sort exactly as the values.
func TestKeyOrder(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	check := func(what string, a, b tidbtypes.Datum, want int, coll collate.Collator) {
		t.Helper()
		got := sign(bytes.Compare(keyOf(t, a, coll), keyOf(t, b, coll)))
		if got != want {
			t.Fatalf("%s: order %d, want %d (%s vs %s)", what, got, want, fmtDatum(&a), fmtDatum(&b))
		}
	}
	ints := []int64{math.MinInt64, math.MinInt64 + 1, -1 << 32, -256, -1, 0, 1, 255, 256, 1 << 40, math.MaxInt64}
	for i := 0; i < 2000; i++ {
		x, y := r.Int63()-r.Int63(), r.Int63()-r.Int63()
		if i < len(ints)*len(ints) {
			x, y = ints[i/len(ints)], ints[i%len(ints)]
		}
		check("int", tidbtypes.NewIntDatum(x), tidbtypes.NewIntDatum(y), cmp3(x, y), nil)
		u, v := r.Uint64(), r.Uint64()
		check("uint", tidbtypes.NewUintDatum(u), tidbtypes.NewUintDatum(v), cmp3(u, v), nil)
	}
	floats := []float64{math.Inf(-1), -math.MaxFloat64, -1e10, -1, -math.SmallestNonzeroFloat64, math.Copysign(0, -1), 0, math.SmallestNonzeroFloat64, 0.5, 1, 1e300, math.MaxFloat64, math.Inf(1)}
	fcmp := func(a, b float64) int {
		switch {
		case a < b:
			return -1
		case a > b:
			return 1
		}
		return 0
	}
	for _, a := range floats {
		for _, b := range floats {
			check("float", tidbtypes.NewFloat64Datum(a), tidbtypes.NewFloat64Datum(b), fcmp(a, b), nil)
		}
	}
	for i := 0; i < 2000; i++ {
		a, b := r.NormFloat64()*math.Pow(10, float64(r.Intn(40)-20)), r.NormFloat64()
		check("float", tidbtypes.NewFloat64Datum(a), tidbtypes.NewFloat64Datum(b), fcmp(a, b), nil)
	}
	// Decimals of one column type DECIMAL(20,5).
	for i := 0; i < 2000; i++ {
		sa := fmt.Sprintf("%d.%05d", r.Int63n(1e15)-5e14, r.Intn(100000))
		sb := fmt.Sprintf("%d.%05d", r.Int63n(1e3)-5e2, r.Intn(100000))
		if i%3 == 0 {
			sb = sa
		}
		da, db := decDatum(t, sa, 20, 5), decDatum(t, sb, 20, 5)
		check("decimal "+sa+" "+sb, da, db, sign(da.GetDecimal().Compare(db.GetDecimal())), nil)
	}
	// Times.
	for i := 0; i < 2000; i++ {
		mk := func() tidbtypes.Time {
			return tidbtypes.NewTime(r.Intn(10000), r.Intn(13), r.Intn(32), r.Intn(24), r.Intn(60), r.Intn(60), r.Intn(1000000), tidbtypes.TypeDatetime, 6)
		}
		a, b := mk(), mk()
		ka := [6]int{a.Year(), a.Month(), a.Day(), a.Hour(), a.Minute(), a.Second()}
		kb := [6]int{b.Year(), b.Month(), b.Day(), b.Hour(), b.Minute(), b.Second()}
		want := 0
		for j := range ka {
			if ka[j] != kb[j] {
				want = sign(ka[j] - kb[j])
				break
			}
		}
		if want == 0 {
			want = sign(a.Microsecond() - b.Microsecond())
		}
		check("time", tidbtypes.NewTimeDatum(a), tidbtypes.NewTimeDatum(b), want, nil)
	}
	// Durations.
	for i := 0; i < 1000; i++ {
		a, b := time.Duration(r.Int63n(2*838*3600e9)-838*3600e9), time.Duration(r.Int63n(2*838*3600e9)-838*3600e9)
		check("duration", tidbtypes.NewDurationDatum(tidbtypes.Duration{Duration: a}), tidbtypes.NewDurationDatum(tidbtypes.Duration{Duration: b}), cmp3(int64(a), int64(b)), nil)
	}
	// Strings under collations: key order == collator order.
	alphabet := []string{"a", "A", "b", "B", "z", " ", "é", "É", "ß", "ss", "0", "\x00", "€", "😃", "ı"}
	for _, name := range []string{"binary", "utf8mb4_bin", "utf8mb4_general_ci", "utf8mb4_unicode_ci"} {
		coll, err := collate.Get(name)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3000; i++ {
			mk := func() string {
				var sb strings.Builder
				for n := r.Intn(12); n > 0; n-- {
					sb.WriteString(alphabet[r.Intn(len(alphabet))])
				}
				return sb.String()
			}
			a, b := mk(), mk()
			da := tidbtypes.NewCollationStringDatum([]byte(a), name)
			db := tidbtypes.NewCollationStringDatum([]byte(b), name)
			check(name, da, db, sign(coll.Compare([]byte(a), []byte(b))), coll)
		}
	}
}

func TestEncodeBytesOrderAndRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for i := 0; i < 5000; i++ {
		a := make([]byte, r.Intn(20))
		b := make([]byte, r.Intn(20))
		for j := range a {
			a[j] = byte(r.Intn(4)) * 85
		}
		for j := range b {
			b[j] = byte(r.Intn(4)) * 85
		}
		ea, eb := codec.EncodeBytes(nil, a), codec.EncodeBytes(nil, b)
		if sign(bytes.Compare(ea, eb)) != sign(bytes.Compare(a, b)) {
			t.Fatalf("order of %x %x", a, b)
		}
		rest, got, err := codec.DecodeBytes(append(ea, 0x42), nil)
		if err != nil || !bytes.Equal(got, a) || !bytes.Equal(rest, []byte{0x42}) {
			t.Fatalf("round trip %x: %x %v", a, got, err)
		}
	}
}

func FuzzEncodeBytes(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1, 2, 3, 0})
	f.Add([]byte("12345678"))
	f.Fuzz(func(t *testing.T, b []byte) {
		e := codec.EncodeBytes(nil, b)
		if len(e) != codec.EncodedBytesLen(len(b)) {
			t.Fatalf("length %d", len(e))
		}
		rest, got, err := codec.DecodeBytes(e, nil)
		if err != nil || len(rest) != 0 || !bytes.Equal(got, b) {
			t.Fatalf("round trip %x -> %x %v", b, got, err)
		}
		// Decoding arbitrary input must not panic.
		_, _, _ = codec.DecodeBytes(b, nil)
	})
}

func FuzzRowRoundTrip(f *testing.F) {
	f.Add(int64(1), int64(5))
	f.Add(int64(-7), int64(1<<40))
	tbl := mustTable(f, wideTable, 77)
	f.Fuzz(func(t *testing.T, seed int64, rowID int64) {
		if rowID <= 0 {
			rowID = 1
		}
		enc, err := NewEncoder(tbl, EncoderOptions{SQLMode: "STRICT_TRANS_TABLES"})
		if err != nil {
			t.Fatal(err)
		}
		dec := NewDecoder(tbl, nil, true)
		fields := wideRow(rand.New(rand.NewSource(seed)), int(seed%1000))
		var p Pairs
		if err := enc.EncodeFields(fields, identity(len(fields)), rowID, &p); err != nil {
			t.Fatal(err)
		}
		for k := range p.Len() {
			if p.IsIndex(k) {
				if _, err := dec.DecodeIndex(p.Key(k), p.Value(k)); err != nil {
					t.Fatal(err)
				}
				continue
			}
			row, err := dec.DecodeRecord(p.Key(k), p.Value(k))
			if err != nil {
				t.Fatal(err)
			}
			if row.Handle.Int != rowID {
				t.Fatalf("handle %d want %d", row.Handle.Int, rowID)
			}
		}
	})
}

// FuzzDecode feeds arbitrary bytes to the decoders: they must fail cleanly,
// never panic.
func FuzzDecode(f *testing.F) {
	tbl := mustTable(f, table200, 200)
	p := table200Pairs(f)
	for i := range p.Len() {
		f.Add(p.Key(i), p.Value(i))
	}
	wide := mustTable(f, wideTable, 77)
	f.Fuzz(func(t *testing.T, key, value []byte) {
		for _, tb := range []*TableInfo{tbl, wide} {
			d := NewDecoder(tb, nil, true)
			_, _ = d.DecodeRecord(key, value)
			_, _ = d.DecodeIndex(key, value)
		}
		_, _ = rowcodecParse(value)
	})
}
