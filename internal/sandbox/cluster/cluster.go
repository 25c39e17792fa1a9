package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"sync"

	"go.uber.org/zap"

	"github.com/tempestdb/tempest/internal/sandbox"
	"github.com/tempestdb/tempest/internal/sandbox/tidb"
)

// Host is the address every sandbox component listens on: the sandbox
// never binds beyond loopback.
const Host = "127.0.0.1"

// Options configures Start.
type Options struct {
	// DataDir holds the KV stores (DataDir/kv) and the TiDB catalog
	// (DataDir/tidb). Empty keeps everything in memory.
	DataDir string
	// SQLPort, StatusPort and PDPort are the listen ports on 127.0.0.1; 0
	// picks a free port (read the chosen one back from the Sandbox).
	SQLPort, StatusPort, PDPort int
	// Logger receives all components' logs; nil means no logging.
	Logger *zap.Logger
}

// Sandbox is a running sandbox cluster: PD, TiKV stores and a TiDB front.
type Sandbox struct {
	kv *sandbox.Cluster
	db *tidb.Server

	stopOnce sync.Once
	stopErr  error
}

// Start starts the KV cluster, then the TiDB front on top of it. ctx only
// bounds startup; the cluster runs until Stop. On error nothing is left
// running.
func Start(ctx context.Context, opts Options) (*Sandbox, error) {
	var kvDir, tidbDir string
	if opts.DataDir != "" {
		kvDir, tidbDir = filepath.Join(opts.DataDir, "kv"), filepath.Join(opts.DataDir, "tidb")
	}
	kv, err := sandbox.StartKV(ctx, sandbox.Options{DataDir: kvDir, PDPort: opts.PDPort, Logger: opts.Logger})
	if err != nil {
		return nil, fmt.Errorf("sandbox cluster: start PD and TiKV: %w", err)
	}
	db, err := tidb.Start(ctx, tidb.Options{
		SQLPort: opts.SQLPort, StatusPort: opts.StatusPort,
		KV: kv, DataDir: tidbDir, PDAddress: kv.PDAddress(), Logger: opts.Logger,
	})
	if err != nil {
		// The stores hold an exclusive lock on their data directory; stop
		// them so a retry on the same DataDir can open it.
		return nil, errors.Join(fmt.Errorf("sandbox cluster: start TiDB: %w", err), kv.Stop())
	}
	return &Sandbox{kv: kv, db: db}, nil
}

// SQLAddress is host:port of the MySQL protocol listener.
func (s *Sandbox) SQLAddress() string { return s.db.SQLAddress() }

// StatusAddress is host:port of TiDB's status HTTP API.
func (s *Sandbox) StatusAddress() string { return s.db.StatusAddress() }

// PDAddress is host:port of PD (gRPC and HTTP API on one port, as PD).
func (s *Sandbox) PDAddress() string { return s.kv.PDAddress() }

// Cluster is the KV side, for in-process inspection (Scan, Regions,
// Faults, Stats, ...).
func (s *Sandbox) Cluster() *sandbox.Cluster { return s.kv }

// Host is the host every endpoint listens on.
func (s *Sandbox) Host() string { return Host }

// SQLPort is the MySQL protocol port.
func (s *Sandbox) SQLPort() int { return port(s.SQLAddress()) }

// StatusPort is the TiDB status API port.
func (s *Sandbox) StatusPort() int { return port(s.StatusAddress()) }

// PDPort is PD's port.
func (s *Sandbox) PDPort() int { return port(s.PDAddress()) }

// Stop stops the TiDB front first (it reads and writes through the
// stores), then PD and the stores. It is idempotent.
func (s *Sandbox) Stop() error {
	s.stopOnce.Do(func() {
		var errs []error
		if err := s.db.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("sandbox cluster: stop TiDB: %w", err))
		}
		if err := s.kv.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("sandbox cluster: stop PD and TiKV: %w", err))
		}
		s.stopErr = errors.Join(errs...)
	})
	return s.stopErr
}

// port extracts the port of a host:port the components produced
// themselves, so it cannot fail short of a bug; 0 marks one.
func port(addr string) int {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		return 0
	}
	return n
}
