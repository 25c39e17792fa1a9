package launcher

import (
	"errors"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/sdk/temporal"
)

// A failure as the import workflow's caller receives it: the table child
// failed because its PostProcess activity failed with a checksum mismatch.
func nestedFailure() *failurepb.Failure {
	root := &failurepb.Failure{
		Message: "table `p`.`t`: checksum mismatched remote vs local => (checksum: 1 vs 2)",
		FailureInfo: &failurepb.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{
			Type: "ChecksumMismatch", NonRetryable: true,
		}},
	}
	activity := &failurepb.Failure{
		Message: "activity error",
		Cause:   root,
		FailureInfo: &failurepb.Failure_ActivityFailureInfo{ActivityFailureInfo: &failurepb.ActivityFailureInfo{
			ActivityType: &commonpb.ActivityType{Name: "PostProcess"}, ActivityId: "post/p.t",
		}},
	}
	wrapped := &failurepb.Failure{
		Message: "post-process: activity error (type: PostProcess, scheduledEventID: 9): " + root.Message,
		Cause:   activity,
		FailureInfo: &failurepb.Failure_ApplicationFailureInfo{ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{
			Type: "wrapError",
		}},
	}
	return &failurepb.Failure{
		Message: "child workflow execution error",
		Cause:   wrapped,
		FailureInfo: &failurepb.Failure_ChildWorkflowExecutionFailureInfo{ChildWorkflowExecutionFailureInfo: &failurepb.ChildWorkflowExecutionFailureInfo{
			WorkflowExecution: &commonpb.WorkflowExecution{WorkflowId: "import/x/table/p.t"},
			WorkflowType:      &commonpb.WorkflowType{Name: "TableImportWorkflow"},
		}},
	}
}

func TestExplainKeepsTheInnermostReasonAndWhere(t *testing.T) {
	err := temporal.GetDefaultFailureConverter().FailureToError(nestedFailure())
	got := Explain(err)
	want := "table `p`.`t`: checksum mismatched remote vs local => (checksum: 1 vs 2) [ChecksumMismatch]\n" +
		"  in activity PostProcess\n  in workflow import/x/table/p.t"
	if got != want {
		t.Errorf("Explain:\n got %q\nwant %q", got, want)
	}
	if strings.Count(got, "checksum mismatched") != 1 {
		t.Errorf("reason repeated: %q", got)
	}
}

func TestExplainPlainErrors(t *testing.T) {
	if got := Explain(errors.New("dial tcp: refused")); got != "dial tcp: refused" {
		t.Errorf("plain error: %q", got)
	}
	if got := Explain(nil); got != "" {
		t.Errorf("nil: %q", got)
	}
	timeout := temporal.GetDefaultFailureConverter().FailureToError(&failurepb.Failure{
		Message:     "activity ScheduleToStart timeout",
		FailureInfo: &failurepb.Failure_TimeoutFailureInfo{TimeoutFailureInfo: &failurepb.TimeoutFailureInfo{}},
	})
	if got := Explain(timeout); !strings.Contains(got, "[Timeout]") {
		t.Errorf("timeout: %q", got)
	}
}
