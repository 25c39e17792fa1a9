package workflows

import (
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// TestReplayRecordedHistories replays histories recorded from real imports
// (testdata/*.json, written by the end-to-end tests with
// TEMPEST_RECORD_HISTORY set) against the current workflow code: a change
// that would make running imports non-deterministic fails here.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no recorded histories under testdata/")
	}
	r := worker.NewWorkflowReplayer()
	r.RegisterWorkflowWithOptions(ImportWorkflow, workflow.RegisterOptions{Name: ImportWorkflowName})
	r.RegisterWorkflowWithOptions(TableImportWorkflow, workflow.RegisterOptions{Name: TableWorkflowName})
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if err := r.ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
				t.Fatalf("replay %s: %v", f, err)
			}
		})
	}
}
