// Package schema reads the schema files of a dump (Dumpling/mydumper) and
// describes target tables.
//
// Design:
//
//   - The file name, not the statement, decides which database and table a
//     schema file creates (Lightning's contract, see the acceptance README).
//     ReadCreateTable and ReadCreateView therefore parse the file with TiDB's
//     own SQL grammar, replace the statement's (possibly schema-qualified)
//     name with the target `db`.`table`, force IF NOT EXISTS, and print the
//     statement back with format.RestoreCtx. Printing rather than
//     string-splicing means odd identifiers, comments inside the DDL and
//     Dumpling's leading SET / DROP statements cannot confuse the rewrite.
//   - The printed DDL is valid for TiDB and for MySQL/MariaDB at the same
//     time: TiDB-only clauses (AUTO_RANDOM, SHARD_ROW_ID_BITS, CLUSTERED,
//     placement ...) are printed inside /*T![feature] ... */ comments, which
//     TiDB executes and MySQL/MariaDB treat as plain comments.
//   - DecodeSchemaFile applies mydumper.character-set before parsing: auto
//     (UTF-8 if valid, else GB18030), utf8mb4 (must be valid UTF-8), gb18030,
//     latin1 (Windows-1252, as Lightning) and binary (bytes untouched). A
//     decoding that cannot produce valid UTF-8 fails with ErrInvalidEncoding;
//     a mis-decoding that breaks the SQL fails later as a syntax error.
//   - TableInfo is the part of a table definition the importers need: the
//     ordered columns (for column permutation and for deciding which missing
//     columns the server fills) and the primary/unique keys. It can be built
//     from a parsed CREATE TABLE or loaded from information_schema of a live
//     server (no-schema mode, pre-existing tables).
package schema
