package api

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/collector/store"
	"github.com/commandcenter/commandcenter/collector/store/storetest"
)

// lockedBuffer collects the server's log; the handlers write it while the
// test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newLoggedEnv is newEnv whose server logs (at info and above) into the
// returned buffer.
func newLoggedEnv(t *testing.T) (*env, *lockedBuffer) {
	t.Helper()
	e := newEnv(t)
	logs := &lockedBuffer{}
	srv, routes := testServer(e.store, 64<<10)
	srv.Logger = slog.New(slog.NewTextHandler(logs, nil))
	hs := httptest.NewServer(routes)
	t.Cleanup(hs.Close)
	e.url = hs.URL
	return e, logs
}

// raw sends one request as token and returns the status and body, for what
// the client hides (201 vs 200, the exact bytes).
func (e *env) raw(method, path, token, body string) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.StatusCode, out
}

// tenantTokenIDs is what the store holds of tenant, by id.
func (e *env) tenantTokenIDs(tenant string) map[string]store.Token {
	e.t.Helper()
	toks, err := e.store.TenantTokens(ctx, tenant)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]store.Token{}
	for _, tok := range toks {
		out[tok.ID] = tok
	}
	return out
}

func TestAdminTokenManagesItsTenantsTokens(t *testing.T) {
	e, logs := newLoggedEnv(t)
	acme, globex := e.client(e.tokens["acme/admin"]), e.client(e.tokens["globex/admin"])
	acmeAdminID := whoAmI(t, acme).TokenID

	// POST answers 201 with the token and its secret.
	code, body := e.raw("POST", apiv1.PathTokens, e.tokens["acme/admin"], `{"scope":"read","description":"grafana","expires_in":"720h"}`)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, body)
	}
	var created apiv1.CreateTokenResponse
	if err := json.Unmarshal(body, &created); err != nil {
		t.Fatal(err)
	}
	wantExpiry := storetest.Now.Add(720 * time.Hour)
	if created.Token.Tenant != "acme" || created.Token.Scope != store.ScopeRead || created.Token.Description != "grafana" ||
		created.Token.ExpiresAt == nil || !created.Token.ExpiresAt.Equal(wantExpiry) || !created.Token.CreatedAt.Equal(storetest.Now) ||
		!strings.HasPrefix(created.Secret, "cc_") {
		t.Fatalf("created %s", body)
	}
	if strings.Contains(logs.String(), created.Secret) {
		t.Fatal("the secret was logged")
	}
	for _, want := range []string{"token created", "tenant=acme", "token_id=" + created.Token.ID, "scope=read", "by_token=" + acmeAdminID} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the create's log lacks %q: %s", want, logs.String())
		}
	}

	// The secret works, as a read token of acme.
	newRead := e.client(created.Secret)
	who := whoAmI(t, newRead)
	if who.Tenant != "acme" || who.Scope != store.ScopeRead || who.TokenID != created.Token.ID || who.Description != "grafana" {
		t.Fatalf("whoami as the new token: %+v", who)
	}
	if _, err := newRead.Tokens(ctx); status(t, err) != http.StatusForbidden {
		t.Errorf("the new read token lists tokens: %v", err)
	}

	// Other lifetimes: none, "0", and the client's typed call.
	for _, expiresIn := range []string{"", "0", "0s"} {
		out, err := acme.CreateToken(ctx, apiv1.CreateTokenRequest{Tenant: "acme", Scope: store.ScopeIngest, ExpiresIn: expiresIn})
		if err != nil || out.Token.ExpiresAt != nil || out.Token.Scope != store.ScopeIngest {
			t.Fatalf("expires_in %q: %+v %v", expiresIn, out, err)
		}
	}

	// The list is acme's tokens exactly, none of globex's, no secret.
	stored := e.tenantTokenIDs("acme")
	code, body = e.raw("GET", apiv1.PathTokens, e.tokens["acme/admin"], "")
	if code != http.StatusOK {
		t.Fatalf("list: %d %s", code, body)
	}
	var list apiv1.TokensResponse
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Tokens) != len(stored) {
		t.Fatalf("acme lists %d tokens, the store holds %d", len(list.Tokens), len(stored))
	}
	for _, tok := range list.Tokens {
		if _, ok := stored[tok.ID]; !ok || tok.Tenant != "acme" {
			t.Errorf("acme lists %+v", tok)
		}
	}
	for id := range e.tenantTokenIDs("globex") {
		if bytes.Contains(body, []byte(id)) {
			t.Errorf("acme's list names globex's token %s", id)
		}
	}
	for _, leak := range []string{created.Secret, `"secret"`, `"hash"`, "cc_"} {
		if bytes.Contains(body, []byte(leak)) {
			t.Errorf("the list holds %q: %s", leak, body)
		}
	}

	// globex cannot revoke acme's token: the answer is an unknown id's,
	// and acme's token still works.
	unknown := strings.Repeat("z", len(created.Token.ID))
	st1, foreign := e.raw("DELETE", apiv1.PathTokens+"/"+created.Token.ID, e.tokens["globex/admin"], "")
	st2, never := e.raw("DELETE", apiv1.PathTokens+"/"+unknown, e.tokens["globex/admin"], "")
	if st1 != http.StatusNotFound || st2 != http.StatusNotFound ||
		string(foreign) != strings.ReplaceAll(string(never), unknown, created.Token.ID) {
		t.Fatalf("globex revoking acme's id: %d %s; an unknown id: %d %s", st1, foreign, st2, never)
	}
	if err := globex.RevokeToken(ctx, created.Token.ID); !apiv1.IsCode(err, apiv1.CodeTokenNotFound) {
		t.Fatalf("the client says %v", err)
	}
	if who, err := newRead.WhoAmI(ctx); err != nil || who.TokenID != created.Token.ID {
		t.Fatalf("acme's token after globex's revoke: %+v %v", who, err)
	}
	if list, err := globex.Tokens(ctx); err != nil || len(list.Tokens) != len(e.tenantTokenIDs("globex")) {
		t.Fatalf("globex lists %+v %v", list, err)
	}

	// acme revokes it: 204, then the secret is refused.
	if code, body := e.raw("DELETE", apiv1.PathTokens+"/"+created.Token.ID, e.tokens["acme/admin"], ""); code != http.StatusNoContent || len(body) != 0 {
		t.Fatalf("revoke: %d %s", code, body)
	}
	if _, err := newRead.WhoAmI(ctx); status(t, err) != http.StatusUnauthorized {
		t.Fatalf("a revoked token still works: %v", err)
	}
	if _, ok := e.tenantTokenIDs("acme")[created.Token.ID]; ok {
		t.Fatal("the revoked token is still stored")
	}
	for _, want := range []string{"token revoked", "token_id=" + created.Token.ID, "scope=read", "by_token=" + acmeAdminID} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the revoke's log lacks %q", want)
		}
	}
	if err := acme.RevokeToken(ctx, created.Token.ID); !apiv1.IsCode(err, apiv1.CodeTokenNotFound) || status(t, err) != http.StatusNotFound {
		t.Errorf("revoking twice: %v", err)
	}

	// An admin token may revoke itself; it is refused from then on.
	if err := acme.RevokeToken(ctx, acmeAdminID); err != nil {
		t.Fatalf("self-revoke: %v", err)
	}
	if _, err := acme.Tokens(ctx); status(t, err) != http.StatusUnauthorized {
		t.Fatalf("a self-revoked token still works: %v", err)
	}
	if strings.Contains(logs.String(), "cc_") {
		t.Error("a secret was logged")
	}
}

