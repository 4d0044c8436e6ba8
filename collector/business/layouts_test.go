package business_test

import (
	"math"
	"strings"
	"testing"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/collector/business"
)

// goodLayout is a valid layout the cases below break one way each.
func goodLayout() apiv1.Layout {
	cap := 12.5
	return apiv1.Layout{
		ID: "ana-home", Owner: apiv1.LayoutOwner{Kind: apiv1.OwnerUser, Name: "ana"}, Name: "Ana's morning",
		Widgets: []apiv1.Widget{
			{Kind: business.WidgetOpenPayments, X: 0, Y: 0, W: 6, H: 4},
			{Kind: business.WidgetActivity, X: 6, Y: 0, W: 18, H: 8, Kinds: []string{"payment.paid", "x.shop.sale"}},
			{Kind: business.WidgetPerformanceChart, X: 0, Y: 8, W: 24, H: 8, Metric: apiv1.MetricCPM, GroupBy: apiv1.GroupByCampaign, Platform: "tiktok", MaxCPM: &cap},
		},
		TimeRange: apiv1.LayoutRange{From: "now-7d", To: "now"},
		Shortcuts: []apiv1.Shortcut{{Title: "Payments", URL: "/d/commandcenter-home"}, {Title: "Wiki", URL: "https://wiki.example.com/x"}},
	}
}

func TestValidateLayoutNamesEveryProblem(t *testing.T) {
	if err := business.ValidateLayout(goodLayout()); err != nil {
		t.Fatalf("the good layout: %v", err)
	}
	for _, r := range []apiv1.LayoutRange{{From: "now/d", To: "now/d"}, {From: "now-1y", To: "now-1M"}, {From: "2026-01-01T00:00:00Z", To: "now"}} {
		l := goodLayout()
		l.TimeRange = r
		if err := business.ValidateLayout(l); err != nil {
			t.Errorf("%+v refused: %v", r, err)
		}
	}
	nan, inf := math.NaN(), math.Inf(1)
	cases := []struct {
		name  string
		edit  func(*apiv1.Layout)
		paths []string // each must be named
	}{
		{"an id with upper case and a slash", func(l *apiv1.Layout) { l.ID = "Ana/Home" }, []string{"id"}},
		{"an owner that is neither user nor team", func(l *apiv1.Layout) { l.Owner.Kind = "org" }, []string{"owner.kind"}},
		{"an empty name and a control character in the owner", func(l *apiv1.Layout) { l.Name, l.Owner.Name = " ", "a\x00b" }, []string{"name", "owner.name"}},
		{"no widgets", func(l *apiv1.Layout) { l.Widgets = nil }, []string{"widgets"}},
		{"too many widgets", func(l *apiv1.Layout) {
			l.Widgets = nil
			for i := range business.MaxLayoutWidgets + 1 {
				l.Widgets = append(l.Widgets, apiv1.Widget{Kind: business.WidgetWorklist, X: 0, Y: i, W: 1, H: 1})
			}
		}, []string{"widgets"}},
		{"an unknown widget", func(l *apiv1.Layout) { l.Widgets[0].Kind = "horoscope" }, []string{"widgets[0].kind"}},
		{"overlapping widgets", func(l *apiv1.Layout) { l.Widgets[1].X = 5 }, []string{"widgets[1]"}},
		{"a widget past the grid's edge", func(l *apiv1.Layout) { l.Widgets[2].X = 1 }, []string{"widgets[2]"}},
		{"a widget without size", func(l *apiv1.Layout) { l.Widgets[0].W = 0 }, []string{"widgets[0]"}},
		{"a chart without a metric", func(l *apiv1.Layout) { l.Widgets[2].Metric = "" }, []string{"widgets[2].metric"}},
		{"a chart grouped by day", func(l *apiv1.Layout) { l.Widgets[2].GroupBy = "day" }, []string{"widgets[2].group_by"}},
		{"a stat card with a metric and a filter", func(l *apiv1.Layout) { l.Widgets[0].Metric, l.Widgets[0].Platform = "cpm", "tiktok" }, []string{"widgets[0].metric", "widgets[0]"}},
		{"NaN and infinite CPM caps", func(l *apiv1.Layout) { l.Widgets[2].MaxCPM, l.Filters.MaxCPM = &nan, &inf }, []string{"widgets[2].max_cpm", "filters.max_cpm"}},
		{"unknown kinds in the feed", func(l *apiv1.Layout) { l.Widgets[1].Kinds = []string{"payment.lost", "x.bad kind"} }, []string{"widgets[1].kinds[0]", "widgets[1].kinds[1]"}},
		{"kinds on the worklist", func(l *apiv1.Layout) { l.Widgets[0].Kinds = []string{"payment.paid"} }, []string{"widgets[0].kinds"}},
		{"a time range of nonsense", func(l *apiv1.Layout) { l.TimeRange = apiv1.LayoutRange{From: "yesterday", To: "now+1d"} }, []string{"time_range.from", "time_range.to"}},
		{"an empty time range", func(l *apiv1.Layout) { l.TimeRange = apiv1.LayoutRange{From: "now", To: "now"} }, []string{"time_range"}},
		{"a time range backwards", func(l *apiv1.Layout) {
			l.TimeRange = apiv1.LayoutRange{From: "2026-11-20T00:00:00Z", To: "2026-11-01T00:00:00Z"}
		}, []string{"time_range"}},
		{"javascript and protocol-relative shortcuts", func(l *apiv1.Layout) {
			l.Shortcuts[0].URL, l.Shortcuts[1].URL = "javascript:alert(1)", "//evil.example.com"
		}, []string{"shortcuts[0].url", "shortcuts[1].url"}},
		{"a negative version", func(l *apiv1.Layout) { l.Version = -1 }, []string{"version"}},
		{"a widget whose x + w overflows", func(l *apiv1.Layout) {
			l.Widgets[1] = apiv1.Widget{Kind: business.WidgetWorklist, X: math.MaxInt64/2 + 1, W: math.MaxInt64/2 + 12, H: 4}
		}, []string{"widgets[1]"}},
		{"a relative range backwards", func(l *apiv1.Layout) { l.TimeRange = apiv1.LayoutRange{From: "now", To: "now-7d"} }, []string{"time_range"}},
		{"a future start to now", func(l *apiv1.Layout) { l.TimeRange = apiv1.LayoutRange{From: "2199-01-01T00:00:00Z", To: "now"} }, []string{"time_range"}},
		{"Grafana variables in a shortcut and a filter", func(l *apiv1.Layout) {
			l.Shortcuts[1].URL, l.Filters.Platform = "https://evil.example/?e=${__user.email}", "${__user.login}"
		}, []string{"shortcuts[1].url", "filters.platform"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := goodLayout()
			c.edit(&l)
			err := business.ValidateLayout(l)
			if err == nil {
				t.Fatal("accepted")
			}
			named := map[string]bool{}
			for _, p := range err.Problems {
				named[p.Path] = true
				if p.Message == "" {
					t.Errorf("%s: no message", p.Path)
				}
			}
			for _, path := range c.paths {
				if !named[path] {
					t.Errorf("%s not named among %v", path, err.Problems)
				}
			}
			if strings.Contains(err.Error(), "\x00") {
				t.Error("the message repeats a control character")
			}
		})
	}
}
