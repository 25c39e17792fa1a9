package tlog

import (
	"errors"
	"testing"

	sdklog "go.temporal.io/sdk/log"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestSDKLoggerFields(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	l := SDKLogger(zap.New(core, zap.Development()))

	l.Info("started", "WorkflowID", "wf-1", "Attempt", 2)
	l.Error("failed", "Error", errors.New("boom"))
	// Malformed lists must not panic, even with a development logger.
	l.Warn("odd", "lonely")
	l.Debug("nonstring", 42, "v")

	entries := logs.All()
	if len(entries) != 4 {
		t.Fatalf("got %d entries, want 4", len(entries))
	}
	m := entries[0].ContextMap()
	if m["WorkflowID"] != "wf-1" || m["Attempt"] != int64(2) {
		t.Errorf("fields = %v", m)
	}
	if got := entries[1].ContextMap()["Error"]; got != "boom" {
		t.Errorf("error field = %v", got)
	}
	if _, ok := entries[2].ContextMap()["!BADKEY"]; !ok {
		t.Errorf("odd keyval not reported: %v", entries[2].ContextMap())
	}
	if got := entries[3].ContextMap()["42"]; got != "v" {
		t.Errorf("non-string key = %v", entries[3].ContextMap())
	}
}

func TestSDKLoggerWithAndQuiet(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	base := SDKLogger(zap.New(core))
	child := base.(sdklog.WithLogger).With("TaskQueue", "tq")
	child.Info("with")
	if got := logs.FilterMessage("with").All(); len(got) != 1 || got[0].ContextMap()["TaskQueue"] != "tq" {
		t.Errorf("With fields lost: %v", got)
	}

	q := QuietSDKLogger(zap.New(core))
	q.Info("hidden")
	q.Warn("shown")
	if logs.FilterMessage("hidden").Len() != 0 || logs.FilterMessage("shown").Len() != 1 {
		t.Errorf("quiet logger levels wrong: %v", logs.All())
	}

	// nil logger is a no-op, not a panic.
	SDKLogger(nil).Error("nothing")
}
