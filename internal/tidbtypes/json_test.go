package tidbtypes

import (
	"encoding/hex"
	"errors"
	"testing"
)

// Expected bytes are built from the binary layout (§3.3 type codes, MySQL
// large object/array format, TiDB key order) — no golden JSON vectors exist.
func TestBinaryJSONEncoding(t *testing.T) {
	cases := []struct {
		in   string
		code JSONTypeCode
		hex  string
		text string
	}{
		{`null`, 0x04, "00", "null"},
		{`true`, 0x04, "01", "true"},
		{`false`, 0x04, "02", "false"},
		{`1`, 0x09, "0100000000000000", "1"},
		{`-1`, 0x09, "ffffffffffffffff", "-1"},
		{`18446744073709551615`, 0x0a, "ffffffffffffffff", "18446744073709551615"},
		{`1.5`, 0x0b, "000000000000f83f", "1.5"},
		{`1e2`, 0x0b, "0000000000005940", "100.0"},
		{`"abc"`, 0x0c, "03616263", `"abc"`},
		{`"a\u00e9\n"`, 0x0c, "0461c3a90a", `"aé\n"`},
		{`"\ud83d\ude00"`, 0x0c, "04f09f9880", `"😀"`},
		{`[]`, 0x03, "0000000008000000", "[]"},
		{`{}`, 0x01, "0000000008000000", "{}"},
		{`[true]`, 0x03, "010000000d0000000401000000", "[true]"},
		// [1,2,3]: count 3, size 8+15+24=47, entries at 23, 31, 39.
		{`[1, 2, 3]`, 0x03, "030000002f000000" + "0917000000" + "091f000000" + "0927000000" +
			"0100000000000000" + "0200000000000000" + "0300000000000000", "[1, 2, 3]"},
		// {"a":1}: key entry (19,1), value entry int64 at 20.
		{`{"a":1}`, 0x01, "010000001c000000" + "130000000100" + "0914000000" + "61" + "0100000000000000", `{"a": 1}`},
		// Header 8+3*6+3*5 = 41; keys at 41, 42, 44. Keys sorted by bytes: "a" < "aa" < "b" (MySQL would put "b" before "aa").
		{`{"b":null,"aa":true,"a":false}`, 0x01, "030000002d000000" +
			"290000000100" + "2a0000000200" + "2c0000000100" +
			"0402000000" + "0401000000" + "0400000000" + "61" + "6161" + "62",
			`{"a": false, "aa": true, "b": null}`},
		{`{"k":"v"}`, 0x01, "0100000016000000" + "130000000100" + "0c14000000" + "6b" + "0176", `{"k": "v"}`},
		// [[1]]: outer header 13 bytes, inner array (size 21) at offset 13.
		{`[[1]]`, 0x03, "0100000022000000" + "030d000000" + "0100000015000000" + "090d000000" + "0100000000000000", "[[1]]"},
	}
	for _, c := range cases {
		j, err := ParseBinaryJSONFromString(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if j.TypeCode != c.code || hex.EncodeToString(j.Value) != c.hex {
			t.Errorf("%s: got %02x %x, want %02x %s", c.in, j.TypeCode, j.Value, c.code, c.hex)
		}
		if got := j.String(); got != c.text {
			t.Errorf("%s: text %s, want %s", c.in, got, c.text)
		}
		// Re-parsing the text form gives the same bytes.
		j2, err := ParseBinaryJSONFromString(j.String())
		if err != nil || hex.EncodeToString(j2.Value) != hex.EncodeToString(j.Value) {
			t.Errorf("%s: reparse %x %v", c.in, j2.Value, err)
		}
	}
}

func TestBinaryJSONInvalid(t *testing.T) {
	for _, in := range []string{``, ` `, `{`, `[1,]`, `{"a"}`, `{"a":}`, `[1 2]`, `nul`, `01`, `1.`, `.5`, `-`, `"abc`,
		`"\x"`, `"\u12"`, "\"a\x01\"", `{"a":1,}`, `[1]x`, `1e`, `NaN`, `Infinity`, `1e999`} {
		_, err := ParseBinaryJSONFromString(in)
		if !errors.Is(err, ErrInvalidJSON) {
			t.Errorf("%q: err %v", in, err)
		}
	}
	deep := make([]byte, 0, 20002)
	for i := 0; i < 10001; i++ {
		deep = append(deep, '[')
	}
	if _, err := ParseBinaryJSON(deep, nil); err == nil {
		t.Error("nesting beyond 10000 accepted")
	}
	// 127 levels (lightning_various_types row 1764) must be accepted.
	ok := append(append([]byte{}, deep[:127]...), make([]byte, 127)...)
	for i := 127; i < 254; i++ {
		ok[i] = ']'
	}
	j, err := ParseBinaryJSON(ok, nil)
	if err != nil || j.String() != string(ok) {
		t.Errorf("127-deep: %v", err)
	}
}

func TestBinaryJSONCorruptDoesNotPanic(t *testing.T) {
	j, _ := ParseBinaryJSONFromString(`{"a":[1,"x",{"b":null}],"c":2.5}`)
	for i := 0; i < len(j.Value); i++ {
		for _, v := range []byte{0, 0xff, 0x7f} {
			b := append([]byte(nil), j.Value...)
			b[i] = v
			_, _ = BinaryJSON{TypeCode: j.TypeCode, Value: b}.MarshalJSON()
		}
		_, _ = BinaryJSON{TypeCode: j.TypeCode, Value: j.Value[:i]}.MarshalJSON()
	}
}
