package dsplugin_test

import (
	"encoding/json"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/grafana/pkg/dsplugin"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// cell is one series' sums on one day, from the data set.
type cell struct {
	sdk.Counts
	cost, revenue float64 // major units
}

// metric computes a performance metric from a cell as the README defines
// it; perCurrency metrics are one series per currency.
type metric struct {
	perCurrency bool
	value       func(cell) *float64
}

func num(v float64) *float64 { return &v }

var (
	views = metric{false, func(c cell) *float64 { return num(float64(c.Views)) }}
	ctr   = metric{false, func(c cell) *float64 {
		if c.Impressions == 0 {
			return nil
		}
		return num(float64(c.Clicks) / float64(c.Impressions))
	}}
	// CPM = cost / impressions × 1000, or per thousand views where the
	// platform reports no impressions.
	cpm = metric{true, func(c cell) *float64 {
		switch {
		case c.Impressions > 0:
			return num(c.cost * 1000 / float64(c.Impressions))
		case c.Views > 0:
			return num(c.cost * 1000 / float64(c.Views))
		}
		return nil
	}}
	cost = metric{true, func(c cell) *float64 { return num(c.cost) }}
	// ROI = (revenue − cost) / cost.
	roi = metric{true, func(c cell) *float64 {
		if c.cost == 0 {
			return nil
		}
		return num((c.revenue - c.cost) / c.cost)
	}}
)

// campaignsWithCPMAtMost keeps the daily metrics of campaigns whose CPM
// over all the set's days is at most max.
func campaignsWithCPMAtMost(set apiv1.PushRequest, max float64) apiv1.PushRequest {
	sums := map[[2]string]*cell{}
	for _, dm := range set.DailyMetrics {
		k := [2]string{dm.Campaign, dm.Cost.Currency}
		if sums[k] == nil {
			sums[k] = &cell{}
		}
		sums[k].Counts.Add(dm.Counts)
		sums[k].cost += dm.Cost.Major()
	}
	var out apiv1.PushRequest
	for _, dm := range set.DailyMetrics {
		if c := cpm.value(*sums[[2]string{dm.Campaign, dm.Cost.Currency}]); c != nil && *c <= max {
			out.DailyMetrics = append(out.DailyMetrics, dm)
		}
	}
	return out
}

// days are the UTC days of the test's time range.
func days() []string {
	var out []string
	for d := rangeFrom.Truncate(24 * time.Hour); !d.After(rangeTo); d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format(time.DateOnly))
	}
	return out
}

// checkPerformance recomputes every series of a performance frame from the
// data set's daily metrics: grouped by groupBy, filtered to platform when
// set, null on a day without data.
func checkPerformance(t *testing.T, set apiv1.PushRequest, f *data.Frame, groupBy, platform string, m metric) {
	t.Helper()
	want := map[[2]string]map[string]*cell{}
	for _, dm := range set.DailyMetrics {
		if platform != "" && dm.Platform != platform {
			continue
		}
		group := dm.Platform
		if groupBy == "campaign" {
			group = dm.Campaign
		}
		key := [2]string{group, ""}
		if m.perCurrency {
			key[1] = dm.Cost.Currency
		}
		if want[key] == nil {
			want[key] = map[string]*cell{}
		}
		c := want[key][dm.Day]
		if c == nil {
			c = &cell{}
			want[key][dm.Day] = c
		}
		c.Counts.Add(dm.Counts)
		if dm.Cost != nil {
			c.cost += dm.Cost.Major()
		}
		if dm.Revenue != nil {
			c.revenue += dm.Revenue.Major()
		}
	}
	if len(f.Fields) != 1+len(want) {
		t.Fatalf("%s: %d value fields, want %d series", f.Name, len(f.Fields)-1, len(want))
	}
	ds := days()
	if f.Fields[0].Len() != len(ds) {
		t.Fatalf("%s: %d time points, want %d days", f.Name, f.Fields[0].Len(), len(ds))
	}
	for i, d := range ds {
		if got := f.Fields[0].At(i).(time.Time).Format(time.DateOnly); got != d {
			t.Fatalf("%s: time %d is %s, want %s", f.Name, i, got, d)
		}
	}
	for _, fld := range f.Fields[1:] {
		key := [2]string{fld.Labels[groupBy], fld.Labels["currency"]}
		series, ok := want[key]
		if !ok {
			t.Errorf("%s: unexpected series %v", f.Name, fld.Labels)
			continue
		}
		for i, d := range ds {
			var exp *float64
			if c := series[d]; c != nil {
				exp = m.value(*c)
			}
			got, _ := fld.At(i).(*float64)
			if (exp == nil) != (got == nil) || exp != nil && math.Abs(*exp-*got) > 1e-9*math.Max(1, math.Abs(*exp)) {
				t.Errorf("%s %v on %s: got %v, want %v", f.Name, fld.Labels, d, deref(got), deref(exp))
			}
		}
	}
}

func deref(p *float64) any {
	if p == nil {
		return "null"
	}
	return *p
}

// statValue is the one value of the stats field name with labels.
func statValue(t *testing.T, f *data.Frame, name string, labels data.Labels) float64 {
	t.Helper()
	for _, fld := range f.Fields {
		if fld.Name == name && fld.Labels.Equals(labels) {
			return fld.At(0).(float64)
		}
	}
	t.Fatalf("stats: no field %s%v", name, labels)
	return 0
}

