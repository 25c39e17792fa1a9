package tidbtypes

import (
	"encoding/hex"
	"errors"
	"testing"
)

func TestDecimalFromStringToString(t *testing.T) {
	cases := []struct {
		in, out string
		err     error
	}{
		{"0", "0", nil},
		{"-0", "0", nil},
		{"-0.00", "0.00", nil},
		{"1.50", "1.50", nil},
		{"00012.3400", "12.3400", nil},
		{".5", "0.5", nil},
		{"5.", "5", nil},
		{"-123.45", "-123.45", nil},
		{"  42  ", "42", nil},
		{"+7", "7", nil},
		{"1e3", "1000", nil},
		{"1.5e1", "15", nil},
		{"1.25e-2", "0.0125", nil},
		{"123e-5", "0.00123", nil},
		{"1E+2", "100", nil},
		{"12abc", "12", ErrDecTruncated},
		{"1e", "1", ErrDecTruncated},
		{"abc", "0", ErrDecBadNumber},
		{"", "0", ErrDecBadNumber},
		{"-", "0", ErrDecBadNumber},
		{".", "0", ErrDecBadNumber},
		{"123456789012345678901234567890.123456789", "123456789012345678901234567890.123456789", nil},
		{"99999999999999999999.0", "99999999999999999999.0", nil},
		{"18446744073709551615", "18446744073709551615", nil},
		{"0.000000000000000000000000000001", "0.000000000000000000000000000001", nil},
		{"0.005e3", "5", nil},
		{"0.0050e3", "5.0", nil},
		{"0e999999", "0", nil},
		{"1e999999999", "999999999999999999999999999999999999999999999999999999999999999999999999999999999", ErrDecOverflow},
		{"-1e82", "-999999999999999999999999999999999999999999999999999999999999999999999999999999999", ErrDecOverflow},
		{"1e80", "100000000000000000000000000000000000000000000000000000000000000000000000000000000", nil},
	}
	for _, c := range cases {
		var d MyDecimal
		err := d.FromString([]byte(c.in))
		if !errors.Is(err, c.err) {
			t.Errorf("FromString(%q) err = %v, want %v", c.in, err, c.err)
		}
		if got := d.String(); got != c.out {
			t.Errorf("FromString(%q) = %q, want %q", c.in, got, c.out)
		}
	}
}

func TestDecimalRound(t *testing.T) {
	cases := []struct {
		in   string
		frac int
		out  string
	}{
		{"1.5", 0, "2"},
		{"-1.5", 0, "-2"},
		{"1.49", 0, "1"},
		{"99.999", 2, "100.00"},
		{"-99.995", 2, "-100.00"},
		{"1", 4, "1.0000"},
		{"0.00005", 4, "0.0001"},
		{"0.00004", 4, "0.0000"},
		{"999999999.5", 0, "1000000000"},
		{"12.345", 1, "12.3"},
	}
	for _, c := range cases {
		var d MyDecimal
		if err := d.FromString([]byte(c.in)); err != nil {
			t.Fatal(err)
		}
		if err := d.Round(c.frac); err != nil {
			t.Fatal(err)
		}
		if got := d.String(); got != c.out {
			t.Errorf("Round(%s,%d) = %s, want %s", c.in, c.frac, got, c.out)
		}
	}
}

func TestDecimalBinVectors(t *testing.T) {
	// From golden-vectors.json (kind "decimal" and the decimal datum keys).
	cases := []struct {
		in         string
		prec, frac int
		hex        string
	}{
		{"1234567890.1234", 14, 4, "810dfb38d204d2"},
		{"-1234567890.1234", 14, 4, "7ef204c72dfb2d"},
		{"11.9900", 6, 4, "8b26ac"},
		{"0", 1, 0, "80"},
		{"0.00", 10, 2, "8000000000"},
		{"1", 65, 30, "800000000000000000000000000000010000000000000000000000000000"},
		{"123.45", 10, 2, "8000007b2d"},
		{"-123.45", 10, 2, "7fffff84d2"},
	}
	for _, c := range cases {
		var d MyDecimal
		if err := d.FromString([]byte(c.in)); err != nil {
			t.Fatal(err)
		}
		got, err := d.WriteBin(c.prec, c.frac, nil)
		if err != nil {
			t.Fatalf("WriteBin(%s): %v", c.in, err)
		}
		if hex.EncodeToString(got) != c.hex {
			t.Errorf("WriteBin(%s,%d,%d) = %x, want %s", c.in, c.prec, c.frac, got, c.hex)
		}
		if len(got) != DecimalBinSize(c.prec, c.frac) {
			t.Errorf("size mismatch for %s", c.in)
		}
		var back MyDecimal
		n, err := back.FromBin(got, c.prec, c.frac)
		if err != nil || n != len(got) {
			t.Fatalf("FromBin(%x): n=%d err=%v", got, n, err)
		}
		if back.Compare(&d) != 0 {
			t.Errorf("round trip %s -> %s", c.in, back.String())
		}
	}
}

func TestDecimalBinRoundTripMany(t *testing.T) {
	vals := []string{"0", "1", "-1", "0.1", "-0.1", "999999999", "-999999999.999999999",
		"12345678901234567890123456789012345.123456789012345678901234567890",
		"-0.000000001", "100", "5.5"}
	precs := [][2]int{{65, 30}, {40, 20}, {20, 10}, {11, 9}, {9, 0}}
	for _, v := range vals {
		for _, pf := range precs {
			var d MyDecimal
			_ = d.FromString([]byte(v))
			if err := d.Round(pf[1]); err != nil {
				t.Fatal(err)
			}
			b, err := d.WriteBin(pf[0], pf[1], nil)
			if err != nil {
				continue // overflow for small precisions is expected
			}
			var back MyDecimal
			if _, err := back.FromBin(b, pf[0], pf[1]); err != nil {
				t.Fatal(err)
			}
			if back.String() != d.String() {
				t.Errorf("%s (%v): %s != %s", v, pf, back.String(), d.String())
			}
		}
	}
}

func TestDecimalCompareAndInt(t *testing.T) {
	var a, b MyDecimal
	_ = a.FromString([]byte("1.50"))
	_ = b.FromString([]byte("1.5"))
	if a.Compare(&b) != 0 {
		t.Error("1.50 != 1.5")
	}
	_ = b.FromString([]byte("-2"))
	if a.Compare(&b) != 1 || b.Compare(&a) != -1 {
		t.Error("compare sign")
	}
	_ = b.FromString([]byte("10"))
	if a.Compare(&b) != -1 {
		t.Error("1.5 < 10")
	}
	var d MyDecimal
	d.FromInt(-9223372036854775808)
	if d.String() != "-9223372036854775808" {
		t.Error(d.String())
	}
	v, err := d.ToInt()
	if err != nil || v != -9223372036854775808 {
		t.Error(v, err)
	}
	d.FromUint(18446744073709551615)
	u, err := d.ToUint()
	if err != nil || u != 18446744073709551615 {
		t.Error(u, err)
	}
	_ = d.FromString([]byte("2.5"))
	if v, _ := d.ToInt(); v != 3 {
		t.Error(v)
	}
}
