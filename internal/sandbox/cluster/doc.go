// Package cluster starts a whole sandbox TiDB cluster in-process: the
// sandbox PD and TiKV stores (package sandbox) with the TiDB front (package
// sandbox/tidb) on top, wired the way a real deployment is: the front keeps
// its rows in the stores, and its status API reports PD's address as
// "path". An importer pointed at SQLAddress, StatusAddress and PDAddress
// sees one TiDB cluster, for the logical and the physical backend alike.
//
// It is a package of its own, not a file in package sandbox, because
// package tidb's internal tests import package sandbox: sandbox importing
// tidb would be an import cycle.
//
// With a DataDir, the stores and PD's metadata live in <DataDir>/kv and the
// front's catalog in <DataDir>/tidb, so restarting on the same directory
// keeps databases, tables and rows. Without one, everything is in memory.
package cluster
