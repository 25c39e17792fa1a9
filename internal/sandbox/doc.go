// Package sandbox is an in-process stand-in for a TiKV cluster: one PD and
// NumStores (3) TiKV stores, each a real gRPC server on a loopback port,
// speaking the same protocols (pdpb, tikvpb, import_sstpb) as the real
// servers. The physical importer talks to it exactly as it would to a real
// cluster — through github.com/tikv/pd/client and raw gRPC — and must not be
// able to tell the difference for the RPCs it uses. Tests use the in-process
// API (Scan, Regions, Faults, Stats, ...) to look behind the curtain.
//
// # Components
//
//   - regionTable (meta.go): the single source of truth for regions. Every
//     region has a voter peer on every store and one leader store. It plays
//     both PD's region cache and each TiKV's raft state: with no real
//     replication there is nothing to diverge. Keys are in the encoded
//     (memcomparable EncodeBytes) key space, as in PD and TiKV; "" is -inf
//     for start keys and +inf for end keys. The table is persisted as JSON
//     under DataDir after every change.
//   - store (store.go): one Pebble DB per TiKV store. Visible data is keyed
//     by raw TiDB key with the commit TS prefixed to the value. As in TiKV,
//     a Write stream becomes an SST file under the store's import
//     directory while it arrives, and Ingest links that file into the LSM
//     (pebble.DB.Ingest, RocksDB's IngestExternalFile in TiKV): region
//     SSTs do not overlap, so they land in the bottom level and imported
//     data is never rewritten by memtable flushes or compactions.
//   - pdServer (pd.go) and pdHTTP (pdhttp.go): PD's gRPC subset (members,
//     cluster info, TSO stream, stores, region lookups and scans, scatter,
//     operators, split, GC safe points) and the scheduler/label-rule HTTP
//     endpoints, which only record state. Both share one port (mux.go
//     sniffs the HTTP/2 preface), like PD.
//   - tikvServer/importServer (tikv.go): SplitRegion, and ImportSST's
//     SwitchMode, GetMode, Write, Ingest, MultiIngest and the force
//     partition range RPCs. Each store also has a status HTTP port serving
//     /config (region split size/keys) and /status.
//   - Faults (faults.go): the fault switch.
//
// # Semantics that mirror TiKV/PD
//
//   - SplitRegion encodes the raw split keys, splits with right-derive (the
//     old region ID keeps the rightmost part) and bumps every resulting
//     region's version by the number of new regions. Checks run in
//     raftstore's order: region exists, store matches the context's peer,
//     this store leads the region, epoch matches.
//   - Write accepts pairs regardless of region state (as TiKV does) but
//     rejects pairs outside the meta's inclusive encoded range and pairs
//     not in strictly ascending key order (TiKV's SST writer refuses
//     those too). It answers
//     with TiKV's metas: a "default" CF meta if any value exceeds 255
//     bytes, then a "write" CF meta, both carrying the client UUID.
//   - Ingest/MultiIngest run the raftstore checks above, then check each
//     SST's epoch and range against the region (EpochNotMatch with the
//     current regions around the SSTs / KeyNotInRegion), require that every
//     peer's store received the SST (a follower without it is an error, the
//     importer must write to all peers), and apply it on every peer. The
//     region table's read lock is held from check to apply, standing in for
//     raft ordering, so no split can interleave. Re-ingesting an ingested
//     UUID succeeds (a retry after a lost response). An empty MultiIngest is
//     the capability/write-stall probe and succeeds.
//   - Scatter rotates the region's leader to the next store (moving peers is
//     impossible when every store has one) and records a finished
//     "scatter-region" operator; GetOperator of a region without an operator
//     answers REGION_NOT_FOUND, like PD.
//   - TSO is physical milliseconds + 18-bit logical, strictly increasing,
//     and persisted on Stop so a restart never goes back.
//
// # Fault switch
//
// Cluster.Faults() returns a concurrency-safe list of rules, each matching
// an RPC kind (Write, Ingest, SplitRegion, SwitchMode, ScatterRegion),
// firing for the next Count matching calls and/or with a Probability,
// optionally only for one store and/or region. Region-error
// kinds (NotLeader, EpochNotMatch, ServerIsBusy, RegionNotFound, DiskFull,
// StaleCommand, ReadIndexNotReady, and Message for a bare message such as
// "raft: proposal dropped") come back as the errorpb variant in the RPC's
// error field; DropStream fails the call with gRPC Unavailable (on Write,
// after AfterBatches batches, i.e. mid-stream); SlowWrite delays each Write
// batch; ScatterRunning makes GetOperator report RUNNING for a few polls.
// Every fired fault is logged and countable (Faults.Fired, FiredCount).
//
// # In-process API
//
// StartKV/Stop, PDAddress, StoreAddresses; Scan, Get, Put, Delete over raw
// TiDB keys (Put/Delete bypass the import path, for logical SQL writes of
// the TiDB front); Regions, RegionByRawKey, RegionByID, TransferLeader;
// Corrupt and the OnIngest hook for checksum-mismatch tests; Stats,
// StoresInImportMode, PDState.
// Stores never leave import mode on their own (TiKV would after
// import-mode-timeout): a store still in import mode after an import is a
// bug in the importer that tests should see.
//
// # Invariants
//
//   - Regions tile the key space: sorted, adjacent, first starts at "" and
//     last ends at "". Region and peer IDs come from one allocator starting
//     at 100 (store IDs are 1..3, the PD member ID is 1).
//   - No request can panic the sandbox; malformed requests get errors.
//   - Data on all stores is identical for every ingested region, so Scan
//     may read any region from its current leader.
package sandbox
