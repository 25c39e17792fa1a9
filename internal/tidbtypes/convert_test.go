package tidbtypes

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tempestdb/tempest/internal/parser"
)

func mkFT(tp byte, flen, dec int, flag uint32) *FieldType {
	return &FieldType{Tp: tp, Flen: flen, Decimal: dec, Flag: flag, Charset: "utf8mb4", Collate: "utf8mb4_bin"}
}

func withCharset(ft *FieldType, cs, coll string) *FieldType {
	ft.Charset, ft.Collate = cs, coll
	return ft
}

func withElems(ft *FieldType, elems ...string) *FieldType {
	ft.Elems = elems
	return ft
}

const (
	S = parser.KindString
	N = parser.KindNumber
	H = parser.KindHex
	B = parser.KindBits
	T = parser.KindBool
	Z = parser.KindNull
)

// convCase: in non-strict mode the value must be want and the warning code
// warn (0 = none). In strict mode a case with warn != 0 must fail with that
// code and a case without must give the same value. hard marks errors that
// happen in every mode (want ignored).
type convCase struct {
	ft   *FieldType
	kind parser.Kind
	in   string
	want string
	warn int
	mode string // extra sql_mode flags for both runs
	hard int
}

func runConvCases(t *testing.T, cases []convCase) {
	t.Helper()
	for i, c := range cases {
		for _, strict := range []bool{false, true} {
			mode := c.mode
			if strict {
				if mode != "" {
					mode += ","
				}
				mode += "STRICT_TRANS_TABLES"
			}
			sc, err := NewStmtContext(mode, nil)
			if err != nil {
				t.Fatal(err)
			}
			f := parser.Field{Kind: c.kind, Bytes: []byte(c.in)}
			if c.kind == Z {
				f.Bytes = nil
			}
			if c.kind == H || c.kind == B {
				f.Bytes = hexBytes(t, c.in)
			}
			d, err := ConvertColumn(f, "c", c.ft, sc)
			name := TypeName(c.ft.Tp) + "<-" + c.kind.String() + ":" + c.in
			if c.mode != "" {
				name += " [" + c.mode + "]"
			}
			if c.hard != 0 {
				var ce *ConvertError
				if !errors.As(err, &ce) || ce.Code != c.hard {
					t.Errorf("#%d %s strict=%v: want hard error %d, got %v (%v)", i, name, strict, c.hard, err, d)
				}
				continue
			}
			if strict && c.warn != 0 {
				var ce *ConvertError
				if !errors.As(err, &ce) || ce.Code != c.warn {
					t.Errorf("#%d %s strict: want error %d, got err=%v value=%v", i, name, c.warn, err, d)
				}
				continue
			}
			if err != nil {
				t.Errorf("#%d %s strict=%v: unexpected error %v", i, name, strict, err)
				continue
			}
			if got := d.String(); got != c.want {
				t.Errorf("#%d %s strict=%v: got %q (%s), want %q", i, name, strict, got, d.Kind(), c.want)
			}
			gotWarn := 0
			if len(sc.Warnings) > 0 {
				gotWarn = sc.Warnings[0].Code
			}
			if !strict && gotWarn != c.warn {
				t.Errorf("#%d %s: warning %d, want %d (%v)", i, name, gotWarn, c.warn, sc.Warnings)
			}
		}
	}
}

func hexBytes(t *testing.T, s string) []byte {
	var out []byte
	if len(s)%2 == 1 {
		s = "0" + s
	}
	for i := 0; i+1 < len(s); i += 2 {
		var v byte
		for _, c := range s[i : i+2] {
			v <<= 4
			switch {
			case c >= '0' && c <= '9':
				v |= byte(c - '0')
			case c >= 'a' && c <= 'f':
				v |= byte(c-'a') + 10
			case c >= 'A' && c <= 'F':
				v |= byte(c-'A') + 10
			default:
				t.Fatalf("bad hex %q", s)
			}
		}
		out = append(out, v)
	}
	return out
}

var (
	tinyint    = mkFT(TypeTiny, 4, 0, 0)
	utinyint   = mkFT(TypeTiny, 3, 0, UnsignedFlag)
	smallint   = mkFT(TypeShort, 6, 0, 0)
	usmallint  = mkFT(TypeShort, 5, 0, UnsignedFlag)
	medint     = mkFT(TypeInt24, 9, 0, 0)
	intT       = mkFT(TypeLong, 11, 0, 0)
	uintT      = mkFT(TypeLong, 10, 0, UnsignedFlag)
	bigint     = mkFT(TypeLonglong, 20, 0, 0)
	ubigint    = mkFT(TypeLonglong, 20, 0, UnsignedFlag)
	notNullInt = mkFT(TypeLong, 11, 0, NotNullFlag)
)

