package dsplugin_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/collector/store"
	"github.com/commandcenter/commandcenter/grafana/pkg/grafanatest"
)

// seedDailyMetrics fills a new database in dataDir with 1,000,350 daily
// metric rows of tenant acme: 90 days to today, 5 platforms, 2,223
// influencers over 120 campaigns, and their rollup, as ingest leaves it.
func seedDailyMetrics(tb testing.TB, dataDir string) {
	path := filepath.Join(dataDir, "commandcenter.db")
	st, err := store.Open(path, store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	st.Close()
	db, err := sql.Open("sqlite3", path+"?_journal_mode=WAL")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`WITH RECURSIVE
		   d(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM d WHERE n < 89),
		   p(name) AS (VALUES ('tiktok'), ('instagram'), ('youtube'), ('snapchat'), ('twitch')),
		   i(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM i WHERE n < 2222)
		 INSERT INTO daily_metrics (tenant, campaign, influencer, platform, day, impressions, views, clicks, likes,
		   comments, shares, cost_minor, revenue_minor, currency)
		 SELECT 'acme', printf('cmp-%03d', i.n % 120), printf('inf-%04d', i.n), p.name, date('now', printf('-%d days', d.n)),
		   2000 + (i.n * 7 + d.n * 13) % 5000, 1000 + (i.n * 7 + d.n * 13) % 5000, 20 + i.n % 100, 50, 5, 10,
		   8000 + (i.n * 3 + d.n) % 9000, 15000 + (i.n * 5 + d.n) % 9000, 'EUR'
		 FROM d, p, i`,
		`INSERT INTO daily_rollup SELECT tenant, day, platform, campaign, currency, sum(impressions), sum(views),
		   sum(clicks), sum(likes), sum(comments), sum(shares), sum(cost_minor), sum(revenue_minor)
		 FROM daily_metrics GROUP BY tenant, day, platform, campaign, currency`,
		`ANALYZE`,
	} {
		if _, err := db.Exec(q); err != nil {
			tb.Fatal(err)
		}
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM daily_metrics`).Scan(&n); err != nil || n < 1_000_000 {
		tb.Fatalf("seeded %d rows: %v", n, err)
	}
}

// BenchmarkPerformance90Days compares a 90-day performance query grouped
// by platform over 1,000,000 daily rows, through the plugin process
// (QueryData over gRPC: API call, frame, Arrow) and straight from the API
// (GET /api/v1/performance), alternated in each iteration so both see the
// same machine. Reports api-ms, plugin-ms (medians) and plugin/api.
// Target: plugin/api ≤ 1.5.
func BenchmarkPerformance90Days(b *testing.B) {
	w := newWorldWith(b, func(dir string) { seedDailyMetrics(b, dir) })
	to := time.Now().UTC()
	from := to.AddDate(0, 0, -89)
	c := w.api("acme/read")
	apiQuery := apiv1.PerformanceQuery{From: from.Format(time.RFC3339), To: to.Format(time.RFC3339), GroupBy: apiv1.GroupByPlatform, ByDay: true}
	ds := w.ds("acme/read")
	pluginQuery := grafanatest.Query{RefID: "A", QueryType: "performance", JSON: `{"metric":"cpm","groupBy":"platform"}`, From: from, To: to}
	// A time field and one value field per (platform, currency) series.
	first, err := c.Performance(ctx, apiQuery)
	if err != nil {
		b.Fatal(err)
	}
	series := map[[2]string]bool{}
	for _, row := range first.Rows {
		series[[2]string{row.Group, row.Currency}] = true
	}
	wantFields := 1 + len(series)
	var apiTimes, pluginTimes []time.Duration
	for b.Loop() {
		start := time.Now()
		r, err := c.Performance(ctx, apiQuery)
		if err != nil || len(r.Rows) < 90*5 {
			b.Fatal(len(r.Rows), err)
		}
		mid := time.Now()
		resp, err := w.host.QueryData(ctx, ds, pluginQuery)
		if err != nil || resp.Responses["A"].Error != nil || len(resp.Responses["A"].Frames[0].Fields) != wantFields {
			b.Fatal(err, resp.Responses["A"].Error, wantFields)
		}
		apiTimes, pluginTimes = append(apiTimes, mid.Sub(start)), append(pluginTimes, time.Since(mid))
	}
	api, plugin := median(apiTimes), median(pluginTimes)
	b.ReportMetric(float64(api.Microseconds())/1000, "api-ms")
	b.ReportMetric(float64(plugin.Microseconds())/1000, "plugin-ms")
	b.ReportMetric(float64(plugin)/float64(api), "plugin/api")
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkStreamLatency measures how long 200 events, each POSTed to the
// server one at a time, take to come out of the plugin's activity stream
// (from the start of the POST to the frame arriving over gRPC). Target:
// p99 ≤ 250 ms.
func BenchmarkStreamLatency(b *testing.B) {
	w := newWorld(b)
	const events = 200
	arrived := make(chan string, 1024)
	ds := w.ds("acme/read")
	// As Grafana does: subscribe (the newest events come as initial data),
	// then run the channel.
	if res, err := w.host.SubscribeStream(ctx, ds, "activity"); err != nil || res.Status != backend.SubscribeStreamStatusOK {
		b.Fatal(res, err)
	}
	go w.host.RunStream(b.Context(), ds, "activity", func(f *data.Frame) error {
		ids, _ := f.FieldByName("entity_id")
		for i := range ids.Len() {
			arrived <- ids.At(i).(string)
		}
		return nil
	})
	await := func(id string) {
		for got := ""; got != id; {
			select {
			case got = <-arrived:
			case <-time.After(10 * time.Second):
				b.Fatalf("event %s did not come out of the stream in 10 s", id)
			}
		}
	}
	// One event before measuring, so the stream is surely connected.
	w.pushVideoEvent("acme", "warm-up", time.Now())
	await("warm-up")
	var lat []time.Duration
	for b.Loop() {
		for range events {
			id := fmt.Sprintf("lat-%d", len(lat))
			start := time.Now()
			w.pushVideoEvent("acme", id, start)
			await(id)
			lat = append(lat, time.Since(start))
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
