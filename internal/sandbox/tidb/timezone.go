package tidb

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"
	tparser "github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// TIMESTAMP columns are stored in UTC (as TiDB stores them in TiKV) and
// shown in the session's time_zone: reads decode into the session zone,
// writes encode from it, so the engine only ever sees session wall-clock
// values and WHERE comparisons against literals happen in the session zone,
// as in TiDB. time_zone and system_time_zone are the engine's own
// variables (SET [GLOBAL] time_zone, @@time_zone, @@global.time_zone,
// @@system_time_zone); SYSTEM, the default, is this server's local zone,
// which is what TiDB's SYSTEM means too.

// sessionLocation is the time zone of the session running ctx's statement;
// contexts without a session (status API, internal scans) get the system
// zone. A value the zone parser does not understand falls back to the
// system zone as well: the engine accepts any text for time_zone, and a
// read must not fail because of it (SET already reported nothing).
func sessionLocation(ctx context.Context) *time.Location {
	sc, ok := ctx.(*sql.Context)
	if !ok || sc == nil || sc.Session == nil {
		return time.Local
	}
	v, err := sc.GetSessionVariable(sc, "time_zone")
	if err != nil {
		return time.Local
	}
	s, ok := v.(string)
	if !ok {
		return time.Local
	}
	loc, err := parseTimeZone(s)
	if err != nil {
		return time.Local
	}
	return loc
}

// parseTimeZone reads a MySQL time_zone value: SYSTEM, an offset "±h:mm"
// (TiDB accepts -12:59..+14:00), or a zone name from the tz database.
func parseTimeZone(s string) (*time.Location, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "SYSTEM") || s == "" {
		return time.Local, nil
	}
	if s[0] == '+' || s[0] == '-' {
		hh, mm, ok := strings.Cut(s[1:], ":")
		h, err1 := strconv.Atoi(hh)
		m, err2 := strconv.Atoi(mm)
		if !ok || err1 != nil || err2 != nil || len(mm) != 2 || m > 59 || h > 14 {
			return nil, fmt.Errorf("unknown or incorrect time zone: '%s'", s)
		}
		off := h*3600 + m*60
		if s[0] == '-' {
			off = -off
		}
		if off < -(12*3600+59*60) || off > 14*3600 {
			return nil, fmt.Errorf("unknown or incorrect time zone: '%s'", s)
		}
		return time.FixedZone(s, off), nil
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		return nil, fmt.Errorf("unknown or incorrect time zone: '%s'", s)
	}
	return loc, nil
}

// checkTimeZoneSet rejects a SET of time_zone to a value TiDB would refuse
// (error 1298), which the engine would store as any text. Statements that
// do not parse, or set time_zone from an expression, are left to the
// engine.
func checkTimeZoneSet(query string) error {
	if !isSetStatement(query) || !strings.Contains(strings.ToLower(query), "time_zone") {
		return nil
	}
	stmt, err := tparser.New().ParseOneStmt(query, "", "")
	if err != nil {
		return nil
	}
	set, ok := stmt.(*ast.SetStmt)
	if !ok {
		return nil
	}
	for _, v := range set.Variables {
		if !v.IsSystem || !strings.EqualFold(v.Name, "time_zone") {
			continue
		}
		val, ok := v.Value.(ast.ValueExpr)
		if !ok {
			continue
		}
		if _, err := parseTimeZone(val.GetDatumString()); err != nil {
			return mysql.NewSQLError(mysql.ERUnknownTimeZone, "HY000", "Unknown or incorrect time zone: '%s'", val.GetDatumString())
		}
	}
	return nil
}
