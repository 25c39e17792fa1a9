package physical

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	// Named time zones must resolve the same on every worker, whatever
	// zoneinfo its machine has: the zone decides the bytes of every
	// TIMESTAMP the chunks encode.
	_ "time/tzdata"

	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/kv"
)

// TableBase is what a table held before the import, read once per table
// before its first chunk is encoded (Lightning's table meta manager). The
// workflow keeps it, so that retried chunks and re-encodes after a node
// loss use the same values, even though by then part of the import may
// already be in the table.
type TableBase struct {
	// Checksum is ADMIN CHECKSUM TABLE of the rows already in the table
	// (zero for an empty table): after the ingest the target must hold
	// Checksum plus what the chunks encoded.
	Checksum kv.Checksum
	// RowID is the largest ID the table's allocators have handed out
	// (NEXT_ROW_ID − 1, over the row-ID, AUTO_INCREMENT and AUTO_RANDOM
	// allocators). The plan's row IDs are offset by it, so implicit
	// _tidb_rowid values and generated auto IDs continue after the
	// existing rows instead of overwriting them — and a table created
	// with AUTO_INCREMENT=70000 gets row IDs from 70000, as with TiDB.
	RowID int64
	// Session holds the target's session variables that decide encoded
	// bytes.
	Session Session
}

// Session is what the target's sessions would use to turn the dump's text
// into values, read once per table so that every chunk, retry and
// re-encode on any worker writes the same bytes.
type Session struct {
	// TimeZone is the session's time zone as MySQL spells it ("+08:00",
	// "Asia/Shanghai", "UTC"): TIMESTAMP literals in the dump are wall
	// clock in this zone (see ParseTimeZone).
	TimeZone string `json:"timeZone"`
	// BlockEncryptionMode is @@block_encryption_mode (AES_ENCRYPT in
	// generated columns).
	BlockEncryptionMode string `json:"blockEncryptionMode,omitempty"`
	// DivPrecisionIncrement is @@div_precision_increment (the scale of
	// `/` in generated columns).
	DivPrecisionIncrement int `json:"divPrecisionIncrement,omitempty"`
}

// ReadSession reads the target's Session.
func ReadSession(ctx context.Context, db *sql.DB) (Session, error) {
	zone, err := TargetTimeZone(ctx, db)
	if err != nil {
		return Session{}, err
	}
	s := Session{TimeZone: zone}
	if err := db.QueryRowContext(ctx, "SELECT @@block_encryption_mode, @@div_precision_increment").Scan(&s.BlockEncryptionMode, &s.DivPrecisionIncrement); err != nil {
		return s, fmt.Errorf("read the target's block_encryption_mode and div_precision_increment: %w", err)
	}
	return s, nil
}

// ReadTableBase reads a table's base on the target (db is a session pool).
// The base checksum is skipped when post-restore.checksum is off, as
// nothing compares with it then.
func ReadTableBase(ctx context.Context, db *sql.DB, cfg *config.Config, dbName, table string) (TableBase, error) {
	var base TableBase
	qualified := quote(dbName) + "." + quote(table)
	var err error
	if base.Session, err = ReadSession(ctx, db); err != nil {
		return base, err
	}
	if base.RowID, err = nextRowIDBase(ctx, db, qualified); err != nil {
		return base, err
	}
	if cfg.PostRestore.Checksum == config.OpLevelOff {
		return base, nil
	}
	var one int
	switch err := db.QueryRowContext(ctx, "SELECT 1 FROM "+qualified+" LIMIT 1").Scan(&one); {
	case errors.Is(err, sql.ErrNoRows):
		return base, nil // empty: nothing to checksum
	case err != nil:
		return base, fmt.Errorf("check whether %s is empty: %w", qualified, err)
	}
	if base.Checksum, err = AdminChecksum(ctx, db, qualified); err != nil {
		return base, fmt.Errorf("base checksum of the rows already in %s: %w", qualified, err)
	}
	return base, nil
}

// nextRowIDBase is the largest NEXT_GLOBAL_ROW_ID − 1 of SHOW TABLE
// NEXT_ROW_ID (DB_NAME, TABLE_NAME, COLUMN_NAME, NEXT_GLOBAL_ROW_ID,
// ID_TYPE; one row per allocator).
func nextRowIDBase(ctx context.Context, db *sql.DB, qualified string) (int64, error) {
	rows, err := db.QueryContext(ctx, "SHOW TABLE "+qualified+" NEXT_ROW_ID")
	if err != nil {
		return 0, fmt.Errorf("show table %s next_row_id: %w", qualified, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, fmt.Errorf("show table %s next_row_id: %w", qualified, err)
	}
	idx := -1
	for i, c := range cols {
		if strings.EqualFold(c, "NEXT_GLOBAL_ROW_ID") {
			idx = i
		}
	}
	if idx < 0 {
		return 0, fmt.Errorf("show table %s next_row_id: no NEXT_GLOBAL_ROW_ID column in %v", qualified, cols)
	}
	var base int64
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return 0, fmt.Errorf("show table %s next_row_id: %w", qualified, err)
		}
		next, err := strconv.ParseInt(string(vals[idx]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("show table %s next_row_id: NEXT_GLOBAL_ROW_ID %q: %w", qualified, vals[idx], err)
		}
		base = max(base, next-1)
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("show table %s next_row_id: %w", qualified, err)
	}
	return base, nil
}

// TargetTimeZone is the zone the target's sessions read TIMESTAMP literals
// in: @@time_zone, or for SYSTEM the server's @@system_time_zone. A system
// zone Go cannot resolve (abbreviations such as "CST" are ambiguous) falls
// back, as Lightning does for SYSTEM, to this process's zone — captured
// here once as a fixed offset, so that every worker encodes the same.
func TargetTimeZone(ctx context.Context, db *sql.DB) (string, error) {
	var zone, system sql.NullString
	if err := db.QueryRowContext(ctx, "SELECT @@session.time_zone, @@system_time_zone").Scan(&zone, &system); err != nil {
		return "", fmt.Errorf("read the target's time zone: %w", err)
	}
	name := zone.String
	if strings.EqualFold(name, "SYSTEM") || name == "" {
		name = system.String
	}
	if _, err := ParseTimeZone(name); err == nil {
		return name, nil
	}
	_, off := time.Now().Zone()
	return formatOffset(off), nil
}

func formatOffset(off int) string {
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("%c%02d:%02d", sign, off/3600, off/60%60)
}

// ParseTimeZone resolves a MySQL time zone: "+08:00"-style offsets and
// named zones ("UTC", "Asia/Shanghai"). "" is UTC.
func ParseTimeZone(zone string) (*time.Location, error) {
	if zone == "" {
		return time.UTC, nil
	}
	if zone[0] == '+' || zone[0] == '-' {
		hs, ms, ok := strings.Cut(zone[1:], ":")
		h, err1 := strconv.Atoi(hs)
		m, err2 := strconv.Atoi(ms)
		if !ok || err1 != nil || err2 != nil || h < 0 || h > 14 || m < 0 || m > 59 || len(ms) != 2 {
			return nil, fmt.Errorf("time zone offset %q: want [+-]HH:MM", zone)
		}
		off := h*3600 + m*60
		if zone[0] == '-' {
			off = -off
		}
		return time.FixedZone(zone, off), nil
	}
	if strings.EqualFold(zone, "SYSTEM") || zone == "Local" {
		// The worker's own zone is never the target's.
		return nil, fmt.Errorf("time zone %q does not name a zone", zone)
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w", zone, err)
	}
	return loc, nil
}
