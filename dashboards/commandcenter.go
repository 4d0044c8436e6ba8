package dashboards

import (
	"regexp"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	qm "github.com/commandcenter/commandcenter/grafana/pkg/querymodel"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// CommandCenterUID is the Command Center dashboard's uid: the default
// homebase.
const CommandCenterUID = "commandcenter-home"

// annotationKinds are the events marked on the performance sparkline.
var annotationKinds = []string{sdk.KindCampaignStarted, sdk.KindVideoPublished, sdk.KindMilestoneReached}

// CommandCenter is the homebase the team opens every morning: quick-stat
// cards that update live, the activity feed, the worklist, firing alerts,
// and a performance sparkline with activity as annotations.
func CommandCenter() (dashboard.Dashboard, error) {
	return newDashboard(CommandCenterUID, "commandcenter: Command Center").
		Description("What needs doing today: quick stats, activity, worklist and alerts for one tenant").
		Time("now-30d", "now").
		Refresh("5m").
		Annotation(dashboard.NewAnnotationQueryBuilder().
			Name("Activity").
			Datasource(*commandcenterRef()).
			Enable(true).
			IconColor("purple").
			Target(NewQuery(qm.Activity, qm.Query{Kinds: annotationKinds, Limit: 100}).RefID("annotations"))).
		WithRow(dashboard.NewRowBuilder("Today")).
		WithPanel(statCard("Open payments", qm.StatPaymentsOpen, statWidth)).
		WithPanel(statCard("Open payment amount", qm.StatPaymentsOpenAmount, statWidth)).
		WithPanel(statCard("Overdue payments", qm.StatPaymentsOverdue, statWidth)).
		WithPanel(statCard("Videos coming up", qm.StatVideosUpcoming, statWidth)).
		WithPanel(statCard("Active campaigns", qm.StatActiveCampaigns, statWidth)).
		WithPanel(statCard("Pending signature", qm.StatPendingSignature, statWidth)).
		WithPanel(statCard("Revenue", qm.StatRevenue, fullWidth/4)).
		WithPanel(statCard("Views by platform", qm.StatPlatformViews, fullWidth/4)).
		WithPanel(statCard("Impressions by platform", qm.StatPlatformImpressions, fullWidth/4)).
		WithPanel(statCard("Engagements by platform", qm.StatPlatformEngagements, fullWidth/4)).
		WithPanel(timeseries.NewPanelBuilder().
			Title("Views by platform, with activity").
			Description("Daily views over the dashboard's range; campaign starts, published videos and milestones as annotations").
			Datasource(*commandcenterRef()).
			Height(chartHeight).
			Span(fullWidth).
			WithTarget(NewQuery(qm.Performance, qm.Query{Metric: qm.Views, GroupBy: qm.GroupByPlatform}).RefID("A"))).
		WithRow(dashboard.NewRowBuilder("Needs action")).
		WithPanel(worklistTable(halfWidth, 2*chartHeight)).
		WithPanel(activityTable(nil, halfWidth, 2*chartHeight)).
		WithPanel(alertList(fullWidth, chartHeight)).
		Build()
}

// worklistTable is what needs action, most urgent first.
func worklistTable(width, height uint32) cog.Builder[dashboard.Panel] {
	return table.NewPanelBuilder().
		Title("Worklist").
		Description("Deadlines, the review queue, expiring contracts and scraper problems, most urgent first").
		Datasource(*commandcenterRef()).
		Height(height).
		Span(width).
		WithTarget(NewQuery(qm.Worklist, qm.Query{}).RefID("A"))
}

// activityTable is the live feed, of some kinds or all.
func activityTable(kinds []string, width, height uint32) cog.Builder[dashboard.Panel] {
	return table.NewPanelBuilder().
		Title("Activity").
		Description("The newest events, live").
		Datasource(*commandcenterRef()).
		Height(height).
		Span(width).
		WithTarget(NewQuery(qm.Activity, qm.Query{Kinds: kinds, Limit: 50, Live: true}).RefID("A"))
}

// alertList is Grafana's alert list of the tenant's Prometheus alerts.
func alertList(width, height uint32) cog.Builder[dashboard.Panel] {
	return dashboard.NewPanelBuilder().
		Type("alertlist").
		Title("Firing alerts").
		Description("Prometheus alerts about this tenant that are firing or pending").
		Height(height).
		Span(width).
		Options(map[string]any{
			"viewMode":                 "list",
			"groupMode":                "default",
			"groupBy":                  []string{},
			"maxItems":                 20,
			"sortOrder":                1,
			"dashboardAlerts":          false,
			"alertName":                "",
			"alertInstanceLabelFilter": `{tenant="${` + TenantVar + `}"}`,
			"datasource":               "${" + PrometheusVar + "}",
			"stateFilter":              map[string]bool{"firing": true, "pending": true, "error": true, "noData": false, "normal": false},
		})
}

// statCard is a stat panel of one field of the live stats query: one
// value, or one per currency or platform.
func statCard(title, field string, width uint32) cog.Builder[dashboard.Panel] {
	// Grafana picks fields by display name (see querymodel.StatsDisplay).
	fields := "/^" + regexp.QuoteMeta(qm.StatsDisplay[field]) + `( \(.*\))?$/`
	return stat.NewPanelBuilder().
		Title(title).
		Datasource(*commandcenterRef()).
		Height(statHeight).
		Span(width).
		GraphMode(common.BigValueGraphModeNone).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Values(false).Calcs([]string{"lastNotNull"}).Fields(fields)).
		WithTarget(NewQuery(qm.Stats, qm.Query{Live: true}).RefID("A"))
}
