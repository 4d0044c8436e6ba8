package collector

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/commandcenter/commandcenter/exporter/metricnames"
)

// Metrics are the plugin host's and ingest's operational metrics.
type Metrics struct {
	PluginUp          *prometheus.GaugeVec
	PluginRestarts    *prometheus.CounterVec
	PluginLastSuccess *prometheus.GaugeVec
	CollectDuration   *prometheus.HistogramVec
	CollectErrors     *prometheus.CounterVec
	CollectRuns       *prometheus.CounterVec
	IngestedEvents    *prometheus.CounterVec
	IngestedBatches   *prometheus.CounterVec
	Duplicates        *prometheus.CounterVec
	Rejected          *prometheus.CounterVec
}

// NewMetrics registers the host's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		PluginUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: metricnames.PluginUp,
			Help: "1 if the plugin process is running and its last Collect succeeded, else 0.",
		}, []string{"plugin"}),
		PluginRestarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricnames.PluginRestartsTotal,
			Help: "Times the plugin process was restarted after a crash, hang or failure.",
		}, []string{"plugin"}),
		PluginLastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: metricnames.PluginLastSuccessTimestamp,
			Help: "When the plugin's last Collect finished successfully.",
		}, []string{"plugin"}),
		CollectDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    metricnames.PluginCollectDuration,
			Help:    "Duration of Collect runs, storing included.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
		}, []string{"plugin"}),
		CollectErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricnames.PluginCollectErrorsTotal,
			Help: "Collect runs that failed: the source's error (a listing that failed, a page refused), a batch the store refused, or a hang.",
		}, []string{"plugin"}),
		CollectRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricnames.PluginCollectRunsTotal,
			Help: "Collect runs ended, by what started them (schedule, or manual: POST /api/v1/plugins/{name}/collect) and how they ended (success, failure).",
		}, []string{"plugin", "trigger", "result"}),
		IngestedEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricnames.IngestedEventsTotal,
			Help: "New events stored, by source and kind (re-sent events are not counted).",
		}, []string{"source", "kind"}),
		IngestedBatches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricnames.IngestedBatchesTotal,
			Help: "Batches stored, by source.",
		}, []string{"source"}),
		Duplicates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricnames.IngestedDuplicateEventsTotal,
			Help: "Events received again with a key already stored, so not stored twice.",
		}, []string{"source"}),
		Rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricnames.IngestRejectedTotal,
			Help: "Batches rejected and not stored, by source and reason.",
		}, []string{"source", "reason"}),
	}
	reg.MustRegister(m.PluginUp, m.PluginRestarts, m.PluginLastSuccess, m.CollectDuration, m.CollectErrors, m.CollectRuns, m.IngestedEvents, m.IngestedBatches, m.Duplicates, m.Rejected)
	return m
}
