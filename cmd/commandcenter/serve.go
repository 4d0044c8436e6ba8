package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/coreos/go-systemd/v22/activation"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/model"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"
	"go.yaml.in/yaml/v2"

	"github.com/commandcenter/commandcenter/collector"
	"github.com/commandcenter/commandcenter/collector/api"
	"github.com/commandcenter/commandcenter/collector/business"
	"github.com/commandcenter/commandcenter/collector/config"
	"github.com/commandcenter/commandcenter/collector/store"
	"github.com/commandcenter/commandcenter/dashboards"
	"github.com/commandcenter/commandcenter/exporter"
	"github.com/commandcenter/commandcenter/plugins/demo"
)

type serveCmd struct {
	config    configFlags
	logs      *logging
	web       *web.FlagConfig
	listenSet bool // --web.listen-address was given: it beats the config's listen
	pprof     bool
	demo      bool
	pushURL   string
}

func registerServe(app *kingpin.Application, logs *logging) *serveCmd {
	c := &serveCmd{logs: logs}
	cmd := app.Command("serve", "Run the plugins, the store, /metrics and the HTTP API.")
	c.config.register(cmd)
	// exporter-toolkit's --web.listen-address, --web.config.file (TLS,
	// client certificates, basic auth) and --web.systemd-socket.
	c.web = kingpinflag.AddFlags(cmd, config.DefaultListen)
	cmd.GetFlag("web.listen-address").IsSetByUser(&c.listenSet)
	cmd.Flag("web.enable-pprof", "Serve Go's profiler under /debug/pprof/ (heap dumps hold every tenant's data: only for whoever may read the database).").BoolVar(&c.pprof)
	cmd.Flag("demo", "Add the demo plugin (realistic invented data) and print a read token for each demo tenant.").BoolVar(&c.demo)
	cmd.Flag("push-url", "Also push every metric to this VictoriaMetrics import URL (e.g. http://vm:8428/api/v1/import/prometheus) every exporter.push_interval (overrides exporter.push_url).").PlaceHolder("URL").StringVar(&c.pushURL)
	return c
}

// demoTokenDescription marks tokens serve --demo made, so the next start
// replaces them instead of piling up.
const demoTokenDescription = "serve --demo"

// loadConfig reads the config file with what serve's flags change in it;
// a reload reads it the same way.
func (c *serveCmd) loadConfig() (*config.Config, error) {
	cfg, err := c.config.load()
	if err != nil {
		return nil, err
	}
	if c.pushURL != "" {
		cfg.Exporter.PushURL = c.pushURL
	}
	if c.demo && !hasPlugin(cfg, demo.Name) {
		// Every 10 s, so the demo's dashboards move; the rest as configured.
		cfg.Plugins = append(cfg.Plugins, config.Plugin{Name: demo.Name, Builtin: demo.Name, Interval: model.Duration(10 * time.Second)})
		cfg.ApplyDefaults()
	}
	return cfg, nil
}

