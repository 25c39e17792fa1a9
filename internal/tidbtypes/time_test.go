package tidbtypes

import (
	"encoding/binary"
	"encoding/hex"
	"testing"
	"time"
)

func TestTimePackedVectors(t *testing.T) {
	// golden-vectors.json kind "time" (60-63) and datum key 47.
	cases := []struct {
		in  string
		tp  byte
		fsp int
		hex string
	}{
		{"2011-11-10 11:11:11.999999", TypeDatetime, 6, "198a94b2cb0f423f"},
		{"2009-02-14 07:31:30", TypeDatetime, 0, "1981dc77de000000"},
		{"2021-01-02", TypeDate, 0, "19a8840000000000"},
		{"0000-00-00 00:00:00", TypeDatetime, 0, "0000000000000000"},
		{"2021-01-02 03:04:05", TypeDatetime, 0, "19a8843105000000"},
	}
	for _, c := range cases {
		tm, ok := ParseTime([]byte(c.in), c.tp, c.fsp, 0, nil)
		if !ok {
			t.Fatalf("parse %s", c.in)
		}
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], tm.ToPackedUint())
		if hex.EncodeToString(b[:]) != c.hex {
			t.Errorf("%s packed %x want %s", c.in, b, c.hex)
		}
		back := TimeFromPackedUint(tm.ToPackedUint())
		back.SetType(c.tp)
		back.SetFsp(c.fsp)
		if back.String() != c.in && !(c.tp == TypeDate && back.String() == c.in) {
			t.Errorf("round trip %s -> %s", c.in, back.String())
		}
		d := NewTimeDatum(tm)
		if d.GetTime() != tm {
			t.Errorf("datum round trip %v != %v", d.GetTime(), tm)
		}
	}
	if v := TimeFromPackedUint(1840446893366133311); v.Year() != 2011 || v.Microsecond() != 999999 {
		t.Errorf("unpack %v", v)
	}
}

func TestDurationVector(t *testing.T) {
	d, ok, ovf := ParseDuration([]byte("4:00:00"), 0, 0)
	if !ok || ovf || int64(d.Duration) != 14400000000000 {
		t.Fatalf("got %v %v %v", d, ok, ovf)
	}
	d, ok, _ = ParseDuration([]byte("12:34:56"), 0, 0)
	if !ok || int64(d.Duration) != 45296000000000 {
		t.Fatalf("got %v", d)
	}
	dd := NewDurationDatum(Duration{Duration: -time.Hour - 500*time.Millisecond, Fsp: 1})
	if dd.String() != "-01:00:00.5" {
		t.Errorf("got %s", dd.String())
	}
}

func TestTimeZoneConversion(t *testing.T) {
	loc := time.FixedZone("x", 8*3600)
	tm, ok := ParseTimestamp("2009-02-14 07:31:30", 0, 0, loc)
	if !ok {
		t.Fatal("parse")
	}
	utc := tm.ConvertTimeZone(loc, time.UTC)
	if utc.String() != "2009-02-13 23:31:30" {
		t.Errorf("utc %s", utc)
	}
	if back := utc.ConvertTimeZone(time.UTC, loc); back != tm {
		t.Errorf("back %v", back)
	}
	zero := NewTime(0, 0, 0, 0, 0, 0, 0, TypeTimestamp, 0)
	if zero.ConvertTimeZone(loc, time.UTC) != zero {
		t.Error("zero must not move")
	}
}

func TestParseSQLMode(t *testing.T) {
	m, err := ParseSQLMode("ONLY_FULL_GROUP_BY,NO_AUTO_CREATE_USER")
	if err != nil || m.HasStrictMode() || !m.Has(ModeOnlyFullGroupBy|ModeNoAutoCreateUser) {
		t.Fatalf("%v %v", m, err)
	}
	m, err = ParseSQLMode(" strict_trans_tables , NO_ZERO_DATE")
	if err != nil || !m.HasStrictMode() || !m.Has(ModeNoZeroDate) {
		t.Fatalf("%v %v", m, err)
	}
	m, err = ParseSQLMode("TRADITIONAL")
	if err != nil || !m.Has(ModeStrictAllTables|ModeNoZeroInDate|ModeErrorForDivisionByZero) {
		t.Fatalf("%v %v", m, err)
	}
	if _, err := ParseSQLMode("BOGUS"); err == nil {
		t.Fatal("unknown mode accepted")
	}
	if m, err := ParseSQLMode(""); err != nil || m != 0 {
		t.Fatal("empty")
	}
}
