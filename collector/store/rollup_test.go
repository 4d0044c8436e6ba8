package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// The rollups and campaign totals, kept by adding each batch's changes in
// place, equal what summing daily_metrics afresh gives: after new rows,
// corrections, batches sent again unchanged, a row changing currency, rows
// without money and counts at their limit.
func TestRollupsKeptInPlaceEqualARecompute(t *testing.T) {
	s := openTest(t, Options{})
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	metric := func() sdk.DailyMetric {
		m := sdk.DailyMetric{Tenant: "acme", Campaign: fmt.Sprintf("cmp-%d", rng.IntN(3)), Video: fmt.Sprintf("vid-%d", rng.IntN(6)),
			Platform: []string{"tiktok", "youtube"}[rng.IntN(2)], Day: fmt.Sprintf("2026-11-%02d", 1+rng.IntN(4))}
		m.Views, m.Impressions, m.Likes, m.Shares = rng.Int64N(5000), rng.Int64N(9000), rng.Int64N(300), rng.Int64N(20)
		currency := []string{"EUR", "USD"}[rng.IntN(2)]
		m.Cost = &sdk.Money{Minor: rng.Int64N(10000), Currency: currency}
		switch rng.IntN(20) {
		case 0:
			m.Views = 1_000_000_000_000 // the most a count may be
		case 1:
			m.Cost = nil // no money: no currency
		}
		return m
	}
	var b sdk.Batch
	for batch := range 40 {
		if batch%4 != 3 { // every fourth batch is the one before, sent again
			b = sdk.Batch{}
			for range 1 + rng.IntN(30) {
				b.DailyMetrics = append(b.DailyMetrics, metric())
			}
		}
		if _, err := s.Apply(ctx, "test", &b); err != nil {
			t.Fatalf("batch %d: %v", batch, err)
		}
		for _, q := range []struct{ kept, recomputed string }{
			{`SELECT * FROM daily_rollup`, `SELECT tenant, day, platform, campaign, currency, ` + sumOf("impressions") + `, ` + sumOf("views") + `, ` +
				sumOf("clicks") + `, ` + sumOf("likes") + `, ` + sumOf("comments") + `, ` + sumOf("shares") + `, ` + sumOf("cost_minor") + `, ` +
				sumOf("revenue_minor") + ` FROM daily_metrics GROUP BY tenant, day, platform, campaign, currency`},
			{`SELECT tenant, campaign, platform, currency, impressions, views, clicks, engagements, cost_minor, revenue_minor FROM campaign_totals`,
				`SELECT tenant, campaign, platform, currency, ` + sumOf("impressions") + `, ` + sumOf("views") + `, ` + sumOf("clicks") + `, ` +
					sumOf("likes + comments + shares") + `, ` + sumOf("cost_minor") + `, ` + sumOf("revenue_minor") +
					` FROM daily_metrics GROUP BY tenant, campaign, platform, currency`},
		} {
			kept, recomputed := rowsOf(t, s, q.kept), rowsOf(t, s, q.recomputed)
			if !slices.Equal(kept, recomputed) {
				t.Fatalf("after batch %d, %s:\n kept %v\n want %v", batch, q.kept, kept, recomputed)
			}
		}
	}
}

func rowsOf(t *testing.T, s *Store, query string) []string {
	t.Helper()
	rows, err := s.write.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(vals...))
	}
	slices.Sort(out)
	return out
}
