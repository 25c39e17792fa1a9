// Package physical is the logic of the physical ("local") backend: rows are
// encoded into TiDB's KV pairs (package kv), sorted into local engines
// (package engine), and ingested into TiKV (package ingest); afterwards the
// table's allocators are rebased and the ingested data is checksummed
// against what was encoded. It knows nothing of Temporal: internal/importer
// and activities adapt it, and it is tested directly against the sandbox
// cluster.
//
// # Engines: Lightning's layout, on one node
//
// A table is written to several engines, as Lightning does: one data
// engine per batch of chunks for the record KVs, and one index engine for
// the whole table's index KVs (engine ID IndexEngineID = -1). The chunk
// planner (mydump) numbers each chunk's data engine from
// mydumper.batch-size and batch-import-ratio: engines of about batch-size
// source bytes, the first few growing in size so that they finish at
// staggered times. A chunk writes through a split writer (engines.go) that
// sends each pair by its key kind: record keys to its data engine, index
// keys to the index engine, each with its own sort buffer of
// local-writer-mem-cache-size.
//
// Why split: a data engine is complete once its own chunks are encoded, so
// the workflow imports it right away, overlapping with the encoding of the
// next batch, instead of ingesting the whole table after its last chunk;
// and the engines on disk stay about batch-size large. Index KVs of any
// chunk can fall anywhere in the index key space, so they go to one index
// engine, imported after every chunk and data engine. Record and index keys
// never collide, and each engine is imported on its own (own commit TS,
// own scheduler pause over its key range).
//
// All of a table's engines live on the one node that claimed the table:
// the index engine is shared by every chunk, so the chunks and the engine
// imports all run on that node's queue. Losing the node loses the index
// engine, so the workflow re-encodes every chunk into a new generation,
// re-importing data engines that were already ingested (identical pairs;
// the chunk checksums are summed afresh).
//
// Engines live under <sorted-kv-dir>/<engine name>, where the name is the
// readable table name, d<ID> or i, and a hash of (task, db, table,
// generation, engine ID): a task re-run or a re-encode on another node
// never reuses a stale engine.
//
// # Disk quota
//
// tikv-importer.disk-quota is enforced per sorted-kv-dir every
// cron.check-disk-quota (EnforceDiskQuota, engine.Manager.EnforceQuota),
// as Lightning does: when the directory is over the quota, every engine
// writer of the directory waits while the largest engines — just enough of
// them — are ingested into TiKV early and emptied (engine.Reset keeps the
// commit TS), then writing goes on. An engine whose own ImportEngine runs
// is skipped (it is about to be removed) and the two never run at once
// (engine import lock). What an engine gets after an early import is
// ingested by its final import with the same commit TS, and a retried
// chunk that rewrites pairs already ingested writes identical versions, so
// the table's checksum is still the sum of the chunks' checksums. The quota
// is soft: writers run freely between checks. Waiting writers block their
// chunk activity's flush, so physical chunk activities heartbeat on a
// timer (activities.ImportChunk) instead of only after each batch.
//
// Memory: each engine's Pebble memtable is engine-mem-cache-size, but
// writers ingest sorted SSTs and never fill it (see package engine); each
// chunk holds two writer buffers of local-writer-mem-cache-size.
//
// # Encoding a chunk is idempotent; its checksum is per attempt
//
// A chunk's rows get row IDs PrevRowIDMax+1… from the plan, AUTO_RANDOM
// shards are seeded by PrevRowIDMax, SHARD_ROW_ID_BITS by the row ID, and
// CURRENT_TIMESTAMP defaults use one timestamp fixed by the workflow for the
// whole table. Re-encoding a chunk therefore produces exactly the same pairs,
// and Pebble's last-write-wins makes writing them again harmless. The engine
// write is not transactional with Temporal's heartbeat, so a retried chunk
// attempt does not resume from its last heartbeat: it restarts from the
// chunk's start and its result (checksum, max auto IDs) covers the chunk's
// full key set. Heartbeats report progress only. The workflow adds the
// per-chunk checksums of completed chunk activities; that sum is compared
// with ADMIN CHECKSUM TABLE after the ingest.
//
// # A table's base: importing into non-empty tables
//
// Before the first chunk of a table is planned, ReadTableBase reads what
// the table already holds (Lightning's table meta manager): the ADMIN
// CHECKSUM of its rows, the largest ID its allocators handed out (SHOW
// TABLE NEXT_ROW_ID) and the target's time zone. The plan's row IDs are
// offset by that ID, so implicit _tidb_rowid values and generated auto IDs
// continue after the existing rows (and a table created with
// AUTO_INCREMENT=n starts at n), and the post-import comparison is
// remote == base + local. The workflow keeps the base for the whole
// import: re-plans after a node loss, when the table may already hold part
// of this import, reuse it.
//
// # Time zone
//
// TIMESTAMP literals are wall clock in the target session's zone
// (@@time_zone, for SYSTEM @@system_time_zone), converted to UTC by the
// encoder; the zone travels with the base, so every worker encodes the
// same bytes whatever its own zone (zone data is compiled in). The same
// zone is FROM_UNIXTIME's in stored generated columns. AES_ENCRYPT and `/`
// there use the target's @@block_encryption_mode and
// @@div_precision_increment, read with the zone (ReadSession) and carried
// with it.
//
// # Rows that cannot be converted
//
// A value its column cannot take under tidb.sql-mode skips the row: it is
// counted against lightning.max-error.type and recorded in the task-info
// schema's type_error_v1, the table and columns the logical backend writes
// (package taskinfo). Because a retried chunk attempt meets the same rows
// again, a record is written only if the task has none for that table,
// file and offset, and the budget is checked against the task's recorded
// rows, so retries neither duplicate records nor spend the budget twice.
// The row over the budget fails the chunk, naming table, file, offset and
// reason.
//
// # Import mode and schedulers
//
// ImportEngine holds the stores in import mode while it runs through a
// keeper shared by all imports of this process to the same PD (reference
// counted, so one table finishing does not switch stores back under another
// table still ingesting), pauses PD scheduling over the engine's key range,
// and undoes both on a fresh context whatever happens, including
// cancellation. A worker that crashes leaves both to their TTLs, and the
// task's Cleanup switches every store back to normal.
package physical
