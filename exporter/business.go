// Package exporter serves commandcenter's /metrics: business gauges derived
// from the store (built with VictoriaMetrics/metrics, which handles large,
// dynamic series sets quickly) and the process's own operational metrics
// (client_golang), in one Prometheus text exposition.
package exporter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/commandcenter/commandcenter/collector/store"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

const ns = "commandcenter_"

// Options tune the business metrics.
type Options struct {
	// UpcomingWindow: a scheduled video due within it counts as upcoming.
	UpcomingWindow time.Duration
	// ContractExpiredLookback keeps expiry series of contracts that expired
	// this recently.
	ContractExpiredLookback time.Duration
	// MinRefresh bounds how often the store is read again after changes.
	MinRefresh time.Duration
	// MaxAge forces a refresh this often, for counts that move with time
	// (overdue payments, upcoming videos).
	MaxAge time.Duration
	Now    func() time.Time
	Logger *slog.Logger
}

func (o *Options) defaults() {
	if o.UpcomingWindow == 0 {
		o.UpcomingWindow = 7 * 24 * time.Hour
	}
	if o.ContractExpiredLookback == 0 {
		o.ContractExpiredLookback = 30 * 24 * time.Hour
	}
	if o.MinRefresh == 0 {
		o.MinRefresh = time.Second
	}
	if o.MaxAge == 0 {
		o.MaxAge = 15 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Business holds the business metric families and keeps them current.
type Business struct {
	store *store.Store
	opts  Options

	// mu serialises refreshes. Scrapes do not take it: the VictoriaMetrics
	// sets are safe to write while a refresh updates them, so a scrape
	// never waits for one (values may then mix two refreshes, as with any
	// live registry).
	mu       sync.Mutex
	families []*family
	f        businessFamilies
	// lastAt is when the last refresh succeeded; lastErr why the last one
	// failed, if it did.
	lastAt  time.Time
	lastErr error
}

type businessFamilies struct {
	paymentsOpen, paymentsOpenAmount, paymentsOverdue, paymentDue                 *family
	videos, videosUpcoming, videoDue, reviewQueue, reviewOldest                   *family
	campaigns, influencers, contracts, contractExpiry, contractSent, campaignInfo *family
	revenue, cost, impressions, views, clicks, engagements                        *family
	campaignCPM, campaignCPMTarget, campaignViewsDaily, campaignLastMetrics       *family
	scraperLastSuccess, scraperRuns, scraperErrors, scraperSelectorUpdates        *family
}

// NewBusiness prepares the families; call Refresh or Run to fill them.
func NewBusiness(st *store.Store, opts Options) *Business {
	opts.defaults()
	b := &Business{store: st, opts: opts}
	f := &b.f
	add := func(fam *family) *family { b.families = append(b.families, fam); return fam }
	g, c := "gauge", "counter"
	f.paymentsOpen = add(newFamily(ns+"payments_open", g, "Open (unpaid) payments.", "tenant", "currency"))
	f.paymentsOpenAmount = add(newFamily(ns+"payments_open_amount", g, "Sum of open payments, in major currency units.", "tenant", "currency"))
	f.paymentsOverdue = add(newFamily(ns+"payments_overdue", g, "Open payments past their due date.", "tenant", "currency"))
	f.paymentDue = add(newFamily(ns+"payment_due_timestamp_seconds", g, "Due date of each open payment.", "tenant", "payment", "influencer", "campaign", "currency"))
	f.videos = add(newFamily(ns+"videos", g, "Videos by status.", "tenant", "status"))
	f.videosUpcoming = add(newFamily(ns+"videos_upcoming", g, "Scheduled videos due within the upcoming window.", "tenant"))
	f.videoDue = add(newFamily(ns+"video_due_timestamp_seconds", g, "Due date of each scheduled video not yet uploaded.", "tenant", "video", "influencer", "campaign", "platform"))
	f.reviewQueue = add(newFamily(ns+"video_review_queue", g, "Videos submitted and waiting for review.", "tenant"))
	f.reviewOldest = add(newFamily(ns+"video_review_oldest_submitted_timestamp_seconds", g, "When the oldest video in the review queue was submitted.", "tenant"))
	f.campaigns = add(newFamily(ns+"campaigns", g, "Campaigns by status.", "tenant", "status"))
	f.influencers = add(newFamily(ns+"influencers", g, "Influencers by status (pending_signature included).", "tenant", "status"))
	f.contracts = add(newFamily(ns+"contracts", g, "Contracts by status.", "tenant", "status"))
	f.contractExpiry = add(newFamily(ns+"contract_expiry_timestamp_seconds", g, "Expiry of each signed contract, unexpired or recently expired.", "tenant", "contract", "influencer", "campaign"))
	f.contractSent = add(newFamily(ns+"contract_sent_timestamp_seconds", g, "When each contract awaiting signature was sent.", "tenant", "contract", "influencer"))
	f.campaignInfo = add(newFamily(ns+"campaign_info", g, "Campaign metadata; always 1.", "tenant", "campaign", "name", "status"))
	f.revenue = add(newFamily(ns+"revenue", g, "Revenue over all daily metrics, in major currency units.", "tenant", "currency"))
	f.cost = add(newFamily(ns+"cost", g, "Cost over all daily metrics, in major currency units.", "tenant", "currency"))
	f.impressions = add(newFamily(ns+"platform_impressions", g, "Impressions over all daily metrics.", "tenant", "platform"))
	f.views = add(newFamily(ns+"platform_views", g, "Views over all daily metrics.", "tenant", "platform"))
	f.clicks = add(newFamily(ns+"platform_clicks", g, "Clicks over all daily metrics.", "tenant", "platform"))
	f.engagements = add(newFamily(ns+"platform_engagements", g, "Likes, comments and shares over all daily metrics.", "tenant", "platform"))
	f.campaignCPM = add(newFamily(ns+"campaign_cpm", g, "Cost per thousand impressions (views where the platform reports no impressions) so far, major units.", "tenant", "campaign", "platform", "currency"))
	f.campaignCPMTarget = add(newFamily(ns+"campaign_cpm_target", g, "The campaign's CPM target, major units.", "tenant", "campaign", "currency"))
	f.campaignViewsDaily = add(newFamily(ns+"campaign_views_daily", g, "Views on the last complete UTC day.", "tenant", "campaign", "platform"))
	f.campaignLastMetrics = add(newFamily(ns+"campaign_last_metrics_timestamp_seconds", g, "When performance data for the campaign last arrived.", "tenant", "campaign"))
	f.scraperLastSuccess = add(newFamily(ns+"scraper_last_success_timestamp_seconds", g, "When the scraper last read the target successfully.", "tenant", "target"))
	f.scraperRuns = add(newFamily(ns+"scraper_runs_total", c, "Scraper runs by outcome.", "tenant", "target", "status"))
	f.scraperErrors = add(newFamily(ns+"scraper_errors_total", c, "Errors the scraper reported.", "tenant", "target"))
	f.scraperSelectorUpdates = add(newFamily(ns+"scraper_selector_updates_total", c, "Times a target's selectors were updated.", "tenant", "target"))
	return b
}

// Run keeps the metrics current until ctx ends: after every store change
// (at most once per MinRefresh) and at least every MaxAge. Call Refresh
// once before, so the first scrape has values.
func (b *Business) Run(ctx context.Context) {
	changes, stop := b.store.Subscribe()
	defer stop()
	tick := time.NewTicker(b.opts.MaxAge)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-changes:
		case <-tick.C:
		}
		// Coalesce bursts of batches into one refresh.
		select {
		case <-ctx.Done():
			return
		case <-time.After(b.opts.MinRefresh):
		}
		if err := b.Refresh(ctx); err != nil && ctx.Err() == nil {
			b.opts.Logger.Error("refreshing business metrics", "err", err)
		}
	}
}

