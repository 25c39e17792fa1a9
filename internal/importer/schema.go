package importer

import (
	"context"
	"errors"
	"fmt"

	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/logical"
	"github.com/tempestdb/tempest/internal/mydump"
	"github.com/tempestdb/tempest/internal/physical"
)

// CreateSchemas creates every database and table of the source on the
// target (existing ones are reused; in no-schema mode they must exist), and
// prepares the task-info tables where row errors are recorded.
func (im *Importer) CreateSchemas(ctx context.Context, taskID string, cfg *config.Config, dbs []*mydump.DBMeta) error {
	be, err := im.logicalBackend(ctx, taskID, cfg)
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
func (im *Importer) CreateViews(ctx context.Context, taskID string, cfg *config.Config, dbs []*mydump.DBMeta) error {
	be, err := im.logicalBackend(ctx, taskID, cfg)
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
// arrived, and Lightning turns checksum and analyze off for it. The
// physical backend rebases the auto-ID allocators past sum.MaxIDs, compares
// ADMIN CHECKSUM TABLE with sum.Checksum (a mismatch under
// post-restore.checksum = required is permanent) and analyzes the table.
func (im *Importer) PostProcess(ctx context.Context, taskID string, cfg *config.Config, db, table string, sum TableSummary) error {
	if cfg.IsLogical() {
		return nil
	}
	be, err := im.logicalBackend(ctx, taskID, cfg)
	if err != nil {
		return err
	}
	err = physical.PostProcess(ctx, be.DB(), cfg, db, table, sum, im.logger.Named("physical"))
	var mismatch *physical.ChecksumMismatchError
	if errors.As(err, &mismatch) {
		return permanent("ChecksumMismatch", err)
	}
	if err != nil {
		return fmt.Errorf("post-process `%s`.`%s`: %w", db, table, err)
	}
	return nil
}

// Cleanup clears the task's chunk progress rows after a successful import
// (they exist only to make retries exact) and releases the task's pools on
// this worker. For the physical backend it is also the compensation step:
// it switches every TiKV store back to normal mode (a worker that died while
// ingesting left them in import mode) and removes the task's engines left
// on this worker.
func (im *Importer) Cleanup(ctx context.Context, taskID string, cfg *config.Config, succeeded bool) error {
	if cfg.IsPhysical() {
		defer im.releaseTask(taskID)
		var errs []error
		if err := im.phys.SwitchToNormal(ctx, cfg); err != nil {
			errs = append(errs, err)
		}
		if err := im.phys.RemoveTaskEngines(cfg, taskID); err != nil {
			errs = append(errs, fmt.Errorf("remove engines of task %s: %w", taskID, err))
		}
		return errors.Join(errs...)
	}
	if !cfg.IsLogical() {
		return nil
	}
	be, err := im.logicalBackend(ctx, taskID, cfg)
	if err != nil {
		return err
	}
	defer im.releaseTask(taskID)
	if succeeded {
		if err := be.ClearTaskProgress(ctx, taskNumber(taskID)); err != nil {
			return fmt.Errorf("clear chunk progress of task %s: %w", taskID, err)
		}
	}
	return nil
}
