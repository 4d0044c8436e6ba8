// Package querymodel is the commandcenter datasource's query model: its
// plugin id, the query types, the JSON fields of a query, the performance
// metrics, the resources and the live channel paths. The plugin's backend
// answers these queries and the dashboards build them, so both spell them
// from here. Pure Go: it imports nothing of Grafana's SDK.
package querymodel

import "github.com/commandcenter/commandcenter/collector/api/apiv1"

// PluginID is the datasource plugin's id, as in plugin.json.
const PluginID = "commandcenter-commandcenter-datasource"

// Query types: one per need of a panel.
const (
	Stats       = "stats"
	Activity    = "activity"
	Worklist    = "worklist"
	Performance = "performance"
	Entities    = "entities"
	Plugins     = "plugins"
	Variable    = "variable"
)

// Types lists the query types.
var Types = []string{Stats, Activity, Worklist, Performance, Entities, Plugins, Variable}

// Query is the JSON of one query besides Grafana's own fields (refId,
// queryType, datasource, intervalMs...). Which fields count depends on
// the type; unset ones are left out.
type Query struct {
	// activity
	Kinds []string `json:"kinds,omitempty"`
	// activity (1-500, default 100) and entities (1-1000, default 100)
	Limit int `json:"limit,omitempty"`
	// performance
	Metric   string   `json:"metric,omitempty"`
	GroupBy  string   `json:"groupBy,omitempty"`
	Platform string   `json:"platform,omitempty"`
	Campaign string   `json:"campaign,omitempty"`
	MaxCPM   *float64 `json:"maxCpm,omitempty"`
	// Summary makes a performance query one table row per group (and
	// currency) over the whole time range, with every metric, instead of
	// a daily time series of one.
	Summary bool `json:"summary,omitempty"`
	// entities, and variable for statuses
	EntityType string   `json:"entityType,omitempty"`
	Statuses   []string `json:"statuses,omitempty"`
	// variable
	Resource string `json:"resource,omitempty"`
	// Live marks activity and stats queries the frontend streams; the
	// backend answers them like any other.
	Live bool `json:"live,omitempty"`
}

// Performance metrics a query can chart.
const (
	Impressions = apiv1.MetricImpressions
	Views       = apiv1.MetricViews
	Clicks      = apiv1.MetricClicks
	Cost        = apiv1.MetricCost
	Revenue     = apiv1.MetricRevenue
	CPM         = apiv1.MetricCPM
	CTR         = apiv1.MetricCTR
	ROI         = apiv1.MetricROI
)

// Metrics lists the performance metrics.
var Metrics = apiv1.PerformanceMetrics

// MetricDisplay is each metric's display name: the column title of a
// performance summary.
var MetricDisplay = map[string]string{
	Impressions: "Impressions", Views: "Views", Clicks: "Clicks", Cost: "Cost", Revenue: "Revenue",
	CPM: "CPM", CTR: "CTR", ROI: "ROI",
}

// How a performance query splits its series.
const (
	GroupByPlatform = apiv1.GroupByPlatform
	GroupByCampaign = apiv1.GroupByCampaign
)

// Resource names: GET /api/datasources/uid/<uid>/resources/<name>, and a
// variable query's resource.
const (
	ResourceTenants     = "tenants"
	ResourcePlatforms   = "platforms"
	ResourceCampaigns   = "campaigns"
	ResourceInfluencers = "influencers"
	ResourceKinds       = "kinds"
	ResourceEntityTypes = "entity-types"
	ResourceStatuses    = "statuses" // ?entityType=<type>
)

// ResourceNames lists the resources.
var ResourceNames = []string{ResourceTenants, ResourcePlatforms, ResourceCampaigns, ResourceInfluencers,
	ResourceKinds, ResourceEntityTypes, ResourceStatuses}

// Live channel paths: ds/<uid>/<path>.
const (
	// StreamActivity sends every event stored after subscribing, each
	// once, as it arrives; activity/<kind>[/<kind>...] only those kinds.
	// A subscriber first gets the newest events as the channel's initial
	// data.
	StreamActivity = "activity"
	// StreamStats sends the quick stats after every change; a subscriber
	// first gets them as the channel's initial data.
	StreamStats = "stats"
)

// Fields of the stats frame (one row): a field per number, per currency
// for money and payments (label currency), per platform for the platform
// totals (label platform).
const (
	StatVideosUpcoming      = "videos_upcoming"
	StatReviewQueue         = "review_queue"
	StatActiveCampaigns     = "active_campaigns"
	StatPendingSignature    = "influencers_pending_signature"
	StatPaymentsOpen        = "payments_open"
	StatPaymentsOpenAmount  = "payments_open_amount"
	StatPaymentsOverdue     = "payments_overdue"
	StatRevenue             = "revenue"
	StatCost                = "cost"
	StatPlatformImpressions = "platform_impressions"
	StatPlatformViews       = "platform_views"
	StatPlatformClicks      = "platform_clicks"
	StatPlatformEngagements = "platform_engagements"
)

// StatsDisplay is each stats field's display name; a field per currency
// or platform shows it followed by " (<currency or platform>)".
var StatsDisplay = map[string]string{
	StatVideosUpcoming:      "Upcoming videos",
	StatReviewQueue:         "Videos waiting for review",
	StatActiveCampaigns:     "Active campaigns",
	StatPendingSignature:    "Influencers pending signature",
	StatPaymentsOpen:        "Open payments",
	StatPaymentsOpenAmount:  "Open payment amount",
	StatPaymentsOverdue:     "Overdue payments",
	StatRevenue:             "Revenue",
	StatCost:                "Cost",
	StatPlatformImpressions: "Impressions",
	StatPlatformViews:       "Views",
	StatPlatformClicks:      "Clicks",
	StatPlatformEngagements: "Engagements",
}
