package sdk

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
)

// logOutput is the process's stderr as it was at start: go-plugin's Serve
// later swaps os.Stderr for a pipe the host discards, while this one is
// read line by line into the host's log.
var logOutput io.Writer = os.Stderr

// Serve runs src as a plugin until the host goes away. Call it from main.
func Serve(src Source) {
	if os.Getenv(Handshake.MagicCookieKey) != Handshake.MagicCookieValue {
		fmt.Fprintf(os.Stderr, "This is a commandcenter source plugin (%s). It is started by `commandcenter serve`, not by hand.\n", src.Describe().Name)
		os.Exit(1)
	}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: VersionedPlugins(src),
		GRPCServer:       plugin.DefaultGRPCServer,
		Logger:           hclog.New(&hclog.LoggerOptions{Output: logOutput, JSONFormat: true, Level: hclog.Info}),
	})
}

// Logger returns a logger for plugin code. It writes JSON lines to stderr in
// the shape go-plugin's host parses, so each line reaches the host's log at
// its level, tagged with the plugin's name.
func Logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(logOutput, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.TimeKey:
				// go-plugin parses exactly this layout.
				a.Key = "@timestamp"
				a.Value = slog.StringValue(a.Value.Time().Format("2006-01-02T15:04:05.000000Z07:00"))
			case slog.LevelKey:
				a.Key = "@level"
				a.Value = slog.StringValue(strings.ToLower(a.Value.String()))
			case slog.MessageKey:
				a.Key = "@message"
			}
			return a
		},
	}))
}
