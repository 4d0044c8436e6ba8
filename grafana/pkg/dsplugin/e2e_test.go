package dsplugin_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/grafana/grafana-plugin-sdk-go/experimental"

	"github.com/commandcenter/commandcenter/cmd/commandcenter/servetest"
	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/grafana/pkg/grafanatest"
)

var update = flag.Bool("update", false, "rewrite the golden frame files in testdata/")

// The binaries under test, built once: commandcenter (the server) and the
// datasource plugin, pure Go as it ships.
var ccBin, pluginBin string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "ccdatasource")
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

var ctx = context.Background()

// world is a real commandcenter serve on 127.0.0.1, seeded with the fixed
// data set (testdata/acme.json, testdata/globex.json), and the plugin
// process Grafana would run.
type world struct {
	t       testing.TB
	dataDir string
	addr    string
	// serveArgs are serve's arguments besides its address and data.
	serveArgs []string
	srv       *servetest.Server
	tokens    map[string]string // "<tenant>/<scope>" → secret
	host      *grafanatest.Host
	acme      apiv1.PushRequest
	globex    apiv1.PushRequest
}

func newWorld(t testing.TB) *world { return newWorldWith(t, nil) }

// newWorldWith runs before (when not nil) on the data directory before
// serve starts, which it starts with serveArgs too.
func newWorldWith(t testing.TB, before func(dataDir string), serveArgs ...string) *world {
	t.Helper()
	w := &world{t: t, dataDir: t.TempDir(), tokens: map[string]string{}, serveArgs: serveArgs}
	if before != nil {
		before(w.dataDir)
	}
	for _, key := range []string{"acme/ingest", "acme/read", "acme/admin", "globex/ingest", "globex/read"} {
		tenant, scope, _ := strings.Cut(key, "/")
		out, err := exec.Command(ccBin, "tokens", "create", "--data-dir", w.dataDir, "--tenant", tenant, "--scope", scope).Output()
		if err != nil {
			t.Fatalf("tokens create: %v", err)
		}
		w.tokens[key] = strings.TrimSpace(string(out))
	}
	w.addr = freeAddr(t)
	w.start()
	for _, tenant := range []string{"acme", "globex"} {
		raw, err := os.ReadFile(filepath.Join("testdata", tenant+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var req apiv1.PushRequest
		if err := json.Unmarshal(raw, &req); err != nil {
			t.Fatal(err)
		}
		if tenant == "acme" {
			w.acme = req
		} else {
			w.globex = req
		}
		if _, err := w.api(tenant+"/ingest").PushJSON(ctx, "", raw); err != nil {
			t.Fatalf("seeding %s: %v", tenant, err)
		}
	}
	host, err := grafanatest.Launch(pluginBin, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(host.Kill)
	w.host = host
	return w
}

// start runs serve on the world's address and data.
func (w *world) start() {
	w.srv = servetest.Start(w.t, ccBin, append([]string{"--web.listen-address", w.addr, "--data-dir", w.dataDir}, w.serveArgs...)...)
}

// api is a client of the server as token key.
func (w *world) api(key string) *apiv1.Client {
	c, err := apiv1.New(apiv1.Config{URL: "http://" + w.addr, Token: w.tokens[key]})
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

// ds is the datasource as Grafana would configure it with token key.
func (w *world) ds(key string) grafanatest.Datasource {
	return grafanatest.Datasource{ID: 1, UID: "cc-" + strings.ReplaceAll(key, "/", "-"),
		JSONData: map[string]any{"url": "http://" + w.addr}, Secure: map[string]string{"apiToken": w.tokens[key]},
		Updated: time.Unix(1, 0)}
}

func freeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// The fixed data set's days, and a time range around them as a dashboard
// would send it (not on day boundaries).
var (
	rangeFrom = time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC)
	rangeTo   = time.Date(2026, 11, 7, 18, 0, 0, 0, time.UTC)
)

func TestQueryDataAnswersEveryQueryType(t *testing.T) {
	w := newWorld(t)
	queries := []grafanatest.Query{
		{RefID: "stats", QueryType: "stats", JSON: `{}`},
		{RefID: "activity", QueryType: "activity", JSON: `{"limit": 50}`, From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: rangeTo},
		{RefID: "activity_videos", QueryType: "activity", JSON: `{"kinds": ["video.uploaded", "video.submitted"]}`, From: rangeFrom, To: rangeTo},
		{RefID: "worklist", QueryType: "worklist", JSON: `{}`},
		{RefID: "views_by_platform", QueryType: "performance", JSON: `{"metric": "views", "groupBy": "platform"}`, From: rangeFrom, To: rangeTo},
		{RefID: "cpm_by_platform", QueryType: "performance", JSON: `{"metric": "cpm", "groupBy": "platform"}`, From: rangeFrom, To: rangeTo},
		{RefID: "ctr_by_campaign", QueryType: "performance", JSON: `{"metric": "ctr", "groupBy": "campaign"}`, From: rangeFrom, To: rangeTo},
		{RefID: "roi_cheap_campaigns", QueryType: "performance", JSON: `{"metric": "roi", "groupBy": "campaign", "maxCpm": 13}`, From: rangeFrom, To: rangeTo},
		{RefID: "cost_tiktok", QueryType: "performance", JSON: `{"metric": "cost", "groupBy": "campaign", "platform": "tiktok"}`, From: rangeFrom, To: rangeTo},
		{RefID: "summary_by_campaign", QueryType: "performance", JSON: `{"groupBy": "campaign", "summary": true}`, From: rangeFrom, To: rangeTo},
		{RefID: "open_payments", QueryType: "entities", JSON: `{"entityType": "payment", "statuses": ["open"]}`},
		{RefID: "plugins", QueryType: "plugins", JSON: `{}`},
		{RefID: "variable_campaigns", QueryType: "variable", JSON: `{"resource": "campaigns"}`},
		// Each bad query fails alone.
		{RefID: "malformed", QueryType: "activity", JSON: `{"limit": 5`},
		{RefID: "wrong_type", QueryType: "activity", JSON: `{"kinds": "video.uploaded"}`},
		{RefID: "unknown_type", QueryType: "horoscope", JSON: `{}`},
		{RefID: "unknown_metric", QueryType: "performance", JSON: `{"metric": "vibes"}`},
		{RefID: "bad_status", QueryType: "entities", JSON: `{"entityType": "payment", "statuses": ["lost"]}`},
		{RefID: "bad_multi_platform", QueryType: "performance", JSON: `{"platform": "tiktok\u001fyoutube"}`, From: rangeFrom, To: rangeTo},
		{RefID: "wrong_limit", QueryType: "activity", JSON: `{"limit": 2.5}`},
	}
	resp, err := w.host.QueryData(ctx, w.ds("acme/read"), queries...)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range queries {
		dr, ok := resp.Responses[q.RefID]
		if !ok {
			t.Errorf("%s: no response", q.RefID)
			continue
		}
		bad := strings.HasPrefix(q.RefID, "malformed") || strings.HasPrefix(q.RefID, "wrong_") || strings.HasPrefix(q.RefID, "unknown_") || strings.HasPrefix(q.RefID, "bad_")
		if bad != (dr.Error != nil) {
			t.Errorf("%s: error %v", q.RefID, dr.Error)
		}
		if bad {
			// Errors are checked by message: the SDK's golden writer
			// cannot read back a response without frames.
			if dr.Status != backend.StatusBadRequest || len(dr.Frames) != 0 {
				t.Errorf("%s: status %d with %d frames, want 400 and none", q.RefID, dr.Status, len(dr.Frames))
			}
			continue
		}
		// What depends on when the test runs: when serve stored an
		// entity, how long ago a deadline passed.
		switch q.RefID {
		case "open_payments":
			blank(dr.Frames[0], "updated_at")
		case "worklist":
			blank(dr.Frames[0], "reason")
		}
		experimental.CheckGoldenJSONResponse(t, "testdata", q.RefID, &dr, *update)
	}
	for refID, want := range map[string]string{
		"malformed":          "not valid JSON",
		"wrong_type":         `"kinds" must be a list`,
		"unknown_type":       `unknown query type "horoscope"`,
		"unknown_metric":     `unknown metric "vibes"`,
		"bad_status":         `unknown payment status "lost"`,
		"bad_multi_platform": "platform filters on one value, and a multi-value variable gave it 2 (tiktok, youtube)",
		"wrong_limit":        `"limit" must be a whole number`,
	} {
		if err := resp.Responses[refID].Error; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want it to say %s", refID, err, want)
		}
	}

	// Values recomputed from the data set, not read off the golden files.
	checkPerformance(t, w.acme, resp.Responses["views_by_platform"].Frames[0], "platform", "", views)
	checkPerformance(t, w.acme, resp.Responses["cpm_by_platform"].Frames[0], "platform", "", cpm)
	checkPerformance(t, w.acme, resp.Responses["ctr_by_campaign"].Frames[0], "campaign", "", ctr)
	checkPerformance(t, w.acme, resp.Responses["cost_tiktok"].Frames[0], "campaign", "tiktok", cost)
	checkPerformance(t, campaignsWithCPMAtMost(w.acme, 13), resp.Responses["roi_cheap_campaigns"].Frames[0], "campaign", "", roi)
	checkSummary(t, w.acme, resp.Responses["summary_by_campaign"].Frames[0])
	checkStats(t, w.acme, resp.Responses["stats"].Frames[0])
	checkActivity(t, w.acme, resp.Responses["activity_videos"].Frames[0], []string{"video.uploaded", "video.submitted"})
	// Nothing of globex, anywhere.
	body, _ := json.Marshal(resp)
	for _, secret := range []string{"globex", "snapchat", "999999"} {
		if strings.Contains(string(body), secret) {
			t.Errorf("acme's answers mention %q", secret)
		}
	}
}

// blank zeroes a field whose values depend on when the test ran.
func blank(f *data.Frame, name string) {
	fld, i := f.FieldByName(name)
	if i < 0 {
		panic("no field " + name)
	}
	for j := range fld.Len() {
		fld.SetConcrete(j, reflect.Zero(reflect.TypeOf(fld.At(j))).Interface())
	}
}
