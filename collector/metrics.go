package collector

import "github.com/prometheus/client_golang/prometheus"

const namespace = "commandcenter"

// Metrics are the host's operational metrics (client_golang).
type Metrics struct {
	pluginUp          *prometheus.GaugeVec
	pluginRestarts    *prometheus.CounterVec
	pluginLastSuccess *prometheus.GaugeVec
	collectDuration   *prometheus.HistogramVec
	ingestedEvents    *prometheus.CounterVec
	ingestedBatches   *prometheus.CounterVec
	duplicates        *prometheus.CounterVec
	rejected          *prometheus.CounterVec
}

// NewMetrics registers the host's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		pluginUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "plugin_up",
			Help: "1 if the plugin process is running and its last Collect succeeded, else 0.",
		}, []string{"plugin"}),
		pluginRestarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "plugin_restarts_total",
			Help: "Times the plugin process was restarted after a crash, hang or failure.",
		}, []string{"plugin"}),
		pluginLastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "plugin_last_success_timestamp_seconds",
			Help: "When the plugin's last Collect finished successfully.",
		}, []string{"plugin"}),
		collectDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "plugin_collect_duration_seconds",
			Help:    "Duration of Collect runs, storing included.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
		}, []string{"plugin"}),
		ingestedEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "ingested_events_total",
			Help: "New events stored, by source and kind (re-sent events are not counted).",
		}, []string{"source", "kind"}),
		ingestedBatches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "ingested_batches_total",
			Help: "Batches stored, by source.",
		}, []string{"source"}),
		duplicates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "ingested_duplicate_events_total",
			Help: "Events received again with a key already stored, so not stored twice.",
		}, []string{"source"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "ingest_rejected_total",
			Help: "Batches rejected and not stored, by source and reason.",
		}, []string{"source", "reason"}),
	}
	reg.MustRegister(m.pluginUp, m.pluginRestarts, m.pluginLastSuccess, m.collectDuration, m.ingestedEvents, m.ingestedBatches, m.duplicates, m.rejected)
	return m
}
