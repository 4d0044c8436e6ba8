package exporter

import (
	"context"
	"time"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/collector/business"
	"github.com/commandcenter/commandcenter/collector/store"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// Each domain's update sets the series of its families from what
// collector/business answers; series it does not set go away.

func (b *Business) updatePayments(ctx context.Context, s *snapshot) error {
	f := &b.f
	setDue := func(it *store.Item) {
		if !it.DueAt.IsZero() && it.Amount != nil {
			f.paymentDue.setValue(unixSeconds(it.DueAt), it.Tenant, it.ID, it.Influencer, it.Campaign, it.Amount.Currency)
		}
	}
	var payments map[string][]apiv1.CurrencyPayments
	var err error
	if s.ids == nil {
		// One pass over the open payments for the deadlines and the sums.
		payments, err = b.reports.Payments(ctx, s.tenant, s.now, setDue)
	} else {
		// After a batch: the deadlines of the payments it stored, and sums
		// the store adds up without a pass through Go.
		err = b.reports.Store.EachItem(ctx, s.items(sdk.EntityPayment, "open"), func(it *store.Item) error { setDue(it); return nil })
		if err == nil {
			payments, err = b.reports.PaymentSums(ctx, s.tenant, s.now)
		}
	}
	if err != nil {
		return err
	}
	for tenant, ps := range payments {
		for _, p := range ps {
			f.paymentsOpen.setValue(float64(p.Open), tenant, p.Currency)
			f.paymentsOpenAmount.setValue(p.Amount.Major(), tenant, p.Currency)
			f.paymentsOverdue.setValue(float64(p.Overdue), tenant, p.Currency)
		}
	}
	return nil
}

func (b *Business) updateVideos(ctx context.Context, s *snapshot) error {
	f := &b.f
	setDue := func(it *store.Item) {
		if it.Status == "scheduled" && !it.DueAt.IsZero() {
			f.videoDue.setValue(unixSeconds(it.DueAt), it.Tenant, it.ID, it.Influencer, it.Campaign, it.Platform)
		}
	}
	var visit func(*store.Item)
	if s.ids == nil {
		visit = setDue // one pass for the deadlines and the queues
	} else if err := b.reports.Store.EachItem(ctx, s.items(sdk.EntityVideo, "scheduled"), func(it *store.Item) error { setDue(it); return nil }); err != nil {
		return err
	}
	queues, err := b.reports.Videos(ctx, s.tenant, s.now, visit)
	if err != nil {
		return err
	}
	setByStatus(f.videos, s.counts, sdk.EntityVideo)
	for _, t := range s.tenants {
		var q apiv1.VideoQueue
		if queues[t] != nil {
			q = *queues[t]
		}
		f.videosUpcoming.setValue(float64(q.VideosUpcoming), t)
		f.reviewQueue.setValue(float64(q.ReviewQueue), t)
		if !q.ReviewOldest.IsZero() {
			f.reviewOldest.setValue(unixSeconds(q.ReviewOldest), t)
		}
	}
	return nil
}

// setByStatus sets one series per tenant and status of entityType.
func setByStatus(fam *family, counts business.StatusCounts, entityType string) {
	for tenant, byType := range counts {
		for status, n := range byType[entityType] {
			fam.setValue(float64(n), tenant, status)
		}
	}
}

func (b *Business) updateContracts(ctx context.Context, s *snapshot) error {
	f := &b.f
	setByStatus(f.influencers, s.counts, sdk.EntityInfluencer)
	setByStatus(f.contracts, s.counts, sdk.EntityContract)
	// Expiry series stay a while after expiry, so "expired while active"
	// alerts can see them; then they go, bounding cardinality.
	expiredSince := s.now.Add(-time.Duration(b.cfg.ContractExpiredLookback))
	return b.reports.Store.EachItem(ctx, s.items(sdk.EntityContract, "signed", "pending_signature"), func(c *store.Item) error {
		switch {
		case c.Status == "pending_signature":
			f.contractSent.setValue(unixSeconds(c.StatusSince), c.Tenant, c.ID, c.Influencer)
		case !c.DueAt.IsZero() && c.DueAt.After(expiredSince):
			f.contractExpiry.setValue(unixSeconds(c.DueAt), c.Tenant, c.ID, c.Influencer, c.Campaign)
		}
		return nil
	})
}

func (b *Business) updateCampaigns(ctx context.Context, s *snapshot) error {
	f := &b.f
	setByStatus(f.campaigns, s.counts, sdk.EntityCampaign)
	if err := b.reports.Store.EachItem(ctx, store.ItemQuery{Tenant: s.tenant, Type: sdk.EntityCampaign, WithAttrs: true}, func(c *store.Item) error {
		f.campaignInfo.setValue(1, c.Tenant, c.ID, c.Name, c.Status)
		if target := business.CPMTarget(c.Attrs); target != nil {
			f.campaignCPMTarget.setValue(target.Major(), c.Tenant, c.ID, target.Currency)
		}
		return nil
	}); err != nil {
		return err
	}
	for tenant, p := range business.SummarizePlatforms(s.totals) {
		for _, m := range p.Revenue {
			f.revenue.setValue(m.Major(), tenant, m.Currency)
		}
		for _, m := range p.Cost {
			f.cost.setValue(m.Major(), tenant, m.Currency)
		}
		for _, pt := range p.Platforms {
			f.impressions.setValue(float64(pt.Impressions), tenant, pt.Platform)
			f.views.setValue(float64(pt.Views), tenant, pt.Platform)
			f.clicks.setValue(float64(pt.Clicks), tenant, pt.Platform)
			f.engagements.setValue(float64(pt.Engagements), tenant, pt.Platform)
		}
	}
	type campaignKey struct{ tenant, campaign string }
	lastMetrics := map[campaignKey]time.Time{}
	tenants := map[string]bool{}
	for _, t := range s.totals {
		tenants[t.Tenant] = true
		cost := sdk.Money{Minor: t.CostMinor, Currency: t.Currency}
		if cpm, _ := business.CPM(sdk.Counts{Impressions: t.Impressions, Views: t.Views}, cost); cpm != nil && t.Currency != "" {
			f.campaignCPM.setValue(*cpm, t.Tenant, t.Campaign, t.Platform, t.Currency)
		}
		k := campaignKey{t.Tenant, t.Campaign}
		if t.UpdatedAt.After(lastMetrics[k]) {
			lastMetrics[k] = t.UpdatedAt
		}
	}
	for k, at := range lastMetrics {
		f.campaignLastMetrics.setValue(unixSeconds(at), k.tenant, k.campaign)
	}
	day := business.LastCompleteDay(s.now)
	for t := range tenants {
		daily, err := b.reports.Store.DailyViews(ctx, t, day)
		if err != nil {
			return err
		}
		for _, d := range daily {
			f.campaignViewsDaily.setValue(float64(d.Views), t, d.Campaign, d.Platform)
		}
	}
	return nil
}

func (b *Business) updateScraper(ctx context.Context, s *snapshot) error {
	f := &b.f
	stats, err := b.reports.Store.ScraperStats(ctx, s.tenant)
	if err != nil {
		return err
	}
	for _, st := range stats {
		if !st.LastSuccessAt.IsZero() {
			f.scraperLastSuccess.setValue(unixSeconds(st.LastSuccessAt), st.Tenant, st.Target)
		}
		f.scraperRuns.setValue(float64(st.RunsOK), st.Tenant, st.Target, sdk.ScraperRunStatusOK)
		f.scraperRuns.setValue(float64(st.RunsFailed), st.Tenant, st.Target, sdk.ScraperRunStatusFailed)
		f.scraperErrors.setValue(float64(st.Errors), st.Tenant, st.Target)
		f.scraperSelectorUpdates.setValue(float64(st.SelectorUpdates), st.Tenant, st.Target)
	}
	return nil
}
