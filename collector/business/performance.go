package business

import (
	"context"
	"encoding/json"
	"math"
	"time"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/collector/store"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// PerformanceQuery is one tenant's performance query, its days already
// resolved (YYYY-MM-DD, inclusive).
type PerformanceQuery struct {
	Tenant   string
	From, To string
	Platform string
	Campaign string
	// MaxCPM keeps only groups whose CPM over the whole range is at most
	// this (major units); groups without a CPM are dropped too.
	MaxCPM  *float64
	GroupBy string
	// ByDay splits each platform or campaign group by day.
	ByDay bool
}

// Performance sums daily metrics per group and currency (and day, with
// ByDay), with ratios, and totals per currency over the groups kept.
func (r *Reports) Performance(ctx context.Context, q PerformanceQuery) (rows, totals []apiv1.PerformanceRow, err error) {
	sums, err := r.Store.Performance(ctx, store.PerformanceQuery{Tenant: q.Tenant, From: q.From, To: q.To,
		Platform: q.Platform, Campaign: q.Campaign, GroupBy: q.GroupBy, ByDay: q.ByDay})
	if err != nil {
		return nil, nil, err
	}
	all := make([]apiv1.PerformanceRow, len(sums))
	for i, s := range sums {
		all[i] = WithRatios(apiv1.PerformanceRow{Group: s.Group, Day: s.Day, Currency: s.Currency, Counts: s.Counts,
			Cost: sdk.Money{Minor: s.CostMinor, Currency: s.Currency}, Revenue: sdk.Money{Minor: s.RevenueMinor, Currency: s.Currency}})
	}
	keep := func(apiv1.PerformanceRow) bool { return true }
	if q.MaxCPM != nil {
		// The threshold judges a group over the whole range: a campaign
		// under target keeps all its days, not just its cheap ones.
		cpm := groupCPMs(all)
		keep = func(row apiv1.PerformanceRow) bool {
			c := cpm[[2]string{row.Group, row.Currency}]
			return c != nil && *c <= *q.MaxCPM
		}
	}
	rows = []apiv1.PerformanceRow{}
	for _, row := range all {
		if keep(row) {
			rows = append(rows, row)
		}
	}
	return rows, Totals(rows), nil
}

// groupCPMs is the CPM of each (group, currency) over all its rows.
func groupCPMs(rows []apiv1.PerformanceRow) map[[2]string]*float64 {
	sums := map[[2]string]*apiv1.PerformanceRow{}
	for _, r := range rows {
		k := [2]string{r.Group, r.Currency}
		t := sums[k]
		if t == nil {
			t = &apiv1.PerformanceRow{Cost: sdk.Money{Currency: r.Currency}}
			sums[k] = t
		}
		t.Counts.Add(r.Counts)
		t.Cost.Minor = sdk.AddSaturating(t.Cost.Minor, r.Cost.Minor)
	}
	out := make(map[[2]string]*float64, len(sums))
	for k, t := range sums {
		out[k], _ = CPM(t.Counts, t.Cost)
	}
	return out
}

// Totals sums rows per currency, in the order currencies first appear:
// integers first, ratios from the sums.
func Totals(rows []apiv1.PerformanceRow) []apiv1.PerformanceRow {
	by := map[string]*apiv1.PerformanceRow{}
	var order []string
	for _, r := range rows {
		t := by[r.Currency]
		if t == nil {
			t = &apiv1.PerformanceRow{Group: "total", Currency: r.Currency, Cost: sdk.Money{Currency: r.Currency}, Revenue: sdk.Money{Currency: r.Currency}}
			by[r.Currency] = t
			order = append(order, r.Currency)
		}
		t.Counts.Add(r.Counts)
		t.Cost.Minor = sdk.AddSaturating(t.Cost.Minor, r.Cost.Minor)
		t.Revenue.Minor = sdk.AddSaturating(t.Revenue.Minor, r.Revenue.Minor)
	}
	out := []apiv1.PerformanceRow{}
	for _, c := range order {
		out = append(out, WithRatios(*by[c]))
	}
	return out
}

// WithRatios returns r with CPM, CTR and ROI computed from its integer
// sums; each is nil where its denominator is zero ("no value").
func WithRatios(r apiv1.PerformanceRow) apiv1.PerformanceRow {
	r.CPM, r.CPMBasis = CPM(r.Counts, r.Cost)
	r.CTR = ratio(float64(r.Clicks), float64(r.Impressions))
	r.ROI = ratio(float64(r.Revenue.Minor-r.Cost.Minor), float64(r.Cost.Minor))
	return r
}

// CPM is cost per thousand impressions in major units, or per thousand
// views where there are no impressions (YouTube reports only views); basis
// says which. Nil where there are neither.
func CPM(c sdk.Counts, cost sdk.Money) (cpm *float64, basis string) {
	switch {
	case c.Impressions > 0:
		return ratio(cost.Major()*1000, float64(c.Impressions)), apiv1.CPMBasisImpressions
	case c.Views > 0:
		return ratio(cost.Major()*1000, float64(c.Views)), apiv1.CPMBasisViews
	}
	return nil, ""
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

// CPMTarget is a campaign's CPM target, from its attrs {"cpm_target":
// {"minor":…, "currency":…}}; nil when it has none.
func CPMTarget(attrs json.RawMessage) *sdk.Money {
	var a struct {
		CPMTarget *sdk.Money `json:"cpm_target"`
	}
	if len(attrs) == 0 || json.Unmarshal(attrs, &a) != nil {
		return nil
	}
	return a.CPMTarget
}

// LastCompleteDay is the UTC day before now's (YYYY-MM-DD): the latest day
// whose daily metrics are final, which views-drop alerts compare.
func LastCompleteDay(now time.Time) string {
	return now.UTC().AddDate(0, 0, -1).Format(time.DateOnly)
}
