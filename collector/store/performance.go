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
// Platform and Campaign filter when set. ByDay splits each platform or
// campaign group by day.
type PerformanceQuery struct {
	Tenant   string
	From, To string
	Platform string
	Campaign string
	GroupBy  string
	ByDay    bool
}

// PerformanceSum is one group's integer sums in one currency (and on one
// Day when the query split groups by day).
type PerformanceSum struct {
	Group, Day, Currency string
	sdk.Counts
	CostMinor, RevenueMinor int64
}

// Performance runs the aggregate. It reads only daily_rollup's primary key
// range for the tenant and days (the table is its own covering index).
func (s *Store) Performance(ctx context.Context, q PerformanceQuery) ([]PerformanceSum, error) {
	col, ok := groupColumns[q.GroupBy]
	if !ok {
		return nil, fmt.Errorf("group_by must be day, platform or campaign, got %q", q.GroupBy)
	}
	if q.ByDay && col == "day" {
		return nil, fmt.Errorf("by_day needs group_by platform or campaign")
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
		day := &r.Day
		if !q.ByDay {
			day = new(string)
		}
		if err := rows.Scan(&r.Group, day, &r.Currency, &r.Impressions, &r.Views, &r.Clicks, &r.Likes, &r.Comments, &r.Shares,
			&r.CostMinor, &r.RevenueMinor); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func performanceSQL(q PerformanceQuery, col string) (string, []any) {
	// The day is always selected (the empty string unless split by day) so
	// one Scan reads both shapes; grouping by day then platform follows the
	// index's order.
	dayCol, groups := `''`, col+`, currency`
	if q.ByDay {
		dayCol, groups = `day`, `day, `+col+`, currency`
	}
	var w where
	w.add("tenant = ?", q.Tenant)
	w.add("day BETWEEN ? AND ?", q.From, q.To)
	w.addIf("platform = ?", q.Platform)
	w.addIf("campaign = ?", q.Campaign)
	return `SELECT ` + col + `, ` + dayCol + `, currency, ` + sumOf("impressions") + `, ` + sumOf("views") + `, ` + sumOf("clicks") + `, ` +
		sumOf("likes") + `, ` + sumOf("comments") + `, ` + sumOf("shares") + `, ` + sumOf("cost_minor") + `, ` + sumOf("revenue_minor") +
		` FROM daily_rollup` + w.String() +
		` GROUP BY ` + groups + ` ORDER BY ` + groups, w.args
}
