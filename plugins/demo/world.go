package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/commandcenter/commandcenter/plugins/sdk"
)

var platforms = []string{"tiktok", "instagram", "youtube"}

// trueCPM is what a thousand impressions (views on YouTube) cost on each
// platform, in major units: believable agency figures.
var trueCPM = map[string][2]float64{"tiktok": {4, 10}, "instagram": {6, 12}, "youtube": {10, 25}}

type tenantSpec struct {
	id, brand, currency string
}

var tenantSpecs = []tenantSpec{
	{"acme-cosmetics", "Acme Cosmetics", "EUR"},
	{"nordic-outdoor", "Nordic Outdoor", "USD"},
	{"lumen-audio", "Lumen Audio", "GBP"},
	{"fresh-bowl", "Fresh Bowl", "EUR"},
}

var (
	handleStarts = []string{"luna", "max", "nova", "kai", "mila", "leo", "ivy", "zoe", "finn", "ava", "noah", "ella", "theo", "aria", "jonas", "sky"}
	handleEnds   = []string{"travels", "glow", "fit", "eats", "style", "vlogs", "beats", "outdoors", "daily", "makes", "reviews", "journey"}
	seasons      = []string{"Spring Launch", "Summer Glow", "Back to School", "Autumn Trails", "Holiday Gifting", "New Year Reset", "Festival Season", "Product Drop"}
)

// world is the demo's whole state: what the agency's systems would hold.
type world struct {
	start    time.Time
	rng      *rand.Rand
	tenants  []tenantSpec
	entities map[string]*sdk.Entity // by tenant/type/id
	order    []string               // entity keys in creation order
	// videoCPM is each published video's true CPM, so its daily cost follows.
	videoCPM map[string]float64
	// published is when each video went live, for its view curve.
	published map[string]time.Time
	// targets are scraper targets per tenant; broken[t] fails every run.
	targets []*sdk.Entity
	broken  map[string]bool
	stale   map[string]bool
}

func entityKey(e *sdk.Entity) string { return e.Tenant + "/" + e.Type + "/" + e.ID }

func (w *world) add(e *sdk.Entity) *sdk.Entity {
	k := entityKey(e)
	if _, ok := w.entities[k]; !ok {
		w.order = append(w.order, k)
	}
	w.entities[k] = e
	return e
}

func (w *world) pick(xs []string) string { return xs[w.rng.IntN(len(xs))] }

// between returns a time d1..d2 after (negative: before) start.
func (w *world) between(d1, d2 time.Duration) time.Time {
	return w.start.Add(d1 + time.Duration(w.rng.Int64N(int64(d2-d1)+1))).Truncate(time.Minute)
}

func money(major float64, currency string) *sdk.Money {
	return &sdk.Money{Minor: int64(math.Round(major * 100)), Currency: currency}
}

const day = 24 * time.Hour

// newWorld builds the agency's state as of start, deterministically from seed.
func newWorld(cfg Config, start time.Time) *world {
	w := &world{
		start:     start.UTC(),
		rng:       rand.New(rand.NewPCG(uint64(cfg.Seed), 0x636f6d6d616e64)),
		entities:  map[string]*sdk.Entity{},
		videoCPM:  map[string]float64{},
		published: map[string]time.Time{},
		broken:    map[string]bool{},
		stale:     map[string]bool{},
	}
	w.tenants = tenantSpecs[:cfg.Tenants]
	for _, t := range w.tenants {
		w.buildTenant(t, cfg)
	}
	return w
}

// Campaign statuses in the order the demo hands them out, so every state
// appears for every tenant.
var campaignPlan = []string{"active", "active", "active", "ended", "ended", "paused", "scheduled", "draft"}