func TestConvertInt(t *testing.T) {
	runConvCases(t, []convCase{
		{tinyint, N, "1", "1", 0, "", 0},
		{tinyint, N, "127", "127", 0, "", 0},
		{tinyint, N, "128", "127", 1264, "", 0},
		{tinyint, N, "10000000", "127", 1264, "", 0},
		{tinyint, N, "-128", "-128", 0, "", 0},
		{tinyint, N, "-99999", "-128", 1264, "", 0},
		{tinyint, N, "99.999", "100", 0, "", 0},
		{tinyint, N, "1.5", "2", 0, "", 0},
		{tinyint, N, "-1.5", "-2", 0, "", 0},
		{tinyint, N, "1.4", "1", 0, "", 0},
		{tinyint, N, "1.5e1", "15", 0, "", 0},
		{tinyint, N, "1e10", "127", 1264, "", 0},
		{tinyint, S, "NaN", "0", 1366, "", 0},
		{tinyint, S, "abc", "0", 1366, "", 0},
		{tinyint, S, "", "0", 1366, "", 0},
		{tinyint, S, "12abc", "12", 1366, "", 0},
		{tinyint, S, " 12 ", "12", 0, "", 0},
		{tinyint, S, "+12", "12", 0, "", 0},
		{tinyint, S, "-0", "0", 0, "", 0},
		{tinyint, S, "99.999", "100", 0, "", 0},
		{tinyint, S, "1e2", "100", 0, "", 0},
		{tinyint, S, "0x10", "0", 1366, "", 0},
		{tinyint, S, ".5", "1", 0, "", 0},
		{tinyint, T, "1", "1", 0, "", 0},
		{tinyint, H, "7f", "127", 0, "", 0},
		{tinyint, H, "80", "127", 1264, "", 0},
		{tinyint, B, "01", "1", 0, "", 0},
		{utinyint, N, "255", "255", 0, "", 0},
		{utinyint, N, "256", "255", 1264, "", 0},
		{utinyint, N, "-1", "0", 1264, "", 0},
		{utinyint, S, "-1", "0", 1264, "", 0},
		{utinyint, S, "-0.4", "0", 0, "", 0},
		{smallint, N, "32767", "32767", 0, "", 0},
		{smallint, N, "32768", "32767", 1264, "", 0},
		{smallint, N, "-32769", "-32768", 1264, "", 0},
		{usmallint, N, "65535", "65535", 0, "", 0},
		{usmallint, N, "65536", "65535", 1264, "", 0},
		{medint, N, "8388607", "8388607", 0, "", 0},
		{medint, N, "8388608", "8388607", 1264, "", 0},
		{medint, N, "-8388609", "-8388608", 1264, "", 0},
		{intT, N, "2147483647", "2147483647", 0, "", 0},
		{intT, N, "2147483648", "2147483647", 1264, "", 0},
		{intT, S, "-2147483649", "-2147483648", 1264, "", 0},
		{uintT, N, "4294967295", "4294967295", 0, "", 0},
		{uintT, N, "4294967296", "4294967295", 1264, "", 0},
		{bigint, N, "9223372036854775807", "9223372036854775807", 0, "", 0},
		{bigint, N, "-9223372036854775808", "-9223372036854775808", 0, "", 0},
		{bigint, N, "-9223372036854775806", "-9223372036854775806", 0, "", 0},
		{bigint, N, "9223372036854775808", "9223372036854775807", 1264, "", 0},
		{bigint, N, "-9223372036854775809", "-9223372036854775808", 1264, "", 0},
		{bigint, N, "99999999999999999999999", "9223372036854775807", 1264, "", 0},
		{bigint, S, "1e100", "9223372036854775807", 1264, "", 0},
		{ubigint, N, "18446744073709551615", "18446744073709551615", 0, "", 0},
		{ubigint, N, "18446744073709551614", "18446744073709551614", 0, "", 0},
		{ubigint, N, "18446744073709551616", "18446744073709551615", 1264, "", 0},
		{ubigint, H, "ffffffffffffffff", "18446744073709551615", 0, "", 0},
		{ubigint, H, "01ffffffffffffffff", "18446744073709551615", 1264, "", 0},
		{intT, Z, "", "NULL", 0, "", 0},
		{notNullInt, Z, "", "0", 1048, "", 0},
	})
}

var (
	floatT   = mkFT(TypeFloat, 12, UnspecifiedLength, 0)
	doubleT  = mkFT(TypeDouble, 22, UnspecifiedLength, 0)
	double52 = mkFT(TypeDouble, 5, 2, 0)
	float52  = mkFT(TypeFloat, 5, 2, 0)
	udouble  = mkFT(TypeDouble, 22, UnspecifiedLength, UnsignedFlag)
)

