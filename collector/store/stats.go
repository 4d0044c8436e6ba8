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

// QuickStats computes the quick stats of tenant ("" = every tenant) at now;
// a scheduled video due within upcoming counts as upcoming. visit, when
// not nil, sees every open payment and every scheduled or submitted video
// as it streams past (the exporter makes deadline series of them); it must
// not keep the *Item.
func (s *Store) QuickStats(ctx context.Context, tenant string, now time.Time, upcoming time.Duration, visit func(*Item)) (map[string]*Stats, error) {
	sum := summary{now: now, upcoming: upcoming, stats: map[string]*Stats{},
		payments: map[[2]string]*CurrencyPayments{}, platforms: map[[2]string]*PlatformTotals{},
		revenue: map[[2]string]int64{}, cost: map[[2]string]int64{}}
	counts, err := s.StatusCounts(ctx, tenant)
	if err != nil {
		return nil, err
	}
	for _, c := range counts {
		sum.count(c)
	}
	each := func(it *Item) error {
		sum.item(it)
		if visit != nil {
			visit(it)
		}
		return nil
	}
	if err := s.EachItem(ctx, ItemQuery{Tenant: tenant, Type: sdk.EntityPayment, Statuses: []string{"open"}}, each); err != nil {
		return nil, err
	}
	if err := s.EachItem(ctx, ItemQuery{Tenant: tenant, Type: sdk.EntityVideo, Statuses: []string{"scheduled", "submitted"}}, each); err != nil {
		return nil, err
	}
	totals, err := s.CampaignTotals(ctx, tenant)
	if err != nil {
		return nil, err
	}
	for _, t := range totals {
		sum.total(t)
	}
	return sum.finish(), nil
}

// summary accumulates quick stats from streamed rows.
type summary struct {
	now       time.Time
	upcoming  time.Duration
	stats     map[string]*Stats
	payments  map[[2]string]*CurrencyPayments // by tenant, currency
	platforms map[[2]string]*PlatformTotals   // by tenant, platform
	revenue   map[[2]string]int64             // by tenant, currency
	cost      map[[2]string]int64
}

func (s *summary) get(tenant string) *Stats {
	st, ok := s.stats[tenant]
	if !ok {
		st = NewStats(tenant)
		s.stats[tenant] = st
	}
	return st
}

func (s *summary) count(c StatusCount) {
	st := s.get(c.Tenant)
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

func (s *summary) item(it *Item) {
	st := s.get(it.Tenant)
	switch {
	case it.Type == sdk.EntityPayment && it.Amount != nil:
		k := [2]string{it.Tenant, it.Amount.Currency}
		cp := s.payments[k]
		if cp == nil {
			cp = &CurrencyPayments{Currency: it.Amount.Currency, Amount: sdk.Money{Currency: it.Amount.Currency}}
			s.payments[k] = cp
		}
		cp.Open++
		cp.Amount.Minor += it.Amount.Minor
		if !it.DueAt.IsZero() && it.DueAt.Before(s.now) {
			cp.Overdue++
		}
	case it.Type == sdk.EntityVideo && it.Status == "scheduled":
		if !it.DueAt.IsZero() && it.DueAt.After(s.now) && it.DueAt.Before(s.now.Add(s.upcoming)) {
			st.VideosUpcoming++
		}
	case it.Type == sdk.EntityVideo && it.Status == "submitted":
		st.ReviewQueue++
		if st.ReviewOldest.IsZero() || it.StatusSince.Before(st.ReviewOldest) {
			st.ReviewOldest = it.StatusSince
		}
	}
}

func (s *summary) total(t CampaignTotal) {
	s.get(t.Tenant)
	k := [2]string{t.Tenant, t.Platform}
	pt := s.platforms[k]
	if pt == nil {
		pt = &PlatformTotals{Platform: t.Platform}
		s.platforms[k] = pt
	}
	pt.Impressions += t.Impressions
	pt.Views += t.Views
	pt.Clicks += t.Clicks
	pt.Engagements += t.Engagements
	if t.Currency != "" {
		s.revenue[[2]string{t.Tenant, t.Currency}] += t.RevenueMinor
		s.cost[[2]string{t.Tenant, t.Currency}] += t.CostMinor
	}
}

func (s *summary) finish() map[string]*Stats {
	for k, cp := range s.payments {
		st := s.stats[k[0]]
		st.Payments = append(st.Payments, *cp)
	}
	for k, pt := range s.platforms {
		st := s.stats[k[0]]
		st.Platforms = append(st.Platforms, *pt)
	}
	for k, minor := range s.revenue {
		st := s.stats[k[0]]
		st.Revenue = append(st.Revenue, sdk.Money{Minor: minor, Currency: k[1]})
		st.Cost = append(st.Cost, sdk.Money{Minor: s.cost[k], Currency: k[1]})
	}
	for _, st := range s.stats {
		sort.Slice(st.Payments, func(i, j int) bool { return st.Payments[i].Currency < st.Payments[j].Currency })
		sort.Slice(st.Platforms, func(i, j int) bool { return st.Platforms[i].Platform < st.Platforms[j].Platform })
		sort.Slice(st.Revenue, func(i, j int) bool { return st.Revenue[i].Currency < st.Revenue[j].Currency })
		sort.Slice(st.Cost, func(i, j int) bool { return st.Cost[i].Currency < st.Cost[j].Currency })
	}
	return s.stats
}
