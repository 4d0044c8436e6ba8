package scraper

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// BenchmarkCollectRuns pulls 100,000 runs through 1,000-record pages from
// the fake into an emit that validates each batch, as the host does.
func BenchmarkCollectRuns(b *testing.B) {
	const total = 100_000
	f := newFixture(b, "", map[string]any{"page_size": 1000, "listings": []string{"runs"}, "rate_limit": 1e6})
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	runs := make([]json.RawMessage, total)
	for i := range runs {
		finished := start.Add(time.Duration(i) * time.Second)
		status := sdk.ScraperRunStatusOK
		if i%10 == 0 {
			status = sdk.ScraperRunStatusFailed
		}
		runs[i] = fmt.Appendf(nil, `{"id": "run-%d", "client_id": "tenant-%d", "target": "target-%d", "started_at": %q, "finished_at": %q, "items": %d, "status": %q}`,
			i, i%3, i%20, finished.Add(-40*time.Second).Format(time.RFC3339), finished.Format(time.RFC3339), i%50, status)
	}
	if err := f.api.Add("/v1/runs", runs...); err != nil {
		b.Fatal(err)
	}
	records := 0
	for b.Loop() {
		events := 0
		err := f.src.Collect(context.Background(), "", func(batch sdk.Batch) error {
			if err := sdk.Validate(&batch); err != nil {
				return err
			}
			events += len(batch.Events)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if events != total {
			b.Fatalf("%d runs, want %d", events, total)
		}
		records += events
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}
