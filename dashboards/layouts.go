package dashboards

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/collector/business"
	qm "github.com/commandcenter/commandcenter/grafana/pkg/querymodel"
)

// statFields maps each stat widget of the layout catalog to its field of
// the stats frame.
var statFields = map[string]string{
	business.WidgetOpenPayments:        qm.StatPaymentsOpen,
	business.WidgetOpenPaymentAmount:   qm.StatPaymentsOpenAmount,
	business.WidgetOverduePayments:     qm.StatPaymentsOverdue,
	business.WidgetVideosUpcoming:      qm.StatVideosUpcoming,
	business.WidgetReviewQueue:         qm.StatReviewQueue,
	business.WidgetActiveCampaigns:     qm.StatActiveCampaigns,
	business.WidgetPendingSignature:    qm.StatPendingSignature,
	business.WidgetRevenue:             qm.StatRevenue,
	business.WidgetCost:                qm.StatCost,
	business.WidgetPlatformImpressions: qm.StatPlatformImpressions,
	business.WidgetPlatformViews:       qm.StatPlatformViews,
	business.WidgetPlatformClicks:      qm.StatPlatformClicks,
	business.WidgetPlatformEngagements: qm.StatPlatformEngagements,
}

// LayoutUID is the stable uid of a tenant's layout's dashboard: the same
// layout always renders to the same dashboard, and two tenants' layouts of
// one id never share one. Grafana uids hold at most 40 characters.
func LayoutUID(tenant, id string) string {
	sum := sha256.Sum256([]byte(tenant + "/" + id))
	return "ccl-" + hex.EncodeToString(sum[:10])
}

// RenderLayout is a tenant's saved layout as a Grafana dashboard, built
// with the same panels as the generated dashboards: each widget at its
// place on the grid, the layout's time range, its filters as the default
// of its performance widgets, and its shortcuts as links.
func RenderLayout(tenant string, l apiv1.Layout) (dashboard.Dashboard, error) {
	if verr := business.ValidateLayout(l); verr != nil {
		return dashboard.Dashboard{}, verr
	}
	b := newDashboard(LayoutUID(tenant, l.ID), l.Name).
		Description(fmt.Sprintf("Saved layout %q of %s %s", l.ID, l.Owner.Kind, l.Owner.Name)).
		Tags([]string{Tag, "layout"}).
		Time(l.TimeRange.From, l.TimeRange.To).
		Refresh("5m")
	for _, s := range l.Shortcuts {
		b = b.Link(dashboard.NewDashboardLinkBuilder(s.Title).Type(dashboard.DashboardLinkTypeLink).Url(s.URL))
	}
	// The grid places panels in order; by row, then column, each lands
	// where the layout says.
	widgets := slices.Clone(l.Widgets)
	slices.SortStableFunc(widgets, func(p, q apiv1.Widget) int {
		return cmp.Or(cmp.Compare(p.Y, q.Y), cmp.Compare(p.X, q.X))
	})
	for _, w := range widgets {
		panel, err := widgetPanel(w, l.Filters)
		if err != nil {
			return dashboard.Dashboard{}, err
		}
		b = b.WithPanel(placed{panel, dashboard.GridPos{X: uint32(w.X), Y: uint32(w.Y), W: uint32(w.W), H: uint32(w.H)}})
	}
	return b.Build()
}

// widgetPanel is the panel of one widget of the catalog.
func widgetPanel(w apiv1.Widget, filters apiv1.LayoutFilters) (cog.Builder[dashboard.Panel], error) {
	title := func(def string) string {
		if w.Title != "" {
			return w.Title
		}
		return def
	}
	if field, ok := statFields[w.Kind]; ok {
		return statCard(title(qm.StatsDisplay[field]), field, uint32(w.W)), nil
	}
	performance := qm.Query{GroupBy: w.GroupBy, Platform: cmp.Or(w.Platform, filters.Platform),
		Campaign: cmp.Or(w.Campaign, filters.Campaign), MaxCPM: w.MaxCPM}
	if performance.MaxCPM == nil {
		performance.MaxCPM = filters.MaxCPM
	}
	switch w.Kind {
	case business.WidgetActivity:
		return activityTable(w.Kinds, uint32(w.W), uint32(w.H)), nil
	case business.WidgetWorklist:
		return worklistTable(uint32(w.W), uint32(w.H)), nil
	case business.WidgetAlerts:
		return alertList(uint32(w.W), uint32(w.H)), nil
	case business.WidgetPerformanceChart:
		performance.Metric = w.Metric
		return performanceChart(title(qm.MetricDisplay[w.Metric]+" by "+w.GroupBy), NewQuery(qm.Performance, performance).RefID("A")), nil
	case business.WidgetPerformanceSummary:
		performance.Summary = true
		return summaryTable(title("Performance by "+w.GroupBy), "Every metric over the range", NewQuery(qm.Performance, performance).RefID("A"), "", false, uint32(w.W)), nil
	}
	return nil, fmt.Errorf("widget %q has no panel", w.Kind)
}

// placed puts a panel at a fixed place on the grid.
type placed struct {
	panel cog.Builder[dashboard.Panel]
	pos   dashboard.GridPos
}

func (p placed) Build() (dashboard.Panel, error) {
	panel, err := p.panel.Build()
	panel.GridPos = &p.pos
	return panel, err
}

// RenderLayoutJSON is RenderLayout as the JSON Grafana imports.
func RenderLayoutJSON(tenant string, l apiv1.Layout) ([]byte, error) {
	db, err := RenderLayout(tenant, l)
	if err != nil {
		return nil, err
	}
	return JSON(db)
}
