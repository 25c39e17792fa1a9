package embedtemporal

import (
	"strings"
	"sync/atomic"

	tlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
	"go.uber.org/zap"
)

// serverLogger adapts zap to the Temporal server's log.Logger. It differs
// from the server's own zap adapter in one way that matters: Fatal, Panic and
// DPanic log at error level and return. The server calls Fatal on conditions
// such as lost shard ownership; in a CLI that embeds the server, ending the
// process there would lose the user's import progress output and skip our
// orderly shutdown, while an error return reaches the user anyway.
//
// It also knows the server's lifecycle phase. While the services start, they
// dial each other before everyone listens and warn about it; while they stop,
// every in-flight long poll fails with "context canceled" at error level.
// Both are expected, and printing dozens of such lines at the end of every
// successful import would train users to ignore real errors, so in those
// phases entries are demoted to debug (still visible with Verbose).
type serverLogger struct {
	z     *zap.Logger
	phase *atomic.Int32 // shared with all With() children
}

const (
	phaseStarting int32 = iota
	phaseRunning
	phaseStopping
)

// isBenignWarning matches warnings that are always demoted because they
// describe features we deliberately leave off.
func isBenignWarning(msg string) bool {
	// We do not run the frontend HTTP API, hence no Nexus endpoints.
	return strings.HasPrefix(msg, "HTTP API port has not been set")
}

var (
	_ tlog.Logger     = serverLogger{}
	_ tlog.WithLogger = serverLogger{}
)

// newServerLogger wraps z. Unless verbose, debug and info entries are
// dropped: the server logs dozens of lifecycle lines per start.
func newServerLogger(z *zap.Logger, verbose bool) serverLogger {
	z = z.Named("temporal-server").WithOptions(zap.AddCallerSkip(1))
	if !verbose {
		z = z.WithOptions(zap.IncreaseLevel(zap.WarnLevel))
	}
	return serverLogger{z: z, phase: new(atomic.Int32)}
}

func (l serverLogger) setPhase(p int32) { l.phase.Store(p) }

// demote reports whether an entry at warn (or error, if isError) level should
// go out at debug instead.
func (l serverLogger) demote(msg string, isError bool) bool {
	switch l.phase.Load() {
	case phaseStopping:
		return true
	case phaseStarting:
		if !isError {
			return true
		}
	}
	return !isError && isBenignWarning(msg)
}

func (l serverLogger) Debug(msg string, tags ...tag.Tag) { l.z.Debug(msg, zapFields(tags)...) }
func (l serverLogger) Info(msg string, tags ...tag.Tag)  { l.z.Info(msg, zapFields(tags)...) }

func (l serverLogger) Warn(msg string, tags ...tag.Tag) {
	if l.demote(msg, false) {
		l.z.Debug(msg, zapFields(tags)...)
		return
	}
	l.z.Warn(msg, zapFields(tags)...)
}

func (l serverLogger) Error(msg string, tags ...tag.Tag) {
	if l.demote(msg, true) {
		l.z.Debug(msg, zapFields(tags)...)
		return
	}
	l.z.Error(msg, zapFields(tags)...)
}

// DPanic logs at error level; zap's DPanic panics in development loggers.
func (l serverLogger) DPanic(msg string, tags ...tag.Tag) {
	l.z.Error(msg, append(zapFields(tags), zap.String("server-level", "dpanic"))...)
}

// Panic logs at error level instead of panicking (see type comment).
func (l serverLogger) Panic(msg string, tags ...tag.Tag) {
	l.z.Error(msg, append(zapFields(tags), zap.String("server-level", "panic"))...)
}

// Fatal logs at error level instead of exiting (see type comment). Never
// demoted: these are the entries a user needs to see.
func (l serverLogger) Fatal(msg string, tags ...tag.Tag) {
	l.z.Error(msg, append(zapFields(tags), zap.String("server-level", "fatal"))...)
}

// With implements log.WithLogger so per-service tags are encoded once.
func (l serverLogger) With(tags ...tag.Tag) tlog.Logger {
	return serverLogger{z: l.z.With(zapFields(tags)...), phase: l.phase}
}

func zapFields(tags []tag.Tag) []zap.Field {
	if len(tags) == 0 {
		return nil
	}
	fs := make([]zap.Field, 0, len(tags))
	for _, t := range tags {
		if zt, ok := t.(tag.ZapTag); ok {
			fs = append(fs, zt.Field())
			continue
		}
		fs = append(fs, zap.Any(t.Key(), t.Value()))
	}
	return fs
}
