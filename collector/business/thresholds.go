package business

import (
	"reflect"
	"time"
)

// Thresholds are the numbers that decide when something needs someone: the
// worklist's severities here, and Prometheus' alert rules. They are one
// table: alertrules/thresholds.rules.yml records each under the name in its
// `record` tag (commandcenter:threshold:<name>, durations in seconds), and a
// test fails when the two disagree.
type Thresholds struct {
	// PaymentDueWarning: an open payment due within this is due soon.
	PaymentDueWarning time.Duration `record:"payment_due_warning_seconds"`
	// ContractExpiryWarning and ContractExpiryCritical: a signed contract
	// expiring within these.
	ContractExpiryWarning  time.Duration `record:"contract_expiry_warning_seconds"`
	ContractExpiryCritical time.Duration `record:"contract_expiry_critical_seconds"`
	// SignaturePending: a contract awaiting signature longer than this.
	SignaturePending time.Duration `record:"signature_pending_seconds"`
	// ReviewQueueVideos and ReviewQueueAge: a review backlog larger than
	// this, or a video waiting longer than this.
	ReviewQueueVideos int           `record:"review_queue_videos"`
	ReviewQueueAge    time.Duration `record:"review_queue_age_seconds"`
	// ViewsDropRatio: views on the last complete day below this fraction of
	// the trailing 7-day level are a sharp drop, for campaigns at or above
	// ViewsDropFloor views a day.
	ViewsDropRatio float64 `record:"views_drop_ratio"`
	ViewsDropFloor int64   `record:"views_drop_floor"`
	// MetricsStale: a running campaign without new performance data this long.
	MetricsStale time.Duration `record:"metrics_stale_seconds"`
	// ScraperFailureRatioWarning and …Critical: shares of failed scraper
	// runs over the last hour.
	ScraperFailureRatioWarning  float64 `record:"scraper_failure_ratio_warning"`
	ScraperFailureRatioCritical float64 `record:"scraper_failure_ratio_critical"`
	// ScraperStale: no successful scraper run for this long.
	ScraperStale time.Duration `record:"scraper_stale_seconds"`
	// PluginRestarts15m: more restarts of one plugin than this within 15 minutes.
	PluginRestarts15m int `record:"plugin_restarts_15m"`
	// BusinessMetricsStale: business metrics not refreshed successfully for this long.
	BusinessMetricsStale time.Duration `record:"business_metrics_stale_seconds"`
}

// Default are the thresholds commandcenter ships with.
var Default = Thresholds{
	PaymentDueWarning:           3 * 24 * time.Hour,
	ContractExpiryWarning:       30 * 24 * time.Hour,
	ContractExpiryCritical:      7 * 24 * time.Hour,
	SignaturePending:            7 * 24 * time.Hour,
	ReviewQueueVideos:           10,
	ReviewQueueAge:              48 * time.Hour,
	ViewsDropRatio:              0.5,
	ViewsDropFloor:              1000,
	MetricsStale:                36 * time.Hour,
	ScraperFailureRatioWarning:  0.2,
	ScraperFailureRatioCritical: 0.5,
	ScraperStale:                6 * time.Hour,
	PluginRestarts15m:           3,
	BusinessMetricsStale:        5 * time.Minute,
}

// Records lists every threshold by its recording rule's name, in the rule's
// units (durations in seconds), as Prometheus sees them.
func (t Thresholds) Records() map[string]float64 {
	out := map[string]float64{}
	v := reflect.ValueOf(t)
	for i := range v.NumField() {
		var x float64
		switch f := v.Field(i).Interface().(type) {
		case time.Duration:
			x = f.Seconds()
		case int:
			x = float64(f)
		case int64:
			x = float64(f)
		case float64:
			x = f
		default:
			panic("business: threshold of unexpected type " + v.Type().Field(i).Name)
		}
		out[v.Type().Field(i).Tag.Get("record")] = x
	}
	return out
}
