// Package storage gives the importer read access to a dump, wherever it is
// kept.
//
// Design:
//
//   - ExternalStorage is deliberately small: list files (WalkDir) and open one
//     file as a seekable byte stream (Open). Everything Lightning-specific
//     (file naming, routing, filters) lives in package mydump, which imports
//     this package and never the other way round.
//   - Paths are slash-separated and relative to the storage root on every
//     platform, so they can be stored in workflow history and compared
//     byte-for-byte by the planner and the activities that re-open files.
//   - WalkDir visits files in lexical path order. Workflow code depends on
//     the listing being deterministic: two workers listing the same dump must
//     plan the same chunks.
//   - Parse picks an implementation from the data-source URI. Only the local
//     filesystem exists today; s3://, gcs:// and azure:// are recognised and
//     rejected with ErrNotSupported so the user sees a clear message instead
//     of a "file not found".
//   - Decompression is streaming (OpenDecompressed). A compressed stream
//     cannot seek, so the returned reader emulates Seek: forward seeks read
//     and discard, backward seeks re-open the file and decompress from the
//     start. This is what a parser resuming a chunk at a decompressed offset
//     needs, and it keeps the (rare) rewind correct rather than forbidden.
package storage
