package exporter

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"mime"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestCRC32CombineIsTheCRCOfTheJoinedText(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sizes := range [][2]int{{0, 0}, {0, 7}, {7, 0}, {1, 1}, {100, 3}, {3, 100_000}, {65_536, 65_537}} {
		a, b := make([]byte, sizes[0]), make([]byte, sizes[1])
		for i := range a {
			a[i] = byte(rng.Uint32())
		}
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		want := crc32.ChecksumIEEE(append(slices.Clone(a), b...))
		if got := crc32Combine(crc32.ChecksumIEEE(a), crc32.ChecksumIEEE(b), int64(len(b))); got != want {
			t.Errorf("sizes %v: combined %08x, want %08x", sizes, got, want)
		}
	}
}

// TestFamilyChunksFollowEveryChange drives a family through refreshes that
// add, change and drop series at random (whole, per tenant and per item),
// and after each compares its exposition with the lines recomputed from a
// plain map of what should be there, sorted.
func TestFamilyChunksFollowEveryChange(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	f := newFamily("cc_due", "gauge", "Due.", "tenant", "payment", "campaign").perItem("payment", "payment")
	type key struct{ tenant, payment, campaign string }
	want := map[key]float64{}
	line := func(k key, v float64) string {
		return fmt.Sprintf(`cc_due{campaign=%q,payment=%q,tenant=%q} %s`, k.campaign, k.payment, k.tenant, strconv.FormatFloat(v, 'g', -1, 64))
	}
	randomKey := func() key {
		i := rng.IntN(5000)
		return key{fmt.Sprintf("t%d", i%3), fmt.Sprintf("pay-%d", i), fmt.Sprintf("c%d", i%7)}
	}
	for round := range 40 {
		f.begin()
		var in *scope
		switch round % 3 {
		case 0: // a whole refresh: what it sets is all there is
			next := map[key]float64{}
			for k, v := range want {
				if rng.IntN(10) > 0 {
					next[k] = v + float64(rng.IntN(2))
				}
			}
			for range rng.IntN(3000) {
				next[randomKey()] = float64(rng.IntN(100))
			}
			want = next
			for k, v := range want {
				f.setValue(v, k.tenant, k.payment, k.campaign)
			}
		case 1: // one tenant recomputed
			tenant := fmt.Sprintf("t%d", rng.IntN(3))
			in = tenantScope(tenant)
			for k, v := range want {
				if k.tenant != tenant {
					continue
				}
				if rng.IntN(4) == 0 {
					delete(want, k)
					continue
				}
				want[k] = v * 2
				f.setValue(v*2, k.tenant, k.payment, k.campaign)
			}
		case 2: // a few payments of one tenant
			tenant := fmt.Sprintf("t%d", rng.IntN(3))
			ids := map[string]bool{}
			for range 20 {
				k := randomKey()
				if k.tenant != tenant || ids[k.payment] {
					// A partial update sets each entity's series once: a
					// payment drawn twice would have the model forget what
					// its first draw set.
					continue
				}
				ids[k.payment] = true
				for old := range want {
					if old.tenant == tenant && old.payment == k.payment {
						delete(want, old)
					}
				}
				if rng.IntN(3) > 0 { // else it is no longer open
					k.campaign = fmt.Sprintf("c%d", rng.IntN(7)) // its campaign may change
					want[k] = float64(round)
					f.setValue(float64(round), k.tenant, k.payment, k.campaign)
				}
			}
			in = itemScope(tenant, ids)
		}
		f.end(in)

		var lines []string
		for k, v := range want {
			lines = append(lines, line(k, v))
		}
		slices.Sort(lines)
		expected := ""
		if len(lines) > 0 {
			expected = "# HELP cc_due Due.\n# TYPE cc_due gauge\n" + strings.Join(lines, "\n") + "\n"
		}
		if got := familyText(t, f); got != expected {
			t.Fatalf("round %d: exposition differs from the recomputed one (%d lines want, %d got)", round, len(lines), strings.Count(got, "\n"))
		}
		for _, c := range f.chunks {
			if len(c.series) == 0 || len(c.series) > maxChunk {
				t.Fatalf("round %d: a chunk of %d series", round, len(c.series))
			}
		}
	}
}

