package collector

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"

	"github.com/commandcenter/commandcenter/collector/config"
	"github.com/commandcenter/commandcenter/collector/internal/benchraw"
	"github.com/commandcenter/commandcenter/collector/store"
	"github.com/commandcenter/commandcenter/plugins/fakeapi"
	"github.com/commandcenter/commandcenter/plugins/platform"
)

// BenchmarkIngestThroughPlugin streams events from a real plugin child
// process over gRPC into SQLite, batch and cursor per transaction, exactly
// as serve does; one op is one Collect of 100,000 events into a fresh store.
// In the same loop it measures the limit: the same events inserted raw into
// a fresh store's events table (same schema and indexes, WAL, 1,000-row
// transactions, one prepared INSERT … ON CONFLICT DO NOTHING), and reports
// plugin/raw. Target: plugin/raw >= 0.85.
func BenchmarkIngestThroughPlugin(b *testing.B) {
	const events, batch = 100_000, 1000
	cfg := testSource("bench", map[string]any{"events": events, "batch": batch})
	cfg.Timeout = model.Duration(5 * time.Minute)
	var raw time.Duration
	total := timeCollects(b, cfg, func(ctx context.Context, st *store.Store) {
		if c, _ := st.Cursor(ctx, "bench"); c != "100000" {
			b.Fatalf("cursor %q after collect", c)
		}
		raw += benchraw.Insert(b, "bench", benchraw.Events(1, events), batch)
	})
	perSecond := float64(events) * float64(b.N) / total.Seconds()
	rawPerSecond := float64(events) * float64(b.N) / raw.Seconds()
	b.ReportMetric(perSecond, "events/s")
	b.ReportMetric(rawPerSecond, "raw-events/s")
	b.ReportMetric(perSecond/rawPerSecond, "plugin/raw")
}

// BenchmarkPlatformPull pulls 100,000 platform records (20,000 of each
// listing, 1,000 a page) from the fake platform API through the built-in
// platform plugin, over gRPC, into a fresh store: entities and the events
// their timestamps stand for, batch and cursor per transaction, as serve
// does. Target: >= 20,000 entities/s.
func BenchmarkPlatformPull(b *testing.B) {
	const perListing = 20_000
	api := fakeapi.New(fakeapi.Platform, "bench-key")
	defer api.Close()
	events := 0
	for _, e := range fakeapi.Platform {
		records := make([]json.RawMessage, perListing)
		for i := range records {
			records[i], events = platformRecord(e.Path, i), events+2
		}
		if err := api.Add(e.Path, records...); err != nil {
			b.Fatal(err)
		}
	}
	b.Setenv("PLATFORM_API_KEY", "bench-key")
	cfg := config.Plugin{Name: "platform", Builtin: "platform", Config: map[string]any{"api_url": api.URL, "rate_limit": 10000},
		Interval: model.Duration(time.Hour), Timeout: model.Duration(5 * time.Minute)}
	total := timeCollects(b, cfg, func(ctx context.Context, st *store.Store) {
		raw, _ := st.Cursor(ctx, "platform")
		var cur platform.Cursor
		if err := json.Unmarshal([]byte(raw), &cur); err != nil || len(cur.Listings) != 5 {
			b.Fatalf("cursor %q after the pull: %v", raw, err)
		}
		for name, place := range cur.Listings {
			if place.PageToken != "" || place.Since.IsZero() {
				b.Fatalf("listing %s not pulled to its end: %+v", name, place)
			}
		}
	})
	b.ReportMetric(float64(5*perListing)*float64(b.N)/total.Seconds(), "entities/s")
	b.ReportMetric(float64(events)*float64(b.N)/total.Seconds(), "events/s")
}