func (w *world) buildTenant(t tenantSpec, cfg Config) {
	var campaigns []*sdk.Entity
	for i, status := range campaignPlan {
		c := &sdk.Entity{
			Tenant: t.id, Type: sdk.EntityCampaign, ID: fmt.Sprintf("cmp-%02d", i+1),
			Name:   fmt.Sprintf("%s %s", t.brand, seasons[(i+len(t.id))%len(seasons)]),
			Status: status,
		}
		switch status {
		case "active":
			c.StatusSince = w.between(-60*day, -10*day)
			c.DueAt = w.between(10*day, 60*day) // ends
		case "ended":
			c.StatusSince = w.between(-40*day, -5*day)
		case "paused":
			c.StatusSince = w.between(-10*day, -1*day)
		default:
			c.StatusSince = w.between(-20*day, -1*day)
			c.DueAt = w.between(5*day, 30*day) // starts
		}
		target := 6 + w.rng.Float64()*10
		c.Attrs = fmt.Appendf(nil, `{"cpm_target":{"minor":%d,"currency":%q},"budget":{"minor":%d,"currency":%q}}`,
			int64(target*100), t.currency, (20+w.rng.Int64N(80))*100000, t.currency)
		campaigns = append(campaigns, w.add(c))
	}
	running := campaigns[:5] // active and ended campaigns have had videos

	for i := range cfg.Influencers {
		handle := fmt.Sprintf("@%s.%s%d", w.pick(handleStarts), w.pick(handleEnds), i+1)
		platform := platforms[i%len(platforms)]
		inf := w.add(&sdk.Entity{Tenant: t.id, Type: sdk.EntityInfluencer, ID: fmt.Sprintf("inf-%03d", i+1), Name: handle, Platform: platform})
		campaign := running[i%len(running)]
		inf.Campaign = campaign.ID
		switch r := i % 10; {
		case r == 0:
			inf.Status, inf.StatusSince = "prospect", w.between(-30*day, -1*day)
		case r == 1 || r == 2:
			inf.Status, inf.StatusSince = "pending_signature", w.between(-25*day, -time.Hour)
		case r == 9 && i > 10:
			inf.Status, inf.StatusSince = "inactive", w.between(-80*day, -20*day)
		default:
			inf.Status, inf.StatusSince = "active", w.between(-85*day, -15*day)
		}
		w.buildContract(t, inf, campaign)
		if inf.Status == "active" || inf.Status == "inactive" {
			w.buildPayments(t, inf, campaign)
			w.buildVideos(t, inf, campaign, i)
		}
	}
	for i, name := range []string{"tiktok-profile-views", "instagram-reels", "youtube-channel", "tiktok-hashtag"} {
		st := &sdk.Entity{Tenant: t.id, Type: sdk.EntityScraperTarget, ID: name, Name: name, Status: "ok", Platform: platforms[i%3]}
		st.StatusSince = w.between(-30*day, -2*day)
		switch i {
		case 1:
			// One target keeps failing, so error alerts have something to show.
			st.Status, w.broken[entityKey(st)] = "error", true
			st.StatusSince = w.between(-3*time.Hour, -time.Hour)
		case 3:
			// One has not been scraped for two days (stale).
			w.stale[entityKey(st)] = true
		}
		w.targets = append(w.targets, w.add(st))
	}
}

func (w *world) buildContract(t tenantSpec, inf, campaign *sdk.Entity) {
	if inf.Status == "prospect" {
		return
	}
	c := &sdk.Entity{Tenant: t.id, Type: sdk.EntityContract, ID: "con-" + inf.ID[4:], Influencer: inf.ID, Campaign: campaign.ID,
		Name: "Contract " + inf.Name, Amount: money(float64(500+w.rng.IntN(90)*50), t.currency)}
	switch inf.Status {
	case "pending_signature":
		c.Status, c.StatusSince = "pending_signature", inf.StatusSince
		c.DueAt = w.start.Add(180 * day).Truncate(day)
	case "inactive":
		c.Status, c.StatusSince = "expired", w.between(-30*day, -10*day)
		c.DueAt = c.StatusSince
	default:
		c.Status, c.StatusSince = "signed", inf.StatusSince
		// Spread expiries so some are days away and some just passed.
		c.DueAt = w.between(-3*day, 150*day)
		if w.rng.IntN(5) == 0 {
			c.DueAt = w.between(2*day, 12*day)
		}
	}
	w.add(c)
}

func (w *world) buildPayments(t tenantSpec, inf, campaign *sdk.Entity) {
	n := 1 + w.rng.IntN(3)
	for j := range n {
		p := &sdk.Entity{Tenant: t.id, Type: sdk.EntityPayment, ID: fmt.Sprintf("pay-%s-%d", inf.ID[4:], j+1),
			Influencer: inf.ID, Campaign: campaign.ID, Name: "Fee " + inf.Name,
			Amount: money(150+float64(w.rng.IntN(436))*10+float64(w.rng.IntN(100))/100, t.currency)}
		switch r := w.rng.IntN(10); {
		case r < 5:
			p.Status = "paid"
			p.DueAt = w.between(-60*day, -2*day)
			p.StatusSince = p.DueAt.Add(-time.Duration(w.rng.IntN(72)) * time.Hour)
		case r < 8:
			p.Status = "open"
			p.DueAt = w.between(30*time.Minute, 20*day)
			p.StatusSince = w.between(-20*day, -1*day)
		default:
			p.Status = "open" // overdue
			p.DueAt = w.between(-10*day, -time.Hour)
			p.StatusSince = p.DueAt.Add(-14 * day)
		}
		w.add(p)
	}
}

