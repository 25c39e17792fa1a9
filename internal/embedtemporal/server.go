package embedtemporal

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	uiserver "github.com/temporalio/ui-server/v2/server"
	uiconfig "github.com/temporalio/ui-server/v2/server/config"
	uiserveroptions "github.com/temporalio/ui-server/v2/server/server_options"
	namespacepb "go.temporal.io/api/namespace/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/authorization"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/membership/static"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/temporal"
	"go.uber.org/zap"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/tempestdb/tempest/internal/tlog"
)

const (
	// readyTimeout bounds how long Start waits for the frontend to serve the
	// namespace after the services report started. The server's own start
	// already has a 15s-per-service bound; this only covers the namespace
	// cache warming up.
	readyTimeout = 30 * time.Second
	// uiReadyTimeout bounds the wait for the UI listener to accept.
	uiReadyTimeout = 10 * time.Second
)

// Server is a running embedded Temporal cluster. Create it with Start and
// release it with Stop.
type Server struct {
	opts         Options
	logger       *zap.Logger
	srv          temporal.Server
	srvLog       serverLogger
	ui           *uiserver.Server
	uiDone       chan struct{}
	lock         *stateLock
	frontendAddr string
	uiAddr       string
	firstRun     bool
	startup      time.Duration

	stopOnce sync.Once
	stopErr  error
}

// Start brings up the embedded cluster described by opts and returns once the
// namespace is usable (and the UI, if enabled, accepts connections). On error
// everything that was started is stopped again. If ctx ends while the server
// services are still starting, Start returns ctx's error and the half-started
// server is stopped in the background once its start returns.
func Start(ctx context.Context, opts Options) (*Server, error) {
	begin := time.Now()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("embedtemporal: start: %w", err)
	}
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{opts: o, logger: o.Logger.Named("embedtemporal")}

	if !o.Ephemeral {
		// 0700: the database holds table names, file paths and errors of
		// the user's imports.
		if err := os.MkdirAll(o.StateDir, 0o700); err != nil {
			return nil, fmt.Errorf("embedtemporal: create state dir: %w", err)
		}
		s.lock, err = acquireStateLock(filepath.Join(o.StateDir, lockFileName))
		if err != nil {
			return nil, err
		}
	}
	ok := false
	defer func() {
		if !ok {
			if stopErr := s.Stop(); stopErr != nil {
				s.logger.Warn("cleanup after failed start", zap.Error(stopErr))
			}
		}
	}()

	sqlCfg, err := sqlConfig(o)
	if err != nil {
		return nil, err
	}
	if s.firstRun, err = prepareState(o, sqlCfg, s.logger); err != nil {
		return nil, err
	}

	ports, err := choosePorts(o)
	if err != nil {
		return nil, err
	}
	s.frontendAddr = net.JoinHostPort(o.FrontendIP, strconv.Itoa(ports.frontend))
	if ports.ui > 0 {
		s.uiAddr = net.JoinHostPort(o.FrontendIP, strconv.Itoa(ports.ui))
	}

	s.srvLog = newServerLogger(o.Logger, o.Verbose)
	srvOpts, err := serverOptions(o, sqlCfg, ports, s.srvLog)
	if err != nil {
		ports.res.release()
		return nil, err
	}
	// Release the reservations only now: the services bind while the fx
	// graph is built and started, and the window should be as short as
	// possible.
	ports.res.release()
	srv, err := temporal.NewServer(srvOpts...)
	if err != nil {
		return nil, fmt.Errorf("embedtemporal: build server: %w", err)
	}
	if err := s.startServer(ctx, srv); err != nil {
		return nil, err
	}
	s.srv = srv

	if ports.ui > 0 {
		if err := s.startUI(ctx, ports.ui); err != nil {
			return nil, err
		}
	}
	if err := s.waitReadyAndReconcile(ctx); err != nil {
		return nil, err
	}

	s.srvLog.setPhase(phaseRunning)
	s.startup = time.Since(begin)
	s.logger.Info("embedded Temporal started",
		zap.String("frontend", s.frontendAddr),
		zap.String("ui", s.uiAddr),
		zap.String("namespace", o.Namespace),
		zap.String("state_dir", o.StateDir),
		zap.Bool("schema_created", s.firstRun),
		zap.Duration("startup", s.startup))
	ok = true
	return s, nil
}

