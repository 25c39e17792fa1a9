package importer

import (
	"context"
	"fmt"

	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/logical"
	"github.com/tempestdb/tempest/internal/mydump"
)

// CreateSchemas creates every database and table of the source on the
// target (existing ones are reused; in no-schema mode they must exist), and
// prepares the task-info tables where row errors are recorded.
func (im *Importer) CreateSchemas(ctx context.Context, taskID string, cfg *config.Config, dbs []*mydump.DBMeta) error {
	be, err := im.logicalBackend(ctx, cfg)
	if err != nil {
		return err
	}
	if err := be.EnsureTaskTables(ctx); err != nil {
		return fmt.Errorf("create task-info tables: %w", err)
	}
	for _, db := range dbs {
		if err := be.CreateDatabase(ctx, db.Name); err != nil {
			return err
		}
		for _, t := range db.Tables {
			var data []byte
			if t.SchemaFile != nil && !cfg.Mydumper.NoSchema {
				if data, err = readSourceFile(ctx, cfg, *t.SchemaFile); err != nil {
					return err
				}
			} else if !cfg.Mydumper.NoSchema {
				// No schema file: the table must have been created on the
				// target beforehand (Lightning says "schema not found").
				exists, err := be.TableExists(ctx, t.DB, t.Table)
				if err != nil {
					return err
				}
				if !exists {
					return permanent("SchemaError", fmt.Errorf("table `%s`.`%s`: schema not found: the dump has no schema file for it and it does not exist on the target", t.DB, t.Table))
				}
				continue
			}
			if _, err := be.CreateTable(ctx, t.DB, t.Table, data); err != nil {
				return permanent("SchemaError", err)
			}
		}
	}
	return nil
}

// CreateViews creates the dump's views, after every table was imported.
func (im *Importer) CreateViews(ctx context.Context, cfg *config.Config, dbs []*mydump.DBMeta) error {
	be, err := im.logicalBackend(ctx, cfg)
	if err != nil {
		return err
	}
	var views []logical.View
	for _, db := range dbs {
		for _, v := range db.Views {
			data, err := readSourceFile(ctx, cfg, v.SchemaFile)
			if err != nil {
				return err
			}
			views = append(views, logical.View{DB: v.DB, Name: v.View, SchemaFile: data})
		}
	}
	if err := be.CreateViews(ctx, views); err != nil {
		return permanent("SchemaError", err)
	}
	return nil
}

// PostProcess finishes a table. The logical backend leaves nothing to do:
// the server maintained auto-increment counters and statistics as rows
// arrived, and Lightning turns checksum and analyze off for it.
func (im *Importer) PostProcess(ctx context.Context, taskID string, cfg *config.Config, db, table string) error {
	if cfg.IsLogical() {
		return nil
	}
	return permanent("ConfigError", fmt.Errorf("post-process `%s`.`%s`: the physical backend is not available yet", db, table))
}

// Cleanup clears the task's chunk progress rows after a successful import
// (they exist only to make retries exact) and releases the task's pools on
// this worker.
func (im *Importer) Cleanup(ctx context.Context, taskID string, cfg *config.Config, succeeded bool) error {
	if !cfg.IsLogical() {
		return nil
	}
	be, err := im.logicalBackend(ctx, cfg)
	if err != nil {
		return err
	}
	if succeeded {
		if err := be.ClearTaskProgress(ctx, taskNumber(taskID)); err != nil {
			return fmt.Errorf("clear chunk progress of task %s: %w", taskID, err)
		}
	}
	return nil
}
