package embedtemporal

import (
	"errors"
	"fmt"
	"net"
	"time"

	"go.uber.org/zap"
)

const (
	// DefaultNamespace is used when Options.Namespace is empty.
	DefaultNamespace = "tempest"
	// DefaultFrontendIP is loopback: the embedded cluster has no TLS and no
	// authorization, so it must not be reachable from other hosts by default.
	DefaultFrontendIP = "127.0.0.1"
	// DefaultFrontendPort is tried first when Options.FrontendPort is 0. It is
	// deliberately not Temporal's 7233 so that a developer's own
	// `temporal server start-dev` does not collide with the importer.
	DefaultFrontendPort = 7243
	// DefaultRetention keeps finished imports visible in the UI for a week.
	DefaultRetention = 7 * 24 * time.Hour
	// uiPortOffset mirrors Temporal's convention (7233 -> 8233) so the UI
	// address is predictable when the frontend got its default port.
	uiPortOffset = 1000

	// SearchAttributeImportPhase is the Keyword search attribute workflows
	// upsert with the current import phase.
	SearchAttributeImportPhase = "ImportPhase"
	// SearchAttributeImportTask is the Keyword search attribute naming the
	// task (table/engine) a workflow works on.
	SearchAttributeImportTask = "ImportTask"

	// UIDisabled as Options.UIPort turns the web UI off.
	UIDisabled = -1
)

// ErrPortInUse is returned (wrapped) when an explicitly requested port cannot
// be bound.
var ErrPortInUse = errors.New("port already in use")

// ErrStateMismatch is returned (wrapped) when the state directory holds a
// database created by an incompatible server version, or one without a marker.
var ErrStateMismatch = errors.New("embedded Temporal state is incompatible with this binary")

// ErrStateLocked is returned (wrapped) when another process (or another
// Server in this process) already uses the state directory.
var ErrStateLocked = errors.New("embedded Temporal state directory is in use")

// Options configures Start. The zero value is not valid: set StateDir, or
// Ephemeral for tests.
type Options struct {
	// StateDir holds the SQLite database, its version marker and the lock
	// file. It is created if missing. Must be empty when Ephemeral is set.
	StateDir string
	// Namespace to pre-create and to use for clients; DefaultNamespace if
	// empty.
	Namespace string
	// FrontendIP is the address all services bind to; DefaultFrontendIP if
	// empty.
	FrontendIP string
	// FrontendPort is the frontend gRPC port. 0 tries DefaultFrontendPort and
	// falls back to a free port; any other value must be free or Start fails
	// with ErrPortInUse.
	FrontendPort int
	// UIPort is the web UI port. 0 tries FrontendPort+1000 and falls back to a
	// free port; UIDisabled (-1) disables the UI; any other value must be
	// free or Start fails with ErrPortInUse.
	UIPort int
	// Logger receives server, UI-setup and client logs. Nil discards them.
	Logger *zap.Logger
	// Verbose forwards the server's and SDK's debug/info logs too. By default
	// only warnings and errors are forwarded.
	Verbose bool
	// Retention is the namespace's workflow retention; DefaultRetention if 0.
	Retention time.Duration
	// Ephemeral uses a private in-memory database: nothing survives Stop.
	// Meant for tests.
	Ephemeral bool
}

// withDefaults validates o and fills in defaults. It does not touch the
// network or the file system.
func (o Options) withDefaults() (Options, error) {
	if o.Ephemeral && o.StateDir != "" {
		return o, errors.New("embedtemporal: StateDir must be empty when Ephemeral is set")
	}
	if !o.Ephemeral && o.StateDir == "" {
		return o, errors.New("embedtemporal: StateDir is required unless Ephemeral is set")
	}
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.FrontendIP == "" {
		o.FrontendIP = DefaultFrontendIP
	}
	if net.ParseIP(o.FrontendIP) == nil {
		return o, fmt.Errorf("embedtemporal: FrontendIP %q is not an IP address", o.FrontendIP)
	}
	if o.FrontendPort < 0 || o.FrontendPort > 65535 {
		return o, fmt.Errorf("embedtemporal: FrontendPort %d out of range", o.FrontendPort)
	}
	if o.UIPort < UIDisabled || o.UIPort > 65535 {
		return o, fmt.Errorf("embedtemporal: UIPort %d out of range (use %d to disable the UI)", o.UIPort, UIDisabled)
	}
	if o.Retention < 0 {
		return o, fmt.Errorf("embedtemporal: negative Retention %s", o.Retention)
	}
	if o.Retention == 0 {
		o.Retention = DefaultRetention
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	return o, nil
}
