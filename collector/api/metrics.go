package api

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/commandcenter/commandcenter/exporter/metricnames"
)

// newHTTPDuration registers the API's request duration histogram with reg.
func newHTTPDuration(reg prometheus.Registerer) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    metricnames.HTTPRequestDuration,
		Help:    "Duration of HTTP requests, by route, method and status code.",
		Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"handler", "method", "code"})
	reg.MustRegister(h)
	return h
}
