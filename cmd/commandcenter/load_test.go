package main

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// BenchmarkLoad60s drives a real serve for 60 s with ingest through the
// push API, /metrics scrapes and performance queries at once, and reports
// resident memory over time and every error. Memory must stay flat: the
// second half may not grow more than 25% over the first half's peak.
func BenchmarkLoad60s(b *testing.B) {
	for b.Loop() {
		dataDir := b.TempDir()
		out, err := exec.Command(binary, "tokens", "create", "--data-dir", dataDir, "--tenant", "acme", "--scope", "ingest").Output()
		if err != nil {
			b.Fatal(err)
		}
		s := startServe(b, "--data-dir", dataDir)
		client, err := apiv1.New(apiv1.Config{URL: s.Base, Token: strings.TrimSpace(string(out))})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		var wg sync.WaitGroup
		var pushed, scrapes, queries, failures atomic.Int64
		var firstErr atomic.Value
		fail := func(err error) {
			failures.Add(1)
			firstErr.CompareAndSwap(nil, err)
		}
		loop := func(every time.Duration, step func(i int) error) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ctx.Err() == nil; i++ {
					if err := step(i); err != nil && ctx.Err() == nil {
						fail(err)
					}
					time.Sleep(every)
				}
			}()
		}
		start := time.Now()
		// Ingest: batches of 500 events, 100 payments and 200 daily metrics.
		loop(0, func(i int) error {
			var req apiv1.PushRequest
			at := start.Add(time.Duration(i) * time.Millisecond).UTC()
			for j := range 500 {
				req.Events = append(req.Events, sdk.Event{Key: fmt.Sprintf("e-%d-%d", i, j), Kind: sdk.KindMetricsUpdated, OccurredAt: at})
			}
			for j := range 100 {
				req.Entities = append(req.Entities, sdk.Entity{Type: sdk.EntityPayment, ID: fmt.Sprintf("pay-%d", (i*100+j)%20000),
					Status: "open", DueAt: at.Add(time.Duration(j) * time.Hour), Amount: &sdk.Money{Minor: int64(j), Currency: "EUR"}})
			}
			for j := range 200 {
				req.DailyMetrics = append(req.DailyMetrics, sdk.DailyMetric{Campaign: fmt.Sprintf("c%d", j%20), Influencer: fmt.Sprintf("i%d", j),
					Platform: "tiktok", Day: at.AddDate(0, 0, -(i % 60)).Format(time.DateOnly), Counts: sdk.Counts{Views: int64(i + j), Impressions: int64(2 * (i + j))}})
			}
			_, err := client.Push(ctx, "load", req)
			pushed.Add(1)
			return err
		})
		loop(time.Second, func(int) error {
			scrapes.Add(1)
			resp, err := http.Get(s.Base + "/metrics")
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				return fmt.Errorf("/metrics: %d", resp.StatusCode)
			}
			return nil
		})
		loop(100*time.Millisecond, func(i int) error {
			queries.Add(1)
			_, err := client.Performance(ctx, apiv1.PerformanceQuery{GroupBy: apiv1.GroupBys[i%3]})
			return err
		})
		var samples []float64
		for ctx.Err() == nil {
			time.Sleep(5 * time.Second)
			samples = append(samples, float64(rssBytes(b, s.Cmd.Process.Pid))/(1<<20))
		}
		cancel()
		wg.Wait()
		if n := failures.Load(); n > 0 {
			b.Fatalf("%d errors under load, the first: %v", n, firstErr.Load())
		}
		half := len(samples) / 2
		firstPeak, secondPeak := 0.0, 0.0
		for i, v := range samples {
			if i < half {
				firstPeak = max(firstPeak, v)
			} else {
				secondPeak = max(secondPeak, v)
			}
		}
		b.Logf("RSS every 5 s (MB): %.0f", samples)
		b.ReportMetric(float64(pushed.Load())*500/60, "events/s")
		b.ReportMetric(float64(scrapes.Load()), "scrapes")
		b.ReportMetric(float64(queries.Load()), "queries")
		b.ReportMetric(firstPeak, "MB-rss-peak-first-30s")
		b.ReportMetric(secondPeak, "MB-rss-peak-last-30s")
		if secondPeak > firstPeak*1.25 {
			b.Fatalf("memory grew under steady load: peak %.0f MB, then %.0f MB", firstPeak, secondPeak)
		}
	}
}
