package tidb

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/mysql"
	"go.uber.org/zap"
)

// Version strings the front reports; importers parse the "-TiDB-v" part to
// decide they talk to TiDB and which features it has.
const (
	Version      = "8.0.11-TiDB-v8.5.0-sandbox"
	TiDBRelease  = "v8.5.0-sandbox"
	GitHash      = "0000000000000000000000000000000000000000"
	versionText  = "Release Version: " + TiDBRelease + "\nEdition: Community\nGit Commit Hash: " + GitHash + "\nGit Branch: sandbox\nUTC Build Time: 2026-01-01 00:00:00\nGoVersion: go1.26\nRace Enabled: false\nCheck Table Before Drop: false\nStore: tikv"
	defaultLocal = "127.0.0.1"
)

// Options configures Start.
type Options struct {
	// SQLPort and StatusPort are the listen ports on 127.0.0.1; 0 picks a
	// free port.
	SQLPort, StatusPort int
	// KV is the cluster's storage. If it also implements KVWriter, SQL
	// writes are supported. nil uses a fresh in-memory store.
	KV KVStore
	// DataDir keeps the catalog across restarts; empty keeps it in memory.
	DataDir string
	// PDAddress is reported by /settings as "path", where Lightning looks
	// for the PD endpoints.
	PDAddress string
	Logger    *zap.Logger
}

// Server is a running TiDB front.
type Server struct {
	opts       Options
	log        *zap.Logger
	b          *backend
	engine     *sqle.Engine
	sqlSrv     *server.Server
	httpSrv    *http.Server
	sqlLn      net.Listener
	statusLn   net.Listener
	sqlPort    int
	statusPort int

	stopOnce sync.Once
}

// Start opens the catalog, binds both ports and starts serving.
func Start(ctx context.Context, opts Options) (*Server, error) {
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	log = log.Named("tidb")
	if opts.KV == nil {
		opts.KV = NewMemKV()
	}
	cat, err := openCatalog(opts.DataDir)
	if err != nil {
		return nil, err
	}
	b := &backend{cat: cat, kv: opts.KV, log: log, alloc: map[int64]*idCache{}, sysVars: newSysVarsTable()}
	if w, ok := opts.KV.(KVWriter); ok {
		b.w = w
	}
	s := &Server{opts: opts, log: log, b: b}

	registerSysVars()
	az := analyzer.NewDefault(&provider{b: b})
	az.Catalog.InfoSchema = &infoSchema{Database: az.Catalog.InfoSchema, b: b}
	s.engine = sqle.New(az, &sqle.Config{})
	if err := registerFunctions(s.engine); err != nil {
		return nil, err
	}

	var lc net.ListenConfig
	s.sqlLn, err = lc.Listen(ctx, "tcp", net.JoinHostPort(defaultLocal, strconv.Itoa(opts.SQLPort)))
	if err != nil {
		return nil, fmt.Errorf("tidb: listening for SQL: %w", err)
	}
	s.statusLn, err = lc.Listen(ctx, "tcp", net.JoinHostPort(defaultLocal, strconv.Itoa(opts.StatusPort)))
	if err != nil {
		_ = s.sqlLn.Close()
		return nil, fmt.Errorf("tidb: listening for status: %w", err)
	}
	s.sqlPort = s.sqlLn.Addr().(*net.TCPAddr).Port
	s.statusPort = s.statusLn.Addr().(*net.TCPAddr).Port

	h := &handler{srv: s, sessions: map[uint32]*session{}}
	sb := func(ctx context.Context, conn *mysql.Conn, addr string) (sql.Session, error) {
		base := sql.NewBaseSessionWithClientServer(addr, sql.Client{User: conn.User, Address: conn.RemoteAddr().String(), Capabilities: conn.Capabilities}, conn.ConnectionID)
		sess := &session{BaseSession: base}
		h.register(conn.ConnectionID, sess)
		return sess, nil
	}
	cfg := server.Config{
		Protocol: "tcp",
		Address:  s.sqlLn.Addr().String(),
		Listener: s.sqlLn,
		Version:  Version,
	}
	s.sqlSrv, err = server.NewServerWithHandler(cfg, s.engine, sql.NewContext, sb, nil, func(inner mysql.Handler) (mysql.Handler, error) {
		h.Handler = inner
		return h, nil
	})
	if err != nil {
		_ = s.sqlLn.Close()
		_ = s.statusLn.Close()
		return nil, fmt.Errorf("tidb: creating SQL server: %w", err)
	}
	s.httpSrv = &http.Server{Handler: s.statusHandler(), ReadHeaderTimeout: 10 * time.Second}
	// Serve errors after a successful bind mean the listener died; there
	// is no caller to hand them to, so they are logged.
	go func() {
		if err := s.sqlSrv.Start(); err != nil && !errors.Is(err, net.ErrClosed) {
			log.Error("SQL listener stopped", zap.Error(err))
		}
	}()
	go func() {
		if err := s.httpSrv.Serve(s.statusLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("status listener stopped", zap.Error(err))
		}
	}()
	log.Info("TiDB front started", zap.String("sql", s.SQLAddress()), zap.String("status", s.StatusAddress()))
	return s, nil
}

