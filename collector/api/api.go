// Package api serves commandcenter's HTTP API under /api/v1: push ingest,
// quick stats, the activity feed, the worklist, performance, entities,
// plugin status and a server-sent event stream of changes, plus /healthz and
// /readyz. Every /api/v1 call needs a tenant-scoped bearer token.
package api

import (
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/commandcenter/commandcenter/collector"
	"github.com/commandcenter/commandcenter/collector/store"
)

// Server holds what the handlers need.
type Server struct {
	Store    *store.Store
	Ingester *collector.Ingester
	// Plugins reports plugin status (the host); nil when none run.
	Plugins interface {
		Plugins() []collector.PluginStatus
	}
	Logger *slog.Logger
	// MaxBodyBytes bounds POST bodies.
	MaxBodyBytes int64
	// UpcomingWindow is how far ahead scheduled videos count as upcoming,
	// and payments as due soon on the worklist.
	UpcomingWindow time.Duration
	// Ready reports whether the server can serve (/readyz).
	Ready func() error
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Heartbeat is the interval of keep-alive comments on /stream.
	Heartbeat time.Duration
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Routes returns the API's handler; reg receives the request duration
// histogram.
func (s *Server) Routes(reg prometheus.Registerer) http.Handler {
	if s.MaxBodyBytes == 0 {
		s.MaxBodyBytes = 16 << 20
	}
	if s.UpcomingWindow == 0 {
		s.UpcomingWindow = 7 * 24 * time.Hour
	}
	if s.Heartbeat == 0 {
		s.Heartbeat = 15 * time.Second
	}
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "commandcenter_http_request_duration_seconds",
		Help:    "Duration of HTTP requests, by route, method and status code.",
		Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"handler", "method", "code"})
	reg.MustRegister(duration)

	mux := http.NewServeMux()
	handle := func(pattern, route string, h http.Handler) {
		mux.Handle(pattern, promhttp.InstrumentHandlerDuration(duration.MustCurryWith(prometheus.Labels{"handler": route}), h))
	}
	var routes []route
	api := func(method, path, scope string, h func(http.ResponseWriter, *http.Request, store.Token)) {
		handle(method+" /api/v1/"+path, "/api/v1/"+path, s.authenticated(scope, h))
		routes = append(routes, newRoute(method, "/api/v1/"+path))
	}
	api("POST", "events", store.ScopeIngest, s.postEvents)
	api("GET", "stats", store.ScopeRead, s.getStats)
	api("GET", "activity", store.ScopeRead, s.getActivity)
	api("GET", "worklist", store.ScopeRead, s.getWorklist)
	api("GET", "performance", store.ScopeRead, s.getPerformance)
	api("GET", "entities/{type}", store.ScopeRead, s.getEntities)
	api("GET", "plugins", store.ScopeRead, s.getPlugins)
	api("GET", "stream", store.ScopeRead, s.getStream)
	handle("GET /healthz", "/healthz", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}))
	handle("GET /readyz", "/readyz", http.HandlerFunc(s.readyz))
	handle("/api/", "/api/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if allowed := allowedMethods(routes, r.URL.Path); len(allowed) > 0 {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed",
				r.Method+" is not allowed on "+r.URL.Path+"; use "+strings.Join(allowed, " or "), nil)
			return
		}
		writeError(w, http.StatusNotFound, "not_found", "no API route "+r.Method+" "+r.URL.Path, nil)
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
			writeError(w, http.StatusServiceUnavailable, "not_ready", err.Error(), nil)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
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
				writeError(w, http.StatusInternalServerError, "internal", "internal error", nil)
			}
		}()
		next.ServeHTTP(w, r)
	})
}