func TestConvertFloat(t *testing.T) {
	runConvCases(t, []convCase{
		{doubleT, N, "1.5", "1.5", 0, "", 0},
		{doubleT, N, "5e222", "5e+222", 0, "", 0},
		{doubleT, N, "-1e-300", "-1e-300", 0, "", 0},
		{doubleT, S, "1.0142320547350045e304", "1.0142320547350045e+304", 0, "", 0},
		{doubleT, S, "1e400", "1.7976931348623157e+308", 1264, "", 0},
		{doubleT, S, "-1e400", "-1.7976931348623157e+308", 1264, "", 0},
		{doubleT, S, "abc", "0", 1366, "", 0},
		{doubleT, S, "NaN", "0", 1366, "", 0},
		{doubleT, S, "inf", "0", 1366, "", 0},
		{doubleT, S, "1.5x", "1.5", 1366, "", 0},
		{doubleT, S, "  2.25  ", "2.25", 0, "", 0},
		{doubleT, N, "18446744073709551615", "1.8446744073709552e+19", 0, "", 0},
		{doubleT, H, "0a", "10", 0, "", 0},
		{floatT, N, "0.5625", "0.5625", 0, "", 0},
		{floatT, N, "0.1", "0.1", 0, "", 0},
		{floatT, S, "3.4e38", "3.4e+38", 0, "", 0},
		{floatT, S, "3.5e38", "3.4028235e+38", 1264, "", 0},
		{double52, N, "1.234", "1.23", 0, "", 0},
		{double52, N, "1.235", "1.24", 0, "", 0},
		{double52, N, "999.99", "999.99", 0, "", 0},
		{double52, N, "999.995", "999.99", 1264, "", 0},
		{double52, N, "-1000", "-999.99", 1264, "", 0},
		{float52, N, "12.345", "12.35", 0, "", 0},
		{udouble, N, "-1", "0", 1264, "", 0},
		{udouble, N, "1", "1", 0, "", 0},
	})
}

var (
	dec64  = mkFT(TypeNewDecimal, 6, 4, 0)
	dec102 = mkFT(TypeNewDecimal, 10, 2, 0)
	dec200 = mkFT(TypeNewDecimal, 20, 0, 0)
	dec211 = mkFT(TypeNewDecimal, 21, 1, 0)
	udec   = mkFT(TypeNewDecimal, 5, 2, UnsignedFlag)
	decDef = mkFT(TypeNewDecimal, UnspecifiedLength, UnspecifiedLength, 0)
)

func TestConvertDecimal(t *testing.T) {
	runConvCases(t, []convCase{
		{dec64, N, "99.9912", "99.9912", 0, "", 0},
		{dec64, N, "-99.999", "-99.9990", 0, "", 0},
		{dec64, S, "11.99", "11.9900", 0, "", 0},
		{dec64, N, "1.23456", "1.2346", 0, "", 0},
		{dec64, N, "-1.23455", "-1.2346", 0, "", 0},
		{dec64, N, "100", "99.9999", 1264, "", 0},
		{dec64, N, "99.99995", "99.9999", 1264, "", 0},
		{dec64, N, "-100", "-99.9999", 1264, "", 0},
		{dec64, N, "0", "0.0000", 0, "", 0},
		{dec64, N, "1e1", "10.0000", 0, "", 0},
		{dec64, S, "abc", "0.0000", 1366, "", 0},
		{dec64, S, "1.5abc", "1.5000", 1366, "", 0},
		{dec64, S, " 1.5 ", "1.5000", 0, "", 0},
		{dec64, H, "0a", "10.0000", 0, "", 0},
		{dec102, N, "123.45", "123.45", 0, "", 0},
		{dec102, N, "12345678.994", "12345678.99", 0, "", 0},
		{dec102, N, "99999999.995", "99999999.99", 1264, "", 0},
		{dec200, N, "99999999999999999999", "99999999999999999999", 0, "", 0},
		{dec211, S, "99999999999999999999.0", "99999999999999999999.0", 0, "", 0},
		{dec211, N, "1e30", "99999999999999999999.9", 1264, "", 0},
		{udec, N, "-1", "0.00", 1264, "", 0},
		{udec, N, "1.005", "1.01", 0, "", 0},
		{decDef, N, "1234567890.5", "1234567891", 0, "", 0},
		{decDef, N, "12345678901", "9999999999", 1264, "", 0},
	})
}

var (
	dateT     = mkFT(TypeDate, 10, 0, 0)
	datetimeT = mkFT(TypeDatetime, 19, 0, 0)
	datetime6 = mkFT(TypeDatetime, 26, 6, 0)
	datetime3 = mkFT(TypeDatetime, 23, 3, 0)
	tsT       = mkFT(TypeTimestamp, 19, 0, 0)
	ts3       = mkFT(TypeTimestamp, 23, 3, 0)
	notNullTS = mkFT(TypeTimestamp, 19, 0, NotNullFlag)
)

