// Package tlog adapts the project's zap logger to the logging interface of the
// Temporal Go SDK (go.temporal.io/sdk/log).
//
// It lives in its own small package, rather than next to the embedded server,
// so that workers and the starter can use it without linking the Temporal
// server into binaries that only talk to an external cluster.
package tlog

import (
	"fmt"

	sdklog "go.temporal.io/sdk/log"
	"go.uber.org/zap"
)

// sdkLogger implements sdklog.Logger plus the optional WithLogger and
// WithSkipCallers interfaces so SDK-added context (workflow ID, activity
// type, ...) becomes structured zap fields rather than being formatted away.
type sdkLogger struct {
	z *zap.Logger
}

var (
	_ sdklog.Logger          = sdkLogger{}
	_ sdklog.WithLogger      = sdkLogger{}
	_ sdklog.WithSkipCallers = sdkLogger{}
)

// SDKLogger returns a go.temporal.io/sdk/log.Logger that writes to z. A nil z
// yields a no-op logger so callers never need a nil check.
func SDKLogger(z *zap.Logger) sdklog.Logger {
	if z == nil {
		z = zap.NewNop()
	}
	// Skip one frame so the reported caller is the SDK call site, not this
	// adapter.
	return sdkLogger{z: z.WithOptions(zap.AddCallerSkip(1))}
}

// QuietSDKLogger is SDKLogger with Debug and Info dropped. The SDK logs every
// worker start/stop and poller event at Info, which drowns the importer's own
// progress output in a CLI.
func QuietSDKLogger(z *zap.Logger) sdklog.Logger {
	if z == nil {
		z = zap.NewNop()
	}
	return SDKLogger(z.WithOptions(zap.IncreaseLevel(zap.WarnLevel)))
}

func (l sdkLogger) Debug(msg string, keyvals ...any) { l.z.Debug(msg, fields(keyvals)...) }
func (l sdkLogger) Info(msg string, keyvals ...any)  { l.z.Info(msg, fields(keyvals)...) }
func (l sdkLogger) Warn(msg string, keyvals ...any)  { l.z.Warn(msg, fields(keyvals)...) }
func (l sdkLogger) Error(msg string, keyvals ...any) { l.z.Error(msg, fields(keyvals)...) }

// With returns a child logger with keyvals attached to every entry.
func (l sdkLogger) With(keyvals ...any) sdklog.Logger {
	return sdkLogger{z: l.z.With(fields(keyvals)...)}
}

// WithCallerSkip returns a child logger that skips depth more stack frames
// when reporting the caller.
func (l sdkLogger) WithCallerSkip(depth int) sdklog.Logger {
	return sdkLogger{z: l.z.WithOptions(zap.AddCallerSkip(depth))}
}

// fields turns the SDK's alternating key/value list into zap fields. It is
// written by hand instead of using zap's SugaredLogger because the sugared
// logger reports malformed lists at DPanic level, which panics in development
// loggers; a logging adapter must never take the process down.
func fields(keyvals []any) []zap.Field {
	if len(keyvals) == 0 {
		return nil
	}
	out := make([]zap.Field, 0, (len(keyvals)+1)/2)
	for i := 0; i < len(keyvals); i += 2 {
		if f, ok := keyvals[i].(zap.Field); ok {
			// Tolerate pre-built zap fields mixed into the list.
			out = append(out, f)
			i--
			continue
		}
		key, ok := keyvals[i].(string)
		if !ok {
			key = fmt.Sprint(keyvals[i])
		}
		if i+1 >= len(keyvals) {
			out = append(out, zap.Any("!BADKEY", keyvals[i]))
			break
		}
		if err, isErr := keyvals[i+1].(error); isErr {
			out = append(out, zap.NamedError(key, err))
			continue
		}
		out = append(out, zap.Any(key, keyvals[i+1]))
	}
	return out
}
