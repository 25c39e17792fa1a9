package kv

import (
	"errors"
	"fmt"

	"github.com/tempestdb/tempest/internal/kv/codec"
)

// Key layout constants (TiDB tablecodec).
const (
	tablePrefix     byte = 't'
	recordSepByte   byte = 'r'
	indexSepByte    byte = 'i'
	sepByte         byte = '_'
	tablePrefixLen       = 9  // 't' + EncodeInt(tid)
	recordPrefixLen      = 11 // tablePrefix + "_r"
	indexPrefixLen       = 19 // tablePrefix + "_i" + EncodeInt(indexID)
	// RecordKeyIntLen is the length of a record key with an int handle; a
	// record key of exactly this length is decoded as an int handle.
	RecordKeyIntLen = recordPrefixLen + 8
)

// AppendTablePrefix appends 't' || EncodeInt(tableID).
func AppendTablePrefix(dst []byte, tableID int64) []byte {
	return codec.EncodeInt(append(dst, tablePrefix), tableID)
}

// AppendRecordPrefix appends 't' || EncodeInt(tableID) || "_r".
func AppendRecordPrefix(dst []byte, tableID int64) []byte {
	return append(AppendTablePrefix(dst, tableID), sepByte, recordSepByte)
}

// AppendRecordKey appends the record key of an int handle.
func AppendRecordKey(dst []byte, tableID, handle int64) []byte {
	return codec.EncodeInt(AppendRecordPrefix(dst, tableID), handle)
}

// AppendCommonRecordKey appends the record key of a common handle; h is the
// already encoded handle (EncodeKey of the PK datums).
func AppendCommonRecordKey(dst []byte, tableID int64, h []byte) []byte {
	return append(AppendRecordPrefix(dst, tableID), h...)
}

// AppendIndexPrefix appends 't' || EncodeInt(tableID) || "_i" || EncodeInt(indexID).
func AppendIndexPrefix(dst []byte, tableID, indexID int64) []byte {
	dst = append(AppendTablePrefix(dst, tableID), sepByte, indexSepByte)
	return codec.EncodeInt(dst, indexID)
}

// AppendMetaKey appends 'm' || EncodeBytes(key) || EncodeUint('h') || EncodeBytes(field),
// the hash-field meta key layout.
func AppendMetaKey(dst, key, field []byte) []byte {
	dst = codec.EncodeBytes(append(dst, 'm'), key)
	dst = codec.EncodeUint(dst, uint64('h'))
	return codec.EncodeBytes(dst, field)
}

// KeyKind classifies a TiDB key.
type KeyKind uint8

// Key kinds.
const (
	KeyUnknown KeyKind = iota
	KeyRecord
	KeyIndex
)

// ClassifyKey reports whether key is a record or index key, by the byte after
// the table prefix (as Lightning's ClassifyAndAppend does).
func ClassifyKey(key []byte) KeyKind {
	if len(key) < recordPrefixLen || key[0] != tablePrefix || key[tablePrefixLen] != sepByte {
		return KeyUnknown
	}
	switch key[tablePrefixLen+1] {
	case recordSepByte:
		return KeyRecord
	case indexSepByte:
		return KeyIndex
	}
	return KeyUnknown
}

var errNotTableKey = errors.New("kv: not a table key")

// DecodeTableID returns the (physical) table ID of a record or index key.
func DecodeTableID(key []byte) (int64, error) {
	if len(key) < tablePrefixLen || key[0] != tablePrefix {
		return 0, errNotTableKey
	}
	_, id, err := codec.DecodeInt(key[1:])
	return id, err
}

// DecodeRecordKey splits a record key into table ID and handle. For int
// handles (19-byte keys) intHandle is set and common is nil; otherwise common
// aliases the encoded common handle.
func DecodeRecordKey(key []byte) (tableID int64, intHandle int64, common []byte, err error) {
	if ClassifyKey(key) != KeyRecord {
		return 0, 0, nil, fmt.Errorf("kv: not a record key: %x", key)
	}
	tableID, _ = DecodeTableID(key)
	rest := key[recordPrefixLen:]
	if len(key) == RecordKeyIntLen {
		_, intHandle, err = codec.DecodeInt(rest)
		return tableID, intHandle, nil, err
	}
	if len(rest) == 0 {
		return tableID, 0, nil, fmt.Errorf("kv: record key without handle: %x", key)
	}
	return tableID, 0, rest, nil
}

// DecodeIndexKeyPrefix splits an index key into table ID, index ID and the
// encoded column values (plus any handle suffix).
func DecodeIndexKeyPrefix(key []byte) (tableID, indexID int64, rest []byte, err error) {
	if ClassifyKey(key) != KeyIndex || len(key) < indexPrefixLen {
		return 0, 0, nil, fmt.Errorf("kv: not an index key: %x", key)
	}
	tableID, _ = DecodeTableID(key)
	_, indexID, err = codec.DecodeInt(key[recordPrefixLen:])
	return tableID, indexID, key[indexPrefixLen:], err
}
