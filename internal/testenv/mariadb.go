package testenv

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
	"go.uber.org/zap"
)

// installHint is appended to every "binary not found" error so that a failing
// test tells the reader how to fix the machine rather than the code.
const installHint = "run `apt-get install -y mariadb-server` (tests need a real MariaDB; they do not skip)"

// startTimeout bounds bootstrap plus start-up when the caller's context has no
// deadline: a server that is not ready after this long is broken, and waiting
// forever would hang the test binary instead of failing it.
const startTimeout = 90 * time.Second

// Server is one private MariaDB instance.
type Server struct {
	dir    string
	socket string
	host   string
	port   int
	logger *zap.Logger

	cmd     *exec.Cmd
	exited  chan struct{} // closed when the process has been reaped
	waitErr error         // valid after exited is closed

	admin *sql.DB

	stopOnce sync.Once
	stopErr  error
}

// StartMariaDB bootstraps a data directory under dir (which must exist or be
// creatable and is owned by the Server afterwards: Stop removes it) and starts
// mariadbd on 127.0.0.1. It returns once the server accepts TCP logins as
// password-less root.
func StartMariaDB(ctx context.Context, dir string, logger *zap.Logger) (*Server, error) {
	if logger == nil {
		logger = zap.NewNop()
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, startTimeout)
		defer cancel()
	}
	serverBin, err := findBinary("mariadbd", "mysqld")
	if err != nil {
		return nil, err
	}
	installBin, err := findBinary("mariadb-install-db", "mysql_install_db")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating MariaDB directory %s: %w", dir, err)
	}
	dataDir := filepath.Join(dir, "data")
	tmpDir := filepath.Join(dir, "tmp")
	if err := os.MkdirAll(tmpDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating MariaDB tmpdir %s: %w", tmpDir, err)
	}

	// Small InnoDB files keep each private instance at ~25 MB instead of
	// ~115 MB; tests never need more.
	sizing := []string{"--innodb-log-file-size=8M", "--innodb-buffer-pool-size=64M"}
	runAsRoot := os.Geteuid() == 0

	installArgs := []string{
		"--no-defaults",
		"--datadir=" + dataDir,
		"--auth-root-authentication-method=normal",
		"--skip-test-db",
		"--skip-name-resolve",
	}
	if runAsRoot {
		// mariadbd refuses to run as root unless told so explicitly.
		installArgs = append(installArgs, "--user=root")
	}
	installArgs = append(installArgs, sizing...)
	install := exec.CommandContext(ctx, installBin, installArgs...)
	if out, err := install.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("bootstrapping MariaDB data directory %s with %s: %w\n%s", dataDir, installBin, err, tail(out, 4000))
	}

	s := &Server{
		dir:    dir,
		socket: filepath.Join(dir, "mysqld.sock"),
		host:   "127.0.0.1",
		logger: logger,
	}
	// Picking a free port and binding it later is racy (another test binary
	// may grab it in between); retry a few times with a new port when the
	// server dies during start-up.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s.port = port
		args := []string{
			"--no-defaults",
			"--datadir=" + dataDir,
			"--tmpdir=" + tmpDir,
			"--socket=" + s.socket,
			"--pid-file=" + filepath.Join(dir, "mysqld.pid"),
			"--log-error=" + filepath.Join(dir, "error.log"),
			"--port=" + strconv.Itoa(port),
			"--bind-address=127.0.0.1",
			"--skip-name-resolve",
			"--character-set-server=utf8mb4",
			"--collation-server=utf8mb4_bin",
			"--lower-case-table-names=0",
			"--skip-log-bin",
			"--performance-schema=OFF",
			"--max-connections=500",
			// Durability is irrelevant for a throw-away server; speed is not.
			"--innodb-flush-log-at-trx-commit=0",
			"--innodb-doublewrite=0",
			"--sync-binlog=0",
		}
		if runAsRoot {
			args = append(args, "--user=root")
		}
		args = append(args, sizing...)
		if err := s.launch(ctx, serverBin, args); err != nil {
			lastErr = err
			if ctx.Err() != nil {
				break
			}
			continue
		}
		logger.Info("MariaDB started", zap.String("dir", dir), zap.Int("port", port))
		return s, nil
	}
	_ = os.RemoveAll(dir)
	return nil, lastErr
}

