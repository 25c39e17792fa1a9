package logical

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"fmt"
	"net"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
	"go.uber.org/zap"

	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/schema"
)

// Lightning's defaults, used when the config leaves a knob at zero.
const (
	defaultBatchSize      = 96 << 10
	defaultBatchRows      = 65536
	defaultConflictBudget = 10000
	// packetHeadroom keeps a statement comfortably below max_allowed_packet
	// (the packet also carries the command byte and the driver's framing).
	packetHeadroom = 4 << 10
)

// Backend is a pool of import sessions on the target plus the settings that
// shape the SQL it sends. It is safe for concurrent use by many writers.
type Backend struct {
	db     *sql.DB
	logger *zap.Logger

	isTiDB  bool
	version string

	strategy       string // config.ConflictError / Replace / Ignore
	batchBytes     int
	batchRows      int
	enc            encoder
	taskSchema     string // "" disables error records and progress rows
	typeBudget     int64
	conflictBudget int64
	maxRecordRows  int64
	noSchema       bool
	schemaCharset  string

	retry backoff

	tablesMu    sync.Mutex
	tablesReady bool
}

// Open connects to cfg.TiDB with the given password (kept out of cfg so it
// never travels in workflow input) and prepares import sessions.
func Open(ctx context.Context, cfg *config.Config, password string, logger *zap.Logger) (*Backend, error) {
	if logger == nil {
		logger = zap.NewNop()
	}
	if cfg == nil {
		return nil, fmt.Errorf("opening logical backend: nil config")
	}
	base, err := baseDriverConfig(cfg, password)
	if err != nil {
		return nil, err
	}
	addr := base.Addr

	// Probe once to learn what the server is and which of the configured
	// sql_mode flags and session variables it accepts; a value the server
	// rejects would otherwise make every pooled connection fail.
	probeCfg := base.Clone()
	probeConnector, err := mysql.NewConnector(probeCfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", addr, err)
	}
	probe := sql.OpenDB(probeConnector)
	defer probe.Close()
	conn, err := probe.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s as %q: %w", addr, cfg.TiDB.User, err)
	}
	defer conn.Close()
	var version string
	var serverPacket int64
	if err := conn.QueryRowContext(ctx, "SELECT VERSION(), @@max_allowed_packet").Scan(&version, &serverPacket); err != nil {
		return nil, fmt.Errorf("reading server version from %s: %w", addr, err)
	}
	isTiDB := strings.Contains(strings.ToLower(version), "tidb")
	sqlMode, err := acceptedSQLMode(ctx, conn, cfg.TiDB.SQLMode, logger)
	if err != nil {
		return nil, fmt.Errorf("setting sql_mode on %s: %w", addr, err)
	}

	params := map[string]string{
		"sql_mode":   sqlString(sqlMode),
		"autocommit": "1",
	}
	if isTiDB {
		// Let explicit _tidb_rowid and AUTO_RANDOM values from the dump be
		// written as they are, like Lightning's tidb backend.
		params["tidb_opt_write_row_id"] = "1"
		params["allow_auto_random_explicit_insert"] = "1"
	}
	names := make([]string, 0, len(cfg.TiDB.SessionVars))
	for k := range cfg.TiDB.SessionVars {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !validVarName(k) {
			logger.Warn("ignoring session variable with an invalid name", zap.String("name", k))
			continue
		}
		v := sqlValue(cfg.TiDB.SessionVars[k])
		if _, err := conn.ExecContext(ctx, "SET SESSION "+k+" = "+v); err != nil {
			logger.Warn("target rejects session variable; not set on import sessions",
				zap.String("name", k), zap.String("value", cfg.TiDB.SessionVars[k]), zap.Error(err))
			continue
		}
		params[k] = v
	}

	final := base.Clone()
	for k, v := range params {
		final.Params[k] = v
	}
	connector, err := mysql.NewConnector(final)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w", addr, err)
	}
	db := sql.OpenDB(connector)
	poolSize := cfg.Lightning.RegionConcurrency
	if poolSize <= 0 {
		poolSize = 4
	}
	// +2: schema work and bookkeeping queries must not starve writers.
	db.SetMaxOpenConns(poolSize + 2)
	db.SetMaxIdleConns(poolSize + 2)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("opening import sessions on %s: %w", addr, err)
	}

	b := &Backend{
		db:            db,
		logger:        logger,
		isTiDB:        isTiDB,
		version:       version,
		taskSchema:    cfg.Lightning.TaskInfoSchemaName,
		typeBudget:    cfg.Lightning.MaxError.Type,
		noSchema:      cfg.Mydumper.NoSchema,
		schemaCharset: cfg.Mydumper.CharacterSet,
		enc:           encoder{noBackslashEscapes: strings.Contains(strings.ToUpper(sqlMode), "NO_BACKSLASH_ESCAPES")},
		retry:         backoff{attempts: 8, base: 100 * time.Millisecond, max: 5 * time.Second},
	}
	b.strategy = strings.ToLower(cfg.Conflict.Strategy)
	if b.strategy == "" {
		b.strategy = strings.ToLower(cfg.TikvImporter.OnDuplicate) // deprecated alias
	}
	switch b.strategy {
	case "", config.ConflictError:
		b.strategy = config.ConflictError
	case config.ConflictReplace, config.ConflictIgnore:
	default:
		_ = db.Close()
		return nil, fmt.Errorf("opening logical backend: unsupported conflict.strategy %q", cfg.Conflict.Strategy)
	}
	b.conflictBudget = cfg.Conflict.Threshold
	if b.strategy != config.ConflictError && b.conflictBudget <= 0 {
		// 0 is "not configured": Lightning's default for replace/ignore.
		b.conflictBudget = defaultConflictBudget
	}
	b.maxRecordRows = cfg.Conflict.MaxRecordRows
	if b.maxRecordRows <= 0 {
		b.maxRecordRows = b.conflictBudget
	}
	if b.strategy == config.ConflictError && b.maxRecordRows < 1 {
		// The one duplicate that stops the import is always recorded.
		b.maxRecordRows = 1
	}

	b.batchBytes = int(cfg.TikvImporter.LogicalImportBatchSize)
	if b.batchBytes <= 0 {
		b.batchBytes = defaultBatchSize
	}
	packet := serverPacket
	if cfg.TiDB.MaxAllowedPacket > 0 && cfg.TiDB.MaxAllowedPacket < packet {
		packet = cfg.TiDB.MaxAllowedPacket
	}
	if limit := int(packet) - packetHeadroom; packet > 0 && limit > 0 && b.batchBytes > limit {
		b.batchBytes = limit
	}
	b.batchRows = cfg.TikvImporter.LogicalImportBatchRows
	if b.batchRows <= 0 {
		b.batchRows = defaultBatchRows
	}
	logger.Info("logical backend opened", zap.String("addr", addr), zap.String("version", version),
		zap.Bool("tidb", isTiDB), zap.String("strategy", b.strategy), zap.Int("batchBytes", b.batchBytes),
		zap.Int("batchRows", b.batchRows), zap.Int("pool", poolSize+2))
	return b, nil
}

