// Package examples bundles the example dumps so that `starter demo` works
// from any directory.
package examples

import "embed"

// Shop is a small mydumper-style dump: a database, two tables (SQL and CSV
// data, awkward strings, NULLs, an enum, a decimal) and a view.
//
//go:embed shop
var Shop embed.FS