// launch starts the server process and waits until it accepts logins. On
// failure the process is killed and reaped.
func (s *Server) launch(ctx context.Context, bin string, args []string) error {
	cmd := exec.Command(bin, args...)
	cmd.Dir = s.dir
	// Backstop for test binaries that die without calling Stop: the kernel
	// kills the server when its parent goes away.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = &stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", bin, err)
	}
	s.cmd = cmd
	s.exited = make(chan struct{})
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()

	db, err := sql.Open("mysql", s.DSN(""))
	if err != nil {
		s.kill()
		return fmt.Errorf("opening admin connection to MariaDB on port %d: %w", s.port, err)
	}
	ticker := time.NewTicker(50 * time.Millisecond)
	defer ticker.Stop()
	for {
		pingCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := db.PingContext(pingCtx)
		cancel()
		if err == nil {
			s.admin = db
			return nil
		}
		select {
		case <-s.exited:
			_ = db.Close()
			return fmt.Errorf("MariaDB on port %d exited during start-up (%v): %s %s", s.port, s.waitErr, stderr.String(), s.errorLogTail())
		case <-ctx.Done():
			_ = db.Close()
			s.kill()
			return fmt.Errorf("waiting for MariaDB on port %d to accept logins: %w (last error: %v) %s", s.port, ctx.Err(), err, s.errorLogTail())
		case <-ticker.C:
		}
	}
}

func (s *Server) errorLogTail() string {
	b, err := os.ReadFile(filepath.Join(s.dir, "error.log"))
	if err != nil {
		return ""
	}
	return "\nerror.log: " + tail(b, 4000)
}

func (s *Server) kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// Stop kills the server and removes its directory. It is safe to call more
// than once.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		if s.admin != nil {
			_ = s.admin.Close()
		}
		// SIGKILL: the data is thrown away, so a clean shutdown only costs time.
		s.kill()
		if err := os.RemoveAll(s.dir); err != nil {
			s.stopErr = fmt.Errorf("removing MariaDB directory %s: %w", s.dir, err)
		}
	})
	return s.stopErr
}

// Host is the TCP host the server listens on.
func (s *Server) Host() string { return s.host }

// Port is the TCP port the server listens on.
func (s *Server) Port() int { return s.port }

// Socket is the server's private unix socket.
func (s *Server) Socket() string { return s.socket }

// User is the password-less administrative account.
func (s *Server) User() string { return "root" }

// DSN is a go-sql-driver/mysql DSN for root over TCP, with db as the default
// database ("" for none).
func (s *Server) DSN(db string) string {
	cfg := mysql.NewConfig()
	cfg.User = "root"
	cfg.Net = "tcp"
	cfg.Addr = net.JoinHostPort(s.host, strconv.Itoa(s.port))
	cfg.DBName = db
	cfg.Params = map[string]string{"charset": "utf8mb4"}
	cfg.Collation = "utf8mb4_bin"
	cfg.InterpolateParams = true
	return cfg.FormatDSN()
}

// DB is a shared administrative pool (root, no default database).
func (s *Server) DB() *sql.DB { return s.admin }

// Exec runs one statement on the administrative pool.
func (s *Server) Exec(ctx context.Context, query string, args ...any) error {
	if _, err := s.admin.ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("executing %q: %w", query, err)
	}
	return nil
}

// CreateDatabase drops db if it exists and creates it empty, so a test starts
// from a known state even when the server is shared.
func (s *Server) CreateDatabase(ctx context.Context, db string) error {
	q := quoteName(db)
	if err := s.Exec(ctx, "DROP DATABASE IF EXISTS "+q); err != nil {
		return err
	}
	return s.Exec(ctx, "CREATE DATABASE "+q)
}

// Query runs a query and returns every row as strings, with SQL NULL as
// "NULL" (the acceptance corpus' convention).
func (s *Server) Query(ctx context.Context, query string, args ...any) ([][]string, error) {
	rows, err := s.admin.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("querying %q: %w", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("reading columns of %q: %w", query, err)
	}
	var out [][]string
	for rows.Next() {
		raw := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("scanning a row of %q: %w", query, err)
		}
		row := make([]string, len(cols))
		for i, v := range raw {
			if v == nil {
				row[i] = "NULL"
			} else {
				row[i] = string(v)
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading rows of %q: %w", query, err)
	}
	return out, nil
}

func quoteName(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// findBinary looks a program up in PATH and then in /usr/sbin, /usr/bin and
// /usr/local/mysql/bin (sbin is often missing from a non-login PATH).
func findBinary(names ...string) (string, error) {
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	for _, d := range []string{"/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/mysql/bin"} {
		for _, n := range names {
			p := filepath.Join(d, n)
			if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("none of %s found in PATH or /usr/sbin: %s", strings.Join(names, ", "), installHint)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free TCP port: %w", err)
	}
	defer l.Close()
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		return 0, errors.New("finding a free TCP port: listener has no TCP address")
	}
	return addr.Port, nil
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