// platformRecord is record i of a platform listing, with two timestamps
// that become events.
func platformRecord(path string, i int) json.RawMessage {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute).Format(time.RFC3339)
	tenant := []string{"acme", "globex", "initech"}[i%3]
	common := fmt.Sprintf(`"id": "r-%d", "client_id": %q, "updated_at": %q, "created_at": %q, "campaign_id": "cmp-%d", "influencer_id": "inf-%d"`,
		i, tenant, at, at, i%40, i%500)
	var rest string
	switch path {
	case "/v1/campaigns":
		rest = fmt.Sprintf(`"name": "Campaign %d", "status": "active", "started_at": %q, "ends_at": "2027-01-01T00:00:00Z"`, i, at)
	case "/v1/influencers":
		rest = fmt.Sprintf(`"name": "@creator%d", "platform": "tiktok", "status": "active", "signed_up_at": %q`, i, at)
	case "/v1/contracts":
		rest = fmt.Sprintf(`"status": "signed", "sent_at": %q, "signed_at": %q, "expires_at": "2027-01-01T00:00:00Z", "amount": {"minor": 150000, "currency": "EUR"}`, at, at)
	case "/v1/payments":
		rest = fmt.Sprintf(`"status": "paid", "amount": {"minor": 50000, "currency": "EUR"}, "due_at": %q, "paid_at": %q`, at, at)
	default:
		rest = fmt.Sprintf(`"platform": "instagram", "title": "Video %d", "status": "uploaded", "scheduled_for": %q, "uploaded_at": %q`, i, at, at)
	}
	return json.RawMessage("{" + common + ", " + rest + "}")
}

// BenchmarkCSVImport1M imports a 1,000,000-row performance export through
// the built-in performance plugin, over gRPC, into a fresh store, daily
// rollups and campaign totals included, as serve does. Target: <= 30 s.
func BenchmarkCSVImport1M(b *testing.B) {
	rows := 1_000_000
	if s := os.Getenv("CC_BENCH_ROWS"); s != "" {
		rows, _ = strconv.Atoi(s)
	}
	csvPath := filepath.Join(b.TempDir(), "export.csv")
	writePerformanceCSV(b, csvPath, rows)
	cfg := config.Plugin{Name: "performance", Builtin: "performance", Config: map[string]any{"csv_files": []string{csvPath}},
		Interval: model.Duration(time.Hour), Timeout: model.Duration(10 * time.Minute)}
	total := timeCollects(b, cfg, func(context.Context, *store.Store) {})
	b.ReportMetric(total.Seconds()/float64(b.N), "s/import")
	b.ReportMetric(float64(rows)*float64(b.N)/total.Seconds(), "rows/s")
}

// writePerformanceCSV writes n daily rows, each its own (tenant, campaign,
// video, platform, day): 90 days of ever more videos over 3 tenants and
// 40 campaigns, as an ad manager exports them.
func writePerformanceCSV(b *testing.B, path string, n int) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("date,client_id,campaign_id,video_id,platform,impressions,views,clicks,likes,comments,shares,cost,currency\n")
	start := time.Date(2026, 8, 25, 0, 0, 0, 0, time.UTC)
	for i := range n {
		video := i / 90
		fmt.Fprintf(w, "%s,%s,cmp-%d,vid-%d,%s,%d,%d,%d,%d,%d,%d,%d.%02d,EUR\n",
			start.AddDate(0, 0, i%90).Format(time.DateOnly), []string{"acme", "globex", "initech"}[video%3], video%40, video,
			[]string{"tiktok", "instagram", "youtube"}[video/3%3], 4000+i%997, 3000+i%991, 40+i%37, 200+i%101, 10+i%13, 5+i%7, i%300, i%100)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
}

// timeCollects runs one Collect of cfg's plugin per benchmark op into a
// fresh store, as serve does (the plugin started outside the timer), then
// check on the store; it returns the time the Collects took.
func timeCollects(b *testing.B, cfg config.Plugin, check func(context.Context, *store.Store)) time.Duration {
	b.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	var total time.Duration
	for b.Loop() {
		b.StopTimer()
		st, err := store.Open(filepath.Join(b.TempDir(), "bench.db"), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		host := NewHost([]config.Plugin{cfg}, &Ingester{Store: st, Metrics: NewMetrics(prometheus.NewRegistry()), Logger: logger}, builtins)
		r := host.runners[0]
		if err := r.start(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		if err := r.collect(ctx, r.beginRun()); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		b.StopTimer()
		check(ctx, st)
		r.stop()
		st.Close()
		b.StartTimer()
	}
	return total
}
