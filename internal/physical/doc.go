// Package physical is the logic of the physical ("local") backend: rows are
// encoded into TiDB's KV pairs (package kv), sorted into a local engine
// (package engine), and ingested into TiKV (package ingest); afterwards the
// table's allocators are rebased and the ingested data is checksummed
// against what was encoded. It knows nothing of Temporal: internal/importer
// and activities adapt it, and it is tested directly against the sandbox
// cluster.
//
// # Engines: one per table, on one node
//
// Lightning writes record KVs to data engines (one per batch of chunks) and
// index KVs to one index engine per table. We write both to a single engine
// per table: an engine is only a sorted set of keys, record and index keys
// never collide, and a single engine means a single ImportEngine step per
// table, which is what the workflow pins to one node's task queue. The cost
// is that a huge table's ingest starts only after its last chunk; batching
// into several data engines can come later without changing the workflow's
// shape (one more loop over engine IDs).
//
// Engines live under <sorted-kv-dir>/<engine name>, where the name is the
// readable table name plus a hash of (task, db, table, generation): a task
// re-run or a re-encode on another node never reuses a stale engine.
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
