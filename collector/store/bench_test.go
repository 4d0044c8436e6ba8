package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// fillDailyMetrics writes rows straight into daily_metrics: 90 days × 3
// platforms × pairs campaign/influencer combinations.
func fillDailyMetrics(b *testing.B, s *Store, pairs int) int {
	b.Helper()
	tx, err := s.write.Begin()
	if err != nil {
		b.Fatal(err)
	}
	st, err := tx.Prepare(`INSERT INTO daily_metrics (tenant, campaign, influencer, platform, day, impressions, views, clicks,
		likes, comments, shares, cost_minor, revenue_minor, currency) VALUES ('acme', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'EUR')`)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	start := testNow.AddDate(0, 0, -89)
	for d := range 90 {
		day := start.AddDate(0, 0, d).Format(time.DateOnly)
		for p, platform := range []string{"tiktok", "instagram", "youtube"} {
			for i := range pairs {
				v := int64(1000 + (i*7+d*13+p)%5000)
				if _, err := st.Exec(fmt.Sprintf("cmp-%03d", i%120), fmt.Sprintf("inf-%04d", i), platform, day,
					v*2, v, v/50, v/20, v/200, v/100, v*8, v*15); err != nil {
					b.Fatal(err)
				}
				n++
			}
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if _, err := s.write.Exec(`INSERT INTO daily_rollup SELECT tenant, day, platform, campaign, currency, sum(impressions),
		sum(views), sum(clicks), sum(likes), sum(comments), sum(shares), sum(cost_minor), sum(revenue_minor)
		FROM daily_metrics GROUP BY tenant, day, platform, campaign, currency`); err != nil {
		b.Fatal(err)
	}
	if _, err := s.write.Exec(`ANALYZE`); err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkPerformance30Days aggregates the last 30 days out of 1,000,000
// daily-metric rows (90 days of history), the way GET /api/v1/performance
// does.
func BenchmarkPerformance30Days(b *testing.B) {
	s := openTest(b, Options{})
	rows := fillDailyMetrics(b, s, 3704)
	if rows < 1_000_000 {
		b.Fatalf("only %d rows", rows)
	}
	ctx := context.Background()
	for _, groupBy := range []string{"day", "platform", "campaign"} {
		b.Run("group_by="+groupBy, func(b *testing.B) {
			q := PerformanceQuery{Tenant: "acme", From: testNow.AddDate(0, 0, -29).Format(time.DateOnly), To: testNow.Format(time.DateOnly), GroupBy: groupBy}
			for b.Loop() {
				out, err := s.Performance(ctx, q)
				if err != nil || len(out) == 0 {
					b.Fatal(len(out), err)
				}
			}
		})
	}
}
