// Package kv encodes table rows into the exact KV pairs TiDB writes, for the
// physical ("local") import backend, and decodes them back for tests and
// debugging. A single wrong byte here is a silently corrupt table, so every
// rule below cites the spec section (/work/shared/spec/tidb-encoding.md)
// it implements and is pinned by golden vectors.
//
// # Keys (§1)
//
//	record key  't' EncodeInt(physID) "_r" EncodeInt(handle)        int handle
//	            't' EncodeInt(physID) "_r" EncodeKey(PK datums)     common handle
//	index key   't' EncodeInt(physID) "_i" EncodeInt(indexID) EncodeKey(values) [handle]
//
// physID is the partition ID for partitioned tables. EncodeKey is the
// comparable datum encoding of package codec (flag byte + memcomparable
// body); strings are encoded as their collation sort key when the cluster
// has new collation enabled. The handle suffix is appended unless the index
// is "distinct" (UNIQUE or non-clustered PRIMARY and no NULL among the
// values): 0x03 EncodeInt(h) for int handles, the encoded common handle
// otherwise. Prefix index columns are truncated to N characters (bytes for
// binary/ascii) before encoding.
//
// # Record values (§3)
//
// Row format v2 (package rowcodec) or, with tidb_row_format_version=1, the
// old (colID, value) varint format. Left out of the row: the int-handle PK
// column, clustered PK columns whose key restores them exactly, virtual
// generated columns, and NULLs of columns whose default is NULL. TIMESTAMP
// values are converted from the session zone to UTC before packing.
//
// # Index values (§4)
//
// Clustered (CommonHandleVersion 1) tables use the version-1 layout
// 00 7D 01 [7F len16 H] [restored row]; all other tables the version-0
// layout: the 8-byte handle / '0' when nothing else is needed, otherwise
// TailLen || [7F len16 H] || [restored row] || handle-or-padding. Restored
// data keeps what the collation key loses: the original string for _ci
// collations, the trailing-space count for _bin ones (version 1) or the
// full value (version 0).
//
// # Handles and auto IDs (§5)
//
// _tidb_rowid tables use the row ID (optionally shard bits from
// SHARD_ROW_ID_BITS, drawn from math/rand reseeded per row), AUTO_INCREMENT
// fills missing/NULL values with the row ID, AUTO_RANDOM composes one
// per-encoder shard (math/rand seeded with the chunk seed) with the row ID.
// Encoder.MaxIDs reports what the allocators must be rebased past.
//
// # Checksum (§6)
//
// Checksum is Lightning's XOR of CRC-64/ECMA over key||value of every KV,
// plus KV count and byte total; it matches TiKV's coprocessor checksum of the
// imported ranges.
//
// # Scope and refusals
//
// Anything whose bytes cannot be produced exactly is refused when the
// encoder is built (never a guessed value): KEY / LINEAR partitioning,
// global, multi-valued, partial, vector and fulltext indexes, collations
// without exact key tables, expression indexes without the cluster schema,
// and generated-column expressions outside the subset documented in expr.go.
// Generated columns are evaluated with the session settings TiDB's would
// use (EncoderOptions: time zone for FROM_UNIXTIME, block_encryption_mode
// for AES_ENCRYPT, div_precision_increment for `/`); where TiDB's value depends on internal precision the
// evaluator does not reproduce (a decimal quotient that does not terminate
// within its scale, a fractional DOUBLE into an integer column) the row
// fails rather than get a guessed value.
// Default expressions other than CURRENT_TIMESTAMP are refused for rows that
// omit the column (Encoder.CheckColumns reports it at plan time).
//
// # Performance
//
// Encoder keeps all per-row state in reusable buffers and appends into a
// caller-owned Pairs arena, so steady-state encoding allocates nothing.
package kv
