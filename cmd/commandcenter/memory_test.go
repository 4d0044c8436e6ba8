package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
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
		// Then a real Prometheus scrapes it every 5 s, as in production,
		// for 30 s: the peak resident memory meanwhile (target <= 150 MB).
		prom := startPrometheus(b, s.Base, 5*time.Second)
		peak := int64(0)
		for range 30 {
			time.Sleep(time.Second)
			peak = max(peak, rssBytes(b, s.Cmd.Process.Pid))
		}
		if up := prom.query(b, `up{job="commandcenter"}`); up != "1" {
			b.Fatalf("Prometheus did not scrape serve: up = %q", up)
		}
		if n := prom.query(b, `sum(commandcenter_payments_open)`); n != "100000" {
			b.Fatalf("Prometheus scraped %q open payments, want 100000", n)
		}
		b.ReportMetric(float64(peak)/(1<<20), "rss-MB")
		_, metrics := s.Get(b, "/metrics", "")
		if m := heapInuse.FindStringSubmatch(metrics); m != nil {
			var v float64
			fmt.Sscan(m[1], &v)
			b.ReportMetric(v/(1<<20), "MB-go-heap")
		}
		s.Cmd.Process.Kill()
	}
}

// promServer is a running Prometheus server.
type promServer struct{ base string }

// startPrometheus runs Debian's prometheus scraping target's /metrics every
// interval; under CI its absence is a failure.
func startPrometheus(tb testing.TB, target string, interval time.Duration) *promServer {
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatal("prometheus not installed (make test installs Debian's prometheus package)")
		}
		tb.Skip("prometheus not installed; run make deps")
	}
	dir := tb.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	config := filepath.Join(dir, "prometheus.yml")
	os.WriteFile(config, []byte(fmt.Sprintf(`global: {scrape_interval: %s, scrape_timeout: 4s}
scrape_configs:
  - job_name: commandcenter
    static_configs: [{targets: [%q]}]
`, interval, strings.TrimPrefix(target, "http://"))), 0o644)
	cmd := exec.Command(bin, "--config.file="+config, "--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr)
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	p := &promServer{base: "http://" + addr}
	servetest.Poll(tb, "prometheus ready", 30*time.Second, 100*time.Millisecond, func() bool {
		resp, err := http.Get(p.base + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return p
}

// query is the value of a PromQL expression with one result, "" if none.
func (p *promServer) query(tb testing.TB, expr string) string {
	resp, err := http.Get(p.base + "/api/v1/query?query=" + url.QueryEscape(expr))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Data struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		tb.Fatal(err)
	}
	if len(out.Data.Result) != 1 {
		return ""
	}
	v, _ := out.Data.Result[0].Value[1].(string)
	return v
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
