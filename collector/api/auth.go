package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/collector/store"
)

// authenticated checks the bearer token and its scope before h runs. Every
// failure says as little as possible: which token exists is nobody's
// business.
func (s *Server) authenticated(scope string, h func(http.ResponseWriter, *http.Request, store.Token)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || secret == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="commandcenter"`)
			writeError(w, http.StatusUnauthorized, apiv1.CodeUnauthorized, "missing bearer token (Authorization: Bearer <token>)", nil)
			return
		}
		tok, err := s.Store.Authenticate(r.Context(), strings.TrimSpace(secret))
		switch {
		case errors.Is(err, store.ErrTokenUnknown) || errors.Is(err, store.ErrTokenExpired):
			w.Header().Set("WWW-Authenticate", `Bearer realm="commandcenter", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, apiv1.CodeUnauthorized, "invalid or expired token", nil)
			return
		case err != nil:
			s.Logger.Error("authenticating", "err", err)
			writeError(w, http.StatusInternalServerError, apiv1.CodeInternal, "could not check the token", nil)
			return
		}
		if !tok.Allows(scope) {
			writeError(w, http.StatusForbidden, apiv1.CodeForbidden, "this token's scope is "+tok.Scope+"; this call needs "+scope, nil)
			return
		}
		h(w, r, tok)
	})
}
