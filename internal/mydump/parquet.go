package mydump

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/tempestdb/tempest/internal/storage"
)

// maxParquetFooter bounds the footer we are willing to read; real footers
// are kilobytes to a few megabytes.
const maxParquetFooter = 256 << 20

// ParquetRowCount reads the row count recorded in a parquet file's footer
// (FileMetaData.num_rows). Only the footer is read; it is decoded with a
// minimal Thrift compact-protocol walker that skips every other field, so no
// parquet library is needed for planning.
func ParquetRowCount(ctx context.Context, store storage.ExternalStorage, file FileInfo) (int64, error) {
	r, err := store.Open(ctx, file.Path)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	size, err := r.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, fmt.Errorf("parquet file %q: finding size: %w", file.Path, err)
	}
	if size < 12 {
		return 0, fmt.Errorf("parquet file %q: %d bytes is too short", file.Path, size)
	}
	var tail [8]byte
	if _, err := r.Seek(size-8, io.SeekStart); err != nil {
		return 0, fmt.Errorf("parquet file %q: %w", file.Path, err)
	}
	if _, err := io.ReadFull(r, tail[:]); err != nil {
		return 0, fmt.Errorf("parquet file %q: reading footer: %w", file.Path, err)
	}
	if string(tail[4:]) != "PAR1" {
		return 0, fmt.Errorf("parquet file %q: missing PAR1 magic (encrypted footers are not supported)", file.Path)
	}
	n := int64(binary.LittleEndian.Uint32(tail[:4]))
	if n <= 0 || n > size-12 || n > maxParquetFooter {
		return 0, fmt.Errorf("parquet file %q: bad footer length %d", file.Path, n)
	}
	if _, err := r.Seek(size-8-n, io.SeekStart); err != nil {
		return 0, fmt.Errorf("parquet file %q: %w", file.Path, err)
	}
	footer := make([]byte, n)
	if _, err := io.ReadFull(r, footer); err != nil {
		return 0, fmt.Errorf("parquet file %q: reading footer: %w", file.Path, err)
	}
	rows, err := footerNumRows(footer)
	if err != nil {
		return 0, fmt.Errorf("parquet file %q: decoding footer: %w", file.Path, err)
	}
	return rows, nil
}

// Thrift compact protocol type codes.
const (
	tcStop   = 0
	tcTrue   = 1
	tcFalse  = 2
	tcByte   = 3
	tcI16    = 4
	tcI32    = 5
	tcI64    = 6
	tcDouble = 7
	tcBinary = 8
	tcList   = 9
	tcSet    = 10
	tcMap    = 11
	tcStruct = 12
)

var errThrift = errors.New("malformed thrift data")

// thriftReader walks compact-protocol bytes.
type thriftReader struct {
	b     []byte
	pos   int
	depth int
}

func (t *thriftReader) byte() (byte, error) {
	if t.pos >= len(t.b) {
		return 0, errThrift
	}
	c := t.b[t.pos]
	t.pos++
	return c, nil
}

func (t *thriftReader) uvarint() (uint64, error) {
	v, n := binary.Uvarint(t.b[t.pos:])
	if n <= 0 {
		return 0, errThrift
	}
	t.pos += n
	return v, nil
}

func (t *thriftReader) varint() (int64, error) {
	u, err := t.uvarint()
	return int64(u>>1) ^ -int64(u&1), err // zigzag
}

func (t *thriftReader) skip(typ byte) error {
	switch typ {
	case tcTrue, tcFalse:
		return nil // the value lives in the field header
	case tcByte:
		_, err := t.byte()
		return err
	case tcI16, tcI32, tcI64:
		_, err := t.uvarint()
		return err
	case tcDouble:
		if t.pos+8 > len(t.b) {
			return errThrift
		}
		t.pos += 8
		return nil
	case tcBinary:
		n, err := t.uvarint()
		if err != nil || n > uint64(len(t.b)-t.pos) {
			return errThrift
		}
		t.pos += int(n)
		return nil
	case tcList, tcSet:
		h, err := t.byte()
		if err != nil {
			return err
		}
		size, elem := uint64(h>>4), h&0x0f
		if size == 15 {
			if size, err = t.uvarint(); err != nil {
				return err
			}
		}
		return t.skipN(size, elem, 0)
	case tcMap:
		size, err := t.uvarint()
		if err != nil || size == 0 {
			return err
		}
		kv, err := t.byte()
		if err != nil {
			return err
		}
		return t.skipN(size, kv>>4, kv&0x0f)
	case tcStruct:
		return t.skipStruct()
	}
	return errThrift
}

// skipN skips size elements (pairs when val != 0). Booleans inside
// containers take one byte each.
func (t *thriftReader) skipN(size uint64, key, val byte) error {
	if size > uint64(len(t.b)) { // every element takes at least a byte
		return errThrift
	}
	for i := uint64(0); i < size; i++ {
		for _, typ := range []byte{key, val} {
			if typ == 0 {
				continue
			}
			if typ == tcTrue || typ == tcFalse {
				if _, err := t.byte(); err != nil {
					return err
				}
				continue
			}
			if err := t.skip(typ); err != nil {
				return err
			}
		}
	}
	return nil
}

func (t *thriftReader) skipStruct() error {
	t.depth++
	defer func() { t.depth-- }()
	if t.depth > 64 {
		return errThrift
	}
	for {
		_, typ, err := t.fieldHeader(0)
		if err != nil {
			return err
		}
		if typ == tcStop {
			return nil
		}
		if err := t.skip(typ); err != nil {
			return err
		}
	}
}

// fieldHeader returns the next field's id and type given the previous id.
func (t *thriftReader) fieldHeader(prev int64) (int64, byte, error) {
	h, err := t.byte()
	if err != nil {
		return 0, 0, err
	}
	typ := h & 0x0f
	if typ == tcStop {
		return 0, tcStop, nil
	}
	if delta := int64(h >> 4); delta != 0 {
		return prev + delta, typ, nil
	}
	id, err := t.varint()
	return id, typ, err
}

// footerNumRows finds field 3 (num_rows, i64) of FileMetaData.
func footerNumRows(footer []byte) (int64, error) {
	t := &thriftReader{b: footer}
	var id int64
	for {
		var typ byte
		var err error
		id, typ, err = t.fieldHeader(id)
		if err != nil {
			return 0, err
		}
		if typ == tcStop {
			return 0, errors.New("num_rows not found")
		}
		if id == 3 && typ == tcI64 {
			n, err := t.varint()
			if err != nil {
				return 0, err
			}
			if n < 0 {
				return 0, fmt.Errorf("negative num_rows %d", n)
			}
			return n, nil
		}
		if err := t.skip(typ); err != nil {
			return 0, err
		}
	}
}
