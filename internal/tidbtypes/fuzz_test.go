package tidbtypes

import (
	"testing"
	"unicode/utf8"

	"github.com/tempestdb/tempest/internal/parser"
)

var fuzzTypes = []*FieldType{
	tinyint, utinyint, smallint, medint, intT, uintT, bigint, ubigint,
	floatT, doubleT, double52, float52, udouble,
	dec64, dec102, dec211, udec, decDef, mkFT(TypeNewDecimal, 65, 30, 0),
	dateT, datetimeT, datetime6, datetime3, tsT, ts3, timeT, time3, yearT,
	char3, varchar3, varchar1L1, binary4, varbinary3, tinytext, ci3,
	enumT, enumCI, setT, setCI, bit2, bit64, jsonT, notNullInt, notNullTS,
}

// FuzzConvert checks that Convert never panics and that every value it
// accepts is storable: decimals fit their column, strings their length,
// times are in range and JSON renders.
func FuzzConvert(f *testing.F) {
	seeds := []string{"1", "-1", "1.5e3", "abc", "2021-01-02 03:04:05.123456", "12:34:56", `{"a":[1,2]}`,
		"99999999999999999999999999999", "0000-00-00", "x,y", "1e-400", "", " ", "-.5e+3"}
	for _, s := range seeds {
		for k := uint8(0); k < 7; k++ {
			f.Add([]byte(s), k, uint8(k*7), k%2 == 0)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, kind uint8, tpIdx uint8, strict bool) {
		ft := fuzzTypes[int(tpIdx)%len(fuzzTypes)]
		mode := "ALLOW_INVALID_DATES"
		if strict {
			mode = "STRICT_ALL_TABLES,NO_ZERO_IN_DATE"
		}
		sc, _ := NewStmtContext(mode, nil)
		fld := parser.Field{Kind: parser.Kind(kind % 7), Bytes: data}
		d, err := Convert(fld, ft, sc)
		if err != nil {
			_ = err.Error()
			return
		}
		_ = d.String()
		switch d.Kind() {
		case KindDecimal:
			if _, err := d.GetDecimal().WriteBin(d.Length(), d.Frac(), nil); err != nil {
				t.Fatalf("decimal %s does not fit (%d,%d): %v", d.GetDecimal(), d.Length(), d.Frac(), err)
			}
		case KindString:
			if ft.Flen >= 0 && !countsBytes(ft) && IsStringType(ft.Tp) && ft.Tp != TypeTinyBlob &&
				utf8.RuneCount(d.GetBytes()) > ft.Flen {
				t.Fatalf("string %q longer than %d", d.GetBytes(), ft.Flen)
			}
		case KindTime:
			if d.GetTime().Year() > 9999 {
				t.Fatalf("year %d", d.GetTime().Year())
			}
		case KindDuration:
			if v := d.GetDuration().Duration; v > MaxDuration || v < -MaxDuration {
				t.Fatalf("duration %v", v)
			}
		case KindJSON:
			if _, err := d.GetJSON().MarshalJSON(); err != nil {
				t.Fatalf("json %x: %v", d.GetBytes(), err)
			}
		}
	})
}

// FuzzDecimal checks FromString/WriteBin/FromBin round trips.
func FuzzDecimal(f *testing.F) {
	for _, s := range []string{"0", "-1.5", "1e30", "123456789012345678901234567890.123", "  7x", ".", "9e-40"} {
		f.Add([]byte(s), uint8(20), uint8(5))
	}
	f.Fuzz(func(t *testing.T, data []byte, p, fr uint8) {
		var d MyDecimal
		_ = d.FromString(data)
		prec := int(p)%65 + 1
		frac := int(fr) % 31
		if frac > prec {
			frac = prec
		}
		_ = d.String()
		if err := d.Round(frac); err != nil {
			return
		}
		b, err := d.WriteBin(prec, frac, nil)
		if err != nil {
			return
		}
		var back MyDecimal
		if _, err := back.FromBin(b, prec, frac); err != nil {
			t.Fatalf("FromBin(%x): %v", b, err)
		}
		if back.Compare(&d) != 0 {
			t.Fatalf("%s -> %x -> %s", d.String(), b, back.String())
		}
	})
}

// FuzzJSON checks that parsing never panics and that the text form of any
// accepted document parses back to identical binary bytes.
func FuzzJSON(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5,"x",null,true]}`, `"\u00e9"`, `[[]]`, `{"b":1,"a":{"c":-0.0}}`, `1e308`, `"\ud800"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		j, err := ParseBinaryJSON(data, nil)
		if err != nil {
			return
		}
		text, err := j.MarshalJSON()
		if err != nil {
			t.Fatalf("marshal %q: %v", data, err)
		}
		j2, err := ParseBinaryJSON(text, nil)
		if err != nil {
			t.Fatalf("reparse %q (from %q): %v", text, data, err)
		}
		if j2.TypeCode != j.TypeCode || string(j2.Value) != string(j.Value) {
			t.Fatalf("round trip %q -> %q differs", data, text)
		}
	})
}
