package parser

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// NewCharsetReader converts a data file from [mydumper].data-character-set
// to UTF-8 as it streams:
//
//   - "binary" (or ""): no conversion, r itself is returned;
//   - "utf8mb4" / "utf8" / "utf8mb3": bytes are kept, every invalid UTF-8
//     byte is replaced by invalidReplace;
//   - "gb18030", "gbk", "latin1" (Windows-1252, like MySQL's latin1),
//     "ascii": decoded to UTF-8, undecodable bytes become invalidReplace.
//
// Offsets reported by a parser reading the returned reader (Row.Offset, Pos,
// boundaries) count bytes of the converted stream, not of the file, except
// for "binary" where both are the same. Chunking and resumption of a
// converted file must therefore use offsets obtained through the same
// conversion (or not split such files).
//
// x/text decoders mark undecodable input with U+FFFD; when invalidReplace is
// something else, every U+FFFD in the decoded text is replaced, including a
// U+FFFD that the source encoded legitimately (GB18030 can).
func NewCharsetReader(r io.Reader, charset, invalidReplace string) (io.Reader, error) {
	var dec *encoding.Decoder
	switch strings.ToLower(charset) {
	case "", "binary":
		return r, nil
	case "utf8mb4", "utf8", "utf8mb3", "utf-8":
		return transform.NewReader(r, &utf8Fixer{replace: []byte(invalidReplace)}), nil
	case "ascii":
		return transform.NewReader(r, &utf8Fixer{replace: []byte(invalidReplace), asciiOnly: true}), nil
	case "gb18030":
		dec = simplifiedchinese.GB18030.NewDecoder()
	case "gbk":
		dec = simplifiedchinese.GBK.NewDecoder()
	case "latin1":
		dec = charmap.Windows1252.NewDecoder()
	default:
		return nil, fmt.Errorf("unsupported data-character-set %q", charset)
	}
	if invalidReplace == string(utf8.RuneError) {
		return transform.NewReader(r, dec), nil
	}
	return transform.NewReader(r, transform.Chain(dec, &utf8Fixer{replace: []byte(invalidReplace), replaceRuneError: true})), nil
}

// utf8Fixer copies UTF-8 text, replacing invalid bytes (and, with
// replaceRuneError, U+FFFD; with asciiOnly, every byte >= 0x80).
type utf8Fixer struct {
	replace          []byte
	replaceRuneError bool
	asciiOnly        bool
}

func (f *utf8Fixer) Reset() {}

func (f *utf8Fixer) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		c := src[nSrc]
		if c < utf8.RuneSelf {
			if nDst >= len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			dst[nDst] = c
			nDst++
			nSrc++
			continue
		}
		if f.asciiOnly {
			if nDst+len(f.replace) > len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			nDst += copy(dst[nDst:], f.replace)
			nSrc++
			continue
		}
		if !atEOF && !utf8.FullRune(src[nSrc:]) {
			return nDst, nSrc, transform.ErrShortSrc
		}
		r, size := utf8.DecodeRune(src[nSrc:])
		if r == utf8.RuneError && (size == 1 || f.replaceRuneError) {
			if nDst+len(f.replace) > len(dst) {
				return nDst, nSrc, transform.ErrShortDst
			}
			nDst += copy(dst[nDst:], f.replace)
			nSrc += size
			continue
		}
		if nDst+size > len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		nDst += copy(dst[nDst:], src[nSrc:nSrc+size])
		nSrc += size
	}
	return nDst, nSrc, nil
}
