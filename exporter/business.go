// Package exporter serves commandcenter's /metrics: the business gauges,
// refreshed from collector/business in domains (payments, videos,
// contracts, campaigns, scraper) that each report their own refresh
// duration and success, like node_exporter's collectors, and kept rendered
// and gzip-compressed in chunks between changes (as kube-state-metrics
// keeps each object's lines), so a scrape of 100,000 series costs well
// under a millisecond; and the process's own metrics (client_golang): Go
// runtime, process, build info, the store's size. Every metric name is a
// constant in exporter/metricnames; the host and the API register their
// own operational metrics under those names.
package exporter

import (
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/commandcenter/commandcenter/collector/business"
	"github.com/commandcenter/commandcenter/collector/config"
	"github.com/commandcenter/commandcenter/collector/store"
	"github.com/commandcenter/commandcenter/exporter/metricnames"
)

// Options tune the business metrics.
type Options struct {
	// Config is the configuration's exporter section, defaults applied.
	Config config.Exporter
	// Registerer receives the refresh's own metrics (duration, success and
	// last success per domain); nil leaves them unregistered.
	Registerer prometheus.Registerer
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Business holds the business metric families and keeps them current.
type Business struct {
	reports *business.Reports
	cfg     config.Exporter
	now     func() time.Time
	logger  *slog.Logger

	// mu serialises refreshes. Scrapes do not take it: they serve the
	// exposition the latest refresh published, so a scrape never waits for
	// one and never sees half of it.
	mu sync.Mutex
	// current is the exposition the latest refresh rendered; z renders it.
	current atomic.Pointer[exposition]
	z       *compressor
	// families are every family in exposition order; domains group them
	// by what refreshes them.
	families []*family
	domains  []*domain
	f        businessFamilies

	refreshDuration, refreshSuccess, lastSuccess *prometheus.GaugeVec
}

// domain is one group of families refreshed together. One failing domain
// keeps its last values and leaves the others current.
type domain struct {
	name     string
	families []*family
	update   func(context.Context, *snapshot) error
	// lastAt is when the domain last refreshed successfully; lastErr why
	// its latest refresh failed, if it did.
	lastAt  time.Time
	lastErr error
}

// snapshot is what the domains of one refresh share, read once.
type snapshot struct {
	now time.Time
	// tenants are all tenants with entities or daily metrics, sorted.
	tenants []string
	counts  business.StatusCounts
	totals  []store.CampaignTotal
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
func NewBusiness(reports *business.Reports, opts Options) *Business {
	if opts.Config.RefreshInterval <= 0 {
		panic("exporter: Options.Config needs the configuration's exporter section, defaults applied")
	}
	b := &Business{reports: reports, cfg: opts.Config, now: opts.Now, logger: opts.Logger, z: newCompressor(flate.DefaultCompression)}
	b.current.Store(newExposition(nil))
	if b.now == nil {
		b.now = time.Now
	}
	if b.logger == nil {
		b.logger = slog.Default()
	}
	b.newSelfMetrics(opts.Registerer)
	payments := b.domain("payments", b.updatePayments)
	videos := b.domain("videos", b.updateVideos)
	contracts := b.domain("contracts", b.updateContracts)
	campaigns := b.domain("campaigns", b.updateCampaigns)
	scraper := b.domain("scraper", b.updateScraper)
	f := &b.f
	g, c := "gauge", "counter"
	f.paymentsOpen = b.add(payments, metricnames.PaymentsOpen, g, "Open (unpaid) payments.", "tenant", "currency")
	f.paymentsOpenAmount = b.add(payments, metricnames.PaymentsOpenAmount, g, "Sum of open payments, in major currency units.", "tenant", "currency")
	f.paymentsOverdue = b.add(payments, metricnames.PaymentsOverdue, g, "Open payments past their due date.", "tenant", "currency")
	f.paymentDue = b.add(payments, metricnames.PaymentDueTimestamp, g, "Due date of each open payment.", "tenant", "payment", "influencer", "campaign", "currency")
	f.videos = b.add(videos, metricnames.Videos, g, "Videos by status.", "tenant", "status")
	f.videosUpcoming = b.add(videos, metricnames.VideosUpcoming, g, "Scheduled videos due within the upcoming window.", "tenant")
	f.videoDue = b.add(videos, metricnames.VideoDueTimestamp, g, "Due date of each scheduled video not yet uploaded.", "tenant", "video", "influencer", "campaign", "platform")
	f.reviewQueue = b.add(videos, metricnames.VideoReviewQueue, g, "Videos submitted and waiting for review.", "tenant")
	f.reviewOldest = b.add(videos, metricnames.VideoReviewOldestSubmittedTimestamp, g, "When the oldest video in the review queue was submitted.", "tenant")
	f.campaigns = b.add(campaigns, metricnames.Campaigns, g, "Campaigns by status.", "tenant", "status")
	f.influencers = b.add(contracts, metricnames.Influencers, g, "Influencers by status (pending_signature included).", "tenant", "status")
	f.contracts = b.add(contracts, metricnames.Contracts, g, "Contracts by status.", "tenant", "status")
	f.contractExpiry = b.add(contracts, metricnames.ContractExpiryTimestamp, g, "Expiry of each signed contract, unexpired or recently expired.", "tenant", "contract", "influencer", "campaign")
	f.contractSent = b.add(contracts, metricnames.ContractSentTimestamp, g, "When each contract awaiting signature was sent.", "tenant", "contract", "influencer")
	f.campaignInfo = b.add(campaigns, metricnames.CampaignInfo, g, "Campaign metadata; always 1.", "tenant", "campaign", "name", "status")
	f.revenue = b.add(campaigns, metricnames.Revenue, g, "Revenue over all daily metrics, in major currency units.", "tenant", "currency")
	f.cost = b.add(campaigns, metricnames.Cost, g, "Cost over all daily metrics, in major currency units.", "tenant", "currency")
	f.impressions = b.add(campaigns, metricnames.PlatformImpressions, g, "Impressions over all daily metrics.", "tenant", "platform")
	f.views = b.add(campaigns, metricnames.PlatformViews, g, "Views over all daily metrics.", "tenant", "platform")
	f.clicks = b.add(campaigns, metricnames.PlatformClicks, g, "Clicks over all daily metrics.", "tenant", "platform")
	f.engagements = b.add(campaigns, metricnames.PlatformEngagements, g, "Likes, comments and shares over all daily metrics.", "tenant", "platform")
	f.campaignCPM = b.add(campaigns, metricnames.CampaignCPM, g, "Cost per thousand impressions (views where the platform reports no impressions) so far, major units.", "tenant", "campaign", "platform", "currency")
	f.campaignCPMTarget = b.add(campaigns, metricnames.CampaignCPMTarget, g, "The campaign's CPM target, major units.", "tenant", "campaign", "currency")
	f.campaignViewsDaily = b.add(campaigns, metricnames.CampaignViewsDaily, g, "Views on the last complete UTC day.", "tenant", "campaign", "platform")
	f.campaignLastMetrics = b.add(campaigns, metricnames.CampaignLastMetricsTimestamp, g, "When performance data for the campaign last arrived.", "tenant", "campaign")
	f.scraperLastSuccess = b.add(scraper, metricnames.ScraperLastSuccessTimestamp, g, "When the scraper last read the target successfully.", "tenant", "target")
	f.scraperRuns = b.add(scraper, metricnames.ScraperRunsTotal, c, "Scraper runs by outcome.", "tenant", "target", "status")
	f.scraperErrors = b.add(scraper, metricnames.ScraperErrorsTotal, c, "Errors the scraper reported.", "tenant", "target")
	f.scraperSelectorUpdates = b.add(scraper, metricnames.ScraperSelectorUpdatesTotal, c, "Times a target's selectors were updated.", "tenant", "target")
	return b
}

func (b *Business) domain(name string, update func(context.Context, *snapshot) error) *domain {
	d := &domain{name: name, update: update}
	b.domains = append(b.domains, d)
	b.refreshDuration.WithLabelValues(name)
	b.refreshSuccess.WithLabelValues(name)
	b.lastSuccess.WithLabelValues(name)
	return d
}

func (b *Business) add(d *domain, name, typ, help string, labels ...string) *family {
	f := newFamily(name, typ, help, labels...)
	d.families = append(d.families, f)
	b.families = append(b.families, f)
	return f
}

// newSelfMetrics makes the refresh's own gauges, one series per domain,
// registered with reg when it is not nil.
func (b *Business) newSelfMetrics(reg prometheus.Registerer) {
	gauge := func(name, help string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, []string{"domain"})
	}
	b.refreshDuration = gauge(metricnames.BusinessRefreshDuration, "How long the latest refresh of a domain of business metrics took.")
	b.refreshSuccess = gauge(metricnames.BusinessRefreshSuccess, "1 if the latest refresh of a domain of business metrics succeeded, else 0 (its series keep their last values).")
	b.lastSuccess = gauge(metricnames.BusinessLastRefreshSuccessTimestamp, "When a domain of business metrics was last refreshed successfully; 0 before the first time.")
	if reg != nil {
		reg.MustRegister(b.refreshDuration, b.refreshSuccess, b.lastSuccess)
	}
}

// maxAge forces a refresh this often without store changes, for counts
// that move with time (overdue payments, upcoming videos).
const maxAge = 15 * time.Second

// Run keeps the metrics current until ctx ends: after every store change
// (at most once per refresh interval) and at least every maxAge. Call
// Refresh once before, so the first scrape has values.
func (b *Business) Run(ctx context.Context) {
	changes, stop := b.reports.Store.Subscribe("")
	defer stop()
	tick := time.NewTicker(maxAge)
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
		case <-time.After(time.Duration(b.cfg.RefreshInterval)):
		}
		if err := b.Refresh(ctx); err != nil && ctx.Err() == nil {
			b.logger.Error("refreshing business metrics", "err", err)
		}
	}
}

