// Package engine implements Tempest's local sorted stores ("engines"): one
// Pebble database per engine under tikv-importer.sorted-kv-dir, filled by
// many concurrent chunk writers and later streamed, in key order, to TiKV by
// package ingest.
//
// # Layout
//
// An engine named N lives in <sorted-kv-dir>/N/:
//
//	db/           the Pebble database (raw TiDB keys, raw values)
//	tmp/          SST files being built by writers, removed after ingestion
//	engine.meta   JSON: UUID, name, commit TS (written atomically by rename)
//	range.props   append-only range properties, one framed block per SST
//
// # Bulk-load tuning (tidb-encoding.md §7.8)
//
// The database is opened with the WAL disabled, automatic compactions
// disabled, L0 compaction/stop thresholds at MaxInt32, LBaseMaxBytes 16 TiB,
// a 16 GiB L0 target file size, MemTableStopWritesThreshold 8 and at least
// 128 open files. Nothing in the engine needs crash durability beyond an
// ingested SST: a crashed chunk is simply re-encoded by its Temporal
// activity, and re-writing the same key with the same value is idempotent.
//
// # Writers: sort in memory, ingest as SST
//
// A Writer buffers pairs in memory up to local-writer-mem-cache-size, sorts
// them, and writes them to a fresh SST which is ingested into the DB. We
// chose ingestion over batch commits because:
//   - every byte is written to disk exactly once (no memtable flush, no WAL);
//   - concurrent writers do not contend on the memtable skiplist or the
//     commit pipeline: the expensive part (sorting and building the SST) runs
//     in parallel, only the ingest itself is serialized by Pebble;
//   - since nothing is ever written to the memtable, an ingest never forces a
//     memtable flush, so engine-mem-cache-size stays an upper bound rather
//     than a cost.
//
// The price is that overlapping SSTs from different writers stay in L0 (no
// compactions); a merging iterator over a few hundred L0 files is still far
// faster than the network path it feeds.
//
// # Duplicates: last write wins
//
// Within one Writer buffer, the pair added last wins (the sort is stable and
// only the last of a run of equal keys is written). Across flushes and
// across writers, the SST ingested last wins because Pebble gives each
// ingestion a higher sequence number. Callers that need "first wins" or
// conflict detection must do so before writing. Size and key totals count
// pairs as written, so a key written twice is counted twice.
//
// # Range properties and split keys
//
// While building each SST the writer records property points: a point
// (key, size, keys) is emitted once at least PropSizeInterval bytes
// (key+value) or PropKeysInterval keys have accumulated since the previous
// point, plus a final point at the SST's last key; size/keys are the amounts
// covered by (previous point, key]. The points of all SSTs are appended to
// range.props before the SST is ingested, so after a crash the properties can
// only over-count, never miss ingested data. SplitKeys merges all points in
// key order and cuts a range whenever the accumulated size or key count
// reaches the region split size/keys.
//
// # Disk quota: import early, hold writers, reset
//
// A Manager owns the engines of one sorted-kv-dir and a write gate that
// every writer's flush enters before its SST grows the directory.
// EnforceQuota (one check; the caller runs it every cron.check-disk-quota)
// does what Lightning's disk-quota check does: when the directory exceeds
// the quota, it closes the gate (waiting for flushes in progress), hands
// the largest engines — just enough of them — to an import function, and
// Resets each: the Pebble database and range properties are dropped and
// recreated, name, UUID and commit TS kept, so that what the engine gets
// later is imported by its final import with the same commit TS. The gate
// then reopens. An engine holding its import lock (LockImport: its final
// import runs) is skipped and counted as freed; the lock also keeps a
// final import from running during an early one. Waiting at the gate is
// cancellable.
//
// # Concurrency
//
// Engine methods are safe for concurrent use. A Writer is safe for
// concurrent use too (a mutex serializes its buffer), although the intended
// pattern is one Writer per chunk. Close waits for nothing: callers must
// close all writers before closing the engine; writes after Close fail with
// ErrClosed.
package engine