func TestConvertTime(t *testing.T) {
	runConvCases(t, []convCase{
		{datetimeT, S, "2021-01-02 03:04:05", "2021-01-02 03:04:05", 0, "", 0},
		{datetimeT, S, "2021-1-2 3:4:5", "2021-01-02 03:04:05", 0, "", 0},
		{datetimeT, S, "2021/01/02 03.04.05", "2021-01-02 03:04:05", 0, "", 0},
		{datetimeT, S, "2021-01-02T03:04:05", "2021-01-02 03:04:05", 0, "", 0},
		{datetimeT, S, "2021-01-02", "2021-01-02 00:00:00", 0, "", 0},
		{datetimeT, S, "2021-01-02 03:04", "2021-01-02 03:04:00", 0, "", 0},
		{datetimeT, S, "20210102030405", "2021-01-02 03:04:05", 0, "", 0},
		{datetimeT, S, "210102030405", "2021-01-02 03:04:05", 0, "", 0},
		{datetimeT, S, "20210102", "2021-01-02 00:00:00", 0, "", 0},
		{datetimeT, S, "210102", "2021-01-02 00:00:00", 0, "", 0},
		{datetimeT, S, "991231", "1999-12-31 00:00:00", 0, "", 0},
		{datetimeT, S, "70-01-01", "1970-01-01 00:00:00", 0, "", 0},
		{datetimeT, S, "69-12-31 23:59:59", "2069-12-31 23:59:59", 0, "", 0},
		{datetimeT, S, "2021-01-02 03:04:05.5", "2021-01-02 03:04:06", 0, "", 0},
		{datetimeT, S, "2021-12-31 23:59:59.5", "2022-01-01 00:00:00", 0, "", 0},
		{datetimeT, S, "9999-12-31 23:59:59.5", "0000-00-00 00:00:00", 1292, "", 0},
		{datetimeT, S, "0000-00-00 00:00:00", "0000-00-00 00:00:00", 0, "", 0},
		{datetimeT, S, "0000-00-00", "0000-00-00 00:00:00", 0, "", 0},
		{datetimeT, S, "2000-00-00 00:00:00", "2000-00-00 00:00:00", 0, "", 0},
		{datetimeT, S, "2000-02-30", "0000-00-00 00:00:00", 1292, "", 0},
		{datetimeT, S, "2000-02-30", "2000-02-30 00:00:00", 0, "ALLOW_INVALID_DATES", 0},
		{datetimeT, S, "2001-02-29", "0000-00-00 00:00:00", 1292, "", 0},
		{datetimeT, S, "2000-02-29", "2000-02-29 00:00:00", 0, "", 0},
		{datetimeT, S, "2000-13-01", "0000-00-00 00:00:00", 1292, "", 0},
		{datetimeT, S, "2000-01-01 24:00:00", "0000-00-00 00:00:00", 1292, "", 0},
		{datetimeT, S, "2000-01-01 12:60:00", "0000-00-00 00:00:00", 1292, "", 0},
		{datetimeT, S, "", "0000-00-00 00:00:00", 1292, "", 0},
		{datetimeT, S, "garbage", "0000-00-00 00:00:00", 1292, "", 0},
		{datetimeT, S, "2021-01-02 03:04:05xyz", "0000-00-00 00:00:00", 1292, "", 0},
		{datetimeT, S, "0000-00-00", "0000-00-00 00:00:00", 1292, "NO_ZERO_DATE", 0},
		{datetimeT, S, "2000-00-01", "0000-00-00 00:00:00", 1292, "NO_ZERO_IN_DATE", 0},
		{datetimeT, S, "2000-01-01 00:00:00+08:00", "1999-12-31 16:00:00", 0, "", 0},
		{datetimeT, S, "2000-01-01 00:00:00Z", "2000-01-01 00:00:00", 0, "", 0},
		{datetime6, S, "1987-06-05 04:03:02.1", "1987-06-05 04:03:02.100000", 0, "", 0},
		{datetime6, S, "2011-11-10 11:11:11.999999", "2011-11-10 11:11:11.999999", 0, "", 0},
		{datetime6, S, "2011-11-10 11:11:11.9999995", "2011-11-10 11:11:12.000000", 0, "", 0},
		{datetime6, S, "20111110111111.123", "2011-11-10 11:11:11.123000", 0, "", 0},
		{datetime3, S, "2011-11-10 11:11:11.1235", "2011-11-10 11:11:11.124", 0, "", 0},
		{datetime3, S, "2011-11-10 11:11:11.1234", "2011-11-10 11:11:11.123", 0, "", 0},
		{datetime3, S, "2011-11-10 11:11:11.1235", "2011-11-10 11:11:11.123", 0, "TIME_TRUNCATE_FRACTIONAL", 0},
		{dateT, S, "2021-01-02", "2021-01-02", 0, "", 0},
		{dateT, S, "2021-01-02 12:34:56", "2021-01-02", 0, "", 0},
		{dateT, S, "20210102", "2021-01-02", 0, "", 0},
		{dateT, S, "2021-02-31", "0000-00-00", 1292, "", 0},
		{dateT, N, "20210102", "0000-00-00", 8210, "", 0},
		{dateT, N, "20210102.5", "2021-01-02", 0, "", 0},
		{datetimeT, N, "20210102030405.0", "2021-01-02 03:04:05", 0, "", 0},
		{datetimeT, N, "-1", "0000-00-00 00:00:00", 1292, "", 0},
		{tsT, S, "2000-01-01 00:00:00", "2000-01-01 00:00:00", 0, "", 0},
		{tsT, S, "1970-01-01 00:00:01", "1970-01-01 00:00:01", 0, "", 0},
		{tsT, S, "1970-01-01 00:00:00", "0000-00-00 00:00:00", 1292, "", 0},
		{tsT, S, "2038-01-19 03:14:07", "2038-01-19 03:14:07", 0, "", 0},
		{tsT, S, "2038-01-19 03:14:08", "0000-00-00 00:00:00", 1292, "", 0},
		{tsT, S, "9999-12-31 23:59:59", "0000-00-00 00:00:00", 1292, "ALLOW_INVALID_DATES", 0},
		{tsT, S, "2000-00-00 00:00:00", "0000-00-00 00:00:00", 1292, "ALLOW_INVALID_DATES", 0},
		{tsT, S, "2000-02-30 00:00:00", "0000-00-00 00:00:00", 1292, "ALLOW_INVALID_DATES", 0},
		{tsT, S, "0000-00-00 00:00:00", "0000-00-00 00:00:00", 0, "", 0},
		{tsT, N, "9", "0000-00-00 00:00:00", 8210, "ALLOW_INVALID_DATES", 0},
		{ts3, S, "2036-10-14 10:48:28.620", "2036-10-14 10:48:28.620", 0, "", 0},
		{notNullTS, Z, "", "0000-00-00 00:00:00", 1048, "", 0},
	})
}

