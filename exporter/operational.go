package exporter

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"

	"github.com/commandcenter/commandcenter/collector/store"
)

// RegisterOperational registers the process's own metrics: Go runtime,
// process, build info and the store's size.
func RegisterOperational(reg prometheus.Registerer, st *store.Store) {
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		versioncollector.NewCollector(Namespace),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: StoreSizeBytes,
			Help: "Size of the SQLite database file and its write-ahead log.",
		}, func() float64 { return float64(st.SizeBytes()) }),
	)
}

// HostMetrics are the plugin host's and ingest's operational metrics.
type HostMetrics struct {
	PluginUp          *prometheus.GaugeVec
	PluginRestarts    *prometheus.CounterVec
	PluginLastSuccess *prometheus.GaugeVec
	CollectDuration   *prometheus.HistogramVec
	IngestedEvents    *prometheus.CounterVec
	IngestedBatches   *prometheus.CounterVec
	Duplicates        *prometheus.CounterVec
	Rejected          *prometheus.CounterVec
}

// NewHostMetrics registers the host's metrics with reg.
func NewHostMetrics(reg prometheus.Registerer) *HostMetrics {
	m := &HostMetrics{
		PluginUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: PluginUp,
			Help: "1 if the plugin process is running and its last Collect succeeded, else 0.",
		}, []string{"plugin"}),
		PluginRestarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: PluginRestartsTotal,
			Help: "Times the plugin process was restarted after a crash, hang or failure.",
		}, []string{"plugin"}),
		PluginLastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: PluginLastSuccessTimestamp,
			Help: "When the plugin's last Collect finished successfully.",
		}, []string{"plugin"}),
		CollectDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    PluginCollectDuration,
			Help:    "Duration of Collect runs, storing included.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
		}, []string{"plugin"}),
		IngestedEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: IngestedEventsTotal,
			Help: "New events stored, by source and kind (re-sent events are not counted).",
		}, []string{"source", "kind"}),
		IngestedBatches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: IngestedBatchesTotal,
			Help: "Batches stored, by source.",
		}, []string{"source"}),
		Duplicates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: IngestedDuplicateEventsTotal,
			Help: "Events received again with a key already stored, so not stored twice.",
		}, []string{"source"}),
		Rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: IngestRejectedTotal,
			Help: "Batches rejected and not stored, by source and reason.",
		}, []string{"source", "reason"}),
	}
	reg.MustRegister(m.PluginUp, m.PluginRestarts, m.PluginLastSuccess, m.CollectDuration, m.IngestedEvents, m.IngestedBatches, m.Duplicates, m.Rejected)
	return m
}

// NewHTTPDuration registers the API's request duration histogram with reg.
func NewHTTPDuration(reg prometheus.Registerer) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    HTTPRequestDuration,
		Help:    "Duration of HTTP requests, by route, method and status code.",
		Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"handler", "method", "code"})
	reg.MustRegister(h)
	return h
}
