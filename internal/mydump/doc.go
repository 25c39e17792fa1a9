// Package mydump understands the layout of a dump folder (Dumpling,
// mydumper, or files routed by [[mydumper.files]]) and plans how its data
// files are cut into chunks.
//
// Three stages, each usable on its own:
//
//   - FileRouter maps one path to (schema, table, type, sort key,
//     compression). Custom rules come first, then Lightning's default rules
//     (regexes over the relative path, extension matched case-insensitively,
//     names URL-unescaped) unless disabled. The first matching rule wins.
//     Unknown compression suffixes are an error, as in Lightning ≥ v6.4.
//
//   - Loader walks the store once, routes every file, filters on the
//     source names (mydumper.filter or the legacy [black-white-list]),
//     applies [[routes]] (TableRouter) and groups files into a Source of
//     target DBMeta / TableMeta / ViewMeta. Everything is sorted, so the same
//     dump always yields the same Source: workflow code replays from it.
//     Schema files keep the names of the source objects; whoever executes
//     them must use the target names (DBMeta.Name, TableMeta.Table).
//     A target database created only by routing has no SchemaFile and is
//     created with the server defaults.
//
//   - Planner cuts a TableMeta's data files into Chunks: byte ranges with
//     row-ID ranges (PrevRowIDMax, RowIDMax] laid end to end in file order
//     (Lightning's MakeTableRegions, see tidb-encoding.md §5.1) and engine
//     IDs sized by mydumper.batch-size. Compressed and parquet files are never
//     split; strict-format CSV is split at terminators found by the planner
//     itself; SQL files are split at INSERT boundaries found by an injected
//     BoundaryFunc, which keeps this package independent of the SQL parser.
//
// The package does no SQL and holds no state between calls.
package mydump
