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
		// Refused before the body is read: close the connection instead of
		// waiting for a body an attacker may never send.
		refuse := func(status int, code, message string) {
			dropUnreadBody(w, r)
			writeError(w, status, code, message, nil)
		}
		secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || secret == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="commandcenter"`)
			refuse(http.StatusUnauthorized, apiv1.CodeUnauthorized, "missing bearer token (Authorization: Bearer <token>)")
			return
		}
		tok, err := s.Store.Authenticate(r.Context(), strings.TrimSpace(secret))
		switch {
		case errors.Is(err, store.ErrTokenUnknown) || errors.Is(err, store.ErrTokenExpired):
			w.Header().Set("WWW-Authenticate", `Bearer realm="commandcenter", error="invalid_token"`)
			refuse(http.StatusUnauthorized, apiv1.CodeUnauthorized, "invalid or expired token")
			return
		case err != nil:
			s.Logger.Error("authenticating", "err", err)
			refuse(http.StatusInternalServerError, apiv1.CodeInternal, "could not check the token")
			return
		}
		if !tok.Allows(scope) {
			if r.URL.Path == apiv1.PathEvents {
				s.Ingester.Reject("api", apiv1.CodeForbidden, errors.New("a "+tok.Scope+" token pushed a batch"))
			}
			refuse(http.StatusForbidden, apiv1.CodeForbidden, "this token's scope is "+tok.Scope+"; this call needs "+scope)
			return
		}
		h(w, r, tok)
	})
}
