package kv

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/tempestdb/tempest/internal/parser"
	"github.com/tempestdb/tempest/internal/tidbtypes"
)

// genValue encodes one row of "CREATE TABLE t (a <aType>, g <gDef>)" with
// a = aValue and returns the stored g as the decoder reads it back.
func genValue(t *testing.T, aType string, a parser.Field, gDef string, opts EncoderOptions) (tidbtypes.Datum, error) {
	t.Helper()
	tbl := mustTable(t, "CREATE TABLE t (a "+aType+", g "+gDef+")", 1)
	enc, err := NewEncoder(tbl, opts)
	if err != nil {
		return tidbtypes.Datum{}, err
	}
	var p Pairs
	if err := enc.EncodeFields([]parser.Field{a}, []int{0}, 1, &p); err != nil {
		return tidbtypes.Datum{}, err
	}
	loc := opts.TimeZone
	dec := NewDecoder(tbl, loc, true)
	for i := range p.Len() {
		if p.IsIndex(i) {
			continue
		}
		row, err := dec.DecodeRecord(p.Key(i), p.Value(i))
		if err != nil {
			t.Fatal(err)
		}
		if !row.Present[1] {
			var d tidbtypes.Datum
			return d, nil // NULL is left out of the row
		}
		return row.Values[1], nil
	}
	t.Fatal("no record pair")
	return tidbtypes.Datum{}, nil
}

func datumText(d *tidbtypes.Datum) string {
	switch d.Kind() {
	case tidbtypes.KindNull:
		return "NULL"
	case tidbtypes.KindInt64:
		return tidbtypes.NewIntDatum(d.GetInt64()).String()
	case tidbtypes.KindJSON:
		return d.GetJSON().String()
	case tidbtypes.KindDecimal:
		return d.GetDecimal().String()
	case tidbtypes.KindTime:
		return d.GetTime().String()
	}
	return d.String()
}

