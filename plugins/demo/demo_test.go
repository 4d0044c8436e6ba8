package demo

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/commandcenter/commandcenter/plugins/sdk"
)

var start = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

func configured(t *testing.T, cfg string) *Source {
	t.Helper()
	clock := start.Add(time.Hour)
	s := New(func() time.Time { return clock })
	if err := s.Configure(context.Background(), json.RawMessage(cfg)); err != nil {
		t.Fatal(err)
	}
	return s
}

func collect(t *testing.T, s *Source, cursor string) []sdk.Batch {
	t.Helper()
	var out []sdk.Batch
	if err := s.Collect(context.Background(), cursor, func(b sdk.Batch) error { out = append(out, b); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

const pinned = `{"start":"2026-11-20T09:00:00Z","batch_size":500}`

func TestSameSeedSameWorld(t *testing.T) {
	a := collect(t, configured(t, pinned), "")
	b := collect(t, configured(t, pinned), "")
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two runs with the same seed differ")
	}
	c := collect(t, configured(t, `{"start":"2026-11-20T09:00:00Z","batch_size":500,"seed":7}`), "")
	if reflect.DeepEqual(a, c) {
		t.Fatal("a different seed gives the same world")
	}
}

func TestWorldHasEveryStateTheDashboardsShow(t *testing.T) {
	batches := collect(t, configured(t, pinned), "")
	seen := map[string]bool{}
	tenants := map[string]bool{}
	influencers := 0
	var overdue, dueSoon, nearExpiry int
	for _, b := range batches {
		if b.Len() > 500 {
			t.Fatalf("batch of %d items, limit 500", b.Len())
		}
		for _, e := range b.Entities {
			seen[e.Type+"/"+e.Status] = true
			tenants[e.Tenant] = true
			switch {
			case e.Type == "influencer":
				influencers++
			case e.Type == "payment" && e.Status == "open" && e.DueAt.Before(start):
				overdue++
			case e.Type == "payment" && e.Status == "open" && e.DueAt.Before(start.Add(48*time.Hour)):
				dueSoon++
			case e.Type == "contract" && e.Status == "signed" && e.DueAt.After(start) && e.DueAt.Before(start.Add(14*24*time.Hour)):
				nearExpiry++
			}
		}
	}
	for typ, statuses := range sdk.Statuses {
		for _, st := range statuses {
			optional := st == "draft" && typ == "contract" || typ == "scraper_target" && st == "disabled" ||
				typ == "payment" && st == "cancelled" || typ == "contract" && st == "terminated"
			if !seen[typ+"/"+st] && !optional {
				t.Errorf("no %s in status %s", typ, st)
			}
		}
	}
	if len(tenants) < 2 || influencers < 24*len(tenants) {
		t.Errorf("%d tenants, %d influencers", len(tenants), influencers)
	}
	if overdue == 0 || dueSoon == 0 || nearExpiry == 0 {
		t.Errorf("overdue=%d dueSoon=%d nearExpiry=%d, want some of each", overdue, dueSoon, nearExpiry)
	}
}

func TestBatchesAreValidAndCPMsBelievable(t *testing.T) {
	src := configured(t, pinned)
	// The last value of each daily metric, as the store's upsert keeps it.
	latest := map[string]sdk.DailyMetric{}
	cursor := ""
	for range 3 {
		for _, b := range collect(t, src, cursor) {
			if err := sdk.Validate(&b); err != nil {
				t.Fatalf("batch %s: %v", b.Cursor, err)
			}
			for _, m := range b.DailyMetrics {
				latest[strings.Join([]string{m.Tenant, m.Campaign, m.Influencer, m.Video, m.Platform, m.Day}, "/")] = m
			}
			cursor = b.Cursor
		}
	}
	// CPM per platform over the backfilled history of one tenant: cost per
	// thousand impressions, or views where a platform reports none.
	type sums struct{ costMinor, impressions, views int64 }
	by := map[string]*sums{}
	from := start.AddDate(0, 0, -90).Format(time.DateOnly)
	for _, m := range latest {
		if m.Tenant != "acme-cosmetics" || m.Day < from || m.Day > start.Format(time.DateOnly) {
			continue
		}
		if by[m.Platform] == nil {
			by[m.Platform] = &sums{}
		}
		s := by[m.Platform]
		s.impressions += m.Impressions
		s.views += m.Views
		if m.Cost != nil {
			if m.Cost.Currency != "EUR" {
				t.Fatalf("cost in %s", m.Cost.Currency)
			}
			s.costMinor += m.Cost.Minor
		}
	}
	if len(by) != 3 {
		t.Fatalf("platforms = %v", by)
	}
	for platform, s := range by {
		basis := s.impressions
		if basis == 0 {
			basis = s.views
		}
		cpm := float64(s.costMinor) / 100 * 1000 / float64(basis)
		if cpm < 3 || cpm > 30 {
			t.Errorf("%s CPM %v outside 3-30", platform, cpm)
		}
		if (platform == "youtube") != (s.impressions == 0) {
			t.Errorf("%s reports %d impressions: only YouTube reports views alone", platform, s.impressions)
		}
	}
}

func TestResumesAnInterruptedTickWhereItStopped(t *testing.T) {
	src := configured(t, pinned)
	full := collect(t, src, "")
	if len(full) < 3 {
		t.Fatalf("want several batches, got %d", len(full))
	}
	rest := collect(t, src, full[1].Cursor)
	if !reflect.DeepEqual(rest, full[2:]) {
		t.Fatal("resuming after batch 2 did not emit exactly batches 3..")
	}
	next := collect(t, src, full[len(full)-1].Cursor)
	if len(next) == 0 || !strings.HasPrefix(next[0].Cursor, "v1:") || !strings.Contains(next[0].Cursor, ":1:") {
		t.Fatalf("after a finished tick, the next tick: %v", next)
	}
}

func TestConfigureNamesTheBadField(t *testing.T) {
	for cfg, want := range map[string]string{
		`{"tenants":9}`:         "tenants: must be 1 to 4",
		`{"tenants":"two"}`:     "tenants: must be an integer",
		`{"seeed":1}`:           "seeed: unknown field",
		`{"start":"yesterday"}`: "start: must be an RFC 3339 time",
		`{"batch_size":0}`:      "batch_size: must be 1 to 10000",
		`{`:                     "config: not valid JSON",
	} {
		err := New(nil).Configure(context.Background(), json.RawMessage(cfg))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", cfg, err, want)
		}
	}
}

func TestAFreshProcessContinuesWhereTheLastLeftOff(t *testing.T) {
	// One process runs ticks 0..40; another, started with tick 20's cursor
	// (as after a restart), must emit the same tick 21 as the first did.
	long := configured(t, pinned)
	var cursors []string
	var tick21 []sdk.Batch
	cursor := ""
	for tick := 0; tick <= 40; tick++ {
		bs := collect(t, long, cursor)
		if tick == 21 {
			tick21 = bs
		}
		cursor = bs[len(bs)-1].Cursor
		cursors = append(cursors, cursor)
	}
	fresh := configured(t, pinned)
	got := collect(t, fresh, cursors[20])
	if len(got) != len(tick21) {
		t.Fatalf("fresh process emitted %d batches for tick 21, the long-running one %d", len(got), len(tick21))
	}
	for i := range got {
		if !reflect.DeepEqual(got[i].Entities, tick21[i].Entities) || got[i].Cursor != tick21[i].Cursor {
			t.Fatalf("batch %d of tick 21 differs after a restart", i)
		}
	}
}
