package sdk

import (
	"encoding/json"
	"math"
	"time"
)

// Batch is the unit a source hands to the host: everything in it is stored
// in one transaction together with Cursor, the position to resume after it.
type Batch struct {
	Events       []Event       `json:"events,omitempty"`
	Entities     []Entity      `json:"entities,omitempty"`
	DailyMetrics []DailyMetric `json:"daily_metrics,omitempty"`
	Cursor       string        `json:"cursor,omitempty"`
}

// Len is the number of items in the batch.
func (b *Batch) Len() int { return len(b.Events) + len(b.Entities) + len(b.DailyMetrics) }

// Money is an amount in integer minor units (cents) of an ISO 4217 currency.
// It is never a float.
type Money struct {
	Minor    int64  `json:"minor"`
	Currency string `json:"currency"`
}

// EntityRef names the thing an event is about.
type EntityRef struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

// Event is something that happened. (source, Key) is unique, so sending the
// same event twice stores it once.
type Event struct {
	Key        string          `json:"key"`
	Tenant     string          `json:"tenant"`
	Kind       string          `json:"kind"`
	Entity     EntityRef       `json:"entity,omitzero"`
	OccurredAt time.Time       `json:"occurred_at"`
	Attrs      json.RawMessage `json:"attrs,omitempty"`
}

// Entity is what something is now; the host upserts it by (tenant, type, id).
type Entity struct {
	Tenant      string          `json:"tenant"`
	Type        string          `json:"type"`
	ID          string          `json:"id"`
	Name        string          `json:"name,omitempty"`
	Status      string          `json:"status"`
	StatusSince time.Time       `json:"status_since,omitzero"`
	Campaign    string          `json:"campaign,omitempty"`
	Influencer  string          `json:"influencer,omitempty"`
	Platform    string          `json:"platform,omitempty"`
	DueAt       time.Time       `json:"due_at,omitzero"`
	Amount      *Money          `json:"amount,omitempty"`
	Attrs       json.RawMessage `json:"attrs,omitempty"`
}

// DailyMetric is the performance of a campaign (optionally of one influencer
// or video) on one platform on one UTC day. It is upserted by
// (tenant, campaign, influencer, video, platform, day).
type DailyMetric struct {
	Tenant     string `json:"tenant"`
	Campaign   string `json:"campaign"`
	Influencer string `json:"influencer,omitempty"`
	Video      string `json:"video,omitempty"`
	Platform   string `json:"platform"`
	Day        string `json:"day"`
	Counts
	Cost    *Money `json:"cost,omitempty"`
	Revenue *Money `json:"revenue,omitempty"`
}

// Counts are a daily metric's counters, in one list: the API's performance
// rows embed this type too, and sums go through Add.
type Counts struct {
	Impressions int64 `json:"impressions"`
	Views       int64 `json:"views"`
	Clicks      int64 `json:"clicks"`
	Likes       int64 `json:"likes"`
	Comments    int64 `json:"comments"`
	Shares      int64 `json:"shares"`
}

// Add adds o to c, each sum saturating (AddSaturating).
func (c *Counts) Add(o Counts) {
	c.Impressions = AddSaturating(c.Impressions, o.Impressions)
	c.Views = AddSaturating(c.Views, o.Views)
	c.Clicks = AddSaturating(c.Clicks, o.Clicks)
	c.Likes = AddSaturating(c.Likes, o.Likes)
	c.Comments = AddSaturating(c.Comments, o.Comments)
	c.Shares = AddSaturating(c.Shares, o.Shares)
}

// AddSaturating is a + b, held at the int64 limits instead of wrapping
// into a sign change: a total is never shown negative.
func AddSaturating(a, b int64) int64 {
	switch s := a + b; {
	case b > 0 && s < a:
		return math.MaxInt64
	case b < 0 && s > a:
		return math.MinInt64
	default:
		return s
	}
}

// fields names each counter, for validation.
func (c *Counts) fields() [6]namedCount {
	return [6]namedCount{{"impressions", c.Impressions}, {"views", c.Views}, {"clicks", c.Clicks},
		{"likes", c.Likes}, {"comments", c.Comments}, {"shares", c.Shares}}
}

type namedCount struct {
	name string
	v    int64
}

// Entity types the store knows.
const (
	EntityCampaign      = "campaign"
	EntityInfluencer    = "influencer"
	EntityContract      = "contract"
	EntityPayment       = "payment"
	EntityVideo         = "video"
	EntityScraperTarget = "scraper_target"
)

// EntityTypes lists every entity type the store accepts.
var EntityTypes = []string{EntityCampaign, EntityInfluencer, EntityContract, EntityPayment, EntityVideo, EntityScraperTarget}

// Event kinds the store accepts. Anything else must be namespaced
// "x.<plugin>.<kind>".
const (
	KindInfluencerSignedUp     = "influencer.signed_up"
	KindContractSent           = "contract.sent"
	KindContractSigned         = "contract.signed"
	KindPaymentCreated         = "payment.created"
	KindPaymentPaid            = "payment.paid"
	KindVideoScheduled         = "video.scheduled"
	KindVideoUploaded          = "video.uploaded"
	KindVideoSubmitted         = "video.submitted"
	KindVideoApproved          = "video.approved"
	KindVideoRejected          = "video.rejected"
	KindVideoPublished         = "video.published"
	KindCampaignStarted        = "campaign.started"
	KindCampaignEnded          = "campaign.ended"
	KindMilestoneReached       = "milestone.reached"
	KindMetricsUpdated         = "metrics.updated"
	KindScraperRun             = "scraper.run"
	KindScraperError           = "scraper.error"
	KindScraperSelectorUpdated = "scraper.selector_updated"
)

// Kinds lists every event kind the store accepts without a namespace.
var Kinds = []string{
	KindInfluencerSignedUp, KindContractSent, KindContractSigned,
	KindPaymentCreated, KindPaymentPaid,
	KindVideoScheduled, KindVideoUploaded, KindVideoSubmitted, KindVideoApproved,
	KindVideoRejected, KindVideoPublished,
	KindCampaignStarted, KindCampaignEnded, KindMilestoneReached, KindMetricsUpdated,
	KindScraperRun, KindScraperError, KindScraperSelectorUpdated,
}

// Statuses lists, per entity type, the statuses the store accepts.
// "pending_signature" is a status of its own for influencers and contracts.
var Statuses = map[string][]string{
	EntityCampaign:      {"draft", "scheduled", "active", "paused", "ended"},
	EntityInfluencer:    {"prospect", "pending_signature", "active", "inactive"},
	EntityContract:      {"draft", "pending_signature", "signed", "expired", "terminated"},
	EntityPayment:       {"open", "paid", "cancelled"},
	EntityVideo:         {"scheduled", "uploaded", "submitted", "approved", "rejected", "published"},
	EntityScraperTarget: {"ok", "error", "disabled"},
}

// Outcomes of a scraper.run event, in its attrs: {"status":"ok"} or
// {"status":"failed"}.
const (
	ScraperRunStatusOK     = "ok"
	ScraperRunStatusFailed = "failed"
)

// ScraperRunFailed reports whether a scraper.run event's attrs say the run
// failed; any other run counts as a success.
func (e *Event) ScraperRunFailed() bool {
	var run struct {
		Status string `json:"status"`
	}
	_ = json.Unmarshal(e.Attrs, &run) // attrs are validated as an object or empty
	return run.Status == ScraperRunStatusFailed
}
