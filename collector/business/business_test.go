package business_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/collector/business"
	"github.com/commandcenter/commandcenter/collector/store"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

var testNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// openStore is an empty store applying the business derivations (at the
// given milestone views, or the defaults).
func openStore(t *testing.T, milestoneViews ...int64) *store.Store {
	t.Helper()
	s, err := store.Open(filepath.Join(t.TempDir(), "cc.db"), store.Options{
		Rules: business.NewDerivations(milestoneViews...), Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mustApply(t *testing.T, s *store.Store, source string, b sdk.Batch) store.Result {
	t.Helper()
	r, err := s.Apply(context.Background(), source, &b)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// kindCount counts acme's stored events of one kind.
func kindCount(t *testing.T, s *store.Store, kind string) int {
	t.Helper()
	acts, _, err := s.Activity(context.Background(), store.ActivityQuery{Tenant: "acme", Kinds: []string{kind}, Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	return len(acts)
}

func TestEntityStatusChangesRecordEventsOnce(t *testing.T) {
	s := openStore(t)
	pay := func(status string, since time.Time) sdk.Batch {
		return sdk.Batch{Entities: []sdk.Entity{{Tenant: "acme", Type: "payment", ID: "p1", Status: status, StatusSince: since,
			Influencer: "i1", Amount: &sdk.Money{Minor: 12345, Currency: "EUR"}, DueAt: testNow.Add(48 * time.Hour)}}}
	}
	created := testNow.Add(-time.Hour)
	mustApply(t, s, "platform", pay("open", created))
	mustApply(t, s, "platform", pay("open", created)) // same state again
	r := mustApply(t, s, "platform", pay("paid", testNow))
	if r.EventsInserted[sdk.KindPaymentPaid] != 1 {
		t.Fatalf("paid transition: %+v", r)
	}
	acts, _, err := s.Activity(context.Background(), store.ActivityQuery{Tenant: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, a := range acts {
		kinds = append(kinds, a.Kind)
	}
	if got := strings.Join(kinds, ","); got != "payment.paid,payment.created" {
		t.Fatalf("activity = %s", got)
	}
	items, err := s.Items(context.Background(), store.ItemQuery{Tenant: "acme", Type: "payment"})
	if err != nil || len(items) != 1 || items[0].Status != "paid" || items[0].Amount.Minor != 12345 {
		t.Fatalf("items = %+v, %v", items, err)
	}
}

func TestMilestonesAreDerivedOncePerThreshold(t *testing.T) {
	s := openStore(t, 1000, 100) // out of order on purpose
	day := func(d string, views int64) sdk.DailyMetric {
		return sdk.DailyMetric{Tenant: "acme", Campaign: "c1", Video: "v1", Platform: "tiktok", Day: d, Counts: sdk.Counts{Views: views}}
	}
	mustApply(t, s, "perf", sdk.Batch{DailyMetrics: []sdk.DailyMetric{day("2026-11-18", 60)}})
	if n := kindCount(t, s, sdk.KindMilestoneReached); n != 0 {
		t.Fatalf("%d milestones below the first threshold", n)
	}
	mustApply(t, s, "perf", sdk.Batch{DailyMetrics: []sdk.DailyMetric{day("2026-11-19", 60)}})
	mustApply(t, s, "perf", sdk.Batch{DailyMetrics: []sdk.DailyMetric{day("2026-11-19", 70)}}) // corrected upward
	// 130 views: 100 crossed, once, for the campaign and for the video.
	if n := kindCount(t, s, sdk.KindMilestoneReached); n != 2 {
		t.Fatalf("%d milestones, want 2", n)
	}
	mustApply(t, s, "perf", sdk.Batch{DailyMetrics: []sdk.DailyMetric{day("2026-11-20", 5000)}})
	if n := kindCount(t, s, sdk.KindMilestoneReached); n != 4 {
		t.Fatalf("%d milestones, want 4", n)
	}
}

func TestPerformanceRatiosUseIntegerSumsAndNoValueOnZero(t *testing.T) {
	s := openStore(t)
	r := business.NewReports(s, 7*24*time.Hour)
	eur := func(minor int64) *sdk.Money { return &sdk.Money{Minor: minor, Currency: "EUR"} }
	mustApply(t, s, "perf", sdk.Batch{DailyMetrics: []sdk.DailyMetric{
		// 0.1 + 0.2 as floats is not 0.3; in cents it is.
		{Tenant: "acme", Campaign: "c1", Platform: "tiktok", Day: "2026-11-01", Counts: sdk.Counts{Impressions: 1000, Clicks: 10}, Cost: eur(10), Revenue: eur(30)},
		{Tenant: "acme", Campaign: "c1", Platform: "tiktok", Day: "2026-11-02", Counts: sdk.Counts{Impressions: 2000, Clicks: 20}, Cost: eur(20), Revenue: eur(0)},
		{Tenant: "acme", Campaign: "c2", Platform: "youtube", Day: "2026-11-02", Counts: sdk.Counts{Views: 500}, Cost: eur(100)},
		{Tenant: "acme", Campaign: "c3", Platform: "instagram", Day: "2026-11-02"},
		{Tenant: "other", Campaign: "c1", Platform: "tiktok", Day: "2026-11-02", Counts: sdk.Counts{Impressions: 99999}, Cost: eur(99999)},
	}})
	q := business.PerformanceQuery{Tenant: "acme", From: "2026-11-01", To: "2026-11-30", GroupBy: apiv1.GroupByPlatform}
	rows, totals, err := r.Performance(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]apiv1.PerformanceRow{}
	for _, r := range rows {
		got[r.Group] = r
	}
	tt := got["tiktok"]
	if tt.Cost.Minor != 30 || tt.Impressions != 3000 || *tt.CPM != 0.1 || tt.CPMBasis != "impressions" || *tt.CTR != 0.01 || *tt.ROI != 0 {
		t.Fatalf("tiktok = %+v cpm=%v ctr=%v roi=%v", tt, *tt.CPM, *tt.CTR, *tt.ROI)
	}
	yt := got["youtube"]
	if yt.CPMBasis != "views" || *yt.CPM != 2 || yt.CTR != nil || *yt.ROI != -1 {
		t.Fatalf("youtube = %+v", yt)
	}
	ig := got["instagram"]
	if ig.CPM != nil || ig.CTR != nil || ig.ROI != nil {
		t.Fatalf("instagram ratios should be no value: %+v", ig)
	}
	// Totals are per currency: the integer sums of its rows, with ratios
	// from the sums.
	want := map[string]*apiv1.PerformanceRow{}
	for _, r := range rows {
		if want[r.Currency] == nil {
			want[r.Currency] = &apiv1.PerformanceRow{}
		}
		want[r.Currency].Counts.Add(r.Counts)
		want[r.Currency].Cost.Minor += r.Cost.Minor
	}
	if len(totals) != len(want) {
		t.Fatalf("%d totals for %d currencies: %+v", len(totals), len(want), totals)
	}
	for _, tot := range totals {
		w := want[tot.Currency]
		if w == nil || tot.Counts != w.Counts || tot.Cost.Minor != w.Cost.Minor {
			t.Fatalf("total %+v, want sums %+v", tot, w)
		}
		if tot.Currency == "EUR" && *tot.CPM != float64(w.Cost.Minor)/100*1000/float64(w.Impressions) {
			t.Fatalf("EUR total CPM %v from sums %+v", *tot.CPM, w)
		}
	}
	maxCPM := 1.0
	q.MaxCPM = &maxCPM
	rows, _, _ = r.Performance(context.Background(), q)
	if len(rows) != 1 || rows[0].Group != "tiktok" {
		t.Fatalf("max_cpm=1 rows = %+v", rows)
	}
}

// A source that sends payment.created and upserts the payment as open gets
// one payment.created in the feed, not two; transitions it does not send
// are still recorded, and a payment opened again gets its own event.
func TestDerivedStatusEventsDoNotRepeatWhatTheSourceSent(t *testing.T) {
	s := openStore(t)
	ref := sdk.EntityRef{Type: sdk.EntityPayment, ID: "p1"}
	pay := func(status string, since time.Time) sdk.Entity {
		return sdk.Entity{Tenant: "acme", Type: "payment", ID: "p1", Status: status, StatusSince: since,
			Amount: &sdk.Money{Minor: 100, Currency: "EUR"}}
	}
	opened := testNow.Add(-3 * time.Hour)
	mustApply(t, s, "platform", sdk.Batch{
		Events:   []sdk.Event{{Key: "created-p1", Tenant: "acme", Kind: sdk.KindPaymentCreated, Entity: ref, OccurredAt: opened}},
		Entities: []sdk.Entity{pay("open", opened)},
	})
	if n := kindCount(t, s, sdk.KindPaymentCreated); n != 1 {
		t.Fatalf("%d payment.created after the source sent one and upserted the payment open", n)
	}
	mustApply(t, s, "platform", sdk.Batch{Entities: []sdk.Entity{pay("paid", testNow.Add(-2*time.Hour))}})
	mustApply(t, s, "platform", sdk.Batch{Entities: []sdk.Entity{pay("open", testNow.Add(-time.Hour))}})
	if created, paid := kindCount(t, s, sdk.KindPaymentCreated), kindCount(t, s, sdk.KindPaymentPaid); created != 2 || paid != 1 {
		t.Fatalf("payment.created %d (want 2: opened twice), payment.paid %d (want 1)", created, paid)
	}
	// The other order: the upsert came first, the source's own event later.
	// The source's event stays; the store's stand-in goes.
	mustApply(t, s, "platform", sdk.Batch{Entities: []sdk.Entity{{Tenant: "acme", Type: "payment", ID: "p2", Status: "open",
		StatusSince: opened, Amount: &sdk.Money{Minor: 100, Currency: "EUR"}}}})
	mustApply(t, s, "platform", sdk.Batch{Events: []sdk.Event{{Key: "created-p2", Tenant: "acme", Kind: sdk.KindPaymentCreated,
		Entity: sdk.EntityRef{Type: sdk.EntityPayment, ID: "p2"}, OccurredAt: opened.Add(time.Minute)}}})
	acts, _, err := s.Activity(context.Background(), store.ActivityQuery{Tenant: "acme", Kinds: []string{sdk.KindPaymentCreated}})
	if err != nil {
		t.Fatal(err)
	}
	var p2 []string
	for _, a := range acts {
		if a.Entity.ID == "p2" {
			p2 = append(p2, a.Key)
		}
	}
	if len(p2) != 1 || p2[0] != "created-p2" {
		t.Fatalf("payment.created of p2: %v, want only the source's", p2)
	}
}
