// Package metricnames names every metric commandcenter exposes, each once,
// with one prefix. The exporter, the plugin host, the API and dashboards code
// use these constants rather than spelling a name again. It imports nothing.
package metricnames

// Namespace prefixes every metric commandcenter exposes.
const Namespace = "commandcenter"

const prefix = Namespace + "_"

// Business metric names, by domain; every business series carries tenant.
// Dashboards and tests use these names rather than spelling them again.
const (
	// Payments.
	PaymentsOpen        = prefix + "payments_open"
	PaymentsOpenAmount  = prefix + "payments_open_amount"
	PaymentsOverdue     = prefix + "payments_overdue"
	PaymentDueTimestamp = prefix + "payment_due_timestamp_seconds"
	// Videos.
	Videos                              = prefix + "videos"
	VideosUpcoming                      = prefix + "videos_upcoming"
	VideoDueTimestamp                   = prefix + "video_due_timestamp_seconds"
	VideoReviewQueue                    = prefix + "video_review_queue"
	VideoReviewOldestSubmittedTimestamp = prefix + "video_review_oldest_submitted_timestamp_seconds"
	// Contracts and influencers.
	Contracts               = prefix + "contracts"
	Influencers             = prefix + "influencers"
	ContractExpiryTimestamp = prefix + "contract_expiry_timestamp_seconds"
	ContractSentTimestamp   = prefix + "contract_sent_timestamp_seconds"
	// Campaigns and performance.
	Campaigns                    = prefix + "campaigns"
	CampaignInfo                 = prefix + "campaign_info"
	Revenue                      = prefix + "revenue"
	Cost                         = prefix + "cost"
	PlatformImpressions          = prefix + "platform_impressions"
	PlatformViews                = prefix + "platform_views"
	PlatformClicks               = prefix + "platform_clicks"
	PlatformEngagements          = prefix + "platform_engagements"
	CampaignCPM                  = prefix + "campaign_cpm"
	CampaignCPMTarget            = prefix + "campaign_cpm_target"
	CampaignViewsDaily           = prefix + "campaign_views_daily"
	CampaignLastMetricsTimestamp = prefix + "campaign_last_metrics_timestamp_seconds"
	// Scraper.
	ScraperLastSuccessTimestamp = prefix + "scraper_last_success_timestamp_seconds"
	ScraperRunsTotal            = prefix + "scraper_runs_total"
	ScraperErrorsTotal          = prefix + "scraper_errors_total"
	ScraperSelectorUpdatesTotal = prefix + "scraper_selector_updates_total"
)

// Operational metric names: the process, its plugins, ingest, the API and
// the business refresh watching itself. No tenant.
const (
	PluginUp                            = prefix + "plugin_up"
	PluginRestartsTotal                 = prefix + "plugin_restarts_total"
	PluginLastSuccessTimestamp          = prefix + "plugin_last_success_timestamp_seconds"
	PluginCollectDuration               = prefix + "plugin_collect_duration_seconds"
	PluginCollectErrorsTotal            = prefix + "plugin_collect_errors_total"
	PluginCollectRunsTotal              = prefix + "plugin_collect_runs_total"
	IngestedEventsTotal                 = prefix + "ingested_events_total"
	IngestedBatchesTotal                = prefix + "ingested_batches_total"
	IngestedDuplicateEventsTotal        = prefix + "ingested_duplicate_events_total"
	IngestRejectedTotal                 = prefix + "ingest_rejected_total"
	StoreSizeBytes                      = prefix + "store_size_bytes"
	HTTPRequestDuration                 = prefix + "http_request_duration_seconds"
	BusinessRefreshDuration             = prefix + "business_refresh_duration_seconds"
	BusinessRefreshSuccess              = prefix + "business_refresh_success"
	BusinessLastRefreshSuccessTimestamp = prefix + "business_last_refresh_success_timestamp_seconds"
	ConfigLastReloadSuccessful          = prefix + "config_last_reload_successful"
	ConfigLastReloadSuccessTimestamp    = prefix + "config_last_reload_success_timestamp_seconds"
)
