// Package tidbtypes holds TiDB's value model as Tempest needs it to encode
// rows byte-exactly: datums, column types, exact decimals, MySQL times and
// durations, binary JSON, and the INSERT-time cast of source fields to column
// values under a given sql_mode.
//
// # Values
//
// Datum is a small value type (zero value = NULL) with a Kind
// (KindInt64, KindUint64, KindFloat32/64, KindString, KindBytes, KindDecimal,
// KindTime, KindDuration, KindEnum, KindSet, KindBinaryLiteral, KindJSON and
// the range sentinels KindMinNotNull/KindMaxValue). Nothing in a Datum is
// boxed: numbers, packed times and durations live in one int64, decimals in
// an inline fixed-size MyDecimal, and byte payloads in a slice that may alias
// the source buffer (call Clone to keep a datum past the buffer's lifetime).
// This keeps the per-row hot path free of allocations.
//
// Encoders (internal/kv) read datums through the accessors:
//
//	GetInt64 / GetUint64 / GetFloat64 / GetBytes / GetDecimal (+ Length/Frac =
//	column precision/scale) / GetTime (ToPackedUint; TIMESTAMP values are in
//	the session time zone, as in TiDB, and the encoder converts them to UTC) /
//	GetDuration / GetEnum / GetSet / GetMysqlBitUint64 / GetJSON / Collation
//
// MyDecimal follows MySQL's decimal semantics (81 digits max, scale kept,
// ROUND_HALF_UP) and writes the decimal2bin form with WriteBin (§2.3 of the
// encoding spec). Time stores broken-down fields so that zero and
// partly-zero dates (allowed by some sql_modes) are representable;
// ToPackedUint gives the §2.4 packed form. Duration is nanoseconds + fsp.
// BinaryJSON is TiDB's binary JSON (type code + value bytes).
//
// # Conversion
//
// Convert(field, fieldType, stmtCtx) casts one parsed source field to the
// column type following MySQL/TiDB INSERT rules. The outcome depends on
// StmtContext.SQLMode: in strict mode (STRICT_TRANS_TABLES or
// STRICT_ALL_TABLES) a lossy conversion returns a *ConvertError (MySQL code
// 1264, 1265, 1292, 1366, 1406, 1048, 3140 ...); otherwise the value is
// adjusted (clamped, truncated, zeroed) and the same *ConvertError is
// recorded as a warning on the StmtContext. Some errors (invalid JSON) are
// errors in every mode. ConvertColumn does the same and fills in the column
// name. TIMESTAMP values are range-checked in StmtContext.TimeZone and
// returned as wall-clock time in that zone (TiDB's datum convention); the
// encoder converts them to UTC before packing. NULL and DEFAULT handling for
// AUTO_INCREMENT / AUTO_RANDOM / column defaults is the caller's job: Convert
// only turns NULL into a NOT NULL column into the type's zero value (with a
// warning) or error 1048, and rejects KindDefault with ErrDefaultField.
//
// The package has no mutable globals; lookup tables are read-only. No input
// may make it panic (a fuzz test checks Convert).
package tidbtypes
