package dsplugin

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/grafana/pkg/querymodel"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// Grafana units.
const (
	unitShort   = "short"
	unitPercent = "percentunit" // a ratio: 0.25 shows as 25%
)

// grafanaCurrencies are the ISO codes Grafana has a currency unit for.
var grafanaCurrencies = map[string]bool{"USD": true, "GBP": true, "EUR": true, "JPY": true, "RUB": true, "UAH": true,
	"BRL": true, "DKK": true, "ISK": true, "NOK": true, "SEK": true, "CZK": true, "CHF": true, "PLN": true, "ZAR": true,
	"INR": true, "KRW": true, "IDR": true, "PHP": true, "VND": true, "TRY": true, "MYR": true, "XPF": true, "BGN": true,
	"PYG": true, "UYU": true, "ILS": true}

// currencyUnit is Grafana's unit for an amount in major units of currency.
func currencyUnit(currency string) string {
	if grafanaCurrencies[currency] {
		return "currency" + currency
	}
	return "suffix: " + currency
}

// field builds a field with a display name and unit.
func field[T any](name string, labels data.Labels, display, unit string, values []T) *data.Field {
	f := data.NewField(name, labels, values)
	f.Config = &data.FieldConfig{DisplayNameFromDS: display, Unit: unit}
	return f
}

func table(name string, fields ...*data.Field) *data.Frame {
	f := data.NewFrame(name, fields...)
	f.Meta = &data.FrameMeta{PreferredVisualization: data.VisTypeTable}
	return f
}

// optTime is nil for the zero time, so tables show an empty cell.
func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

// StatsFrame is one row of quick-stat numbers, each a field with a display
// name and unit, for stat panels (choose fields by name). Names and display
// names are the query model's (querymodel.StatsDisplay).
func StatsFrame(st apiv1.Stats) *data.Frame {
	stat := func(name string, labels data.Labels, qualifier, unit string, v float64) *data.Field {
		display := querymodel.StatsDisplay[name]
		if qualifier != "" {
			display += " (" + qualifier + ")"
		}
		return field(name, labels, display, unit, []float64{v})
	}
	f := data.NewFrame("stats",
		stat(querymodel.StatVideosUpcoming, nil, "", unitShort, float64(st.VideosUpcoming)),
		stat(querymodel.StatReviewQueue, nil, "", unitShort, float64(st.ReviewQueue)),
		stat(querymodel.StatActiveCampaigns, nil, "", unitShort, float64(st.ActiveCampaigns)),
		stat(querymodel.StatPendingSignature, nil, "", unitShort, float64(st.PendingSignature)),
	)
	for _, p := range st.Payments {
		l := data.Labels{"currency": p.Currency}
		f.Fields = append(f.Fields,
			stat(querymodel.StatPaymentsOpen, l, p.Currency, unitShort, float64(p.Open)),
			stat(querymodel.StatPaymentsOpenAmount, l, p.Currency, currencyUnit(p.Currency), p.Amount.Major()),
			stat(querymodel.StatPaymentsOverdue, l, p.Currency, unitShort, float64(p.Overdue)),
		)
	}
	for _, m := range []struct {
		name    string
		amounts []sdk.Money
	}{{querymodel.StatRevenue, st.Revenue}, {querymodel.StatCost, st.Cost}} {
		for _, a := range m.amounts {
			f.Fields = append(f.Fields, stat(m.name, data.Labels{"currency": a.Currency}, a.Currency, currencyUnit(a.Currency), a.Major()))
		}
	}
	for _, p := range st.Platforms {
		l := data.Labels{"platform": p.Platform}
		for _, c := range []struct {
			name string
			v    int64
		}{{querymodel.StatPlatformImpressions, p.Impressions}, {querymodel.StatPlatformViews, p.Views},
			{querymodel.StatPlatformClicks, p.Clicks}, {querymodel.StatPlatformEngagements, p.Engagements}} {
			f.Fields = append(f.Fields, stat(c.name, l, p.Platform, unitShort, float64(c.v)))
		}
	}
	return f
}

