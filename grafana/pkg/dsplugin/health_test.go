package dsplugin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/hashicorp/go-hclog"

	"github.com/commandcenter/commandcenter/cmd/commandcenter/servetest"
	"github.com/commandcenter/commandcenter/grafana/pkg/grafanatest"
	"github.com/commandcenter/commandcenter/grafana/pkg/querymodel"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

func TestCheckHealthSaysWhoOrWhatFailed(t *testing.T) {
	w := newWorld(t)
	// A TLS server with a certificate nobody trusts, that is not
	// commandcenter.
	foreign := httptest.NewTLSServer(http.NotFoundHandler())
	defer foreign.Close()
	caPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: foreign.Certificate().Raw}))
	down := "http://" + freeAddr(t) // nothing listens there

	with := func(key string, edit func(ds *grafanatest.Datasource)) grafanatest.Datasource {
		ds := w.ds(key)
		edit(&ds)
		return ds
	}
	cases := []struct {
		name string
		ds   grafanatest.Datasource
		ok   bool
		want []string
	}{
		{"acme's read token", w.ds("acme/read"), true, []string{`tenant "acme"`, "read scope"}},
		{"globex's token sees globex", w.ds("globex/read"), true, []string{`tenant "globex"`}},
		{"no URL", with("acme/read", func(ds *grafanatest.Datasource) { delete(ds.JSONData, "url") }), false, []string{"URL (jsonData.url) is not set"}},
		{"not a URL", with("acme/read", func(ds *grafanatest.Datasource) { ds.JSONData["url"] = "127.0.0.1:9464" }), false, []string{"must be http(s)://host[:port]"}},
		{"no token", with("acme/read", func(ds *grafanatest.Datasource) { ds.Secure = nil }), false, []string{"API token (secureJsonData.apiToken) is not set"}},
		{"wrong token", with("acme/read", func(ds *grafanatest.Datasource) { ds.Secure["apiToken"] = "cc_notatoken" }), false, []string{"token was refused (401"}},
		{"server down", with("acme/read", func(ds *grafanatest.Datasource) { ds.JSONData["url"] = down }), false, []string{"Cannot connect to commandcenter", "refused"}},
		{"https to a plain HTTP server", with("acme/read", func(ds *grafanatest.Datasource) { ds.JSONData["url"] = "https://" + w.addr }), false, []string{"TLS", "does not speak HTTPS"}},
		{"untrusted certificate", with("acme/read", func(ds *grafanatest.Datasource) { ds.JSONData["url"] = foreign.URL }), false, []string{"TLS: the server's certificate was not accepted"}},
		{"trusted through its CA, but not commandcenter", with("acme/read", func(ds *grafanatest.Datasource) {
			ds.JSONData["url"], ds.JSONData["tlsAuthWithCACert"] = foreign.URL, true
			ds.Secure["tlsCACert"] = caPEM
		}), false, []string{"No commandcenter API at this URL (404)"}},
		{"a CA that is not PEM", with("acme/read", func(ds *grafanatest.Datasource) {
			ds.JSONData["tlsAuthWithCACert"] = true
			ds.Secure["tlsCACert"] = "not a certificate"
		}), false, []string{"Settings:"}},
		{"timeout of the wrong type", with("acme/read", func(ds *grafanatest.Datasource) { ds.JSONData["timeout"] = []int{1} }), false, []string{"Settings:"}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.ds.ID, c.ds.UID = int64(100+i), c.ds.UID+"-"+strings.ReplaceAll(c.name, " ", "-")
			res, err := w.host.CheckHealth(ctx, c.ds)
			if err != nil {
				t.Fatal(err)
			}
			if (res.Status == backend.HealthStatusOk) != c.ok {
				t.Errorf("status %v: %s", res.Status, res.Message)
			}
			for _, want := range c.want {
				if !strings.Contains(res.Message, want) {
					t.Errorf("message %q does not say %q", res.Message, want)
				}
			}
			if tok := c.ds.Secure["apiToken"]; tok != "" && strings.Contains(res.Message, tok) {
				t.Errorf("the message shows the token")
			}
		})
	}
	if w.host.Exited() {
		t.Fatal("the plugin process died")
	}
}

