// Package apiv1 is commandcenter's HTTP API, version 1, in Go: the request
// and response type of every /api/v1 call, and a small client for it. The
// server encodes exactly these types, so the HTTP contract is written once.
// It is pure Go (no cgo, no SQLite): the Grafana datasource's backend, the
// command line and tests import it.
package apiv1

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// Paths of the API, relative to the server's base URL.
const (
	PathEvents      = "/api/v1/events"
	PathStats       = "/api/v1/stats"
	PathActivity    = "/api/v1/activity"
	PathWorklist    = "/api/v1/worklist"
	PathPerformance = "/api/v1/performance"
	PathEntities    = "/api/v1/entities/" // + entity type
	PathPlugins     = "/api/v1/plugins"
	PathStream      = "/api/v1/stream"
	PathWhoAmI      = "/api/v1/whoami"
	PathLayouts     = "/api/v1/layouts"
	PathTokens      = "/api/v1/tokens"
	PathHealthz     = "/healthz"
	PathReadyz      = "/readyz"
)

// Error codes: the "code" of an error body.
const (
	CodeUnauthorized     = "unauthorized" // 401: no, unknown or expired token
	CodeForbidden        = "forbidden"    // 403: the token's scope is too small
	CodeWrongTenant      = "wrong_tenant" // 403: an item names another tenant
	CodeNotFound         = "not_found"    // 404: no such route
	CodeUnknownEntity    = "unknown_entity_type"
	CodeMethodNotAllowed = "method_not_allowed" // 405, with Allow
	CodeInvalidParameter = "invalid_parameter"  // 400: a query parameter
	CodeInvalidSource    = "invalid_source"     // 400: ?source=
	CodeMalformedJSON    = "malformed_json"     // 400
	CodeBadBody          = "bad_body"           // 400: the body could not be read
	CodeInvalidBatch     = "invalid_batch"      // 400 (shape) or 422 (content)
	CodeBodyTooLarge     = "body_too_large"     // 413
	CodeDatabaseLocked   = "database_locked"    // 503, with Retry-After
	CodeDiskFull         = "disk_full"          // 503, with Retry-After
	CodeTooManyStreams   = "too_many_streams"   // 429: a token's open streams, with Retry-After
	CodeRateLimited      = "rate_limited"       // 429: a token's POSTs of batches, with Retry-After
	CodeNotReady         = "not_ready"          // 503 from /readyz
	CodeInvalidLayout    = "invalid_layout"     // 400 (shape) or 422 (content), details name each problem
	CodeLayoutNotFound   = "layout_not_found"   // 404: no layout with that id for the token's tenant
	CodeVersionConflict  = "version_conflict"   // 409: the layout changed since the version the request names
	CodeInternal         = "internal"           // 500

	// Codes of the token calls (an admin token manages its tenant's tokens).
	CodeInvalidTokenRequest = "invalid_token_request" // 400 (shape) or 422 (content) of POST /api/v1/tokens, details name each problem
	CodeTokenNotFound       = "token_not_found"       // 404: no token with that id for the token's tenant
	CodeTooManyTokens       = "too_many_tokens"       // 422: the tenant holds as many tokens as it may (1000); revoke one first
)

// Error is every API error: the body {"error": Error} with the response's
// status code. Details name each problem's path where there is one
// ("events[3].kind").
type Error struct {
	// StatusCode and Header are the response's (Retry-After on 503, Allow
	// on 405); they travel outside the body.
	StatusCode int           `json:"-"`
	Header     http.Header   `json:"-"`
	Code       string        `json:"code"`
	Message    string        `json:"message"`
	Details    []sdk.Problem `json:"details,omitempty"`
}

func (e *Error) Error() string {
	return fmt.Sprintf("commandcenter API: %d %s: %s", e.StatusCode, e.Code, e.Message)
}

// ErrorBody is the JSON shape of an error response.
type ErrorBody struct {
	Error *Error `json:"error"`
}

// Health is the body of /healthz and /readyz when they answer 200.
type Health struct {
	Status string `json:"status"`
}

// PushRequest is the body of POST /api/v1/events: one batch, validated
// whole and stored atomically. Items without a tenant get the token's.
type PushRequest struct {
	Events       []sdk.Event       `json:"events,omitempty"`
	Entities     []sdk.Entity      `json:"entities,omitempty"`
	DailyMetrics []sdk.DailyMetric `json:"daily_metrics,omitempty"`
}

