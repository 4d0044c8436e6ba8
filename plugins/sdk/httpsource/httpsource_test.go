package httpsource

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// script answers each request with the next reply; the last one repeats.
type script struct {
	mu      sync.Mutex
	replies []reply
	times   []time.Time
}

type reply struct {
	status     int
	retryAfter string
	body       string
	delay      time.Duration
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	n := len(s.times)
	s.times = append(s.times, time.Now())
	rep := s.replies[min(n, len(s.replies)-1)]
	s.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer k" {
		http.Error(w, `{"error":{"code":"unauthenticated","message":"no key"}}`, http.StatusUnauthorized)
		return
	}
	time.Sleep(rep.delay)
	if rep.retryAfter != "" {
		w.Header().Set("Retry-After", rep.retryAfter)
	}
	w.WriteHeader(rep.status)
	io.WriteString(w, rep.body)
}

func (s *script) requests() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.times...)
}

func client(t *testing.T, o Options) *Client {
	t.Helper()
	c, err := New(o, func(r *http.Request) { r.Header.Set("Authorization", "Bearer k") }, "test/1", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var fast = Options{BackoffInitial: "1ms", BackoffMax: "5ms", RateLimit: 1000, MaxRetries: 3}

func TestGetJSON(t *testing.T) {
	ok := reply{status: 200, body: `{"data":[1,2],"extra":true}`}
	cases := []struct {
		name     string
		replies  []reply
		failure  Failure
		message  string // part of the error
		requests int
	}{
		{"ok", []reply{ok}, 0, "", 1},
		{"500s then recovers", []reply{{status: 500, body: "boom"}, {status: 503}, ok}, 0, "", 3},
		{"500s past the retries", []reply{{status: 502, body: `{"error":{"code":"bad_gateway","message":"upstream down"}}`}}, Failing, "is failing (4 attempts): HTTP 502: bad_gateway upstream down", 4},
		{"401 is not retried", []reply{{status: 401, body: `{"error":{"code":"unauthenticated","message":"key revoked"}}`}}, Refused, "credentials refused by", 1},
		{"403", []reply{{status: 403, body: "forbidden"}}, Refused, "HTTP 403: forbidden", 1},
		{"404", []reply{{status: 404, body: ""}}, Rejected, "rejected the request: HTTP 404: (empty body)", 1},
		{"truncated page", []reply{{status: 200, body: `{"data":[1,`}}, WrongShape, "JSON cut short after 11 bytes", 1},
		{"wrong type", []reply{{status: 200, body: `{"data":"x"}`}}, WrongShape, `field "data" is string`, 1},
		{"not JSON", []reply{{status: 200, body: `<html>`}}, WrongShape, "not valid JSON at byte 1", 1},
		{"timeout", []reply{{status: 200, body: "{}", delay: 300 * time.Millisecond}}, Unreachable, "cannot reach", 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &script{replies: tc.replies}
			srv := httptest.NewServer(s)
			defer srv.Close()
			o := fast
			o.Timeout = "50ms"
			var v struct {
				Data []int `json:"data"`
			}
			err := client(t, o).GetJSON(context.Background(), srv.URL+"/v1/x?page_token=secret", &v)
			if got := FailureOf(err); got != tc.failure {
				t.Fatalf("failure %d, want %d: %v", got, tc.failure, err)
			}
			if tc.failure == 0 && len(v.Data) != 2 {
				t.Fatalf("decoded %+v", v)
			}
			if tc.failure != 0 && !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("error %q does not say %q", err, tc.message)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Fatalf("error shows the query string: %v", err)
			}
			if n := len(s.requests()); n != tc.requests {
				t.Fatalf("%d requests, want %d", n, tc.requests)
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	err := client(t, fast).GetJSON(context.Background(), srv.URL, &struct{}{})
	if FailureOf(err) != Unreachable || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("%v", err)
	}
}

// A 429 with Retry-After waits that long before the next try, whatever the
// backoff says; a Retry-After beyond MaxRetryAfter fails at once.
func TestRetryAfterIsHonoured(t *testing.T) {
	s := &script{replies: []reply{{status: 429, retryAfter: "1"}, {status: 200, body: "{}"}}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	if err := client(t, fast).GetJSON(context.Background(), srv.URL, &struct{}{}); err != nil {
		t.Fatal(err)
	}
	times := s.requests()
	if len(times) != 2 || times[1].Sub(times[0]) < time.Second {
		t.Fatalf("retried after %v, Retry-After said 1s", times[1].Sub(times[0]))
	}

	long := &script{replies: []reply{{status: 429, retryAfter: "3600"}}}
	srv2 := httptest.NewServer(long)
	defer srv2.Close()
	start := time.Now()
	err := client(t, fast).GetJSON(context.Background(), srv2.URL, &struct{}{})
	if FailureOf(err) != Failing || !strings.Contains(err.Error(), "Retry-After 1h0m0s") || time.Since(start) > time.Second {
		t.Fatalf("%v after %v", err, time.Since(start))
	}
}

func TestRateLimitHolds(t *testing.T) {
	s := &script{replies: []reply{{status: 200, body: "{}"}}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	const perSecond, n = 20, 11
	c := client(t, Options{RateLimit: perSecond})
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { c.GetJSON(context.Background(), srv.URL, &struct{}{}) })
	}
	wg.Wait()
	times := s.requests()
	if span, want := times[len(times)-1].Sub(times[0]), time.Duration(n-1)*time.Second/perSecond; len(times) != n || span < want*9/10 {
		t.Fatalf("%d requests in %v; %d/s allows no faster than %v", len(times), span, perSecond, want)
	}
}

func TestCanceledWhileWaitingToRetry(t *testing.T) {
	s := &script{replies: []reply{{status: 503, retryAfter: "30"}}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := client(t, fast).GetJSON(ctx, srv.URL, &struct{}{})
	if err == nil || !strings.Contains(err.Error(), "gave up waiting to retry") {
		t.Fatalf("%v", err)
	}
}

func TestOptionsValidate(t *testing.T) {
	cases := []struct {
		o    Options
		want string
	}{
		{Options{}, ""},
		{Options{Timeout: "10s", RateLimit: 0.5, MaxRetries: -1, BackoffInitial: "100ms", BackoffMax: "1m"}, ""},
		{Options{Timeout: "soon"}, `timeout: must be a positive duration like 30s or 2m, got "soon"`},
		{Options{Timeout: "-1s"}, `timeout: must be a positive duration`},
		{Options{RateLimit: -2}, "rate_limit: must be > 0"},
		{Options{MaxRetries: 1000}, "max_retries: must be -1 (never) to 100"},
		{Options{BackoffInitial: "1m", BackoffMax: "1s"}, "backoff_max: must be at least backoff_initial (1m0s), got 1s"},
	}
	for _, tc := range cases {
		errs := tc.o.Validate()
		if tc.want == "" && errs != nil || tc.want != "" && (len(errs) != 1 || !strings.HasPrefix(errs[0], tc.want)) {
			t.Errorf("%+v: got %q, want %q", tc.o, errs, tc.want)
		}
	}
}

func TestRetryAfterHeader(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for h, want := range map[string]time.Duration{
		"":                              0,
		"7":                             7 * time.Second,
		"-1":                            0,
		"soon":                          0,
		"Mon, 23 Nov 2026 10:00:30 GMT": 30 * time.Second,
		"Mon, 23 Nov 2026 09:00:00 GMT": 0,
		"99999999999999":                24 * time.Hour,
	} {
		if got := retryAfter(h, now); got != want {
			t.Errorf("Retry-After %q: %v, want %v", h, got, want)
		}
	}
}
