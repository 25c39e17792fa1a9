package physical

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strings"

	"go.uber.org/zap"

	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/kv"
	"github.com/tempestdb/tempest/internal/tidbtypes"
)

// ChecksumMismatchError is a remote checksum that differs from the local
// one: the ingested table is not what was encoded. Retrying cannot help.
// Local includes the base checksum of rows the table held before.
type ChecksumMismatchError struct {
	Table         string
	Remote, Local kv.Checksum
}

func (e *ChecksumMismatchError) Error() string {
	return fmt.Sprintf("table %s: checksum mismatched remote vs local => (checksum: %d vs %d) (total_kvs: %d vs %d) (total_bytes: %d vs %d)",
		e.Table, e.Remote.Sum(), e.Local.Sum(), e.Remote.KVs(), e.Local.KVs(), e.Remote.Bytes(), e.Local.Bytes())
}

// TableSummary is what the chunks of a table produced, summed by the
// workflow over completed chunk activities, plus the checksum of the rows
// the table held before the import (TableBase.Checksum).
type TableSummary struct {
	Checksum     kv.Checksum
	MaxIDs       kv.MaxIDs
	BaseChecksum kv.Checksum
}

// PostProcess finishes an imported table in Lightning's order (§1.8, spec
// §5.3/§6): rebase the auto-ID allocators past the IDs the import used,
// compare ADMIN CHECKSUM TABLE with the local checksum per
// post-restore.checksum, then ANALYZE TABLE per post-restore.analyze.
// db is a session pool on the target.
func PostProcess(ctx context.Context, db *sql.DB, cfg *config.Config, dbName, table string, sum TableSummary, logger *zap.Logger) error {
	if logger == nil {
		logger = zap.NewNop()
	}
	qualified := quote(dbName) + "." + quote(table)
	tbl, err := TableInfo(ctx, cfg, dbName, table)
	if err != nil {
		return err
	}
	if err := rebaseAutoIDs(ctx, db, qualified, tbl, sum.MaxIDs); err != nil {
		return err
	}
	if level := cfg.PostRestore.Checksum; level != config.OpLevelOff {
		// The table holds its earlier rows plus what was ingested.
		want := sum.BaseChecksum
		want.Add(sum.Checksum)
		err := VerifyChecksum(ctx, db, qualified, want)
		switch {
		case err == nil:
			logger.Info("checksum pass", zap.String("table", qualified), zap.Uint64("kvs", sum.Checksum.KVs()))
		case level == config.OpLevelOptional:
			logger.Warn("compare checksum failed; post-restore.checksum is optional, continuing", zap.String("table", qualified), zap.Error(err))
		default:
			return err
		}
	}
	if level := cfg.PostRestore.Analyze; level != config.OpLevelOff {
		if _, err := db.ExecContext(ctx, "ANALYZE TABLE "+qualified); err != nil {
			if level == config.OpLevelRequired {
				return fmt.Errorf("analyze table %s: %w", qualified, err)
			}
			logger.Warn("analyze table failed; post-restore.analyze is optional, continuing", zap.String("table", qualified), zap.Error(err))
		}
	}
	return nil
}

// VerifyChecksum runs ADMIN CHECKSUM TABLE and compares all three numbers
// with local; a difference is a *ChecksumMismatchError naming both.
func VerifyChecksum(ctx context.Context, db *sql.DB, qualified string, local kv.Checksum) error {
	remote, err := AdminChecksum(ctx, db, qualified)
	if err != nil {
		return err
	}
	if remote != local {
		return &ChecksumMismatchError{Table: qualified, Remote: remote, Local: local}
	}
	return nil
}

// AdminChecksum is ADMIN CHECKSUM TABLE of a qualified table.
func AdminChecksum(ctx context.Context, db *sql.DB, qualified string) (kv.Checksum, error) {
	var dbName, tblName string
	var sum, kvs, bytes uint64
	if err := db.QueryRowContext(ctx, "ADMIN CHECKSUM TABLE "+qualified).Scan(&dbName, &tblName, &sum, &kvs, &bytes); err != nil {
		return kv.Checksum{}, fmt.Errorf("admin checksum table %s: %w", qualified, err)
	}
	return kv.MakeChecksum(sum, kvs, bytes), nil
}

// rebaseAutoIDs moves the table's allocators past the IDs the import used,
// so that later INSERTs do not collide with imported rows (spec §5.3).
func rebaseAutoIDs(ctx context.Context, db *sql.DB, qualified string, tbl *kv.TableInfo, max kv.MaxIDs) error {
	if tbl.AutoRandomBits > 0 {
		if max.AutoRandom <= 0 {
			return nil
		}
		rangeBits := tbl.AutoRandomRangeBits
		if rangeBits == 0 {
			rangeBits = 64
		}
		incBits := rangeBits - tbl.AutoRandomBits
		if pk := tbl.HandleColumn(); pk != nil && pk.Type.Flag&tidbtypes.UnsignedFlag == 0 {
			incBits--
		}
		maxCap := int64(math.MaxInt64)
		if incBits < 63 {
			maxCap = int64(1)<<incBits - 1
		}
		b := max.AutoRandom + 1
		switch {
		case max.AutoRandom >= maxCap:
			if max.AutoRandom > maxCap {
				return nil // beyond the column's range: nothing sensible to set
			}
			b = maxCap
		}
		if _, err := db.ExecContext(ctx, fmt.Sprintf("ALTER TABLE %s AUTO_RANDOM_BASE = %d", qualified, b)); err != nil {
			return fmt.Errorf("rebase AUTO_RANDOM of %s to %d: %w", qualified, b, err)
		}
		return nil
	}
	hasAutoInc := false
	for _, c := range tbl.Columns {
		if c.IsAutoIncrement() {
			hasAutoInc = true
		}
	}
	if !hasAutoInc && !tbl.HasImplicitRowID() {
		return nil
	}
	// Like Lightning (AllocBase = max(AllocBase, AutoIncID)), the table's
	// own AUTO_INCREMENT option is a floor: a table created with
	// AUTO_INCREMENT=80000 continues above 80000 even when the imported
	// IDs are smaller.
	base := max.RowID
	if max.AutoIncrement > base {
		base = max.AutoIncrement
	}
	if tbl.AutoIncID > base {
		base = tbl.AutoIncID
	}
	if base <= 0 {
		return nil
	}
	stmt := fmt.Sprintf("ALTER TABLE %s AUTO_INCREMENT = %d", qualified, base+1)
	if base == math.MaxInt64 {
		stmt = fmt.Sprintf("ALTER TABLE %s FORCE AUTO_INCREMENT = %d", qualified, int64(math.MaxInt64))
	}
	if _, err := db.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("rebase AUTO_INCREMENT of %s past %d: %w", qualified, base, err)
	}
	return nil
}

func quote(name string) string { return "`" + strings.ReplaceAll(name, "`", "``") + "`" }
