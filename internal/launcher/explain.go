package launcher

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"
)

// Explain condenses the error of a failed import for people. Temporal
// nests a failure once per hop (import workflow → table child workflow →
// activity → the activity's own error), and each level's message repeats
// the whole chain below it with type/retry decorations. What an operator
// needs is the innermost reason, in the words of the code that hit it
// ("table `db`.`t`: checksum mismatched …"), where it happened (the table
// workflow and the activity) and its error type, to look it up.
func Explain(err error) string {
	if err == nil {
		return ""
	}
	var (
		where   []string
		reason  string
		errType string
	)
	for e := err; e != nil; e = errors.Unwrap(e) {
		switch x := e.(type) {
		case *temporal.ChildWorkflowExecutionError:
			where = append(where, "workflow "+x.WorkflowID())
		case *temporal.ActivityError:
			where = append(where, "activity "+x.ActivityType().GetName())
		case *temporal.ApplicationError:
			reason, errType = x.Message(), x.Type()
		case *temporal.TimeoutError:
			reason, errType = x.Error(), "Timeout"
		case *temporal.CanceledError:
			reason, errType = "canceled", "Canceled"
		case *temporal.TerminatedError:
			reason, errType = "terminated", "Terminated"
		}
	}
	if reason == "" {
		return err.Error()
	}
	out := reason
	if errType != "" && errType != "wrapError" {
		out += " [" + errType + "]"
	}
	for i := len(where) - 1; i >= 0; i-- {
		out = fmt.Sprintf("%s\n  in %s", out, where[i])
	}
	return out
}
