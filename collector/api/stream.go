package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/commandcenter/commandcenter/collector"
	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/collector/store"
)

// getStream sends a server-sent event for every applied batch that touched
// the token's tenant, and a comment line every Heartbeat so proxies keep
// the connection open.
func (s *Server) getStream(w http.ResponseWriter, r *http.Request, tok store.Token) {
	if !s.streams.take(tok.ID) {
		w.Header().Set("Retry-After", "30")
		writeError(w, http.StatusTooManyRequests, apiv1.CodeTooManyStreams,
			fmt.Sprintf("this token has %d streams open already; close one first", maxStreamsPerToken), nil)
		return
	}
	defer s.streams.give(tok.ID)
	rc := http.NewResponseController(w)
	// A stream has no write deadline (see writeDeadline); each write
	// gets its own, so a client that stops reading is let go.
	changes, stop := s.Store.Subscribe(tok.Tenant)
	defer stop()
	var runs <-chan collector.RunEvent // nil without plugins: never ready
	if s.Plugins != nil {
		var stopRuns func()
		runs, stopRuns = s.Plugins.SubscribeRuns(tok.Tenant)
		defer stopRuns()
	}
	// Read after subscribing: every event stored later has a larger id and
	// arrives as a change, so a follower misses nothing in between.
	latest, err := s.Store.LatestEventID(r.Context(), tok.Tenant)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	ready, _ := json.Marshal(apiv1.StreamReady{LatestID: latest})
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "retry: 3000\nevent: %s\ndata: %s\n\n", apiv1.StreamEventReady, ready)
	if err := rc.Flush(); err != nil {
		return
	}
	heartbeat := time.NewTicker(s.Heartbeat)
	defer heartbeat.Stop()
	id := 0
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.shuttingDown():
			return // the server is shutting down: let it exit at once
		case <-heartbeat.C:
			fmt.Fprint(w, ": keep-alive\n\n")
		case c, ok := <-changes:
			if !ok {
				return // the store closed: shutting down
			}
			id++
			data, _ := json.Marshal(apiv1.Change{Source: c.Source, Events: c.Events, At: c.At})
			fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", id, apiv1.StreamEventChange, data)
		case ev := <-runs:
			id++
			data, _ := json.Marshal(ev.Run)
			fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", id, ev.Type, data)
		}
		rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

// streamWriteTimeout lets a stream go whose client stopped reading.
const streamWriteTimeout = 30 * time.Second

// maxStreamsPerToken bounds one token's open streams, so no tenant can
// hold every connection the server allows (api.max_connections).
const maxStreamsPerToken = 8

// streamCount counts open streams per token.
type streamCount struct {
	mu   sync.Mutex
	open map[string]int
}

func (c *streamCount) take(token string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open == nil {
		c.open = map[string]int{}
	}
	if c.open[token] >= maxStreamsPerToken {
		return false
	}
	c.open[token]++
	return true
}

func (c *streamCount) give(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open[token]--; c.open[token] <= 0 {
		delete(c.open, token)
	}
}