var videoPlan = []string{"published", "published", "published", "approved", "submitted", "submitted", "uploaded", "scheduled", "scheduled", "rejected"}

func (w *world) buildVideos(t tenantSpec, inf, campaign *sdk.Entity, i int) {
	n := 1 + w.rng.IntN(3)
	for j := range n {
		v := &sdk.Entity{Tenant: t.id, Type: sdk.EntityVideo, ID: fmt.Sprintf("vid-%s-%d", inf.ID[4:], j+1),
			Influencer: inf.ID, Campaign: campaign.ID, Platform: inf.Platform,
			Name: fmt.Sprintf("%s x %s #%d", inf.Name, t.brand, j+1)}
		v.Status = videoPlan[(i+j*3)%len(videoPlan)]
		if inf.Status == "inactive" || campaign.Status == "ended" {
			v.Status = "published"
		}
		switch v.Status {
		case "published":
			v.StatusSince = w.between(-75*day, -2*day)
			v.DueAt = v.StatusSince.Add(-2 * day)
			cpm := trueCPM[v.Platform]
			w.videoCPM[entityKey(v)] = cpm[0] + w.rng.Float64()*(cpm[1]-cpm[0])
			w.published[entityKey(v)] = v.StatusSince
		case "scheduled":
			// Some are due already and not uploaded.
			v.StatusSince = w.between(-10*day, -1*day)
			v.DueAt = w.between(-2*day, 14*day)
		case "submitted":
			// The review queue: submitted between an hour and five days ago.
			v.StatusSince = w.between(-5*day, -time.Hour)
			v.DueAt = v.StatusSince
		default:
			v.StatusSince = w.between(-6*day, -2*time.Hour)
			v.DueAt = v.StatusSince
		}
		w.add(v)
	}
}

// viewsOn is a published video's views on a day: a launch spike decaying
// over about a week, with a long tail and daily noise.
func (w *world) viewsOn(videoKey string, d time.Time, rng *rand.Rand) int64 {
	pub := w.published[videoKey]
	age := d.Sub(pub.Truncate(day)).Hours() / 24
	if age < 0 {
		return 0
	}
	peak := 20000 + float64(hash(videoKey)%180000)
	v := peak*math.Exp(-age/6) + peak*0.02
	return int64(v * (0.85 + 0.3*rng.Float64()))
}

func hash(s string) uint64 {
	var h uint64 = 14695981039346656037
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// metricFor is the daily metric row of one published video on one day.
func (w *world) metricFor(v *sdk.Entity, d time.Time, rng *rand.Rand) sdk.DailyMetric {
	key := entityKey(v)
	views := w.viewsOn(key, d, rng)
	currency := w.currency(v.Tenant)
	m := sdk.DailyMetric{Tenant: v.Tenant, Campaign: v.Campaign, Influencer: v.Influencer, Video: v.ID, Platform: v.Platform,
		Day: d.Format(time.DateOnly), Counts: sdk.Counts{Views: views}}
	basis := views
	if v.Platform != "youtube" { // YouTube reports views only; CPM is then per view
		m.Impressions = int64(float64(views) * (1.4 + 0.4*rng.Float64()))
		basis = m.Impressions
	}
	m.Clicks = int64(float64(basis) * (0.004 + 0.012*rng.Float64()))
	m.Likes = int64(float64(views) * (0.03 + 0.06*rng.Float64()))
	m.Comments = int64(float64(views) * (0.001 + 0.004*rng.Float64()))
	m.Shares = int64(float64(views) * (0.002 + 0.008*rng.Float64()))
	cost := float64(basis) / 1000 * w.videoCPM[key]
	m.Cost = money(cost, currency)
	m.Revenue = money(cost*(0.6+2.4*rng.Float64()), currency)
	return m
}

func (w *world) currency(tenant string) string {
	for _, t := range w.tenants {
		if t.id == tenant {
			return t.currency
		}
	}
	return "EUR"
}
