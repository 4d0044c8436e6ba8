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
	changes, stop := s.Store.Subscribe()
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
		case <-heartbeat.C:
			fmt.Fprint(w, ": keep-alive\n\n")
		case c, ok := <-changes:
			if !ok {
				return // the store closed: shutting down
			}
			if c.Tenant != tok.Tenant {
				continue
			}
			id++
			data, _ := json.Marshal(apiv1.Change{Source: c.Source, Events: c.Events, At: c.At})
			fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", id, apiv1.StreamEventChange, data)
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}