func whoAmI(t *testing.T, c *apiv1.Client) *apiv1.WhoAmI {
	t.Helper()
	who, err := c.WhoAmI(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return who
}

func TestTokenCallsNeedAnAdminToken(t *testing.T) {
	e := newEnv(t)
	victim := whoAmI(t, e.client(e.tokens["acme/read"])).TokenID
	before := len(e.tenantTokenIDs("acme"))
	calls := []struct{ method, path, body string }{
		{"GET", apiv1.PathTokens, ""},
		{"POST", apiv1.PathTokens, `{"scope":"admin"}`},
		{"DELETE", apiv1.PathTokens + "/" + victim, ""},
	}
	for _, scope := range []string{store.ScopeRead, store.ScopeIngest} {
		for _, c := range calls {
			t.Run(scope+" "+c.method, func(t *testing.T) {
				code, body := e.raw(c.method, c.path, e.tokens["acme/"+scope], c.body)
				var eb apiv1.ErrorBody
				json.Unmarshal(body, &eb)
				if code != http.StatusForbidden || eb.Error == nil || eb.Error.Code != apiv1.CodeForbidden {
					t.Fatalf("%d %s, want 403 %s", code, body, apiv1.CodeForbidden)
				}
			})
		}
	}
	if after := e.tenantTokenIDs("acme"); len(after) != before {
		t.Fatalf("acme holds %d tokens, had %d", len(after), before)
	}
	if _, err := e.client(e.tokens["acme/read"]).WhoAmI(ctx); err != nil {
		t.Fatalf("the read token was revoked: %v", err)
	}
	// Without a token: 401.
	if code, _ := e.raw("GET", apiv1.PathTokens, "", ""); code != http.StatusUnauthorized {
		t.Fatalf("no token: %d", code)
	}
}

func TestBadTokenRequestsAreRefusedAndStoreNothing(t *testing.T) {
	e := newEnv(t)
	acme := e.client(e.tokens["acme/admin"])
	all := func() int {
		toks, err := e.store.Tokens(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(toks)
	}
	before, beforeAcme := all(), len(e.tenantTokenIDs("acme"))
	cases := []struct {
		name   string
		body   string
		status int
		code   string
		path   string // a problem's path the details must name, if any
	}{
		{"empty", ``, 400, apiv1.CodeMalformedJSON, ""},
		{"malformed", `{"scope" "read"}`, 400, apiv1.CodeMalformedJSON, ""},
		{"truncated", `{"scope":"read","descr`, 400, apiv1.CodeMalformedJSON, ""},
		{"trailing data", `{"scope":"read"}{"scope":"admin"}`, 400, apiv1.CodeMalformedJSON, ""},
		{"duplicate keys", `{"scope":"read","scope":"admin"}`, 400, apiv1.CodeMalformedJSON, ""},
		{"case-variant keys", `{"scope":"read","Scope":"admin"}`, 400, apiv1.CodeMalformedJSON, ""},
		{"non-ASCII key folding to scope", `{"scope":"read","ſcope":"admin"}`, 400, apiv1.CodeMalformedJSON, ""},
		{"invalid UTF-8", "{\"scope\":\"read\",\"description\":\"a\xffb\"}", 400, apiv1.CodeMalformedJSON, ""},
		{"lone surrogate", `{"scope":"read","description":"a\ud800b"}`, 400, apiv1.CodeMalformedJSON, ""},
		{"unknown field", `{"scope":"read","secret":"cc_mine"}`, 400, apiv1.CodeInvalidTokenRequest, "secret"},
		{"scope of a wrong type", `{"scope":3}`, 400, apiv1.CodeInvalidTokenRequest, "scope"},
		{"expires_in of a wrong type", `{"scope":"read","expires_in":720}`, 400, apiv1.CodeInvalidTokenRequest, "expires_in"},
		{"an array", `[{"scope":"read"}]`, 400, apiv1.CodeInvalidTokenRequest, ""},
		{"no scope", `{}`, 422, apiv1.CodeInvalidTokenRequest, "scope"},
		{"null", `null`, 422, apiv1.CodeInvalidTokenRequest, "scope"},
		{"scope root", `{"scope":"root"}`, 422, apiv1.CodeInvalidTokenRequest, "scope"},
		{"scope in capitals", `{"scope":"ADMIN"}`, 422, apiv1.CodeInvalidTokenRequest, "scope"},
		{"negative lifetime", `{"scope":"read","expires_in":"-1h"}`, 422, apiv1.CodeInvalidTokenRequest, "expires_in"},
		{"no duration", `{"scope":"read","expires_in":"abc"}`, 422, apiv1.CodeInvalidTokenRequest, "expires_in"},
		{"a number without unit", `{"scope":"read","expires_in":"720"}`, 422, apiv1.CodeInvalidTokenRequest, "expires_in"},
		{"overflowing lifetime", `{"scope":"read","expires_in":"9999999999h"}`, 422, apiv1.CodeInvalidTokenRequest, "expires_in"},
		{"control character", `{"scope":"read","description":"a\u0007b"}`, 422, apiv1.CodeInvalidTokenRequest, "description"},
		{"newline", `{"scope":"read","description":"a\nforged=line"}`, 422, apiv1.CodeInvalidTokenRequest, "description"},
		{"description too long", `{"scope":"read","description":"` + strings.Repeat("d", store.MaxTokenDescriptionBytes+1) + `"}`, 422, apiv1.CodeInvalidTokenRequest, "description"},
		{"another tenant", `{"tenant":"globex","scope":"admin"}`, 403, apiv1.CodeWrongTenant, "tenant"},
		{"a tenant never seen", `{"tenant":"initech","scope":"admin"}`, 403, apiv1.CodeWrongTenant, "tenant"},
		{"over the bound", `{"scope":"read","description":"` + strings.Repeat("d", maxTokenRequestBytes) + `"}`, 413, apiv1.CodeBodyTooLarge, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := acme.Do(ctx, http.MethodPost, apiv1.PathTokens, nil, []byte(c.body), nil)
			ae := apiError(t, err)
			if ae.StatusCode != c.status || ae.Code != c.code {
				t.Fatalf("%d %s (%s), want %d %s", ae.StatusCode, ae.Code, ae.Message, c.status, c.code)
			}
			if c.path != "" && !hasPath(ae, c.path) {
				t.Errorf("%s not named in %+v", c.path, ae.Details)
			}
			if n := all(); n != before {
				t.Fatalf("%d tokens stored, had %d", n, before)
			}
		})
	}
	// Another tenant's name is refused as one never seen: nothing says
	// whether it exists.
	_, foreign := e.raw("POST", apiv1.PathTokens, e.tokens["acme/admin"], `{"tenant":"globex","scope":"read"}`)
	_, never := e.raw("POST", apiv1.PathTokens, e.tokens["acme/admin"], `{"tenant":"initech","scope":"read"}`)
	if !bytes.Equal(foreign, never) || bytes.Contains(foreign, []byte("globex")) {
		t.Errorf("another tenant %s, a tenant never seen %s", foreign, never)
	}
	// Every content problem is named at once.
	_, err := acme.CreateToken(ctx, apiv1.CreateTokenRequest{Scope: "root", Description: "a\x01", ExpiresIn: "-5m"})
	ae := apiError(t, err)
	for _, p := range []string{"scope", "description", "expires_in"} {
		if !hasPath(ae, p) {
			t.Errorf("%s not named in %+v", p, ae.Details)
		}
	}
	if list, err := acme.Tokens(ctx); err != nil || len(list.Tokens) != beforeAcme {
		t.Errorf("acme lists %d tokens, had %d: %v", len(list.Tokens), beforeAcme, err)
	}
	// The lone "Scope" of another case is taken as encoding/json takes it
	// (as in batches and layouts); only a second spelling is refused.
	if err := acme.Do(ctx, http.MethodPost, apiv1.PathTokens, nil, []byte(`{"Scope":"read"}`), nil); err != nil {
		t.Fatalf("a lone case-variant key: %v", err)
	}
}

func TestTokensPerTenantAreCappedOverTheAPI(t *testing.T) {
	e := newEnv(t)
	acme := e.client(e.tokens["acme/admin"])
	for n := len(e.tenantTokenIDs("acme")); n < store.MaxTokensPerTenant; n++ {
		if _, _, err := e.store.CreateToken(ctx, "acme", store.ScopeRead, "", 0); err != nil {
			t.Fatalf("token %d: %v", n+1, err)
		}
	}
	_, err := acme.CreateToken(ctx, apiv1.CreateTokenRequest{Scope: store.ScopeRead})
	if ae := apiError(t, err); ae.StatusCode != http.StatusUnprocessableEntity || ae.Code != apiv1.CodeTooManyTokens ||
		!strings.Contains(ae.Message, "1000") {
		t.Fatalf("token %d: %+v", store.MaxTokensPerTenant+1, ae)
	}
	if n := len(e.tenantTokenIDs("acme")); n != store.MaxTokensPerTenant {
		t.Fatalf("acme holds %d tokens", n)
	}
	// globex is not held back by acme's.
	if _, err := e.client(e.tokens["globex/admin"]).CreateToken(ctx, apiv1.CreateTokenRequest{Scope: store.ScopeRead}); err != nil {
		t.Fatalf("globex: %v", err)
	}
}

// TestTokenLifetimesAreChecked: a lifetime under a minute would hand out
// a secret refused at once, so it is refused; an accepted one answers the
// expiry as stored (milliseconds).
func TestTokenLifetimesAreChecked(t *testing.T) {
	e := newEnv(t)
	for _, ttl := range []string{"1ns", "999us", "59s"} {
		code, body := e.raw("POST", apiv1.PathTokens, e.tokens["acme/admin"], `{"scope":"read","expires_in":"`+ttl+`"}`)
		if code != http.StatusUnprocessableEntity || !strings.Contains(string(body), "expires_in") {
			t.Errorf("expires_in %s: %d %s", ttl, code, body)
		}
	}
	code, body := e.raw("POST", apiv1.PathTokens, e.tokens["acme/admin"], `{"scope":"read","expires_in":"1h0.0005s"}`)
	var created apiv1.CreateTokenResponse
	if err := json.Unmarshal(body, &created); err != nil || code != http.StatusCreated {
		t.Fatalf("%d %s", code, body)
	}
	stored := e.tenantTokenIDs("acme")[created.Token.ID]
	if stored.ExpiresAt == nil || !stored.ExpiresAt.Equal(*created.Token.ExpiresAt) {
		t.Errorf("answered expires_at %v, stored %v", created.Token.ExpiresAt, stored.ExpiresAt)
	}
	if code, _ := e.raw("GET", apiv1.PathWhoAmI, created.Secret, ""); code != http.StatusOK {
		t.Errorf("the new token is refused: %d", code)
	}
}

// TestAnExpiringTokenCannotMintALongerOne: an admin token given for a
// day cannot create a token that outlives it, never-expiring ones
// included; a shorter one it may.
func TestAnExpiringTokenCannotMintALongerOne(t *testing.T) {
	e := newEnv(t)
	_, dayLong, err := e.store.CreateToken(ctx, "acme", store.ScopeAdmin, "contractor, one day", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{`{"scope":"admin"}`, `{"scope":"read","expires_in":"25h"}`} {
		before := len(e.tenantTokenIDs("acme"))
		code, answer := e.raw("POST", apiv1.PathTokens, dayLong, body)
		if code != http.StatusUnprocessableEntity || !strings.Contains(string(answer), "must not outlive the token that creates it") {
			t.Errorf("%s: %d %s", body, code, answer)
		}
		if after := len(e.tenantTokenIDs("acme")); after != before {
			t.Errorf("%s: tokens %d → %d", body, before, after)
		}
	}
	if code, answer := e.raw("POST", apiv1.PathTokens, dayLong, `{"scope":"read","expires_in":"23h"}`); code != http.StatusCreated {
		t.Errorf("a shorter token: %d %s", code, answer)
	}
}

// TestTokenBodiesFromAHostileClient: hostile bodies are refused (4xx) and store
// nothing; the largest Go duration is a valid lifetime.
func TestTokenBodiesFromAHostileClient(t *testing.T) {
	e := newEnv(t)
	deep := strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40)
	for _, tc := range []struct{ body string }{
		{"{\"scope\":\"read\",\"description\":\"\xff\"}"},
		{`{"scope":"read","Scope":"admin"}`},
		{`{"scope":"read","scope":"admin"}`},
		{`{"scope":"read","ſcope":"admin"}`},
		{`{"scope":"read","description":"\ud800"}`},
		{`{"scope":"read","expires_in":1e999}`},
		{`{"scope":"read","expires_in":"2562048h"}`},
		{`{"scope":"read","expires_in":"-1ns"}`},
		{`{"scope":"read","expires_in":"1e3h"}`},
		{`{"scope":"read","tenant":"globex"}`},
		{`{"scope":"read","tenant":"ACME"}`},
		{`{"scope":"read","extra":` + deep + `}`},
		{`{"scope":"admin\u0000"}`},
		{`{"scope":"read"} {"scope":"admin"}`},
		{`[{"scope":"admin"}]`},
		{`null`},
		{`{"scope":"read","description":"` + strings.Repeat("é", 101) + `"}`},
	} {
		before := len(e.tenantTokenIDs("acme")) + len(e.tenantTokenIDs("globex"))
		code, body := e.raw("POST", apiv1.PathTokens, e.tokens["acme/admin"], tc.body)
		after := len(e.tenantTokenIDs("acme")) + len(e.tenantTokenIDs("globex"))
		if code < 400 || code >= 500 || after != before {
			t.Errorf("%.60q: %d %s (tokens %d → %d)", tc.body, code, body, before, after)
		}
	}
	code, body := e.raw("POST", apiv1.PathTokens, e.tokens["acme/admin"], `{"scope":"read","expires_in":"9223372036854775807ns"}`)
	if code != http.StatusCreated {
		t.Errorf("max duration: %d %s", code, body)
	}
	for _, scope := range []string{"read", "ingest"} {
		if code, _ := e.raw("POST", apiv1.PathTokens, e.tokens["acme/"+scope], `{"scope":"admin"}`); code != http.StatusForbidden {
			t.Errorf("a %s token creating an admin token: %d", scope, code)
		}
		if code, _ := e.raw("GET", apiv1.PathTokens, e.tokens["acme/"+scope], ""); code != http.StatusForbidden {
			t.Errorf("a %s token listing tokens: %d", scope, code)
		}
	}
	// Another tenant's id and an unknown id answer byte for byte alike
	// but for the id.
	var globexID string
	for id := range e.tenantTokenIDs("globex") {
		globexID = id
	}
	c1, b1 := e.raw("DELETE", apiv1.PathTokens+"/"+globexID, e.tokens["acme/admin"], "")
	c2, b2 := e.raw("DELETE", apiv1.PathTokens+"/zzzzzzzz", e.tokens["acme/admin"], "")
	if c1 != c2 || strings.ReplaceAll(string(b1), globexID, "ID") != strings.ReplaceAll(string(b2), "zzzzzzzz", "ID") {
		t.Errorf("other tenant's id: %d %s; unknown: %d %s", c1, b1, c2, b2)
	}
	if len(e.tenantTokenIDs("globex")) != 3 {
		t.Error("acme's admin revoked a globex token")
	}
}
