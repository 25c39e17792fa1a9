package tidbtypes

import (
	"fmt"

	"github.com/tempestdb/tempest/internal/collate"
	"strings"
	"time"
)

// SQLMode is a set of MySQL sql_mode flags (only those that affect value
// conversion are named; others are accepted and ignored).
type SQLMode uint64

// SQL mode flags.
const (
	ModeStrictTransTables SQLMode = 1 << iota
	ModeStrictAllTables
	ModeNoZeroDate
	ModeNoZeroInDate
	ModeAllowInvalidDates
	ModeErrorForDivisionByZero
	ModePadCharToFullLength
	ModeNoBackslashEscapes
	ModeRealAsFloat
	ModePipesAsConcat
	ModeANSIQuotes
	ModeIgnoreSpace
	ModeNoUnsignedSubtraction
	ModeOnlyFullGroupBy
	ModeNoAutoValueOnZero
	ModeHighNotPrecedence
	ModeNoEngineSubstitution
	ModeNoAutoCreateUser
	ModeNoDirInCreate
	ModeNoFieldOptions
	ModeNoKeyOptions
	ModeNoTableOptions
	ModeTimeTruncateFractional
)

var sqlModeNames = map[string]SQLMode{
	"STRICT_TRANS_TABLES":        ModeStrictTransTables,
	"STRICT_ALL_TABLES":          ModeStrictAllTables,
	"NO_ZERO_DATE":               ModeNoZeroDate,
	"NO_ZERO_IN_DATE":            ModeNoZeroInDate,
	"ALLOW_INVALID_DATES":        ModeAllowInvalidDates,
	"ERROR_FOR_DIVISION_BY_ZERO": ModeErrorForDivisionByZero,
	"PAD_CHAR_TO_FULL_LENGTH":    ModePadCharToFullLength,
	"NO_BACKSLASH_ESCAPES":       ModeNoBackslashEscapes,
	"REAL_AS_FLOAT":              ModeRealAsFloat,
	"PIPES_AS_CONCAT":            ModePipesAsConcat,
	"ANSI_QUOTES":                ModeANSIQuotes,
	"IGNORE_SPACE":               ModeIgnoreSpace,
	"NO_UNSIGNED_SUBTRACTION":    ModeNoUnsignedSubtraction,
	"ONLY_FULL_GROUP_BY":         ModeOnlyFullGroupBy,
	"NO_AUTO_VALUE_ON_ZERO":      ModeNoAutoValueOnZero,
	"HIGH_NOT_PRECEDENCE":        ModeHighNotPrecedence,
	"NO_ENGINE_SUBSTITUTION":     ModeNoEngineSubstitution,
	"NO_AUTO_CREATE_USER":        ModeNoAutoCreateUser,
	"NO_DIR_IN_CREATE":           ModeNoDirInCreate,
	"NO_FIELD_OPTIONS":           ModeNoFieldOptions,
	"NO_KEY_OPTIONS":             ModeNoKeyOptions,
	"NO_TABLE_OPTIONS":           ModeNoTableOptions,
	"TIME_TRUNCATE_FRACTIONAL":   ModeTimeTruncateFractional,
	// Obsolete / no-effect modes MySQL still accepts.
	"NO_UNSIGNED_SUBSTRACTION": ModeNoUnsignedSubtraction,
	"DB2":                      0, "MSSQL": 0, "MYSQL323": 0, "MYSQL40": 0, "POSTGRESQL": 0, "MAXDB": 0, "ORACLE": 0,
}

// Combination modes expand to several flags (MySQL definitions).
var sqlModeCombos = map[string]string{
	"ANSI":        "REAL_AS_FLOAT,PIPES_AS_CONCAT,ANSI_QUOTES,IGNORE_SPACE,ONLY_FULL_GROUP_BY",
	"TRADITIONAL": "STRICT_TRANS_TABLES,STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION",
}

