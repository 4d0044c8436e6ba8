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
	"github.com/commandcenter/commandcenter/plugins/sdk"
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
	// tenants are those the metrics have series for: a change from any
	// other concerns every domain (some set zeros for each tenant).
	tenants map[string]bool
	// refreshedSeq is the store's Seq when the latest full refresh began:
	// Run recomputes at once if changes came before it subscribed.
	refreshedSeq uint64

	refreshDuration, refreshSuccess, lastSuccess *prometheus.GaugeVec
}

// domain is one group of families refreshed together. One failing domain
// keeps its last values and leaves the others current.
type domain struct {
	name     string
	families []*family
	update   func(context.Context, *snapshot) error
	// concerns says whether a stored batch's change may move the domain's
	// series.
	concerns func(*store.Change) bool
	// lastAt is when the domain last refreshed successfully; lastErr why
	// its latest refresh failed, if it did.
	lastAt  time.Time
	lastErr error
}

// snapshot is what the domains of one refresh share, read once.
type snapshot struct {
	now time.Time
	// tenant is the one tenant a partial refresh recomputes; "" is all.
	// ids, in a partial refresh, are the entities the batch stored, by
	// type: the per-entity series of no others can have moved.
	tenant string
	ids    map[string][]string
	// tenants are the tenants with entities or daily metrics, sorted.
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
	b := &Business{reports: reports, cfg: opts.Config, now: opts.Now, logger: opts.Logger, z: newCompressor(flate.DefaultCompression),
		tenants: map[string]bool{}}
	b.current.Store(newExposition(nil, nil))
	if b.now == nil {
		b.now = time.Now
	}
	if b.logger == nil {
		b.logger = slog.Default()
	}
	b.newSelfMetrics(opts.Registerer)
	payments := b.domain("payments", b.updatePayments, sdk.EntityPayment)
	videos := b.domain("videos", b.updateVideos, sdk.EntityVideo)
	contracts := b.domain("contracts", b.updateContracts, sdk.EntityContract, sdk.EntityInfluencer)
	campaigns := b.domain("campaigns", b.updateCampaigns, sdk.EntityCampaign)
	campaigns.concerns = func(c *store.Change) bool { return c.DailyMetrics || len(c.Entities[sdk.EntityCampaign]) > 0 }
	scraper := b.domain("scraper", b.updateScraper)
	scraper.concerns = func(c *store.Change) bool { return c.ScraperStats }
	f := &b.f
	g, c := "gauge", "counter"
	f.paymentsOpen = b.add(payments, metricnames.PaymentsOpen, g, "Open (unpaid) payments.", "tenant", "currency")
	f.paymentsOpenAmount = b.add(payments, metricnames.PaymentsOpenAmount, g, "Sum of open payments, in major currency units.", "tenant", "currency")
	f.paymentsOverdue = b.add(payments, metricnames.PaymentsOverdue, g, "Open payments past their due date.", "tenant", "currency")
	f.paymentDue = b.add(payments, metricnames.PaymentDueTimestamp, g, "Due date of each open payment.", "tenant", "payment", "influencer", "campaign", "currency").perItem("payment", sdk.EntityPayment)
	f.videos = b.add(videos, metricnames.Videos, g, "Videos by status.", "tenant", "status")
	f.videosUpcoming = b.add(videos, metricnames.VideosUpcoming, g, "Scheduled videos due within the upcoming window.", "tenant")
	f.videoDue = b.add(videos, metricnames.VideoDueTimestamp, g, "Due date of each scheduled video not yet uploaded.", "tenant", "video", "influencer", "campaign", "platform").perItem("video", sdk.EntityVideo)
	f.reviewQueue = b.add(videos, metricnames.VideoReviewQueue, g, "Videos submitted and waiting for review.", "tenant")
	f.reviewOldest = b.add(videos, metricnames.VideoReviewOldestSubmittedTimestamp, g, "When the oldest video in the review queue was submitted.", "tenant")
	f.campaigns = b.add(campaigns, metricnames.Campaigns, g, "Campaigns by status.", "tenant", "status")
	f.influencers = b.add(contracts, metricnames.Influencers, g, "Influencers by status (pending_signature included).", "tenant", "status")
	f.contracts = b.add(contracts, metricnames.Contracts, g, "Contracts by status.", "tenant", "status")
	f.contractExpiry = b.add(contracts, metricnames.ContractExpiryTimestamp, g, "Expiry of each signed contract, unexpired or recently expired.", "tenant", "contract", "influencer", "campaign").perItem("contract", sdk.EntityContract)
	f.contractSent = b.add(contracts, metricnames.ContractSentTimestamp, g, "When each contract awaiting signature was sent.", "tenant", "contract", "influencer").perItem("contract", sdk.EntityContract)
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

// domain adds a domain that a change concerns when it stored entities of
// one of entityTypes.
func (b *Business) domain(name string, update func(context.Context, *snapshot) error, entityTypes ...string) *domain {
	d := &domain{name: name, update: update, concerns: func(c *store.Change) bool {
		for _, t := range entityTypes {
			if len(c.Entities[t]) > 0 {
				return true
			}
		}
		return false
	}}
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

// maxAge forces a full refresh this often, for counts that move with time
// (overdue payments, upcoming videos), and as a safety net.
const maxAge = 15 * time.Second

// Run keeps the metrics current until ctx ends. Each stored batch updates,
// as soon as it is committed, only the domains it concerns and only for
// its tenant; everything is recomputed at least every maxAge, and at once
// (at most once per refresh interval) when changes were missed or came too
// many at once to take one by one. Call Refresh once before, so the first
// scrape has values.
func (b *Business) Run(ctx context.Context) {
	// Read before subscribing, so a change in between shows as a gap.
	lastSeq := b.reports.Store.Seq()
	changes, stop := b.reports.Store.Subscribe("")
	defer stop()
	tick := time.NewTicker(maxAge)
	defer tick.Stop()
	var lastFull time.Time
	full := func() {
		// Coalesce bursts: a full refresh at most once per interval.
		if wait := time.Duration(b.cfg.RefreshInterval) - time.Since(lastFull); wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
		lastFull = time.Now()
		if err := b.Refresh(ctx); err != nil && ctx.Err() == nil {
			b.logger.Error("refreshing business metrics", "err", err)
		}
	}
	b.mu.Lock()
	missedBefore := b.refreshedSeq != lastSeq
	b.mu.Unlock()
	if missedBefore {
		full() // batches stored between the first refresh and now
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			full()
		case c, ok := <-changes:
			if !ok {
				return
			}
			// Take what else is already waiting, so a burst is one pass.
			pending := []store.Change{c}
		drain:
			for len(pending) < maxPartial {
				select {
				case c, ok := <-changes:
					if !ok {
						break drain
					}
					pending = append(pending, c)
				default:
					break drain
				}
			}
			missed := pending[0].Seq != lastSeq+1
			for i := 1; i < len(pending); i++ {
				missed = missed || pending[i].Seq != pending[i-1].Seq+1
			}
			lastSeq = pending[len(pending)-1].Seq
			if missed || len(pending) == maxPartial {
				full()
				continue
			}
			if err := b.apply(ctx, pending); err != nil && ctx.Err() == nil {
				b.logger.Warn("updating business metrics after a batch; recomputing them all", "err", err)
				full()
			}
		}
	}
}

// maxPartial is how many changes waiting at once are still taken one by
// one; more mean a busy import, better served by one full refresh.
const maxPartial = 32

// Refresh reads the store once and recomputes every domain; it returns the
// domains' errors, joined. A failing domain keeps its last values.
func (b *Business) Refresh(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refreshedSeq = b.reports.Store.Seq()
	now := b.now()
	snap, snapErr := b.snapshot(ctx, now, "")
	if snapErr != nil {
		// Every domain needs the snapshot: all fail, with the one reason.
		snapErr = fmt.Errorf("reading counts and totals: %w", snapErr)
	}
	var errs []error
	for _, d := range b.domains {
		start := time.Now()
		err := snapErr
		if err == nil {
			err = b.update(ctx, d, snap)
		}
		if err != nil {
			d.lastErr = err
			b.refreshSuccess.WithLabelValues(d.name).Set(0)
			if err != snapErr {
				errs = append(errs, fmt.Errorf("%s: %w", d.name, err))
			}
		} else {
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

// apply updates, for each change, the domains it concerns, for its tenant
// only, and publishes the result once.
func (b *Business) apply(ctx context.Context, changes []store.Change) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	defer b.publish()
	now := b.now()
	for i := range changes {
		c := &changes[i]
		var snap *snapshot
		newTenant := !b.tenants[c.Tenant]
		for _, d := range b.domains {
			if !newTenant && !d.concerns(c) {
				continue
			}
			if snap == nil {
				var err error
				if snap, err = b.snapshot(ctx, now, c.Tenant); err != nil {
					return fmt.Errorf("reading counts and totals of %s: %w", c.Tenant, err)
				}
				snap.ids = c.Entities
			}
			if err := b.update(ctx, d, snap); err != nil {
				return fmt.Errorf("%s of %s: %w", d.name, c.Tenant, err)
			}
		}
	}
	return nil
}

// update recomputes d's families for snap's tenant (all when ""); on
// failure they keep their last values.
func (b *Business) update(ctx context.Context, d *domain, snap *snapshot) error {
	for _, f := range d.families {
		f.begin()
	}
	if err := d.update(ctx, snap); err != nil {
		for _, f := range d.families {
			f.abort()
		}
		return err
	}
	for _, f := range d.families {
		f.end(snap.scopeOf(f))
	}
	return nil
}

// scopeOf is the part of f that a refresh from s answers for.
func (s *snapshot) scopeOf(f *family) *scope {
	switch {
	case s.tenant == "":
		return nil
	case f.item >= 0 && s.ids != nil:
		ids := map[string]bool{}
		for _, id := range s.ids[f.itemType] {
			ids[id] = true
		}
		return itemScope(s.tenant, ids)
	default:
		return tenantScope(s.tenant)
	}
}

// items selects the entities of typ whose per-entity series a refresh
// from s revisits: with statuses, of s's tenant, only those the batch
// stored in a partial refresh.
func (s *snapshot) items(typ string, statuses ...string) store.ItemQuery {
	q := store.ItemQuery{Tenant: s.tenant, Type: typ, Statuses: statuses}
	if s.ids != nil {
		q.IDs = s.ids[typ]
		if len(q.IDs) == 0 {
			q.IDs = []string{""} // none: no entity has an empty id
		}
	}
	return q
}

// snapshot reads what several domains need, of tenant ("" = all): counts
// by status, campaign totals, and so the tenants.
func (b *Business) snapshot(ctx context.Context, now time.Time, tenant string) (*snapshot, error) {
	counts, err := b.reports.StatusCounts(ctx, tenant)
	if err != nil {
		return nil, err
	}
	totals, err := b.reports.Store.CampaignTotals(ctx, tenant)
	if err != nil {
		return nil, err
	}
	s := &snapshot{now: now, tenant: tenant, counts: counts, totals: totals}
	seen := map[string]bool{}
	for t := range counts {
		seen[t] = true
	}
	for _, t := range totals {
		seen[t.Tenant] = true
	}
	if tenant == "" {
		b.tenants = seen
	}
	for t := range seen {
		s.tenants = append(s.tenants, t)
		b.tenants[t] = true
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
	var text, openMetrics []segment
	for _, f := range b.families {
		f.render(b.z)
		text = f.segments(text, false)
		openMetrics = f.segments(openMetrics, true)
	}
	b.current.Store(newExposition(text, openMetrics))
}

// WritePrometheus writes every business series, as the latest refresh left
// them, in text exposition format.
func (b *Business) WritePrometheus(w io.Writer) error {
	return b.current.Load().text.writePlain(w)
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }
