package tidb

import (
	"context"
	"errors"
	"strings"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
	"github.com/dolthub/vitess/go/vt/sqlparser"
	tparser "github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
	"go.uber.org/zap"
)

// handler sits in front of the SQL engine's protocol handler. Statements
// whose meaning is TiDB's own (DDL with TiDB syntax and ID assignment,
// ADMIN, ANALYZE, auto-ID ALTERs, SHOW CREATE) are parsed with TiDB's
// parser and answered here; everything else goes to the engine.
type handler struct {
	mysql.Handler
	srv *Server

	mu       sync.Mutex
	sessions map[uint32]*session
}

func (h *handler) register(id uint32, s *session) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sessions[id] = s
}

// sessionOf returns the connection's session, creating it first if needed:
// the engine builds sessions lazily on a connection's first statement, but
// the switches set here (_tidb_rowid) must be in place before that
// statement runs. Selecting no database is what a connection without one
// starts with, so creating the session this way changes nothing else.
func (h *handler) sessionOf(c *mysql.Conn) *session {
	h.mu.Lock()
	s := h.sessions[c.ConnectionID]
	h.mu.Unlock()
	if s != nil {
		return s
	}
	if err := h.Handler.ComInitDB(c, ""); err != nil {
		h.srv.log.Warn("creating session", zap.Uint32("connection", c.ConnectionID), zap.Error(err))
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.sessions[c.ConnectionID]
}

func (h *handler) ConnectionClosed(c *mysql.Conn) {
	h.mu.Lock()
	delete(h.sessions, c.ConnectionID)
	h.mu.Unlock()
	h.Handler.ConnectionClosed(c)
}

// ComQuery answers TiDB statements itself and forwards the rest.
func (h *handler) ComQuery(ctx context.Context, c *mysql.Conn, query string, callback mysql.ResultSpoolFn) (err error) {
	defer h.recoverTo(&err, query)
	if err := checkTimeZoneSet(query); err != nil {
		return err
	}
	res, handled, err := h.intercept(ctx, c, query)
	if handled {
		if err != nil {
			return toSQLError(err)
		}
		return callback(res, false)
	}
	ff := floatFixer{cat: h.srv.b.cat}
	fixed := func(r *sqltypes.Result, more bool) error {
		ff.fix(r)
		return callback(r, more)
	}
	curDB := ""
	if s := h.sessionOf(c); s != nil {
		curDB = s.GetCurrentDatabase()
	}
	if rq, ok := rewriteCreateView(query); ok {
		query = rq
	}
	if rq, readOnly, ok := h.rewriteSelect(query, curDB); ok {
		sent := false
		err := h.forward(c, rq, func() error {
			return h.Handler.ComQuery(ctx, c, rq, func(r *sqltypes.Result, more bool) error {
				sent = true
				return fixed(r, more)
			})
		})
		if err == nil || sent || !readOnly {
			return err
		}
		// The engine did not take the rewritten SELECT; nothing was sent
		// yet, so the original statement gets its chance. (DML is never
		// retried: it may have written rows before failing.)
		h.srv.log.Debug("rewritten query failed, running original", zap.String("query", query), zap.String("rewritten", rq), zap.Error(err))
	}
	sent := false
	err = h.forward(c, query, func() error {
		return h.Handler.ComQuery(ctx, c, query, func(r *sqltypes.Result, more bool) error {
			sent = true
			return fixed(r, more)
		})
	})
	if err != nil && !sent && isSyntaxError(err) {
		// Words TiDB keeps unreserved (copy, ...) are reserved to the
		// engine's parser. TiDB's restore back-quotes every identifier;
		// the engine parsed nothing, so nothing ran.
		if rq, ok := restoreQuoted(query); ok {
			err = h.forward(c, rq, func() error { return h.Handler.ComQuery(ctx, c, rq, fixed) })
		}
	}
	if errors.Is(err, errIgnored) {
		return callback(okResult(0), false)
	}
	if err != nil && !sent && curDB == "" && isNoDatabase(err) {
		// The engine binds views against the session schema even when the
		// statement names one (SELECT ... FROM db.view); TiDB does not
		// need a USE. Retry with the statement's first schema selected.
		if db := firstSchema(query); db != "" {
			if s := h.sessionOf(c); s != nil {
				s.SetCurrentDatabase(db)
				defer s.SetCurrentDatabase("")
				return h.forward(c, query, func() error { return h.Handler.ComQuery(ctx, c, query, fixed) })
			}
		}
	}
	return err
}

// isSyntaxError matches the engine's parse errors as they reach this layer.
func isSyntaxError(err error) bool {
	return strings.Contains(err.Error(), "syntax error at position")
}

// restoreQuoted is query as TiDB's parser reads it, restored with every
// identifier back-quoted; ok is false when TiDB cannot parse it either or
// the text would not change.
func restoreQuoted(query string) (string, bool) {
	stmts, _, err := tparser.New().ParseSQL(query)
	if err != nil || len(stmts) != 1 {
		return "", false
	}
	var sb strings.Builder
	flags := format.DefaultRestoreFlags | format.RestoreStringWithoutCharset | format.RestoreTiDBSpecialComment
	if err := stmts[0].Restore(format.NewRestoreCtx(flags, &sb)); err != nil || sb.String() == query {
		return "", false
	}
	return sb.String(), true
}

// isNoDatabase matches the engine's "no database selected", which reaches
// this layer already converted to a protocol error.
func isNoDatabase(err error) bool {
	return sql.ErrNoDatabaseSelected.Is(err) || strings.Contains(strings.ToLower(err.Error()), "no database selected")
}

// firstSchema returns the first schema a statement names explicitly.
func firstSchema(query string) string {
	stmts, _, err := tparser.New().ParseSQL(query)
	if err != nil || len(stmts) != 1 {
		return ""
	}
	v := &schemaFinder{}
	stmts[0].Accept(v)
	return v.db
}

type schemaFinder struct{ db string }

func (f *schemaFinder) Enter(n ast.Node) (ast.Node, bool) {
	if tn, ok := n.(*ast.TableName); ok && f.db == "" && tn.Schema.O != "" {
		f.db = tn.Schema.O
	}
	return n, f.db != ""
}

func (f *schemaFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }

// ComMultiQuery handles the first statement of a multi-statement packet.
func (h *handler) ComMultiQuery(ctx context.Context, c *mysql.Conn, query string, callback mysql.ResultSpoolFn) (_ string, err error) {
	defer h.recoverTo(&err, query)
	first, rest, err := sqlparser.SplitStatement(query)
	if err == nil && strings.TrimSpace(rest) == "" {
		// One statement, as clients with CLIENT_MULTI_STATEMENTS (the
		// mysql CLI among them) send every query: it gets exactly the
		// single-statement treatment, rewrites included.
		return "", h.ComQuery(ctx, c, query, callback)
	}
	if err == nil {
		res, handled, err := h.intercept(ctx, c, first)
		if handled {
			if err != nil {
				return "", toSQLError(err)
			}
			return rest, callback(res, rest != "")
		}
	}
	var remainder string
	ff := floatFixer{cat: h.srv.b.cat}
	err = h.forward(c, query, func() error {
		var e error
		remainder, e = h.Handler.ComMultiQuery(ctx, c, query, func(r *sqltypes.Result, more bool) error {
			ff.fix(r)
			return callback(r, more)
		})
		return e
	})
	if errors.Is(err, errIgnored) {
		return rest, callback(okResult(0), rest != "")
	}
	return remainder, err
}

// ComPrepare exposes _tidb_rowid to prepared statements that name it.
func (h *handler) ComPrepare(ctx context.Context, c *mysql.Conn, query string, prepare *mysql.PrepareData) (_ []*querypb.Field, err error) {
	defer h.recoverTo(&err, query)
	var out []*querypb.Field
	err = h.forward(c, query, func() error {
		var e error
		out, e = h.Handler.ComPrepare(ctx, c, query, prepare)
		return e
	})
	return out, err
}

func (h *handler) ComStmtExecute(ctx context.Context, c *mysql.Conn, prepare *mysql.PrepareData, callback func(*sqltypes.Result) error) (err error) {
	defer h.recoverTo(&err, prepare.PrepareStmt)
	ff := floatFixer{cat: h.srv.b.cat}
	return h.forward(c, prepare.PrepareStmt, func() error {
		return h.Handler.ComStmtExecute(ctx, c, prepare, func(r *sqltypes.Result) error {
			ff.fix(r)
			return callback(r)
		})
	})
}

// recoverTo turns a panic anywhere below (engine, codec, parser) into an
// error for the one statement, so a bad query never takes the server down.
func (h *handler) recoverTo(err *error, query string) {
	if r := recover(); r != nil {
		h.srv.log.Error("panic while running statement", zap.String("query", query), zap.Any("panic", r), zap.Stack("stack"))
		*err = mysql.NewSQLError(mysql.ERUnknownError, mysql.SSUnknownSQLState, "internal error: %v", r)
	}
}

// namesRowID reports whether query mentions the identifier _tidb_rowid
// itself, not merely a longer name containing it (a table called
// explicit_tidb_rowid must keep its plain column list).
func namesRowID(query string) bool {
	q := strings.ToLower(query)
	for i := 0; ; {
		j := strings.Index(q[i:], "_tidb_rowid")
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len("_tidb_rowid")
		if (start == 0 || !isIdentByte(q[start-1])) && (end == len(q) || !isIdentByte(q[end])) {
			return true
		}
		i = end
	}
}

// isIdentByte is a byte that can continue an unquoted identifier.
func isIdentByte(b byte) bool {
	return b == '_' || b == '$' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= 0x80
}

// forward runs fn with the session's _tidb_rowid switch set for query.
func (h *handler) forward(c *mysql.Conn, query string, fn func() error) error {
	s := h.sessionOf(c)
	if s != nil && namesRowID(query) {
		s.wantRowID.Store(true)
		defer s.wantRowID.Store(false)
	}
	err := fn()
	if err != nil && isUnknownSysVar(err) && isSetStatement(query) {
		// TiDB accepts many variables this engine has never heard of; an
		// importer setting one must not fail. The value is dropped.
		h.srv.log.Debug("ignoring unknown system variable", zap.String("query", query), zap.Error(err))
		return errIgnored
	}
	return err
}

// errIgnored tells the caller to answer OK for a statement the engine
// rejected but TiDB would accept.
var errIgnored = errors.New("statement ignored")

func isSetStatement(q string) bool {
	q = strings.TrimSpace(q)
	return len(q) >= 4 && strings.EqualFold(q[:4], "set ")
}

func isUnknownSysVar(err error) bool {
	return err != nil && (sql.ErrUnknownSystemVariable.Is(err) || strings.Contains(strings.ToLower(err.Error()), "unknown system variable"))
}

// toSQLError gives catalog errors their MySQL error numbers, which clients
// (and Lightning) branch on.
func toSQLError(err error) error {
	var se *mysql.SQLError
	if errors.As(err, &se) {
		return err
	}
	code := mysql.ERUnknownError
	switch {
	case errors.Is(err, ErrUnknownDatabase):
		code = mysql.ERBadDb
	case errors.Is(err, ErrUnknownTable):
		code = mysql.ERNoSuchTable
	case errors.Is(err, ErrExists) && strings.HasPrefix(err.Error(), "database"):
		code = mysql.ERDbCreateExists
	case errors.Is(err, ErrExists):
		code = mysql.ERTableExists
	}
	return mysql.NewSQLError(code, mysql.SSUnknownSQLState, "%s", err.Error())
}

// intercept parses query with TiDB's parser and runs it when it is one of
// the statements this front owns. Parse failures are left to the engine.
func (h *handler) intercept(ctx context.Context, c *mysql.Conn, query string) (*sqltypes.Result, bool, error) {
	if !mayIntercept(query) {
		return nil, false, nil
	}
	stmts, _, err := tparser.New().ParseSQL(query)
	if err != nil || len(stmts) != 1 {
		return nil, false, nil
	}
	curDB := ""
	if s := h.sessionOf(c); s != nil {
		curDB = s.GetCurrentDatabase()
	}
	e := &executor{srv: h.srv, curDB: curDB}
	return e.exec(ctx, stmts[0])
}

// mayIntercept is a cheap keyword test so ordinary queries (the bulk of a
// logical import) skip the second parse.
func mayIntercept(q string) bool {
	q = strings.TrimLeft(q, " \t\r\n;(")
	for strings.HasPrefix(q, "/*") && !strings.HasPrefix(q, "/*!") && !strings.HasPrefix(q, "/*T!") {
		end := strings.Index(q, "*/")
		if end < 0 {
			return false
		}
		q = strings.TrimLeft(q[end+2:], " \t\r\n")
	}
	i := strings.IndexAny(q, " \t\r\n")
	if i < 0 {
		i = len(q)
	}
	switch strings.ToUpper(q[:i]) {
	case "CREATE", "DROP", "TRUNCATE", "ADMIN", "ALTER", "ANALYZE", "SHOW", "SPLIT", "RENAME", "GRANT":
		return true
	}
	return false
}

// result builds a text result set.
func result(cols []string, rows [][]string) *sqltypes.Result {
	r := &sqltypes.Result{}
	for _, c := range cols {
		r.Fields = append(r.Fields, &querypb.Field{Name: c, Type: sqltypes.VarChar, Charset: 255})
	}
	for _, row := range rows {
		vals := make([]sqltypes.Value, len(row))
		for i, v := range row {
			vals[i] = sqltypes.NewVarChar(v)
		}
		r.Rows = append(r.Rows, vals)
	}
	return r
}

// typedResult is result with unsigned integer columns where TiDB has them.
func checksumResult(db, tbl string, sum, kvs, size uint64) *sqltypes.Result {
	r := &sqltypes.Result{Fields: []*querypb.Field{
		{Name: "Db_name", Type: sqltypes.VarChar, Charset: 255},
		{Name: "Table_name", Type: sqltypes.VarChar, Charset: 255},
		{Name: "Checksum_crc64_xor", Type: sqltypes.Uint64, Charset: 63},
		{Name: "Total_kvs", Type: sqltypes.Uint64, Charset: 63},
		{Name: "Total_bytes", Type: sqltypes.Uint64, Charset: 63},
	}}
	r.Rows = [][]sqltypes.Value{{
		sqltypes.NewVarChar(db), sqltypes.NewVarChar(tbl),
		sqltypes.NewUint64(sum), sqltypes.NewUint64(kvs), sqltypes.NewUint64(size),
	}}
	return r
}

func okResult(affected uint64) *sqltypes.Result { return &sqltypes.Result{RowsAffected: affected} }
