package demo

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/commandcenter/commandcenter/plugins/sdk"
)

func tickRNG(seed int64, tick int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), uint64(tick)))
}

// ofType lists the world's entities of one type and status in creation
// order, so choices made from it are deterministic.
func (w *world) ofType(typ string, statuses ...string) []*sdk.Entity {
	var out []*sdk.Entity
	for _, k := range w.order {
		e := w.entities[k]
		if e.Type == typ && (len(statuses) == 0 || slices.Contains(statuses, e.Status)) {
			out = append(out, e)
		}
	}
	return out
}

func choose(rng *rand.Rand, xs []*sdk.Entity) *sdk.Entity {
	if len(xs) == 0 {
		return nil
	}
	return xs[rng.IntN(len(xs))]
}

var nextVideoStatus = map[string]string{"scheduled": "uploaded", "uploaded": "submitted", "submitted": "approved", "approved": "published"}

// advance applies tick n's changes to the world at time now and returns the
// entities that changed. Replaying ticks 1..n rebuilds the same statuses.
func (w *world) advance(seed int64, n int, now time.Time) []*sdk.Entity {
	rng := tickRNG(seed, n)
	var changed []*sdk.Entity
	for _, t := range w.tenants {
		r := rng.Float64()
		switch {
		case r < 0.05: // a video moves one step through review
			v := choose(rng, w.tenantOf(t.id, w.ofType(sdk.EntityVideo, "scheduled", "uploaded", "submitted", "approved")))
			if v == nil {
				break
			}
			next := nextVideoStatus[v.Status]
			if v.Status == "submitted" && rng.IntN(6) == 0 {
				next = "rejected"
			}
			v.Status, v.StatusSince = next, now
			if next == "published" {
				cpm := trueCPM[v.Platform]
				w.videoCPM[entityKey(v)] = cpm[0] + rng.Float64()*(cpm[1]-cpm[0])
				w.published[entityKey(v)] = now
				// The influencer's next video gets scheduled.
				nv := w.add(&sdk.Entity{Tenant: v.Tenant, Type: sdk.EntityVideo, ID: fmt.Sprintf("%s-n%d", v.ID, n),
					Influencer: v.Influencer, Campaign: v.Campaign, Platform: v.Platform, Name: v.Name + " (follow-up)",
					Status: "scheduled", StatusSince: now, DueAt: now.Add(time.Duration(2+rng.IntN(12)) * day)})
				changed = append(changed, nv)
			}
			changed = append(changed, v)
		case r < 0.08: // finance pays an open payment and books the next one
			p := choose(rng, w.tenantOf(t.id, w.ofType(sdk.EntityPayment, "open")))
			if p == nil {
				break
			}
			p.Status, p.StatusSince = "paid", now
			np := w.add(&sdk.Entity{Tenant: p.Tenant, Type: sdk.EntityPayment, ID: fmt.Sprintf("%s-n%d", p.ID, n),
				Influencer: p.Influencer, Campaign: p.Campaign, Name: p.Name, Status: "open", StatusSince: now,
				DueAt:  now.Add(time.Duration(1+rng.IntN(14*24)) * time.Hour).Truncate(time.Minute),
				Amount: money(150+float64(rng.IntN(436))*10, t.currency)})
			changed = append(changed, p, np)
		case r < 0.09: // an influencer signs
			c := choose(rng, w.tenantOf(t.id, w.ofType(sdk.EntityContract, "pending_signature")))
			if c == nil {
				break
			}
			c.Status, c.StatusSince = "signed", now
			c.DueAt = now.Add(180 * day).Truncate(day)
			changed = append(changed, c)
			if inf := w.entities[t.id+"/influencer/"+c.Influencer]; inf != nil {
				inf.Status, inf.StatusSince = "active", now
				changed = append(changed, inf)
			}
		}
	}
	return changed
}

func (w *world) tenantOf(tenant string, xs []*sdk.Entity) []*sdk.Entity {
	out := xs[:0:0]
	for _, e := range xs {
		if e.Tenant == tenant {
			out = append(out, e)
		}
	}
	return out
}

// scrapeEvery is how many ticks pass between scraper runs (5 minutes at
// the default 10 s interval), so runs do not flood the activity feed.
const scrapeEvery = 30

// scraperEvents are tick n's scraper runs at now, every scrapeEvery ticks:
// one per target, failing for broken targets, none for stale ones, and now
// and then a selector update.
func (w *world) scraperEvents(seed int64, n int, now time.Time) []sdk.Event {
	if n%scrapeEvery != 0 {
		return nil
	}
	rng := tickRNG(seed, -n)
	var out []sdk.Event
	for _, t := range w.targets {
		k := entityKey(t)
		if w.stale[k] {
			continue
		}
		ref := sdk.EntityRef{Type: sdk.EntityScraperTarget, ID: t.ID}
		key := fmt.Sprintf("scrape/%s/%s/%d", t.Tenant, t.ID, n)
		if w.broken[k] {
			out = append(out,
				sdk.Event{Key: key, Tenant: t.Tenant, Kind: sdk.KindScraperRun, Entity: ref, OccurredAt: now, Attrs: []byte(`{"status":"failed","duration_ms":30000}`)},
				sdk.Event{Key: key + "/error", Tenant: t.Tenant, Kind: sdk.KindScraperError, Entity: ref, OccurredAt: now,
					Attrs: []byte(`{"message":"selector div[data-e2e=\"video-views\"] matched nothing","http_status":200}`)})
			continue
		}
		out = append(out, sdk.Event{Key: key, Tenant: t.Tenant, Kind: sdk.KindScraperRun, Entity: ref, OccurredAt: now,
			Attrs: fmt.Appendf(nil, `{"status":"ok","duration_ms":%d,"items":%d}`, 800+rng.IntN(4000), 10+rng.IntN(40))})
		if rng.IntN(50) == 0 {
			out = append(out, sdk.Event{Key: key + "/selector", Tenant: t.Tenant, Kind: sdk.KindScraperSelectorUpdated, Entity: ref,
				OccurredAt: now, Attrs: []byte(`{"selector":"views","old":"strong[data-e2e=views]","new":"span[data-e2e=video-views]"}`)})
		}
	}
	return out
}
