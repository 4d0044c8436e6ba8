package store

import (
	"context"
	"sort"
	"time"

	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// CurrencyPayments are a tenant's open payments in one currency.
type CurrencyPayments struct {
	Currency string    `json:"currency"`
	Open     int       `json:"open"`
	Overdue  int       `json:"overdue"`
	Amount   sdk.Money `json:"amount"`
}

// PlatformTotals are a tenant's performance on one platform over all days.
type PlatformTotals struct {
	Platform    string `json:"platform"`
	Impressions int64  `json:"impressions"`
	Views       int64  `json:"views"`
	Clicks      int64  `json:"clicks"`
	Engagements int64  `json:"engagements"`
}

// Stats are one tenant's quick stats: what the Command Center shows first
// and what the exporter's aggregate gauges say.
type Stats struct {
	Tenant           string                      `json:"tenant"`
	Payments         []CurrencyPayments          `json:"payments"`
	VideosUpcoming   int                         `json:"videos_upcoming"`
	ReviewQueue      int                         `json:"review_queue"`
	ReviewOldest     time.Time                   `json:"review_oldest_submitted_at,omitzero"`
	ByStatus         map[string]map[string]int64 `json:"by_status"`
	ActiveCampaigns  int64                       `json:"active_campaigns"`
	PendingSignature int64                       `json:"influencers_pending_signature"`
	Platforms        []PlatformTotals            `json:"platforms"`
	Revenue          []sdk.Money                 `json:"revenue"`
	Cost             []sdk.Money                 `json:"cost"`
}

// NewStats is empty stats, with empty (not null) lists.
func NewStats(tenant string) *Stats {
	return &Stats{Tenant: tenant, ByStatus: map[string]map[string]int64{}, Payments: []CurrencyPayments{},
		Platforms: []PlatformTotals{}, Revenue: []sdk.Money{}, Cost: []sdk.Money{}}
}

// Workload is what quick stats are computed from; the exporter also turns
// its items into per-item deadline series.
type Workload struct {
	Counts []StatusCount
	// OpenPayments, and Videos that are scheduled or submitted.
	OpenPayments, Videos []Item
	Totals               []CampaignTotal
}

// LoadWorkload reads the workload of one tenant ("" = all).
func (s *Store) LoadWorkload(ctx context.Context, tenant string) (*Workload, error) {
	var w Workload
	var err error
	if w.Counts, err = s.StatusCounts(ctx, tenant); err != nil {
		return nil, err
	}
	if w.OpenPayments, err = s.Items(ctx, ItemQuery{Tenant: tenant, Type: sdk.EntityPayment, Statuses: []string{"open"}}); err != nil {
		return nil, err
	}
	if w.Videos, err = s.Items(ctx, ItemQuery{Tenant: tenant, Type: sdk.EntityVideo, Statuses: []string{"scheduled", "submitted"}}); err != nil {
		return nil, err
	}
	if w.Totals, err = s.CampaignTotals(ctx, tenant); err != nil {
		return nil, err
	}
	return &w, nil
}

// Summarize computes every tenant's quick stats at now; a scheduled video
// due within upcoming counts as upcoming.
func (w *Workload) Summarize(now time.Time, upcoming time.Duration) map[string]*Stats {
	out := map[string]*Stats{}
	get := func(tenant string) *Stats {
		st, ok := out[tenant]
		if !ok {
			st = NewStats(tenant)
			out[tenant] = st
		}
		return st
	}
	for _, c := range w.Counts {
		st := get(c.Tenant)
		if st.ByStatus[c.Type] == nil {
			st.ByStatus[c.Type] = map[string]int64{}
		}
		st.ByStatus[c.Type][c.Status] = c.Count
		switch {
		case c.Type == sdk.EntityCampaign && c.Status == "active":
			st.ActiveCampaigns = c.Count
		case c.Type == sdk.EntityInfluencer && c.Status == "pending_signature":
			st.PendingSignature = c.Count
		}
	}
	payments := map[string]map[string]*CurrencyPayments{}
	for _, p := range w.OpenPayments {
		get(p.Tenant)
		if payments[p.Tenant] == nil {
			payments[p.Tenant] = map[string]*CurrencyPayments{}
		}
		cp := payments[p.Tenant][p.Amount.Currency]
		if cp == nil {
			cp = &CurrencyPayments{Currency: p.Amount.Currency, Amount: sdk.Money{Currency: p.Amount.Currency}}
			payments[p.Tenant][p.Amount.Currency] = cp
		}
		cp.Open++
		cp.Amount.Minor += p.Amount.Minor
		if !p.DueAt.IsZero() && p.DueAt.Before(now) {
			cp.Overdue++
		}
	}
	for tenant, byCurrency := range payments {
		st := out[tenant]
		for _, cp := range byCurrency {
			st.Payments = append(st.Payments, *cp)
		}
		sort.Slice(st.Payments, func(i, j int) bool { return st.Payments[i].Currency < st.Payments[j].Currency })
	}
	for _, v := range w.Videos {
		st := get(v.Tenant)
		switch v.Status {
		case "scheduled":
			if !v.DueAt.IsZero() && v.DueAt.After(now) && v.DueAt.Before(now.Add(upcoming)) {
				st.VideosUpcoming++
			}
		case "submitted":
			st.ReviewQueue++
			if st.ReviewOldest.IsZero() || v.StatusSince.Before(st.ReviewOldest) {
				st.ReviewOldest = v.StatusSince
			}
		}
	}
	platforms := map[string]map[string]*PlatformTotals{}
	revenue, cost := map[string]map[string]int64{}, map[string]map[string]int64{}
	for _, t := range w.Totals {
		get(t.Tenant)
		if platforms[t.Tenant] == nil {
			platforms[t.Tenant], revenue[t.Tenant], cost[t.Tenant] = map[string]*PlatformTotals{}, map[string]int64{}, map[string]int64{}
		}
		pt := platforms[t.Tenant][t.Platform]
		if pt == nil {
			pt = &PlatformTotals{Platform: t.Platform}
			platforms[t.Tenant][t.Platform] = pt
		}
		pt.Impressions += t.Impressions
		pt.Views += t.Views
		pt.Clicks += t.Clicks
		pt.Engagements += t.Engagements
		if t.Currency != "" {
			revenue[t.Tenant][t.Currency] += t.RevenueMinor
			cost[t.Tenant][t.Currency] += t.CostMinor
		}
	}
	for tenant, st := range out {
		for _, pt := range platforms[tenant] {
			st.Platforms = append(st.Platforms, *pt)
		}
		sort.Slice(st.Platforms, func(i, j int) bool { return st.Platforms[i].Platform < st.Platforms[j].Platform })
		st.Revenue, st.Cost = sortedMoney(revenue[tenant]), sortedMoney(cost[tenant])
	}
	return out
}

func sortedMoney(m map[string]int64) []sdk.Money {
	out := []sdk.Money{}
	for currency, minor := range m {
		out = append(out, sdk.Money{Minor: minor, Currency: currency})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Currency < out[j].Currency })
	return out
}
