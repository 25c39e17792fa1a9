package importer

import (
	"context"
	"fmt"
	"math"

	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/mydump"
	"github.com/tempestdb/tempest/internal/physical"
)

// PlanPhysicalTable plans a physical import's table: its chunks, with row
// IDs offset past the IDs the table's allocators already handed out, and
// the table's base (physical.TableBase). A base from an earlier plan (prev)
// is reused rather than read again: after a node loss the table may
// already hold part of this import, and the offsets and the base checksum
// must stay what they were.
func (im *Importer) PlanPhysicalTable(ctx context.Context, taskID string, cfg *config.Config, table *mydump.TableMeta, prev *physical.TableBase) ([]mydump.Chunk, physical.TableBase, error) {
	chunks, err := im.PlanTable(ctx, cfg, table)
	if err != nil {
		return nil, physical.TableBase{}, err
	}
	var base physical.TableBase
	if prev != nil {
		base = *prev
	} else {
		be, err := im.logicalBackend(ctx, taskID, cfg)
		if err != nil {
			return nil, base, err
		}
		if base, err = physical.ReadTableBase(ctx, be.DB(), cfg, table.DB, table.Table); err != nil {
			return nil, base, fmt.Errorf("read what `%s`.`%s` holds before the import: %w", table.DB, table.Table, err)
		}
	}
	if base.RowID > 0 {
		for i := range chunks {
			c := &chunks[i]
			if c.RowIDMax > math.MaxInt64-base.RowID {
				return nil, base, permanent("SchemaError", fmt.Errorf(
					"table `%s`.`%s`: its allocators are at %d, too close to the largest row ID for the %d rows the dump may hold",
					table.DB, table.Table, base.RowID, c.RowIDMax))
			}
			c.PrevRowIDMax += base.RowID
			c.RowIDMax += base.RowID
		}
	}
	return chunks, base, nil
}
