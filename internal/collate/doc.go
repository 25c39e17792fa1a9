// Package collate builds the string sort keys that TiDB (with "new
// collation" enabled) stores inside index keys and common-handle record keys.
// Lightning's physical import writes those keys directly into TiKV, so every
// byte must match what TiDB itself would produce (spec §2.6); a key that is
// merely "ordered the same" would make TiDB miss the rows on lookup.
//
// # API
//
// Get(name) returns a Collator for a collation on a cluster with new
// collation enabled; GetForCluster also covers new collation disabled, where
// every string is keyed by its raw bytes. Collator.Key appends the sort key
// (the caller then wraps it with codec.EncodeBytes behind flag 0x01);
// Collator.Compare orders two strings exactly as their keys order.
// Collations whose keys we cannot reproduce exactly return *UnsupportedError,
// which callers must treat as "refuse physical import", never as a reason to
// fall back to another collation.
//
// # Key of each collation
//
//   - binary, utf8mb4_0900_bin (NO PAD): the bytes as they are.
//   - utf8mb4_bin, utf8_bin, latin1_bin, ascii_bin (PAD SPACE): the bytes with
//     trailing 0x20 bytes removed. Only ASCII space is trimmed (not tab, not
//     U+3000). Bytes are not decoded, so invalid UTF-8 is kept.
//   - utf8mb4_general_ci, utf8_general_ci (PAD SPACE): trim trailing 0x20, then
//     for each rune one 2-byte big-endian weight: MySQL's classic
//     case-folding/accent-stripping table (my_unicase_default "sort" values:
//     a→A, á→A, ß→S, µ→Μ ...; identity for code points it does not list);
//     every rune above U+FFFF weighs 0xFFFD.
//   - utf8mb4_unicode_ci, utf8_unicode_ci (PAD SPACE): trim trailing 0x20, then
//     for each rune its UCA 4.0.0 (allkeys-4.0.0) primary weights, 0 to 8 of
//     them, 2 bytes big-endian each. Ignorable runes (e.g. U+0000) emit
//     nothing; expansions emit several weights (ß → 0FEA 0FEA, U+FDFB → 8
//     weights). Code points absent from allkeys get MySQL's implicit weights
//     (base 0xFB40 for CJK U+4E00..U+9FA5, 0xFB80 for CJK ext. A
//     U+3400..U+4DB5, 0xFBC0 otherwise, plus (cp>>15); second weight
//     (cp & 0x7FFF) | 0x8000); Hangul syllables are not decomposed. There are
//     no contractions (MySQL's and TiDB's unicode_ci are per rune). Every rune
//     above U+FFFF weighs 0xFFFD, a single weight.
//
// Every _ci weight is non-zero and exactly 2 bytes, so bytewise comparison of
// keys equals lexicographic comparison of weight sequences; Compare walks the
// same weight iterators as Key and therefore always agrees with it.
//
// # Invalid UTF-8
//
// TiDB's _ci key functions stop at the first byte that does not start a valid
// UTF-8 sequence and return the key produced so far (spec §2.6). We decode
// with unicode/utf8, so "invalid" includes overlong forms, encoded surrogates
// (ED A0 80 ...) and truncated sequences; the rest of the string is ignored.
// A correctly encoded U+FFFD is a normal rune. The _bin and binary keys never
// decode and keep every byte. Nothing here panics on any input.
//
// # Where the weight tables come from
//
// general_ci.bin and unicode_ci_0400.bin (embedded; expanded lazily on first
// use into immutable lookup tables) were produced by gen_tables.go from a
// sweep of every BMP code point through WEIGHT_STRING on a local MariaDB
// 10.11 (Debian package mariadb-server), whose utf8mb4_unicode_ci carries the
// UCA 4.0.0 primary weights and whose utf8mb4_general_ci carries MySQL's
// classic table — the same data TiDB's tables were built from. The files hold
// only data (no code from MySQL, MariaDB or TiDB); code points whose UCA
// weight is the implicit one are not stored but recomputed. The generator's
// header gives the exact query. TestDifferentialMariaDB repeats that sweep
// plus random multi-rune strings against a private MariaDB on every run, and
// the spec's golden vectors pin TiDB's own expected keys.
//
// # Not supported (UnsupportedError)
//
// utf8mb4_0900_ai_ci and the other _0900_ collations (UCA 9.0.0 weights are
// not available offline: golang.org/x/text ships CLDR-23/UCA 6.2.0 tables and
// MariaDB 10.11 has no 0900 collations), gbk_* and gb18030_* (their key
// encoding is not in the spec), utf8mb4_zh_pinyin_tidb_as_cs, and any unknown
// name (TiDB would silently use utf8mb4_bin; we refuse instead, since an
// unknown name means our view of the schema is out of sync with TiDB).
package collate
