// Package embedtemporal runs a complete Temporal cluster (frontend, history,
// matching and worker services, plus optionally the web UI) inside the
// importer's own process. It is the zero-setup default of `starter import`:
// when no external Temporal address is configured, the starter calls Start,
// registers its workers against Server.NewClient and runs the import as usual.
//
// Design, and why:
//
//   - Persistence is a single SQLite file (<StateDir>/temporal.db, pure-Go
//     driver, WAL journal) so an interrupted import survives a process restart
//     and can be resumed or inspected later. Ephemeral mode swaps in a
//     shared-cache in-memory database for tests.
//
//   - The Temporal SQLite plugin never records or checks a schema version, and
//     nothing migrates an old file. We therefore keep a marker file
//     (<StateDir>/temporal.db.version) that records the schema versions and
//     server version that created the database, and refuse to open a database
//     whose schema differs from the one compiled into this binary. The marker
//     is written as "initializing" before schema setup and flipped to "ready"
//     afterwards, so a crash during setup is detected and the half-built file
//     is rebuilt instead of being trusted.
//
//   - A lock file (<StateDir>/temporal.lock, flock) stops two importer
//     processes from opening the same database: two Temporal clusters sharing
//     one history shard in one file would corrupt each other's state.
//
//   - The namespace is pre-created directly in the database (as the Temporal
//     CLI dev server does) so it is usable the moment the frontend answers, with
//     a 7-day default retention so finished imports stay inspectable, and with
//     the custom search attributes ImportPhase and ImportTask. After start the
//     search attributes and retention are reconciled through the API, because
//     pre-creation is a no-op for a namespace that already exists.
//
//   - Service membership uses static hosts instead of ringpop gossip: one
//     process, four services, all on loopback. Frontend and UI ports are
//     checked before anything binds, because the UI server's Start calls
//     echo's Logger.Fatal (os.Exit) on a bind error; we want an error value.
//
//   - The server logs through an adapter onto the injected zap logger whose
//     Fatal/Panic/DPanic only log at error level: the stock Temporal zap
//     logger exits or panics, and an embedded library must not end its host.
//     By default only warnings and above are forwarded, as the CLI dev server
//     does, so the importer's own output stays readable.
//
// Shutdown order is the caller's workers, then its clients, then Server.Stop,
// which stops the UI and then the server. Stop is idempotent.
package embedtemporal
