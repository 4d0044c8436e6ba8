package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/commandcenter/commandcenter/cmd/commandcenter/servetest"
	"github.com/commandcenter/commandcenter/plugins/fakeapi"
)

// agencyAPIs are the fakes of the agency's APIs, loaded with the plugins'
// own test data.
type agencyAPIs struct {
	platform, scraper, performance *fakeapi.Server
}

func startAgencyAPIs(t *testing.T) agencyAPIs {
	t.Helper()
	load := func(endpoints []fakeapi.Endpoint, key, dir string) *fakeapi.Server {
		s := fakeapi.New(endpoints, key)
		t.Cleanup(s.Close)
		if err := s.LoadDir(filepath.Join("../../plugins", dir, "testdata/full/api")); err != nil {
			t.Fatal(err)
		}
		return s
	}
	t.Setenv("PLATFORM_API_KEY", "platform-key")
	t.Setenv("SCRAPER_API_KEY", "scraper-key")
	t.Setenv("PERFORMANCE_API_KEY", "performance-key")
	performance := fakeapi.New(fakeapi.Performance, "performance-key")
	t.Cleanup(performance.Close)
	return agencyAPIs{
		platform:    load(fakeapi.Platform, "platform-key", "platform"),
		scraper:     load(fakeapi.Scraper, "scraper-key", "scraper"),
		performance: performance,
	}
}

func readJSON[T any](t *testing.T, path string) T {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// serve runs the built-in platform, scraper and performance plugins
// against the fake APIs: the open payments, each target's last successful
// run and the views reach /metrics as the input says. When the platform API revokes the key,
// that plugin goes down with "credentials refused" and the scraper runs on.
func TestServeCollectsFromTheAgencyAPIs(t *testing.T) {
	apis := startAgencyAPIs(t)
	cfg := writeFile(t, "c.yml", fmt.Sprintf(`plugins:
  - name: platform
    builtin: platform
    interval: 1s
    config: {api_url: %q, max_retries: -1}
  - name: scraper
    builtin: scraper
    interval: 1s
    config: {api_url: %q, max_retries: -1}
  - name: performance
    builtin: performance
    interval: 1s
    config: {api_url: %q, max_retries: -1}
`, apis.platform.URL, apis.scraper.URL, apis.performance.URL))
	// The performance API's days are recent, so they fall in the window
	// the plugin fetches.
	var views int64
	for i, v := range []int64{1200, 3400, 560} {
		day := time.Now().UTC().AddDate(0, 0, -i-1).Format(time.DateOnly)
		views += v
		apis.performance.Add("/v1/performance_metrics", fmt.Appendf(nil, `{"id": "row-%d", "client_id": "initech", "campaign_id": "cmp-9",
			"platform": "tiktok", "date": %q, "impressions": %d, "views": %d, "clicks": 3, "likes": 4, "comments": 1, "shares": 0,
			"cost": {"minor": 1500, "currency": "EUR"}, "revenue": null}`, i, day, 2*v, v))
	}
	s := servetest.Start(t, binary, "--config", cfg, "--data-dir", t.TempDir())

	// Expected from the input files.
	openPayments := map[string]int{}
	for _, p := range readJSON[[]map[string]any](t, "../../plugins/platform/testdata/full/api/payments.json") {
		if p["status"] == "open" {
			currency := p["amount"].(map[string]any)["currency"].(string)
			openPayments[fmt.Sprintf(`currency=%q,tenant=%q`, currency, p["client_id"])]++
		}
	}
	lastSuccess := map[string]time.Time{}
	for _, r := range readJSON[[]map[string]any](t, "../../plugins/scraper/testdata/full/api/runs.json") {
		at, _ := time.Parse(time.RFC3339, r["finished_at"].(string))
		key := r["client_id"].(string) + "/" + r["target"].(string)
		if r["status"] == "ok" && at.After(lastSuccess[key]) {
			lastSuccess[key] = at
		}
	}
	if len(openPayments) == 0 || len(lastSuccess) == 0 {
		t.Fatal("the test data has no open payment or successful run")
	}

	var body string
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last /metrics:\n%s", body)
		}
	})
	servetest.Poll(t, "both plugins' data on /metrics", 60*time.Second, 250*time.Millisecond, func() bool {
		_, body = s.Get(t, "/metrics", "")
		for labels, n := range openPayments {
			if !strings.Contains(body, fmt.Sprintf(`commandcenter_payments_open{%s} %d`, labels, n)) {
				return false
			}
		}
		for key, at := range lastSuccess {
			tenant, target, _ := strings.Cut(key, "/")
			if metricValue(body, "commandcenter_scraper_last_success_timestamp_seconds", `target="`+target+`",tenant="`+tenant+`"`) != float64(at.Unix()) {
				return false
			}
		}
		return strings.Contains(body, fmt.Sprintf(`commandcenter_platform_views{platform="tiktok",tenant="initech"} %d`, views)) &&
			strings.Contains(body, `commandcenter_plugin_up{plugin="platform"} 1`) && strings.Contains(body, `commandcenter_plugin_up{plugin="scraper"} 1`) &&
			strings.Contains(body, `commandcenter_plugin_up{plugin="performance"} 1`)
	})

	apis.platform.SetKey("rotated")
	servetest.Poll(t, "platform down, the others up", 30*time.Second, 250*time.Millisecond, func() bool {
		_, body := s.Get(t, "/metrics", "")
		return strings.Contains(body, `commandcenter_plugin_up{plugin="platform"} 0`) && strings.Contains(body, `commandcenter_plugin_up{plugin="scraper"} 1`) &&
			strings.Contains(body, `commandcenter_plugin_up{plugin="performance"} 1`)
	})
	if !strings.Contains(s.Logs(), "credentials refused by "+apis.platform.URL+"/v1/campaigns: HTTP 401") {
		t.Fatalf("the log does not say the platform API refused the key:\n%s", s.Logs())
	}
	scraperRequests := len(apis.scraper.Requests())
	servetest.Poll(t, "the scraper keeps collecting", 10*time.Second, 250*time.Millisecond, func() bool {
		return len(apis.scraper.Requests()) > scraperRequests
	})
}

// metricValue is the value of the series name{labels} in an exposition,
// or NaN-like -1 when it is not there.
func metricValue(body, name, labels string) float64 {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name+"{"+labels+"}") + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		return -1
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return -1
	}
	return v
}
