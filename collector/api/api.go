// Package api serves commandcenter's HTTP API under /api/v1: push ingest,
// quick stats, the activity feed, the worklist, performance, entities,
// plugin status and a server-sent event stream of changes, plus /healthz and
// /readyz. Every /api/v1 call needs a tenant-scoped bearer token. It holds
// handlers only: requests and responses are apiv1's types, and the answers
// come from collector/business.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/commandcenter/commandcenter/collector"
	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/collector/business"
	"github.com/commandcenter/commandcenter/collector/store"
)

// Server holds what the handlers need.
type Server struct {
	// Store authenticates tokens and serves the feed, entities and stream.
	Store *store.Store
	// Reports answers stats, the worklist and performance.
	Reports  *business.Reports
	Ingester *collector.Ingester
	// Plugins is the plugin host: status, collect-now and its runs; nil
	// when none run.
	Plugins PluginHost
	Logger  *slog.Logger
	// MaxBodyBytes bounds POST bodies (config api.max_body_bytes).
	MaxBodyBytes int64
	// IngestRate is how many POST /api/v1/events a token may make per
	// second on average, IngestBurst at once (config api.ingest_rate and
	// ingest_burst); 0 means no limit.
	IngestRate  float64
	IngestBurst int
	// Ready reports whether the server can serve (/readyz).
	Ready func() error
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Heartbeat is the interval of keep-alive comments on /stream; 0 means
	// DefaultHeartbeat.
	Heartbeat time.Duration
	// RenderLayout renders a tenant's layout as Grafana dashboard JSON
	// (dashboards.RenderLayoutJSON, wired by serve); nil answers 501.
	RenderLayout func(tenant string, l apiv1.Layout) ([]byte, error)
	// Reload re-reads the configuration (POST /-/reload); nil answers 501.
	Reload func(context.Context) (apiv1.ReloadResponse, error)
	// ListenerAuth says whether the listener asks every request for a
	// password now (the web config's basic_auth_users, which
	// exporter-toolkit reads again for each request): then a request that
	// got here with one is an operator's. nil means never.
	ListenerAuth func() bool

	shutdown     shutdown
	streams      streamCount
	ingestLimits *ingestLimits
}

// PluginHost is what the API asks of the plugin host (collector.Host).
// Each call is made for a tenant, which sees only its own counts.
type PluginHost interface {
	Plugins(tenant string) []apiv1.PluginStatus
	CollectNow(name, tenant string) (apiv1.CollectRun, error)
	CollectRun(name, id, tenant string) (apiv1.CollectRun, error)
	SubscribeRuns(tenant string) (<-chan collector.RunEvent, func())
}