func TestConvertTimestampZone(t *testing.T) {
	loc := time.FixedZone("+08", 8*3600)
	sc := &StmtContext{TimeZone: loc}
	// 1970-01-01 08:00:00 +08:00 is Unix 0: outside the TIMESTAMP range.
	d, err := Convert(parser.Field{Kind: S, Bytes: []byte("1970-01-01 08:00:00")}, tsT, sc)
	if err != nil || d.String() != "0000-00-00 00:00:00" || sc.WarningCount != 1 {
		t.Fatalf("got %v %v warnings=%d", d, err, sc.WarningCount)
	}
	sc.ResetWarnings()
	d, err = Convert(parser.Field{Kind: S, Bytes: []byte("1970-01-01 08:00:01")}, tsT, sc)
	if err != nil || d.String() != "1970-01-01 08:00:01" || sc.WarningCount != 0 {
		t.Fatalf("got %v %v warnings=%d", d, err, sc.WarningCount)
	}
	// Explicit offset converts into the session zone.
	d, err = Convert(parser.Field{Kind: S, Bytes: []byte("2000-01-01 00:00:00+00:00")}, tsT, sc)
	if err != nil || d.String() != "2000-01-01 08:00:00" {
		t.Fatalf("got %v %v", d, err)
	}
	got := d.GetTime().ConvertTimeZone(loc, time.UTC)
	if got.String() != "2000-01-01 00:00:00" {
		t.Fatalf("utc %v", got)
	}
}

var (
	timeT = mkFT(TypeDuration, 10, 0, 0)
	time3 = mkFT(TypeDuration, 14, 3, 0)
	yearT = mkFT(TypeYear, 4, 0, UnsignedFlag|ZerofillFlag)
)

