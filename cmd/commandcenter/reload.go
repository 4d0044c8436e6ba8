package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/commandcenter/commandcenter/collector"
	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/collector/config"
	"github.com/commandcenter/commandcenter/exporter/metricnames"
)

// reloadable are the settings a reload applies; any other that changed
// waits for serve's next start, and the reload says so.
var reloadable = []string{"plugins", "log_level"}

// reloader re-reads serve's configuration on SIGHUP and POST /-/reload,
// as Prometheus does: a config that does not load, or a new or changed
// plugin that does not start with it, is refused and the running one
// kept; otherwise the plugins are made the new config's and the log level
// follows it. The outcome is in commandcenter_config_last_reload_*.
type reloader struct {
	load   func() (*config.Config, error)
	host   *collector.Host
	logs   *logging
	logger *slog.Logger

	// overridden are settings a flag overrides (listen, with
	// --web.listen-address): a change in the file changes nothing.
	overridden []string

	mu      sync.Mutex
	running *config.Config

	successful  prometheus.Gauge
	successTime prometheus.Gauge
}

func newReloader(running *config.Config, load func() (*config.Config, error), host *collector.Host, logs *logging, logger *slog.Logger, reg prometheus.Registerer) *reloader {
	rl := &reloader{load: load, host: host, logs: logs, logger: logger, running: running,
		successful: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: metricnames.ConfigLastReloadSuccessful,
			Help: "Whether the last configuration reload attempt was successful.",
		}),
		successTime: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: metricnames.ConfigLastReloadSuccessTimestamp,
			Help: "Timestamp of the last successful configuration reload (or of the start).",
		}),
	}
	reg.MustRegister(rl.successful, rl.successTime)
	rl.successful.Set(1)
	rl.successTime.SetToCurrentTime()
	return rl
}

// reload re-reads the config and applies it.
func (rl *reloader) reload(ctx context.Context) (apiv1.ReloadResponse, error) {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	started := time.Now()
	out, err := rl.apply(ctx)
	if err != nil {
		rl.successful.Set(0)
		rl.logger.Error("reload refused: the running configuration is kept", "err", err)
		return apiv1.ReloadResponse{}, err
	}
	rl.successful.Set(1)
	rl.successTime.SetToCurrentTime()
	rl.logger.Info("configuration reloaded", "started", out.Started, "stopped", out.Stopped,
		"restarted", out.Restarted, "duration", time.Since(started))
	if len(out.RestartNeeded) > 0 {
		rl.logger.Warn("changed settings apply only when serve restarts", "settings", out.RestartNeeded)
	}
	return out, nil
}

func (rl *reloader) apply(ctx context.Context) (apiv1.ReloadResponse, error) {
	cfg, err := rl.load()
	if err != nil {
		return apiv1.ReloadResponse{}, err
	}
	done, err := rl.host.Reload(ctx, cfg.Plugins)
	if err != nil {
		return apiv1.ReloadResponse{}, err
	}
	rl.logs.setLevel(cfg.LogLevel)
	out := apiv1.ReloadResponse{Started: orEmpty(done.Started), Stopped: orEmpty(done.Stopped),
		Restarted: orEmpty(done.Restarted), RestartNeeded: []string{}}
	for _, setting := range config.Changed(rl.running, cfg) {
		if !slices.Contains(reloadable, setting) && !slices.Contains(rl.overridden, setting) {
			out.RestartNeeded = append(out.RestartNeeded, setting)
		}
	}
	// Only the reloadable settings change in what runs: one that needs a
	// restart stays as it runs, so the next reload says so again until
	// serve restarts.
	rl.running.Plugins, rl.running.LogLevel = cfg.Plugins, cfg.LogLevel
	return out, nil
}

// onHangUp reloads on every SIGHUP received on hup until ctx is done.
func (rl *reloader) onHangUp(ctx context.Context, hup <-chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			rl.logger.Info("SIGHUP: reloading the configuration")
			rl.reload(ctx)
		}
	}
}

// catchHangUps makes SIGHUP no longer stop the process (Go's default):
// from now on each waits on the channel, for onHangUp once serving, and
// one sent while starting or stopping is not fatal. stop undoes it.
func catchHangUps() (hup <-chan os.Signal, stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGHUP)
	return ch, func() { signal.Stop(ch) }
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
