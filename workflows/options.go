package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Names of the workflow's message handlers, used by the starter and the
// Temporal CLI/UI.
const (
	ProgressQuery       = "progress"
	PauseName           = "pause"  // update and signal
	ResumeName          = "resume" // update and signal
	TableProgressSignal = "table-progress"
)

// Registered names: stable so users can start and inspect workflows by type.
const (
	ImportWorkflowName = "ImportWorkflow"
	TableWorkflowName  = "TableImportWorkflow"
)

// Timeouts tunes activity timeouts; zero values take the defaults. It is part
// of the workflow input so a test (or an operator) can shorten the time a
// dead worker's chunk waits before another worker retries it.
type Timeouts struct {
	// ChunkHeartbeat is how long a chunk activity may go without a heartbeat
	// before Temporal considers its worker dead and retries it elsewhere.
	ChunkHeartbeat time.Duration `json:"chunkHeartbeat,omitempty"`
	// ChunkStartToClose bounds one attempt of one chunk.
	ChunkStartToClose time.Duration `json:"chunkStartToClose,omitempty"`
	// MaxAttempts bounds retries of an activity (0 = default 10).
	MaxAttempts int32 `json:"maxAttempts,omitempty"`
	// NodeScheduleToStart is how long an activity may wait on a node's
	// queue (physical backend: the node holding a table's engine) before
	// the node is considered lost and the table is re-encoded on another
	// node. It must exceed the time a busy node takes to get to queued
	// work, or a slow node costs a needless re-encode.
	NodeScheduleToStart time.Duration `json:"nodeScheduleToStart,omitempty"`
}

func (t Timeouts) withDefaults() Timeouts {
	if t.ChunkHeartbeat <= 0 {
		t.ChunkHeartbeat = time.Minute
	}
	if t.ChunkStartToClose <= 0 {
		t.ChunkStartToClose = 24 * time.Hour
	}
	if t.MaxAttempts <= 0 {
		t.MaxAttempts = 10
	}
	if t.NodeScheduleToStart <= 0 {
		t.NodeScheduleToStart = 30 * time.Minute
	}
	return t
}

// Error types that make no sense to retry: the input itself is bad or a
// budget is spent. Activities return temporal application errors of these
// types (see activities.nonRetryable).
var nonRetryableErrorTypes = []string{
	"SyntaxError", "ConfigError", "SchemaError", "ErrorBudgetExceeded", "ChecksumMismatch", "DiskFull",
}

func retryPolicy(maxAttempts int32) *temporal.RetryPolicy {
	return &temporal.RetryPolicy{
		InitialInterval:        time.Second,
		BackoffCoefficient:     2,
		MaximumInterval:        time.Minute,
		MaximumAttempts:        maxAttempts,
		NonRetryableErrorTypes: nonRetryableErrorTypes,
	}
}

// shortActivity is for scan/plan/schema/post-process steps.
func shortActivity(ctx workflow.Context, id string, t Timeouts) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		ActivityID:          id,
		StartToCloseTimeout: time.Hour,
		HeartbeatTimeout:    2 * time.Minute,
		RetryPolicy:         retryPolicy(t.MaxAttempts),
	})
}

// chunkActivity is for one chunk: long, heartbeated, resumable.
func chunkActivity(ctx workflow.Context, id string, t Timeouts) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		ActivityID:          id,
		StartToCloseTimeout: t.ChunkStartToClose,
		HeartbeatTimeout:    t.ChunkHeartbeat,
		WaitForCancellation: true,
		RetryPolicy:         retryPolicy(t.MaxAttempts),
	})
}

// nodeActivity is for an activity pinned to one node's queue (chunk
// encoding and engine import of the physical backend): long and
// heartbeated like a chunk, plus a schedule-to-start bound so that a node
// gone for good surfaces as a timeout instead of a hang.
func nodeActivity(ctx workflow.Context, id, queue string, t Timeouts) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		ActivityID:             id,
		TaskQueue:              queue,
		ScheduleToStartTimeout: t.NodeScheduleToStart,
		StartToCloseTimeout:    t.ChunkStartToClose,
		HeartbeatTimeout:       t.ChunkHeartbeat,
		WaitForCancellation:    true,
		RetryPolicy:            retryPolicy(t.MaxAttempts),
	})
}
