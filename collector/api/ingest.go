package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"

	"github.com/commandcenter/commandcenter/collector/store"
)

var sourceName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// postEvents is push ingest: the whole body is validated first, then stored
// in one transaction, or nothing is stored.
func (s *Server) postEvents(w http.ResponseWriter, r *http.Request, tok store.Token) {
	source := "api"
	if q := r.URL.Query().Get("source"); q != "" {
		if !sourceName.MatchString(q) {
			writeError(w, http.StatusBadRequest, "invalid_source", "source must be lower-case letters, digits, '-' or '_' (at most 32)", nil)
			return
		}
		source = "api-" + q
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("body larger than %d bytes; split the batch", s.MaxBodyBytes), nil)
			return
		}
		writeError(w, http.StatusBadRequest, "bad_body", "reading body: "+err.Error(), nil)
		return
	}
	if p := checkJSON(body); p != nil {
		writeError(w, http.StatusBadRequest, "malformed_json", p.Path+": "+p.Message, []store.Problem{*p})
		return
	}
	batch, problems := decodeBatch(body)
	if len(problems) > 0 {
		writeError(w, http.StatusBadRequest, "invalid_batch", fmt.Sprintf("%d problem(s), first: %s: %s", len(problems), problems[0].Path, problems[0].Message), problems)
		return
	}
	// A token writes only its own tenant; a missing tenant means the token's.
	var foreign []store.Problem
	claim := func(path string, tenant *string) {
		switch *tenant {
		case "":
			*tenant = tok.Tenant
		case tok.Tenant:
		default:
			foreign = append(foreign, store.Problem{Path: path, Message: "this token may only write tenant " + tok.Tenant})
		}
	}
	for i := range batch.Events {
		claim(fmt.Sprintf("events[%d].tenant", i), &batch.Events[i].Tenant)
	}
	for i := range batch.Entities {
		claim(fmt.Sprintf("entities[%d].tenant", i), &batch.Entities[i].Tenant)
	}
	for i := range batch.DailyMetrics {
		claim(fmt.Sprintf("daily_metrics[%d].tenant", i), &batch.DailyMetrics[i].Tenant)
	}
	if len(foreign) > 0 {
		writeError(w, http.StatusForbidden, "wrong_tenant", foreign[0].Path+": "+foreign[0].Message, foreign)
		return
	}
	res, err := s.Ingester.Apply(r.Context(), source, batch)
	var verr *store.ValidationError
	switch {
	case errors.As(err, &verr):
		writeError(w, http.StatusUnprocessableEntity, "invalid_batch", verr.Error(), verr.Problems)
		return
	case errors.Is(err, store.ErrLocked):
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, "database_locked", "the database is locked by another process; nothing was stored, retry", nil)
		return
	case err != nil:
		writeError(w, http.StatusInternalServerError, "internal", "storing the batch failed; nothing was stored", nil)
		return
	}
	inserted := 0
	for _, n := range res.EventsInserted {
		inserted += n
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"source":        source,
		"events":        len(batch.Events),
		"new_events":    inserted,
		"duplicates":    res.EventsDuplicate,
		"entities":      res.Entities,
		"daily_metrics": res.DailyMetrics,
	})
}