// TestGeneratedFunctions checks each function against values from the
// MySQL/TiDB reference manuals (or, for AES, the OpenSSL CLI computing the
// same cipher with MySQL's key folding).
func TestGeneratedFunctions(t *testing.T) {
	minus6 := time.FixedZone("-06:00", -6*3600)
	minus8 := time.FixedZone("-08:00", -8*3600)
	zero, two := 0, 2
	cases := []struct {
		name, aType string
		a           parser.Field
		gDef        string
		opts        EncoderOptions
		want        string // datumText of the stored value
		wantHex     bool   // compare hex of the bytes instead
	}{
		// POW: "POW(2,2) = 4", "POW(2,-2) = 0.25"; DOUBLE result.
		{"pow", "INT", num("2"), "DOUBLE AS (POW(a, 2)) STORED", EncoderOptions{}, "4", false},
		{"pow negative exponent", "INT", num("2"), "DOUBLE AS (POWER(a, -2)) STORED", EncoderOptions{}, "0.25", false},
		{"pow into unsigned", "INT", num("7"), "BIGINT UNSIGNED AS (POW(a, 8)) STORED", EncoderOptions{}, "5764801", false},
		// `/` on integers is DECIMAL with scale 0 + div_precision_increment.
		{"int division", "INT", num("9"), "DECIMAL(10,4) AS (a / 16) STORED", EncoderOptions{}, "0.5625", false},
		{"int division into float", "INT", num("9"), "FLOAT AS (a / 16) STORED", EncoderOptions{}, "0.5625", false},
		{"int division scale", "INT", num("10"), "VARCHAR(20) AS (a / 4) STORED", EncoderOptions{}, "2.5000", false},
		{"division by zero", "INT", num("1"), "DECIMAL(10,4) AS (a / 0) STORED", EncoderOptions{}, "NULL", false},
		{"decimal into integer", "INT", num("4"), "INT AS (a / 2) STORED", EncoderOptions{}, "2", false},
		// DECIMAL to integer rounds half away from zero: 2.5000 → 3.
		{"decimal into integer rounds", "INT", num("10"), "INT AS (a / 4) STORED", EncoderOptions{}, "3", false},
		{"decimal into integer rounds negative", "INT", num("-2"), "INT AS (a / 4) STORED", EncoderOptions{}, "-1", false},
		{"div_precision_increment 2", "INT", num("1"), "VARCHAR(20) AS (a / 4) STORED", EncoderOptions{DivPrecisionIncrement: &two}, "0.25", false},
		{"div_precision_increment 0", "INT", num("4"), "VARCHAR(20) AS (a / 2) STORED", EncoderOptions{DivPrecisionIncrement: &zero}, "2", false},
		{"decimal dividend scale", "DECIMAL(6,2)", num("1.50"), "VARCHAR(20) AS (a / 2) STORED", EncoderOptions{}, "0.750000", false},
		// Decimal literal keeps its scale.
		{"decimal literal", "INT", num("1"), "DECIMAL(8,4) AS (1234.5678) STORED", EncoderOptions{}, "1234.5678", false},
		// REPEAT('MySQL', 3) = 'MySQLMySQLMySQL'.
		{"repeat", "VARCHAR(10)", str("MySQL"), "VARCHAR(20) AS (REPEAT(a, 3)) STORED", EncoderOptions{}, "MySQLMySQLMySQL", false},
		{"repeat non-positive", "VARCHAR(10)", str("MySQL"), "VARCHAR(20) AS (REPEAT(a, -1)) STORED", EncoderOptions{}, "", false},
		// SHA1('abc') = 'a9993e364706816aba3e25717850c26c9cd0d89d'.
		{"sha1", "VARCHAR(10)", str("abc"), "VARCHAR(40) AS (SHA1(a)) STORED", EncoderOptions{}, "a9993e364706816aba3e25717850c26c9cd0d89d", false},
		// UNHEX('4D7953514C') = 'MySQL'; non-hex digits give NULL.
		{"unhex", "VARCHAR(10)", str("4D7953514C"), "VARBINARY(10) AS (UNHEX(a)) STORED", EncoderOptions{}, "4d7953514c", true},
		{"unhex odd", "VARCHAR(10)", str("F0F"), "VARBINARY(10) AS (UNHEX(a)) STORED", EncoderOptions{}, "0f0f", true},
		{"unhex invalid", "VARCHAR(10)", str("GG"), "VARBINARY(10) AS (UNHEX(a)) STORED", EncoderOptions{}, "NULL", false},
		// JSON_OBJECT('id', 87, 'name', 'carrot') = {"id": 87, "name": "carrot"}.
		{"json_object", "VARCHAR(10)", str("carrot"), "JSON AS (JSON_OBJECT('id', 87, 'name', a)) STORED", EncoderOptions{}, `{"id": 87, "name": "carrot"}`, false},
		{"json_object float", "FLOAT", num("0.5625"), "JSON AS (JSON_OBJECT('f', a, 'n', NULL)) STORED", EncoderOptions{}, `{"f": 0.5625, "n": null}`, false},
		// AES_ENCRYPT: default aes-128-ecb ignores an IV.
		{"aes ecb", "VARCHAR(10)", str("1234.5678"), "VARBINARY(32) AS (AES_ENCRYPT(a, 'key')) STORED", EncoderOptions{}, "fe245081482c81188d545e2462d203fb", true},
		{"aes ecb with iv", "VARCHAR(10)", str("text"), "VARBINARY(32) AS (AES_ENCRYPT(a, 'key', 'ignored')) STORED", EncoderOptions{BlockEncryptionMode: "aes-128-ecb"}, "15e36637363712fc2e699b9c95b75393", true},
		{"aes 256 cbc", "VARCHAR(10)", str("1234.5678"), "VARBINARY(32) AS (AES_ENCRYPT(a, 'key', UNHEX('6ad8402ba6610f04d3ec5c9875489a7bc8e259c5'))) STORED", EncoderOptions{BlockEncryptionMode: "aes-256-cbc"}, "a876b03cfc8af93d22d19e2220bd2375", true},
		// FROM_UNIXTIME(1447430881) = '2015-11-13 10:08:01' (manual, -06:00).
		{"from_unixtime", "BIGINT", num("1447430881"), "VARCHAR(20) AS (FROM_UNIXTIME(a)) STORED", EncoderOptions{TimeZone: minus6}, "2015-11-13 10:08:01", false},
		{"from_unixtime acceptance", "INT", num("0"), "VARCHAR(20) AS (FROM_UNIXTIME(1)) STORED", EncoderOptions{TimeZone: minus8}, "1969-12-31 16:00:01", false},
		{"from_unixtime fraction", "INT", num("0"), "DATETIME(6) AS (FROM_UNIXTIME(1447430881.012)) STORED", EncoderOptions{TimeZone: time.UTC}, "2015-11-13 16:08:01.012000", false},
		{"from_unixtime negative", "BIGINT", num("-1"), "VARCHAR(20) AS (FROM_UNIXTIME(a)) STORED", EncoderOptions{}, "NULL", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := genValue(t, c.aType, c.a, c.gDef, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			got := datumText(&d)
			if c.wantHex {
				got = hex.EncodeToString(d.GetBytes())
			}
			if got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

// TestGeneratedFunctionRefusals: what the evaluator cannot reproduce fails
// (at plan time or for the row), never stores a guess.
func TestGeneratedFunctionRefusals(t *testing.T) {
	rowErrors := []struct{ aType, gDef string }{
		{"INT", "DECIMAL(10,4) AS (a / 3) STORED"},                            // non-terminating quotient
		{"INT", "BIGINT AS (POW(a, 0.5)) STORED"},                             // fractional DOUBLE into an integer
		{"INT", "DOUBLE AS (POW(a, 100000)) STORED"},                          // overflow
		{"INT", "VARBINARY(32) AS (AES_ENCRYPT('x', 'key', 'short')) STORED"}, // CBC IV under 16 bytes
	}
	two := 2
	if _, err := genValue(t, "INT", num("9"), "VARCHAR(20) AS (a / 16) STORED", EncoderOptions{DivPrecisionIncrement: &two}); err == nil {
		t.Error("9/16 at div_precision_increment 2 does not terminate within scale 2: must fail")
	}
	for _, c := range rowErrors {
		_, err := genValue(t, c.aType, num("2"), c.gDef, EncoderOptions{BlockEncryptionMode: "aes-128-cbc"})
		if err == nil {
			t.Errorf("%s: must fail", c.gDef)
		}
	}
	planErrors := []struct {
		gDef string
		opts EncoderOptions
	}{
		{"VARBINARY(32) AS (AES_ENCRYPT('x', 'key')) STORED", EncoderOptions{BlockEncryptionMode: "aes-256-cbc"}},
		{"VARBINARY(32) AS (AES_ENCRYPT('x', 'key', '1234567890123456')) STORED", EncoderOptions{BlockEncryptionMode: "aes-128-cfb8"}},
		{"VARCHAR(20) AS (FROM_UNIXTIME(a, '%Y')) STORED", EncoderOptions{}},
		{"VARCHAR(20) AS (JSON_OBJECT('a', 1)) STORED", EncoderOptions{}},
		{"JSON AS (JSON_OBJECT('a', 1.5)) STORED", EncoderOptions{}},
		{"JSON AS (JSON_OBJECT('a')) STORED", EncoderOptions{}},
		{"VARCHAR(20) AS (REPEAT('a', 1.5)) STORED", EncoderOptions{}},
		{"BIGINT AS (FROM_UNIXTIME(a)) STORED", EncoderOptions{}},
		{"DATE AS (a / 2) STORED", EncoderOptions{}},
		{"VARCHAR(20) AS (POW(a, 2)) STORED", EncoderOptions{}},
	}
	for _, c := range planErrors {
		tbl := mustTable(t, "CREATE TABLE t (a INT, g "+c.gDef+")", 1)
		if _, err := NewEncoder(tbl, c.opts); err == nil {
			t.Errorf("%s: must be refused at plan time", c.gDef)
		}
	}
}

// TestGeneratedVariousTypes is gencol.various_types of the acceptance case
// lightning_generated_columns, with its session settings (time_zone
// -08:00, block_encryption_mode aes-256-cbc) and expected values.
func TestGeneratedVariousTypes(t *testing.T) {
	tbl := mustTable(t, "create table various_types ("+
		"int64 bigint as (1 + 2) stored,"+
		"uint64 bigint unsigned as (pow(7, 8)) stored,"+
		"float32 float as (9 / 16) stored,"+
		"float64 double as (5e222) stored,"+
		"string text as (sha1(repeat('x', uint64))) stored,"+
		"bytes blob as (unhex(string)) stored,"+
		"`decimal` decimal(8, 4) as (1234.5678) stored,"+
		"duration time as ('1:2:3') stored,"+
		"enum enum('a','b','c') as ('c') stored,"+
		"bit bit(4) as (int64) stored,"+
		"`set` set('a','b','c') as (enum) stored,"+
		"time timestamp(3) as ('1987-06-05 04:03:02.100') stored,"+
		"json json as (json_object(string, float32)) stored,"+
		"aes blob as (aes_encrypt(`decimal`, 'key', bytes)) stored,"+
		"tz varchar(20) as (from_unixtime(1)) stored)", 1)
	loc := time.FixedZone("-08:00", -8*3600)
	enc, err := NewEncoder(tbl, EncoderOptions{TimeZone: loc, BlockEncryptionMode: "aes-256-cbc"})
	if err != nil {
		t.Fatal(err)
	}
	var p Pairs
	if err := enc.EncodeFields(nil, nil, 1, &p); err != nil {
		t.Fatal(err)
	}
	if p.Len() != 1 {
		t.Fatalf("%d pairs", p.Len())
	}
	row, err := NewDecoder(tbl, loc, true).DecodeRecord(p.Key(0), p.Value(0))
	if err != nil {
		t.Fatal(err)
	}
	v := row.Values
	bit, _ := v[9].GetMysqlBitUint64()
	got := []string{
		datumText(&v[0]), tidbtypes.NewUintDatum(v[1].GetUint64()).String(), tidbtypes.NewFloat64Datum(float64(v[2].GetFloat32())).String(),
		tidbtypes.NewFloat64Datum(v[3].GetFloat64()).String(), string(v[4].GetBytes()), strings.ToUpper(hex.EncodeToString(v[5].GetBytes())),
		datumText(&v[6]), v[7].GetDuration().String(), v[8].GetEnum().Name, tidbtypes.NewUintDatum(bit).String(), v[10].GetSet().Name,
		datumText(&v[11]), datumText(&v[12]), strings.ToUpper(hex.EncodeToString(v[13].GetBytes())), string(v[14].GetBytes()),
	}
	want := []string{"3", "5764801", "0.5625", "5e+222", "6ad8402ba6610f04d3ec5c9875489a7bc8e259c5", "6AD8402BA6610F04D3EC5C9875489A7BC8E259C5",
		"1234.5678", "01:02:03", "c", "3", "c", "1987-06-05 04:03:02.100", `{"6ad8402ba6610f04d3ec5c9875489a7bc8e259c5": 0.5625}`,
		"A876B03CFC8AF93D22D19E2220BD2375", "1969-12-31 16:00:01"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("column %s: got %q, want %q", tbl.Columns[i].Name, got[i], want[i])
		}
	}
}
