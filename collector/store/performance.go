package store

import (
	"context"
	"fmt"

	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// groupColumns maps each group-by choice to its column.
var groupColumns = map[string]string{"day": "day", "platform": "platform", "campaign": "campaign"}

// PerformanceQuery sums daily metrics of one tenant over [From, To] (UTC
// days, inclusive), grouped by GroupBy (day, platform or campaign).
// Platform and Campaign filter when set.
type PerformanceQuery struct {
	Tenant   string
	From, To string
	Platform string
	Campaign string
	GroupBy  string
}

// PerformanceSum is one group's integer sums in one currency.
type PerformanceSum struct {
	Group, Currency string
	sdk.Counts
	CostMinor, RevenueMinor int64
}

// Performance runs the aggregate. It reads only the covering index
// daily_rollup_performance.
func (s *Store) Performance(ctx context.Context, q PerformanceQuery) ([]PerformanceSum, error) {
	col, ok := groupColumns[q.GroupBy]
	if !ok {
		return nil, fmt.Errorf("group_by must be day, platform or campaign, got %q", q.GroupBy)
	}
	query, args := performanceSQL(q, col)
	rows, err := s.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PerformanceSum
	for rows.Next() {
		var r PerformanceSum
		if err := rows.Scan(&r.Group, &r.Currency, &r.Impressions, &r.Views, &r.Clicks, &r.Likes, &r.Comments, &r.Shares,
			&r.CostMinor, &r.RevenueMinor); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func performanceSQL(q PerformanceQuery, col string) (string, []any) {
	var w where
	w.add("tenant = ?", q.Tenant)
	w.add("day BETWEEN ? AND ?", q.From, q.To)
	w.addIf("platform = ?", q.Platform)
	w.addIf("campaign = ?", q.Campaign)
	return `SELECT ` + col + `, currency, ` + sumOf("impressions") + `, ` + sumOf("views") + `, ` + sumOf("clicks") + `, ` +
		sumOf("likes") + `, ` + sumOf("comments") + `, ` + sumOf("shares") + `, ` + sumOf("cost_minor") + `, ` + sumOf("revenue_minor") +
		` FROM daily_rollup INDEXED BY daily_rollup_performance` + w.String() +
		` GROUP BY ` + col + `, currency ORDER BY ` + col + `, currency`, w.args
}
