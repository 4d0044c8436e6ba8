package exporter

import (
	"bufio"
	"compress/gzip"
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
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
// OpenMetrics and gzip, and, alternated in the same loop, uncompressed in
// the text format (as curl does); it reports both,
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
	gzipped.Header.Set("Accept", prometheusAccept)
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
// payments from the store, and, alternated in the same loop, the same two
// aggregates as raw SQL on the same file (each open payment's deadline
// and labels, and the open payments' count, amount and overdue count per
// tenant and currency); it reports refresh/raw (target <= 1.0).
func BenchmarkRefresh100k(b *testing.B) {
	st, biz := setupBench(b)
	ctx := context.Background()
	if err := biz.Refresh(ctx); err != nil { // the first renders every chunk
		b.Fatal(err)
	}
	db, err := sql.Open("sqlite3", "file:"+st.Path()+"?mode=ro&_query_only=1")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	var refresh, raw time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t := time.Now()
		if err := biz.Refresh(ctx); err != nil {
			b.Fatal(err)
		}
		refresh += time.Since(t)
		t = time.Now()
		if n := rawPaymentAggregates(b, db, now); n != 100_000 {
			b.Fatalf("raw SQL read %d payments", n)
		}
		raw += time.Since(t)
	}
	b.ReportMetric(float64(refresh)/float64(b.N)/1e6, "refresh-ms")
	b.ReportMetric(float64(raw)/float64(b.N)/1e6, "raw-sql-ms")
	b.ReportMetric(float64(refresh)/float64(raw), "refresh/raw")
}

// rawPaymentAggregates reads what the payment families show with nothing
// but SQL and database/sql; it returns how many payments it read.
func rawPaymentAggregates(b *testing.B, db *sql.DB, now time.Time) int {
	rows, err := db.Query(`SELECT tenant, id, influencer, campaign, currency, due_at FROM entities
		WHERE type = 'payment' AND status = 'open' AND amount_minor IS NOT NULL AND due_at IS NOT NULL`)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var tenant, id, influencer, campaign, currency string
		var due int64
		if err := rows.Scan(&tenant, &id, &influencer, &campaign, &currency, &due); err != nil {
			b.Fatal(err)
		}
		n++
	}
	rows.Close()
	sums, err := db.Query(`SELECT tenant, currency, count(*), sum(amount_minor), sum(due_at < ?) FROM entities
		WHERE type = 'payment' AND status = 'open' AND amount_minor IS NOT NULL GROUP BY tenant, currency`, now.UnixMilli())
	if err != nil {
		b.Fatal(err)
	}
	for sums.Next() {
		var tenant, currency string
		var open, amount, overdue int64
		if err := sums.Scan(&tenant, &currency, &open, &amount, &overdue); err != nil {
			b.Fatal(err)
		}
	}
	sums.Close()
	return n
}

// BenchmarkChangeVisible marks one of 100,000 open payments paid, 100
// times, with the exporter running as serve runs it, and measures from
// the batch's commit until a gzip scrape over HTTP shows the tenant's open
// payments one fewer; it reports the 50th and 99th percentiles (target:
// p99 <= 100 ms).
func BenchmarkChangeVisible(b *testing.B) {
	st, biz := setupBench(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := biz.Refresh(ctx); err != nil {
		b.Fatal(err)
	}
	go biz.Run(ctx)
	srv := httptest.NewServer(Handler(prometheus.NewRegistry(), biz, nil))
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	open := map[string]int{}
	for i := range 100_000 {
		open[benchPayment(now, i, "open").Tenant]++
	}
	var latencies []time.Duration
	paid := 0
	for b.Loop() {
		for range 100 {
			pay := benchPayment(now, paid*997%100_000, "paid")
			paid++
			if _, err := st.Apply(ctx, "bench", &sdk.Batch{Entities: []sdk.Entity{pay}}); err != nil {
				b.Fatal(err)
			}
			committed := time.Now()
			open[pay.Tenant]--
			want := fmt.Sprintf(`commandcenter_payments_open{currency="EUR",tenant=%q} %d`, pay.Tenant, open[pay.Tenant])
			for !scrapeShows(b, client, srv.URL, want) {
				if time.Since(committed) > 10*time.Second {
					b.Fatalf("%s not scraped within 10 s", want)
				}
			}
			latencies = append(latencies, time.Since(committed))
		}
	}
	slices.Sort(latencies)
	b.ReportMetric(float64(latencies[len(latencies)/2])/1e6, "p50-ms")
	b.ReportMetric(float64(latencies[len(latencies)*99/100])/1e6, "p99-ms")
}

// scrapeShows scrapes url as Prometheus does (gzip) and reads until the
// payment families end, looking for the line want.
func scrapeShows(b *testing.B, client *http.Client, url, want string) bool {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		b.Fatal(err)
	}
	lines := bufio.NewScanner(zr)
	for lines.Scan() {
		switch line := lines.Text(); {
		case line == want:
			return true
		case strings.HasPrefix(line, "# HELP commandcenter_videos"):
			return false // past the payments
		}
	}
	return false
}
