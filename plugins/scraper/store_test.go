package scraper

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/commandcenter/commandcenter/collector/store"
)

// What the store makes of the batches: the store turns scraper.run events
// into each target's last success and last run (scraper_stats, read by
// commandcenter_scraper_last_success_timestamp_seconds and the worklist's
// failing and stale scrapers), keyed by the event's tenant and entity id,
// at its occurred_at, counting a success unless attrs say
// {"status":"failed"}; and it upserts daily metrics. The batches are
// applied twice, as when pages are fetched again: nothing counts twice.
func TestStoreSeesLastSuccessAndLatestScrape(t *testing.T) {
	ctx := context.Background()
	batches, err := newFixture(t, "full", map[string]any{"page_size": 2}).collect("", 0)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	st, err := store.Open(filepath.Join(t.TempDir(), "store.db"), store.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for range 2 {
		for i := range batches {
			if _, err := st.Apply(ctx, Name, &batches[i]); err != nil {
				t.Fatalf("batch %d: %v", i, err)
			}
		}
	}

	want := map[string]targetStat{}
	for _, r := range readAPI[run](t, "full", "runs") {
		k, at := r.ClientID+"/"+r.Target, r.FinishedAt.UTC()
		s := want[k]
		if r.Status == "ok" {
			s.ok++
			s.lastSuccess = later(s.lastSuccess, at)
		} else {
			s.failed++
		}
		s.lastRun = later(s.lastRun, at)
		want[k] = s
	}
	stats, err := st.ScraperStats(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]targetStat{}
	for _, s := range stats {
		got[s.Tenant+"/"+s.Target] = targetStat{s.RunsOK, s.RunsFailed, s.LastSuccessAt.UTC(), s.LastRunAt.UTC()}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("the store's scraper stats:\n got %v\nwant %v", got, want)
	}

	// The latest scrape of each video and day counts, once.
	type row struct{ tenant, campaign, influencer, video, platform, day string }
	latest := map[row]videoStat{}
	for _, s := range readAPI[videoStat](t, "full", "video_stats") {
		k := row{s.ClientID, s.CampaignID, s.InfluencerID, s.VideoID, s.Platform, s.Date}
		if old, ok := latest[k]; !ok || !s.ScrapedAt.Before(*old.ScrapedAt) {
			latest[k] = s
		}
	}
	type campaignDay struct{ tenant, campaign, day string }
	wantViews := map[campaignDay]int64{}
	for k, s := range latest {
		wantViews[campaignDay{k.tenant, k.campaign, k.day}] += *s.Views
	}
	for k, views := range wantViews {
		sums, err := st.Performance(ctx, store.PerformanceQuery{Tenant: k.tenant, From: k.day, To: k.day, Campaign: k.campaign, GroupBy: "campaign"})
		if err != nil {
			t.Fatal(err)
		}
		if len(sums) != 1 || sums[0].Views != views {
			t.Errorf("%+v: the store sums %+v, want %d views (each video's latest scrape)", k, sums, views)
		}
	}
}

// targetStat is what the store keeps of a target's runs.
type targetStat struct {
	ok, failed           int64
	lastSuccess, lastRun time.Time
}

func (s targetStat) String() string {
	return fmt.Sprintf("{ok %d, failed %d, last success %s, last run %s}", s.ok, s.failed,
		s.lastSuccess.Format(time.RFC3339), s.lastRun.Format(time.RFC3339))
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