// SQLAddress is host:port of the MySQL protocol listener.
func (s *Server) SQLAddress() string { return net.JoinHostPort(defaultLocal, strconv.Itoa(s.sqlPort)) }

// StatusAddress is host:port of the status HTTP listener.
func (s *Server) StatusAddress() string {
	return net.JoinHostPort(defaultLocal, strconv.Itoa(s.statusPort))
}

// Stop closes both listeners and open connections. It is idempotent.
func (s *Server) Stop() error {
	var err error
	s.stopOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		// A graceful HTTP shutdown waits for in-flight status requests; a
		// sandbox has nothing worth waiting for past the timeout.
		httpErr := s.httpSrv.Shutdown(ctx)
		if errors.Is(httpErr, context.DeadlineExceeded) {
			httpErr = s.httpSrv.Close()
		}
		err = errors.Join(s.sqlSrv.Close(), httpErr)
		if err != nil && errors.Is(err, net.ErrClosed) {
			err = nil
		}
	})
	return err
}

// globalString reads a global system variable as text ("" when unset).
func (s *Server) globalString(name string) string {
	_, v, ok := sql.SystemVariables.GetGlobal(name)
	if !ok || v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// registerSysVars teaches the engine TiDB's variables, so SET and @@ reads
// of them behave as on TiDB. The engine keeps its variable registry
// process-wide, so fronts in one process share it; registering only when
// absent keeps a second Start from resetting values set through the first.
func registerSysVars() {
	if _, _, ok := sql.SystemVariables.GetGlobal("tidb_row_format_version"); ok {
		return
	}
	func() {
		str := func(name, def string) sql.SystemVariable {
			return &sql.MysqlSystemVariable{Name: name, Scope: sql.GetMysqlScope(sql.SystemVariableScope_Both), Dynamic: true, Type: types.NewSystemStringType(name), Default: def}
		}
		num := func(name string, def int64) sql.SystemVariable {
			return &sql.MysqlSystemVariable{Name: name, Scope: sql.GetMysqlScope(sql.SystemVariableScope_Both), Dynamic: true, Type: types.NewSystemIntType(name, -1<<62, 1<<62, false), Default: def}
		}
		sql.SystemVariables.AddSystemVariables([]sql.SystemVariable{
			num("tidb_row_format_version", 2),
			str("tidb_enable_clustered_index", "INT_ONLY"),
			num("tidb_opt_write_row_id", 0),
			num("allow_auto_random_explicit_insert", 0),
			num("tidb_backoff_weight", 2),
			num("tidb_build_stats_concurrency", 4),
			num("tidb_distsql_scan_concurrency", 15),
			num("tidb_index_serial_scan_concurrency", 1),
			num("tidb_checksum_table_concurrency", 4),
			num("tidb_mem_quota_query", 1<<30),
			str("tidb_txn_mode", "pessimistic"),
			num("tidb_skip_utf8_check", 0),
			num("tidb_skip_ascii_check", 0),
			num("tidb_constraint_check_in_place", 0),
			num("tidb_enable_global_index", 1),
			num("tidb_enable_auto_analyze", 1),
			str("tidb_gc_life_time", "10m0s"),
			num("tidb_gc_enable", 1),
			num("tidb_enable_async_commit", 1),
			num("tidb_enable_1pc", 1),
			num("tidb_enable_paging", 1),
			num("tidb_dml_batch_size", 0),
			num("tidb_batch_insert", 0),
			num("tidb_ddl_reorg_worker_cnt", 4),
			num("tidb_scatter_region", 0),
			str("tidb_isolation_read_engines", "tikv,tiflash,tidb"),
			num("tidb_enable_noop_functions", 0),
			str("tidb_cloud_storage_uri", ""),
			str("tidb_server_version", TiDBRelease),
			num("tidb_enable_ddl", 1),
			num("tidb_enable_dist_task", 0),
			num("tidb_enable_fast_create_table", 0),
			num("tidb_enable_fast_table_check", 1),
			num("tidb_max_chunk_size", 1024),
			str("tidb_placement_mode", "STRICT"),
			num("tidb_auto_analyze_ratio", 0),
			str("tidb_enable_check_constraint", "OFF"),
		})
		_ = sql.SystemVariables.AssignValues(map[string]any{"version": Version, "version_comment": "TiDB Server (Apache License 2.0) Community Edition, MySQL 8.0 compatible"})
	}()
}

// registerFunctions adds TiDB's own functions to the engine catalog. The
// catalog panics on duplicate names, so registration is guarded.
func registerFunctions(e *sqle.Engine) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("tidb: registering functions: %v", r)
		}
	}()
	ctx := sql.NewEmptyContext()
	if _, ok := e.Analyzer.Catalog.Function(ctx, "tidb_version"); !ok {
		e.Analyzer.Catalog.RegisterFunction(ctx, sql.Function0{Name: "tidb_version", Fn: func() sql.Expression {
			return expression.NewLiteral(versionText, types.LongText)
		}})
	}
	return nil
}