// TestGzipScrapeIsOneValidMember checks the stitched gzip body with Go's
// reader (which verifies the CRC and size) and with gzip(1), and that it
// holds exactly what the plain scrape serves.
func TestGzipScrapeIsOneValidMember(t *testing.T) {
	_, b := fixtureBusiness(t)
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "cc_scrape_time_metric_total", Help: "Made per scrape."}))
	h := Handler(reg, b, nil)

	plain := httptest.NewRecorder()
	h.ServeHTTP(plain, httptest.NewRequest("GET", "/metrics", nil))
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Accept-Encoding", "deflate, gzip;q=0.9")
	zipped := httptest.NewRecorder()
	h.ServeHTTP(zipped, req)
	if enc := zipped.Header().Get("Content-Encoding"); enc != "gzip" {
		t.Fatalf("Content-Encoding %q", enc)
	}
	if n := zipped.Header().Get("Content-Length"); n != strconv.Itoa(zipped.Body.Len()) {
		t.Fatalf("Content-Length %s for a %d-byte body", n, zipped.Body.Len())
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped.Body.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	zr.Multistream(false) // one member, as every client can read
	got, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("reading the gzip body: %v", err)
	}
	if !bytes.Equal(got, plain.Body.Bytes()) {
		t.Fatalf("gzip body holds other text than the plain scrape:\n%s\n---\n%s", got, plain.Body.String())
	}
	gunzip := exec.Command("gzip", "-dc")
	gunzip.Stdin = bytes.NewReader(zipped.Body.Bytes())
	if out, err := gunzip.Output(); err != nil || !bytes.Equal(out, got) {
		t.Fatalf("gzip -dc: %v, %d bytes out of %d", err, len(out), len(got))
	}
	if !strings.Contains(string(got), "cc_scrape_time_metric_total 0") || !strings.Contains(string(got), "commandcenter_payments_open") {
		t.Fatalf("the body lacks the registry's or the business metrics:\n%s", got)
	}

	for _, header := range []string{"", "identity", "gzip;q=0", "gzip; Q=0.0", "br"} {
		req := httptest.NewRequest("GET", "/metrics", nil)
		req.Header.Set("Accept-Encoding", header)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Header().Get("Content-Encoding") != "" || !bytes.Equal(rec.Body.Bytes(), plain.Body.Bytes()) {
			t.Errorf("Accept-Encoding %q: got Content-Encoding %q", header, rec.Header().Get("Content-Encoding"))
		}
	}
}

func TestEmptyExpositionIsValidGzip(t *testing.T) {
	body, n := newExposition(nil, nil).text.gzipped([]byte("a 1\n"), newCompressor(flate.BestSpeed))
	var buf bytes.Buffer
	body.WriteTo(&buf)
	if int64(buf.Len()) != n {
		t.Fatalf("length %d, body %d bytes", n, buf.Len())
	}
	zr, err := gzip.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(zr)
	if err != nil || string(got) != "a 1\n" {
		t.Fatalf("got %q, %v", got, err)
	}
}

// prometheusAccept is the Accept header Prometheus 2.x scrapes with.
const prometheusAccept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"

