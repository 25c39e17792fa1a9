package collate

import "bytes"

// rawCollator keys a string by its bytes, untouched: binary, utf8mb4_0900_bin
// and every collation when new collation is disabled.
type rawCollator struct{ name string }

func (c rawCollator) Key(dst, s []byte) []byte { return append(dst, s...) }
func (c rawCollator) Compare(a, b []byte) int  { return bytes.Compare(a, b) }
func (c rawCollator) Name() string             { return c.name }
func (c rawCollator) PadSpace() bool           { return false }

// padBinCollator is the PAD SPACE binary collation (utf8mb4_bin, utf8_bin,
// latin1_bin, ascii_bin): bytes with trailing 0x20 removed. The bytes are not
// decoded, so invalid UTF-8 is kept as is.
type padBinCollator struct{ name string }

func (c padBinCollator) Key(dst, s []byte) []byte { return append(dst, trimSpace(s)...) }
func (c padBinCollator) Compare(a, b []byte) int {
	return bytes.Compare(trimSpace(a), trimSpace(b))
}
func (c padBinCollator) Name() string   { return c.name }
func (c padBinCollator) PadSpace() bool { return true }
