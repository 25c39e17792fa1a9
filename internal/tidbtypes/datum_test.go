package tidbtypes

import (
	"math"
	"testing"
	"time"
)

func TestDatumBasics(t *testing.T) {
	var d Datum
	if !d.IsNull() || d.Kind() != KindNull || d.String() != "NULL" {
		t.Fatal("zero datum is not NULL")
	}
	if v := NewIntDatum(-5); v.GetInt64() != -5 || v.Kind() != KindInt64 {
		t.Error("int")
	}
	if v := NewUintDatum(math.MaxUint64); v.GetUint64() != math.MaxUint64 || v.Kind() != KindUint64 {
		t.Error("uint")
	}
	if v := NewFloat32Datum(0.1); v.GetFloat64() != float64(float32(0.1)) || v.GetFloat32() != 0.1 {
		t.Error("float32")
	}
	if v := NewFloat64Datum(math.Copysign(0, -1)); math.Float64bits(v.GetFloat64()) != math.Float64bits(math.Copysign(0, -1)) {
		t.Error("negative zero lost")
	}
	buf := []byte("abc")
	s := NewCollationStringDatum(buf, "utf8mb4_general_ci")
	c := s.Clone()
	buf[0] = 'x'
	if string(s.GetBytes()) != "xbc" || c.GetString() != "abc" || c.Collation() != "utf8mb4_general_ci" {
		t.Error("alias/clone")
	}
	if b := NewBytesDatum([]byte{1}); b.Kind() != KindBytes || b.Collation() != CollationBin {
		t.Error("bytes")
	}
	var dec MyDecimal
	_ = dec.FromString([]byte("-12.340"))
	dd := NewDecimalDatum(&dec)
	if dd.Length() != 5 || dd.Frac() != 3 || dd.GetDecimal().String() != "-12.340" {
		t.Errorf("decimal %d %d %s", dd.Length(), dd.Frac(), dd.GetDecimal())
	}
	dd.SetDecimal(&dec, 10, 4)
	if dd.Length() != 10 || dd.Frac() != 4 {
		t.Error("decimal prec")
	}
	tm := NewTime(2020, 2, 29, 23, 59, 58, 123456, TypeTimestamp, 3)
	td := NewTimeDatum(tm)
	if got := td.GetTime(); got != tm || got.Type() != TypeTimestamp || got.Fsp() != 3 {
		t.Errorf("time %v", got)
	}
	du := NewDurationDatum(Duration{Duration: -90 * time.Minute, Fsp: 2})
	if g := du.GetDuration(); g.Duration != -90*time.Minute || g.Fsp != 2 {
		t.Error("duration")
	}
	e := NewEnumDatum(Enum{Name: "b", Value: 2}, "utf8mb4_bin")
	if g := e.GetEnum(); g.Name != "b" || g.Value != 2 || e.Collation() != "utf8mb4_bin" {
		t.Error("enum")
	}
	st := NewSetDatum(Set{Name: "x,y", Value: 3}, "")
	if g := st.GetSet(); g.Name != "x,y" || g.Value != 3 {
		t.Error("set")
	}
	bl := NewBinaryLiteralDatum(BinaryLiteral{0x01, 0x02})
	if v, ok := bl.GetMysqlBitUint64(); !ok || v != 0x0102 {
		t.Error("bit literal")
	}
	z9 := NewBinaryLiteralDatum(make([]byte, 9))
	if v, ok := z9.GetMysqlBitUint64(); !ok || v != 0 {
		t.Error("leading zero bytes")
	}
	long := NewBinaryLiteralDatum([]byte{1, 0, 0, 0, 0, 0, 0, 0, 0})
	if _, ok := long.GetMysqlBitUint64(); ok {
		t.Error("9 significant bytes accepted")
	}
	bd := bitDatum(5, &FieldType{Tp: TypeBit, Flen: 12})
	if v, _ := bd.GetMysqlBitUint64(); v != 5 || string(bd.GetBinaryLiteral()) != "\x00\x05" {
		t.Errorf("bit datum %x", bd.GetBinaryLiteral())
	}
	j, _ := ParseBinaryJSONFromString(`{"a":1}`)
	jd := NewJSONDatum(j)
	if jd.GetJSON().TypeCode != JSONTypeCodeObject || jd.String() != `{"a": 1}` {
		t.Error("json")
	}
	mn, mx := NewMinNotNullDatum(), NewMaxValueDatum()
	if mn.Kind() != KindMinNotNull || mx.Kind() != KindMaxValue {
		t.Error("sentinels")
	}
}

func TestWarningRollback(t *testing.T) {
	sc := &StmtContext{}
	sc.AppendWarning(&ConvertError{Code: 1})
	m := sc.MarkWarnings()
	sc.AppendWarning(&ConvertError{Code: 2})
	sc.AppendWarning(&ConvertError{Code: 3})
	got := sc.RollbackWarnings(m)
	if len(got) != 2 || got[0].Code != 2 || sc.WarningCount != 1 || len(sc.Warnings) != 1 {
		t.Fatalf("rollback %v %d", got, sc.WarningCount)
	}
}
