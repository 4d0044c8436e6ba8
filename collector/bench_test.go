package collector

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"

	"github.com/commandcenter/commandcenter/collector/config"
	"github.com/commandcenter/commandcenter/collector/store"
)

// BenchmarkIngestThroughPlugin streams events from a real plugin child
// process over gRPC into SQLite, batch and cursor per transaction, exactly
// as serve does; one op is one Collect of 100,000 events into a fresh store.
func BenchmarkIngestThroughPlugin(b *testing.B) {
	const events = 100_000
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := testSource("bench", map[string]any{"events": events, "batch": 1000})
	cfg.Timeout = model.Duration(5 * time.Minute)
	ctx := context.Background()
	var total time.Duration
	for b.Loop() {
		b.StopTimer()
		st, err := store.Open(filepath.Join(b.TempDir(), "bench.db"), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		host := NewHost([]config.Plugin{cfg}, &Ingester{Store: st, Metrics: NewMetrics(prometheus.NewRegistry()), Logger: logger}, "")
		r := host.runners[0]
		if err := r.start(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		if err := r.collect(ctx); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		b.StopTimer()
		if c, _ := st.Cursor(ctx, "bench"); c != "100000" {
			b.Fatalf("cursor %q after collect", c)
		}
		r.stop()
		st.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(events)*float64(b.N)/total.Seconds(), "events/s")
}
