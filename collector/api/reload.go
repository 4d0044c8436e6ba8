package api

import (
	"context"
	"net/http"
	"time"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/collector/store"
)

// reloadTimeout bounds one reload: starting every new or changed plugin.
const reloadTimeout = 2 * time.Minute

// postReload re-reads the configuration. An operator may: whoever passed
// the listener's own password (the web config's basic_auth_users), or else
// the holder of an admin token. A client certificate alone is not enough:
// tenants' API clients use them too. Only an operator is told why a config
// was refused: the reason may quote what the config says of other
// tenants; an admin token's holder is pointed at the server's log.
func (s *Server) postReload(w http.ResponseWriter, r *http.Request) {
	if s.Reload == nil {
		writeError(w, http.StatusNotImplemented, apiv1.CodeInternal, "this server does not reload", nil)
		return
	}
	if s.operator(r) {
		s.reload(w, r, true)
		return
	}
	s.authenticated(store.ScopeAdmin, func(w http.ResponseWriter, r *http.Request, tok store.Token) {
		s.Logger.Info("reload requested", "tenant", tok.Tenant, "token", tok.ID)
		s.reload(w, r, false)
	}).ServeHTTP(w, r)
}

func (s *Server) reload(w http.ResponseWriter, r *http.Request, operator bool) {
	// A client that hangs up does not leave a reload half done, and one
	// that waits gets its answer however long the plugins take to start.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), reloadTimeout)
	defer cancel()
	http.NewResponseController(w).SetWriteDeadline(time.Now().Add(reloadTimeout + writeTimeout))
	done, err := s.Reload(ctx)
	if err != nil {
		message := "the new configuration was refused and the running one kept; the reason is in the server's log (commandcenter check-config FILE shows it too)"
		if operator {
			message = "the new configuration was refused and the running one kept: " + err.Error()
		}
		writeError(w, http.StatusInternalServerError, apiv1.CodeReloadFailed, message, nil)
		return
	}
	writeJSON(w, http.StatusOK, done)
}

// operator reports whether the listener itself asked r for a password.
// The web config is read again, as exporter-toolkit reads it for each
// request: a password sent when none is asked any more proves nothing.
func (s *Server) operator(r *http.Request) bool {
	_, _, basic := r.BasicAuth()
	return basic && s.ListenerAuth != nil && s.ListenerAuth()
}