// startServer runs srv.Start, which takes no context, so that ctx can still
// abort the wait. On abort the still-starting server is stopped in the
// background once its Start returns, and only then is the state lock
// released: releasing it earlier would let a retry open the database while
// the abandoned server still writes to it.
func (s *Server) startServer(ctx context.Context, srv temporal.Server) error {
	done := make(chan error, 1)
	go func() { done <- srv.Start() }()
	select {
	case err := <-done:
		if err != nil {
			// A failed fx start has already rolled back what it started.
			return fmt.Errorf("embedtemporal: start server: %w", err)
		}
		return nil
	case <-ctx.Done():
		lock := s.lock
		s.lock = nil // handed to the goroutine below; Stop must not release it
		go func() {
			if err := <-done; err == nil {
				s.srvLog.setPhase(phaseStopping)
				if err := srv.Stop(); err != nil {
					s.logger.Warn("stop server after cancelled start", zap.Error(err))
				}
			}
			if err := lock.release(); err != nil {
				s.logger.Warn("release state lock after cancelled start", zap.Error(err))
			}
		}()
		return fmt.Errorf("embedtemporal: start server: %w", ctx.Err())
	}
}

type portSet struct {
	res                                 *portReservation
	frontend, history, matching, worker int
	ui                                  int // 0 when disabled
}

func choosePorts(o Options) (portSet, error) {
	ps := portSet{res: newPortReservation(o.FrontendIP)}
	var err error
	fail := func(err error) (portSet, error) {
		ps.res.release()
		return portSet{}, err
	}
	if o.FrontendPort == 0 {
		ps.frontend, err = ps.res.preferred(DefaultFrontendPort, "frontend")
	} else {
		ps.frontend, err = ps.res.exact(o.FrontendPort, "frontend")
	}
	if err != nil {
		return fail(err)
	}
	switch {
	case o.UIPort == UIDisabled:
	case o.UIPort == 0:
		ps.ui, err = ps.res.preferred(ps.frontend+uiPortOffset, "UI")
	default:
		ps.ui, err = ps.res.exact(o.UIPort, "UI")
	}
	if err != nil {
		return fail(err)
	}
	for _, p := range []struct {
		dst  *int
		name string
	}{{&ps.history, "history"}, {&ps.matching, "matching"}, {&ps.worker, "worker"}} {
		if *p.dst, err = ps.res.free(p.name); err != nil {
			return fail(err)
		}
	}
	return ps, nil
}

