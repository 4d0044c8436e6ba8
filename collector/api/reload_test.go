package api

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
)

// TestAClientCertificateIsNotAnOperator: tenants' API clients use client
// certificates too; one with a read token does not reload, and nobody but
// an operator learns why a config was refused.
func TestAClientCertificateIsNotAnOperator(t *testing.T) {
	e := newEnv(t)
	srv, routes := testServer(e.store, 64<<10)
	var calls atomic.Int32
	srv.Reload = func(context.Context) (apiv1.ReloadResponse, error) {
		calls.Add(1)
		return apiv1.ReloadResponse{}, errors.New("plugins[3].config.api_key of tenant globex: bad value")
	}
	for _, token := range []string{"acme/read", "acme/admin"} {
		req := httptest.NewRequest("POST", apiv1.PathReload, nil)
		req.Header.Set("Authorization", "Bearer "+e.tokens[token])
		req.TLS = &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{{}}}} // a certificate the listener verified
		rec := httptest.NewRecorder()
		routes.ServeHTTP(rec, req)
		if strings.Contains(rec.Body.String(), "globex") {
			t.Errorf("%s with a client certificate was told %s", token, rec.Body.String())
		}
		if token == "acme/read" && (calls.Load() > 0 || rec.Code != http.StatusForbidden) {
			t.Errorf("a read token with a client certificate: %d, %d reloads", rec.Code, calls.Load())
		}
	}
	if calls.Load() != 1 {
		t.Errorf("the admin token's reload ran %d times, want 1", calls.Load())
	}
}

// TestOnlyAnAuthorisedPOSTReloads: nothing but an authorised POST /-/reload
// reloads, whatever the path or method, with serve's outer mux in front.
func TestOnlyAnAuthorisedPOSTReloads(t *testing.T) {
	e := newEnv(t)
	srv, routes := testServer(e.store, 64<<10)
	var calls atomic.Int32
	srv.Reload = func(context.Context) (apiv1.ReloadResponse, error) { calls.Add(1); return apiv1.ReloadResponse{}, nil }
	srv.ListenerAuth = func() bool { return false } // no basic_auth_users
	outer := http.NewServeMux()
	outer.Handle("GET /metrics", http.NotFoundHandler())
	outer.Handle("/", routes)
	outer.Handle("GET /{$}", http.NotFoundHandler())
	hs := httptest.NewServer(outer)
	defer hs.Close()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, method := range []string{"POST", "HEAD", "OPTIONS", "GET", "PUT"} {
		for _, path := range []string{"/-/reload", "//-/reload", "/-/reload/", "/-/./reload", "/x/../-/reload", "/-/reload?x=1", "/-/RELOAD", "/-%2Freload", "/-/reload%00"} {
			for _, auth := range []string{"", "Basic YWRtaW46YWRtaW4=", "Bearer " + e.tokens["acme/ingest"], "Bearer  " + e.tokens["acme/read"]} {
				req, err := http.NewRequest(method, hs.URL+path, nil)
				if err != nil {
					continue
				}
				if auth != "" {
					req.Header.Set("Authorization", auth)
				}
				resp, err := client.Do(req)
				if err != nil {
					continue
				}
				resp.Body.Close()
				if calls.Load() > 0 {
					t.Fatalf("%s %s with %q reloaded (%d)", method, path, auth, resp.StatusCode)
				}
			}
		}
	}
}