func (c *serveCmd) run() error {
	hup, stopCatching := catchHangUps()
	defer stopCatching()
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	addresses := []string{cfg.Listen}
	if c.listenSet {
		addresses = *c.web.WebListenAddresses
	}
	webCfg, err := readWebConfig(*c.web.WebConfigFile)
	if err != nil {
		return err
	}
	logger := c.logs.logger(cfg.LogLevel)
	// Libraries that log with the standard logger (the push client) go
	// through the same handler.
	slog.SetDefault(logger)
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding own executable (built-in plugins run from it): %w", err)
	}

	unlock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return err
	}
	defer unlock()
	st, err := store.Open(cfg.DatabasePath(), store.Options{Rules: business.NewDerivations(), Retention: time.Duration(cfg.Retention)})
	if err != nil {
		return fmt.Errorf("opening the database: %w", err)
	}
	defer func() {
		if err := st.Close(); err != nil {
			logger.Error("closing the database", "err", err)
		}
		logger.Info("database closed", "path", cfg.DatabasePath())
	}()
	// Listen before anything starts, so a busy port fails at once.
	listeners, err := listen(addresses, *c.web.WebSystemdSocket)
	if err != nil {
		return err
	}
	defer func() {
		for _, ln := range listeners {
			ln.Close()
		}
	}()

	reg := prometheus.NewRegistry()
	exporter.RegisterOperational(reg, st)
	ingester := &collector.Ingester{Store: st, Metrics: collector.NewMetrics(reg), Logger: logger}
	ingester.InitSources("api")
	host := collector.NewHost(cfg.Plugins, ingester, self)
	running := *cfg
	reloads := newReloader(&running, c.loadConfig, host, c.logs, logger, reg)
	if c.listenSet {
		reloads.overridden = []string{"listen"}
	}
	reports := business.NewReports(st, time.Duration(cfg.Exporter.UpcomingWindow))
	businessMetrics := exporter.NewBusiness(reports, exporter.Options{Config: cfg.Exporter, Registerer: reg, Logger: logger})
	apiServer := &api.Server{
		Store: st, Reports: reports, Ingester: ingester, Plugins: host, Logger: logger,
		MaxBodyBytes: cfg.API.MaxBodyBytes, IngestRate: cfg.API.IngestRate, IngestBurst: cfg.API.IngestBurst,
		RenderLayout: dashboards.RenderLayoutJSON,
		Reload:       reloads.reload, ListenerAuth: func() bool {
			now, err := readWebConfig(*c.web.WebConfigFile)
			return err == nil && now.basicAuth
		},
		Ready: func() error {
			if err := st.Ping(context.Background()); err != nil {
				return fmt.Errorf("database: %w", err)
			}
			if err := st.Writable(); err != nil {
				return fmt.Errorf("database: %w", err)
			}
			return businessMetrics.Ready()
		},
	}
	mux := http.NewServeMux()
	// promhttp_metric_handler_requests_total/_in_flight, as every
	// exporter's /metrics has them.
	mux.Handle("GET /metrics", promhttp.InstrumentMetricHandler(reg, exporter.Handler(reg, businessMetrics, logger)))
	mux.Handle("/", apiServer.Routes(reg))
	landing, err := landingPage(c.pprof)
	if err != nil {
		return err
	}
	mux.Handle("GET /{$}", landing)
	if c.pprof {
		// Go's profiler, as Prometheus serves it: for "why is it slow / big".
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	}
	srv := apiServer.HTTPServer(mux, cfg.API, logger)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := businessMetrics.Refresh(ctx); err != nil {
		logger.Warn("first business metrics refresh failed", "err", err)
	}

	if cfg.Exporter.PushURL != "" {
		labels := fmt.Sprintf(`job="commandcenter",instance=%q`, listeners[0].Addr().String())
		if err := exporter.Push(ctx, cfg.Exporter.PushURL, time.Duration(cfg.Exporter.PushInterval), labels, reg, businessMetrics, logger); err != nil {
			return fmt.Errorf("exporter.push_url: %w", err)
		}
		logger.Info("pushing metrics", "url", cfg.Exporter.PushURL, "interval", time.Duration(cfg.Exporter.PushInterval))
	}

	var wg sync.WaitGroup
	background := func(f func(context.Context)) {
		wg.Add(1)
		go func() { defer wg.Done(); f(ctx) }()
	}
	background(businessMetrics.Run)
	background(func(ctx context.Context) { retention(ctx, st, time.Duration(cfg.Retention), logger) })
	host.Start(ctx)
	collecting := make(chan struct{})
	go func() { host.Wait(); close(collecting) }()
	// SIGHUP reloads, as for every Prometheus component (so a hang-up of
	// the terminal serve was started from no longer stops it either).
	background(func(ctx context.Context) { reloads.onHangUp(ctx, hup) })
	serveErr := make(chan error, 1)
	go func() {
		limited := make([]net.Listener, len(listeners))
		for i, ln := range listeners {
			limited[i] = api.Listener(ln, cfg.API)
		}
		serveErr <- web.ServeMultiple(limited, srv, c.web, logger)
	}()

	scheme := "http://"
	if webCfg.tls {
		scheme = "https://"
	}
	base := scheme + listeners[0].Addr().String()
	logger.Info("commandcenter serving", "api", base+"/api/v1", "metrics", base+"/metrics", "database", cfg.DatabasePath(), "plugins", len(cfg.Plugins))
	if c.demo {
		if err := printDemoTokens(ctx, st, cfg.DataDir, base); err != nil {
			logger.Error("creating demo tokens", "err", err)
		}
	}

	select {
	case <-ctx.Done():
		logger.Info("shutting down: finishing the batch in flight and stopping plugins")
	case err := <-serveErr:
		stop()
		logger.Error("HTTP server failed", "err", err)
	}
	<-collecting
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		srv.Close()
	}
	wg.Wait()
	logger.Info("stopped")
	return nil
}

func hasPlugin(cfg *config.Config, name string) bool {
	for _, p := range cfg.Plugins {
		if p.Name == name {
			return true
		}
	}
	return false
}

// demoTokensFile keeps the demo's read tokens (secrets, 0600) in the data
// directory, so a restarted demo prints the same, still valid tokens.
const demoTokensFile = "demo-tokens.json"

