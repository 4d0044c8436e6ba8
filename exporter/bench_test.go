package exporter

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/commandcenter/commandcenter/collector/business"
	"github.com/commandcenter/commandcenter/collector/config"
	"github.com/commandcenter/commandcenter/collector/store"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// discard is a ResponseWriter that keeps nothing, so the benchmark measures
// producing the exposition, not buffering it.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkScrape100k scrapes /metrics with 100,000 business series (open
// payments, each with a deadline series) and, in the same run, writes the
// same series from a plain VictoriaMetrics Set; it reports both and their
// ratio.
func BenchmarkScrape100k(b *testing.B) {
	st, biz := setupBench(b)
	refreshStart := time.Now()
	if err := biz.Refresh(context.Background()); err != nil {
		b.Fatal(err)
	}
	refresh := time.Since(refreshStart)
	benchScrape(b, st, biz, refresh)
}

// setupBench stores 100,000 open payments, each one deadline series.
func setupBench(b testing.TB) (*store.Store, *Business) {
	const n = 100_000
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	st, err := store.Open(filepath.Join(b.TempDir(), "bench.db"), store.Options{Rules: business.NewDerivations(), Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	for start := 0; start < n; start += 10_000 {
		var batch sdk.Batch
		for i := start; i < start+10_000; i++ {
			batch.Entities = append(batch.Entities, sdk.Entity{Tenant: fmt.Sprintf("tenant-%d", i%5), Type: "payment",
				ID: fmt.Sprintf("pay-%06d", i), Influencer: fmt.Sprintf("inf-%04d", i%3000), Campaign: fmt.Sprintf("cmp-%03d", i%200),
				Status: "open", DueAt: now.Add(time.Duration(i) * time.Minute), Amount: &sdk.Money{Minor: int64(i), Currency: "EUR"}})
		}
		if _, err := st.Apply(context.Background(), "bench", &batch); err != nil {
			b.Fatal(err)
		}
	}
	cfg := config.Default().Exporter
	return st, NewBusiness(business.NewReports(st, time.Duration(cfg.UpcomingWindow)), Options{Config: cfg, Now: func() time.Time { return now }})
}

func benchScrape(b *testing.B, st *store.Store, biz *Business, refresh time.Duration) {

	raw := metrics.NewSet()
	for name := range biz.f.paymentDue.live {
		raw.GetOrCreateGauge(name, nil).Set(1.795e9)
	}
	reg := prometheus.NewRegistry()
	RegisterOperational(reg, st)
	h := Handler(reg, biz, nil)
	req := httptest.NewRequest("GET", "/metrics", nil)
	w := &discard{h: http.Header{}}

	var rawTotal time.Duration
	b.ResetTimer()
	for b.Loop() {
		h.ServeHTTP(w, req)
		t := time.Now()
		raw.WritePrometheus(io.Discard)
		rawTotal += time.Since(t)
	}
	b.StopTimer()
	scrape := float64(b.Elapsed()-rawTotal) / float64(b.N)
	rawPer := float64(rawTotal) / float64(b.N)
	b.ReportMetric(scrape/1e6, "scrape-ms")
	b.ReportMetric(rawPer/1e6, "raw-set-ms")
	b.ReportMetric(scrape/rawPer, "scrape/raw")
	b.ReportMetric(float64(refresh)/1e6, "refresh-ms")
}

// BenchmarkRefresh100k recomputes the business metrics of 100,000 open
// payments from the store.
func BenchmarkRefresh100k(b *testing.B) {
	_, biz := setupBench(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := biz.Refresh(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
