// Package config reads an import task: a tidb-lightning.toml file, Lightning's
// command-line flags, and Tempest's own [temporal] section.
//
// # Life of a Config
//
//  1. Default() holds Lightning's effective defaults (lightning-reference §2).
//     Keys whose default depends on other keys hold a "not set" value there:
//     0 for the concurrencies, -1 for conflict.threshold / max-record-rows.
//  2. Load / Parse decode TOML on top of Default(). Every key must be known:
//     undecoded keys (MetaData.Undecoded) fail the load with Lightning's
//     message "config file contained unknown configuration options: k1, k2".
//     One file serves as both Lightning's global and task config, so keys
//     Lightning allows only globally are accepted too. Spellings that only
//     the file can tell apart (lightning.max-error.conflict versus
//     conflict.threshold, mydumper.ignore-columns) are resolved here, and
//     sections Tempest accepts without using ([checkpoint], whose job
//     Temporal's workflow history does) produce warnings.
//  3. Flags.Apply copies the flags given on the command line over the file;
//     flags not given leave the file's values alone (flag.FlagSet.Visit).
//  4. Adjust fills backend-dependent defaults, maps deprecated keys
//     (tikv-importer.on-duplicate, duplicate-resolution, incremental-import,
//     pprof-port) to their successors and validates. Every error names the
//     offending key. Adjust is idempotent, so a worker may re-run it on a
//     Config taken from workflow input.
//
// LoadWithFlags and Flags.Load run steps 1-4 in one call.
//
// # Decisions that differ from current Lightning
//
//   - With the tidb backend and neither conflict.strategy nor on-duplicate
//     set, the strategy is "replace" (REPLACE INTO), as in the Lightning
//     release the acceptance corpus comes from; Lightning v8 uses "error".
//   - strict-format without a csv terminator is a warning, not an error: the
//     corpus' lightning_column_permutation config relies on it.
//   - An empty tikv-importer.sorted-kv-dir is not an error for the local
//     backend: the worker places engines under its state dir.
//   - Deprecated backend-specific keys (on-duplicate for tidb,
//     duplicate-resolution for local) are ignored with a warning under the
//     other backend, so one file can be imported with either backend.
//   - The "importer" backend is rejected with an explanation; "remote" and
//     "import-into" are not implemented.
//
// # Secrets
//
// The Config that travels in workflow input is stored in Temporal history,
// so starters pass Redacted() copies; workers take the password from their
// own configuration. TiDB.PasswordCandidates gives the plain and the base64
// reading of tidb.password, which Lightning tries in that order.
package config
