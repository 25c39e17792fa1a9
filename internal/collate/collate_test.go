package collate

import (
	"bytes"
	"errors"
	"math/rand"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pingcap/tidb/pkg/parser/charset"
)

// supported are the collations Get must serve.
var supported = []string{
	"binary", "utf8mb4_0900_bin",
	"utf8mb4_bin", "utf8_bin", "latin1_bin", "ascii_bin",
	"utf8mb4_general_ci", "utf8_general_ci",
	"utf8mb4_unicode_ci", "utf8_unicode_ci",
}

func mustGet(t testing.TB, name string) Collator {
	t.Helper()
	c, err := Get(name)
	if err != nil {
		t.Fatalf("Get(%q): %v", name, err)
	}
	return c
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

func TestGetNamesAndPadding(t *testing.T) {
	for _, name := range supported {
		c := mustGet(t, name)
		if c.Name() != name {
			t.Errorf("Get(%q).Name() = %q", name, c.Name())
		}
		// TiDB's parser records the PAD attribute of every collation it knows.
		info, err := charset.GetCollationByName(name)
		if err != nil {
			t.Fatalf("parser does not know %q: %v", name, err)
		}
		if want := info.PadAttribute == charset.PadSpace; c.PadSpace() != want {
			t.Errorf("%s: PadSpace() = %v, parser says %q", name, c.PadSpace(), info.PadAttribute)
		}
	}
	// Names are case-insensitive and utf8mb3_* is TiDB's alias of utf8_*.
	if c := mustGet(t, "UTF8MB4_General_CI"); c.Name() != "utf8mb4_general_ci" {
		t.Errorf("upper-case name resolved to %q", c.Name())
	}
	if c := mustGet(t, "utf8mb3_unicode_ci"); c.Name() != "utf8_unicode_ci" {
		t.Errorf("utf8mb3 alias resolved to %q", c.Name())
	}
}

func TestUnsupported(t *testing.T) {
	for _, name := range []string{"utf8mb4_0900_ai_ci", "gbk_bin", "gbk_chinese_ci", "gb18030_bin", "gb18030_chinese_ci", "no_such_collation", ""} {
		c, err := Get(name)
		var ue *UnsupportedError
		if c != nil || !errors.As(err, &ue) {
			t.Errorf("Get(%q) = %v, %v; want *UnsupportedError", name, c, err)
			continue
		}
		if !strings.Contains(err.Error(), "not supported for physical import") {
			t.Errorf("Get(%q) error %q does not say what is unsupported", name, err)
		}
	}
	// With new collation off every name keys by raw bytes, even ones we could
	// not build new-collation keys for.
	c, err := GetForCluster("utf8mb4_0900_ai_ci", false)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Key(nil, []byte("Ab ")); string(got) != "Ab " || c.PadSpace() {
		t.Errorf("new collation off: key %q, PadSpace %v", got, c.PadSpace())
	}
}

func TestDefaultForCharset(t *testing.T) {
	want := map[string]string{
		"utf8mb4": "utf8mb4_bin", "utf8": "utf8_bin", "binary": "binary", "latin1": "latin1_bin",
		"ascii": "ascii_bin", "gbk": "gbk_bin", "gb18030": "gb18030_bin", "UTF8MB4": "utf8mb4_bin",
		"utf8mb3": "utf8_bin", "koi8r": "",
	}
	for cs, w := range want {
		if got := DefaultForCharset(cs); got != w {
			t.Errorf("DefaultForCharset(%q) = %q, want %q", cs, got, w)
		}
	}
	// Cross-check against the charsets TiDB's parser declares as supported.
	for name, info := range charset.CharacterSetInfos {
		if got := DefaultForCharset(name); got != info.DefaultCollation {
			t.Errorf("DefaultForCharset(%q) = %q, parser says %q", name, got, info.DefaultCollation)
		}
	}
}

func TestIsCIAndIsBin(t *testing.T) {
	for name, want := range map[string]bool{
		"utf8mb4_general_ci": true, "UTF8_UNICODE_CI": true, "utf8mb4_0900_ai_ci": true,
		"gbk_chinese_ci": true, "utf8mb4_bin": false, "binary": false,
	} {
		if IsCI(name) != want {
			t.Errorf("IsCI(%q) = %v", name, !want)
		}
	}
	for name, want := range map[string]bool{
		"ascii_bin": true, "latin1_bin": true, "utf8_bin": true, "utf8mb3_bin": true, "utf8mb4_bin": true,
		"binary": true, "utf8mb4_0900_bin": true, "gbk_bin": false, "utf8mb4_general_ci": false,
	} {
		if IsBin(name) != want {
			t.Errorf("IsBin(%q) = %v", name, !want)
		}
	}
}

// TestKnownOrder pins equalities and inequalities that TiDB documents or that
// follow directly from the spec, per collation.
func TestKnownOrder(t *testing.T) {
	type rel struct {
		a, b string
		cmp  int
	}
	cases := map[string][]rel{
		"binary":           {{"a ", "a", 1}, {"A", "a", -1}, {"", "", 0}},
		"utf8mb4_0900_bin": {{"a ", "a", 1}},
		"utf8mb4_bin": {
			{"a ", "a", 0}, {"a   ", "a", 0}, {"A", "a", -1}, {"a\t", "a", 1},
			{" a", "a", -1}, {"a\u3000", "a", 1}, {"\xff ", "\xff", 0},
		},
		"latin1_bin": {{"a ", "a", 0}},
		"ascii_bin":  {{"x  ", "x", 0}},
		"utf8mb4_general_ci": {
			{"a", "A", 0}, {"a", "á", 0}, {"À", "a", 0}, {"ß", "s", 0}, {"µ", "Μ", 0},
			{"a ", "a", 0}, {"a\t", "a", 1}, {"a", "b", -1}, {"Z", "a", 1},
			// Everything above the BMP shares one weight, U+FFFD.
			{"😃", "𝌆", 0}, {"😃", "\uFFFD", 0},
			// Invalid UTF-8 ends the key: whatever follows is ignored.
			{"a\xffzzz", "a", 0}, {"a\xed\xa0\x80b", "a", 0},
		},
		"utf8_general_ci": {{"a", "A", 0}},
		"utf8mb4_unicode_ci": {
			{"a", "A", 0}, {"a", "á", 0}, {"ß", "ss", 0}, {"a ", "a", 0}, {"a", "b", -1},
			{"a\x00b", "ab", 0}, // U+0000 is ignorable in UCA 4.0.0
			{"\uFB01", "fi", 0}, // ligature expands
			// Supplementary runes get the single weight 0xFFFD (not U+FFFD's own
			// UCA weight), so they are all equal to each other.
			{"😃", "𝌆", 0}, {"😃", "\uFFFD", 1}, {"a\xffzzz", "a", 0},
		},
		"utf8_unicode_ci": {{"ß", "SS", 0}},
	}
	for name, rels := range cases {
		c := mustGet(t, name)
		for _, r := range rels {
			got := c.Compare([]byte(r.a), []byte(r.b))
			kc := bytes.Compare(c.Key(nil, []byte(r.a)), c.Key(nil, []byte(r.b)))
			if sign(got) != r.cmp || sign(kc) != r.cmp {
				t.Errorf("%s: Compare(%q, %q) = %d, key compare %d, want %d", name, r.a, r.b, got, kc, r.cmp)
			}
		}
	}
}

// randString draws from pieces that exercise every code path: ASCII, spaces
// (inner and trailing), folded Latin-1, expansions, long expansions,
// ignorables, implicit-weight CJK, supplementary runes and invalid UTF-8.
var pieces = []string{
	"a", "A", "b", "z", "Z", "0", " ", " ", "  ", "\t", "á", "À", "ß", "s", "S", "µ",
	"\uFDFB", "\uFDFA", "\uFB01", "\x00", "\u00AD", "中", "\u3400", "\uAC00", "😃", "𝌆",
	"\uFFFD", "\xff", "\xc3", "\xed\xa0\x80", "\xe4\xb8",
}

func randString(r *rand.Rand) []byte {
	var b []byte
	for n := r.Intn(8); n > 0; n-- {
		b = append(b, pieces[r.Intn(len(pieces))]...)
	}
	return b
}

func TestCompareMatchesKeyOrder(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for _, name := range supported {
		c := mustGet(t, name)
		for i := 0; i < 20000; i++ {
			a, b := randString(r), randString(r)
			if i%7 == 0 {
				b = append(append([]byte(nil), a...), "  "...)
			}
			ka, kb := c.Key(nil, a), c.Key(nil, b)
			if got, want := sign(c.Compare(a, b)), sign(bytes.Compare(ka, kb)); got != want {
				t.Fatalf("%s: Compare(%q, %q) = %d, keys %x %x compare %d", name, a, b, got, ka, kb, want)
			}
			if c.Compare(a, a) != 0 {
				t.Fatalf("%s: Compare(%q, itself) != 0", name, a)
			}
			// Key appends: an existing prefix must be kept intact.
			pre := []byte("prefix")
			if k := c.Key(pre, a); !bytes.HasPrefix(k, pre) || !bytes.Equal(k[len(pre):], ka) {
				t.Fatalf("%s: Key(prefix, %q) = %q", name, a, k)
			}
			if c.PadSpace() {
				if !bytes.Equal(c.Key(nil, append(append([]byte(nil), a...), ' ')), ka) {
					t.Fatalf("%s: trailing space changed the key of %q", name, a)
				}
			}
		}
	}
}

// TestWeightWidth checks the fixed-width property the _ci keys rely on: every
// key is a whole number of 2-byte weights and never contains a zero weight,
// so comparing keys bytewise compares weight sequences.
func TestWeightWidth(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for _, name := range []string{"utf8mb4_unicode_ci"} {
		c := mustGet(t, name)
		for i := 0; i < 5000; i++ {
			k := c.Key(nil, randString(r))
			if len(k)%2 != 0 {
				t.Fatalf("%s: odd key length %x", name, k)
			}
			for j := 0; j < len(k); j += 2 {
				if k[j] == 0 && k[j+1] == 0 {
					t.Fatalf("%s: zero weight in %x", name, k)
				}
			}
		}
	}
	g := mustGet(t, "utf8mb4_general_ci")
	for i := 0; i < 5000; i++ {
		s := randString(r)
		k := g.Key(nil, s)
		// One weight per rune up to the first invalid byte.
		valid := trimSpace(s)
		n := 0
		for len(valid) > 0 {
			rr, size := utf8.DecodeRune(valid)
			if rr == utf8.RuneError && size == 1 {
				break
			}
			n++
			valid = valid[size:]
		}
		if len(k) != 2*n {
			t.Fatalf("general_ci key of %q has %d bytes, want %d", s, len(k), 2*n)
		}
	}
}

func FuzzKeys(f *testing.F) {
	for _, p := range pieces {
		f.Add([]byte(p), []byte("a"+p))
	}
	var cs []Collator
	for _, name := range supported {
		cs = append(cs, mustGet(f, name))
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		for _, c := range cs {
			if sign(c.Compare(a, b)) != sign(bytes.Compare(c.Key(nil, a), c.Key(nil, b))) {
				t.Fatalf("%s: Compare disagrees with keys for %q, %q", c.Name(), a, b)
			}
		}
	})
}

func BenchmarkKey(b *testing.B) {
	inputs := map[string][]byte{
		"ascii": []byte("The quick brown fox jumps over the lazy dog 0123456789   "),
		"latin": []byte("Ærøskøbing Ångström façade naïve résumé Straße   "),
		"cjk":   []byte("数据库索引键编码必须逐字节一致"),
	}
	for _, name := range []string{"binary", "utf8mb4_bin", "utf8mb4_general_ci", "utf8mb4_unicode_ci"} {
		c := mustGet(b, name)
		for in, s := range inputs {
			b.Run(name+"/"+in, func(b *testing.B) {
				b.SetBytes(int64(len(s)))
				buf := make([]byte, 0, 4*len(s))
				for i := 0; i < b.N; i++ {
					buf = c.Key(buf[:0], s)
				}
			})
		}
	}
}
