package exporter

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/commandcenter/commandcenter/collector/business"
	"github.com/commandcenter/commandcenter/collector/config"
	"github.com/commandcenter/commandcenter/collector/store"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// discard is a ResponseWriter that counts and keeps nothing, so the
// benchmark measures producing the exposition, not buffering it.
type discard struct {
	h http.Header
	n int64
}

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { d.n += int64(len(p)); return len(p), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkScrape100k scrapes /metrics with 100,000 business series (open
// payments, each with a deadline series) as Prometheus does, asking for
// gzip, and, alternated in the same loop, uncompressed; it reports both,
// their ratio gzip/plain (target <= 1.5) and the compressed body's size
// (target <= 0.8 MB).
func BenchmarkScrape100k(b *testing.B) {
	st, biz := setupBench(b)
	refreshStart := time.Now()
	if err := biz.Refresh(context.Background()); err != nil {
		b.Fatal(err)
	}
	refresh := time.Since(refreshStart)
	reg := prometheus.NewRegistry()
	RegisterOperational(reg, st)
	h := Handler(reg, biz, nil)
	gzipped := httptest.NewRequest("GET", "/metrics", nil)
	gzipped.Header.Set("Accept-Encoding", "gzip")
	plain := httptest.NewRequest("GET", "/metrics", nil)

	var gzipTotal, plainTotal time.Duration
	var gzipBytes int64
	b.ResetTimer()
	for b.Loop() {
		w := &discard{h: http.Header{}}
		t := time.Now()
		h.ServeHTTP(w, gzipped)
		gzipTotal += time.Since(t)
		gzipBytes = w.n
		t = time.Now()
		h.ServeHTTP(&discard{h: http.Header{}}, plain)
		plainTotal += time.Since(t)
	}
	b.StopTimer()
	b.ReportMetric(float64(gzipTotal)/float64(b.N)/1e6, "gzip-ms")
	b.ReportMetric(float64(plainTotal)/float64(b.N)/1e6, "plain-ms")
	b.ReportMetric(float64(gzipTotal)/float64(plainTotal), "gzip/plain")
	b.ReportMetric(float64(gzipBytes)/1e6, "gzip-MB")
	b.ReportMetric(float64(refresh)/1e6, "refresh-ms")
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
			batch.Entities = append(batch.Entities, benchPayment(now, i, "open"))
		}
		if _, err := st.Apply(context.Background(), "bench", &batch); err != nil {
			b.Fatal(err)
		}
	}
	cfg := config.Default().Exporter
	return st, NewBusiness(business.NewReports(st, time.Duration(cfg.UpcomingWindow)), Options{Config: cfg, Now: func() time.Time { return now }})
}

// benchPayment is payment i of the benchmarks' 100,000.
func benchPayment(now time.Time, i int, status string) sdk.Entity {
	return sdk.Entity{Tenant: fmt.Sprintf("tenant-%d", i%5), Type: "payment",
		ID: fmt.Sprintf("pay-%06d", i), Influencer: fmt.Sprintf("inf-%04d", i%3000), Campaign: fmt.Sprintf("cmp-%03d", i%200),
		Status: status, DueAt: now.Add(time.Duration(i) * time.Minute), Amount: &sdk.Money{Minor: int64(i), Currency: "EUR"}}
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
