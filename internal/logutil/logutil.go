// Package logutil builds the zap logger of Tempest's processes from the
// [lightning] logging keys.
package logutil

import (
	"fmt"

	pingcaplog "github.com/pingcap/log"
	"github.com/sirupsen/logrus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/tempestdb/tempest/internal/config"
)

// New returns a logger for lightning.level and lightning.file. With no file
// the log goes to stderr at warn level or above, so that it does not drown
// the progress display; "-" means stdout at the configured level.
func New(l config.Lightning) (*zap.Logger, error) {
	level := zapcore.InfoLevel
	if l.Level != "" {
		if err := level.UnmarshalText([]byte(l.Level)); err != nil {
			return nil, fmt.Errorf("lightning.level %q: %w", l.Level, err)
		}
	}
	zc := zap.NewProductionConfig()
	zc.Encoding = "console"
	zc.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	zc.Sampling = nil
	switch l.File {
	case "":
		zc.OutputPaths = []string{"stderr"}
		if level < zapcore.WarnLevel {
			level = zapcore.WarnLevel
		}
	case "-":
		zc.OutputPaths = []string{"stdout"}
	default:
		zc.OutputPaths = []string{l.File}
	}
	zc.ErrorOutputPaths = []string{"stderr"}
	zc.Level = zap.NewAtomicLevelAt(level)
	logger, err := zc.Build()
	if err != nil {
		return nil, fmt.Errorf("build logger: %w", err)
	}
	return logger, nil
}

// QuietLibraries lowers the process-wide loggers of libraries that do not
// take an injected logger — the PD client logs through pingcap/log, the
// sandbox's SQL engine through logrus — to warnings, so that their INFO chatter
// does not drown the progress display. Call it once from main.
func QuietLibraries() {
	pingcaplog.SetLevel(zapcore.WarnLevel)
	logrus.SetLevel(logrus.ErrorLevel)
}
