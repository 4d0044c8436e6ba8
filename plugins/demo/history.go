package demo

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// dayRNG gives the same noise for a video on a day however often it is
// asked, so a day's figures only grow as the day goes on.
func dayRNG(videoKey string, d time.Time) *rand.Rand {
	return rand.New(rand.NewPCG(hash(videoKey), uint64(d.Unix()/86400)))
}

// published lists published videos in creation order.
func (w *world) publishedVideos() []*sdk.Entity {
	return w.ofType(sdk.EntityVideo, "published")
}

// history is every published video's daily metrics from its publication
// (at most days ago) to yesterday.
func (w *world) history(today time.Time, days int) []sdk.DailyMetric {
	var out []sdk.DailyMetric
	for _, v := range w.publishedVideos() {
		first := w.published[entityKey(v)].Truncate(day)
		if limit := today.Add(-time.Duration(days) * day); first.Before(limit) {
			first = limit
		}
		for d := first; d.Before(today); d = d.Add(day) {
			out = append(out, w.metricFor(v, d, dayRNG(entityKey(v), d)))
		}
	}
	return out
}

// recentMetrics is yesterday's final figures and today's so far.
func (w *world) recentMetrics(today, now time.Time) []sdk.DailyMetric {
	var out []sdk.DailyMetric
	frac := now.Sub(today).Hours() / 24
	for _, v := range w.publishedVideos() {
		y := today.Add(-day)
		if !w.published[entityKey(v)].After(today) {
			out = append(out, w.metricFor(v, y, dayRNG(entityKey(v), y)))
		}
		m := w.metricFor(v, today, dayRNG(entityKey(v), today))
		scale(&m, frac)
		out = append(out, m)
	}
	return out
}

func scale(m *sdk.DailyMetric, f float64) {
	for _, p := range []*int64{&m.Impressions, &m.Views, &m.Clicks, &m.Likes, &m.Comments, &m.Shares, &m.Cost.Minor, &m.Revenue.Minor} {
		*p = int64(float64(*p) * f)
	}
}

// scraperHistory is the last six hours of runs, every 15 minutes, per
// target; a stale target's runs stopped two days ago.
func (w *world) scraperHistory(now time.Time) []sdk.Event {
	var out []sdk.Event
	for _, t := range w.targets {
		k := entityKey(t)
		end := now
		if w.stale[k] {
			end = now.Add(-48 * time.Hour)
		}
		ref := sdk.EntityRef{Type: sdk.EntityScraperTarget, ID: t.ID}
		for i := 24; i >= 1; i-- {
			at := end.Add(-time.Duration(i) * 15 * time.Minute)
			key := fmt.Sprintf("scrape-history/%s/%s/%d", t.Tenant, t.ID, i)
			// Broken targets started failing two hours ago.
			if w.broken[k] && i <= 8 {
				out = append(out,
					sdk.Event{Key: key, Tenant: t.Tenant, Kind: sdk.KindScraperRun, Entity: ref, OccurredAt: at, Attrs: []byte(`{"status":"failed"}`)},
					sdk.Event{Key: key + "/error", Tenant: t.Tenant, Kind: sdk.KindScraperError, Entity: ref, OccurredAt: at,
						Attrs: []byte(`{"message":"selector div[data-e2e=\"video-views\"] matched nothing","http_status":200}`)})
				continue
			}
			out = append(out, sdk.Event{Key: key, Tenant: t.Tenant, Kind: sdk.KindScraperRun, Entity: ref, OccurredAt: at, Attrs: []byte(`{"status":"ok"}`)})
		}
		if w.broken[k] {
			out = append(out, sdk.Event{Key: fmt.Sprintf("scrape-history/%s/%s/selector", t.Tenant, t.ID), Tenant: t.Tenant,
				Kind: sdk.KindScraperSelectorUpdated, Entity: ref, OccurredAt: end.Add(-2 * time.Hour),
				Attrs: []byte(`{"selector":"views","old":"strong[data-e2e=views]","new":"div[data-e2e=video-views]"}`)})
		}
	}
	return out
}
