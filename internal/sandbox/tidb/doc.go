// Package tidb is the sandbox cluster's TiDB front: a MySQL-protocol SQL
// server plus TiDB's status HTTP API, serving tables whose rows live as
// TiDB-encoded KV pairs in the sandbox's TiKV stores. An importer talks to
// it exactly as to a real TiDB (DDL, prechecks, logical INSERTs, ADMIN
// CHECKSUM, auto-ID rebases, schema JSON) and cannot tell the difference
// for the statements it uses.
//
// # Design
//
// SQL evaluation is go-mysql-server's (GMS): expressions, functions,
// aggregates, joins, views, information_schema, SET/@@ variables. The
// front supplies three things around it:
//
//   - A catalog (catalog.go) of schemas and tables with TiDB-style IDs: one
//     global allocator hands out schema, table and partition IDs in
//     creation order; column and index IDs follow kv.BuildTableInfo (1..n
//     in definition order). The catalog stores each table's CREATE TABLE
//     text as restored by TiDB's parser plus its auto-ID bases, and rebuilds
//     the kv.TableInfo from the text, so codec and catalog can never
//     disagree. It is a JSON file in Options.DataDir (or memory only).
//
//   - Tables for GMS (table.go, provider.go) that read by scanning the
//     record range t{id}_r of every physical table in the KV store and
//     decoding with kv.Decoder, and write (INSERT/REPLACE/IGNORE/UPDATE/
//     DELETE) by encoding with kv.Encoder and putting the pairs through
//     KVWriter. Bytes on disk are therefore exactly what a physical import
//     would have written. Scans stream (scan.go): the engine's row
//     iterator reads the range in batches of at most 1024 records or 4 MiB
//     of pairs, each one KV Scan from a resume key, and holds only the
//     current batch, so memory does not grow with the table. Statements
//     that write rows while reading them (UPDATE, INSERT/REPLACE ...
//     SELECT) read the table up front instead, so their own writes, which
//     may land ahead of the cursor, are not read again. Duplicate keys
//     surface as GMS unique-key errors carrying the existing row, which is
//     how GMS implements IGNORE, REPLACE and ON DUPLICATE KEY UPDATE. Row IDs and AUTO_INCREMENT
//     share one allocator per table (TiDB's default), cached in batches.
//     The hidden _tidb_rowid column is added to a table's schema only for
//     statements that name it, so SELECT * keeps TiDB's column list.
//     TIMESTAMP values are stored in UTC and decoded into / encoded from
//     the session's time_zone (timezone.go; SYSTEM, the default, is this
//     process's zone), so the engine sees wall-clock values and WHERE
//     compares in the session zone. The engine gets TIMESTAMP columns as
//     DATETIME of the same precision (its TIMESTAMP range is UTC's; a
//     value shown in a western zone may fall before 1970); the handler
//     gives result columns back their TIMESTAMP wire type and TIME(n) its
//     fsp (rewrite.go, floatFixer).
//
//   - Expression indexes (exprindex.go) get TiDB's layout: a hidden
//     virtual column _V$_<index>_<part> per expression key part, appended
//     after the columns, typed like the expression, and an index on it; the
//     codec evaluates it like any indexed generated column, so index KVs,
//     ADMIN CHECK/CHECKSUM and the schema JSON match what TiDB would have.
//
//   - A protocol handler (handler.go, ddl.go, admin.go) in front of GMS's
//     own. Statements with TiDB meaning are parsed with TiDB's parser and
//     answered directly: CREATE/DROP DATABASE, CREATE TABLE (any TiDB
//     syntax: AUTO_RANDOM, SHARD_ROW_ID_BITS, CLUSTERED, partitions, /*T!
//     comments), DROP/TRUNCATE TABLE, ALTER TABLE AUTO_INCREMENT= /
//     AUTO_RANDOM_BASE=, ADMIN CHECKSUM TABLE (CRC64-ECMA XOR over raw keys
//     and values, spec §6), ADMIN CHECK TABLE/INDEX, ANALYZE TABLE (no-op),
//     SPLIT (no-op), SHOW CREATE TABLE/DATABASE, SHOW TABLE t NEXT_ROW_ID
//     and ADMIN SHOW t NEXT_ROW_ID (one row per TiDB allocator, the
//     persisted base plus one), and SET time_zone to a zone TiDB refuses
//     (error 1298). SELECTs hitting known GMS differences are rewritten
//     through the TiDB AST (rewrite.go): bit literals become numbers,
//     SUM/AVG over exact types become DECIMAL, IF takes the wider type of
//     its branches, CRC32 of a date/time hashes its string form, and
//     DOUBLE results are rendered the TiDB way. A statement the engine
//     cannot parse is retried as TiDB's parser restores it, every
//     identifier back-quoted, since the engine reserves words TiDB does
//     not (copy). SET of a variable GMS does
//     not know succeeds silently, as importers set many TiDB variables.
//
// The status API (status.go) serves /status, /settings (with "path" = PD
// address), /schema, /schema/{db} and /schema/{db}/{table} in TiDB's
// model.TableInfo JSON shape, which kv.TableInfoFromJSON reads back.
//
// # Limits
//
// There are no transactions (each row write is applied at once; BEGIN and
// COMMIT are accepted; a streaming scan is not a snapshot, so rows another
// session writes meanwhile may or may not be seen), no statistics, no real
// privileges (any user and password are accepted), and only ALTER TABLE
// auto-ID options. GMS keeps
// its system-variable registry process-wide, so several fronts in one
// process share global variables (time_zone included); GMS also logs
// through logrus's standard logger, outside the injected zap logger.
// Statements the engine parses itself keep invalid UTF-8 in identifiers
// as it is (TiDB's lexer turns each such byte into '?'), and SHOW COLUMNS
// is the engine's (stand-in types: TIMESTAMP as datetime, VARCHAR as
// text); information_schema.COLUMNS is TiDB's. Expression indexes are
// limited to the expressions exprType can type.
package tidb
