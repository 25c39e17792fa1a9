package tidbtypes

import (
	"testing"

	"github.com/tempestdb/tempest/internal/parser"
)

func benchConvert(b *testing.B, ft *FieldType, kind parser.Kind, vals []string) {
	fields := make([]parser.Field, len(vals))
	n := 0
	for i, v := range vals {
		fields[i] = parser.Field{Kind: kind, Bytes: []byte(v)}
		n += len(v)
	}
	sc, _ := NewStmtContext("STRICT_TRANS_TABLES", nil)
	b.ReportAllocs()
	b.SetBytes(int64(n / len(vals)))
	var d Datum
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := ConvertInto(&d, &fields[i%len(fields)], "c", ft, sc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkConvertInt(b *testing.B) {
	benchConvert(b, bigint, parser.KindNumber, []string{"1", "-42", "1234567890", "9223372036854775807"})
}

func BenchmarkConvertIntFromString(b *testing.B) {
	benchConvert(b, intT, parser.KindString, []string{"1", "-42", "123456789", "77"})
}

func BenchmarkConvertDecimal(b *testing.B) {
	benchConvert(b, mkFT(TypeNewDecimal, 15, 4, 0), parser.KindNumber, []string{"1.5", "-12345.6789", "99999999999.9999", "0.0001"})
}

func BenchmarkConvertDatetime(b *testing.B) {
	benchConvert(b, datetime6, parser.KindString, []string{"2021-01-02 03:04:05", "1987-06-05 04:03:02.100", "2011-11-10 11:11:11.999999"})
}

func BenchmarkConvertTimestamp(b *testing.B) {
	benchConvert(b, tsT, parser.KindString, []string{"2021-01-02 03:04:05", "2001-06-05 04:03:02"})
}

func BenchmarkConvertString(b *testing.B) {
	benchConvert(b, mkFT(TypeVarchar, 64, 0, 0), parser.KindString, []string{"hello world", "55dc0343-db6a-4208-9872-9096305b8c07", "日本語テキスト"})
}

func BenchmarkConvertDouble(b *testing.B) {
	benchConvert(b, doubleT, parser.KindNumber, []string{"1.5", "5e222", "-0.000123"})
}

func BenchmarkConvertJSON(b *testing.B) {
	benchConvert(b, jsonT, parser.KindString, []string{`{"a": 1, "b": [1, 2, 3], "c": "str"}`})
}

func BenchmarkDecimalWriteBin(b *testing.B) {
	var d MyDecimal
	_ = d.FromString([]byte("-12345.6789"))
	buf := make([]byte, 0, 32)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf, _ = d.WriteBin(15, 4, buf[:0])
	}
}