// Refresh reads the store once and updates every domain; it returns the
// domains' errors, joined. A failing domain keeps its last values.
func (b *Business) Refresh(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	snap, snapErr := b.snapshot(ctx, now)
	if snapErr != nil {
		// Every domain needs the snapshot: all fail, with the one reason.
		snapErr = fmt.Errorf("reading counts and totals: %w", snapErr)
	}
	var errs []error
	for _, d := range b.domains {
		start := time.Now()
		for _, f := range d.families {
			f.begin()
		}
		err := snapErr
		if err == nil {
			err = d.update(ctx, snap)
		}
		if err != nil {
			// Keep the last good values rather than dropping every series.
			for _, f := range d.families {
				f.abort()
			}
			d.lastErr = err
			b.refreshSuccess.WithLabelValues(d.name).Set(0)
			if err != snapErr {
				errs = append(errs, fmt.Errorf("%s: %w", d.name, err))
			}
		} else {
			for _, f := range d.families {
				f.end(nil)
			}
			d.lastAt, d.lastErr = now, nil
			b.refreshSuccess.WithLabelValues(d.name).Set(1)
			b.lastSuccess.WithLabelValues(d.name).Set(unixSeconds(now))
		}
		b.refreshDuration.WithLabelValues(d.name).Set(time.Since(start).Seconds())
	}
	b.publish()
	if snapErr != nil {
		return snapErr
	}
	return errors.Join(errs...)
}

