package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/commandcenter/commandcenter/collector"
	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/collector/store/storetest"
	"github.com/prometheus/client_golang/prometheus"
)

type recordingHost struct {
	mu    sync.Mutex
	names []string
}

func (h *recordingHost) Plugins(string) []apiv1.PluginStatus { return nil }
func (h *recordingHost) CollectNow(name, tenant string) (apiv1.CollectRun, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.names = append(h.names, name)
	if name != "demo" {
		return apiv1.CollectRun{}, collector.ErrUnknownPlugin
	}
	return apiv1.CollectRun{ID: "abc", Plugin: name, State: apiv1.RunQueued}, nil
}
func (h *recordingHost) CollectRun(name, id, tenant string) (apiv1.CollectRun, error) {
	return apiv1.CollectRun{}, collector.ErrUnknownRun
}
func (h *recordingHost) SubscribeRuns(string) (<-chan collector.RunEvent, func()) {
	return make(chan collector.RunEvent), func() {}
}

// Probe: scopes and path tricks on POST /api/v1/plugins/{name}/collect.
func TestCollectPathsAndScopes(t *testing.T) {
	st := storetest.Open(t)
	srv, routes := testServer(st, 1<<20)
	rh := &recordingHost{}
	srv.Plugins = rh
	routes = srv.Routes(prometheus.NewRegistry())
	hs := httptest.NewServer(routes)
	defer hs.Close()
	tokens := map[string]string{}
	for _, scope := range []string{"read", "ingest", "admin"} {
		_, secret, err := st.CreateToken(ctx, "acme", scope, "t", 0)
		if err != nil {
			t.Fatal(err)
		}
		tokens[scope] = secret
	}
	do := func(path, tok string) (int, string) {
		req, _ := http.NewRequest("POST", hs.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b := new(strings.Builder)
		buf := make([]byte, 300)
		n, _ := resp.Body.Read(buf)
		b.Write(buf[:n])
		return resp.StatusCode, resp.Header.Get("Location") + " " + b.String()
	}
	for _, scope := range []string{"read", "ingest"} {
		if code, _ := do("/api/v1/plugins/demo/collect", tokens[scope]); code != 403 {
			t.Errorf("%s token: %d", scope, code)
		}
	}
	for _, p := range []string{"/api/v1/plugins/demo/collect", "/api/v1/plugins/a%2Fb/collect", "/api/v1/plugins/../collect",
		"/api/v1/plugins/%2E%2E/collect", "/api/v1/plugins/demo%2F..%2F/collect", "/api/v1/plugins/" + strings.Repeat("x", 100000) + "/collect",
		"/api/v1/plugins//collect", "/api/v1/plugins/demo/collect/"} {
		code, body := do(p, tokens["admin"])
		if len(p) > 120 {
			p = p[:60] + "…"
		}
		t.Logf("%s → %d %.160s", p, code, body)
	}
	t.Logf("names seen by the host: %d %q", len(rh.names), func() []string {
		out := []string{}
		for _, n := range rh.names {
			if len(n) > 40 {
				n = n[:40] + "…"
			}
			out = append(out, n)
		}
		return out
	}())
}
