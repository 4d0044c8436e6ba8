package dashboards

import (
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	qm "github.com/commandcenter/commandcenter/grafana/pkg/querymodel"
)

// PerformanceUID is the Performance dashboard's uid.
const PerformanceUID = "commandcenter-performance"

// The Performance dashboard's filter variables.
const (
	PlatformVar = "platform"
	CampaignVar = "campaign"
	MaxCPMVar   = "max_cpm"
)

// Performance is impressions, views, cost, CPM, CTR and ROI over the
// dashboard's range by platform and by campaign, the cheapest and the
// dearest campaigns by CPM, and totals for the range, filtered by
// platform, campaign and a CPM cap.
func Performance() (dashboard.Dashboard, error) {
	b := newDashboard(PerformanceUID, "commandcenter: Performance").
		Description("Campaign performance by platform and campaign over the selected range").
		Time("now-30d", "now").
		Refresh("15m").
		WithVariable(resourceVariable(PlatformVar, "Platform", qm.ResourcePlatforms)).
		WithVariable(resourceVariable(CampaignVar, "Campaign", qm.ResourceCampaigns)).
		WithVariable(dashboard.NewTextBoxVariableBuilder(MaxCPMVar).
			Label("Max CPM").
			Description("Keep only the platforms or campaigns whose CPM over the range is at most this; empty for no cap")).
		WithRow(dashboard.NewRowBuilder("The range in numbers")).
		WithPanel(rangeTotal("Impressions", qm.Impressions)).
		WithPanel(rangeTotal("Views", qm.Views)).
		WithPanel(rangeTotal("Clicks", qm.Clicks)).
		WithPanel(summaryTable("By platform", "Every metric by platform over the range", filtered(qm.Query{GroupBy: qm.GroupByPlatform, Summary: true}), "", false, fullWidth))
	for _, group := range []struct {
		row, by string
		metrics []string
	}{
		{"Over time by platform", qm.GroupByPlatform, []string{qm.Impressions, qm.Views, qm.Cost, qm.CPM, qm.CTR, qm.ROI}},
		{"Over time by campaign", qm.GroupByCampaign, []string{qm.Views, qm.Cost, qm.CPM, qm.ROI}},
	} {
		b = b.WithRow(dashboard.NewRowBuilder(group.row))
		for _, metric := range group.metrics {
			b = b.WithPanel(performanceChart(qm.MetricDisplay[metric]+" by "+group.by, filtered(qm.Query{Metric: metric, GroupBy: group.by})))
		}
	}
	byCampaign := filtered(qm.Query{GroupBy: qm.GroupByCampaign, Summary: true})
	return b.WithRow(dashboard.NewRowBuilder("Campaigns by CPM")).
		WithPanel(summaryTable("Cheapest campaigns by CPM", "Lowest CPM over the range first", byCampaign, qm.CPM, false, halfWidth)).
		WithPanel(summaryTable("Dearest campaigns by CPM", "Highest CPM over the range first", byCampaign, qm.CPM, true, halfWidth)).
		Build()
}

// resourceVariable is a variable whose values are a datasource resource,
// "All" (no filter) included.
func resourceVariable(name, label, resource string) cog.Builder[dashboard.VariableModel] {
	return dashboard.NewQueryVariableBuilder(name).
		Label(label).
		Datasource(*commandcenterRef()).
		Refresh(dashboard.VariableRefreshOnDashboardLoad).
		IncludeAll(true).
		Query(dashboard.StringOrMap{Map: map[string]any{"refId": name, "queryType": qm.Variable, "resource": resource}})
}

// filtered is a performance query with the dashboard's filters.
func filtered(fields qm.Query) *QueryBuilder {
	fields.Platform, fields.Campaign = "$"+PlatformVar, "$"+CampaignVar
	return NewQuery(qm.Performance, fields).MaxCPMVariable("$" + MaxCPMVar).RefID("A")
}

// performanceChart is one metric over time, a series per group.
func performanceChart(title string, query *QueryBuilder) cog.Builder[dashboard.Panel] {
	return timeseries.NewPanelBuilder().
		Title(title).
		Datasource(*commandcenterRef()).
		Height(chartHeight).
		Span(halfWidth).
		// A day without a value is a gap, not 0.
		SpanNulls(common.BoolOrFloat64{Bool: cog.ToPtr(false)}).
		WithTarget(query)
}

// summaryTable is every metric per group over the range (a summary
// query), sorted by a metric when sortBy is set.
func summaryTable(title, description string, query *QueryBuilder, sortBy string, desc bool, width uint32) cog.Builder[dashboard.Panel] {
	t := table.NewPanelBuilder().
		Title(title).
		Description(description).
		Datasource(*commandcenterRef()).
		Height(2 * chartHeight).
		Span(width).
		WithTarget(query)
	if sortBy != "" {
		t = t.SortBy([]cog.Builder[common.TableSortByFieldState]{
			common.NewTableSortByFieldStateBuilder().DisplayName(qm.MetricDisplay[sortBy]).Desc(desc),
		})
	}
	return t
}

// rangeTotal is a stat card summing one count over every platform.
func rangeTotal(title, metric string) cog.Builder[dashboard.Panel] {
	return stat.NewPanelBuilder().
		Title(title).
		Datasource(*commandcenterRef()).
		Height(statHeight).
		Span(fullWidth / 3).
		GraphMode(common.BigValueGraphModeNone).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Values(false).Calcs([]string{"sum"}).
			Fields("/^" + qm.MetricDisplay[metric] + "$/")).
		WithTarget(filtered(qm.Query{GroupBy: qm.GroupByPlatform, Summary: true}))
}
