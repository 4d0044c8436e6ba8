package dashboards_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/commandcenter/commandcenter/cmd/commandcenter/servetest"
	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/dashboards"
	"github.com/commandcenter/commandcenter/grafana/pkg/grafanatest"
	"github.com/commandcenter/commandcenter/grafana/pkg/querymodel"
)

// The binaries under test, built once: commandcenter and the datasource
// plugin's backend.
var ccBin, pluginBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ccdashboards")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		if ccBin, pluginBin, err = grafanatest.BuildAll(dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return m.Run()
	}()
	os.Exit(code)
}

// asTheFrontendSends is a panel's query as the datasource's frontend hands
// it to the backend with every variable at its default: "All" platforms
// and campaigns and an empty CPM cap are no filter.
func asTheFrontendSends(t *testing.T, q map[string]any) grafanatest.Query {
	t.Helper()
	out := map[string]any{}
	for k, v := range q {
		if s, ok := v.(string); ok && strings.HasPrefix(s, "$") {
			continue
		}
		if k != "datasource" {
			out[k] = v
		}
	}
	raw, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	refID, _ := q["refId"].(string)
	queryType, _ := q["queryType"].(string)
	now := time.Now().UTC()
	return grafanatest.Query{RefID: refID, QueryType: queryType, JSON: string(raw), From: now.AddDate(0, 0, -30), To: now}
}

// TestEveryQueryAnswers feeds every commandcenter query of every dashboard
// and of a rendered layout with every widget (panels, annotations,
// variables) through the real plugin backend, over
// gRPC as Grafana does, against a real serve seeded with the datasource
// tests' data set: each must answer frames, and no error.
func TestEveryQueryAnswers(t *testing.T) {
	dataDir := t.TempDir()
	tokens := map[string]string{}
	for _, scope := range []string{"ingest", "read"} {
		out, err := exec.Command(ccBin, "tokens", "create", "--data-dir", dataDir, "--tenant", "acme", "--scope", scope).Output()
		if err != nil {
			t.Fatalf("tokens create: %v", err)
		}
		tokens[scope] = strings.TrimSpace(string(out))
	}
	srv := servetest.Start(t, ccBin, "--data-dir", dataDir)
	raw, err := os.ReadFile(filepath.Join("..", "grafana", "pkg", "dsplugin", "testdata", "acme.json"))
	if err != nil {
		t.Fatal(err)
	}
	ingest, err := apiv1.New(apiv1.Config{URL: srv.Base, Token: tokens["ingest"]})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.PushJSON(context.Background(), "", raw); err != nil {
		t.Fatalf("seeding: %v", err)
	}
	host, err := grafanatest.Launch(pluginBin, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer host.Kill()
	ds := grafanatest.Datasource{ID: 1, UID: "cc-acme", JSONData: map[string]any{"url": srv.Base},
		Secure: map[string]string{"apiToken": tokens["read"]}, Updated: time.Unix(1, 0)}

	asked := 0
	all := dashboards.All()
	// A rendered layout with every widget of the catalog, too.
	all = append(all, dashboards.Dashboard{File: "layout every-widget", Build: func() (dashboard.Dashboard, error) {
		return dashboards.RenderLayout("acme", dashboards.EveryWidget())
	}})
	for _, d := range all {
		db, err := d.Build()
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range commandcenterQueries(t, db) {
			asked++
			query := asTheFrontendSends(t, q)
			resp, err := host.QueryData(context.Background(), ds, query)
			if err != nil {
				t.Fatalf("%s: %s: %v", d.File, query.JSON, err)
			}
			r := resp.Responses[query.RefID]
			if r.Error != nil || len(r.Frames) == 0 {
				t.Errorf("%s: %s %s: error %v, %d frames", d.File, query.QueryType, query.JSON, r.Error, len(r.Frames))
			}
		}
	}
	if asked == 0 {
		t.Fatal("no commandcenter query asked")
	}
	t.Logf("%d queries answered", asked)
	if host.Exited() {
		t.Fatal("the plugin process died")
	}
}

// commandcenterQueries is every query of the commandcenter datasource in a
// dashboard: panel targets, annotation targets and query variables.
func commandcenterQueries(t *testing.T, db dashboard.Dashboard) []map[string]any {
	t.Helper()
	raw, err := dashboards.JSON(db)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Panels []struct {
			Targets []map[string]any `json:"targets"`
		} `json:"panels"`
		Annotations struct {
			List []struct {
				Target map[string]any `json:"target"`
			} `json:"list"`
		} `json:"annotations"`
		Templating struct {
			List []struct {
				Type       string         `json:"type"`
				Query      any            `json:"query"`
				Datasource map[string]any `json:"datasource"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var all []map[string]any
	for _, p := range doc.Panels {
		all = append(all, p.Targets...)
	}
	for _, a := range doc.Annotations.List {
		if a.Target != nil {
			all = append(all, a.Target)
		}
	}
	var out []map[string]any
	for _, q := range all {
		if ds, _ := q["datasource"].(map[string]any); ds["type"] == querymodel.PluginID {
			out = append(out, q)
		}
	}
	for _, v := range doc.Templating.List {
		if q, ok := v.Query.(map[string]any); ok && v.Type == "query" && v.Datasource["type"] == querymodel.PluginID {
			out = append(out, q)
		}
	}
	return out
}
