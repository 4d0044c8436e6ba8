package store

import (
	"context"
	"fmt"
	"math"

	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// Group-by choices of the performance aggregate.
const (
	GroupByDay      = "day"
	GroupByPlatform = "platform"
	GroupByCampaign = "campaign"
)

var groupColumns = map[string]string{GroupByDay: "day", GroupByPlatform: "platform", GroupByCampaign: "campaign"}

// PerformanceQuery aggregates daily metrics of one tenant over [From, To]
// (UTC days, inclusive). Platform and Campaign filter when set; MaxCPM keeps
// only groups whose CPM is at most that many major units.
type PerformanceQuery struct {
	Tenant   string
	From, To string
	Platform string
	Campaign string
	MaxCPM   *float64
	GroupBy  string
}

// PerformanceRow is one group's totals. Ratios are nil where their
// denominator is zero ("no value", never 0 or Inf).
type PerformanceRow struct {
	Group       string    `json:"group"`
	Currency    string    `json:"currency"`
	Impressions int64     `json:"impressions"`
	Views       int64     `json:"views"`
	Clicks      int64     `json:"clicks"`
	Likes       int64     `json:"likes"`
	Comments    int64     `json:"comments"`
	Shares      int64     `json:"shares"`
	Cost        sdk.Money `json:"cost"`
	Revenue     sdk.Money `json:"revenue"`
	// CPM is cost per thousand impressions in major units, or per thousand
	// views where the platform reports no impressions; CPMBasis says which.
	CPM      *float64 `json:"cpm"`
	CPMBasis string   `json:"cpm_basis,omitempty"`
	CTR      *float64 `json:"ctr"`
	ROI      *float64 `json:"roi"`
}

// Performance runs the aggregate. It reads only the covering index
// daily_rollup_performance.
func (s *Store) Performance(ctx context.Context, q PerformanceQuery) ([]PerformanceRow, error) {
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
	var out []PerformanceRow
	for rows.Next() {
		var r PerformanceRow
		if err := rows.Scan(&r.Group, &r.Currency, &r.Impressions, &r.Views, &r.Clicks, &r.Likes, &r.Comments, &r.Shares,
			&r.Cost.Minor, &r.Revenue.Minor); err != nil {
			return nil, err
		}
		r.Cost.Currency, r.Revenue.Currency = r.Currency, r.Currency
		r = r.Ratios()
		if q.MaxCPM != nil && (r.CPM == nil || *r.CPM > *q.MaxCPM) {
			continue
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
	return `SELECT ` + col + `, currency, sum(impressions), sum(views), sum(clicks), sum(likes), sum(comments), sum(shares),
		sum(cost_minor), sum(revenue_minor) FROM daily_rollup INDEXED BY daily_rollup_performance` + w.String() +
		` GROUP BY ` + col + `, currency ORDER BY ` + col + `, currency`, w.args
}

func ratio(num, den float64) *float64 {
	if den == 0 {
		return nil
	}
	v := num / den
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return nil
	}
	return &v
}

// Ratios returns r with CPM, CTR and ROI computed from its integer sums.
func (r PerformanceRow) Ratios() PerformanceRow {
	cost := Major(r.Cost.Minor, r.Currency)
	switch {
	case r.Impressions > 0:
		r.CPM, r.CPMBasis = ratio(cost*1000, float64(r.Impressions)), "impressions"
	case r.Views > 0:
		r.CPM, r.CPMBasis = ratio(cost*1000, float64(r.Views)), "views"
	}
	r.CTR = ratio(float64(r.Clicks), float64(r.Impressions))
	r.ROI = ratio(float64(r.Revenue.Minor-r.Cost.Minor), float64(r.Cost.Minor))
	return r
}