// serverOptions assembles the server configuration in code (no YAML): one
// local cluster, static membership, SQLite for both stores, archival off.
func serverOptions(o Options, sqlCfg *config.SQL, ps portSet, logger serverLogger) ([]temporal.ServerOption, error) {
	addr := func(port int) string { return net.JoinHostPort(o.FrontendIP, strconv.Itoa(port)) }
	rpc := func(port int) config.Service {
		return config.Service{RPC: config.RPC{GRPCPort: port, BindOnIP: o.FrontendIP}}
	}
	const store = "sqlite-default"
	cfg := &config.Config{
		Global: config.Global{
			Membership: config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: o.FrontendIP},
		},
		Persistence: config.Persistence{
			DefaultStore:     store,
			VisibilityStore:  store,
			NumHistoryShards: numHistoryShards,
			DataStores:       map[string]config.DataStore{store: {SQL: sqlCfg}},
		},
		ClusterMetadata: &cluster.Config{
			EnableGlobalNamespace:    false,
			FailoverVersionIncrement: 10,
			MasterClusterName:        clusterName,
			CurrentClusterName:       clusterName,
			ClusterInformation: map[string]cluster.ClusterInformation{
				clusterName: {Enabled: true, InitialFailoverVersion: 1, RPCAddress: addr(ps.frontend)},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services: map[string]config.Service{
			string(primitives.FrontendService): rpc(ps.frontend),
			string(primitives.HistoryService):  rpc(ps.history),
			string(primitives.MatchingService): rpc(ps.matching),
			string(primitives.WorkerService):   rpc(ps.worker),
		},
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		NamespaceDefaults: config.NamespaceDefaults{
			Archival: config.ArchivalNamespaceDefaults{
				History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
				Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
			},
		},
		// The server's internal system workers dial this; without it the
		// server refuses to start.
		PublicClient: config.PublicClient{HostPort: addr(ps.frontend)},
	}

	authorizer, err := authorization.GetAuthorizerFromConfig(&cfg.Global.Authorization)
	if err != nil {
		return nil, fmt.Errorf("embedtemporal: authorizer: %w", err)
	}
	claimMapper, err := authorization.GetClaimMapperFromConfig(&cfg.Global.Authorization, logger)
	if err != nil {
		return nil, fmt.Errorf("embedtemporal: claim mapper: %w", err)
	}

	return []temporal.ServerOption{
		temporal.WithConfig(cfg),
		temporal.ForServices(temporal.DefaultServices),
		// Static membership: no ringpop ports, no gossip, no join delay.
		temporal.WithStaticHosts(map[primitives.ServiceName]static.Hosts{
			primitives.FrontendService: static.SingleLocalHost(addr(ps.frontend)),
			primitives.HistoryService:  static.SingleLocalHost(addr(ps.history)),
			primitives.MatchingService: static.SingleLocalHost(addr(ps.matching)),
			primitives.WorkerService:   static.SingleLocalHost(addr(ps.worker)),
		}),
		temporal.WithLogger(logger),
		temporal.WithAuthorizer(authorizer),
		temporal.WithClaimMapper(func(*config.Config) authorization.ClaimMapper { return claimMapper }),
		temporal.WithDynamicConfigClient(dynamicConfig()),
	}, nil
}

// dynamicConfig follows the Temporal CLI dev server's defaults, which suit a
// single-process SQLite cluster, plus workflow pause so operators can pause
// an import from the CLI or UI. Activity pause/unpause/reset have no switch in
// v1.32 and are always available.
func dynamicConfig() dynamicconfig.StaticClient {
	return dynamicconfig.StaticClient{
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key():                 8096,
		dynamicconfig.FrontendMaxNamespaceVisibilityRPSPerInstance.Key(): 100,
		// Newly added search attributes must be usable at once, since we
		// add them right after start if the namespace predates them.
		dynamicconfig.ForceSearchAttributesCacheRefreshOnRead.Key(): true,
		dynamicconfig.ForceNexusEndpointRefreshOnRead.Key():         true,
		// SQLite is local; the default persistence rate limits only slow
		// down bursts of activity completions during large imports.
		dynamicconfig.FrontendPersistenceMaxQPS.Key(): 10000,
		dynamicconfig.HistoryPersistenceMaxQPS.Key():  45000,
		dynamicconfig.WorkflowPauseEnabled.Key():      true,
	}
}

// startUI starts the web UI in a goroutine and waits until it accepts TCP
// connections. The port is checked once more right before, because the UI
// server exits the whole process (echo Logger.Fatal) if it cannot bind.
func (s *Server) startUI(ctx context.Context, port int) error {
	if err := checkPortFree(s.opts.FrontendIP, port); err != nil {
		return err
	}
	ui, err := newUIServer(&uiconfig.Config{
		Host:                s.opts.FrontendIP,
		Port:                port,
		TemporalGRPCAddress: s.frontendAddr,
		EnableUI:            true,
		DefaultNamespace:    s.opts.Namespace,
		// Plain HTTP on loopback: a Secure CSRF cookie would never be sent
		// back and every write action in the UI would fail.
		CORS:             uiconfig.CORS{CookieInsecure: true},
		HideLogs:         true,
		DisableNewsFetch: true, // no outbound calls from air-gapped sites
	})
	if err != nil {
		return err
	}
	s.ui = ui
	s.uiDone = make(chan struct{})
	go func() {
		defer close(s.uiDone)
		// Start returns nil after Stop; other errors never return (see
		// above), they were ruled out by the port check.
		if err := ui.Start(); err != nil {
			s.logger.Error("UI server stopped", zap.Error(err))
		}
	}()
	return waitTCP(ctx, s.uiAddr, uiReadyTimeout)
}

// newUIServer converts the UI server constructor's panics (invalid config,
// missing embedded assets) into errors.
func newUIServer(cfg *uiconfig.Config) (ui *uiserver.Server, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("embedtemporal: create UI server: %v", r)
		}
	}()
	return uiserver.NewServer(uiserveroptions.WithConfigProvider(cfg)), nil
}

func checkPortFree(ip string, port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("embedtemporal: port %d on %s: %w (%v)", port, ip, ErrPortInUse, err)
	}
	if err := l.Close(); err != nil {
		return fmt.Errorf("embedtemporal: close port probe: %w", err)
	}
	return nil
}

