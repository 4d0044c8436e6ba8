package business

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/collector/store"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// StatusCounts counts entities: tenant → type → status → count.
type StatusCounts map[string]map[string]map[string]int64

// StatusCounts counts entities by type and status, for tenant ("" = every
// tenant).
func (r *Reports) StatusCounts(ctx context.Context, tenant string) (StatusCounts, error) {
	rows, err := r.Store.StatusCounts(ctx, tenant)
	if err != nil {
		return nil, err
	}
	out := StatusCounts{}
	for _, c := range rows {
		byType := out[c.Tenant]
		if byType == nil {
			byType = map[string]map[string]int64{}
			out[c.Tenant] = byType
		}
		if byType[c.Type] == nil {
			byType[c.Type] = map[string]int64{}
		}
		byType[c.Type][c.Status] = c.Count
	}
	return out, nil
}

// Payments sums open payments per tenant and currency (sorted), counting
// those past due at now as overdue. visit, when not nil, sees each open
// payment as it streams past, with its tenant, id, campaign, influencer,
// due date and amount only; it must not keep the *Item.
func (r *Reports) Payments(ctx context.Context, tenant string, now time.Time, visit func(*store.Item)) (map[string][]apiv1.CurrencyPayments, error) {
	type key struct{ tenant, currency string }
	sums := map[key]*apiv1.CurrencyPayments{}
	var order []key
	err := r.Store.EachItem(ctx, store.ItemQuery{Tenant: tenant, Type: sdk.EntityPayment, Statuses: []string{"open"}, AnyOrder: true,
		Fields: store.FieldCampaign | store.FieldInfluencer | store.FieldDueAt | store.FieldAmount}, func(it *store.Item) error {
		if visit != nil {
			visit(it)
		}
		if it.Amount == nil {
			return nil
		}
		k := key{it.Tenant, it.Amount.Currency}
		cp := sums[k]
		if cp == nil {
			cp = &apiv1.CurrencyPayments{Currency: k.currency, Amount: sdk.Money{Currency: k.currency}}
			sums[k] = cp
			order = append(order, k)
		}
		cp.Open++
		cp.Amount.Minor = sdk.AddSaturating(cp.Amount.Minor, it.Amount.Minor)
		if !it.DueAt.IsZero() && it.DueAt.Before(now) {
			cp.Overdue++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := map[string][]apiv1.CurrencyPayments{}
	for _, k := range order {
		out[k.tenant] = append(out[k.tenant], *sums[k])
	}
	for _, ps := range out {
		slices.SortFunc(ps, func(a, b apiv1.CurrencyPayments) int { return cmp.Compare(a.Currency, b.Currency) })
	}
	return out, nil
}

// PaymentSums is Payments without visiting each payment: the store sums
// them, which is quicker when only the totals are wanted.
func (r *Reports) PaymentSums(ctx context.Context, tenant string, now time.Time) (map[string][]apiv1.CurrencyPayments, error) {
	sums, err := r.Store.OpenPaymentSums(ctx, tenant, now)
	if err != nil {
		return nil, err
	}
	out := map[string][]apiv1.CurrencyPayments{}
	for _, p := range sums { // sorted by tenant and currency
		out[p.Tenant] = append(out[p.Tenant], apiv1.CurrencyPayments{Currency: p.Currency, Open: int(p.Open), Overdue: int(p.Overdue),
			Amount: sdk.Money{Minor: p.AmountMinor, Currency: p.Currency}})
	}
	return out, nil
}

// Videos is each tenant's video queue at now: scheduled videos due within
// the upcoming window, and the review backlog with its oldest submission.
// visit, when not nil, sees each scheduled or submitted video, with its
// tenant, id, status and since when, due date, campaign, influencer and
// platform only; it must not keep the *Item.
func (r *Reports) Videos(ctx context.Context, tenant string, now time.Time, visit func(*store.Item)) (map[string]*apiv1.VideoQueue, error) {
	out := map[string]*apiv1.VideoQueue{}
	err := r.Store.EachItem(ctx, store.ItemQuery{Tenant: tenant, Type: sdk.EntityVideo, Statuses: []string{"scheduled", "submitted"}, AnyOrder: true,
		Fields: store.FieldStatus | store.FieldStatusSince | store.FieldDueAt | store.FieldCampaign | store.FieldInfluencer | store.FieldPlatform}, func(it *store.Item) error {
		if visit != nil {
			visit(it)
		}
		q := out[it.Tenant]
		if q == nil {
			q = &apiv1.VideoQueue{}
			out[it.Tenant] = q
		}
		switch it.Status {
		case "scheduled":
			if !it.DueAt.IsZero() && it.DueAt.After(now) && it.DueAt.Before(now.Add(r.UpcomingWindow)) {
				q.VideosUpcoming++
			}
		case "submitted":
			q.ReviewQueue++
			if q.ReviewOldest.IsZero() || it.StatusSince.Before(q.ReviewOldest) {
				q.ReviewOldest = it.StatusSince
			}
		}
		return nil
	})
	return out, err
}

// PlatformSummary is a tenant's performance over all days: per platform
// (sorted), and revenue and cost per currency (sorted).
type PlatformSummary struct {
	Platforms     []apiv1.PlatformTotals
	Revenue, Cost []sdk.Money
}

// SummarizePlatforms sums per-campaign totals into each tenant's summary.
func SummarizePlatforms(totals []store.CampaignTotal) map[string]*PlatformSummary {
	type key struct{ tenant, name string }
	platforms := map[key]*apiv1.PlatformTotals{}
	money := map[key]*[2]int64{} // revenue, cost by currency
	out := map[string]*PlatformSummary{}
	for _, t := range totals {
		if out[t.Tenant] == nil {
			out[t.Tenant] = &PlatformSummary{Platforms: []apiv1.PlatformTotals{}, Revenue: []sdk.Money{}, Cost: []sdk.Money{}}
		}
		pk := key{t.Tenant, t.Platform}
		pt := platforms[pk]
		if pt == nil {
			pt = &apiv1.PlatformTotals{Platform: t.Platform}
			platforms[pk] = pt
		}
		pt.Impressions = sdk.AddSaturating(pt.Impressions, t.Impressions)
		pt.Views = sdk.AddSaturating(pt.Views, t.Views)
		pt.Clicks = sdk.AddSaturating(pt.Clicks, t.Clicks)
		pt.Engagements = sdk.AddSaturating(pt.Engagements, t.Engagements)
		if t.Currency != "" {
			mk := key{t.Tenant, t.Currency}
			if money[mk] == nil {
				money[mk] = &[2]int64{}
			}
			money[mk][0] = sdk.AddSaturating(money[mk][0], t.RevenueMinor)
			money[mk][1] = sdk.AddSaturating(money[mk][1], t.CostMinor)
		}
	}
	for k, pt := range platforms {
		out[k.tenant].Platforms = append(out[k.tenant].Platforms, *pt)
	}
	for k, m := range money {
		s := out[k.tenant]
		s.Revenue = append(s.Revenue, sdk.Money{Minor: m[0], Currency: k.name})
		s.Cost = append(s.Cost, sdk.Money{Minor: m[1], Currency: k.name})
	}
	byCurrency := func(a, b sdk.Money) int { return cmp.Compare(a.Currency, b.Currency) }
	for _, s := range out {
		slices.SortFunc(s.Platforms, func(a, b apiv1.PlatformTotals) int { return cmp.Compare(a.Platform, b.Platform) })
		slices.SortFunc(s.Revenue, byCurrency)
		slices.SortFunc(s.Cost, byCurrency)
	}
	return out
}

// QuickStats are the quick stats of tenant ("" = every tenant) at now, by
// tenant: what the Command Center shows first.
func (r *Reports) QuickStats(ctx context.Context, tenant string, now time.Time) (map[string]*apiv1.Stats, error) {
	counts, err := r.StatusCounts(ctx, tenant)
	if err != nil {
		return nil, err
	}
	payments, err := r.Payments(ctx, tenant, now, nil)
	if err != nil {
		return nil, err
	}
	videos, err := r.Videos(ctx, tenant, now, nil)
	if err != nil {
		return nil, err
	}
	totals, err := r.Store.CampaignTotals(ctx, tenant)
	if err != nil {
		return nil, err
	}
	platforms := SummarizePlatforms(totals)

	out := map[string]*apiv1.Stats{}
	get := func(t string) *apiv1.Stats {
		if out[t] == nil {
			out[t] = apiv1.NewStats(t)
		}
		return out[t]
	}
	for t, byType := range counts {
		st := get(t)
		st.ByStatus = byType
		st.ActiveCampaigns = byType[sdk.EntityCampaign]["active"]
		st.PendingSignature = byType[sdk.EntityInfluencer]["pending_signature"]
	}
	for t, ps := range payments {
		get(t).Payments = ps
	}
	for t, q := range videos {
		get(t).VideoQueue = *q
	}
	for t, p := range platforms {
		st := get(t)
		st.Platforms, st.Revenue, st.Cost = p.Platforms, p.Revenue, p.Cost
	}
	return out, nil
}
