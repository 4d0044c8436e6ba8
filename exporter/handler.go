package exporter

import (
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// Write writes the whole exposition: the client_golang registry, then the
// business families.
func Write(w io.Writer, g prometheus.Gatherer, b *Business, logger *slog.Logger) {
	mfs, err := g.Gather()
	if err != nil {
		// Like promhttp's ContinueOnError: serve what was gathered.
		logger.Warn("gathering operational metrics", "err", err)
	}
	enc := expfmt.NewEncoder(w, textFormat)
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			logger.Warn("encoding metrics", "err", err)
			return
		}
	}
	b.WritePrometheus(w)
}

var textFormat = expfmt.NewFormat(expfmt.TypeTextPlain)

// Handler serves /metrics: the whole exposition in Prometheus text format
// (gzipped when asked).
func Handler(g prometheus.Gatherer, b *Business, logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.Default()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", string(textFormat))
		var out io.Writer = w
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			w.Header().Set("Content-Encoding", "gzip")
			gz := gzip.NewWriter(w)
			defer gz.Close()
			out = gz
		}
		Write(out, g, b, logger)
	})
}

// Push sends the whole exposition to url every interval until ctx ends,
// with VictoriaMetrics/metrics' push client: for a VictoriaMetrics
// /api/v1/import/prometheus endpoint (or vmagent's), when commandcenter
// cannot be scraped or one Prometheus is not enough. extraLabels
// (`job="commandcenter",instance="…"`) stand in for the labels a scrape
// would add.
func Push(ctx context.Context, url string, interval time.Duration, extraLabels string, g prometheus.Gatherer, b *Business, logger *slog.Logger) error {
	return metrics.InitPushExtWithOptions(ctx, url, interval, func(w io.Writer) { Write(w, g, b, logger) },
		&metrics.PushOptions{ExtraLabels: extraLabels, Method: http.MethodPost})
}
