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

func TestValidateRefusesTimesNoAgencyHas(t *testing.T) {
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	b := Batch{
		Events: []Event{
			{Key: "year0", Tenant: "acme", Kind: KindPaymentPaid, OccurredAt: time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)},
			{Key: "year9999", Tenant: "acme", Kind: KindPaymentPaid, OccurredAt: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)},
			{Key: "fine", Tenant: "acme", Kind: KindPaymentPaid, OccurredAt: at},
		},
		Entities: []Entity{{Tenant: "acme", Type: EntityVideo, ID: "v", Status: "scheduled", DueAt: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC),
			StatusSince: time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC)}},
		DailyMetrics: []DailyMetric{{Tenant: "acme", Campaign: "c", Platform: "tiktok", Day: "0001-01-01"}},
	}
	var verr *ValidationError
	if !errors.As(Validate(&b), &verr) {
		t.Fatal("times in year 0 and 9999 accepted")
	}
	var paths []string
	for _, p := range verr.Problems {
		paths = append(paths, p.Path)
	}
	want := "events[0].occurred_at events[1].occurred_at entities[0].status_since entities[0].due_at daily_metrics[0].day"
	if strings.Join(paths, " ") != want {
		t.Fatalf("problems at %v, want %s", paths, want)
	}
}

func TestValidateBoundsAttrs(t *testing.T) {
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	big := []byte(`{"blob":"` + strings.Repeat("x", MaxAttrsBytes) + `"}`)
	b := Batch{
		Events:   []Event{{Key: "k", Tenant: "acme", Kind: KindPaymentPaid, OccurredAt: at, Attrs: big}},
		Entities: []Entity{{Tenant: "acme", Type: EntityCampaign, ID: "c", Status: "active", Attrs: big}},
	}
	var verr *ValidationError
	if !errors.As(Validate(&b), &verr) || len(verr.Problems) != 2 || verr.Problems[0].Path != "events[0].attrs" ||
		verr.Problems[1].Path != "entities[0].attrs" || !strings.Contains(verr.Problems[0].Message, "more than the limit of 65536") {
		t.Fatalf("%v", verr)
	}
	b.Events[0].Attrs, b.Entities[0].Attrs = big[:0], []byte(`{"cpm_target":{"minor":800,"currency":"EUR"}}`)
	if err := Validate(&b); err != nil {
		t.Fatal(err)
	}
}

func TestValidateBoundsQuantities(t *testing.T) {
	b := Batch{DailyMetrics: []DailyMetric{{Tenant: "acme", Campaign: "c", Platform: "tiktok", Day: "2026-11-20",
		Counts: Counts{Views: MaxCount + 1, Clicks: MaxCount}, Cost: &Money{Minor: MaxMinor + 1, Currency: "EUR"}}}}
	var verr *ValidationError
	if !errors.As(Validate(&b), &verr) || len(verr.Problems) != 2 ||
		verr.Problems[0].Path != "daily_metrics[0].views" || verr.Problems[1].Path != "daily_metrics[0].cost.minor" {
		t.Fatalf("%v", verr)
	}
	if got := AddSaturating(1<<62, 1<<62); got != 1<<63-1 {
		t.Fatalf("saturating add wrapped: %d", got)
	}
}

// The hand-written checks of tenants and currencies accept exactly what
// the patterns they replace accept.
func TestTenantAndCurrencyChecksMatchTheirPatterns(t *testing.T) {
	cases := []string{"", "a", "A", "0", "acme", "ac me", "_acme", ".acme", "-acme", "acme_1.b-c", "acmé", "acme\n",
		strings.Repeat("a", 63), strings.Repeat("a", 64), strings.Repeat("a", 65), "EUR", "eur", "EU", "EURO", "E1R", "ÉUR"}
	for c := byte(0); c < 0x80; c++ {
		cases = append(cases, string([]byte{c}), "a"+string([]byte{c}), "EU"+string([]byte{c}))
	}
	for _, s := range cases {
		if got, want := validTenant(s), tenantPattern.MatchString(s); got != want {
			t.Errorf("validTenant(%q) = %v, the pattern says %v", s, got, want)
		}
		if got, want := validCurrency(s), currencyPattern.MatchString(s); got != want {
			t.Errorf("validCurrency(%q) = %v, the pattern says %v", s, got, want)
		}
	}
}

// Only a batch without problems comes back as Validated.
func TestValidateBatchHandsBackOnlyGoodBatches(t *testing.T) {
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	good := Batch{Events: []Event{{Key: "k", Tenant: "acme", Kind: KindPaymentPaid, OccurredAt: at}}}
	if v, err := ValidateBatch(&good); err != nil || v.Batch() != &good {
		t.Fatalf("good batch: %v, %v", v.Batch(), err)
	}
	for _, bad := range []Batch{
		{Events: []Event{{Key: "k", Tenant: "acme", Kind: "garbage!", OccurredAt: at}}},
		{Events: []Event{{Key: "k", Tenant: "acme", Kind: KindPaymentPaid, OccurredAt: at, Attrs: []byte(`{"a":`)}}},
		{Events: []Event{{Key: "k", Tenant: "acme", Kind: KindPaymentPaid, OccurredAt: at, Attrs: []byte(` [1]`)}}},
	} {
		v, err := ValidateBatch(&bad)
		var verr *ValidationError
		if !errors.As(err, &verr) || v.Batch() != nil {
			t.Errorf("%+v: validated as %v, %v", bad.Events[0], v.Batch(), err)
		}
	}
	if (Validated{}).Batch() != nil {
		t.Fatal("the zero Validated holds a batch")
	}
}