// Close releases the connection pool.
func (b *Backend) Close() error { return b.db.Close() }

// DB is the import session pool (sessions carry the import's sql_mode).
func (b *Backend) DB() *sql.DB { return b.db }

// IsTiDB reports whether the target identified itself as TiDB.
func (b *Backend) IsTiDB() bool { return b.isTiDB }

// Version is the target's VERSION().
func (b *Backend) Version() string { return b.version }

// BatchLimits are the effective bytes/rows limits of one INSERT statement.
func (b *Backend) BatchLimits() (bytes, rows int) { return b.batchBytes, b.batchRows }

// Strategy is the effective conflict strategy (error, replace or ignore).
func (b *Backend) Strategy() string { return b.strategy }

func baseDriverConfig(cfg *config.Config, password string) (*mysql.Config, error) {
	c := mysql.NewConfig()
	c.User = cfg.TiDB.User
	c.Passwd = password
	c.Net = "tcp"
	port := cfg.TiDB.Port
	if port == 0 {
		port = 4000
	}
	host := cfg.TiDB.Host
	if host == "" {
		host = "127.0.0.1"
	}
	c.Addr = net.JoinHostPort(host, strconv.Itoa(port))
	c.Params = map[string]string{}
	if err := c.Apply(mysql.Charset("utf8mb4", "")); err != nil {
		return nil, fmt.Errorf("configuring connection charset: %w", err)
	}
	// Literals are built by the encoder; interpolation keeps the few
	// parameterised bookkeeping statements to one round trip as well.
	c.InterpolateParams = true
	c.MaxAllowedPacket = int(cfg.TiDB.MaxAllowedPacket)
	if c.MaxAllowedPacket < 0 {
		c.MaxAllowedPacket = 0
	}
	c.Timeout = 15 * time.Second
	switch strings.ToLower(cfg.TiDB.TLS) {
	case "", "false":
	case "skip-verify":
		c.TLSConfig = "skip-verify"
	case "preferred":
		c.TLSConfig = "preferred"
	case "true", "cluster":
		files := cfg.TiDB.Security
		if files == nil {
			files = &cfg.Security.TLSFiles
		}
		tc, err := buildTLS(files, host)
		if err != nil {
			return nil, err
		}
		c.TLS = tc
	default:
		return nil, fmt.Errorf("unsupported tidb.tls %q", cfg.TiDB.TLS)
	}
	return c, nil
}