// ParseSQLMode parses a comma-separated sql_mode string (case-insensitive,
// spaces ignored). Unknown names are an error, as in MySQL.
func ParseSQLMode(s string) (SQLMode, error) {
	var m SQLMode
	for _, part := range strings.Split(s, ",") {
		name := strings.ToUpper(strings.TrimSpace(part))
		if name == "" {
			continue
		}
		if combo, ok := sqlModeCombos[name]; ok {
			sub, err := ParseSQLMode(combo)
			if err != nil {
				return 0, err
			}
			m |= sub
			continue
		}
		f, ok := sqlModeNames[name]
		if !ok {
			return 0, fmt.Errorf("parse sql_mode %q: unknown mode %q", s, name)
		}
		m |= f
	}
	return m, nil
}

// HasStrictMode reports STRICT_TRANS_TABLES or STRICT_ALL_TABLES (Lightning
// writes every row like a transactional-table insert, so either is strict).
func (m SQLMode) HasStrictMode() bool {
	return m&(ModeStrictTransTables|ModeStrictAllTables) != 0
}

// Has reports whether all flags of f are set.
func (m SQLMode) Has(f SQLMode) bool { return m&f == f }

// StmtContext carries the session state that conversion depends on and
// collects the warnings produced in non-strict mode. It is not safe for
// concurrent use; give each encoder goroutine its own.
type StmtContext struct {
	SQLMode SQLMode
	// TimeZone is the session time zone used for TIMESTAMP columns
	// (values are interpreted in it and stored as UTC). nil means UTC.
	TimeZone *time.Location
	// Warnings collected since the last ResetWarnings (capped, see
	// MaxWarnings); WarningCount counts all of them.
	Warnings     []*ConvertError
	WarningCount int
	// MaxWarnings bounds len(Warnings) (0 = 64).
	MaxWarnings int

	json      jsonParser                  // reusable JSON parser state
	collCache map[string]collate.Collator // ENUM/SET member comparison
}

// NewStmtContext returns a StmtContext for the given sql_mode string and
// time zone (nil = UTC).
func NewStmtContext(sqlMode string, tz *time.Location) (*StmtContext, error) {
	m, err := ParseSQLMode(sqlMode)
	if err != nil {
		return nil, err
	}
	return &StmtContext{SQLMode: m, TimeZone: tz}, nil
}

// Strict reports strict mode.
func (sc *StmtContext) Strict() bool { return sc.SQLMode.HasStrictMode() }

// AppendWarning records a warning.
func (sc *StmtContext) AppendWarning(e *ConvertError) {
	sc.WarningCount++
	limit := sc.MaxWarnings
	if limit <= 0 {
		limit = 64
	}
	if len(sc.Warnings) < limit {
		sc.Warnings = append(sc.Warnings, e)
	}
}

// ResetWarnings clears the collected warnings.
func (sc *StmtContext) ResetWarnings() {
	clear(sc.Warnings)
	sc.Warnings = sc.Warnings[:0]
	sc.WarningCount = 0
}

func (sc *StmtContext) location() *time.Location {
	if sc == nil || sc.TimeZone == nil {
		return time.UTC
	}
	return sc.TimeZone
}

// WarningMark is a position in the warning list (see MarkWarnings).
type WarningMark struct{ count, n int }

// MarkWarnings returns the current warning position.
func (sc *StmtContext) MarkWarnings() WarningMark {
	return WarningMark{count: sc.WarningCount, n: len(sc.Warnings)}
}

// RollbackWarnings drops the warnings recorded after m and returns them
// (only those that were kept under MaxWarnings). Callers that must treat a
// lossy conversion as an error even in non-strict mode use it to turn the
// warnings of one Convert call into an error.
func (sc *StmtContext) RollbackWarnings(m WarningMark) []*ConvertError {
	if m.n > len(sc.Warnings) || m.count > sc.WarningCount {
		return nil
	}
	dropped := append([]*ConvertError(nil), sc.Warnings[m.n:]...)
	clear(sc.Warnings[m.n:])
	sc.Warnings = sc.Warnings[:m.n]
	sc.WarningCount = m.count
	return dropped
}
