package dashboards

import (
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	m "github.com/commandcenter/commandcenter/exporter/metricnames"
)

// CollectorHealthUID is the Collector health dashboard's uid.
const CollectorHealthUID = "commandcenter-collector-health"

// CollectorHealth is the operators' view over Prometheus: plugins up and
// restarting, collect durations, what was ingested and refused, scraper
// errors and staleness, the business-metrics refresh and the store's size.
func CollectorHealth() (dashboard.Dashboard, error) {
	rate := func(metric, by string) string {
		return fmt.Sprintf("sum by (%s) (rate(%s[$__rate_interval]))", by, metric)
	}
	return newDashboard(CollectorHealthUID, "commandcenter: Collector health").
		Description("commandcenter's collector seen through Prometheus: plugins, ingest, scraper, refresh, store").
		Time("now-6h", "now").
		Refresh("1m").
		WithRow(dashboard.NewRowBuilder("Plugins")).
		WithPanel(promStat("Plugins down", fmt.Sprintf("count(%s == 0) or vector(0)", m.PluginUp), "short")).
		WithPanel(promStat("Plugin restarts (1h)", fmt.Sprintf("sum(increase(%s[1h]))", m.PluginRestartsTotal), "short")).
		WithPanel(promStat("Store size", m.StoreSizeBytes, "bytes")).
		WithPanel(promStat("Business refresh age", fmt.Sprintf("time() - min(%s)", m.BusinessLastRefreshSuccessTimestamp), "s")).
		WithPanel(promChart("Plugin up", fmt.Sprintf("min by (plugin) (%s)", m.PluginUp), "{{plugin}}", "short", fullWidth/2)).
		WithPanel(promChart("Collect duration p95", fmt.Sprintf(
			"histogram_quantile(0.95, sum by (plugin, le) (rate(%s_bucket[$__rate_interval])))", m.PluginCollectDuration), "{{plugin}}", "s", halfWidth)).
		WithRow(dashboard.NewRowBuilder("Ingest")).
		WithPanel(promChart("Events ingested", rate(m.IngestedEventsTotal, "source"), "{{source}}", "ops", halfWidth)).
		WithPanel(promChart("Batches refused", rate(m.IngestRejectedTotal, "source, reason"), "{{source}} {{reason}}", "ops", halfWidth)).
		WithRow(dashboard.NewRowBuilder("Scraper")).
		WithPanel(promChart("Scraper errors", rate(m.ScraperErrorsTotal, "tenant, target"), "{{tenant}} {{target}}", "ops", halfWidth)).
		WithPanel(promChart("Since the last successful scrape", fmt.Sprintf("time() - %s", m.ScraperLastSuccessTimestamp), "{{tenant}} {{target}}", "s", halfWidth)).
		WithRow(dashboard.NewRowBuilder("Business metrics")).
		WithPanel(promChart("Refresh duration", fmt.Sprintf("max by (domain) (%s)", m.BusinessRefreshDuration), "{{domain}}", "s", halfWidth)).
		WithPanel(promChart("Since the last successful refresh", fmt.Sprintf("time() - %s", m.BusinessLastRefreshSuccessTimestamp), "{{domain}}", "s", halfWidth)).
		Build()
}

// promStat is a stat card of one PromQL expression.
func promStat(title, expr, unit string) cog.Builder[dashboard.Panel] {
	return stat.NewPanelBuilder().
		Title(title).
		Datasource(prometheusRef()).
		Unit(unit).
		Height(statHeight).
		Span(fullWidth / 4).
		ReduceOptions(common.NewReduceDataOptionsBuilder().Values(false).Calcs([]string{"lastNotNull"})).
		WithTarget(promQuery(expr).Instant())
}

// promChart is a time series of one PromQL expression.
func promChart(title, expr, legend, unit string, width uint32) cog.Builder[dashboard.Panel] {
	return timeseries.NewPanelBuilder().
		Title(title).
		Datasource(prometheusRef()).
		Unit(unit).
		Height(chartHeight).
		Span(width).
		WithTarget(promQuery(expr).LegendFormat(legend))
}

// promQuery is a PromQL query of the dashboard's Prometheus.
func promQuery(expr string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().Datasource(prometheusRef()).Expr(expr).RefId("A")
}