func buildTLS(files *config.TLSFiles, host string) (*tls.Config, error) {
	tc := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if files.CAPath != "" {
		pem, err := os.ReadFile(files.CAPath)
		if err != nil {
			return nil, fmt.Errorf("reading TLS CA %s: %w", files.CAPath, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("reading TLS CA %s: no certificate found", files.CAPath)
		}
		tc.RootCAs = pool
	}
	if files.CertPath != "" || files.KeyPath != "" {
		cert, err := tls.LoadX509KeyPair(files.CertPath, files.KeyPath)
		if err != nil {
			return nil, fmt.Errorf("loading TLS key pair %s / %s: %w", files.CertPath, files.KeyPath, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

var varNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*$`)

func validVarName(s string) bool { return varNameRE.MatchString(s) }

var plainNumberRE = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// sqlValue renders a session-variable value: numbers unquoted (integer
// variables reject strings), everything else as a string literal.
func sqlValue(v string) string {
	if plainNumberRE.MatchString(v) {
		return v
	}
	return sqlString(v)
}

func sqlString(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

// LoadTableInfo describes a target table from the server.
func (b *Backend) LoadTableInfo(ctx context.Context, db, table string) (*schema.TableInfo, error) {
	return schema.LoadTargetColumns(ctx, b.db, db, table)
}

// acceptedSQLMode returns the configured sql_mode without the flags the
// server does not know. Lightning's default carries NO_AUTO_CREATE_USER,
// which MySQL 8 removed and rejects; dropping it (with a warning) keeps the
// default usable on every target.
func acceptedSQLMode(ctx context.Context, conn *sql.Conn, mode string, logger *zap.Logger) (string, error) {
	if _, err := conn.ExecContext(ctx, "SET SESSION sql_mode = "+sqlString(mode)); err == nil {
		return mode, nil
	} else if code, ok := mysqlCode(err); !ok || code != 1231 {
		return "", err
	}
	var kept []string
	for _, flag := range strings.Split(mode, ",") {
		flag = strings.TrimSpace(flag)
		if flag == "" {
			continue
		}
		if _, err := conn.ExecContext(ctx, "SET SESSION sql_mode = "+sqlString(flag)); err != nil {
			logger.Warn("target does not support sql_mode flag; dropping it", zap.String("flag", flag), zap.Error(err))
			continue
		}
		kept = append(kept, flag)
	}
	return strings.Join(kept, ","), nil
}