// PushResponse says what a stored batch changed.
type PushResponse struct {
	// Source is the name the batch was stored under: "api" or "api-<name>".
	Source string `json:"source"`
	// Events is how many events the body held; NewEvents of them were new
	// (derived events included), Duplicates were already stored, and
	// Expired occurred before the retention period, so were not stored.
	Events       int `json:"events"`
	NewEvents    int `json:"new_events"`
	Duplicates   int `json:"duplicates"`
	Expired      int `json:"expired"`
	Entities     int `json:"entities"`
	DailyMetrics int `json:"daily_metrics"`
}

// StatsResponse is GET /api/v1/stats.
type StatsResponse struct {
	AsOf  time.Time `json:"as_of"`
	Stats Stats     `json:"stats"`
}

// Stats are one tenant's quick stats: what the Command Center shows first.
type Stats struct {
	Tenant   string             `json:"tenant"`
	Payments []CurrencyPayments `json:"payments"`
	VideoQueue
	// ByStatus counts entities: type → status → count.
	ByStatus         map[string]map[string]int64 `json:"by_status"`
	ActiveCampaigns  int64                       `json:"active_campaigns"`
	PendingSignature int64                       `json:"influencers_pending_signature"`
	Platforms        []PlatformTotals            `json:"platforms"`
	Revenue          []sdk.Money                 `json:"revenue"`
	Cost             []sdk.Money                 `json:"cost"`
}

// NewStats is empty stats for tenant, with empty (not null) lists.
func NewStats(tenant string) *Stats {
	return &Stats{Tenant: tenant, ByStatus: map[string]map[string]int64{}, Payments: []CurrencyPayments{},
		Platforms: []PlatformTotals{}, Revenue: []sdk.Money{}, Cost: []sdk.Money{}}
}

// CurrencyPayments are a tenant's open payments in one currency.
type CurrencyPayments struct {
	Currency string    `json:"currency"`
	Open     int       `json:"open"`
	Overdue  int       `json:"overdue"`
	Amount   sdk.Money `json:"amount"`
}

// VideoQueue is what is coming up and waiting in a tenant's video pipeline.
type VideoQueue struct {
	// VideosUpcoming are scheduled videos due within the upcoming window.
	VideosUpcoming int `json:"videos_upcoming"`
	// ReviewQueue are videos submitted and waiting for review; ReviewOldest
	// is when the oldest of them was submitted.
	ReviewQueue  int       `json:"review_queue"`
	ReviewOldest time.Time `json:"review_oldest_submitted_at,omitzero"`
}

// PlatformTotals are a tenant's performance on one platform over all days.
type PlatformTotals struct {
	Platform    string `json:"platform"`
	Impressions int64  `json:"impressions"`
	Views       int64  `json:"views"`
	Clicks      int64  `json:"clicks"`
	Engagements int64  `json:"engagements"`
}

// ActivityQuery pages through the activity feed, newest first; or, with
// SinceID, through the events stored after the one with that id, in the
// order they were stored (what a live follower catches up with).
type ActivityQuery struct {
	// Kinds keeps only these event kinds; empty keeps all.
	Kinds []string
	// Limit is the page size (1-500; 0: the server's default, 50).
	Limit int
	// Cursor is the previous page's NextCursor.
	Cursor string
	// SinceID, when set, returns events with a larger id, smallest first
	// (0: from the first); ids only grow, so nothing stored later is
	// missed. NextCursor, when a page follows, is its SinceID.
	SinceID *int64
}

// Values encodes the query.
func (q ActivityQuery) Values() url.Values {
	v := url.Values{}
	if len(q.Kinds) > 0 {
		v.Set("kind", strings.Join(q.Kinds, ","))
	}
	if q.SinceID != nil {
		v.Set("since_id", strconv.FormatInt(*q.SinceID, 10))
	}
	setLimitAndCursor(v, q.Limit, q.Cursor)
	return v
}

func setLimitAndCursor(v url.Values, limit int, cursor string) {
	if limit != 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	if cursor != "" {
		v.Set("cursor", cursor)
	}
}

