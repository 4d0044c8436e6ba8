package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/collector/store"
)

// getStream sends a server-sent event for every applied batch that touched
// the token's tenant, and a comment line every Heartbeat so proxies keep
// the connection open.
func (s *Server) getStream(w http.ResponseWriter, r *http.Request, tok store.Token) {
	rc := http.NewResponseController(w)
	// A stream has no write deadline (see writeDeadline); each write
	// gets its own, so a client that stops reading is let go.
	changes, stop := s.Store.Subscribe(tok.Tenant)
	defer stop()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 3000\n: connected\n\n")
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
		}
		rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

// streamWriteTimeout lets a stream go whose client stopped reading.
const streamWriteTimeout = 30 * time.Second
