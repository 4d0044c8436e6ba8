package api

import (
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/netutil"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/collector/config"
)

// Limits every connection is held to, beside the configured ones.
const (
	maxHeaderBytes = 64 << 10
	// writeTimeout bounds writing one answer (not a stream).
	writeTimeout = time.Minute
)

// HTTPServer serves handler (Routes, /metrics) with the limits a server on
// a network needs: a client that is slow to send its request, idle on a
// kept-alive connection, or slow to read the answer is cut off, headers
// are bounded, and shutting down ends the streams at once. Serve it on
// Listener's result, which bounds concurrent connections.
func (s *Server) HTTPServer(handler http.Handler, cfg config.API, logger *slog.Logger) *http.Server {
	srv := &http.Server{
		Handler:           writeDeadline(handler),
		ReadHeaderTimeout: min(10*time.Second, time.Duration(cfg.ReadTimeout)),
		ReadTimeout:       time.Duration(cfg.ReadTimeout),
		IdleTimeout:       time.Duration(cfg.IdleTimeout),
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	srv.RegisterOnShutdown(s.endStreams)
	return srv
}

// Listener bounds ln to cfg.MaxConnections connections at once: past it,
// new connections wait for one to close (timeouts close idle ones), so the
// process keeps file descriptors for its database and plugins.
func Listener(ln net.Listener, cfg config.API) net.Listener {
	return netutil.LimitListener(ln, cfg.MaxConnections)
}

// writeDeadline gives every answer but a stream writeTimeout to be written.
func writeDeadline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != apiv1.PathStream && !strings.HasPrefix(r.URL.Path, "/debug/pprof/") {
			http.NewResponseController(w).SetWriteDeadline(time.Now().Add(writeTimeout))
		}
		next.ServeHTTP(w, r)
	})
}

// shutdown is closed when the HTTP server starts shutting down.
type shutdown struct {
	once sync.Once
	ch   chan struct{}
}

func (s *Server) shuttingDown() <-chan struct{} { return s.shutdown.channel() }

func (sd *shutdown) channel() chan struct{} {
	sd.once.Do(func() { sd.ch = make(chan struct{}) })
	return sd.ch
}

// endStreams ends every /stream, so a graceful shutdown need not wait for
// clients that never hang up. The server calls it once.
func (s *Server) endStreams() { close(s.shutdown.channel()) }

// dropUnreadBody is for a request refused before its body was read: the
// connection closes after the answer, and nobody waits for a body an
// attacker may never send (Go would otherwise try to read it, up to the
// read timeout, holding the connection).
func dropUnreadBody(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength == 0 {
		return
	}
	w.Header().Set("Connection", "close")
	http.NewResponseController(w).SetReadDeadline(time.Now())
}
