package embedtemporal

import (
	"errors"
	"strings"
	"testing"

	"go.temporal.io/server/common/log/tag"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestServerLoggerFatalAndPanicOnlyLog(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	// zap.Development makes the underlying zap DPanic panic; the adapter
	// must not route through it.
	l := newServerLogger(zap.New(core, zap.Development()), false)
	l.setPhase(phaseRunning)

	l.Info("dropped when not verbose")
	l.Fatal("fatal", tag.Error(errors.New("boom")))
	l.Panic("panic")
	l.DPanic("dpanic")
	l.With(tag.NewStringTag("svc", "history")).Warn("warn")

	entries := logs.All()
	if len(entries) != 4 {
		t.Fatalf("got %d entries, want 4: %+v", len(entries), entries)
	}
	for _, e := range entries[:3] {
		if e.Level != zapcore.ErrorLevel {
			t.Errorf("%q logged at %s, want error", e.Message, e.Level)
		}
	}
	if got := entries[0].ContextMap()["error"]; got != "boom" {
		t.Errorf("error tag = %v, want boom", got)
	}
	if got := entries[3].ContextMap()["svc"]; got != "history" {
		t.Errorf("With tag = %v, want history", got)
	}

	// Lifecycle demotion: startup warnings and shutdown errors go to debug,
	// fatal never does.
	logs.TakeAll()
	l.setPhase(phaseStarting)
	l.Warn("startup warn")
	l.Error("startup error")
	l.setPhase(phaseRunning)
	l.Warn("HTTP API port has not been set. Nexus ...")
	l.Warn("running warn")
	l.setPhase(phaseStopping)
	l.Error("stopping error")
	l.Fatal("stopping fatal")
	var got []string
	for _, e := range logs.TakeAll() {
		got = append(got, e.Level.String()+":"+e.Message)
	}
	// Debug entries are filtered by the non-verbose level, so only these
	// remain.
	want := []string{"error:startup error", "warn:running warn", "error:stopping fatal"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("phase filtering: got %v, want %v", got, want)
	}

	verbose := newServerLogger(zap.New(core), true)
	verbose.Debug("kept when verbose")
	if n := logs.FilterMessage("kept when verbose").Len(); n != 1 {
		t.Errorf("verbose debug entries = %d, want 1", n)
	}
}
