package exporter

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"

	"github.com/commandcenter/commandcenter/collector/store"
	"github.com/commandcenter/commandcenter/exporter/metricnames"
)

// RegisterOperational registers the process's own metrics: Go runtime,
// process, build info and the store's size.
func RegisterOperational(reg prometheus.Registerer, st *store.Store) {
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		versioncollector.NewCollector(metricnames.Namespace),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: metricnames.StoreSizeBytes,
			Help: "Size of the SQLite database file and its write-ahead log.",
		}, func() float64 { return float64(st.SizeBytes()) }),
	)
}
