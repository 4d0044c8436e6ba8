package exporter

import (
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/common/expfmt"

	"github.com/commandcenter/commandcenter/collector/store"
)

// RegisterOperational registers the process's own metrics: Go runtime,
// process, build info and the store's size.
func RegisterOperational(reg prometheus.Registerer, st *store.Store) {
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		versioncollector.NewCollector("commandcenter"),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "commandcenter_store_size_bytes",
			Help: "Size of the SQLite database file and its write-ahead log.",
		}, func() float64 { return float64(st.SizeBytes()) }),
	)
}

// Handler serves /metrics: the client_golang registry, then the business
// families, as one Prometheus text exposition (gzipped when asked).
func Handler(g prometheus.Gatherer, b *Business, logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.Default()
	}
	format := expfmt.NewFormat(expfmt.TypeTextPlain)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mfs, err := g.Gather()
		if err != nil {
			// Like promhttp's ContinueOnError: serve what was gathered.
			logger.Warn("gathering operational metrics", "err", err)
		}
		w.Header().Set("Content-Type", string(format))
		var out io.Writer = w
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			w.Header().Set("Content-Encoding", "gzip")
			gz := gzip.NewWriter(w)
			defer gz.Close()
			out = gz
		}
		enc := expfmt.NewEncoder(out, format)
		for _, mf := range mfs {
			if err := enc.Encode(mf); err != nil {
				logger.Warn("encoding metrics", "err", err)
				return
			}
		}
		b.WritePrometheus(out)
	})
}