// TestScrapeNegotiatesTheFormat: /metrics answers OpenMetrics to whoever
// prefers it (Prometheus), the text format to everyone else (curl, a
// scraper asking protobuf first), each in the format its Content-Type
// names, gzipped or not alike.
func TestScrapeNegotiatesTheFormat(t *testing.T) {
	_, b := fixtureBusiness(t)
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: "cc_scrape_time_metric_total", Help: "Made per scrape."}))
	h := Handler(reg, b, nil)
	const openMetrics, text = "application/openmetrics-text", "text/plain"
	for _, tc := range []struct {
		accept, wantType, wantVersion string
	}{
		{"", text, "0.0.4"},
		{"*/*", text, "0.0.4"},
		{"text/plain", text, "0.0.4"},
		{prometheusAccept, openMetrics, "1.0.0"},
		{"application/openmetrics-text;version=0.0.1", openMetrics, "0.0.1"},
		{"application/openmetrics-text; version=1.0.0; charset=utf-8", openMetrics, "1.0.0"},
		// Protobuf (native histograms) is not offered: the text format is.
		{"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3,*/*;q=0.2", text, "0.0.4"},
	} {
		t.Run(tc.accept, func(t *testing.T) {
			var bodies []string
			for _, encoding := range []string{"", "gzip"} {
				req := httptest.NewRequest("GET", "/metrics", nil)
				req.Header.Set("Accept", tc.accept)
				req.Header.Set("Accept-Encoding", encoding)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				mediaType, params, err := mime.ParseMediaType(rec.Header().Get("Content-Type"))
				if err != nil || mediaType != tc.wantType || params["version"] != tc.wantVersion {
					t.Fatalf("Content-Type %q, want %s version %s", rec.Header().Get("Content-Type"), tc.wantType, tc.wantVersion)
				}
				body := rec.Body.String()
				if encoding == "gzip" {
					zr, err := gzip.NewReader(rec.Body)
					if err != nil {
						t.Fatal(err)
					}
					raw, err := io.ReadAll(zr)
					if err != nil {
						t.Fatal(err)
					}
					body = string(raw)
				}
				bodies = append(bodies, body)
			}
			if bodies[0] != bodies[1] {
				t.Fatal("the gzipped body holds other text than the plain one")
			}
			checkFormat(t, bodies[0], tc.wantType == openMetrics)
		})
	}
}

// checkFormat checks what tells OpenMetrics from the text format: # EOF
// once, at the end; a counter family named without _total in its HELP and
// TYPE lines, its samples with it.
func checkFormat(t *testing.T, body string, openMetrics bool) {
	t.Helper()
	if got := strings.HasSuffix(body, "\n# EOF\n"); got != openMetrics || strings.Count(body, "# EOF") > 1 {
		t.Fatalf("ends with # EOF: %v (%d times), want %v", got, strings.Count(body, "# EOF"), openMetrics)
	}
	counters := 0
	for line := range strings.SplitSeq(body, "\n") {
		name, ok := strings.CutPrefix(line, "# TYPE ")
		if !ok || !strings.HasSuffix(name, " counter") {
			continue
		}
		counters++
		name = strings.TrimSuffix(name, " counter")
		if strings.HasSuffix(name, "_total") == openMetrics {
			t.Errorf("counter family %q: OpenMetrics %v", name, openMetrics)
		}
		sample := name
		if openMetrics {
			sample += "_total"
		}
		if !strings.Contains(body, "\n"+sample+" ") && !strings.Contains(body, "\n"+sample+"{") {
			t.Errorf("counter family %s has no sample named %s", name, sample)
		}
	}
	// The registry's counter and the scraper's three business counters.
	if counters < 4 || !strings.Contains(body, "# TYPE commandcenter_scraper_runs") {
		t.Errorf("%d counter families, the business ones among them: %v", counters, strings.Contains(body, "# TYPE commandcenter_scraper_runs"))
	}
}

// strictOpenMetrics parses body with the Python Prometheus client's
// OpenMetrics parser, which refuses what the format forbids (a missing or
// misplaced # EOF, a counter family named with _total, a family twice,
// bad escapes) where Prometheus's own parser lets some of it pass.
func strictOpenMetrics(t *testing.T, body []byte) error {
	t.Helper()
	const parse = "import sys\nfrom prometheus_client.openmetrics.parser import text_string_to_metric_families\nfor _ in text_string_to_metric_families(sys.stdin.read()): pass\n"
	// Debian's interpreter, the one its package installs the client for
	// (another python3 may come first in PATH).
	const python = "/usr/bin/python3"
	if exec.Command(python, "-c", "import prometheus_client.openmetrics.parser").Run() != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("the Python Prometheus client is not installed (make test installs Debian's python3-prometheus-client)")
		}
		t.Skip("python3-prometheus-client not installed; run make test")
	}
	cmd := exec.Command(python, "-c", parse)
	cmd.Stdin = bytes.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		return fmt.Errorf("%v: %s", err, lines[len(lines)-1])
	}
	return nil
}

