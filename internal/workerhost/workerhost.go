// Package workerhost runs Tempest's Temporal workers: the same registration
// serves the standalone worker process and the starter's in-process worker
// of the embedded default.
//
// Every process polls two task queues: the shared queue (workflows and every
// activity that may run anywhere) and its node queue "<queue>@<node-id>",
// where activities that need this node's local files (engines of the
// physical backend) are routed. The node ID is stable across restarts, so a
// restarted node picks up the work that was pinned to it.
package workerhost

import (
	"fmt"
	"runtime/debug"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/tempestdb/tempest/activities"
	"github.com/tempestdb/tempest/workflows"
)

// Options configures the workers of one process.
type Options struct {
	TaskQueue string // shared queue, e.g. "tempest"
	NodeID    string // stable per machine; the node queue is TaskQueue@NodeID
	// MaxConcurrentActivities bounds the activities this process runs at
	// once: with region-concurrency it is what bounds encode/insert work per
	// machine (0 = SDK default).
	MaxConcurrentActivities int
}

// NodeQueue is the task queue of one node.
func NodeQueue(taskQueue, nodeID string) string { return taskQueue + "@" + nodeID }

// Workers are the running workers of one process.
type Workers struct {
	shared, node worker.Worker
}

// Start registers the workflows and activities and starts polling both
// queues.
func Start(c client.Client, acts *activities.Activities, opts Options) (*Workers, error) {
	if opts.TaskQueue == "" || opts.NodeID == "" {
		return nil, fmt.Errorf("start workers: task queue and node ID are required")
	}
	wopts := worker.Options{
		MaxConcurrentActivityExecutionSize: opts.MaxConcurrentActivities,
		Identity:                           opts.NodeID,
		DisableRegistrationAliasing:        true,
		WorkflowPanicPolicy:                worker.FailWorkflow,
	}
	shared := worker.New(c, opts.TaskQueue, wopts)
	Register(shared, acts)
	nodeOpts := wopts
	nodeOpts.DisableWorkflowWorker = true
	node := worker.New(c, NodeQueue(opts.TaskQueue, opts.NodeID), nodeOpts)
	registerActivities(node, acts)
	if err := shared.Start(); err != nil {
		return nil, fmt.Errorf("start worker on %s: %w", opts.TaskQueue, err)
	}
	if err := node.Start(); err != nil {
		shared.Stop()
		return nil, fmt.Errorf("start worker on %s: %w", NodeQueue(opts.TaskQueue, opts.NodeID), err)
	}
	return &Workers{shared: shared, node: node}, nil
}

// revision names the code of this build; `make build` sets it with
// -ldflags "-X github.com/tempestdb/tempest/internal/workerhost.revision=…".
var revision string

// LabelBinary gives the SDK the binary's build ID, once per process before
// any worker (ours or the embedded server's) starts. Without it the SDK
// hashes the whole executable (MD5 of ~150 MB, half a second of CPU at
// every start) to label workflow task completions. The ID is revision,
// else the VCS revision Go recorded ("+dirty" when the tree had changes);
// with neither, as in test binaries, the SDK's checksum stays.
func LabelBinary() {
	if id := buildID(); id != "" {
		worker.SetBinaryChecksum(id)
	}
}

func buildID() string {
	if revision != "" {
		return revision
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	var rev string
	dirty := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev != "" && dirty {
		rev += "+dirty"
	}
	return rev
}

// Stop stops both workers.
func (w *Workers) Stop() {
	w.node.Stop()
	w.shared.Stop()
}

// Register registers workflows and activities under their stable names.
func Register(r worker.Registry, acts *activities.Activities) {
	r.RegisterWorkflowWithOptions(workflows.ImportWorkflow, workflow.RegisterOptions{Name: workflows.ImportWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.TableImportWorkflow, workflow.RegisterOptions{Name: workflows.TableWorkflowName})
	registerActivities(r, acts)
}

func registerActivities(r worker.ActivityRegistry, acts *activities.Activities) {
	// Method names become activity type names ("ImportChunk", ...).
	r.RegisterActivityWithOptions(acts, activity.RegisterOptions{})
}
