package sdk

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// A plugin's own tests call Validate exactly as the host does: every
// problem comes back at once, each at its path.
func TestValidateReportsEveryProblemAtOnce(t *testing.T) {
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	b := Batch{
		Events: []Event{
			{Key: "ok", Tenant: "acme", Kind: KindPaymentPaid, OccurredAt: at},
			{Key: "", Tenant: "acme", Kind: "payment.stolen", OccurredAt: at},
			{Key: "x", Tenant: "acme", Kind: "x.myplugin.thing", OccurredAt: at},
		},
		Entities: []Entity{{Tenant: "a b", Type: EntityPayment, ID: "p1", Status: "open"}},
		DailyMetrics: []DailyMetric{{Tenant: "acme", Campaign: "c", Platform: "tiktok", Day: "2026-11-20",
			Counts: Counts{Views: 10, Shares: -1}}},
	}
	err := Validate(&b)
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("want *ValidationError, got %v", err)
	}
	var paths []string
	for _, p := range verr.Problems {
		paths = append(paths, p.Path)
	}
	want := []string{"events[1].key", "events[1].kind", "entities[0].tenant", "entities[0].amount", "daily_metrics[0].shares"}
	if strings.Join(paths, " ") != strings.Join(want, " ") {
		t.Fatalf("problems at %v, want %v", paths, want)
	}
	if verr.Reason() != "invalid_key" {
		t.Fatalf("reason %q", verr.Reason())
	}
	b.Events, b.Entities, b.DailyMetrics = b.Events[:1], nil, nil
	if err := Validate(&b); err != nil {
		t.Fatalf("a good batch: %v", err)
	}
}

func TestMoneyInMajorUnits(t *testing.T) {
	for _, tc := range []struct {
		m    Money
		want float64
	}{{Money{1250, "EUR"}, 12.5}, {Money{1250, "JPY"}, 1250}, {Money{1250, "KWD"}, 1.25}} {
		if got := tc.m.Major(); got != tc.want {
			t.Errorf("%+v: %v, want %v", tc.m, got, tc.want)
		}
	}
}