// TestOpenMetricsPassesAStrictParser: the OpenMetrics a scrape gets, for
// both versions, plain and gzipped, with registry metrics of every kind
// (a counter whose HELP needs escaping, a histogram), passes a strict
// parser. Go's runtime metrics are left out: client_golang names a gauge
// go_memstats_alloc_bytes and a counter go_memstats_alloc_bytes_total,
// one family twice in OpenMetrics, as on every Go exporter.
func TestOpenMetricsPassesAStrictParser(t *testing.T) {
	_, b := fixtureBusiness(t)
	reg := prometheus.NewRegistry()
	restarts := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "cc_restarts_total", Help: `Restarts: "crash" \ loop.`}, []string{"plugin"})
	restarts.WithLabelValues(`a"b\c`).Inc()
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "cc_duration_seconds", Help: "Durations."}, []string{"handler"})
	duration.WithLabelValues("/a").Observe(0.1)
	reg.MustRegister(restarts, duration)
	h := Handler(reg, b, nil)
	for _, accept := range []string{prometheusAccept, "application/openmetrics-text;version=0.0.1", "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8"} {
		for _, encoding := range []string{"", "gzip"} {
			req := httptest.NewRequest("GET", "/metrics", nil)
			req.Header.Set("Accept", accept)
			req.Header.Set("Accept-Encoding", encoding)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			body := rec.Body.Bytes()
			if encoding == "gzip" {
				zr, err := gzip.NewReader(rec.Body)
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Contains(body, []byte("commandcenter_scraper_runs_total{")) {
				t.Fatalf("Accept %q: no business counter in the body", accept)
			}
			if err := strictOpenMetrics(t, body); err != nil {
				t.Errorf("Accept %q, encoding %q: the strict OpenMetrics parser refuses the body: %v", accept, encoding, err)
			}
		}
	}
	// The parser can refuse: the same body with the text format's counter
	// heads, or without # EOF.
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Accept", prometheusAccept)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	good := rec.Body.String()
	for name, bad := range map[string]string{
		"counter named with _total": strings.Replace(good, "# TYPE commandcenter_scraper_runs counter", "# TYPE commandcenter_scraper_runs_total counter", 1),
		"no # EOF":                  strings.TrimSuffix(good, "# EOF\n"),
	} {
		if strictOpenMetrics(t, []byte(bad)) == nil {
			t.Errorf("the strict parser took a body with %s", name)
		}
	}
}

// TestMalformedAcceptHeadersGetAConsistentAnswer: whatever the Accept
// header, the body is in the format the Content-Type names, with Vary.
func TestMalformedAcceptHeadersGetAConsistentAnswer(t *testing.T) {
	_, b := fixtureBusiness(t)
	h := Handler(prometheus.NewRegistry(), b, nil)
	for _, accept := range []string{
		";;;,,,", "application/openmetrics-text;version=", "application/openmetrics-text;q=abc",
		"application/openmetrics-text;version=1.0.0;version=0.0.1", "application/openmetrics-text/x",
		"\x00\xff", strings.Repeat("application/openmetrics-text;version=9.9.9;q=0.5,", 1200) + "text/plain",
		"application/openmetrics-text;version=1.0.0;escaping=bogus",
	} {
		req := httptest.NewRequest("GET", "/metrics", nil)
		req.Header.Set("Accept", accept)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		mediaType, _, err := mime.ParseMediaType(rec.Header().Get("Content-Type"))
		eof := strings.HasSuffix(rec.Body.String(), "# EOF\n")
		if err != nil || (mediaType == "application/openmetrics-text") != eof || rec.Header().Get("Vary") != "Accept, Accept-Encoding" {
			t.Errorf("Accept %.40q: Content-Type %q, ends with # EOF %v, Vary %q", accept, rec.Header().Get("Content-Type"), eof, rec.Header().Get("Vary"))
		}
	}
}
