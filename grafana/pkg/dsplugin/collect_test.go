package dsplugin_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/commandcenter/commandcenter/cmd/commandcenter/servetest"
	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/grafana/pkg/dsplugin"
	"github.com/commandcenter/commandcenter/grafana/pkg/grafanatest"
)

// exampleBin builds plugins/example (a source plugin that tails a
// JSON-lines file of events) once, beside the binaries under test.
var exampleBin = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(filepath.Dir(ccBin), "example")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = filepath.Join("..", "..", "..", "plugins", "example")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the example plugin: %v\n%s", err, out)
	}
	return bin, nil
})

// newCollectWorld is a world whose serve runs the example plugin, named
// "example", on the file of events it returns, once an hour: after its
// first run, at start (the file is empty then), the runs are the ones the
// test asks for.
func newCollectWorld(t *testing.T) (*world, string) {
	t.Helper()
	bin, err := exampleBin()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	events := filepath.Join(dir, "events.jsonl")
	cfg := filepath.Join(dir, "commandcenter.yml")
	if err := os.WriteFile(events, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	yml := fmt.Sprintf("plugins:\n  - name: example\n    path: %q\n    interval: 1h\n    config:\n      path: %q\n", bin, events)
	if err := os.WriteFile(cfg, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	w := newWorldWith(t, nil, "--config", cfg)
	reader := w.api("acme/read")
	servetest.Poll(t, "the example plugin's first run to end", 30*time.Second, 20*time.Millisecond, func() bool {
		r, err := reader.Plugins(ctx)
		return err == nil && len(r.Plugins) == 1 && r.Plugins[0].LastRun != nil
	})
	return w, events
}

// appendEvents appends n events of tenant to the file, keyed from prefix.
func appendEvents(t *testing.T, file, tenant, prefix string, n int) {
	t.Helper()
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"key": "%s-%d", "tenant": %q, "kind": "contract.signed", "entity": {"type": "contract", "id": "ctr-%d"}, "occurred_at": "2026-11-11T09:0%d:00Z"}`+"\n",
			prefix, i, tenant, i, i%10)
	}
	appendLines(t, file, b.String())
}

func appendLines(t *testing.T, file, lines string) {
	t.Helper()
	f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(lines); err != nil {
		t.Fatal(err)
	}
}

// callResource makes a resource call that must answer status.
func callResource(t *testing.T, w *world, ds grafanatest.Datasource, method, path string, status int) *backend.CallResourceResponse {
	t.Helper()
	r, err := w.host.CallResource(ctx, ds, method, path)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if r.Status != status {
		t.Fatalf("%s %s: status %d (%s), want %d", method, path, r.Status, r.Body, status)
	}
	return r
}

func decodeRun(t *testing.T, r *backend.CallResourceResponse) apiv1.CollectRun {
	t.Helper()
	var run apiv1.CollectRun
	if err := json.Unmarshal(r.Body, &run); err != nil || run.ID == "" {
		t.Fatalf("run %s: %v", r.Body, err)
	}
	return run
}

// resourceError is the message of a failed resource call.
func resourceError(t *testing.T, r *backend.CallResourceResponse) string {
	t.Helper()
	var body struct{ Error string }
	if err := json.Unmarshal(r.Body, &body); err != nil || body.Error == "" {
		t.Fatalf("error body %s: %v", r.Body, err)
	}
	return body.Error
}

// collect asks for a run through ds and follows it through the datasource
// until it ends.
func collect(t *testing.T, w *world, ds grafanatest.Datasource) apiv1.CollectRun {
	t.Helper()
	r := callResource(t, w, ds, "POST", "plugins/example/collect", 202)
	if ct := r.Headers["Content-Type"]; len(ct) != 1 || ct[0] != "application/json" {
		t.Errorf("Content-Type %v", ct)
	}
	run := decodeRun(t, r)
	if run.Plugin != "example" || run.Trigger != apiv1.TriggerManual || (run.State != apiv1.RunQueued && run.State != apiv1.RunRunning) {
		t.Errorf("collect now answered %+v", run)
	}
	servetest.Poll(t, "the run to end", 30*time.Second, 20*time.Millisecond, func() bool {
		run = decodeRun(t, callResource(t, w, ds, "GET", "plugins/example/runs/"+run.ID, 200))
		return run.Done()
	})
	return run
}

// lastRunColumns are the plugins frame's last run fields of its one row.
func lastRunColumns(t *testing.T, f *data.Frame, row int) (state, trigger, errMsg *string, finished *time.Time, items *int64) {
	t.Helper()
	at := func(name string) any {
		fld, i := f.FieldByName(name)
		if i < 0 {
			t.Fatalf("the plugins frame has no field %s", name)
		}
		return fld.At(row)
	}
	return at("last_run_state").(*string), at("last_run_trigger").(*string), at("last_run_error").(*string),
		at("last_run_finished_at").(*time.Time), at("last_run_items").(*int64)
}

// checkLastRun checks a plugins frame's row shows run.
func checkLastRun(t *testing.T, f *data.Frame, row int, run *apiv1.CollectRun) {
	t.Helper()
	state, trigger, errMsg, finished, items := lastRunColumns(t, f, row)
	if run == nil {
		if state != nil || trigger != nil || errMsg != nil || finished != nil || items != nil {
			t.Errorf("row %d: last run %v %v %v %v %v, want all null", row, state, trigger, errMsg, finished, items)
		}
		return
	}
	if state == nil || *state != run.State || trigger == nil || *trigger != run.Trigger || items == nil || *items != int64(run.Items) {
		t.Errorf("row %d: last run %v %v, %v items, want %s %s, %d items", row, orNull(state), orNull(trigger), orNull(items), run.State, run.Trigger, run.Items)
	}
	if (finished == nil) != (run.FinishedAt == nil) || finished != nil && !finished.Equal(*run.FinishedAt) {
		t.Errorf("row %d: last run finished %v, want %v", row, orNull(finished), orNull(run.FinishedAt))
	}
	if (errMsg == nil) != (run.Error == "") || errMsg != nil && *errMsg != run.Error {
		t.Errorf("row %d: last run error %v, want %q", row, orNull(errMsg), run.Error)
	}
}

// orNull is *p, or "null".
func orNull[T any](p *T) any {
	if p == nil {
		return "null"
	}
	return *p
}

func TestCollectNowRunsAndThePluginsFrameShowsTheRun(t *testing.T) {
	w, events := newCollectWorld(t)
	admin, reader := w.ds("acme/admin"), w.ds("acme/read")
	pluginsFrame := func() *data.Frame {
		t.Helper()
		resp, err := w.host.QueryData(ctx, reader, grafanatest.Query{RefID: "plugins", QueryType: "plugins", JSON: `{}`})
		if err != nil || resp.Responses["plugins"].Error != nil {
			t.Fatalf("plugins query: %v %v", err, resp.Responses["plugins"].Error)
		}
		return resp.Responses["plugins"].Frames[0]
	}

	appendEvents(t, events, "acme", "a", 3)
	appendEvents(t, events, "globex", "g", 2)
	run := collect(t, w, admin)
	if run.State != apiv1.RunSucceeded || run.Items != 3 || run.Batches != 1 || run.Error != "" {
		t.Errorf("run %+v, want succeeded with acme's 3 items in 1 batch", run)
	}
	// A run is read with a read token too, and each tenant sees its own
	// counts only; the API answers the same.
	if g := decodeRun(t, callResource(t, w, w.ds("globex/read"), "GET", "plugins/example/runs/"+run.ID, 200)); g.Items != 2 {
		t.Errorf("globex sees %d items, want 2", g.Items)
	}
	api, err := w.api("acme/read").CollectRun(ctx, "example", run.ID)
	if err != nil || api.Items != run.Items || api.State != run.State || !api.FinishedAt.Equal(*run.FinishedAt) {
		t.Errorf("the API's run %+v (%v), the datasource's %+v", api, err, run)
	}
	checkLastRun(t, pluginsFrame(), 0, &run)

	// A line that is not JSON fails the next run, which stores nothing.
	appendLines(t, events, "not an event\n")
	failed := collect(t, w, admin)
	if failed.ID == run.ID || failed.State != apiv1.RunFailed || failed.Items != 0 || !strings.Contains(failed.Error, "events.jsonl") {
		t.Errorf("run %+v, want a new one failed on events.jsonl", failed)
	}
	checkLastRun(t, pluginsFrame(), 0, &failed)
}

func TestCollectNowRefusesWhatItShould(t *testing.T) {
	w, _ := newCollectWorld(t)
	admin, reader := w.ds("acme/admin"), w.ds("acme/read")
	viewer := w.ds("acme/admin")
	viewer.Role = "Viewer"
	run := collect(t, w, admin)

	long := strings.Repeat("a", 65)
	cases := []struct {
		name         string
		ds           grafanatest.Datasource
		method, path string
		status       int
		want         []string
		allow        string
	}{
		{"a read token", reader, "POST", "plugins/example/collect", 403, []string{"needs the admin scope", "--scope admin"}, ""},
		{"a Grafana Viewer", viewer, "POST", "plugins/example/collect", 403, []string{"Editors and Admins"}, ""},
		{"an unknown plugin", admin, "POST", "plugins/nope/collect", 404, []string{`no plugin "nope"`}, ""},
		{"an unknown plugin's run", reader, "GET", "plugins/nope/runs/" + run.ID, 404, []string{`no plugin "nope"`}, ""},
		{"an unknown run", reader, "GET", "plugins/example/runs/000000000000", 404, []string{`"example" has no recent run "000000000000"`}, ""},
		{"no name", admin, "POST", "plugins//collect", 400, []string{"plugin name is empty"}, ""},
		{"an escaped slash", admin, "POST", "plugins/a%2Fb/collect", 400, []string{`"a/b" contains a slash`}, ""},
		{"a slash", admin, "POST", "plugins/a/b/collect", 400, []string{`"a/b" contains a slash`}, ""},
		{"dot dot", admin, "POST", "plugins/../collect", 400, []string{`".." may hold only`}, ""},
		{"a control character", admin, "POST", "plugins/a%0Ab/collect", 400, []string{`"a\nb" may hold only`}, ""},
		{"a long name", admin, "POST", "plugins/" + long + "/collect", 400, []string{"65 bytes long, at most 64"}, ""},
		{"a run id with a slash", reader, "GET", "plugins/example/runs/a%2Fb", 400, []string{`run id "a/b" contains a slash`}, ""},
		{"a long run id", reader, "GET", "plugins/example/runs/" + long, 400, []string{"run id is 65 bytes long"}, ""},
		{"neither call", reader, "GET", "plugins/example", 404, []string{"POST plugins/<name>/collect and GET plugins/<name>/runs/<id>"}, ""},
		{"GET of collect", admin, "GET", "plugins/example/collect", 405, []string{"started with POST", "not GET"}, "POST"},
		{"POST of a run", admin, "POST", "plugins/example/runs/" + run.ID, 405, []string{"read with GET", "not POST"}, "GET"},
		{"DELETE of a list", reader, "DELETE", "platforms", 405, []string{"read with GET"}, "GET"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := callResource(t, w, c.ds, c.method, c.path, c.status)
			msg := resourceError(t, r)
			for _, want := range c.want {
				if !strings.Contains(msg, want) {
					t.Errorf("%q does not say %q", msg, want)
				}
			}
			if allow := r.Headers["Allow"]; c.allow != "" && (len(allow) != 1 || allow[0] != c.allow) {
				t.Errorf("Allow %v, want %s", allow, c.allow)
			}
		})
	}

	// Asked too often (3 at once, then one per 10 s), the plugin refuses:
	// 429 with Retry-After, in the header and the body.
	for i := 0; ; i++ {
		r, err := w.host.CallResource(ctx, admin, "POST", "plugins/example/collect")
		if err != nil {
			t.Fatal(err)
		}
		if r.Status == 202 {
			if i == 5 {
				t.Fatal("still no 429 after 6 runs asked for")
			}
			run := decodeRun(t, r)
			servetest.Poll(t, "the run to end", 30*time.Second, 20*time.Millisecond, func() bool {
				run = decodeRun(t, callResource(t, w, admin, "GET", "plugins/example/runs/"+run.ID, 200))
				return run.Done()
			})
			continue
		}
		if r.Status != 429 {
			t.Fatalf("status %d (%s), want 202 or 429", r.Status, r.Body)
		}
		var body struct {
			Error      string
			RetryAfter int
		}
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Fatal(err)
		}
		header := r.Headers["Retry-After"]
		secs, err := strconv.Atoi(strings.Join(header, ""))
		if err != nil || secs < 1 || secs > 10 || body.RetryAfter != secs {
			t.Errorf("Retry-After %v, body's retryAfter %d", header, body.RetryAfter)
		}
		if want := fmt.Sprintf(`"example" was asked to collect too often: try again in %d s`, secs); !strings.Contains(body.Error, want) {
			t.Errorf("%q does not say %q", body.Error, want)
		}
		break
	}
	// The list resources still answer.
	if opts := decodeOptions(t, callResource(t, w, reader, "GET", "tenants", 200).Body); len(opts) != 1 || opts[0].Value != "acme" {
		t.Errorf("tenants %v", opts)
	}
}

// TestPluginsFrameShowsTheLastRun builds the plugins frame from plugins
// that never ran, succeeded and failed: each last run column holds the
// input's value, null where there is none.
func TestPluginsFrameShowsTheLastRun(t *testing.T) {
	finished := time.Date(2026, 11, 20, 9, 30, 0, 0, time.FixedZone("CET", 3600))
	plugins := []apiv1.PluginStatus{
		{Name: "fresh", Up: true},
		{Name: "platform", Up: true, LastRun: &apiv1.CollectRun{ID: "a1", Plugin: "platform", Trigger: apiv1.TriggerSchedule,
			State: apiv1.RunSucceeded, FinishedAt: &finished, Batches: 2, Items: 1500}},
		{Name: "scraper", LastRun: &apiv1.CollectRun{ID: "b2", Plugin: "scraper", Trigger: apiv1.TriggerManual,
			State: apiv1.RunFailed, FinishedAt: &finished, Error: "scraper API: 401 unauthenticated"}},
	}
	f := dsplugin.PluginsFrame(plugins)
	if f.Rows() != len(plugins) {
		t.Fatalf("%d rows, want %d", f.Rows(), len(plugins))
	}
	for i, p := range plugins {
		checkLastRun(t, f, i, p.LastRun)
	}
	for name, display := range map[string]string{"last_run_state": "Last run", "last_run_trigger": "Last run trigger",
		"last_run_finished_at": "Last run finished", "last_run_items": "Last run items", "last_run_error": "Last run error"} {
		if fld, _ := f.FieldByName(name); fld.Config == nil || fld.Config.DisplayNameFromDS != display {
			t.Errorf("%s is shown as %+v, want %q", name, fld.Config, display)
		}
	}
	// Times are UTC, as the frame's other times.
	if _, _, _, at, _ := lastRunColumns(t, f, 1); at.Location() != time.UTC {
		t.Errorf("last run finished in %v, want UTC", at.Location())
	}
}