// snapshot reads what several domains need: counts by status, campaign
// totals, and so every tenant.
func (b *Business) snapshot(ctx context.Context, now time.Time) (*snapshot, error) {
	counts, err := b.reports.StatusCounts(ctx, "")
	if err != nil {
		return nil, err
	}
	totals, err := b.reports.Store.CampaignTotals(ctx, "")
	if err != nil {
		return nil, err
	}
	s := &snapshot{now: now, counts: counts, totals: totals}
	seen := map[string]bool{}
	for t := range counts {
		seen[t] = true
	}
	for _, t := range totals {
		seen[t.Tenant] = true
	}
	for t := range seen {
		s.tenants = append(s.tenants, t)
	}
	slices.Sort(s.tenants)
	return s, nil
}

// Ready reports an error until every domain has been computed once, and
// while the latest refresh of any fails.
func (b *Business) Ready() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	var failed []string
	var first error
	for _, d := range b.domains {
		switch {
		case d.lastErr != nil:
			failed = append(failed, d.name)
			if first == nil {
				first = d.lastErr
			}
		case d.lastAt.IsZero():
			return errors.New("business metrics not computed yet")
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("business metrics: last refresh failed (%s): %w", strings.Join(failed, ", "), first)
	}
	return nil
}

// publish renders the chunks the refresh changed and makes the result
// what scrapes serve.
func (b *Business) publish() {
	var segs []segment
	for _, f := range b.families {
		f.render(b.z)
		segs = f.segments(segs)
	}
	b.current.Store(newExposition(segs))
}

// WritePrometheus writes every business series, as the latest refresh left
// them, in text exposition format.
func (b *Business) WritePrometheus(w io.Writer) error {
	return b.current.Load().writePlain(w)
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }
