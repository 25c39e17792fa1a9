package importer

import (
	"context"
	"fmt"
	"io"

	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/mydump"
	"github.com/tempestdb/tempest/internal/parser"
	"github.com/tempestdb/tempest/internal/schema"
	"github.com/tempestdb/tempest/internal/storage"
)

// Source is a routed dump.
type Source struct {
	DBs        []*mydump.DBMeta
	TotalBytes int64
	Warnings   []string
}

// Scan lists and routes the task's source.
func (im *Importer) Scan(ctx context.Context, cfg *config.Config) (*Source, error) {
	store, err := storage.Parse(cfg.Mydumper.DataSourceDir)
	if err != nil {
		return nil, permanent("ConfigError", fmt.Errorf("open data source %q: %w", cfg.Mydumper.DataSourceDir, err))
	}
	src, err := mydump.Load(ctx, cfg, store)
	if err != nil {
		return nil, permanent("ConfigError", fmt.Errorf("scan %s: %w", store.URI(), err))
	}
	out := &Source{DBs: src.DBs, Warnings: src.Warnings}
	for _, db := range src.DBs {
		for _, t := range db.Tables {
			out.TotalBytes += t.TotalSize
		}
	}
	return out, nil
}

// PlanTable cuts a table's data files into chunks with row-ID ranges. Big
// SQL files are split at statement boundaries, big strict-format CSV files
// at line ends.
func (im *Importer) PlanTable(ctx context.Context, cfg *config.Config, table *mydump.TableMeta) ([]mydump.Chunk, error) {
	store, err := storage.Parse(cfg.Mydumper.DataSourceDir)
	if err != nil {
		return nil, permanent("ConfigError", fmt.Errorf("open data source %q: %w", cfg.Mydumper.DataSourceDir, err))
	}
	columns, err := im.columnCount(ctx, cfg, table)
	if err != nil {
		return nil, err
	}
	planner := mydump.NewPlanner(cfg, store)
	sqlOpts := parser.SQLOptionsFromMode(cfg.TiDB.SQLMode, int(cfg.Mydumper.ReadBlockSize))
	planner.SQLBoundaries = func(ctx context.Context, r io.Reader, start, every int64) ([]int64, error) {
		return parser.SQLStatementBoundariesWithOptions(ctx, r, "", start, every, sqlOpts)
	}
	chunks, err := planner.MakeTableChunks(ctx, table, columns)
	if err != nil {
		return nil, fmt.Errorf("plan chunks of `%s`.`%s`: %w", table.DB, table.Table, err)
	}
	return chunks, nil
}

// columnCount is the table's column count from its schema file, the bound
// the planner uses to size row-ID ranges; 1 (the safe, widest bound) when
// the dump has no schema file for the table.
func (im *Importer) columnCount(ctx context.Context, cfg *config.Config, table *mydump.TableMeta) (int, error) {
	if table.SchemaFile == nil || cfg.Mydumper.NoSchema {
		return 1, nil
	}
	info, _, err := readTableSchema(ctx, cfg, table)
	if err != nil {
		return 0, err
	}
	return len(info.Columns), nil
}

// readTableSchema reads and parses a table's schema file, for its target
// name.
func readTableSchema(ctx context.Context, cfg *config.Config, table *mydump.TableMeta) (*schema.TableInfo, string, error) {
	data, err := readSourceFile(ctx, cfg, *table.SchemaFile)
	if err != nil {
		return nil, "", err
	}
	text, err := schema.DecodeSchemaFile(data, cfg.Mydumper.CharacterSet)
	if err != nil {
		return nil, "", permanent("SchemaError", fmt.Errorf("%s: %w", table.SchemaFile.Path, err))
	}
	create, stmt, err := schema.ReadCreateTable(text, table.DB, table.Table)
	if err != nil {
		return nil, "", permanent("SchemaError", fmt.Errorf("%s: %w", table.SchemaFile.Path, err))
	}
	info, err := schema.TableInfoFromAST(table.DB, stmt)
	if err != nil {
		return nil, "", permanent("SchemaError", fmt.Errorf("%s: %w", table.SchemaFile.Path, err))
	}
	return info, create, nil
}

// maxSchemaFileSize bounds what is read into memory as a schema file.
const maxSchemaFileSize = 64 << 20

func readSourceFile(ctx context.Context, cfg *config.Config, f mydump.FileInfo) ([]byte, error) {
	store, err := storage.Parse(cfg.Mydumper.DataSourceDir)
	if err != nil {
		return nil, permanent("ConfigError", fmt.Errorf("open data source %q: %w", cfg.Mydumper.DataSourceDir, err))
	}
	r, err := mydump.OpenFile(ctx, store, f)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", f.Path, err)
	}
	defer r.Close()
	data, err := io.ReadAll(io.LimitReader(r, maxSchemaFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", f.Path, err)
	}
	if len(data) > maxSchemaFileSize {
		return nil, permanent("SchemaError", fmt.Errorf("%s: schema file larger than %d bytes", f.Path, maxSchemaFileSize))
	}
	return data, nil
}