// Refresh reads the store and updates every family.
func (b *Business) Refresh(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, f := range b.families {
		f.begin()
	}
	err := b.fill(ctx, b.opts.Now())
	if err != nil {
		// Keep the last good values rather than dropping every series.
		for _, f := range b.families {
			f.abort()
		}
		b.lastErr = err
		return err
	}
	for _, f := range b.families {
		f.end()
	}
	b.lastAt, b.lastErr = b.opts.Now(), nil
	return nil
}

// Ready reports an error until the business metrics have been computed
// once, and while the latest refresh fails.
func (b *Business) Ready() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.lastErr != nil:
		return fmt.Errorf("business metrics: last refresh failed: %w", b.lastErr)
	case b.lastAt.IsZero():
		return errors.New("business metrics not computed yet")
	}
	return nil
}

// WritePrometheus writes every business series in text exposition format.
func (b *Business) WritePrometheus(w io.Writer) {
	for _, f := range b.families {
		f.write(w)
	}
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

func (b *Business) fill(ctx context.Context, now time.Time) error {
	f := &b.f
	stats, err := b.store.QuickStats(ctx, "", now, b.opts.UpcomingWindow, func(it *store.Item) {
		switch {
		case it.DueAt.IsZero():
		case it.Type == sdk.EntityPayment:
			f.paymentDue.setValue(unixSeconds(it.DueAt), it.Tenant, it.ID, it.Influencer, it.Campaign, it.Amount.Currency)
		case it.Type == sdk.EntityVideo && it.Status == "scheduled":
			f.videoDue.setValue(unixSeconds(it.DueAt), it.Tenant, it.ID, it.Influencer, it.Campaign, it.Platform)
		}
	})
	if err != nil {
		return err
	}
	byType := map[string]*family{sdk.EntityVideo: f.videos, sdk.EntityCampaign: f.campaigns, sdk.EntityInfluencer: f.influencers, sdk.EntityContract: f.contracts}
	for tenant, st := range stats {
		for typ, counts := range st.ByStatus {
			if fam := byType[typ]; fam != nil {
				for status, n := range counts {
					fam.setValue(float64(n), tenant, status)
				}
			}
		}
		for _, p := range st.Payments {
			f.paymentsOpen.setValue(float64(p.Open), tenant, p.Currency)
			f.paymentsOpenAmount.setValue(store.Major(p.Amount.Minor, p.Currency), tenant, p.Currency)
			f.paymentsOverdue.setValue(float64(p.Overdue), tenant, p.Currency)
		}
		f.videosUpcoming.setValue(float64(st.VideosUpcoming), tenant)
		f.reviewQueue.setValue(float64(st.ReviewQueue), tenant)
		if !st.ReviewOldest.IsZero() {
			f.reviewOldest.setValue(unixSeconds(st.ReviewOldest), tenant)
		}
		for _, p := range st.Platforms {
			f.impressions.setValue(float64(p.Impressions), tenant, p.Platform)
			f.views.setValue(float64(p.Views), tenant, p.Platform)
			f.clicks.setValue(float64(p.Clicks), tenant, p.Platform)
			f.engagements.setValue(float64(p.Engagements), tenant, p.Platform)
		}
		for _, m := range st.Revenue {
			f.revenue.setValue(store.Major(m.Minor, m.Currency), tenant, m.Currency)
		}
		for _, m := range st.Cost {
			f.cost.setValue(store.Major(m.Minor, m.Currency), tenant, m.Currency)
		}
	}

	if err := b.store.EachItem(ctx, store.ItemQuery{Type: sdk.EntityContract, Statuses: []string{"signed", "pending_signature"}}, func(c *store.Item) error {
		switch {
		case c.Status == "pending_signature":
			f.contractSent.setValue(unixSeconds(c.StatusSince), c.Tenant, c.ID, c.Influencer)
		case !c.DueAt.IsZero() && c.DueAt.After(now.Add(-b.opts.ContractExpiredLookback)):
			f.contractExpiry.setValue(unixSeconds(c.DueAt), c.Tenant, c.ID, c.Influencer, c.Campaign)
		}
		return nil
	}); err != nil {
		return err
	}

	campaigns, err := b.store.Items(ctx, store.ItemQuery{Type: sdk.EntityCampaign, WithAttrs: true})
	if err != nil {
		return err
	}
	for _, c := range campaigns {
		f.campaignInfo.setValue(1, c.Tenant, c.ID, c.Name, c.Status)
		var attrs struct {
			CPMTarget *sdk.Money `json:"cpm_target"`
		}
		if len(c.Attrs) > 0 && json.Unmarshal(c.Attrs, &attrs) == nil && attrs.CPMTarget != nil {
			f.campaignCPMTarget.setValue(store.Major(attrs.CPMTarget.Minor, attrs.CPMTarget.Currency), c.Tenant, c.ID, attrs.CPMTarget.Currency)
		}
	}
	totals, err := b.store.CampaignTotals(ctx, "")
	if err != nil {
		return err
	}
	if err := b.fillCampaigns(ctx, totals, now); err != nil {
		return err
	}
	return b.fillScraper(ctx)
}

// fillCampaigns sets per-campaign performance: CPM so far, freshness and
// views on the last complete day.
func (b *Business) fillCampaigns(ctx context.Context, totals []store.CampaignTotal, now time.Time) error {
	f := &b.f
	type campaignKey struct{ tenant, campaign string }
	lastMetrics := map[campaignKey]time.Time{}
	tenants := map[string]bool{}
	for _, t := range totals {
		tenants[t.Tenant] = true
		row := store.PerformanceRow{Currency: t.Currency, Impressions: t.Impressions, Views: t.Views,
			Cost: sdk.Money{Minor: t.CostMinor, Currency: t.Currency}}
		if cpm := row.Ratios().CPM; cpm != nil && t.Currency != "" {
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
	yesterday := now.UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	for t := range tenants {
		daily, err := b.store.DailyViews(ctx, t, yesterday)
		if err != nil {
			return err
		}
		for _, d := range daily {
			f.campaignViewsDaily.setValue(float64(d.Views), t, d.Campaign, d.Platform)
		}
	}
	return nil
}

func (b *Business) fillScraper(ctx context.Context) error {
	f := &b.f
	stats, err := b.store.ScraperStats(ctx, "")
	if err != nil {
		return err
	}
	for _, s := range stats {
		if !s.LastSuccessAt.IsZero() {
			f.scraperLastSuccess.setValue(unixSeconds(s.LastSuccessAt), s.Tenant, s.Target)
		}
		f.scraperRuns.setValue(float64(s.RunsOK), s.Tenant, s.Target, "ok")
		f.scraperRuns.setValue(float64(s.RunsFailed), s.Tenant, s.Target, "failed")
		f.scraperErrors.setValue(float64(s.Errors), s.Tenant, s.Target)
		f.scraperSelectorUpdates.setValue(float64(s.SelectorUpdates), s.Tenant, s.Target)
	}
	return nil
}
