package collector

import (
	"context"
	"io"
	"log/slog"

	"github.com/hashicorp/go-hclog"
)

// PluginLogger gives go-plugin an hclog.Logger whose every line (the
// plugin's own stderr included) lands in the host's slog log, tagged with
// the plugin's name. Which lines are kept is asked of logger for each one,
// so a reloaded log_level applies to plugins that run on.
func PluginLogger(logger *slog.Logger, plugin string) hclog.Logger {
	l := hclog.NewInterceptLogger(&hclog.LoggerOptions{Name: plugin, Output: io.Discard, Level: hclog.Debug})
	l.RegisterSink(slogSink{logger: logger.With("plugin", plugin)})
	return l
}

type slogSink struct {
	logger *slog.Logger
}

var slogLevels = map[hclog.Level]slog.Level{
	hclog.Trace: slog.LevelDebug - 4, hclog.Debug: slog.LevelDebug, hclog.Info: slog.LevelInfo,
	hclog.Warn: slog.LevelWarn, hclog.Error: slog.LevelError,
}

func (s slogSink) Accept(_ string, level hclog.Level, msg string, args ...any) {
	l, ok := slogLevels[level]
	if !ok {
		l = slog.LevelInfo
	}
	if !s.logger.Enabled(context.Background(), l) {
		return
	}
	s.logger.Log(context.Background(), l, msg, withoutTimestamp(args)...)
}

// withoutTimestamp drops the plugin's own "timestamp" pair, which go-plugin
// passes along: the host's log line has its time already.
func withoutTimestamp(args []any) []any {
	for i := 0; i+1 < len(args); i += 2 {
		if k, ok := args[i].(string); ok && k == "timestamp" {
			return append(args[:i:i], args[i+2:]...)
		}
	}
	return args
}
