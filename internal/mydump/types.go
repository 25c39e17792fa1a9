package mydump

import (
	"fmt"
	"strings"

	"github.com/tempestdb/tempest/internal/storage"
)

// SourceType says what a file holds.
type SourceType int

const (
	SourceTypeIgnore       SourceType = iota
	SourceTypeSchemaSchema            // CREATE DATABASE
	SourceTypeTableSchema             // CREATE TABLE
	SourceTypeViewSchema              // CREATE VIEW
	SourceTypeSQL                     // INSERT statements
	SourceTypeCSV
	SourceTypeParquet
)

// String is the name used in [[mydumper.files]] type.
func (t SourceType) String() string {
	switch t {
	case SourceTypeSchemaSchema:
		return "schema-schema"
	case SourceTypeTableSchema:
		return "table-schema"
	case SourceTypeViewSchema:
		return "view-schema"
	case SourceTypeSQL:
		return "sql"
	case SourceTypeCSV:
		return "csv"
	case SourceTypeParquet:
		return "parquet"
	}
	return "ignore"
}

// Compression of a stored file, chosen from its suffix or a file rule.
type Compression int

const (
	CompressionNone Compression = iota
	CompressionGzip
	CompressionZstd
	CompressionSnappy
	// Recognised in file names and rules but not readable: loading a kept
	// file with one of these fails with "unsupported compression".
	CompressionLZ4
	CompressionXZ
	CompressionLZO
)

// String is the suffix-style name.
func (c Compression) String() string {
	switch c {
	case CompressionGzip:
		return "gzip"
	case CompressionZstd:
		return "zstd"
	case CompressionSnappy:
		return "snappy"
	case CompressionLZ4:
		return "lz4"
	case CompressionXZ:
		return "xz"
	case CompressionLZO:
		return "lzo"
	}
	return "none"
}

// ParseCompression maps a file suffix or a [[mydumper.files]] compression
// value to a Compression. Unknown names are an error (Lightning ≥ v6.4),
// so a stray "x.sql.orig" is reported instead of being read as garbage.
func ParseCompression(s string) (Compression, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return CompressionNone, nil
	case "gz", "gzip":
		return CompressionGzip, nil
	case "zst", "zstd":
		return CompressionZstd, nil
	case "snappy":
		return CompressionSnappy, nil
	case "lz4":
		return CompressionLZ4, nil
	case "xz":
		return CompressionXZ, nil
	case "lzo":
		return CompressionLZO, nil
	}
	return CompressionNone, fmt.Errorf("invalid compression type %q", s)
}

// Storage converts to the storage package's enum (the dependency runs
// mydump → storage only).
func (c Compression) Storage() storage.Compression {
	switch c {
	case CompressionGzip:
		return storage.CompressionGzip
	case CompressionZstd:
		return storage.CompressionZstd
	case CompressionSnappy:
		return storage.CompressionSnappy
	case CompressionLZ4:
		return storage.CompressionLZ4
	case CompressionXZ:
		return storage.CompressionXZ
	case CompressionLZO:
		return storage.CompressionLZO
	}
	return storage.CompressionNone
}

// Supported reports whether files with c can be read.
func (c Compression) Supported() bool { return c.Storage().Supported() }

// ParseSourceType maps a [[mydumper.files]] type value (after template
// expansion) to a SourceType. Matching ignores case: the default data rule
// captures the extension as written ("x.y.CSV").
func ParseSourceType(s string) (SourceType, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "schema-schema":
		return SourceTypeSchemaSchema, nil
	case "table-schema":
		return SourceTypeTableSchema, nil
	case "view-schema":
		return SourceTypeViewSchema, nil
	case "sql":
		return SourceTypeSQL, nil
	case "csv":
		return SourceTypeCSV, nil
	case "parquet":
		return SourceTypeParquet, nil
	case "ignore":
		return SourceTypeIgnore, nil
	}
	return SourceTypeIgnore, fmt.Errorf("unknown file type %q (want sql, csv, parquet, schema-schema, table-schema, view-schema or ignore)", s)
}

// IsData reports whether files of this type hold rows.
func (t SourceType) IsData() bool {
	return t == SourceTypeSQL || t == SourceTypeCSV || t == SourceTypeParquet
}

// FileInfo is one routed source file. DB/Table are the target names (after
// [[routes]]); SourceDB/SourceTable are the names the file rules produced.
type FileInfo struct {
	Path        string      `json:"path"`
	Size        int64       `json:"size"`
	Type        SourceType  `json:"type"`
	Compression Compression `json:"compression"`
	SortKey     string      `json:"sortKey,omitempty"`
	SourceDB    string      `json:"sourceDB"`
	SourceTable string      `json:"sourceTable,omitempty"`
	// ExtendColumns are values filled from [routes.extract-*] for this file:
	// target column name → value.
	ExtendColumns map[string]string `json:"extendColumns,omitempty"`
}

// TableMeta is one target table and its files.
type TableMeta struct {
	DB    string `json:"db"`
	Table string `json:"table"`
	// SchemaFile is the CREATE TABLE file (nil when absent, e.g. no-schema, or
	// merged shards whose first schema file is used).
	SchemaFile *FileInfo `json:"schemaFile,omitempty"`
	// DataFiles are ordered by (SortKey numeric, path): that order drives
	// row-ID allocation.
	DataFiles []FileInfo `json:"dataFiles"`
	TotalSize int64      `json:"totalSize"`
}

// ViewMeta is one view to create after all tables.
type ViewMeta struct {
	DB         string   `json:"db"`
	View       string   `json:"view"`
	SchemaFile FileInfo `json:"schemaFile"`
}

// DBMeta is one target database.
type DBMeta struct {
	Name       string       `json:"name"`
	SchemaFile *FileInfo    `json:"schemaFile,omitempty"`
	Tables     []*TableMeta `json:"tables"`
	Views      []*ViewMeta  `json:"views"`
}

// Chunk is a byte range of one data file that one activity parses: the unit
// of parallelism and of retry. Offsets are in the decompressed stream;
// EndOffset == -1 means "to the end of the file" (compressed files are never
// split). Row IDs for the chunk's rows are PrevRowIDMax+1 .. RowIDMax.
type Chunk struct {
	File         FileInfo `json:"file"`
	Index        int      `json:"index"` // ordinal among the table's chunks
	Offset       int64    `json:"offset"`
	EndOffset    int64    `json:"endOffset"`
	PrevRowIDMax int64    `json:"prevRowIDMax"`
	RowIDMax     int64    `json:"rowIDMax"`
	// EngineID groups chunks into engines (physical backend,
	// mydumper.batch-size); 0 for the first.
	EngineID int32 `json:"engineID"`
}

// Source is the result of loading a dump: target databases in name order,
// each with tables and views in name order.
type Source struct {
	DBs []*DBMeta `json:"dbs"`
	// Warnings are non-fatal findings worth showing the user (files that
	// matched no rule, placeholder tables dropped in favour of views, ...).
	Warnings []string `json:"warnings,omitempty"`
}

// Table returns the target table db.table, or nil.
func (s *Source) Table(db, table string) *TableMeta {
	for _, d := range s.DBs {
		if d.Name != db {
			continue
		}
		for _, t := range d.Tables {
			if t.Table == table {
				return t
			}
		}
	}
	return nil
}

// DB returns the target database named name, or nil.
func (s *Source) DB(name string) *DBMeta {
	for _, d := range s.DBs {
		if d.Name == name {
			return d
		}
	}
	return nil
}
