package exporter

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// Write writes the whole exposition in the text format: the client_golang
// registry, then the business families.
func Write(w io.Writer, g prometheus.Gatherer, b *Business, logger *slog.Logger) {
	w.Write(gatherOperational(g, textFormat, logger))
	if err := b.WritePrometheus(w); err != nil {
		logger.Warn("writing business metrics", "err", err)
	}
}

// gatherOperational is the registry's exposition in format, made at
// scrape time. In OpenMetrics it has no # EOF: the business body ends the
// exposition.
func gatherOperational(g prometheus.Gatherer, format expfmt.Format, logger *slog.Logger) []byte {
	mfs, err := g.Gather()
	if err != nil {
		// Like promhttp's ContinueOnError: serve what was gathered.
		logger.Warn("gathering operational metrics", "err", err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, format)
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			logger.Warn("encoding metrics", "err", err)
			break
		}
	}
	return buf.Bytes()
}

var textFormat = expfmt.NewFormat(expfmt.TypeTextPlain)

// formats are what /metrics offers, in the order it prefers them when a
// scraper accepts several equally (curl's */* gets text): expfmt's
// negotiation picks one for the Accept header, as promhttp's does.
// Prometheus asks for OpenMetrics first.
var formats = []expfmt.Format{textFormat, expfmt.FmtOpenMetrics_1_0_0, expfmt.FmtOpenMetrics_0_0_1}

// Handler serves /metrics: the whole exposition in the text format or
// OpenMetrics, as the Accept header asks, gzipped when Accept-Encoding
// asks. Only the registry's metrics are encoded (and compressed) per
// scrape; the business metrics are served as they were rendered and
// compressed, in both formats, when they last changed.
func Handler(g prometheus.Gatherer, b *Business, logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.Default()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		format := expfmt.NegotiateAccept(r.Header, formats...)
		published := b.current.Load()
		current := &published.text
		if format.FormatType() == expfmt.TypeOpenMetrics {
			current = &published.openMetrics
		}
		w.Header().Set("Content-Type", string(format))
		w.Header().Add("Vary", "Accept, Accept-Encoding")
		operational := gatherOperational(g, format, logger)
		if !acceptsGzip(r.Header.Get("Accept-Encoding")) {
			w.Write(operational)
			current.writePlain(w) // an error is the client gone
			return
		}
		z := liveCompressors.Get().(*compressor)
		defer liveCompressors.Put(z)
		body, n := current.gzipped(operational, z)
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
		body.WriteTo(w)
	})
}

// acceptsGzip reads an Accept-Encoding header: gzip listed, and not with q=0.
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(params), " ", ""))
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
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
