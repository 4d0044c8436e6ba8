package alertrules

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/commandcenter/commandcenter/cmd/commandcenter/servetest"
	"github.com/commandcenter/commandcenter/collector/store/storetest"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// The loop's timings. The shipped rules are used unchanged; only the
// Alertmanager example's waits are shortened and its business hours made
// always-on, so the test does not depend on the clock or take minutes.
const (
	scrapeInterval = time.Second
	evalInterval   = time.Second
	groupWait      = time.Second
)

// process is a child process whose output is kept for failure reports.
type process struct {
	name string
	cmd  *exec.Cmd
	out  *servetest.LogBuffer
	done chan error
}

func start(t *testing.T, name string, bin string, args ...string) *process {
	t.Helper()
	p := &process{name: name, cmd: exec.Command(bin, args...), out: &servetest.LogBuffer{}, done: make(chan error, 1)}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		if t.Failed() {
			t.Logf("--- %s output:\n%s", name, tail(p.out.String(), 4000))
		}
	})
	return p
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// stop sends SIGTERM and waits for the process to exit.
func (p *process) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		t.Errorf("%s did not exit within 15s of SIGTERM", p.name)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	servetest.Poll(t, what, timeout, 50*time.Millisecond, cond)
}

func httpOK(url string) bool {
	resp, err := http.Get(url)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == 200
}

// notification is one alert in one webhook delivery.
type notification struct {
	receiver string
	status   string
	labels   map[string]string
	at       time.Time
}

// webhook records what Alertmanager delivers, by receiver (the URL path).
type webhook struct {
	mu   sync.Mutex
	got  []notification
	srv  *httptest.Server
	addr string
}

func newWebhook(t *testing.T) *webhook {
	w := &webhook{}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		at := time.Now()
		var msg struct {
			Alerts []struct {
				Status string            `json:"status"`
				Labels map[string]string `json:"labels"`
			} `json:"alerts"`
		}
		if err := json.NewDecoder(r.Body).Decode(&msg); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		w.mu.Lock()
		for _, a := range msg.Alerts {
			w.got = append(w.got, notification{receiver: strings.TrimPrefix(r.URL.Path, "/alerts/"), status: a.Status, labels: a.Labels, at: at})
		}
		w.mu.Unlock()
	}))
	t.Cleanup(w.srv.Close)
	w.addr = strings.TrimPrefix(w.srv.URL, "http://")
	return w
}

// firing is the set "receiver alertname subject" of alerts delivered firing.
func (w *webhook) firing() map[string]time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string]time.Time{}
	for _, n := range w.got {
		if n.status != "firing" {
			continue
		}
		k := n.receiver + " " + n.labels["alertname"] + " " + n.labels["subject"]
		if _, seen := out[k]; !seen {
			out[k] = n.at
		}
	}
	return out
}

func (w *webhook) all() []notification {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]notification(nil), w.got...)
}

func (w *webhook) resolved(alertname, subject string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, n := range w.got {
		if n.status == "resolved" && n.labels["alertname"] == alertname && n.labels["subject"] == subject {
			return true
		}
	}
	return false
}

