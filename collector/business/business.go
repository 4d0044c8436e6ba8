// Package business holds commandcenter's business rules, each in one place:
// the thresholds table (Thresholds, checked against the alert rules), the
// status-change and milestone rules the store applies as it stores a batch
// (Derivations), and the reports the HTTP API and the exporter serve
// (Reports): quick stats, the worklist and its urgency, performance totals
// and ratios. The store only runs SQL; the API and the exporter compute
// nothing themselves.
package business

import (
	"time"

	"github.com/commandcenter/commandcenter/collector/store"
)

// Reports answers the questions people ask of the data, from the store.
type Reports struct {
	Store *store.Store
	// UpcomingWindow: a scheduled video due within it counts as upcoming.
	UpcomingWindow time.Duration
	// Thresholds decide the worklist's items and severities.
	Thresholds Thresholds
}

// NewReports reads st with the Default thresholds.
func NewReports(st *store.Store, upcomingWindow time.Duration) *Reports {
	return &Reports{Store: st, UpcomingWindow: upcomingWindow, Thresholds: Default}
}