// title is s with its first letter upper-case and _ as spaces.
func title(s string) string {
	s = strings.ReplaceAll(s, "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// kindTitle reads an event kind: "payment.paid" → "Payment paid".
func kindTitle(kind string) string {
	return title(strings.ReplaceAll(strings.TrimPrefix(kind, "x."), ".", " "))
}

// ActivityFrame is the feed, newest first; its time, title, text and tags
// fields make it an annotation source too.
func ActivityFrame(events []apiv1.Activity) *data.Frame {
	n := len(events)
	var (
		at                                         = make([]time.Time, n)
		titles, texts, tags, kinds, types, ids, by = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		eventIDs                                   = make([]int64, n)
	)
	for i, e := range events {
		at[i], kinds[i], types[i], ids[i], by[i], eventIDs[i] = e.OccurredAt.UTC(), e.Kind, e.Entity.Type, e.Entity.ID, e.Source, e.ID
		titles[i], tags[i] = kindTitle(e.Kind), e.Kind
		texts[i] = kindTitle(e.Kind)
		if e.Entity.ID != "" {
			texts[i] += ": " + e.Entity.Type + " " + e.Entity.ID
		}
		texts[i] += " (from " + e.Source + ")"
	}
	return table("activity",
		field("time", nil, "Time", "", at),
		field("title", nil, "Event", "", titles),
		field("text", nil, "Details", "", texts),
		field("tags", nil, "Tags", "", tags),
		field("kind", nil, "Kind", "", kinds),
		field("entity_type", nil, "Entity type", "", types),
		field("entity_id", nil, "Entity", "", ids),
		field("source", nil, "Source", "", by),
		field("id", nil, "Event id", "", eventIDs),
	)
}

// WorklistFrame is what needs action, most urgent first.
func WorklistFrame(items []apiv1.WorkItem) *data.Frame {
	n := len(items)
	sev, kind, titles, reason, types, ids, infl, camp, cur := make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	at := make([]time.Time, n)
	amount := make([]*float64, n)
	for i, w := range items {
		sev[i], kind[i], titles[i], reason[i], types[i], ids[i], infl[i], camp[i], at[i] =
			w.Severity, w.Kind, w.Title, w.Reason, w.Entity.Type, w.Entity.ID, w.Influencer, w.Campaign, w.At.UTC()
		if w.Amount != nil {
			v := w.Amount.Major()
			amount[i], cur[i] = &v, w.Amount.Currency
		}
	}
	return table("worklist",
		field("severity", nil, "Severity", "", sev),
		field("title", nil, "What", "", titles),
		field("reason", nil, "Why", "", reason),
		field("at", nil, "Due / since", "", at),
		field("kind", nil, "Kind", "", kind),
		field("entity_type", nil, "Entity type", "", types),
		field("entity_id", nil, "Entity", "", ids),
		field("influencer", nil, "Influencer", "", infl),
		field("campaign", nil, "Campaign", "", camp),
		field("amount", nil, "Amount", unitShort, amount),
		field("currency", nil, "Currency", "", cur),
	)
}

// EntitiesFrame is a table of entities of one type.
func EntitiesFrame(typ string, items []apiv1.Entity) *data.Frame {
	n := len(items)
	id, name, status, camp, infl, plat, cur, attrs := make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	since, due := make([]*time.Time, n), make([]*time.Time, n)
	updated := make([]time.Time, n)
	amount := make([]*float64, n)
	for i, e := range items {
		id[i], name[i], status[i], camp[i], infl[i], plat[i] = e.ID, e.Name, e.Status, e.Campaign, e.Influencer, e.Platform
		since[i], due[i], updated[i], attrs[i] = optTime(e.StatusSince), optTime(e.DueAt), e.UpdatedAt.UTC(), string(e.Attrs)
		if e.Amount != nil {
			v := e.Amount.Major()
			amount[i], cur[i] = &v, e.Amount.Currency
		}
	}
	return table(typ,
		field("id", nil, "Id", "", id),
		field("name", nil, "Name", "", name),
		field("status", nil, "Status", "", status),
		field("status_since", nil, "Status since", "", since),
		field("campaign", nil, "Campaign", "", camp),
		field("influencer", nil, "Influencer", "", infl),
		field("platform", nil, "Platform", "", plat),
		field("due_at", nil, "Due", "", due),
		field("amount", nil, "Amount", unitShort, amount),
		field("currency", nil, "Currency", "", cur),
		field("updated_at", nil, "Updated", "", updated),
		field("attrs", nil, "Attributes", "", attrs),
	)
}

// PluginsFrame is the collector's view of its source plugins, with each
// one's last run (ended Collect, scheduled or asked for): null before any
// run ended, its items the token's tenant's.
func PluginsFrame(plugins []apiv1.PluginStatus) *data.Frame {
	n := len(plugins)
	name, builtin, version, health, lastErr := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	up := make([]bool, n)
	healthy := make([]*bool, n)
	restarts, pid := make([]int64, n), make([]int64, n)
	lastOK, lastErrAt, next := make([]*time.Time, n), make([]*time.Time, n), make([]*time.Time, n)
	runState, runTrigger, runErr := make([]*string, n), make([]*string, n), make([]*string, n)
	runFinished := make([]*time.Time, n)
	runItems := make([]*int64, n)
	for i, p := range plugins {
		name[i], builtin[i], version[i], health[i], lastErr[i] = p.Name, p.Builtin, p.Version, p.HealthMessage, p.LastError
		up[i], healthy[i], restarts[i], pid[i] = p.Up, p.Healthy, int64(p.Restarts), int64(p.PID)
		lastOK[i], lastErrAt[i], next[i] = optTime(p.LastSuccess), optTime(p.LastErrorAt), optTime(p.NextRun)
		if r := p.LastRun; r != nil {
			runState[i], runTrigger[i], runItems[i] = ptr(r.State), ptr(r.Trigger), ptr(int64(r.Items))
			if r.FinishedAt != nil {
				runFinished[i] = optTime(*r.FinishedAt)
			}
			if r.Error != "" {
				runErr[i] = ptr(r.Error)
			}
		}
	}
	return table("plugins",
		field("name", nil, "Plugin", "", name),
		field("up", nil, "Up", "", up),
		field("healthy", nil, "Healthy", "", healthy),
		field("health_message", nil, "Health", "", health),
		field("last_success", nil, "Last success", "", lastOK),
		field("last_error", nil, "Last error", "", lastErr),
		field("last_error_at", nil, "Last error at", "", lastErrAt),
		field("next_run", nil, "Next run", "", next),
		field("last_run_state", nil, "Last run", "", runState),
		field("last_run_trigger", nil, "Last run trigger", "", runTrigger),
		field("last_run_finished_at", nil, "Last run finished", "", runFinished),
		field("last_run_items", nil, "Last run items", unitShort, runItems),
		field("last_run_error", nil, "Last run error", "", runErr),
		field("restarts", nil, "Restarts", unitShort, restarts),
		field("pid", nil, "PID", "", pid),
		field("builtin", nil, "Built-in", "", builtin),
		field("version", nil, "Version", "", version),
	)
}

// VariableFrame is a template variable's choices.
func VariableFrame(opts []Option) *data.Frame {
	text, value := make([]string, len(opts)), make([]string, len(opts))
	for i, o := range opts {
		text[i], value[i] = o.Label, o.Value
	}
	return data.NewFrame("values", data.NewField("text", nil, text), data.NewField("value", nil, value))
}

// PerformanceFrame is a wide time series of one metric: a time field with
// every UTC day of the response's range, then one value field per group
// (platform or campaign; per currency too for money and the ratios of
// money), labelled, null on a day without a value. Counts and CTR add up
// all currencies.
func PerformanceFrame(r *apiv1.PerformanceResponse, metric string) (*data.Frame, error) {
	from, err1 := time.Parse(time.DateOnly, r.From)
	to, err2 := time.Parse(time.DateOnly, r.To)
	if err1 != nil || err2 != nil || to.Before(from) {
		return nil, fmt.Errorf("commandcenter answered a performance range %q..%q", r.From, r.To)
	}
	var days []time.Time
	index := map[string]int{}
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		index[d.Format(time.DateOnly)] = len(days)
		days = append(days, d)
	}
	perCurrency := metric == "cost" || metric == "revenue" || metric == "cpm" || metric == "roi"
	type series struct {
		group, currency string
		counts          []sdk.Counts // counts and CTR: summed over currencies
		values          []*float64
	}
	all := map[[2]string]*series{}
	for _, row := range r.Rows {
		i, ok := index[row.Day]
		if !ok {
			continue
		}
		key := [2]string{row.Group, ""}
		if perCurrency {
			key[1] = row.Currency
		}
		s := all[key]
		if s == nil {
			s = &series{group: key[0], currency: key[1], counts: make([]sdk.Counts, len(days)), values: make([]*float64, len(days))}
			all[key] = s
		}
		switch metric {
		case "cost":
			s.values[i] = ptr(row.Cost.Major())
		case "revenue":
			s.values[i] = ptr(row.Revenue.Major())
		case "cpm":
			s.values[i] = row.CPM
		case "roi":
			s.values[i] = row.ROI
		default:
			s.counts[i].Add(row.Counts)
			c := s.counts[i]
			switch metric {
			case "impressions":
				s.values[i] = ptr(float64(c.Impressions))
			case "views":
				s.values[i] = ptr(float64(c.Views))
			case "clicks":
				s.values[i] = ptr(float64(c.Clicks))
			case "ctr":
				s.values[i] = nil
				if c.Impressions > 0 {
					s.values[i] = ptr(float64(c.Clicks) / float64(c.Impressions))
				}
			}
		}
	}
	keys := make([][2]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	f := data.NewFrame(metric, data.NewField("time", nil, days))
	f.Meta = &data.FrameMeta{Type: data.FrameTypeTimeSeriesWide, TypeVersion: data.FrameTypeVersion{0, 1},
		PreferredVisualization: data.VisTypeGraph}
	for _, k := range keys {
		s := all[k]
		labels := data.Labels{r.GroupBy: s.group}
		display, unit := s.group, unitShort
		switch metric {
		case "ctr", "roi":
			unit = unitPercent
		case "cost", "revenue", "cpm":
			unit = currencyUnit(s.currency)
		}
		if perCurrency {
			labels["currency"] = s.currency
			display += " (" + s.currency + ")"
		}
		f.Fields = append(f.Fields, field(metric, labels, display, unit, s.values))
	}
	return f, nil
}

// PerformanceSummaryFrame is a table of every metric per group (and
// currency) over the whole range, ordered by group: for "top and bottom
// campaigns by CPM" and summary stats. A ratio with a zero denominator
// shows "no value".
func PerformanceSummaryFrame(r *apiv1.PerformanceResponse) *data.Frame {
	rows := slices.Clone(r.Rows)
	slices.SortFunc(rows, func(a, b apiv1.PerformanceRow) int {
		return cmp.Or(cmp.Compare(a.Group, b.Group), cmp.Compare(a.Currency, b.Currency))
	})
	n := len(rows)
	group, currency := make([]string, n), make([]string, n)
	impressions, views, clicks := make([]int64, n), make([]int64, n), make([]int64, n)
	costs, revenues := make([]float64, n), make([]float64, n)
	cpms, ctrs, rois := make([]*float64, n), make([]*float64, n), make([]*float64, n)
	for i, row := range rows {
		group[i], currency[i] = row.Group, row.Currency
		impressions[i], views[i], clicks[i] = row.Impressions, row.Views, row.Clicks
		costs[i], revenues[i] = row.Cost.Major(), row.Revenue.Major()
		cpms[i], ctrs[i], rois[i] = row.CPM, row.CTR, row.ROI
	}
	ratio := func(name, unit string, values []*float64) *data.Field {
		f := field(name, nil, querymodel.MetricDisplay[name], unit, values)
		f.Config.NoValue = "no value"
		return f
	}
	return table("performance",
		field(r.GroupBy, nil, title(r.GroupBy), "", group),
		field("currency", nil, "Currency", "", currency),
		metric(querymodel.Impressions, impressions),
		metric(querymodel.Views, views),
		metric(querymodel.Clicks, clicks),
		metric(querymodel.Cost, costs),
		metric(querymodel.Revenue, revenues),
		ratio(querymodel.CPM, unitShort, cpms),
		ratio(querymodel.CTR, unitPercent, ctrs),
		ratio(querymodel.ROI, unitPercent, rois),
	)
}

// metric is a column of a performance summary.
func metric[T int64 | float64](name string, values []T) *data.Field {
	return field(name, nil, querymodel.MetricDisplay[name], unitShort, values)
}

func ptr[T any](v T) *T { return &v }
