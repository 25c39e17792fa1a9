// Command worker runs Tempest's Temporal workers on one machine: it polls the
// shared task queue (workflows and most activities) and the node queue
// "<task-queue>@<node-id>" (activities pinned to this machine's local files).
// Run one per machine; several workers share one import.
//
// Secrets stay here: the target password comes from the worker's own config
// file ([tidb] password) or from TEMPEST_TIDB_PASSWORD, never from workflow
// input.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"go.uber.org/zap"

	"github.com/tempestdb/tempest/activities"
	"github.com/tempestdb/tempest/internal/config"
	"github.com/tempestdb/tempest/internal/importer"
	"github.com/tempestdb/tempest/internal/logutil"
	"github.com/tempestdb/tempest/internal/tclient"
	"github.com/tempestdb/tempest/internal/workerhost"
)

func main() {
	logutil.QuietLibraries()
	workerhost.LabelBinary()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	cfgPath := fs.String("c", "", "worker config file: [temporal] connection, [tidb] password, [lightning] logging")
	address := fs.String("temporal-address", "", "Temporal frontend host:port (required unless set in the config)")
	namespace := fs.String("temporal-namespace", "", "Temporal namespace")
	taskQueue := fs.String("task-queue", "", "shared task queue (default tempest)")
	nodeID := fs.String("node-id", "", "stable ID of this machine (default: hostname)")
	sortedKVDir := fs.String("sorted-kv-dir", "", "parent directory of local engines (physical backend)")
	concurrency := fs.Int("concurrency", 0, "activities run at once on this worker (default: CPUs + 4)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg := config.Default()
	if *cfgPath != "" {
		loaded, warnings, err := config.Load(*cfgPath)
		if err != nil {
			return err
		}
		for _, w := range warnings {
			fmt.Fprintln(os.Stderr, "warning:", w)
		}
		cfg = loaded
	}
	t := cfg.Temporal
	for flagValue, field := range map[*string]*string{address: &t.Address, namespace: &t.Namespace, taskQueue: &t.TaskQueue, nodeID: &t.NodeID} {
		if *flagValue != "" {
			*field = *flagValue
		}
	}
	if t.Address == "" {
		return fmt.Errorf("no Temporal address: set --temporal-address or [temporal] address (the embedded default runs its worker inside `starter import`)")
	}
	if t.TaskQueue == "" {
		t.TaskQueue = "tempest"
	}
	if t.NodeID == "" {
		host, err := os.Hostname()
		if err != nil {
			return fmt.Errorf("node ID: %w", err)
		}
		t.NodeID = host
	}
	if *concurrency <= 0 {
		*concurrency = cfg.Lightning.RegionConcurrency + 4
	}
	logger, err := logutil.New(cfg.Lightning)
	if err != nil {
		return err
	}
	defer func() { _ = logger.Sync() }()

	c, err := tclient.Dial(ctx, t, logger)
	if err != nil {
		return err
	}
	defer c.Close()
	password := cfg.TiDB.Password
	imp := importer.New(logger.Named("importer"), importer.StaticPassword(password), importer.Options{SortedKVDir: *sortedKVDir})
	defer func() { _ = imp.Close() }()
	acts := activities.New(logger.Named("activities"), imp, workerhost.NodeQueue(t.TaskQueue, t.NodeID))
	w, err := workerhost.Start(c, acts, workerhost.Options{
		TaskQueue: t.TaskQueue, NodeID: t.NodeID, MaxConcurrentActivities: *concurrency,
	})
	if err != nil {
		return err
	}
	logger.Warn("worker started", zap.String("temporal", t.Address), zap.String("queue", t.TaskQueue),
		zap.String("nodeQueue", workerhost.NodeQueue(t.TaskQueue, t.NodeID)))
	<-ctx.Done()
	w.Stop()
	return nil
}
