package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/commandcenter/commandcenter/collector"
	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/collector/store"
)

// postCollect asks a plugin to collect now (an admin's call: it costs the
// source's API a full Collect) and answers 202 with the run, new or
// joined, and where to follow it.
func (s *Server) postCollect(w http.ResponseWriter, r *http.Request, tok store.Token) {
	name := r.PathValue("name")
	if s.Plugins == nil {
		writePluginError(w, name, collector.ErrUnknownPlugin)
		return
	}
	run, err := s.Plugins.CollectNow(name, tok.Tenant)
	if err != nil {
		writePluginError(w, name, err)
		return
	}
	s.Logger.Info("collect now asked for", "plugin", name, "run", run.ID, "state", run.State, "tenant", tok.Tenant, "token", tok.ID)
	w.Header().Set("Location", apiv1.PathPlugins+"/"+url.PathEscape(name)+apiv1.PathRunsSuffix+"/"+run.ID)
	writeJSON(w, http.StatusAccepted, run)
}

// getRun reads a run of a plugin, with the caller's tenant's counts.
func (s *Server) getRun(w http.ResponseWriter, r *http.Request, tok store.Token) {
	name, id := r.PathValue("name"), r.PathValue("id")
	if s.Plugins == nil {
		writePluginError(w, name, collector.ErrUnknownPlugin)
		return
	}
	run, err := s.Plugins.CollectRun(name, id, tok.Tenant)
	if err != nil {
		writePluginError(w, name, err)
		return
	}
	writeJSON(w, http.StatusOK, run)
}

func writePluginError(w http.ResponseWriter, name string, err error) {
	var tooSoon *collector.TooSoonError
	switch {
	case errors.Is(err, collector.ErrUnknownPlugin):
		writeError(w, http.StatusNotFound, apiv1.CodePluginNotFound, fmt.Sprintf("no plugin %q is configured", name), nil)
	case errors.Is(err, collector.ErrUnknownRun):
		writeError(w, http.StatusNotFound, apiv1.CodeRunNotFound, fmt.Sprintf("no recent run of that id for plugin %q (the last 20 are kept)", name), nil)
	case errors.As(err, &tooSoon):
		w.Header().Set("Retry-After", strconv.Itoa(tooSoon.Seconds()))
		writeError(w, http.StatusTooManyRequests, apiv1.CodeRateLimited, tooSoon.Error(), nil)
	case errors.Is(err, collector.ErrStopping):
		writeError(w, http.StatusServiceUnavailable, apiv1.CodeNotReady, err.Error(), nil)
	default:
		writeError(w, http.StatusInternalServerError, apiv1.CodeInternal, "internal error", nil)
	}
}
