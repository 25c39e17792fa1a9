package kv

import "hash/crc64"

// crcTable is the ECMA polynomial table; hash/crc64 with it is CRC-64/XZ
// (reflected, init and final XOR all ones), which is what Lightning and
// TiKV's coprocessor checksum compute.
var crcTable = crc64.MakeTable(crc64.ECMA)

// Checksum accumulates Lightning's KV checksum: the XOR of
// CRC64(key || value) over all KVs, the KV count and the total key+value
// bytes. Accumulators combine by XOR/addition, so order does not matter and
// per-chunk values can be merged with Add.
//
// The zero value is an empty checksum without keyspace prefix.
type Checksum struct {
	base      uint64 // CRC64 of the keyspace prefix (0 without one)
	prefixLen uint64
	sum       uint64
	kvs       uint64
	bytes     uint64
}

// NewChecksumWithPrefix returns a checksum for API-v2 keyspace mode, where
// every key is conceptually prefixed by keyspacePrefix.
func NewChecksumWithPrefix(keyspacePrefix []byte) Checksum {
	return Checksum{base: crc64.Update(0, crcTable, keyspacePrefix), prefixLen: uint64(len(keyspacePrefix))}
}

// MakeChecksum builds a checksum from already known totals (e.g. the result
// of ADMIN CHECKSUM or a stored checkpoint).
func MakeChecksum(sum, kvs, bytes uint64) Checksum {
	return Checksum{sum: sum, kvs: kvs, bytes: bytes}
}

// UpdateOne adds one KV pair.
func (c *Checksum) UpdateOne(key, value []byte) {
	crc := crc64.Update(crc64.Update(c.base, crcTable, key), crcTable, value)
	c.sum ^= crc
	c.kvs++
	c.bytes += c.prefixLen + uint64(len(key)) + uint64(len(value))
}

// Update adds every pair of p.
func (c *Checksum) Update(p *Pairs) {
	for i := range p.Len() {
		c.UpdateOne(p.Key(i), p.Value(i))
	}
}

// Add merges another checksum into c.
func (c *Checksum) Add(o Checksum) {
	c.sum ^= o.sum
	c.kvs += o.kvs
	c.bytes += o.bytes
}

// Sum is the XOR of all per-KV CRC64 values.
func (c Checksum) Sum() uint64 { return c.sum }

// KVs is the number of KV pairs.
func (c Checksum) KVs() uint64 { return c.kvs }

// Bytes is the total key+value size.
func (c Checksum) Bytes() uint64 { return c.bytes }