// ActivityResponse is one page of the feed; NextCursor is empty on the last.
type ActivityResponse struct {
	Events     []Activity `json:"events"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

// Activity is one stored event: what the source sent (or the store
// derived), its id in the feed and the source that sent it.
type Activity struct {
	ID     int64  `json:"id"`
	Source string `json:"source"`
	sdk.Event
}

// WorklistResponse is GET /api/v1/worklist: most urgent first.
type WorklistResponse struct {
	Items []WorkItem `json:"items"`
}

// Severities of work items, the same words as the alert rules' severity.
const (
	SeverityCritical = "critical"
	SeverityWarning  = "warning"
	SeverityInfo     = "info"
)

// Kinds of work items.
const (
	WorkPaymentOverdue   = "payment_overdue"
	WorkPaymentDue       = "payment_due"
	WorkVideoLate        = "video_late"
	WorkVideoReview      = "video_review"
	WorkSignaturePending = "signature_pending"
	WorkContractExpired  = "contract_expired"
	WorkContractExpiring = "contract_expiring"
	WorkScraperFailing   = "scraper_failing"
	WorkScraperStale     = "scraper_stale"
)

// WorkItem is one thing that needs someone's action.
type WorkItem struct {
	Kind       string        `json:"kind"`
	Severity   string        `json:"severity"`
	Entity     sdk.EntityRef `json:"entity"`
	Title      string        `json:"title"`
	Reason     string        `json:"reason"`
	Influencer string        `json:"influencer,omitempty"`
	Campaign   string        `json:"campaign,omitempty"`
	// At is the deadline (or the moment the wait began); items sort by it
	// within a severity.
	At     time.Time  `json:"at"`
	Amount *sdk.Money `json:"amount,omitempty"`
}

// Group-by choices of the performance aggregate.
const (
	GroupByDay      = "day"
	GroupByPlatform = "platform"
	GroupByCampaign = "campaign"
)

// GroupBys lists the group-by choices.
var GroupBys = []string{GroupByDay, GroupByPlatform, GroupByCampaign}

// PerformanceQuery selects GET /api/v1/performance. Empty fields take the
// server's defaults: the last 30 days, grouped by day.
type PerformanceQuery struct {
	// From and To are UTC days, inclusive: a date (2026-11-20), an RFC 3339
	// time or Unix milliseconds.
	From, To string
	Platform string
	Campaign string
	// MaxCPM keeps only groups whose CPM over the whole range is at most
	// this, in major units.
	MaxCPM  *float64
	GroupBy string
	// ByDay splits each platform or campaign group by day (rows then carry
	// Day): a time series per group in one call.
	ByDay bool
}

// Values encodes the query.
func (q PerformanceQuery) Values() url.Values {
	v := url.Values{}
	for name, s := range map[string]string{"from": q.From, "to": q.To, "platform": q.Platform, "campaign": q.Campaign, "group_by": q.GroupBy} {
		if s != "" {
			v.Set(name, s)
		}
	}
	if q.MaxCPM != nil {
		v.Set("max_cpm", strconv.FormatFloat(*q.MaxCPM, 'g', -1, 64))
	}
	if q.ByDay {
		v.Set("by_day", "true")
	}
	return v
}

// PerformanceResponse holds one row per group and currency, and totals per
// currency.
type PerformanceResponse struct {
	From    string           `json:"from"`
	To      string           `json:"to"`
	GroupBy string           `json:"group_by"`
	ByDay   bool             `json:"by_day,omitempty"`
	Rows    []PerformanceRow `json:"rows"`
	Totals  []PerformanceRow `json:"totals"`
}

// PerformanceRow is one group's sums and ratios. A ratio is null where its
// denominator is zero ("no value", never 0 or Inf).
type PerformanceRow struct {
	Group string `json:"group"`
	// Day is the row's UTC day (YYYY-MM-DD) when the query split groups
	// by day.
	Day      string `json:"day,omitempty"`
	Currency string `json:"currency"`
	sdk.Counts
	Cost    sdk.Money `json:"cost"`
	Revenue sdk.Money `json:"revenue"`
	// CPM is cost per thousand impressions in major units, or per thousand
	// views where the platform reports no impressions; CPMBasis says which.
	CPM      *float64 `json:"cpm"`
	CPMBasis string   `json:"cpm_basis,omitempty"`
	CTR      *float64 `json:"ctr"`
	ROI      *float64 `json:"roi"`
}

// CPM bases.
const (
	CPMBasisImpressions = "impressions"
	CPMBasisViews       = "views"
)

// EntitiesQuery pages through GET /api/v1/entities/{type}.
type EntitiesQuery struct {
	// Statuses keeps only entities in these statuses; empty keeps all.
	Statuses []string
	// Limit is the page size (1-1000; 0: the server's default, 100).
	Limit  int
	Cursor string
}

// Values encodes the query.
func (q EntitiesQuery) Values() url.Values {
	v := url.Values{}
	if len(q.Statuses) > 0 {
		v.Set("status", strings.Join(q.Statuses, ","))
	}
	setLimitAndCursor(v, q.Limit, q.Cursor)
	return v
}

// EntitiesResponse is one page of entities, ordered by id.
type EntitiesResponse struct {
	Items      []Entity `json:"items"`
	NextCursor string   `json:"next_cursor,omitempty"`
}

// Entity is one stored entity: what its source last sent, and when.
type Entity struct {
	sdk.Entity
	UpdatedAt time.Time `json:"updated_at"`
}

// PluginsResponse is GET /api/v1/plugins.
type PluginsResponse struct {
	Plugins []PluginStatus `json:"plugins"`
}

// PluginStatus is the host's view of one source plugin.
type PluginStatus struct {
	Name          string    `json:"name"`
	Builtin       string    `json:"builtin,omitempty"`
	Path          string    `json:"path,omitempty"`
	Version       string    `json:"version,omitempty"`
	Kinds         []string  `json:"kinds,omitempty"`
	Up            bool      `json:"up"`
	PID           int       `json:"pid,omitempty"`
	Restarts      int       `json:"restarts"`
	Healthy       *bool     `json:"healthy,omitempty"`
	HealthMessage string    `json:"health_message,omitempty"`
	LastSuccess   time.Time `json:"last_success,omitzero"`
	LastError     string    `json:"last_error,omitempty"`
	LastErrorAt   time.Time `json:"last_error_at,omitzero"`
	NextRun       time.Time `json:"next_run,omitzero"`
	Cursor        string    `json:"cursor,omitempty"`
	// LastRun is the plugin's last Collect ended, its counts the caller's
	// tenant's.
	LastRun *CollectRun `json:"last_run,omitempty"`
}

// WhoAmI is GET /api/v1/whoami: what the calling token may do, so a client
// can say which tenant it sees before it reads anything.
type WhoAmI struct {
	Tenant      string     `json:"tenant"`
	Scope       string     `json:"scope"`
	TokenID     string     `json:"token_id"`
	Description string     `json:"description,omitempty"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
}

