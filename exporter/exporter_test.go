package exporter

import (
	"bytes"
	"compress/flate"
	"context"
	"flag"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/commandcenter/commandcenter/collector/business"
	"github.com/commandcenter/commandcenter/collector/config"
	"github.com/commandcenter/commandcenter/collector/store"
	"github.com/commandcenter/commandcenter/collector/store/storetest"
	"github.com/commandcenter/commandcenter/exporter/metricnames"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// newBusiness is business metrics over st with the default configuration,
// at the fixture's time.
func newBusiness(st *store.Store, reg prometheus.Registerer) *Business {
	cfg := config.Default().Exporter
	return NewBusiness(business.NewReports(st, time.Duration(cfg.UpcomingWindow)),
		Options{Config: cfg, Registerer: reg, Now: func() time.Time { return storetest.Now }})
}

func fixtureBusiness(t *testing.T) (*store.Store, *Business) {
	t.Helper()
	st := storetest.Open(t)
	b := newBusiness(st, nil)
	if err := b.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st, b
}

func TestBusinessMetricsMatchGolden(t *testing.T) {
	_, b := fixtureBusiness(t)
	var buf bytes.Buffer
	b.WritePrometheus(&buf)
	golden := "testdata/business.prom"
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if buf.String() != string(want) {
		t.Fatalf("business metrics differ from %s (run go test ./exporter -update to accept):\n%s", golden, buf.String())
	}
}

func TestPaidPaymentLosesItsDeadlineSeries(t *testing.T) {
	st, b := fixtureBusiness(t)
	const series = `commandcenter_payment_due_timestamp_seconds{campaign="summer",currency="EUR",influencer="luna",payment="pay-soon",tenant="acme"}`
	var before bytes.Buffer
	b.WritePrometheus(&before)
	if !strings.Contains(before.String(), series) {
		t.Fatal("open payment has no deadline series")
	}
	paid := sdk.Batch{Entities: []sdk.Entity{{Tenant: "acme", Type: "payment", ID: "pay-soon", Influencer: "luna", Campaign: "summer",
		Status: "paid", DueAt: storetest.Now.Add(30 * time.Minute), Amount: &sdk.Money{Minor: 120050, Currency: "EUR"}}}}
	if _, err := st.Apply(context.Background(), "fixture", &paid); err != nil {
		t.Fatal(err)
	}
	if err := b.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	var after bytes.Buffer
	b.WritePrometheus(&after)
	if strings.Contains(after.String(), series) {
		t.Fatal("paid payment still has a deadline series")
	}
	if !strings.Contains(after.String(), `commandcenter_payments_open{currency="EUR",tenant="acme"} 1`) {
		t.Fatalf("open payments not recounted:\n%s", after.String())
	}
}

func TestLabelValuesAreEscaped(t *testing.T) {
	f := newFamily("x", "gauge", "h", "tenant")
	f.begin()
	f.setValue(1, "a \"quoted\" \\ name\nline")
	f.end(nil)
	got := familyText(t, f)
	if want := `x{tenant="a \"quoted\" \\ name\nline"} 1`; !strings.Contains(got, want) {
		t.Fatalf("got %q, want a line %q", got, want)
	}
}

// familyText renders f on its own and reads it back uncompressed.
func familyText(t *testing.T, f *family) string {
	t.Helper()
	f.render(newCompressor(flate.DefaultCompression))
	var buf bytes.Buffer
	if err := newExposition(f.segments(nil, false), nil).text.writePlain(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// promtool finds promtool; under CI its absence is a failure, not a skip.
func promtool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool not installed (make test installs Debian's prometheus package)")
		}
		t.Skip("promtool not installed; run make test")
	}
	return path
}

func TestExpositionPassesPromtoolCheckMetrics(t *testing.T) {
	st, b := fixtureBusiness(t)
	reg := prometheus.NewRegistry()
	RegisterOperational(reg, st)
	rec := httptest.NewRecorder()
	Handler(reg, b, nil).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{"commandcenter_store_size_bytes", "commandcenter_build_info", "go_goroutines", "commandcenter_payments_overdue"} {
		if !strings.Contains(body, want) {
			t.Errorf("exposition lacks %s", want)
		}
	}
	cmd := exec.Command(promtool(t), "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}

func TestReadyOnlyAfterFirstRefresh(t *testing.T) {
	st := storetest.Open(t)
	b := newBusiness(st, nil)
	if err := b.Ready(); err == nil {
		t.Fatal("ready before any refresh")
	}
	if err := b.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := b.Ready(); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if err := b.Refresh(context.Background()); err == nil {
		t.Fatal("refresh on a closed store succeeded")
	}
	if err := b.Ready(); err == nil || !strings.Contains(err.Error(), "last refresh failed") {
		t.Fatalf("ready after a failed refresh: %v", err)
	}
}

// A scrape must not wait for a refresh in progress (a refresh of 100k
// series takes a few hundred ms), and the two may run at once without a
// data race (make test runs -race).
func TestScrapeDoesNotWaitForRefresh(t *testing.T) {
	_, b := fixtureBusiness(t)
	b.mu.Lock() // a refresh in progress holds the refresh lock
	done := make(chan string)
	go func() {
		var buf bytes.Buffer
		b.WritePrometheus(&buf)
		done <- buf.String()
	}()
	select {
	case out := <-done:
		b.mu.Unlock()
		if !strings.Contains(out, "# TYPE commandcenter_payments_open gauge") {
			t.Fatalf("scrape during refresh lost series:\n%s", out)
		}
	case <-time.After(2 * time.Second):
		b.mu.Unlock()
		t.Fatal("scrape blocked behind the refresh")
	}
	// Refresh and scrape together, for the race detector.
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				b.WritePrometheus(io.Discard)
			}
		}
	}()
	for range 20 {
		if err := b.Refresh(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
}

// The refresh reports itself per domain, as node_exporter reports each
// collector: a failing refresh says so and keeps the time of the last good
// one, so BusinessMetricsStale can fire.
func TestRefreshReportsItselfPerDomain(t *testing.T) {
	st := storetest.Open(t)
	reg := prometheus.NewRegistry()
	b := newBusiness(st, reg)
	domains := []string{"payments", "videos", "contracts", "campaigns", "scraper"}
	for _, d := range domains {
		if v := testutil.ToFloat64(b.refreshSuccess.WithLabelValues(d)); v != 0 {
			t.Fatalf("%s: success %v before any refresh", d, v)
		}
	}
	if err := b.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := unixSeconds(storetest.Now)
	for _, d := range domains {
		if v := testutil.ToFloat64(b.refreshSuccess.WithLabelValues(d)); v != 1 {
			t.Errorf("%s: success %v after a good refresh", d, v)
		}
		if v := testutil.ToFloat64(b.lastSuccess.WithLabelValues(d)); v != want {
			t.Errorf("%s: last success %v, want %v", d, v, want)
		}
	}
	n, err := testutil.GatherAndCount(reg, metricnames.BusinessRefreshDuration, metricnames.BusinessRefreshSuccess, metricnames.BusinessLastRefreshSuccessTimestamp)
	if err != nil || n != 3*len(domains) {
		t.Fatalf("%d refresh series registered, want %d: %v", n, 3*len(domains), err)
	}

	st.Close()
	if err := b.Refresh(context.Background()); err == nil {
		t.Fatal("refresh on a closed store succeeded")
	}
	for _, d := range domains {
		if v := testutil.ToFloat64(b.refreshSuccess.WithLabelValues(d)); v != 0 {
			t.Errorf("%s: success %v after a failed refresh", d, v)
		}
		if v := testutil.ToFloat64(b.lastSuccess.WithLabelValues(d)); v != want {
			t.Errorf("%s: last success moved to %v on a failed refresh", d, v)
		}
	}
	// The series of the failed refresh keep their last values.
	var buf bytes.Buffer
	b.WritePrometheus(&buf)
	if !strings.Contains(buf.String(), `commandcenter_payments_open{currency="EUR",tenant="acme"} 2`) {
		t.Fatalf("a failed refresh dropped series:\n%s", buf.String())
	}
}
