package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/collector/store"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// maxTokenRequestBytes bounds a POST /api/v1/tokens body: a scope, a
// description of at most 200 bytes and a duration fit many times over.
const maxTokenRequestBytes = 16 << 10

// An admin token manages its own tenant's tokens: it lists, creates and
// revokes them (itself included), never another tenant's, whose ids are as
// unknown as ids never stored. `commandcenter tokens` on the server's
// machine manages every tenant's.

// getTokens lists the token's tenant's tokens, never their secrets.
func (s *Server) getTokens(w http.ResponseWriter, r *http.Request, tok store.Token) {
	stored, err := s.Store.TenantTokens(r.Context(), tok.Tenant)
	if err != nil {
		s.internal(w, r, fmt.Errorf("listing tokens: %w", err))
		return
	}
	out := apiv1.TokensResponse{Tokens: make([]apiv1.TokenInfo, 0, len(stored))}
	for _, t := range stored {
		out.Tokens = append(out.Tokens, tokenInfo(t))
	}
	writeJSON(w, http.StatusOK, out)
}

// postToken creates a token of the token's tenant and answers its secret,
// this once. The body is checked whole first; nothing is stored unless all
// is well.
func (s *Server) postToken(w http.ResponseWriter, r *http.Request, tok store.Token) {
	var req apiv1.CreateTokenRequest
	if !decodeBody(w, r, maxTokenRequestBytes, "a token request", apiv1.CodeInvalidTokenRequest, &req) {
		return
	}
	// Whether the named tenant exists is not the caller's business: any
	// other tenant is refused alike.
	if req.Tenant != "" && req.Tenant != tok.Tenant {
		p := sdk.Problem{Path: "tenant", Message: "a token creates tokens of its own tenant only"}
		writeError(w, http.StatusForbidden, apiv1.CodeWrongTenant, p.Path+": "+p.Message, []sdk.Problem{p})
		return
	}
	problems := store.TokenProblems(tok.Tenant, req.Scope, req.Description)
	ttl, p := parseExpiresIn(req.ExpiresIn)
	if p == nil {
		p = outlives(tok, ttl, s.now())
	}
	if p != nil {
		problems = append(problems, *p)
	}
	if len(problems) > 0 {
		writeError(w, http.StatusUnprocessableEntity, apiv1.CodeInvalidTokenRequest, problemsMessage(problems), problems)
		return
	}
	created, secret, err := s.Store.CreateToken(r.Context(), tok.Tenant, req.Scope, req.Description, ttl)
	var verr *sdk.ValidationError
	switch {
	case err == nil:
	case errors.As(err, &verr):
		writeError(w, http.StatusUnprocessableEntity, apiv1.CodeInvalidTokenRequest, problemsMessage(verr.Problems), verr.Problems)
		return
	case errors.Is(err, store.ErrTooManyTokens):
		writeError(w, http.StatusUnprocessableEntity, apiv1.CodeTooManyTokens,
			fmt.Sprintf("a tenant keeps at most %d tokens (expired ones included): revoke one first", store.MaxTokensPerTenant), nil)
		return
	case errors.Is(err, store.ErrLocked), errors.Is(err, store.ErrDiskFull):
		writeStoreError(w, err)
		return
	default:
		s.internal(w, r, fmt.Errorf("creating a token: %w", err))
		return
	}
	s.Logger.Info("token created", "tenant", created.Tenant, "token_id", created.ID, "scope", created.Scope, "by_token", tok.ID)
	writeJSON(w, http.StatusCreated, apiv1.CreateTokenResponse{Token: tokenInfo(created), Secret: secret})
}

// parseExpiresIn reads a token's lifetime: a Go duration, "" or "0" for
// never.
func parseExpiresIn(v string) (time.Duration, *sdk.Problem) {
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, &sdk.Problem{Path: "expires_in", Message: fmt.Sprintf("must be a duration like 720h (0 never expires), got %q", v)}
	}
	return d, store.CheckTokenLifetime("expires_in", d)
}

// outlives says why a token that creates one may not give it lifetime ttl:
// a token that expires cannot make one that outlives it (a day's admin
// token would otherwise mint a lasting one).
func outlives(creator store.Token, ttl time.Duration, now time.Time) *sdk.Problem {
	if creator.ExpiresAt == nil || (ttl > 0 && !now.Add(ttl).After(*creator.ExpiresAt)) {
		return nil
	}
	left := creator.ExpiresAt.Sub(now).Truncate(time.Second)
	return &sdk.Problem{Path: "expires_in", Message: fmt.Sprintf("must not outlive the token that creates it, which expires at %s: at most %s",
		creator.ExpiresAt.Format(time.RFC3339), left)}
}

// deleteToken revokes a token of the token's tenant, which may be the
// calling token itself; another tenant's id answers as an unknown one.
func (s *Server) deleteToken(w http.ResponseWriter, r *http.Request, tok store.Token) {
	id := r.PathValue("id")
	revoked, err := s.Store.RevokeTenantToken(r.Context(), tok.Tenant, id)
	switch {
	case err == nil:
	case errors.Is(err, store.ErrTokenNotFound):
		writeError(w, http.StatusNotFound, apiv1.CodeTokenNotFound, fmt.Sprintf("no token %q", id), nil)
		return
	case errors.Is(err, store.ErrLocked), errors.Is(err, store.ErrDiskFull):
		writeStoreError(w, err)
		return
	default:
		s.internal(w, r, fmt.Errorf("revoking a token: %w", err))
		return
	}
	s.Logger.Info("token revoked", "tenant", revoked.Tenant, "token_id", revoked.ID, "scope", revoked.Scope, "by_token", tok.ID)
	w.WriteHeader(http.StatusNoContent)
}

func tokenInfo(t store.Token) apiv1.TokenInfo {
	return apiv1.TokenInfo{ID: t.ID, Tenant: t.Tenant, Scope: t.Scope, Description: t.Description, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt}
}