func TestConvertDurationYear(t *testing.T) {
	runConvCases(t, []convCase{
		{timeT, S, "12:34:56", "12:34:56", 0, "", 0},
		{timeT, S, "-12:34:56", "-12:34:56", 0, "", 0},
		{timeT, S, "1:2:3", "01:02:03", 0, "", 0},
		{timeT, S, "12:34", "12:34:00", 0, "", 0},
		{timeT, S, "838:59:59", "838:59:59", 0, "", 0},
		{timeT, S, "839:00:00", "838:59:59", 1292, "", 0},
		{timeT, S, "-839:00:00", "-838:59:59", 1292, "", 0},
		{timeT, S, "1 02:03:04", "26:03:04", 0, "", 0},
		{timeT, S, "2 3", "51:00:00", 0, "", 0},
		{timeT, S, "123456", "12:34:56", 0, "", 0},
		{timeT, S, "1234", "00:12:34", 0, "", 0},
		{timeT, S, "12", "00:00:12", 0, "", 0},
		{timeT, S, "12:60:00", "00:00:00", 1292, "", 0},
		{timeT, S, "abc", "00:00:00", 1292, "", 0},
		{timeT, S, "2021-01-02 03:04:05", "03:04:05", 0, "", 0},
		{timeT, S, "01:02:03.5", "01:02:04", 0, "", 0},
		{time3, S, "01:02:03.4567", "01:02:03.457", 0, "", 0},
		{timeT, N, "10203", "01:02:03", 0, "", 0},
		{timeT, N, "-10203", "-01:02:03", 0, "", 0},
		{time3, N, "10203.25", "01:02:03.250", 0, "", 0},
		{timeT, N, "8390000", "838:59:59", 1292, "", 0},
		{timeT, N, "20210102030405", "03:04:05", 0, "", 0},
		{yearT, N, "0", "0", 0, "", 0},
		{yearT, S, "0", "2000", 0, "", 0},
		{yearT, S, "00", "2000", 0, "", 0},
		{yearT, S, "0000", "0", 0, "", 0},
		{yearT, N, "1", "2001", 0, "", 0},
		{yearT, N, "69", "2069", 0, "", 0},
		{yearT, N, "70", "1970", 0, "", 0},
		{yearT, S, "99", "1999", 0, "", 0},
		{yearT, N, "1901", "1901", 0, "", 0},
		{yearT, N, "2155", "2155", 0, "", 0},
		{yearT, N, "2156", "0", 1264, "", 0},
		{yearT, N, "1900", "0", 1264, "", 0},
		{yearT, S, "2020abc", "2020", 1366, "", 0},
		{yearT, N, "2020.4", "2020", 0, "", 0},
	})
}

var (
	char36     = mkFT(TypeString, 36, 0, 0)
	char3      = mkFT(TypeString, 3, 0, 0)
	varchar1L1 = withCharset(mkFT(TypeVarchar, 1, 0, 0), "latin1", "latin1_bin")
	varchar3   = mkFT(TypeVarchar, 3, 0, 0)
	binary4    = withCharset(mkFT(TypeString, 4, 0, BinaryFlag), "binary", "binary")
	varbinary3 = withCharset(mkFT(TypeVarchar, 3, 0, BinaryFlag), "binary", "binary")
	tinytext   = mkFT(TypeTinyBlob, 255, 0, 0)
	ci3        = withCharset(mkFT(TypeVarchar, 3, 0, 0), "utf8mb4", "utf8mb4_general_ci")
)

func TestConvertString(t *testing.T) {
	long := make([]byte, 256)
	for i := range long {
		long[i] = 'a'
	}
	runConvCases(t, []convCase{
		{char36, S, "55dc0343-db6a-4208-9872-9096305b8c07", "55dc0343-db6a-4208-9872-9096305b8c07", 0, "", 0},
		{char3, S, "ab  ", "ab", 0, "", 0},
		{char3, S, "abc      ", "abc", 0, "", 0},
		{char3, S, "abcd", "abc", 1406, "", 0},
		{char3, S, "", "", 0, "", 0},
		{char3, S, "日本語", "日本語", 0, "", 0},
		{char3, S, "日本語x", "日本語", 1406, "", 0},
		{varchar3, S, "ab ", "ab ", 0, "", 0},
		{varchar3, S, "abcd", "abc", 1406, "", 0},
		{varchar3, N, "123", "123", 0, "", 0},
		{varchar3, N, "1234", "123", 1406, "", 0},
		{varchar3, N, "1.5", "1.5", 0, "", 0},
		{varchar3, N, "-12", "-12", 0, "", 0},
		{varchar3, H, "616263", "abc", 0, "", 0},
		{varchar3, T, "1", "1", 0, "", 0},
		{varchar1L1, S, "too long", "t", 1406, "", 0},
		{varchar1L1, S, "\U0001F929", "\xf0", 1406, "", 0},
		{varchar1L1, H, "99", "\x99", 0, "", 0},
		{varchar1L1, S, "", "", 0, "", 0},
		{binary4, S, "ab", "ab\x00\x00", 0, "", 0},
		{binary4, S, "ab  ", "ab  ", 0, "", 0},
		{binary4, H, "0102030405", "\x01\x02\x03\x04", 1406, "", 0},
		{varbinary3, S, "ab ", "ab ", 0, "", 0},
		{varbinary3, S, "abc ", "abc", 1406, "", 0},
		{tinytext, S, string(long[:255]), string(long[:255]), 0, "", 0},
		{tinytext, S, string(long), string(long[:255]), 1406, "", 0},
		{tinytext, S, strings.Repeat("é", 255), strings.Repeat("é", 255), 0, "", 0},
		{tinytext, S, strings.Repeat("é", 256), strings.Repeat("é", 255), 1406, "", 0},
		{mkFT(TypeBlob, UnspecifiedLength, 0, 0), S, "abc", "abc", 0, "", 0},
		{ci3, S, "ABC", "ABC", 0, "", 0},
	})
	// Trailing-space overflow of a VARCHAR is a warning in every mode.
	strict, _ := NewStmtContext("STRICT_ALL_TABLES", nil)
	if d, err := Convert(parser.Field{Kind: S, Bytes: []byte("ab    ")}, varchar3, strict); err != nil ||
		d.String() != "ab " || strict.WarningCount != 1 {
		t.Errorf("varchar trailing spaces strict: %v %v %d", d, err, strict.WarningCount)
	}
	// Datum kinds and collations.
	sc := &StmtContext{}
	d, _ := Convert(parser.Field{Kind: S, Bytes: []byte("x")}, ci3, sc)
	if d.Kind() != KindString || d.Collation() != "utf8mb4_general_ci" {
		t.Errorf("kind %v coll %q", d.Kind(), d.Collation())
	}
	d, _ = Convert(parser.Field{Kind: S, Bytes: []byte("x")}, varbinary3, sc)
	if d.Kind() != KindBytes {
		t.Errorf("varbinary kind %v", d.Kind())
	}
}

