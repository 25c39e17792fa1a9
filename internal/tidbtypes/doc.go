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
// BinaryJSON is TiDB's binary JSON (type code + value bytes; object keys in
// byte order, last duplicate wins, nesting up to 10000 levels as TiDB allows).
//
// # Conversion
//
// Convert / ConvertColumn / ConvertInto cast one parsed source field to the
// column type following TiDB's INSERT rules (table.CastColumnValue as used by
// Lightning). Source fields map to TiDB datums the way Lightning's parser
// builds them: unquoted integers become uint64 (int64 when negative) datums,
// every other literal — quoted strings, unquoted decimals/floats, CSV fields
// — is a string, hex/bit literals are binary literals, TRUE/FALSE are ints.
// This matters: e.g. an integer datum cannot be cast to DATE/DATETIME/
// TIMESTAMP in TiDB ("cannot convert datum from unsigned bigint to type
// timestamp."), while BIT(1) from 1 is 0x01 and not '1' = 0x31.
//
// The outcome of a lossy cast depends on StmtContext.SQLMode: in strict mode
// (STRICT_TRANS_TABLES or STRICT_ALL_TABLES) it returns a *ConvertError
// carrying the MySQL code (1264 out of range, 1366 incorrect value, 1406
// too long, 1292 bad date/time, 1265 bad ENUM/SET, 1048 NULL into NOT NULL,
// 3140 invalid JSON, 8210 unsupported cast); otherwise the value is adjusted
// (clamped, truncated, zeroed) and the same *ConvertError is recorded as a
// warning on the StmtContext. Invalid JSON is an error in every mode.
// NO_ZERO_DATE, NO_ZERO_IN_DATE, ALLOW_INVALID_DATES and
// TIME_TRUNCATE_FRACTIONAL affect temporal values as in MySQL; TIMESTAMP
// values are range-checked in StmtContext.TimeZone and returned as wall-clock
// time in that zone (TiDB's datum convention) for the encoder to convert to
// UTC. Defaults, AUTO_INCREMENT and AUTO_RANDOM are the caller's job: a
// DEFAULT field yields ErrDefaultField, and NULL into a NOT NULL column gives
// error 1048 (strict) or the type's zero value plus a warning.
//
// The package has no mutable globals; lookup tables are read-only. No input
// may make it panic (fuzz tests check Convert, MyDecimal and JSON).
package tidbtypes