// DefaultHeartbeat keeps /stream connections alive through proxies that
// drop idle ones.
const DefaultHeartbeat = 15 * time.Second

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Routes returns the API's handler; reg receives the request duration
// histogram.
func (s *Server) Routes(reg prometheus.Registerer) http.Handler {
	if s.Store == nil || s.Reports == nil || s.Ingester == nil || s.Logger == nil || s.MaxBodyBytes <= 0 {
		panic("api: Server needs Store, Reports, Ingester, Logger and MaxBodyBytes (config api.max_body_bytes)")
	}
	if s.Heartbeat == 0 {
		s.Heartbeat = DefaultHeartbeat
	}
	s.ingestLimits = newIngestLimits(s.IngestRate, s.IngestBurst)
	duration := newHTTPDuration(reg)

	mux := http.NewServeMux()
	handle := func(pattern, route string, h http.Handler) {
		mux.Handle(pattern, promhttp.InstrumentHandlerDuration(duration.MustCurryWith(prometheus.Labels{"handler": route}), h))
	}
	var routes []route
	api := func(method, path, scope string, h func(http.ResponseWriter, *http.Request, store.Token)) {
		handle(method+" "+path, path, s.authenticated(scope, h))
		routes = append(routes, newRoute(method, path))
	}
	api("POST", apiv1.PathEvents, store.ScopeIngest, s.postEvents)
	api("GET", apiv1.PathStats, store.ScopeRead, s.getStats)
	api("GET", apiv1.PathActivity, store.ScopeRead, s.getActivity)
	api("GET", apiv1.PathWorklist, store.ScopeRead, s.getWorklist)
	api("GET", apiv1.PathPerformance, store.ScopeRead, s.getPerformance)
	api("GET", apiv1.PathEntities+"{type}", store.ScopeRead, s.getEntities)
	api("GET", apiv1.PathPlugins, store.ScopeRead, s.getPlugins)
	api("POST", apiv1.PathPlugins+"/{name}"+apiv1.PathCollectSuffix, store.ScopeAdmin, s.postCollect)
	api("GET", apiv1.PathPlugins+"/{name}"+apiv1.PathRunsSuffix+"/{id}", store.ScopeRead, s.getRun)
	api("GET", apiv1.PathStream, store.ScopeRead, s.getStream)
	api("GET", apiv1.PathWhoAmI, store.ScopeRead, s.getWhoAmI)
	api("GET", apiv1.PathLayouts, store.ScopeRead, s.getLayouts)
	api("GET", apiv1.PathLayouts+"/{id}", store.ScopeRead, s.getLayout)
	api("PUT", apiv1.PathLayouts+"/{id}", store.ScopeAdmin, s.putLayout)
	api("DELETE", apiv1.PathLayouts+"/{id}", store.ScopeAdmin, s.deleteLayout)
	api("GET", apiv1.PathLayouts+"/{id}/dashboard", store.ScopeRead, s.getLayoutDashboard)
	api("GET", apiv1.PathTokens, store.ScopeAdmin, s.getTokens)
	api("POST", apiv1.PathTokens, store.ScopeAdmin, s.postToken)
	api("DELETE", apiv1.PathTokens+"/{id}", store.ScopeAdmin, s.deleteToken)
	handle("POST "+apiv1.PathReload, apiv1.PathReload, http.HandlerFunc(s.postReload))
	handle("GET "+apiv1.PathHealthz, apiv1.PathHealthz, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, apiv1.Health{Status: "ok"})
	}))
	handle("GET "+apiv1.PathReadyz, apiv1.PathReadyz, http.HandlerFunc(s.readyz))
	handle("/api/", "/api/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if allowed := allowedMethods(routes, r.URL.Path); len(allowed) > 0 {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			writeError(w, http.StatusMethodNotAllowed, apiv1.CodeMethodNotAllowed,
				r.Method+" is not allowed on "+r.URL.Path+"; use "+strings.Join(allowed, " or "), nil)
			return
		}
		writeError(w, http.StatusNotFound, apiv1.CodeNotFound, "no API route "+r.Method+" "+r.URL.Path, nil)
	}))
	return s.recoverer(mux)
}

// route is one registered method and path, for answering 405 rather than
// 404 when only the method is wrong.
type route struct {
	method string
	path   *regexp.Regexp
}

var wildcard = regexp.MustCompile(`\\\{[^/]+\\\}`)

func newRoute(method, pattern string) route {
	return route{method: method, path: regexp.MustCompile("^" + wildcard.ReplaceAllString(regexp.QuoteMeta(pattern), "[^/]+") + "$")}
}

func allowedMethods(routes []route, path string) []string {
	var out []string
	for _, r := range routes {
		if r.path.MatchString(path) {
			out = append(out, r.method)
		}
	}
	return out
}

func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	if s.Ready != nil {
		if err := s.Ready(); err != nil {
			writeError(w, http.StatusServiceUnavailable, apiv1.CodeNotReady, err.Error(), nil)
			return
		}
	}
	writeJSON(w, http.StatusOK, apiv1.Health{Status: "ready"})
}

// recoverer turns a panic into a plain 500: never a stack trace to the
// client, always one in the log.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.Logger.Error("panic serving request", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				writeError(w, http.StatusInternalServerError, apiv1.CodeInternal, "internal error", nil)
			}
		}()
		next.ServeHTTP(w, r)
	})
}
