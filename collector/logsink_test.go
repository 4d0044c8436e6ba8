package collector

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestPluginLogLevelFollowsAReload: serve starts at info, a reload
// sets log_level: debug (logging.setLevel moves the shared LevelVar). A
// plugin that runs on untouched keeps the hclog logger made when it
// started: its debug lines must now reach the log, as the host's own do.
func TestPluginLogLevelFollowsAReload(t *testing.T) {
	var level slog.LevelVar // info, as serve starts
	var buf bytes.Buffer
	host := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: &level}))
	plugin := PluginLogger(host, "alpha") // made once, at the plugin's start

	level.Set(slog.LevelDebug) // the reload
	host.Debug("host debug line")
	plugin.Debug("plugin debug line")
	if !strings.Contains(buf.String(), "host debug line") {
		t.Fatal("setup: the host logger did not follow the level")
	}
	if !strings.Contains(buf.String(), "plugin debug line") {
		t.Errorf("after log_level: debug was reloaded, a running plugin's debug lines are still dropped:\n%s", buf.String())
	}
}
