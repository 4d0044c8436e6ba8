package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/commandcenter/commandcenter/cmd/commandcenter/servetest"
)

// BenchmarkServeMemory runs a real `serve` fed by a real plugin process with
// 1,000,000 events and 100,000 open payments, waits until all are stored
// and /metrics shows them, and reports the server's resident memory.
func BenchmarkServeMemory(b *testing.B) {
	dir := b.TempDir()
	plugin := filepath.Join(dir, "testplugin")
	if out, err := exec.Command("go", "build", "-o", plugin, "../../collector/internal/testplugin").CombinedOutput(); err != nil {
		b.Fatalf("%v\n%s", err, out)
	}
	cfg := filepath.Join(dir, "cc.yml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`plugins:
  - name: load
    path: %s
    interval: 1h
    timeout: 30m
    config: {events: 1000000, batch: 1000, open_payments: 100000}
`, plugin)), 0o644)
	for b.Loop() {
		s := startServe(b, "--config", cfg, "--data-dir", filepath.Join(b.TempDir(), "data"))
		start := time.Now()
		// Scrape once a second, as a (busy) Prometheus would; each scrape of
		// 100k series allocates ~10 MB of text.
		servetest.Poll(b, "1M events stored", 10*time.Minute, time.Second, func() bool {
			_, body := s.Get(b, "/metrics", "")
			return strings.Contains(body, `commandcenter_ingested_events_total{kind="metrics.updated",source="load"} 1e+06`) &&
				strings.Contains(body, `commandcenter_payments_open{currency="EUR",tenant="acme"} 100000`)
		})
		b.ReportMetric(time.Since(start).Seconds(), "s-to-ingest")
		b.ReportMetric(float64(rssBytes(b, s.Cmd.Process.Pid))/(1<<20), "MB-rss")
		_, metrics := s.Get(b, "/metrics", "")
		if m := heapInuse.FindStringSubmatch(metrics); m != nil {
			var v float64
			fmt.Sscan(m[1], &v)
			b.ReportMetric(v/(1<<20), "MB-go-heap")
		}
		s.Cmd.Process.Kill()
	}
}

var heapInuse = regexp.MustCompile(`(?m)^go_memstats_heap_inuse_bytes (\S+)$`)

// rssBytes reads a process's resident set size from /proc.
func rssBytes(tb testing.TB, pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb)
			return kb << 10
		}
	}
	tb.Fatal("no VmRSS")
	return 0
}