// printDemoTokens prints a read token per demo tenant and how to use it:
// the one from the last start while it is valid, else a new one, saying
// why. Demo tokens it no longer uses are revoked.
func printDemoTokens(ctx context.Context, st *store.Store, dataDir, base string) error {
	path := filepath.Join(dataDir, demoTokensFile)
	saved := map[string]string{} // tenant → secret
	if data, err := os.ReadFile(path); err == nil {
		json.Unmarshal(data, &saved)
	}
	fmt.Fprintf(os.Stderr, "\nDemo running. Metrics: %s/metrics\n", base)
	keep := map[string]bool{}
	for _, tenant := range demo.TenantIDs(demo.DefaultConfig().Tenants) {
		secret, why := saved[tenant], ""
		if tok, err := st.Authenticate(ctx, secret); err == nil && tok.Tenant == tenant {
			keep[tok.ID] = true
		} else {
			if secret != "" {
				why = " (new: the one from the last start was revoked or expired)"
			}
			tok, s, err := st.CreateToken(ctx, tenant, store.ScopeRead, demoTokenDescription, 30*24*time.Hour)
			if err != nil {
				return err
			}
			secret, saved[tenant], keep[tok.ID] = s, s, true
		}
		fmt.Fprintf(os.Stderr, "Read token for tenant %s%s:\n  curl -H 'Authorization: Bearer %s' %s/api/v1/stats\n", tenant, why, secret, base)
	}
	fmt.Fprintln(os.Stderr)
	data, _ := json.Marshal(saved)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return err
	}
	tokens, err := st.Tokens(ctx)
	if err != nil {
		return err
	}
	for _, t := range tokens {
		if t.Description == demoTokenDescription && !keep[t.ID] {
			if err := st.RevokeToken(ctx, t.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// retention deletes events older than keep, hourly; keep 0 keeps all.
func retention(ctx context.Context, st *store.Store, keep time.Duration, logger *slog.Logger) {
	if keep <= 0 {
		return
	}
	for {
		n, err := st.DeleteEventsBefore(ctx, time.Now().Add(-keep))
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Error("retention", "err", err)
		case n > 0:
			logger.Info("retention deleted old events", "events", n, "older_than", keep)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Hour):
		}
	}
}

// listen opens a listener per address, or takes systemd's when
// systemdSocket (exporter-toolkit's --web.systemd-socket).
func listen(addresses []string, systemdSocket bool) ([]net.Listener, error) {
	if systemdSocket {
		listeners, err := activation.Listeners()
		if err == nil && len(listeners) == 0 {
			err = errors.New("none passed")
		}
		if err != nil {
			return nil, fmt.Errorf("--web.systemd-socket: systemd socket listeners: %w", err)
		}
		return listeners, nil
	}
	var listeners []net.Listener
	for _, addr := range addresses {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			for _, l := range listeners {
				l.Close()
			}
			return nil, fmt.Errorf("listening on %s: %w", addr, err)
		}
		listeners = append(listeners, ln)
	}
	return listeners, nil
}

// webConfig is what serve needs to know of the --web.config.file.
type webConfig struct {
	tls       bool // TLS is on: the URLs serve prints say https
	basicAuth bool // the listener asks every request for a password
}

// readWebConfig checks the --web.config.file as exporter-toolkit will read
// it, before anything starts, and says what it turns on.
func readWebConfig(path string) (webConfig, error) {
	if path == "" {
		return webConfig{}, nil
	}
	if err := web.Validate(path); err != nil {
		return webConfig{}, fmt.Errorf("--web.config.file %s: %w", path, err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return webConfig{}, fmt.Errorf("--web.config.file: %w", err)
	}
	var c web.Config
	if err := yaml.Unmarshal(data, &c); err != nil {
		return webConfig{}, fmt.Errorf("--web.config.file %s: %w", path, err)
	}
	return webConfig{tls: c.TLSConfig.IsEnabled(), basicAuth: len(c.Users) > 0}, nil
}

// landingPage is exporter-toolkit's page at /: what this server offers and
// where to read about it.
func landingPage(pprof bool) (http.Handler, error) {
	links := []web.LandingLinks{
		{Address: "metrics", Text: "Metrics", Description: "every tenant's business metrics and the server's own, for Prometheus"},
		{Address: "api/v1/whoami", Text: "HTTP API", Description: "/api/v1: bearer token required (README, section HTTP API)"},
		{Address: "healthz", Text: "Health", Description: "the process is up"},
		{Address: "readyz", Text: "Readiness", Description: "the database answers and metrics are computed"},
	}
	profiling := "false"
	if pprof {
		profiling = "true"
	}
	return web.NewLandingPage(web.LandingConfig{
		Name:        "commandcenter",
		Description: "Influencer-marketing metrics: source plugins into SQLite, served to Prometheus and Grafana. Commands, configuration and the API are described in the README shipped with it.",
		Version:     version.Info(),
		Links:       links,
		Profiling:   profiling,
	})
}
