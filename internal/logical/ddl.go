package logical

import (
	"context"
	"fmt"

	"go.uber.org/zap"

	"github.com/tempestdb/tempest/internal/schema"
)

// CreateDatabase creates db if it does not exist. The body of the dump's
// -schema-create.sql is ignored on purpose (see schema.ReadCreateDatabase).
// In no-schema mode nothing is created.
func (b *Backend) CreateDatabase(ctx context.Context, db string) error {
	if b.noSchema {
		return nil
	}
	stmt, err := schema.ReadCreateDatabase(nil, db)
	if err != nil {
		return err
	}
	if err := b.execRetry(ctx, stmt); err != nil {
		return fmt.Errorf("creating database %s: %w", schema.QuoteName(db), err)
	}
	return nil
}

// TableExists reports whether db.table exists on the target.
func (b *Backend) TableExists(ctx context.Context, db, table string) (bool, error) {
	var n int
	err := b.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", db, table).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("checking whether %s exists: %w", schema.QualifiedName(db, table), err)
	}
	return n > 0, nil
}

// CreateTable creates db.table from the bytes of its schema file (decoded
// with mydumper.character-set). An existing table is reused as is; in
// no-schema mode the table must already exist ("schema not found"
// otherwise) and the file is not even parsed. created reports whether this
// call created the table.
func (b *Backend) CreateTable(ctx context.Context, db, table string, schemaFile []byte) (created bool, err error) {
	name := schema.QualifiedName(db, table)
	exists, err := b.TableExists(ctx, db, table)
	if err != nil {
		return false, err
	}
	if b.noSchema {
		if !exists {
			return false, fmt.Errorf("table %s: schema not found (no-schema mode requires the table to exist on the target)", name)
		}
		return false, nil
	}
	if exists {
		b.logger.Info("table exists on target, reusing it", zap.String("table", name))
		return false, nil
	}
	text, err := schema.DecodeSchemaFile(schemaFile, b.schemaCharset)
	if err != nil {
		return false, fmt.Errorf("reading schema of %s: %w", name, err)
	}
	stmt, _, err := schema.ReadCreateTable(text, db, table)
	if err != nil {
		return false, err
	}
	if err := b.execRetry(ctx, stmt); err != nil {
		return false, fmt.Errorf("creating table %s: %w", name, err)
	}
	return true, nil
}

// View is one view to create: target names and the bytes of its
// -schema-view.sql file.
type View struct {
	DB, Name   string
	SchemaFile []byte
}

// CreateViews creates views after all tables exist. Views may read other
// views, also across databases, and file order says nothing about that, so
// views that fail are retried after the others until a round makes no
// progress; the last error is then returned. No-op in no-schema mode.
func (b *Backend) CreateViews(ctx context.Context, views []View) error {
	if b.noSchema || len(views) == 0 {
		return nil
	}
	type prepared struct {
		name  string
		db    string
		stmts []string
	}
	pending := make([]prepared, 0, len(views))
	for _, v := range views {
		name := schema.QualifiedName(v.DB, v.Name)
		text, err := schema.DecodeSchemaFile(v.SchemaFile, b.schemaCharset)
		if err != nil {
			return fmt.Errorf("reading schema of view %s: %w", name, err)
		}
		stmts, _, err := schema.ReadCreateView(text, v.DB, v.Name)
		if err != nil {
			return err
		}
		pending = append(pending, prepared{name: name, db: v.DB, stmts: stmts})
	}
	for len(pending) > 0 {
		var failed []prepared
		var lastErr error
		for _, p := range pending {
			if err := b.runInDB(ctx, p.db, p.stmts); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				lastErr = fmt.Errorf("creating view %s: %w", p.name, err)
				failed = append(failed, p)
			}
		}
		if len(failed) == len(pending) {
			return lastErr
		}
		pending = failed
	}
	return nil
}

// runInDB runs statements on one session whose default database is db, so
// unqualified names inside a view's SELECT resolve in the view's database.
func (b *Backend) runInDB(ctx context.Context, db string, stmts []string) error {
	conn, err := b.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "USE "+schema.QuoteName(db)); err != nil {
		return err
	}
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	return nil
}
