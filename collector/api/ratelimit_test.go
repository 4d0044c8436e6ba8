package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/collector/store/storetest"
)

// TestIngestLimitsAreABucketPerToken: burst requests at once, then one per
// 1/rate; a refused request takes nothing and says how long to wait; each
// token has its own bucket.
func TestIngestLimitsAreABucketPerToken(t *testing.T) {
	const perSecond, burst = 2.0, 3
	l := newIngestLimits(perSecond, burst)
	t0 := storetest.Now
	step := time.Duration(float64(time.Second) / perSecond)
	for i := range burst {
		if ok, _ := l.allow("a", t0); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	for range 3 { // refusals do not push the next free slot further away
		ok, wait := l.allow("a", t0)
		if ok || wait != step {
			t.Fatalf("past the burst: allowed %v, wait %s; want refused, wait %s", ok, wait, step)
		}
	}
	if ok, _ := l.allow("b", t0); !ok {
		t.Fatal("another token was refused for a's requests")
	}
	if ok, _ := l.allow("a", t0.Add(step)); !ok {
		t.Fatal("refused after waiting as told")
	}
	if ok, _ := l.allow("a", t0.Add(step)); ok {
		t.Fatal("two requests allowed for one refill")
	}
	if ok, _ := newIngestLimits(0, 0).allow("a", t0); !ok {
		t.Fatal("rate 0 must mean no limit")
	}
}

// TestIngestLimitsForgetIdleTokens: the map of buckets stays bounded; a
// token whose bucket is full again loses nothing by being forgotten.
func TestIngestLimitsForgetIdleTokens(t *testing.T) {
	l := newIngestLimits(1, 1)
	t0 := storetest.Now
	for i := range maxTrackedTokens {
		l.allow(fmt.Sprint(i), t0)
	}
	l.allow("busy", t0.Add(time.Hour)) // every other bucket refilled by now
	l.allow("new", t0.Add(time.Hour))
	if n := len(l.byToken); n > 2 {
		t.Fatalf("%d buckets kept after the idle ones could go", n)
	}
}

// TestPushIsRateLimitedPerToken: past its burst a token gets 429 with
// Retry-After and the rate_limited code, the batch is not stored and is
// counted; another token of the same tenant is not slowed; a token without
// the ingest scope still gets 403, not 429.
func TestPushIsRateLimitedPerToken(t *testing.T) {
	e := newEnv(t)
	srv, _ := testServer(e.store, 64<<10)
	srv.IngestRate, srv.IngestBurst = 0.5, 2 // the clock stands still: no refill
	hs := httptest.NewServer(srv.Routes(prometheus.NewRegistry()))
	defer hs.Close()
	e.url = hs.URL
	ingest, admin := e.client(e.tokens["acme/ingest"]), e.client(e.tokens["acme/admin"])
	body := func(key string) []byte {
		return []byte(`{"events":[{"key":"` + key + `","kind":"payment.paid","occurred_at":"2026-11-20T10:00:00Z"}]}`)
	}
	for i := range 2 {
		if _, err := ingest.PushJSON(ctx, "", body(fmt.Sprint("ok-", i))); err != nil {
			t.Fatalf("batch %d of the burst: %v", i+1, err)
		}
	}
	_, err := ingest.PushJSON(ctx, "", body("limited"))
	ae := apiError(t, err)
	if ae.StatusCode != http.StatusTooManyRequests || ae.Code != apiv1.CodeRateLimited || ae.Header.Get("Retry-After") != "2" {
		t.Fatalf("past the burst: %d %s Retry-After %q (%s); want 429 %s Retry-After 2", ae.StatusCode, ae.Code, ae.Header.Get("Retry-After"), ae.Message, apiv1.CodeRateLimited)
	}
	// Another token of the tenant is not slowed, and the refused batch was
	// not stored: its event is new to this one.
	if res, err := admin.PushJSON(ctx, "", body("limited")); err != nil || res.NewEvents != 1 {
		t.Fatalf("another token's push of the refused batch: %+v, %v; want it stored as new", res, err)
	}
	if got := status(t, func() error { _, err := e.client(e.tokens["acme/read"]).PushJSON(ctx, "", body("read")); return err }()); got != http.StatusForbidden {
		t.Fatalf("read token: %d, want 403", got)
	}
	if got := testutil.ToFloat64(srv.Ingester.Metrics.Rejected.WithLabelValues("api", apiv1.CodeRateLimited)); got != 1 {
		t.Fatalf("rejected{reason=rate_limited} = %v, want 1", got)
	}
}
