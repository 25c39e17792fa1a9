// Package ingest is the client side of physical import: it moves the pairs
// of a local engine (package engine) into TiKV the way TiDB Lightning's
// local backend does (tidb-encoding.md §7), as steps that Temporal
// activities can run, heartbeat and resume.
//
// # Pieces
//
//   - PD: a thin wrapper over github.com/tikv/pd/client for stores, region
//     scans (paged, 128 per call), TSO, scatter + GetOperator and service GC
//     safe points (GCSafePointKeeper refreshes one until Stop).
//   - Client: PD plus cached gRPC connections to every TiKV store and the
//     [tikv-importer] options.
//   - ModeKeeper: SwitchMode(Import) on all TiKV stores (TiFlash excluded),
//     re-asserted every cron.switch-mode; Stop switches back to Normal.
//   - SplitAndScatter: batch SplitRegion at region leaders, PD scatter and a
//     bounded wait for the scatter operators.
//   - ImportEngine: region jobs write → ingest with the retry state machine.
//   - SchedulerPauser: PD HTTP calls that pause scheduling for the import.
//
// # Keys: raw versus encoded
//
// The engine, split keys, job ranges and progress ranges are raw TiDB keys.
// PD region boundaries are EncodeBytes forms, so every comparison with a
// region converts: raw keys are encoded before being sent to ScanRegions,
// and region boundaries are decoded into raw space before intersecting
// with a job range. SplitRegion receives raw keys (is_raw_kv=false: TiKV
// encodes them). The SSTMeta range is {EncodeBytes(first), EncodeBytes(last)}
// inclusive, as §7.5 says; cf_name, crc32, length are left to TiKV.
//
// # Region job state machine (§7.4–7.6)
//
//	scanned --write to every peer--> wrote --MultiIngest at leader--> ingested
//	   ^                               |  \
//	   |                               |   `-- ServerIsBusy: back off, ingest again
//	   `------ rewrite ----------------'
//	needRescan: scan PD for the job's range; the job becomes one job per region
//
// Write: a fresh UUID per pass; the first message is the SSTMeta, then
// batches of at most send-kv-size bytes fanned out to all peers (each batch
// is marshalled once and the same bytes go to every peer's stream, see
// codec.go), each store throttled to store-write-bwlimit; a pass stops
// early after regionMaxSize bytes or region-split-keys pairs and the job
// continues after ingesting.
// The metas returned by the leader peer's store are ingested.
//
// Error → next stage:
//
//	Write:  DiskFull → fail (ErrDiskFull, not retryable); ServerIsBusy →
//	        back off and rewrite; NotLeader, EpochNotMatch, RegionNotFound,
//	        other store errors, transport errors / dropped stream, no leader
//	        metas → rescan.
//	Ingest: NotLeader with a hinted leader among the written peers → ingest
//	        again there at once, else rescan; EpochNotMatch → if one current
//	        region holds all SST ranges and has a peer on the old leader's
//	        store, rewrite to it, else rescan; ServerIsBusy → back off, keep
//	        "wrote"; RegionNotFound, KeyNotInRegion, StaleCommand,
//	        ReadIndexNotReady, "raft: proposal dropped" → rescan; DiskFull →
//	        fail; other → rewrite. Transport errors retry the RPC up to 20
//	        times, then rewrite.
//
// Every retry backs off exponentially between MinBackoff and MaxBackoff
// (1 s … 30 s by default; a server_is_busy backoff hint overrides it) and a
// job failing more than MaxRetries (30) times fails the import with
// ErrTooManyRetries wrapping the last error. At most range-concurrency jobs
// run at once; a job holds its slot while it backs off, which is the
// backpressure we want when a store is busy.
//
// # Resume
//
// ImportEngine takes the ranges finished by an earlier attempt and only
// imports the rest; it reports each ingested job range through the progress
// callback (serialized). Ingesting a range twice is harmless: same keys, same
// values, same commit TS. MergeRanges keeps the heartbeat payload small.
//
// # Cleanup after failure
//
// ModeKeeper.Stop, GCSafePointKeeper.Stop and PausedSchedulers.Resume all
// take the context to use for the undo call, so a workflow can run them on a
// fresh context after the import's context was cancelled; their refresh
// loops never outlive Stop/Resume, and the TTLs on the TiKV import mode,
// the GC safe point and the PD pause bound the damage of a crashed worker.
//
// # Known simplifications
//
//   - No coarse-then-fine split for very large key sets, no split rate
//     limits; split batches are bounded by region-split-batch-size and 6 MiB.
//   - Global scheduler pause does not scale leader/region-schedule-limit.
//   - TiFlash peers are written like TiKV peers through their store address;
//     no store balancer; no raftkv2 range-scoped SwitchMode.
package ingest
