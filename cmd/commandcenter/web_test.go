package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// selfSigned writes a fresh certificate for 127.0.0.1 and its key into dir
// and returns their paths and a pool that trusts the certificate.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "commandcenter test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// newToken creates a token of scope for tenant in dataDir through the CLI.
func newToken(t *testing.T, dataDir, tenant, scope string) string {
	t.Helper()
	code, out, stderr := runBinary(t, "tokens", "create", "--data-dir", dataDir, "--tenant", tenant, "--scope", scope)
	if code != 0 {
		t.Fatalf("tokens create: %s", stderr)
	}
	return strings.TrimSpace(out)
}

// TestServeWithTLS: with a web config naming a certificate, serve speaks
// only TLS; the API's bearer tokens work over it, and a plain HTTP request
// gets no answer it could mistake for one.
func TestServeWithTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	webConfig := filepath.Join(dir, "web.yml")
	os.WriteFile(webConfig, []byte("tls_server_config:\n  cert_file: "+certFile+"\n  key_file: "+keyFile+"\n"), 0o600)
	dataDir := filepath.Join(dir, "data")
	token := newToken(t, dataDir, "acme", "read")
	s := startServe(t, "--data-dir", dataDir, "--web.config.file", webConfig)
	if !strings.HasPrefix(s.Base, "https://") {
		t.Fatalf("serve announced %s, want an https address", s.Base)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	for _, tc := range []struct {
		path, token string
		want        int
	}{
		{"/api/v1/whoami", token, http.StatusOK},
		{"/api/v1/whoami", "", http.StatusUnauthorized},
		{"/metrics", "", http.StatusOK},
	} {
		req, _ := http.NewRequest("GET", s.Base+tc.path, nil)
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("GET %s over TLS: %v", tc.path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Fatalf("GET %s (token %v): %d, want %d\n%s", tc.path, tc.token != "", resp.StatusCode, tc.want, body)
		}
		if tc.path == "/api/v1/whoami" && tc.want == http.StatusOK && !strings.Contains(string(body), `"acme"`) {
			t.Fatalf("whoami over TLS: %s", body)
		}
	}
	// Plain HTTP to the TLS port: Go's server answers a bare 400 that says
	// the client spoke HTTP to an HTTPS server, and nothing else.
	plain := "http://" + strings.TrimPrefix(s.Base, "https://")
	resp, err := http.Get(plain + "/metrics")
	if err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || strings.Contains(string(body), "commandcenter_") {
			t.Fatalf("plain HTTP to the TLS listener: %d\n%s", resp.StatusCode, body)
		}
	}
	// A client that does not trust the certificate is refused the handshake.
	if _, err := http.Get(s.Base + "/metrics"); err == nil {
		t.Fatal("a client without the certificate in its pool got an answer")
	}
}

// TestServeWithBasicAuth: basic_auth_users in the web config guard every
// path of the listener, /metrics included; the right user and password get
// through.
func TestServeWithBasicAuth(t *testing.T) {
	dir := t.TempDir()
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webConfig := filepath.Join(dir, "web.yml")
	os.WriteFile(webConfig, []byte("basic_auth_users:\n  prometheus: "+string(hash)+"\n"), 0o600)
	s := startServe(t, "--data-dir", filepath.Join(dir, "data"), "--web.config.file", webConfig)
	for _, tc := range []struct {
		name, user, password string
		want                 int
	}{
		{"no credentials", "", "", http.StatusUnauthorized},
		{"wrong password", "prometheus", "guess", http.StatusUnauthorized},
		{"unknown user", "grafana", "s3cret", http.StatusUnauthorized},
		{"case-variant user", "Prometheus", "s3cret", http.StatusUnauthorized},
		{"right credentials", "prometheus", "s3cret", http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", s.Base+"/metrics", nil)
			if tc.user != "" {
				req.SetBasicAuth(tc.user, tc.password)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Fatalf("%d, want %d", resp.StatusCode, tc.want)
			}
			if got := strings.Contains(string(body), "commandcenter_"); got != (tc.want == http.StatusOK) {
				t.Fatalf("metrics in the answer: %v, want %v", got, tc.want == http.StatusOK)
			}
		})
	}
}

// TestLandingPageAndPprof: / is the landing page linking what the server
// offers; the profiler is only there with --web.enable-pprof.
func TestLandingPageAndPprof(t *testing.T) {
	for _, pprof := range []bool{false, true} {
		args := []string{"--data-dir", t.TempDir()}
		if pprof {
			args = append(args, "--web.enable-pprof")
		}
		s := startServe(t, args...)
		code, body := s.Get(t, "/", "")
		if code != http.StatusOK {
			t.Fatalf("GET /: %d", code)
		}
		for _, link := range []string{`href="/metrics"`, `href="/api/v1/whoami"`, `href="/healthz"`, `href="/readyz"`} {
			if !strings.Contains(body, link) {
				t.Fatalf("landing page lacks %s:\n%s", link, body)
			}
		}
		if got := strings.Contains(body, "debug/pprof"); got != pprof {
			t.Fatalf("pprof=%v: landing page links the profiler: %v", pprof, got)
		}
		want := http.StatusNotFound
		if pprof {
			want = http.StatusOK
		}
		if code, _ := s.Get(t, "/debug/pprof/", ""); code != want {
			t.Fatalf("pprof=%v: GET /debug/pprof/: %d, want %d", pprof, code, want)
		}
		if code, _ := s.Get(t, "/nonexistent", ""); code != http.StatusNotFound {
			t.Fatalf("GET /nonexistent: %d, want 404 (the landing page is / alone)", code)
		}
	}
}

// TestMetricsHandlerCountsItsScrapes: /metrics is wrapped in promhttp's
// InstrumentMetricHandler, so scrapes count themselves by status code, as
// on every exporter; the count includes the scrapes before this one.
func TestMetricsHandlerCountsItsScrapes(t *testing.T) {
	s := startServe(t, "--data-dir", t.TempDir())
	const scrapes = 3
	var body string
	for range scrapes {
		var code int
		if code, body = s.Get(t, "/metrics", ""); code != http.StatusOK {
			t.Fatalf("/metrics: %d", code)
		}
	}
	// The last answer was written before its own request was counted.
	want := fmt.Sprintf("promhttp_metric_handler_requests_total{code=\"200\"} %d\n", scrapes-1)
	if !strings.Contains(body, want) || !strings.Contains(body, "promhttp_metric_handler_requests_in_flight 1\n") {
		t.Fatalf("/metrics lacks %q and the in-flight gauge:\n%s", want, grepLines(body, "promhttp_"))
	}
}

// grepLines is the lines of text that contain substr.
func grepLines(text, substr string) string {
	var out []string
	for line := range strings.SplitSeq(text, "\n") {
		if strings.Contains(line, substr) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
