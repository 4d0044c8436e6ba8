package business

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/collector/store"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

var severityRank = map[string]int{apiv1.SeverityCritical: 0, apiv1.SeverityWarning: 1, apiv1.SeverityInfo: 2}

// Worklist is what needs someone's action in tenant at now, most urgent
// first (critical before warning before info, then the earliest): overdue
// and soon-due payments, late videos, the review queue, contracts expiring
// or awaiting signature too long, failing and stale scrapers. Its
// thresholds are the alert rules'.
func (r *Reports) Worklist(ctx context.Context, tenant string, now time.Time) ([]apiv1.WorkItem, error) {
	th := r.Thresholds
	out := []apiv1.WorkItem{}
	add := func(it *store.Item, kind, severity, reason string, at time.Time) {
		title := it.Name
		if title == "" {
			title = it.ID
		}
		out = append(out, apiv1.WorkItem{Kind: kind, Severity: severity, Entity: sdk.EntityRef{Type: it.Type, ID: it.ID},
			Title: title, Reason: reason, Influencer: it.Influencer, Campaign: it.Campaign, At: at, Amount: it.Amount})
	}
	each := func(typ string, statuses []string, fn func(*store.Item)) error {
		return r.Store.EachItem(ctx, store.ItemQuery{Tenant: tenant, Type: typ, Statuses: statuses}, func(it *store.Item) error {
			fn(it)
			return nil
		})
	}
	if err := each(sdk.EntityPayment, []string{"open"}, func(p *store.Item) {
		switch {
		case p.DueAt.IsZero():
		case p.DueAt.Before(now):
			add(p, apiv1.WorkPaymentOverdue, apiv1.SeverityCritical, "payment overdue by "+roundDuration(now.Sub(p.DueAt)), p.DueAt)
		case p.DueAt.Before(now.Add(th.PaymentDueWarning)):
			add(p, apiv1.WorkPaymentDue, apiv1.SeverityWarning, "payment due in "+roundDuration(p.DueAt.Sub(now)), p.DueAt)
		}
	}); err != nil {
		return nil, err
	}
	if err := each(sdk.EntityVideo, []string{"scheduled", "submitted"}, func(v *store.Item) {
		switch {
		case v.Status == "scheduled" && !v.DueAt.IsZero() && v.DueAt.Before(now):
			add(v, apiv1.WorkVideoLate, apiv1.SeverityWarning, "video due "+roundDuration(now.Sub(v.DueAt))+" ago, not uploaded", v.DueAt)
		case v.Status == "submitted":
			sev := apiv1.SeverityInfo
			if now.Sub(v.StatusSince) > th.ReviewQueueAge {
				sev = apiv1.SeverityWarning
			}
			add(v, apiv1.WorkVideoReview, sev, "waiting for review for "+roundDuration(now.Sub(v.StatusSince)), v.StatusSince)
		}
	}); err != nil {
		return nil, err
	}
	if err := each(sdk.EntityContract, []string{"signed", "pending_signature"}, func(c *store.Item) {
		switch {
		case c.Status == "pending_signature" && now.Sub(c.StatusSince) > th.SignaturePending:
			add(c, apiv1.WorkSignaturePending, apiv1.SeverityWarning, "awaiting signature for "+roundDuration(now.Sub(c.StatusSince)), c.StatusSince)
		case c.Status == "signed" && !c.DueAt.IsZero() && c.DueAt.Before(now):
			add(c, apiv1.WorkContractExpired, apiv1.SeverityCritical, "contract expired "+roundDuration(now.Sub(c.DueAt))+" ago", c.DueAt)
		case c.Status == "signed" && !c.DueAt.IsZero() && c.DueAt.Before(now.Add(th.ContractExpiryWarning)):
			sev := apiv1.SeverityWarning
			if c.DueAt.Before(now.Add(th.ContractExpiryCritical)) {
				sev = apiv1.SeverityCritical
			}
			add(c, apiv1.WorkContractExpiring, sev, "contract expires in "+roundDuration(c.DueAt.Sub(now)), c.DueAt)
		}
	}); err != nil {
		return nil, err
	}
	scrapers, err := r.Store.ScraperStats(ctx, tenant)
	if err != nil {
		return nil, err
	}
	for _, st := range scrapers {
		it := &store.Item{Entity: sdk.Entity{Type: sdk.EntityScraperTarget, ID: st.Target}}
		switch {
		case scraperFailing(st):
			add(it, apiv1.WorkScraperFailing, apiv1.SeverityCritical, fmt.Sprintf("last run failed (%d errors in total)", st.Errors), st.LastRunAt)
		case st.LastSuccessAt.Before(now.Add(-th.ScraperStale)):
			add(it, apiv1.WorkScraperStale, apiv1.SeverityWarning, "no successful run for "+roundDuration(now.Sub(st.LastSuccessAt)), st.LastSuccessAt)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if a, b := severityRank[out[i].Severity], severityRank[out[j].Severity]; a != b {
			return a < b
		}
		return out[i].At.Before(out[j].At)
	})
	return out, nil
}

// scraperFailing reports whether a scraper target's last run failed.
func scraperFailing(st store.ScraperStat) bool { return st.LastRunAt.After(st.LastSuccessAt) }

// roundDuration says a duration the way a person would: 3d, 5h, 12m.
func roundDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	case d >= time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	default:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	}
}