// SSE event names of GET /api/v1/stream.
const (
	// StreamEventReady comes once, first: the stream is subscribed, and
	// StreamReady says where the tenant's feed stands.
	StreamEventReady = "ready"
	// StreamEventChange is a Change.
	StreamEventChange = "change"
	// StreamEventCollectStarted and …Finished are a CollectRun starting
	// and ending, sent to the tenants whose data it stored and the one
	// that asked for it.
	StreamEventCollectStarted  = "collect.started"
	StreamEventCollectFinished = "collect.finished"
)

// StreamReady is the first event of a stream. Every event stored after it
// has a larger id than LatestID (0: the tenant has none yet) and is
// announced by a change; a follower reads them with
// GET /api/v1/activity?since_id=<the last id it saw>.
type StreamReady struct {
	LatestID int64 `json:"latest_id"`
}

// Change is one server-sent event of GET /api/v1/stream: a stored batch
// touched the token's tenant, with how many new events of each kind.
type Change struct {
	Source string         `json:"source"`
	Events map[string]int `json:"events"`
	At     time.Time      `json:"at"`
}

// Layout is a saved homebase of one user or team of the token's tenant:
// an ordered list of widgets placed on Grafana's 24-column grid, a default
// time range and filters, and personal shortcuts. It renders as a Grafana
// dashboard.
type Layout struct {
	// ID is chosen by the client: lower-case letters, digits and '-', at
	// most 64; unique per tenant.
	ID    string      `json:"id"`
	Owner LayoutOwner `json:"owner"`
	Name  string      `json:"name"`
	// Default marks the owner's default layout (their home dashboard); at
	// most one per owner, so setting it clears it on the owner's others.
	Default   bool          `json:"default,omitempty"`
	Widgets   []Widget      `json:"widgets"`
	TimeRange LayoutRange   `json:"time_range"`
	Filters   LayoutFilters `json:"filters,omitempty"`
	Shortcuts []Shortcut    `json:"shortcuts,omitempty"`
	// Version is the server's: a PUT names the version it read (0 for a
	// new layout) and gets 409 version_conflict if it changed since.
	Version   int64     `json:"version"`
	UpdatedAt time.Time `json:"updated_at,omitempty"`
}