var (
	enumT  = withElems(mkFT(TypeEnum, 0, 0, 0), "a", "b", "c")
	enumCI = withElems(withCharset(mkFT(TypeEnum, 0, 0, 0), "utf8mb4", "utf8mb4_general_ci"), "a", "B", "")
	setT   = withElems(mkFT(TypeSet, 0, 0, 0), "x", "y")
	setNN  = withElems(mkFT(TypeSet, 0, 0, NotNullFlag), "x", "y")
	setCI  = withElems(withCharset(mkFT(TypeSet, 0, 0, 0), "utf8mb4", "utf8mb4_general_ci"), "x", "y", "z")
	bit2   = mkFT(TypeBit, 2, 0, 0)
	bit64  = mkFT(TypeBit, 64, 0, 0)
	jsonT  = mkFT(TypeJSON, 0, 0, BinaryFlag)
)

func TestConvertEnumSetBit(t *testing.T) {
	runConvCases(t, []convCase{
		{enumT, S, "a", "a", 0, "", 0},
		{enumT, S, "c", "c", 0, "", 0},
		{enumT, S, "c  ", "c", 0, "", 0},
		{enumT, S, "A", "", 1265, "", 0},
		{enumT, S, "d", "", 1265, "", 0},
		{enumT, S, "", "", 1265, "", 0},
		{enumT, S, "2", "b", 0, "", 0},
		{enumT, N, "3", "c", 0, "", 0},
		{enumT, N, "0", "", 1265, "", 0},
		{enumT, N, "4", "", 1265, "", 0},
		{enumCI, S, "A", "a", 0, "", 0},
		{enumCI, S, "b", "B", 0, "", 0},
		{enumCI, S, "", "", 0, "", 0},
		{setT, S, "x,y", "x,y", 0, "", 0},
		{setT, S, "y,x", "x,y", 0, "", 0},
		{setT, S, "x,y,x,y,x,y,x,y", "x,y", 0, "", 0},
		{setT, S, "x,y,z", "", 1265, "", 0},
		{setT, S, "x+y", "", 1265, "", 0},
		{setT, S, "", "", 0, "", 0},
		{setT, S, "y", "y", 0, "", 0},
		{setT, N, "3", "x,y", 0, "", 0},
		{setT, N, "2", "y", 0, "", 0},
		{setT, N, "4", "", 1265, "", 0},
		{setT, S, "3", "x,y", 0, "", 0},
		{setNN, Z, "", "", 1048, "", 0},
		{setCI, S, "Z,X", "x,z", 0, "", 0},
		{bit2, B, "01", "0x1", 0, "", 0},
		{bit2, B, "02", "0x2", 0, "", 0},
		{bit2, H, "03", "0x3", 0, "", 0},
		{bit2, N, "3", "0x3", 0, "", 0},
		{bit2, N, "4", "0x3", 1406, "", 0},
		{bit2, S, "3", "0x3", 1406, "", 0},
		{bit64, H, "ffffffffffffffff", "0xffffffffffffffff", 0, "", 0},
		{bit64, H, "01ffffffffffffffff", "0xffffffffffffffff", 1406, "", 0},
		{jsonT, S, `[1, 2, 3]`, `[1, 2, 3]`, 0, "", 0},
		{jsonT, S, `{"b":1,"a":2,"aa":[true,false,null]}`, `{"a": 2, "aa": [true, false, null], "b": 1}`, 0, "", 0},
		{jsonT, S, `"str"`, `"str"`, 0, "", 0},
		{jsonT, S, `1.5`, `1.5`, 0, "", 0},
		{jsonT, S, `{"a":1,"a":2}`, `{"a": 2}`, 0, "", 0},
		{jsonT, S, `{`, ``, 0, "", 3140},
		{jsonT, S, ``, ``, 0, "", 3140},
		{jsonT, S, `[1,]`, ``, 0, "", 3140},
		{jsonT, S, `tru`, ``, 0, "", 3140},
		{jsonT, N, "7", "7", 0, "", 0},
	})
}