func TestResourcesListOnlyTheTokensTenant(t *testing.T) {
	w := newWorld(t)
	ds := w.ds("acme/read")
	platforms := map[string]bool{}
	for _, dm := range w.acme.DailyMetrics {
		platforms[dm.Platform] = true
	}
	campaigns := map[string]bool{}
	for _, e := range w.acme.Entities {
		if e.Type == "campaign" {
			campaigns[e.ID] = true
		}
	}
	cases := []struct {
		path   string
		status int
		want   map[string]bool // values, when 200
	}{
		{"platforms", 200, platforms},
		{"campaigns", 200, campaigns},
		{"tenants", 200, map[string]bool{"acme": true}},
		{"statuses?entityType=payment", 200, map[string]bool{"open": true, "paid": true, "cancelled": true}},
		{"statuses", 400, nil},
		{"statuses?entityType=planet", 400, nil},
		{"secrets", 404, nil},
	}
	for _, c := range cases {
		r, err := w.host.CallResource(ctx, ds, "GET", c.path)
		if err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		if r.Status != c.status {
			t.Errorf("%s: status %d (%s), want %d", c.path, r.Status, r.Body, c.status)
			continue
		}
		if c.status != 200 {
			if !strings.Contains(string(r.Body), `"error"`) {
				t.Errorf("%s: error body %s", c.path, r.Body)
			}
			continue
		}
		got := map[string]bool{}
		for _, o := range decodeOptions(t, r.Body) {
			got[o.Value] = true
			if o.Label == "" {
				t.Errorf("%s: option %q without a label", c.path, o.Value)
			}
		}
		if len(got) != len(c.want) {
			t.Errorf("%s: %v, want %v", c.path, got, c.want)
		}
		for v := range c.want {
			if !got[v] {
				t.Errorf("%s: %q missing from %v", c.path, v, got)
			}
		}
	}
	if r, err := w.host.CallResource(ctx, ds, "POST", "platforms"); err != nil || r.Status != 405 {
		t.Fatalf("POST: %+v %v", r, err)
	}
}

// TestResourceAnswersAreGolden keeps every resource's answer over the fixed
// data set in testdata/resources/ (-update rewrites them). The browser
// test's harness serves these same files, so the editors are tested on
// what the backend really answers.
func TestResourceAnswersAreGolden(t *testing.T) {
	w := newWorld(t)
	ds := w.ds("acme/read")
	paths := []string{}
	for _, name := range querymodel.ResourceNames {
		if name != querymodel.ResourceStatuses {
			paths = append(paths, name)
		}
	}
	for _, typ := range sdk.EntityTypes {
		paths = append(paths, querymodel.ResourceStatuses+"?entityType="+typ)
	}
	for _, p := range paths {
		r, err := w.host.CallResource(ctx, ds, "GET", p)
		if err != nil || r.Status != 200 {
			t.Fatalf("%s: %v %+v", p, err, r)
		}
		var got bytes.Buffer
		if err := json.Indent(&got, r.Body, "", "  "); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		got.WriteByte('\n')
		file := filepath.Join("testdata", "resources", strings.ReplaceAll(p, "?entityType=", "_")+".json")
		if *update {
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, got.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("%v (go test -run ResourceAnswers -update writes it)", err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s answers\n%s\nwant (%s)\n%s", p, got.Bytes(), file, want)
		}
	}
}

// TestTokenIsNeverLogged runs the plugin with its log captured, as Grafana
// keeps it, through health checks, failing queries and a stream whose
// server is down, and looks for the tokens in it.
func TestTokenIsNeverLogged(t *testing.T) {
	w := newWorld(t)
	var logs servetest.LogBuffer
	host, err := grafanatest.Launch(pluginBin, hclog.New(&hclog.LoggerOptions{Output: &logs, Level: hclog.Trace}))
	if err != nil {
		t.Fatal(err)
	}
	defer host.Kill()
	good := w.ds("acme/read")
	wrong := w.ds("acme/read")
	wrong.UID, wrong.Secure = "cc-wrong", map[string]string{"apiToken": "cc_wrong_secret_token"}
	down := w.ds("globex/read")
	down.UID, down.JSONData = "cc-down", map[string]any{"url": "http://" + freeAddr(t)}
	for _, ds := range []grafanatest.Datasource{good, wrong, down} {
		if _, err := host.CheckHealth(ctx, ds); err != nil {
			t.Fatal(err)
		}
		if _, err := host.QueryData(ctx, ds, grafanatest.Query{RefID: "A", QueryType: "activity", JSON: `{"limit": 5`},
			grafanatest.Query{RefID: "B", QueryType: "stats", JSON: `{}`}); err != nil {
			t.Fatal(err)
		}
	}
	// The stream of a datasource whose server is down logs each retry.
	runCtx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	host.RunStream(runCtx, down, "stats", func(*data.Frame) error { return nil })
	servetest.Poll(t, "the plugin's reconnect warnings in its log", 10*time.Second, 20*time.Millisecond, func() bool {
		return strings.Contains(logs.String(), "reconnecting")
	})
	for _, secret := range []string{w.tokens["acme/read"], w.tokens["globex/read"], "cc_wrong_secret_token"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the plugin's log holds a token:\n%s", logs.String())
		}
	}
}
