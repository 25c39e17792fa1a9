package schema

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// ErrInvalidEncoding means a schema file is not valid in the configured
// mydumper.character-set. The text matches Lightning's message.
var ErrInvalidEncoding = errors.New("invalid schema encoding")

// Schema-file character sets accepted by mydumper.character-set.
const (
	CharsetAuto    = "auto"
	CharsetUTF8MB4 = "utf8mb4"
	CharsetGB18030 = "gb18030"
	CharsetLatin1  = "latin1"
	CharsetBinary  = "binary"
)

// DecodeSchemaFile converts the bytes of a schema file to the text that is
// parsed and sent to the target, according to mydumper.character-set.
// An empty charset means auto. "binary" returns data unchanged (it may then
// hold bytes that are not UTF-8; they are passed through to the server).
func DecodeSchemaFile(data []byte, charset string) ([]byte, error) {
	cs := strings.ToLower(strings.TrimSpace(charset))
	switch cs {
	case CharsetBinary:
		return data, nil
	case "", CharsetAuto, CharsetUTF8MB4, "utf8":
		if utf8.Valid(data) {
			return data, nil
		}
		if cs == CharsetUTF8MB4 || cs == "utf8" {
			return nil, fmt.Errorf("%w: file is not valid UTF-8 (mydumper.character-set = %q)", ErrInvalidEncoding, charset)
		}
		// auto: the only other encoding Dumpling users commonly have is
		// GB18030 (a superset of GBK), so try it next.
		return decodeGB18030(data)
	case CharsetGB18030, "gbk":
		return decodeGB18030(data)
	case CharsetLatin1:
		// MySQL's latin1 is really Windows-1252; decode the same way so the
		// bytes 0x80-0x9F map to the characters MySQL shows for them.
		out, err := charmap.Windows1252.NewDecoder().Bytes(data)
		if err != nil {
			return nil, fmt.Errorf("decoding schema file as latin1: %w", err)
		}
		return out, nil
	default:
		return nil, fmt.Errorf("unsupported mydumper.character-set %q (want auto, utf8mb4, gb18030, latin1 or binary)", charset)
	}
}

func decodeGB18030(data []byte) ([]byte, error) {
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil {
		return nil, fmt.Errorf("%w: decoding as GB18030: %v", ErrInvalidEncoding, err)
	}
	// The decoder replaces undecodable sequences with U+FFFD; a schema whose
	// names silently changed is worse than a failed import.
	if !utf8.Valid(out) || bytes.ContainsRune(out, utf8.RuneError) {
		return nil, fmt.Errorf("%w: file is neither valid UTF-8 nor valid GB18030", ErrInvalidEncoding)
	}
	return out, nil
}
