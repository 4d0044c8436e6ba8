// Package storetest holds a small, fixed agency data set for tests of
// everything that reads the store (exporter, API, alert rules end to end),
// so they all agree on what is in it.
package storetest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/commandcenter/commandcenter/collector/business"
	"github.com/commandcenter/commandcenter/collector/store"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// Now is the fixture's clock.
var Now = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func eur(minor int64) *sdk.Money { return &sdk.Money{Minor: minor, Currency: "EUR"} }

// Batch is the fixture, relative to now: for tenant "acme" a payment due in
// 30 minutes, one overdue by two days and one paid; a contract expiring in 3
// days and one pending signature for 10 days; a review queue of three videos
// (oldest submitted 50 hours ago); a video due tomorrow; two campaigns with
// daily metrics; a scraper target that keeps failing and one that is fine.
// Tenant "globex" has one open payment, to prove tenants stay apart.
func Batch(now time.Time) sdk.Batch {
	day := func(d int) string { return now.AddDate(0, 0, d).Format(time.DateOnly) }
	target := func(id string) sdk.EntityRef { return sdk.EntityRef{Type: sdk.EntityScraperTarget, ID: id} }
	return sdk.Batch{
		Entities: []sdk.Entity{
			{Tenant: "acme", Type: "campaign", ID: "summer", Name: "Summer Glow", Status: "active", StatusSince: now.AddDate(0, 0, -20),
				Attrs: []byte(`{"cpm_target":{"minor":800,"currency":"EUR"}}`)},
			{Tenant: "acme", Type: "campaign", ID: "winter", Name: "Winter Trails", Status: "ended", StatusSince: now.AddDate(0, 0, -3)},
			{Tenant: "acme", Type: "influencer", ID: "luna", Name: "@luna.travels", Status: "active", Platform: "tiktok"},
			{Tenant: "acme", Type: "influencer", ID: "kai", Name: "@kai.fit", Status: "pending_signature", Platform: "instagram"},
			{Tenant: "acme", Type: "contract", ID: "con-luna", Influencer: "luna", Campaign: "summer", Status: "signed",
				StatusSince: now.AddDate(0, 0, -60), DueAt: now.Add(72 * time.Hour)},
			{Tenant: "acme", Type: "contract", ID: "con-kai", Influencer: "kai", Campaign: "summer", Status: "pending_signature",
				StatusSince: now.AddDate(0, 0, -10)},
			{Tenant: "acme", Type: "payment", ID: "pay-soon", Influencer: "luna", Campaign: "summer", Status: "open",
				DueAt: now.Add(30 * time.Minute), Amount: eur(120050)},
			{Tenant: "acme", Type: "payment", ID: "pay-late", Influencer: "luna", Campaign: "winter", Status: "open",
				DueAt: now.Add(-48 * time.Hour), Amount: eur(45000)},
			{Tenant: "acme", Type: "payment", ID: "pay-done", Influencer: "luna", Campaign: "winter", Status: "paid",
				DueAt: now.Add(-96 * time.Hour), Amount: eur(99900)},
			{Tenant: "acme", Type: "video", ID: "v-review-1", Influencer: "luna", Campaign: "summer", Platform: "tiktok", Status: "submitted", StatusSince: now.Add(-50 * time.Hour)},
			{Tenant: "acme", Type: "video", ID: "v-review-2", Influencer: "luna", Campaign: "summer", Platform: "tiktok", Status: "submitted", StatusSince: now.Add(-5 * time.Hour)},
			{Tenant: "acme", Type: "video", ID: "v-review-3", Influencer: "luna", Campaign: "summer", Platform: "tiktok", Status: "submitted", StatusSince: now.Add(-1 * time.Hour)},
			{Tenant: "acme", Type: "video", ID: "v-next", Influencer: "luna", Campaign: "summer", Platform: "tiktok", Status: "scheduled", DueAt: now.Add(24 * time.Hour)},
			{Tenant: "acme", Type: "video", ID: "v-live", Influencer: "luna", Campaign: "summer", Platform: "tiktok", Status: "published", StatusSince: now.AddDate(0, 0, -5)},
			{Tenant: "acme", Type: "scraper_target", ID: "tiktok-views", Status: "error"},
			{Tenant: "acme", Type: "scraper_target", ID: "youtube-channel", Status: "ok"},
			{Tenant: "globex", Type: "payment", ID: "pay-g1", Influencer: "zed", Campaign: "launch", Status: "open",
				DueAt: now.Add(10 * 24 * time.Hour), Amount: &sdk.Money{Minor: 50000, Currency: "USD"}},
		},
		DailyMetrics: []sdk.DailyMetric{
			{Tenant: "acme", Campaign: "summer", Video: "v-live", Influencer: "luna", Platform: "tiktok", Day: day(-2),
				Counts: sdk.Counts{Impressions: 200000, Views: 120000, Clicks: 2000, Likes: 9000, Comments: 300, Shares: 700}, Cost: eur(180000), Revenue: eur(400000)},
			{Tenant: "acme", Campaign: "summer", Video: "v-live", Influencer: "luna", Platform: "tiktok", Day: day(-1),
				Counts: sdk.Counts{Impressions: 100000, Views: 60000, Clicks: 900, Likes: 4000, Comments: 100, Shares: 200}, Cost: eur(90000), Revenue: eur(100000)},
			{Tenant: "acme", Campaign: "winter", Platform: "youtube", Day: day(-4), Counts: sdk.Counts{Views: 50000, Clicks: 500}, Cost: eur(75000), Revenue: eur(50000)},
		},
		Events: []sdk.Event{
			{Key: "s1", Tenant: "acme", Kind: sdk.KindScraperRun, Entity: target("tiktok-views"), OccurredAt: now.Add(-3 * time.Hour), Attrs: []byte(`{"status":"ok"}`)},
			{Key: "s2", Tenant: "acme", Kind: sdk.KindScraperRun, Entity: target("tiktok-views"), OccurredAt: now.Add(-2 * time.Hour), Attrs: []byte(`{"status":"failed"}`)},
			{Key: "s3", Tenant: "acme", Kind: sdk.KindScraperError, Entity: target("tiktok-views"), OccurredAt: now.Add(-2 * time.Hour), Attrs: []byte(`{"message":"selector matched nothing"}`)},
			{Key: "s4", Tenant: "acme", Kind: sdk.KindScraperRun, Entity: target("tiktok-views"), OccurredAt: now.Add(-1 * time.Hour), Attrs: []byte(`{"status":"failed"}`)},
			{Key: "s5", Tenant: "acme", Kind: sdk.KindScraperError, Entity: target("tiktok-views"), OccurredAt: now.Add(-1 * time.Hour), Attrs: []byte(`{"message":"selector matched nothing"}`)},
			{Key: "s6", Tenant: "acme", Kind: sdk.KindScraperRun, Entity: target("youtube-channel"), OccurredAt: now.Add(-10 * time.Minute), Attrs: []byte(`{"status":"ok"}`)},
			{Key: "s7", Tenant: "acme", Kind: sdk.KindScraperSelectorUpdated, Entity: target("tiktok-views"), OccurredAt: now.Add(-30 * time.Minute)},
		},
	}
}

// Open returns a store in a temporary directory holding the fixture, with
// its clock at Now and the business derivations. opts, if given, tune the
// store (its clock is always Now).
func Open(t testing.TB, opts ...store.Options) *store.Store {
	t.Helper()
	o := store.Options{Rules: business.NewDerivations()}
	if len(opts) > 0 {
		o = opts[0]
		if o.Rules == nil {
			o.Rules = business.NewDerivations()
		}
	}
	o.Now = func() time.Time { return Now }
	st, err := store.Open(filepath.Join(t.TempDir(), "fixture.db"), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	b := Batch(Now)
	if _, err := st.Apply(context.Background(), "fixture", &b); err != nil {
		t.Fatal(err)
	}
	return st
}
