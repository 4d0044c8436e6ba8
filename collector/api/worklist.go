package api

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/commandcenter/commandcenter/collector/store"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// Worklist thresholds. They match the shipped alert rules' defaults.
const (
	contractExpiryHorizon = 30 * 24 * time.Hour
	signatureTooLong      = 7 * 24 * time.Hour
	reviewTooLong         = 48 * time.Hour
	scraperStaleAfter     = 24 * time.Hour
)

// WorkItem is one thing that needs someone's action.
type WorkItem struct {
	Kind       string `json:"kind"`
	Severity   string `json:"severity"`
	EntityType string `json:"entity_type"`
	EntityID   string `json:"entity_id"`
	Title      string `json:"title"`
	Reason     string `json:"reason"`
	Influencer string `json:"influencer,omitempty"`
	Campaign   string `json:"campaign,omitempty"`
	// At is the deadline (or the moment the wait began); items sort by it.
	At     time.Time  `json:"at"`
	Amount *sdk.Money `json:"amount,omitempty"`
}

var severityRank = map[string]int{"critical": 0, "warning": 1, "info": 2}

func (s *Server) getWorklist(w http.ResponseWriter, r *http.Request, tok store.Token) {
	items, err := s.worklist(r.Context(), tok.Tenant, s.now())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": nonNil(items)})
}

func label(it store.Item) string {
	if it.Name != "" {
		return it.Name
	}
	return it.ID
}

// worklist gathers deadlines, the review queue, expiring contracts and
// scraper problems, most urgent first: critical before warning, then the
// earliest deadline.
func (s *Server) worklist(ctx context.Context, tenant string, now time.Time) ([]WorkItem, error) {
	var out []WorkItem
	add := func(it store.Item, kind, severity, reason string, at time.Time) {
		out = append(out, WorkItem{Kind: kind, Severity: severity, EntityType: it.Type, EntityID: it.ID, Title: label(it),
			Reason: reason, Influencer: it.Influencer, Campaign: it.Campaign, At: at, Amount: it.Amount})
	}
	list := func(typ string, statuses ...string) ([]store.Item, error) {
		return s.Store.Items(ctx, store.ItemQuery{Tenant: tenant, Type: typ, Statuses: statuses})
	}
	payments, err := list(sdk.EntityPayment, "open")
	if err != nil {
		return nil, err
	}
	for _, p := range payments {
		switch {
		case p.DueAt.IsZero():
		case p.DueAt.Before(now):
			add(p, "payment_overdue", "critical", "payment overdue by "+roundDuration(now.Sub(p.DueAt)), p.DueAt)
		case p.DueAt.Before(now.Add(s.UpcomingWindow)):
			add(p, "payment_due", "warning", "payment due in "+roundDuration(p.DueAt.Sub(now)), p.DueAt)
		}
	}
	videos, err := list(sdk.EntityVideo, "scheduled", "submitted")
	if err != nil {
		return nil, err
	}
	for _, v := range videos {
		switch {
		case v.Status == "scheduled" && !v.DueAt.IsZero() && v.DueAt.Before(now):
			add(v, "video_late", "warning", "video due "+roundDuration(now.Sub(v.DueAt))+" ago, not uploaded", v.DueAt)
		case v.Status == "submitted":
			sev := "info"
			if now.Sub(v.StatusSince) > reviewTooLong {
				sev = "warning"
			}
			add(v, "video_review", sev, "waiting for review for "+roundDuration(now.Sub(v.StatusSince)), v.StatusSince)
		}
	}
	contracts, err := list(sdk.EntityContract, "signed", "pending_signature")
	if err != nil {
		return nil, err
	}
	for _, c := range contracts {
		switch {
		case c.Status == "pending_signature" && now.Sub(c.StatusSince) > signatureTooLong:
			add(c, "signature_pending", "warning", "awaiting signature for "+roundDuration(now.Sub(c.StatusSince)), c.StatusSince)
		case c.Status == "signed" && !c.DueAt.IsZero() && c.DueAt.Before(now):
			add(c, "contract_expired", "critical", "contract expired "+roundDuration(now.Sub(c.DueAt))+" ago", c.DueAt)
		case c.Status == "signed" && !c.DueAt.IsZero() && c.DueAt.Before(now.Add(contractExpiryHorizon)):
			sev := "warning"
			if c.DueAt.Before(now.Add(7 * 24 * time.Hour)) {
				sev = "critical"
			}
			add(c, "contract_expiring", sev, "contract expires in "+roundDuration(c.DueAt.Sub(now)), c.DueAt)
		}
	}
	scrapers, err := s.Store.ScraperStats(ctx, tenant)
	if err != nil {
		return nil, err
	}
	for _, st := range scrapers {
		it := store.Item{Entity: sdk.Entity{Type: sdk.EntityScraperTarget, ID: st.Target}}
		switch {
		case st.LastRunAt.After(st.LastSuccessAt):
			add(it, "scraper_failing", "critical", fmt.Sprintf("last run failed (%d errors in total)", st.Errors), st.LastRunAt)
		case st.LastSuccessAt.Before(now.Add(-scraperStaleAfter)):
			add(it, "scraper_stale", "warning", "no successful run for "+roundDuration(now.Sub(st.LastSuccessAt)), st.LastSuccessAt)
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