func TestConvertDefaultAndErrors(t *testing.T) {
	sc := &StmtContext{}
	if _, err := Convert(parser.Field{Kind: parser.KindDefault}, intT, sc); !errors.Is(err, ErrDefaultField) {
		t.Fatalf("default: %v", err)
	}
	strict, _ := NewStmtContext("STRICT_TRANS_TABLES", nil)
	_, err := ConvertColumn(parser.Field{Kind: S, Bytes: []byte("2000-00-00 00:00:00")}, "a", tsT, strict)
	if err == nil || err.Error() != "Incorrect timestamp value: '2000-00-00 00:00:00' for column 'a'" {
		t.Fatalf("message: %v", err)
	}
	_, err = ConvertColumn(parser.Field{Kind: N, Bytes: []byte("9")}, "a", tsT, strict)
	if err == nil || err.Error() != "cannot convert datum from unsigned bigint to type timestamp." {
		t.Fatalf("message: %v", err)
	}
	_, err = ConvertColumn(parser.Field{Kind: Z}, "a", notNullTS, strict)
	if err == nil || err.Error() != "Column 'a' cannot be null" {
		t.Fatalf("message: %v", err)
	}
}

// TestSQLModeAcceptance replays lightning_sqlmode's rows (A5) in both modes.
func TestSQLModeAcceptance(t *testing.T) {
	a := mkFT(TypeTimestamp, 19, 0, NotNullFlag)
	b := mkFT(TypeTiny, 4, 0, NotNullFlag)
	c := withCharset(mkFT(TypeVarchar, 1, 0, NotNullFlag), "latin1", "latin1_bin")
	d := withElems(mkFT(TypeSet, 0, 0, NotNullFlag), "x", "y")
	cols := []*FieldType{a, b, c, d}
	rows := [][]parser.Field{
		{{Kind: N, Bytes: []byte("9")}, {Kind: N, Bytes: []byte("128")}, {Kind: S, Bytes: []byte("too long")}, {Kind: S, Bytes: []byte("x,y,z")}},
		{{Kind: S, Bytes: []byte("2000-00-00 00:00:00")}, {Kind: N, Bytes: []byte("-99999")}, {Kind: S, Bytes: []byte("\U0001F929")}, {Kind: N, Bytes: []byte("3")}},
		{{Kind: S, Bytes: []byte("9999-12-31 23:59:59")}, {Kind: S, Bytes: []byte("NaN")}, {Kind: H, Bytes: []byte{0x99}}, {Kind: S, Bytes: []byte("x+y")}},
		{{Kind: S, Bytes: []byte("2000-01-01 00:00:00")}, {Kind: N, Bytes: []byte("99.999")}, {Kind: S, Bytes: []byte("")}, {Kind: S, Bytes: []byte("x,y,x,y,x,y,x,y")}},
		{{Kind: Z}, {Kind: Z}, {Kind: Z}, {Kind: Z}},
	}
	want := [][]string{
		{"0000-00-00 00:00:00", "127", "t", ""},
		{"0000-00-00 00:00:00", "-128", "\xf0", "x,y"},
		{"0000-00-00 00:00:00", "0", "\x99", ""},
		{"2000-01-01 00:00:00", "100", "", "x,y"},
		{"0000-00-00 00:00:00", "0", "", ""},
	}
	lenient, _ := NewStmtContext("ALLOW_INVALID_DATES", nil)
	strict, _ := NewStmtContext("STRICT_TRANS_TABLES", nil)
	for r, row := range rows {
		failed := false
		for i, f := range row {
			got, err := ConvertColumn(f, "col", cols[i], lenient)
			if err != nil || got.String() != want[r][i] {
				t.Errorf("lenient row %d col %d: %q %v, want %q", r+1, i, got.String(), err, want[r][i])
			}
			if _, err := ConvertColumn(f, "col", cols[i], strict); err != nil {
				failed = true
			}
		}
		if failed != (r != 3) {
			t.Errorf("strict row %d failed=%v", r+1, failed)
		}
	}
}
