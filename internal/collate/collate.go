package collate

import (
	"fmt"
	"strings"
)

// Collator produces TiDB "new collation" sort keys for one collation.
//
// Key and Compare never panic and accept any byte string, including invalid
// UTF-8 (see doc.go for how each collation treats it). For every a and b,
// sign(Compare(a, b)) == sign(bytes.Compare(Key(nil, a), Key(nil, b))).
type Collator interface {
	// Key appends the sort key of s to dst and returns the extended slice.
	// This is the byte string that TiDB feeds to codec.EncodeBytes when it
	// encodes a string datum into an index or common-handle key.
	Key(dst, s []byte) []byte
	// Compare orders a and b exactly as their keys order, without building them.
	Compare(a, b []byte) int
	// Name is the canonical (lower-case) collation name.
	Name() string
	// PadSpace reports whether trailing ASCII spaces are insignificant
	// (they are trimmed before the key is built).
	PadSpace() bool
}

// UnsupportedError is returned by Get for a collation whose key cannot be
// produced byte-exactly. Callers must refuse the physical import of any index
// or clustered key that uses it: a "close enough" key would silently corrupt
// the index (lookups through TiDB would not find the rows).
type UnsupportedError struct {
	Name   string
	Reason string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("collation %s not supported for physical import: %s", e.Name, e.Reason)
}

// Get returns the collator used when new collation is enabled on the cluster
// (the default since TiDB 6.0). The name is matched case-insensitively.
func Get(name string) (Collator, error) {
	n := strings.ToLower(name)
	switch n {
	case "binary":
		return rawCollator{name: n}, nil
	case "utf8mb4_0900_bin":
		// NO PAD binary collation: trailing spaces are significant.
		return rawCollator{name: n}, nil
	case "utf8mb4_bin", "utf8_bin", "utf8mb3_bin", "latin1_bin", "ascii_bin":
		return padBinCollator{name: canonical(n)}, nil
	case "utf8mb4_general_ci", "utf8_general_ci", "utf8mb3_general_ci":
		t, err := generalTable()
		if err != nil {
			return nil, &UnsupportedError{Name: n, Reason: err.Error()}
		}
		return generalCICollator{name: canonical(n), t: t}, nil
	case "utf8mb4_unicode_ci", "utf8_unicode_ci", "utf8mb3_unicode_ci":
		t, err := unicode0400Table()
		if err != nil {
			return nil, &UnsupportedError{Name: n, Reason: err.Error()}
		}
		return unicodeCICollator{name: canonical(n), t: t}, nil
	}
	if reason, ok := unsupported[n]; ok {
		return nil, &UnsupportedError{Name: n, Reason: reason}
	}
	// TiDB itself falls back to utf8mb4_bin for names it does not know, but a
	// schema can only carry names TiDB accepted, so an unknown name here means
	// we are out of sync with TiDB: fail loudly instead of guessing.
	return nil, &UnsupportedError{Name: n, Reason: "unknown collation"}
}

// GetForCluster is Get for a cluster whose mysql.tidb new_collation_enabled
// value is newCollation. With new collation disabled TiDB keys every string by
// its raw bytes (no trimming, no folding), whatever the declared collation.
func GetForCluster(name string, newCollation bool) (Collator, error) {
	if newCollation {
		return Get(name)
	}
	return rawCollator{name: strings.ToLower(name)}, nil
}

// unsupported lists collations TiDB accepts whose keys we cannot build
// exactly from data available to this project, with the reason.
var unsupported = map[string]string{
	"utf8mb4_0900_ai_ci":           "UCA 9.0.0 weight tables are not available offline (only UCA 4.0.0 is bundled)",
	"utf8mb4_0900_as_cs":           "UCA 9.0.0 weight tables are not available offline",
	"utf8mb4_de_pb_0900_ai_ci":     "UCA 9.0.0 weight tables are not available offline",
	"utf8mb4_zh_pinyin_tidb_as_cs": "pinyin weight tables are not available",
	"gbk_bin":                      "GBK key encoding is not specified (spec §2.6/§9)",
	"gbk_chinese_ci":               "GBK key encoding is not specified (spec §2.6/§9)",
	"gb18030_bin":                  "GB18030 key encoding is not specified (spec §2.6/§9)",
	"gb18030_chinese_ci":           "GB18030 key encoding is not specified (spec §2.6/§9)",
}

// canonical maps the utf8mb3_* spelling to TiDB's utf8_* name; the keys are
// identical, only the reported name differs.
func canonical(n string) string {
	if strings.HasPrefix(n, "utf8mb3_") {
		return "utf8_" + strings.TrimPrefix(n, "utf8mb3_")
	}
	return n
}

// IsCI reports whether the collation is case-insensitive (its name ends in
// "_ci"). Such columns always need restored data in index values (spec §2.6).
func IsCI(name string) bool {
	return strings.HasSuffix(strings.ToLower(name), "_ci")
}

// IsBin reports whether the collation belongs to the "_bin" set used by
// TiDB's NeedRestoredData test (spec §2.6): ascii_bin, latin1_bin, utf8_bin,
// utf8mb4_bin, binary, utf8mb4_0900_bin.
func IsBin(name string) bool {
	switch canonical(strings.ToLower(name)) {
	case "ascii_bin", "latin1_bin", "utf8_bin", "utf8mb4_bin", "binary", "utf8mb4_0900_bin":
		return true
	}
	return false
}

// DefaultForCharset returns TiDB's default collation for a character set
// (matched case-insensitively), or "" for a charset TiDB does not support.
func DefaultForCharset(charset string) string {
	switch strings.ToLower(charset) {
	case "utf8mb4":
		return "utf8mb4_bin"
	case "utf8", "utf8mb3":
		return "utf8_bin"
	case "binary":
		return "binary"
	case "latin1":
		return "latin1_bin"
	case "ascii":
		return "ascii_bin"
	case "gbk":
		return "gbk_bin"
	case "gb18030":
		return "gb18030_bin"
	}
	return ""
}

// trimSpace removes trailing ASCII spaces (0x20 only, never tabs or U+3000):
// that is all PAD SPACE means in TiDB's key functions.
func trimSpace(s []byte) []byte {
	i := len(s)
	for i > 0 && s[i-1] == ' ' {
		i--
	}
	return s[:i]
}