// Performance metrics a chart can show: the counts and money of
// /api/v1/performance rows and their ratios.
const (
	MetricImpressions = "impressions"
	MetricViews       = "views"
	MetricClicks      = "clicks"
	MetricCost        = "cost"
	MetricRevenue     = "revenue"
	MetricCPM         = "cpm"
	MetricCTR         = "ctr"
	MetricROI         = "roi"
)

// PerformanceMetrics lists the performance metrics.
var PerformanceMetrics = []string{MetricImpressions, MetricViews, MetricClicks, MetricCost, MetricRevenue, MetricCPM, MetricCTR, MetricROI}

// Layout owner kinds.
const (
	OwnerUser = "user"
	OwnerTeam = "team"
)

// LayoutOwner is the user or team a layout belongs to (Grafana's login or
// team name).
type LayoutOwner struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// Widget is one panel of a layout: a kind from the catalog, its place on
// the grid, and the options its kind takes.
type Widget struct {
	Kind  string `json:"kind"`
	Title string `json:"title,omitempty"`
	X     int    `json:"x"`
	Y     int    `json:"y"`
	W     int    `json:"w"`
	H     int    `json:"h"`
	// Performance charts: the metric, how series split, filters.
	Metric   string   `json:"metric,omitempty"`
	GroupBy  string   `json:"group_by,omitempty"`
	Platform string   `json:"platform,omitempty"`
	Campaign string   `json:"campaign,omitempty"`
	MaxCPM   *float64 `json:"max_cpm,omitempty"`
	// The activity feed: only these kinds.
	Kinds []string `json:"kinds,omitempty"`
}

// LayoutRange is a default time range in Grafana's terms ("now-7d",
// "now", or RFC 3339 times).
type LayoutRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// LayoutFilters are a layout's default filters.
type LayoutFilters struct {
	Platform string   `json:"platform,omitempty"`
	Campaign string   `json:"campaign,omitempty"`
	MaxCPM   *float64 `json:"max_cpm,omitempty"`
}

// Shortcut is a personal link shown on the layout's dashboard.
type Shortcut struct {
	Title string `json:"title"`
	URL   string `json:"url"`
}

// LayoutsResponse answers GET /api/v1/layouts: the tenant's layouts by id.
type LayoutsResponse struct {
	Layouts []Layout `json:"layouts"`
}

// TokenInfo is one API token of the token's tenant as GET /api/v1/tokens
// lists it: never its secret nor its hash.
type TokenInfo struct {
	ID          string     `json:"id"`
	Tenant      string     `json:"tenant"`
	Scope       string     `json:"scope"`
	Description string     `json:"description,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
}

// TokensResponse answers GET /api/v1/tokens: the tenant's tokens, oldest
// first.
type TokensResponse struct {
	Tokens []TokenInfo `json:"tokens"`
}

// CreateTokenRequest is the body of POST /api/v1/tokens (an admin token).
type CreateTokenRequest struct {
	// Tenant, when set, must be the calling token's own (403 wrong_tenant
	// otherwise); a token creates tokens of its own tenant only.
	Tenant string `json:"tenant,omitempty"`
	// Scope is read, ingest or admin.
	Scope string `json:"scope"`
	// Description says who or what uses the token: at most 200 bytes, no
	// control characters.
	Description string `json:"description,omitempty"`
	// ExpiresIn is the lifetime as a Go duration ("720h"); empty or "0"
	// never expires.
	ExpiresIn string `json:"expires_in,omitempty"`
}

// CreateTokenResponse is the new token and its secret, which is shown
// this once: only its hash is stored.
type CreateTokenResponse struct {
	Token  TokenInfo `json:"token"`
	Secret string    `json:"secret"`
}
