// Package logical is the "tidb" backend: it imports rows by sending SQL over
// the MySQL protocol, so it works against TiDB, MySQL and MariaDB alike.
//
// Design:
//
//   - Values are sent as SQL literals exactly as the source wrote them and
//     the server does every cast (strings quoted and escaped, numbers as
//     written, x'..' / b'..' binary literals, NULL, DEFAULT). This is what
//     makes sql_mode on the import session meaningful: lenient modes coerce,
//     strict modes reject rows.
//   - The statement depends on conflict.strategy: "" / "error" → INSERT,
//     "replace" → REPLACE, "ignore" → INSERT whose duplicate-key failures are
//     recorded as conflicts and skipped (so they can be counted against
//     conflict.threshold, which INSERT IGNORE would hide).
//   - A ChunkWriter accumulates encoded tuples (Append reports when the batch
//     reached logical-import-batch-size / -batch-rows) and Flush sends them.
//     Each flush is ONE explicit transaction holding the INSERT statements,
//     the error records of rows the server rejected, and an upsert of the
//     chunk's progress row (<task-info-schema>.chunk_progress). Because data,
//     error records and progress commit together, a chunk activity that is
//     retried resumes from LoadChunkProgress and re-applies nothing: the
//     transaction also locks the progress row (SELECT ... FOR UPDATE) and
//     drops tuples whose row ID is already covered, so even a zombie attempt
//     or a resume from an older heartbeat cannot write a row twice. The
//     progress row also carries the statement start (SetPosition) and the
//     chunk's cumulative row / error counts (LoadChunkPosition), so resumed
//     statistics are exact too. With
//     task-info-schema-name = "" (or an empty chunk key) there is no progress
//     row: the caller's heartbeat is the only marker and the batch in flight
//     at a crash may be applied twice (at-least-once). That is harmless for
//     replace/ignore, and surfaces as a duplicate-key failure under "error".
//   - When a multi-row statement fails with a row-level error, the batch is
//     retried row by row inside the same transaction (a failed statement
//     only rolls back itself in InnoDB and TiDB) to find the bad rows. Data
//     errors go to type_error_v1, duplicate keys to conflict_records (tables
//     and columns as Lightning's, §1.9 of the reference). Budgets are global
//     to an import that many workers share, so they are checked against the
//     recorded rows of the whole task (CountRecordedErrors) plus a base the
//     caller may pass; WriteResult also returns per-call counts for callers
//     that sum them themselves.
//   - Transient failures (lost connection, deadlock, lock wait timeout, TiDB
//     write conflicts) roll the transaction back and retry it with bounded
//     exponential backoff. A failed COMMIT is ambiguous; the progress row
//     tells whether it happened.
//   - Secrets never travel in the workflow input: Open takes the password
//     separately from the (redacted) Config.
package logical