// alertmanagerConfig is the shipped example with the webhooks pointed at
// the test, short waits, and business hours that never close.
func alertmanagerConfig(t *testing.T, webhookAddr string) []byte {
	t.Helper()
	raw, err := os.ReadFile("alertmanager.yml")
	if err != nil {
		t.Fatal(err)
	}
	raw = bytes.ReplaceAll(raw, []byte("127.0.0.1:9095"), []byte(webhookAddr))
	var cfg map[string]any
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	route := cfg["route"].(map[string]any)
	route["group_wait"] = groupWait.String()
	route["group_interval"] = "1s"
	cfg["time_intervals"] = []any{map[string]any{"name": "business-hours", "time_intervals": []any{map[string]any{}}}}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAlertsEndToEnd(t *testing.T) {
	promBin, amBin := tool(t, "prometheus"), tool(t, "prometheus-alertmanager")
	dir := t.TempDir()

	// commandcenter, built from this checkout.
	cc, err := servetest.Build(dir)
	if err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(dir, "data")
	tokens := map[string]string{}
	for _, tenant := range []string{"acme", "globex"} {
		out, err := exec.Command(cc, "tokens", "create", "--data-dir", dataDir, "--tenant", tenant, "--scope", "ingest").Output()
		if err != nil {
			t.Fatalf("tokens create: %v", err)
		}
		tokens[tenant] = strings.TrimSpace(string(out))
	}
	serve := servetest.Start(t, cc, "--data-dir", dataDir)
	base := serve.Base

	// The data set: the storetest fixture at the current time, plus a
	// scraper target failing for 7 hours, a payment about to fall due, and
	// a review queue over its threshold.
	now := time.Now().UTC()
	edgeDue := now.Add(15 * time.Second).Truncate(time.Second)
	batch := storetest.Batch(now)
	scraper := sdk.EntityRef{Type: sdk.EntityScraperTarget, ID: "instagram-reels"}
	batch.Events = append(batch.Events,
		sdk.Event{Key: "ig-1", Tenant: "acme", Kind: sdk.KindScraperRun, Entity: scraper, OccurredAt: now.Add(-7 * time.Hour), Attrs: []byte(`{"status":"ok"}`)},
		sdk.Event{Key: "ig-2", Tenant: "acme", Kind: sdk.KindScraperRun, Entity: scraper, OccurredAt: now.Add(-time.Hour), Attrs: []byte(`{"status":"failed"}`)},
		sdk.Event{Key: "ig-3", Tenant: "acme", Kind: sdk.KindScraperError, Entity: scraper, OccurredAt: now.Add(-time.Hour)})
	batch.Entities = append(batch.Entities, sdk.Entity{Tenant: "acme", Type: "payment", ID: "pay-edge", Influencer: "luna", Campaign: "summer",
		Status: "open", DueAt: edgeDue, Amount: &sdk.Money{Minor: 10000, Currency: "EUR"}})
	for i := range 9 {
		batch.Entities = append(batch.Entities, sdk.Entity{Tenant: "acme", Type: "video", ID: fmt.Sprintf("v-queue-%d", i), Influencer: "luna",
			Campaign: "summer", Platform: "tiktok", Status: "submitted", StatusSince: now.Add(-2 * time.Hour)})
	}
	for tenant, token := range tokens {
		post(t, base, token, onlyTenant(batch, tenant))
	}

	// Alertmanager with the shipped routing, then Prometheus with the
	// shipped rules.
	hook := newWebhook(t)
	amAddr, promAddr := freeAddr(t), freeAddr(t)
	amConfig := filepath.Join(dir, "alertmanager.yml")
	os.WriteFile(amConfig, alertmanagerConfig(t, hook.addr), 0o644)
	am := start(t, "alertmanager", amBin, "--config.file="+amConfig, "--storage.path="+filepath.Join(dir, "am"),
		"--web.listen-address="+amAddr, "--cluster.listen-address=")
	rules, _ := filepath.Glob(filepath.Join(mustAbs(t, "."), "*.rules.yml"))
	promConfig := filepath.Join(dir, "prometheus.yml")
	os.WriteFile(promConfig, []byte(fmt.Sprintf(`global:
  scrape_interval: %s
  evaluation_interval: %s
rule_files: [%s]
alerting:
  alertmanagers:
    - static_configs: [{targets: ["%s"]}]
scrape_configs:
  - job_name: commandcenter
    static_configs: [{targets: ["%s"]}]
`, scrapeInterval, evalInterval, strings.Join(rules, ", "), amAddr, strings.TrimPrefix(base, "http://"))), 0o644)
	prom := start(t, "prometheus", promBin, "--config.file="+promConfig, "--storage.tsdb.path="+filepath.Join(dir, "prom"),
		"--web.listen-address="+promAddr)
	waitFor(t, "alertmanager ready", 30*time.Second, func() bool { return httpOK("http://" + amAddr + "/-/ready") })
	waitFor(t, "prometheus ready", 30*time.Second, func() bool { return httpOK("http://" + promAddr + "/-/ready") })

	want := []string{
		"finance PaymentDueSoon payment/pay-soon",
		"finance PaymentDueSoon payment/pay-edge",
		"finance-urgent PaymentOverdue payment/pay-late",
		"finance-urgent PaymentOverdue payment/pay-edge",
		"partnerships-urgent ContractExpiringCritical contract/con-luna",
		"partnerships InfluencerSignaturePending contract/con-kai",
		"content VideoReviewQueueStale review-queue-age",
		"ops ScraperStale scraper/instagram-reels",
	}
	waitFor(t, "every expected alert at its receiver", 60*time.Second, func() bool {
		got := hook.firing()
		for _, w := range want {
			if _, ok := got[w]; !ok {
				return false
			}
		}
		return true
	})
	// The deadline crossing: from pay-edge's due time to its delivery.
	latency := hook.firing()["finance-urgent PaymentOverdue payment/pay-edge"].Sub(edgeDue)
	budget := scrapeInterval + evalInterval + groupWait + time.Second
	t.Logf("deadline crossed → webhook: %s (budget %s)", latency.Round(time.Millisecond), budget)
	if latency > budget {
		t.Errorf("alert arrived %s after the deadline, budget %s", latency, budget)
	}

	// Nothing else arrives: give the loop a few more rounds.
	time.Sleep(3 * time.Second)
	var got []string
	for k := range hook.firing() {
		got = append(got, k)
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("delivered alerts\n got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	// Routing matches the labels: <team>-urgent gets criticals, <team> the rest.
	for _, n := range hook.all() {
		team, urgent := strings.CutSuffix(n.receiver, "-urgent")
		if n.labels["team"] != team || (n.labels["severity"] == "critical") != urgent || n.labels["tenant"] != "acme" {
			t.Errorf("alert %v delivered to %s", n.labels, n.receiver)
		}
	}
	// Prometheus asks for OpenMetrics first and gets it: the scrape is
	// healthy and a counter's samples arrive under their _total name.
	if health, lastError := promTarget(t, promAddr); health != "up" || lastError != "" {
		t.Errorf("commandcenter's scrape target: %s, last error %q", health, lastError)
	}
	if n := promQueryCount(t, promAddr, `commandcenter_scraper_runs_total{tenant="acme"}`); n == 0 {
		t.Error("Prometheus has no commandcenter_scraper_runs_total series")
	}
	// Alerts with a `for` longer than the test are pending in Prometheus.
	pending := promPending(t, promAddr)
	for _, p := range []string{"VideoReviewQueueLarge", "CampaignCPMAboveTarget"} {
		if !pending[p] {
			t.Errorf("%s is not pending in Prometheus (pending: %v)", p, pending)
		}
	}

	// Paying the overdue payment through the push API resolves its alert.
	post(t, base, tokens["acme"], sdk.Batch{Entities: []sdk.Entity{{Tenant: "acme", Type: "payment", ID: "pay-late", Influencer: "luna",
		Campaign: "winter", Status: "paid", Amount: &sdk.Money{Minor: 45000, Currency: "EUR"}}}})
	waitFor(t, "PaymentOverdue for pay-late resolved at the webhook", 30*time.Second, func() bool {
		return hook.resolved("PaymentOverdue", "payment/pay-late")
	})

	// Every process stops.
	for _, p := range []*process{prom, am} {
		p.stop(t)
	}
	serve.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-serve.Done:
	case <-time.After(15 * time.Second):
		t.Error("commandcenter did not exit within 15s of SIGTERM")
	}
	for _, addr := range []string{promAddr, amAddr, strings.TrimPrefix(base, "http://")} {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after shutdown", addr)
		}
	}
}

func mustAbs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// onlyTenant keeps the items of one tenant: a token writes only its own.
func onlyTenant(b sdk.Batch, tenant string) sdk.Batch {
	var out sdk.Batch
	for _, e := range b.Events {
		if e.Tenant == tenant {
			out.Events = append(out.Events, e)
		}
	}
	for _, e := range b.Entities {
		if e.Tenant == tenant {
			out.Entities = append(out.Entities, e)
		}
	}
	for _, m := range b.DailyMetrics {
		if m.Tenant == tenant {
			out.DailyMetrics = append(out.DailyMetrics, m)
		}
	}
	return out
}

func post(t *testing.T, base, token string, b sdk.Batch) {
	t.Helper()
	body, _ := json.Marshal(b)
	req, _ := http.NewRequest("POST", base+"/api/v1/events", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		msg, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST events: %d %s", resp.StatusCode, msg)
	}
}

// promPending lists the alert names Prometheus holds as pending.
func promPending(t *testing.T, addr string) map[string]bool {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/api/v1/alerts")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Data struct {
			Alerts []struct {
				State  string            `json:"state"`
				Labels map[string]string `json:"labels"`
			} `json:"alerts"`
		} `json:"data"`
	}
	json.NewDecoder(resp.Body).Decode(&body)
	out := map[string]bool{}
	for _, a := range body.Data.Alerts {
		if a.State == "pending" {
			out[a.Labels["alertname"]] = true
		}
	}
	return out
}

// promTarget is the health and last scrape error of Prometheus's only
// target.
func promTarget(t *testing.T, addr string) (health, lastError string) {
	t.Helper()
	var body struct {
		Data struct {
			ActiveTargets []struct {
				Health    string `json:"health"`
				LastError string `json:"lastError"`
			} `json:"activeTargets"`
		} `json:"data"`
	}
	promGet(t, addr, "/api/v1/targets", &body)
	if len(body.Data.ActiveTargets) != 1 {
		t.Fatalf("%d scrape targets, want commandcenter alone", len(body.Data.ActiveTargets))
	}
	return body.Data.ActiveTargets[0].Health, body.Data.ActiveTargets[0].LastError
}

// promQueryCount is how many series an instant query returns.
func promQueryCount(t *testing.T, addr, query string) int {
	t.Helper()
	var body struct {
		Data struct {
			Result []json.RawMessage `json:"result"`
		} `json:"data"`
	}
	promGet(t, addr, "/api/v1/query?query="+url.QueryEscape(query), &body)
	return len(body.Data.Result)
}

func promGet(t *testing.T, addr, path string, out any) {
	t.Helper()
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}