func waitTCP(ctx context.Context, addr string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	for {
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			_ = c.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("embedtemporal: %s not reachable: %w (last error: %v)", addr, ctx.Err(), err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// waitReadyAndReconcile waits until the frontend serves our namespace, then
// makes sure its search attributes and retention match the options.
// Pre-creation in the database skipped both if the namespace already existed
// (state dir created by an older version, or retention option changed).
func (s *Server) waitReadyAndReconcile(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	c, err := s.NewClient(ctx)
	if err != nil {
		return err
	}
	defer c.Close()

	var desc *workflowservice.DescribeNamespaceResponse
	for {
		desc, err = c.WorkflowService().DescribeNamespace(ctx,
			&workflowservice.DescribeNamespaceRequest{Namespace: s.opts.Namespace})
		if err == nil {
			break
		}
		var nf *serviceerror.NamespaceNotFound
		if !errors.As(err, &nf) && !isRetryableStartupErr(err) {
			return fmt.Errorf("embedtemporal: describe namespace %q: %w", s.opts.Namespace, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("embedtemporal: namespace %q not ready: %w (last error: %v)", s.opts.Namespace, ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}

	if err := s.reconcileSearchAttributes(ctx, c); err != nil {
		return err
	}
	if got := desc.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration(); got != s.opts.Retention {
		_, err := c.WorkflowService().UpdateNamespace(ctx, &workflowservice.UpdateNamespaceRequest{
			Namespace: s.opts.Namespace,
			Config: &namespacepb.NamespaceConfig{
				WorkflowExecutionRetentionTtl: durationpb.New(s.opts.Retention),
			},
		})
		if err != nil {
			// Not fatal: imports work with any retention. The server
			// rejects retentions below its minimum (1 day) via the API.
			s.logger.Warn("could not update namespace retention",
				zap.Duration("current", got), zap.Duration("wanted", s.opts.Retention), zap.Error(err))
		}
	}
	return nil
}

func (s *Server) reconcileSearchAttributes(ctx context.Context, c client.Client) error {
	resp, err := c.OperatorService().ListSearchAttributes(ctx,
		&operatorservice.ListSearchAttributesRequest{Namespace: s.opts.Namespace})
	if err != nil {
		return fmt.Errorf("embedtemporal: list search attributes: %w", err)
	}
	missing := customSearchAttributes()
	for name, want := range missing {
		got, ok := resp.GetCustomAttributes()[name]
		if !ok {
			continue
		}
		if got != want {
			return fmt.Errorf("%w: search attribute %s has type %s, want %s",
				ErrStateMismatch, name, got, want)
		}
		delete(missing, name)
	}
	if len(missing) == 0 {
		return nil
	}
	if _, err := c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        s.opts.Namespace,
		SearchAttributes: missing,
	}); err != nil {
		return fmt.Errorf("embedtemporal: add search attributes: %w", err)
	}
	return nil
}

// isRetryableStartupErr covers the short window after Start in which the
// frontend answers before its history/matching clients are connected.
func isRetryableStartupErr(err error) bool {
	var unavailable *serviceerror.Unavailable
	var internal *serviceerror.Internal
	return errors.As(err, &unavailable) || errors.As(err, &internal)
}

// FrontendAddress is the host:port of the frontend gRPC endpoint, for
// client.Options.HostPort or `temporal --address`.
func (s *Server) FrontendAddress() string { return s.frontendAddr }

// UIAddress is the web UI's host:port, or "" when the UI is disabled.
func (s *Server) UIAddress() string { return s.uiAddr }

// Namespace is the namespace the server pre-created and clients use.
func (s *Server) Namespace() string { return s.opts.Namespace }

// SchemaCreated reports whether this Start created a new database (first
// run, or rebuild after an interrupted first run). Always false in
// ephemeral mode.
func (s *Server) SchemaCreated() bool { return s.firstRun }

// StartupDuration is the wall time Start took, for diagnostics.
func (s *Server) StartupDuration() time.Duration { return s.startup }

// NewClient dials a client bound to the server's namespace. Its SDK logs go
// to the configured logger at warning level and above unless Verbose is
// set. The caller closes the client, before calling Stop.
func (s *Server) NewClient(ctx context.Context) (client.Client, error) {
	zl := s.opts.Logger.Named("temporal-sdk")
	logger := tlog.QuietSDKLogger(zl)
	if s.opts.Verbose {
		logger = tlog.SDKLogger(zl)
	}
	c, err := client.DialContext(ctx, client.Options{
		HostPort:  s.frontendAddr,
		Namespace: s.opts.Namespace,
		Logger:    logger,
	})
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			// The SDK reports an expired context as a gRPC status, which
			// errors.Is does not see through; callers ask for ctx's error.
			return nil, fmt.Errorf("embedtemporal: dial %s: %w (%v)", s.frontendAddr, cerr, err)
		}
		return nil, fmt.Errorf("embedtemporal: dial %s: %w", s.frontendAddr, err)
	}
	return c, nil
}

// Stop shuts down the UI, then the server services, then releases the state
// directory. It is idempotent and safe to call on a partially started
// Server. Workers and clients created by the caller should be stopped first,
// or they will log connection errors while retrying.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		var errs []error
		if s.ui != nil {
			s.ui.Stop()
			<-s.uiDone
		}
		if s.srv != nil {
			s.srvLog.setPhase(phaseStopping)
			if err := s.srv.Stop(); err != nil {
				errs = append(errs, fmt.Errorf("embedtemporal: stop server: %w", err))
			}
		}
		if err := s.lock.release(); err != nil {
			errs = append(errs, err)
		}
		s.stopErr = errors.Join(errs...)
	})
	return s.stopErr
}