// checkStats recomputes the quick stats from the data set's entities and
// daily metrics.
func checkStats(t *testing.T, set apiv1.PushRequest, f *data.Frame) {
	t.Helper()
	now := time.Now()
	type pay struct{ open, overdue, amount float64 }
	payments := map[string]*pay{}
	var active, pending, review float64
	for _, e := range set.Entities {
		switch {
		case e.Type == sdk.EntityPayment && e.Status == "open":
			p := payments[e.Amount.Currency]
			if p == nil {
				p = &pay{}
				payments[e.Amount.Currency] = p
			}
			p.open++
			p.amount += e.Amount.Major()
			if !e.DueAt.IsZero() && e.DueAt.Before(now) {
				p.overdue++
			}
		case e.Type == sdk.EntityCampaign && e.Status == "active":
			active++
		case e.Type == sdk.EntityInfluencer && e.Status == "pending_signature":
			pending++
		case e.Type == sdk.EntityVideo && e.Status == "submitted":
			review++
		}
	}
	for cur, p := range payments {
		l := data.Labels{"currency": cur}
		for name, want := range map[string]float64{"payments_open": p.open, "payments_overdue": p.overdue, "payments_open_amount": p.amount} {
			if got := statValue(t, f, name, l); math.Abs(got-want) > 1e-9 {
				t.Errorf("stats %s{%s} = %v, want %v", name, cur, got, want)
			}
		}
	}
	costs := map[string]float64{}
	for _, dm := range set.DailyMetrics {
		costs[dm.Cost.Currency] += dm.Cost.Major()
	}
	for cur, want := range costs {
		if got := statValue(t, f, "cost", data.Labels{"currency": cur}); math.Abs(got-want) > 1e-9 {
			t.Errorf("stats cost{%s} = %v, want %v", cur, got, want)
		}
	}
	for name, want := range map[string]float64{"active_campaigns": active, "influencers_pending_signature": pending, "review_queue": review} {
		if got := statValue(t, f, name, nil); got != want {
			t.Errorf("stats %s = %v, want %v", name, got, want)
		}
	}
}

// checkActivity checks a feed frame holds every event of the data set of
// those kinds within the time range, only such events, newest first.
func checkActivity(t *testing.T, set apiv1.PushRequest, f *data.Frame, kinds []string) {
	t.Helper()
	timeField, _ := f.FieldByName("time")
	kindField, _ := f.FieldByName("kind")
	entityField, _ := f.FieldByName("entity_id")
	shown := map[string]bool{}
	for i := range f.Rows() {
		at, kind := timeField.At(i).(time.Time), kindField.At(i).(string)
		if !slices.Contains(kinds, kind) || at.Before(rangeFrom) || at.After(rangeTo) {
			t.Errorf("activity row %d: %s at %s", i, kind, at)
		}
		if i > 0 && at.After(timeField.At(i-1).(time.Time)) {
			t.Errorf("activity row %d is newer than the one before", i)
		}
		shown[kind+"/"+entityField.At(i).(string)+"/"+at.Format(time.RFC3339)] = true
	}
	for _, e := range set.Events {
		if slices.Contains(kinds, e.Kind) && !e.OccurredAt.Before(rangeFrom) && !e.OccurredAt.After(rangeTo) &&
			!shown[e.Kind+"/"+e.Entity.ID+"/"+e.OccurredAt.Format(time.RFC3339)] {
			t.Errorf("event %s not in the feed", e.Key)
		}
	}
}

func decodeOptions(t *testing.T, body []byte) []dsplugin.Option {
	t.Helper()
	var opts []dsplugin.Option
	if err := json.Unmarshal(body, &opts); err != nil {
		t.Fatalf("options %s: %v", body, err)
	}
	return opts
}

// checkSummary recomputes a summary-by-campaign frame from the data set:
// one row per campaign and currency over the test's days, every metric,
// null ratios where the denominator is zero.
func checkSummary(t *testing.T, set apiv1.PushRequest, f *data.Frame) {
	t.Helper()
	inRange := map[string]bool{}
	for _, d := range days() {
		inRange[d] = true
	}
	want := map[[2]string]*cell{}
	for _, dm := range set.DailyMetrics {
		if !inRange[dm.Day] {
			continue
		}
		k := [2]string{dm.Campaign, dm.Cost.Currency}
		if want[k] == nil {
			want[k] = &cell{}
		}
		want[k].Counts.Add(dm.Counts)
		want[k].cost += dm.Cost.Major()
		if dm.Revenue != nil {
			want[k].revenue += dm.Revenue.Major()
		}
	}
	if f.Rows() != len(want) {
		t.Fatalf("summary has %d rows, want %d (%v)", f.Rows(), len(want), want)
	}
	at := func(name string, i int) any {
		fld, j := f.FieldByName(name)
		if j < 0 {
			t.Fatalf("summary has no field %s", name)
		}
		return fld.At(i)
	}
	same := func(got any, want *float64) bool {
		g, _ := got.(*float64)
		if g == nil || want == nil {
			return g == nil && want == nil
		}
		return math.Abs(*g-*want) < 1e-9*math.Max(1, math.Abs(*want))
	}
	for i := range f.Rows() {
		k := [2]string{at("campaign", i).(string), at("currency", i).(string)}
		c := want[k]
		if c == nil {
			t.Errorf("summary row %v is not in the data set", k)
			continue
		}
		if at("impressions", i).(int64) != c.Impressions || at("views", i).(int64) != c.Views || at("clicks", i).(int64) != c.Clicks {
			t.Errorf("%v: counts %v %v %v, want %+v", k, at("impressions", i), at("views", i), at("clicks", i), c.Counts)
		}
		if !same(num(at("cost", i).(float64)), num(c.cost)) {
			t.Errorf("%v: cost %v, want %v", k, at("cost", i), c.cost)
		}
		for name, m := range map[string]metric{"cpm": cpm, "ctr": ctr, "roi": roi} {
			if !same(at(name, i), m.value(*c)) {
				t.Errorf("%v: %s %v, want %v", k, name, at(name, i), m.value(*c))
			}
		}
	}
}
