package api

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/model"

	"github.com/commandcenter/commandcenter/collector"
	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/collector/business"
	"github.com/commandcenter/commandcenter/collector/config"
	"github.com/commandcenter/commandcenter/collector/store"
	"github.com/commandcenter/commandcenter/collector/store/storetest"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// The tests talk to a real server on 127.0.0.1 through apiv1's client, so
// the HTTP contract is the one the Grafana backend and the CLI use.

type env struct {
	t      *testing.T
	store  *store.Store
	url    string
	tokens map[string]string // "acme/read" → secret
}

var ctx = context.Background()

// testServer is st's API as the tests run it: the fixture's clock, quick
// heartbeats, a body limit of maxBody; its handler is routes.
func testServer(st *store.Store, maxBody int64) (srv *Server, routes http.Handler) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg := prometheus.NewRegistry()
	srv = &Server{
		Store:        st,
		Reports:      business.NewReports(st, time.Duration(config.Default().Exporter.UpcomingWindow)),
		Ingester:     &collector.Ingester{Store: st, Metrics: collector.NewMetrics(reg), Logger: logger},
		Logger:       logger,
		MaxBodyBytes: maxBody,
		Now:          func() time.Time { return storetest.Now },
		Heartbeat:    50 * time.Millisecond,
	}
	return srv, srv.Routes(reg)
}

// newServer serves st's API on 127.0.0.1 with a body limit of maxBody.
func newServer(t *testing.T, st *store.Store, maxBody int64) string {
	t.Helper()
	_, routes := testServer(st, maxBody)
	hs := httptest.NewServer(routes)
	t.Cleanup(hs.Close)
	return hs.URL
}

// serveWithLimits serves st's API on 127.0.0.1 as serve does, with cfg's
// timeouts and connection limit, and returns its address.
func serveWithLimits(t *testing.T, st *store.Store, cfg config.API) string {
	t.Helper()
	srv, routes := testServer(st, 1<<20)
	hs := srv.HTTPServer(routes, cfg, srv.Logger)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(Listener(ln, cfg))
	t.Cleanup(func() { hs.Close() })
	return ln.Addr().String()
}

func newEnv(t *testing.T, opts ...store.Options) *env {
	t.Helper()
	st := storetest.Open(t, opts...)
	e := &env{t: t, store: st, url: newServer(t, st, 64<<10), tokens: map[string]string{}}
	for _, tenant := range []string{"acme", "globex"} {
		for _, scope := range []string{store.ScopeRead, store.ScopeIngest, store.ScopeAdmin} {
			_, secret, err := st.CreateToken(ctx, tenant, scope, "test", 0)
			if err != nil {
				t.Fatal(err)
			}
			e.tokens[tenant+"/"+scope] = secret
		}
	}
	return e
}

// client calls the env's server as token ("" sends none).
func (e *env) client(token string) *apiv1.Client {
	e.t.Helper()
	c, err := apiv1.New(apiv1.Config{URL: e.url, Token: token, Timeout: 30 * time.Second})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// apiError is err as the API's error, failing the test if it is not one.
func apiError(t *testing.T, err error) *apiv1.Error {
	t.Helper()
	var ae *apiv1.Error
	if !errors.As(err, &ae) {
		t.Fatalf("want an API error, got %v", err)
	}
	return ae
}

// status is the HTTP status a call answered: 200 for no error.
func status(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 200
	}
	return apiError(t, err).StatusCode
}

// hasPath reports whether the error names path among its details.
func hasPath(ae *apiv1.Error, path string) bool {
	for _, d := range ae.Details {
		if d.Path == path {
			return true
		}
	}
	return false
}

// query parses a raw query string, for parameters the typed queries cannot
// spell (a limit of 0, a cursor of -4).
func query(t *testing.T, raw string) url.Values {
	t.Helper()
	v, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (e *env) eventCount() int {
	acts, _, err := e.store.Activity(ctx, store.ActivityQuery{Tenant: "acme", Limit: 100000})
	if err != nil {
		e.t.Fatal(err)
	}
	return len(acts)
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	expired := func() string {
		// Made an hour before the server's clock, for a minute.
		earlier, err := store.Open(e.store.Path(), store.Options{Now: func() time.Time { return storetest.Now.Add(-time.Hour) }})
		if err != nil {
			t.Fatal(err)
		}
		defer earlier.Close()
		_, s, err := earlier.CreateToken(ctx, "acme", store.ScopeAdmin, "", store.MinTokenLifetime)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}()
	cases := []struct {
		name, method, path, token string
		want                      int
	}{
		{"no token", "GET", apiv1.PathStats, "", 401},
		{"unknown token", "GET", apiv1.PathStats, "cc_notatoken", 401},
		{"not our format", "GET", apiv1.PathStats, "Basic abc", 401},
		{"expired token", "GET", apiv1.PathStats, expired, 401},
		{"read token cannot ingest", "POST", apiv1.PathEvents, e.tokens["acme/read"], 403},
		{"read token reads", "GET", apiv1.PathStats, e.tokens["acme/read"], 200},
		{"ingest token reads too", "GET", apiv1.PathStats, e.tokens["acme/ingest"], 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := e.client(tc.token).Do(ctx, tc.method, tc.path, nil, []byte(`{}`), nil)
			if got := status(t, err); got != tc.want {
				t.Fatalf("status %d, want %d: %v", got, tc.want, err)
			}
			if tc.want == 401 {
				ae := apiError(t, err)
				body, _ := json.Marshal(ae)
				if ae.Header.Get("WWW-Authenticate") == "" || ae.Code != apiv1.CodeUnauthorized || strings.Contains(string(body), "acme") {
					t.Fatalf("401 must ask for a bearer token and leak nothing: %v %s", ae.Header, body)
				}
			}
		})
	}
}

func TestTokensNeverSeeAnotherTenant(t *testing.T) {
	e := newEnv(t)
	globex := e.client(e.tokens["globex/read"])
	stats, err := globex.Stats(ctx)
	if err != nil || stats.Stats.Tenant != "globex" || len(stats.Stats.Platforms) != 0 {
		t.Fatalf("globex stats: %+v %v", stats, err)
	}
	reads := map[string]func() (any, error){
		"entities/payment": func() (any, error) { return globex.Entities(ctx, sdk.EntityPayment, apiv1.EntitiesQuery{}) },
		"activity":         func() (any, error) { return globex.Activity(ctx, apiv1.ActivityQuery{}) },
		"worklist":         func() (any, error) { return globex.Worklist(ctx) },
		"performance": func() (any, error) {
			return globex.Performance(ctx, apiv1.PerformanceQuery{GroupBy: apiv1.GroupByCampaign})
		},
	}
	for name, read := range reads {
		resp, err := read()
		raw, _ := json.Marshal(resp)
		if err != nil || strings.Contains(string(raw), `"acme"`) || strings.Contains(string(raw), "pay-soon") || strings.Contains(string(raw), "summer") {
			t.Errorf("%s leaks acme data to a globex token: %v %s", name, err, raw)
		}
	}
	// Writing into another tenant is refused, item by item.
	_, err = e.client(e.tokens["globex/ingest"]).PushJSON(ctx, "",
		[]byte(`{"events":[{"key":"x","tenant":"acme","kind":"payment.paid","occurred_at":"2026-11-20T10:00:00Z"}]}`))
	if ae := apiError(t, err); ae.StatusCode != 403 || ae.Code != apiv1.CodeWrongTenant || !hasPath(ae, "events[0].tenant") {
		t.Fatalf("cross-tenant write: %+v", ae)
	}
}

func TestPostEventsRejectsBadInputAndStoresNothing(t *testing.T) {
	e := newEnv(t)
	ingest := e.client(e.tokens["acme/ingest"])
	before := e.eventCount()
	ev := func(fields string) string {
		return `{"events":[{"key":"k1","kind":"payment.paid","occurred_at":"2026-11-20T10:00:00Z"` + fields + `}]}`
	}
	bigItems := make([]string, 10_000)
	for i := range bigItems {
		kind := "metrics.updated"
		if i == 9_876 {
			kind = "metrics.exploded"
		}
		bigItems[i] = fmt.Sprintf(`{"key":"b%d","kind":%q,"occurred_at":"2026-11-20T10:00:00Z"}`, i, kind)
	}
	cases := []struct {
		name, body string
		status     int
		code, path string
	}{
		{"malformed JSON", `{"events":[{"key":"k1",}]}`, 400, "malformed_json", "$.events[0]"},
		{"truncated JSON", `{"events":[`, 400, "malformed_json", "$.events"},
		{"not an object", `[1,2,3]`, 400, "invalid_batch", "$"},
		{"trailing garbage", `{"events":[]} {"x":1}`, 400, "malformed_json", "$"},
		{"duplicate JSON key", `{"events":[{"key":"a","key":"b","kind":"payment.paid","occurred_at":"2026-11-20T10:00:00Z"}]}`, 400, "malformed_json", "$.events[0].key"},
		{"unknown top-level field", `{"evnts":[]}`, 400, "invalid_batch", "$.evnts"},
		{"unknown item field", ev(`,"colour":"red"`), 400, "invalid_batch", "events[0].colour"},
		{"wrong type", `{"events":[{"key":7,"kind":"payment.paid","occurred_at":"2026-11-20T10:00:00Z"}]}`, 400, "invalid_batch", "events[0].key"},
		{"bad time", `{"events":[{"key":"k","kind":"payment.paid","occurred_at":"yesterday"}]}`, 400, "invalid_batch", "events[0]"},
		{"empty batch", `{}`, 400, "invalid_batch", "$"},
		{"missing key", `{"events":[{"kind":"payment.paid","occurred_at":"2026-11-20T10:00:00Z"}]}`, 422, "invalid_batch", "events[0].key"},
		{"missing time", `{"events":[{"key":"k","kind":"payment.paid"}]}`, 422, "invalid_batch", "events[0].occurred_at"},
		{"unknown kind", `{"events":[{"key":"k","kind":"payment.stolen","occurred_at":"2026-11-20T10:00:00Z"}]}`, 422, "invalid_batch", "events[0].kind"},
		{"negative money", `{"entities":[{"type":"payment","id":"p9","status":"open","amount":{"minor":-100,"currency":"EUR"}}]}`, 422, "invalid_batch", "entities[0].amount.minor"},
		{"fractional money", `{"entities":[{"type":"payment","id":"p9","status":"open","amount":{"minor":12.5,"currency":"EUR"}}]}`, 400, "invalid_batch", "entities[0].amount.minor"},
		{"negative count", `{"daily_metrics":[{"campaign":"c","platform":"tiktok","day":"2026-11-20","views":-1}]}`, 422, "invalid_batch", "daily_metrics[0].views"},
		{"fractional count", `{"daily_metrics":[{"campaign":"c","platform":"tiktok","day":"2026-11-20","views":1.5}]}`, 400, "invalid_batch", "daily_metrics[0].views"},
		{"body over the limit", `{"events":[` + strings.Join(bigItems, ",") + `]}`, 413, "body_too_large", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ingest.PushJSON(ctx, "", []byte(tc.body))
			ae := apiError(t, err)
			if ae.StatusCode != tc.status || ae.Code != tc.code {
				t.Fatalf("got %d %s, want %d %s: %+v", ae.StatusCode, ae.Code, tc.status, tc.code, ae)
			}
			if tc.path != "" && !hasPath(ae, tc.path) {
				t.Fatalf("error does not name %s: %+v", tc.path, ae.Details)
			}
			if raw, _ := json.Marshal(ae); strings.Contains(string(raw), "goroutine") || strings.Contains(string(raw), ".go:") {
				t.Fatalf("stack trace in response: %s", raw)
			}
			if n := e.eventCount(); n != before {
				t.Fatalf("%d events stored by a rejected request", n-before)
			}
		})
	}
}

func TestTenThousandItemsWithOneBadItemStoreNothing(t *testing.T) {
	e := newEnv(t)
	items := make([]string, 10_000)
	for i := range items {
		kind := "metrics.updated"
		if i == 9_876 {
			kind = "metrics.exploded"
		}
		items[i] = fmt.Sprintf(`{"key":"b%d","kind":%q,"occurred_at":"2026-11-20T10:00:00Z"}`, i, kind)
	}
	// A server with the default body limit, large enough for the batch.
	e.url = newServer(t, e.store, config.Default().API.MaxBodyBytes)
	before := e.eventCount()
	_, err := e.client(e.tokens["acme/ingest"]).PushJSON(ctx, "", []byte(`{"events":[`+strings.Join(items, ",")+`]}`))
	if ae := apiError(t, err); ae.StatusCode != 422 || !hasPath(ae, "events[9876].kind") {
		t.Fatalf("got %d: %.300s", ae.StatusCode, ae.Message)
	}
	if n := e.eventCount(); n != before {
		t.Fatalf("%d events stored", n-before)
	}
}

func TestPostEventsStoresDuplicatesOnce(t *testing.T) {
	e := newEnv(t)
	ingest := e.client(e.tokens["acme/ingest"])
	body := []byte(`{"events":[
		{"key":"wh-1","kind":"video.uploaded","entity":{"type":"video","id":"v-next"},"occurred_at":"2026-11-20T10:00:00Z","attrs":{"by":"webhook"}},
		{"key":"wh-1","kind":"video.uploaded","entity":{"type":"video","id":"v-next"},"occurred_at":"2026-11-20T10:00:00Z"}]}`)
	before := e.eventCount()
	r, err := ingest.PushJSON(ctx, "webhook", body)
	if err != nil || r.NewEvents != 1 || r.Duplicates != 1 || r.Source != "api-webhook" {
		t.Fatalf("%+v %v", r, err)
	}
	r, err = ingest.PushJSON(ctx, "webhook", body)
	if err != nil || r.NewEvents != 0 || r.Duplicates != 2 {
		t.Fatalf("resend: %+v %v", r, err)
	}
	if n := e.eventCount(); n != before+1 {
		t.Fatalf("stored %d events, want 1", n-before)
	}
	// The feed gives the entity back in the shape it was sent.
	feed, err := e.client(e.tokens["acme/read"]).Activity(ctx, apiv1.ActivityQuery{Kinds: []string{sdk.KindVideoUploaded}})
	if err != nil || len(feed.Events) != 1 || feed.Events[0].Entity != (sdk.EntityRef{Type: "video", ID: "v-next"}) || feed.Events[0].Source != "api-webhook" {
		t.Fatalf("feed: %+v %v", feed, err)
	}
}

func TestPushTypedBatch(t *testing.T) {
	e := newEnv(t)
	r, err := e.client(e.tokens["acme/ingest"]).Push(ctx, "", apiv1.PushRequest{
		Events: []sdk.Event{{Key: "typed-1", Kind: sdk.KindVideoApproved, Entity: sdk.EntityRef{Type: sdk.EntityVideo, ID: "v-review-2"},
			OccurredAt: storetest.Now}},
		DailyMetrics: []sdk.DailyMetric{{Campaign: "summer", Platform: "tiktok", Day: "2026-11-20", Counts: sdk.Counts{Views: 5}}},
	})
	if err != nil || r.Events != 1 || r.NewEvents != 1 || r.DailyMetrics != 1 || r.Source != "api" {
		t.Fatalf("%+v %v", r, err)
	}
}

func TestPayingThroughThePushAPIClosesThePayment(t *testing.T) {
	e := newEnv(t)
	_, err := e.client(e.tokens["acme/ingest"]).PushJSON(ctx, "",
		[]byte(`{"entities":[{"type":"payment","id":"pay-late","status":"paid","influencer":"luna","campaign":"winter","amount":{"minor":45000,"currency":"EUR"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	read := e.client(e.tokens["acme/read"])
	feed, err := read.Activity(ctx, apiv1.ActivityQuery{Kinds: []string{sdk.KindPaymentPaid}})
	if err != nil || len(feed.Events) != 2 { // the fixture's paid payment and this one
		t.Fatalf("payment.paid events: %+v %v", feed, err)
	}
	work, err := read.Worklist(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range work.Items {
		if it.Entity.ID == "pay-late" {
			t.Fatalf("paid payment still on the worklist: %+v", it)
		}
	}
}

func TestStats(t *testing.T) {
	e := newEnv(t)
	r, err := e.client(e.tokens["acme/read"]).Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s := r.Stats
	if len(s.Payments) != 1 || s.Payments[0].Open != 2 || s.Payments[0].Overdue != 1 || s.Payments[0].Amount.Minor != 165050 {
		t.Errorf("payments = %+v", s.Payments)
	}
	if s.ReviewQueue != 3 || !s.ReviewOldest.Equal(storetest.Now.Add(-50*time.Hour)) || s.VideosUpcoming != 1 {
		t.Errorf("videos: queue %d oldest %v upcoming %d", s.ReviewQueue, s.ReviewOldest, s.VideosUpcoming)
	}
	if s.ActiveCampaigns != 1 || s.PendingSignature != 1 {
		t.Errorf("active campaigns %d, pending signature %d", s.ActiveCampaigns, s.PendingSignature)
	}
	if len(s.Revenue) != 1 || s.Revenue[0].Minor != 550000 || len(s.Platforms) != 2 {
		t.Errorf("revenue %+v platforms %+v", s.Revenue, s.Platforms)
	}
	if !r.AsOf.Equal(storetest.Now) {
		t.Errorf("as_of %v", r.AsOf)
	}
}

func TestActivityPagination(t *testing.T) {
	e := newEnv(t)
	read := e.client(e.tokens["acme/read"])
	seen := map[string]bool{}
	q := apiv1.ActivityQuery{Limit: 4}
	pages := 0
	for {
		page, err := read.Activity(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range page.Events {
			if seen[ev.Key] {
				t.Fatalf("event %s on two pages", ev.Key)
			}
			seen[ev.Key] = true
		}
		pages++
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
	}
	if len(seen) != e.eventCount() || pages < 3 {
		t.Fatalf("paged %d events in %d pages, store has %d", len(seen), pages, e.eventCount())
	}
	manyKinds := "kind=" + strings.TrimSuffix(strings.Repeat("payment.paid,", 51), ",")
	for _, bad := range []string{"limit=0", "limit=abc", "limit=501", "cursor=-4", "kind=payment.vanished", manyKinds,
		"kind=" + strings.TrimSuffix(strings.Repeat("payment.paid,", 32000), ",")} {
		err := read.Do(ctx, "GET", apiv1.PathActivity, query(t, bad), nil, nil)
		if ae := apiError(t, err); ae.StatusCode != 400 || ae.Code != apiv1.CodeInvalidParameter {
			t.Errorf("%.40s: %+v", bad, ae)
		}
	}
}

func TestPerformance(t *testing.T) {
	e := newEnv(t)
	read := e.client(e.tokens["acme/read"])
	q := apiv1.PerformanceQuery{GroupBy: apiv1.GroupByCampaign, From: "2026-11-01", To: "2026-11-20"}
	r, err := read.Performance(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Rows) != 2 {
		t.Fatalf("rows: %+v", r.Rows)
	}
	summer := r.Rows[0]
	if summer.Group != "summer" || summer.CPM == nil || *summer.CPM != 9.0 || summer.CPMBasis != "impressions" {
		t.Fatalf("summer: %+v", summer)
	}
	maxCPM := 10.0
	q.MaxCPM = &maxCPM
	if r, err := read.Performance(ctx, q); err != nil || len(r.Rows) != 1 {
		t.Fatalf("max_cpm=10 should drop winter (CPM 15): %+v %v", r, err)
	}
	for _, bad := range []string{"group_by=week", "from=yesterday", "from=2026-11-10&to=2026-11-01", "max_cpm=-1", "max_cpm=cheap", "max_cpm=NaN", "max_cpm=Inf", "from=2020-01-01&to=2026-01-01"} {
		if err := read.Do(ctx, "GET", apiv1.PathPerformance, query(t, bad), nil, nil); status(t, err) != 400 {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

func TestPerformanceByDaySplitsEachGroup(t *testing.T) {
	e := newEnv(t)
	read := e.client(e.tokens["acme/read"])
	q := apiv1.PerformanceQuery{GroupBy: apiv1.GroupByCampaign, From: "2026-11-01", To: "2026-11-20"}
	whole, err := read.Performance(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	q.ByDay = true
	daily, err := read.Performance(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	// Each group's days add up to the group's row over the whole range.
	sums := map[string]*apiv1.PerformanceRow{}
	for _, r := range daily.Rows {
		if r.Day < q.From || r.Day > q.To {
			t.Errorf("row of day %q outside %s..%s", r.Day, q.From, q.To)
		}
		k := r.Group + "/" + r.Currency
		if sums[k] == nil {
			sums[k] = &apiv1.PerformanceRow{}
		}
		sums[k].Counts.Add(r.Counts)
		sums[k].Cost.Minor += r.Cost.Minor
		sums[k].Revenue.Minor += r.Revenue.Minor
	}
	if len(sums) != len(whole.Rows) || !daily.ByDay || len(daily.Rows) <= len(whole.Rows) {
		t.Fatalf("%d groups by day, %d whole (%d daily rows)", len(sums), len(whole.Rows), len(daily.Rows))
	}
	for _, w := range whole.Rows {
		s := sums[w.Group+"/"+w.Currency]
		if s == nil || s.Counts != w.Counts || s.Cost.Minor != w.Cost.Minor || s.Revenue.Minor != w.Revenue.Minor {
			t.Errorf("%s: days sum to %+v, whole range %+v", w.Group, s, w)
		}
	}
	// The CPM threshold judges a group over the range: summer (CPM 9)
	// keeps every day, winter (15) none.
	maxCPM := 10.0
	q.MaxCPM = &maxCPM
	cheap, err := read.Performance(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, r := range daily.Rows {
		if r.Group == "summer" {
			want++
		}
	}
	for _, r := range cheap.Rows {
		if r.Group != "summer" {
			t.Errorf("max_cpm=10 kept %s on %s", r.Group, r.Day)
		}
	}
	if len(cheap.Rows) != want || want == 0 {
		t.Fatalf("max_cpm=10 kept %d rows, summer has %d", len(cheap.Rows), want)
	}
	for _, bad := range []string{"by_day=yes", "by_day=true&group_by=day", "by_day=true"} {
		if err := read.Do(ctx, "GET", apiv1.PathPerformance, query(t, bad), nil, nil); status(t, err) != 400 || !hasPath(apiError(t, err), "by_day") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

func TestActivitySinceIDFollowsStorageOrder(t *testing.T) {
	e := newEnv(t)
	ingest, read := e.client(e.tokens["acme/ingest"]), e.client(e.tokens["acme/read"])
	follow := func(since int64) (last int64, got []apiv1.Activity) {
		last = since
		for {
			page, err := read.Activity(ctx, apiv1.ActivityQuery{SinceID: &last, Limit: 3})
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range page.Events {
				if a.ID <= last || a.Tenant != "acme" {
					t.Fatalf("event %d (%s) after %d", a.ID, a.Tenant, last)
				}
				last = a.ID
			}
			got = append(got, page.Events...)
			if page.NextCursor == "" {
				return last, got
			}
			if page.NextCursor != strconv.FormatInt(last, 10) {
				t.Fatalf("next_cursor %q, last id %d", page.NextCursor, last)
			}
		}
	}
	last, all := follow(0)
	if len(all) != e.eventCount() {
		t.Fatalf("followed %d events, store has %d", len(all), e.eventCount())
	}
	// A backdated event sorts deep in the feed but is next to a follower;
	// another tenant's event is never shown.
	if _, err := e.client(e.tokens["globex/ingest"]).PushJSON(ctx, "", []byte(`{"events":[{"key":"theirs","kind":"payment.paid","occurred_at":"2026-11-20T00:00:00Z"}]}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.PushJSON(ctx, "", []byte(`{"events":[{"key":"backdated","kind":"payment.paid","occurred_at":"2025-01-01T00:00:00Z"},
		{"key":"fresh","kind":"video.uploaded","occurred_at":"2026-11-20T00:00:00Z"}]}`)); err != nil {
		t.Fatal(err)
	}
	_, next := follow(last)
	if len(next) != 2 || next[0].Key != "backdated" || next[1].Key != "fresh" {
		t.Fatalf("after %d: %+v", last, next)
	}
	for _, bad := range []string{"since_id=-1", "since_id=abc", "since_id=1&cursor=1_1", "since_id=99999999999999999999"} {
		if err := read.Do(ctx, "GET", apiv1.PathActivity, query(t, bad), nil, nil); status(t, err) != 400 || !hasPath(apiError(t, err), "since_id") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

func TestWhoAmI(t *testing.T) {
	e := newEnv(t)
	for _, key := range []string{"acme/read", "globex/ingest"} {
		me, err := e.client(e.tokens[key]).WhoAmI(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := me.Tenant + "/" + me.Scope; got != key || me.TokenID == "" {
			t.Errorf("%s: whoami says %+v", key, me)
		}
	}
	if _, err := e.client("cc_nope").WhoAmI(ctx); status(t, err) != 401 {
		t.Fatalf("unknown token: %v", err)
	}
}

func TestEntities(t *testing.T) {
	e := newEnv(t)
	read := e.client(e.tokens["acme/read"])
	q := apiv1.EntitiesQuery{Statuses: []string{"submitted"}, Limit: 2}
	r, err := read.Entities(ctx, sdk.EntityVideo, q)
	if err != nil || len(r.Items) != 2 || r.NextCursor == "" {
		t.Fatalf("%+v %v", r, err)
	}
	q.Cursor = r.NextCursor
	if r, err := read.Entities(ctx, sdk.EntityVideo, q); err != nil || len(r.Items) != 1 || r.NextCursor != "" {
		t.Fatalf("second page: %+v %v", r, err)
	}
	_, err = read.Entities(ctx, "spaceship", apiv1.EntitiesQuery{})
	if ae := apiError(t, err); ae.StatusCode != 404 || !strings.Contains(ae.Message, "payment") {
		t.Fatalf("unknown type: %+v", ae)
	}
	if _, err := read.Entities(ctx, sdk.EntityVideo, apiv1.EntitiesQuery{Statuses: []string{"lost"}}); status(t, err) != 400 {
		t.Fatalf("unknown status: %v", err)
	}
	many := make([]string, 51)
	for i := range many {
		many[i] = "submitted"
	}
	if _, err := read.Entities(ctx, sdk.EntityVideo, apiv1.EntitiesQuery{Statuses: many}); status(t, err) != 400 || !strings.Contains(err.Error(), "at most 50 values") {
		t.Fatalf("51 statuses: %v", err)
	}
}

func TestWorklistIsSortedByUrgency(t *testing.T) {
	e := newEnv(t)
	r, err := e.client(e.tokens["acme/read"]).Worklist(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, it := range r.Items {
		kinds = append(kinds, it.Kind+":"+it.Entity.ID)
	}
	want := []string{
		"payment_overdue:pay-late", "scraper_failing:tiktok-views", "contract_expiring:con-luna",
		"signature_pending:con-kai", "video_review:v-review-1", "payment_due:pay-soon",
		"video_review:v-review-2", "video_review:v-review-3",
	}
	if strings.Join(kinds, " ") != strings.Join(want, " ") {
		t.Fatalf("worklist\n got %v\nwant %v", kinds, want)
	}
}

// follow streams changes for token into a channel until the test ends.
func (e *env) follow(token string) <-chan apiv1.Change {
	changes := make(chan apiv1.Change, 100)
	sctx, cancel := context.WithCancel(ctx)
	e.t.Cleanup(cancel)
	go e.client(token).Stream(sctx, func(c apiv1.Change) error {
		changes <- c
		return nil
	})
	return changes
}

// pushUntilSeen pushes a fresh event of kind as token every 50 ms until
// the stream changes reports one (so the stream is surely connected).
func (e *env) pushUntilSeen(token, kind string, changes <-chan apiv1.Change) {
	e.t.Helper()
	deadline := time.After(10 * time.Second)
	for i := 0; ; i++ {
		body := fmt.Sprintf(`{"events":[{"key":"live-%s-%d","kind":%q,"occurred_at":"2026-11-20T11:00:00Z"}]}`, kind, i, kind)
		if _, err := e.client(token).PushJSON(ctx, "", []byte(body)); err != nil {
			e.t.Fatal(err)
		}
		select {
		case c := <-changes:
			if c.Events[kind] == 0 {
				e.t.Fatalf("stream sent %+v, want a change with %s", c, kind)
			}
			return
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			e.t.Fatalf("no %s change on the stream within 10s", kind)
		}
	}
}

func TestStreamSendsChangesOfOwnTenantOnly(t *testing.T) {
	e := newEnv(t)
	globex := e.follow(e.tokens["globex/read"])
	e.pushUntilSeen(e.tokens["globex/ingest"], sdk.KindPaymentPaid, globex)
	// Drain globex's own changes, then acme writes while both listen.
	for len(globex) > 0 {
		<-globex
	}
	acme := e.follow(e.tokens["acme/read"])
	e.pushUntilSeen(e.tokens["acme/ingest"], sdk.KindVideoApproved, acme)
	select {
	case c := <-globex:
		t.Fatalf("globex got acme's change: %+v", c)
	case <-time.After(300 * time.Millisecond):
	}
}

func TestHealthAndUnknownRoutes(t *testing.T) {
	e := newEnv(t)
	anon := e.client("")
	if err := anon.Healthy(ctx); err != nil {
		t.Fatalf("healthz %v", err)
	}
	if err := anon.Ready(ctx); err != nil {
		t.Fatalf("readyz %v", err)
	}
	read := e.client(e.tokens["acme/read"])
	if ae := apiError(t, read.Do(ctx, "GET", "/api/v1/nothing", nil, nil, nil)); ae.StatusCode != 404 || ae.Code != apiv1.CodeNotFound {
		t.Fatalf("unknown route %+v", ae)
	}
	for path, allow := range map[string]string{apiv1.PathEvents: "POST", apiv1.PathStats: "GET", apiv1.PathEntities + "video": "GET"} {
		ae := apiError(t, read.Do(ctx, "DELETE", path, nil, nil, nil))
		if ae.StatusCode != 405 || ae.Code != apiv1.CodeMethodNotAllowed || ae.Header.Get("Allow") != allow {
			t.Errorf("DELETE %s: %+v Allow=%q", path, ae, ae.Header.Get("Allow"))
		}
	}
}

func TestLockedDatabaseAnswers503AndStoresNothing(t *testing.T) {
	e := newEnv(t, store.Options{BusyTimeout: 100 * time.Millisecond})
	// Another process holding the write lock: SQLite locks the file, so a
	// second connection stands in for it.
	other, err := sql.Open("sqlite3", "file:"+e.store.Path()+"?_txlock=exclusive")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.Begin()
	if err != nil {
		t.Fatal(err)
	}
	before := e.eventCount()
	ingest := e.client(e.tokens["acme/ingest"])
	body := []byte(`{"events":[{"key":"during-lock","kind":"payment.paid","occurred_at":"2026-11-20T10:00:00Z"}]}`)
	_, err = ingest.PushJSON(ctx, "", body)
	if ae := apiError(t, err); ae.StatusCode != 503 || ae.Code != apiv1.CodeDatabaseLocked || ae.Header.Get("Retry-After") == "" {
		t.Fatalf("got %+v", ae)
	}
	tx.Rollback()
	if n := e.eventCount(); n != before {
		t.Fatalf("%d events stored while locked", n-before)
	}
	if _, err := ingest.PushJSON(ctx, "", body); err != nil {
		t.Fatalf("retry after the lock: %v", err)
	}
}

// A body that is not the API's (a proxy's error page) still comes back as
// an *apiv1.Error with its status.
func TestClientReportsForeignErrors(t *testing.T) {
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "<html>bad gateway</html>", http.StatusBadGateway)
	}))
	defer proxy.Close()
	c, err := apiv1.New(apiv1.Config{URL: proxy.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Stats(ctx)
	if ae := apiError(t, err); ae.StatusCode != 502 || ae.Code != "http_502" || !strings.Contains(ae.Message, "bad gateway") {
		t.Fatalf("%+v", ae)
	}
	if _, err := apiv1.New(apiv1.Config{URL: "127.0.0.1:9464"}); err == nil {
		t.Fatal("a URL without scheme accepted")
	}
}

func TestHostileBodiesAreRefusedAndStoreNothing(t *testing.T) {
	e := newEnv(t)
	ingest := e.client(e.tokens["acme/ingest"])
	before := e.eventCount()
	item := func(key string) string {
		return `{"key":` + key + `,"kind":"payment.paid","occurred_at":"2026-11-20T10:00:00Z"}`
	}
	cases := []struct {
		name, body, path, message string
	}{
		{"nested arrays", `{"events":[{"key":"k","kind":"payment.paid","occurred_at":"2026-11-20T10:00:00Z","attrs":{"a":` +
			strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}}]}`, "$.events[0].attrs.a" + strings.Repeat("[0]", 28), "nested deeper than 32 levels"},
		{"nested objects", strings.Repeat(`{"a":`, 50) + "1" + strings.Repeat("}", 50), "$" + strings.Repeat(".a", 32), "nested deeper than 32 levels"},
		{"case-variant top-level keys", `{"events":[` + item(`"a"`) + `],"EVENTS":[` + item(`"b"`) + `]}`, "$.EVENTS", `"events" and "EVENTS" differ only in case`},
		{"Unicode case variant (ſ folds to s)", `{"events":[` + item(`"a"`) + `],"eventſ":[` + item(`"b"`) + `]}`, "$.eventſ", "keys outside attrs are ASCII field names"},
		{"case-variant item keys", `{"events":[{"key":"a","KEY":"b","kind":"payment.paid","occurred_at":"2026-11-20T10:00:00Z"}]}`, "$.events[0].KEY", "differ only in case"},
		{"invalid UTF-8", `{"events":[` + item("\"k\xff\"") + `]}`, "$", "not valid UTF-8 at byte 20"},
		{"lone high surrogate", `{"events":[` + item(`"k\ud800"`) + `]}`, "$", "lone UTF-16 surrogate"},
		{"lone low surrogate", `{"events":[` + item(`"k\udc00"`) + `]}`, "$", "lone UTF-16 surrogate"},
		{"high surrogate before a letter", `{"events":[` + item(`"\ud800\u0041"`) + `]}`, "$", "lone UTF-16 surrogate"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ingest.PushJSON(ctx, "", []byte(tc.body))
			ae := apiError(t, err)
			if ae.StatusCode != 400 || !hasPath(ae, tc.path) || !strings.Contains(ae.Message, tc.message) {
				t.Fatalf("got %d %+v, want 400 at %s saying %q", ae.StatusCode, ae, tc.path, tc.message)
			}
			if n := e.eventCount(); n != before {
				t.Fatalf("%d events stored by a refused body", n-before)
			}
		})
	}
	// What is not hostile still passes: a real surrogate pair (an emoji),
	// case variants inside free-form attrs, escapes next to each other.
	r, err := ingest.PushJSON(ctx, "", []byte(`{"events":[{"key":"smile-\ud83d\ude00-\n\"","kind":"payment.paid","occurred_at":"2026-11-20T10:00:00Z","attrs":{"Name":1,"name":2}}]}`))
	if err != nil || r.NewEvents != 1 {
		t.Fatalf("a valid body: %+v %v", r, err)
	}
}

// A body of deep nesting must cost memory in proportion to its size, not
// to its depth squared: a 3 MB one once took the process out of memory.
func TestDeepNestingCostsLittleMemory(t *testing.T) {
	body := []byte(`{"events":[` + strings.Repeat("[", 3<<20) + strings.Repeat("]", 3<<20) + `]}`)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	p := checkJSON(body)
	runtime.ReadMemStats(&after)
	if p == nil || !strings.Contains(p.Message, "nested deeper") {
		t.Fatalf("6 MB of nesting accepted: %+v", p)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(len(body)) {
		t.Fatalf("checking a %d-byte body allocated %d bytes", len(body), alloc)
	}
}

// Event keys are unique per tenant: another tenant using the same key is
// neither dropped nor told the key exists.
func TestEventKeysAreUniquePerTenant(t *testing.T) {
	e := newEnv(t)
	body := []byte(`{"events":[{"key":"shared-1","kind":"payment.paid","occurred_at":"2026-11-20T10:00:00Z"}]}`)
	for _, tenant := range []string{"acme", "globex"} {
		r, err := e.client(e.tokens[tenant+"/ingest"]).PushJSON(ctx, "", body)
		if err != nil || r.NewEvents != 1 || r.Duplicates != 0 {
			t.Fatalf("%s: %+v %v", tenant, r, err)
		}
	}
	r, err := e.client(e.tokens["globex/ingest"]).PushJSON(ctx, "", body)
	if err != nil || r.NewEvents != 0 || r.Duplicates != 1 {
		t.Fatalf("globex resending its own: %+v %v", r, err)
	}
}

// Only what the client sent counts as a duplicate: milestones derived again
// from re-sent daily metrics are the server's business.
func TestRederivedMilestonesAreNotDuplicates(t *testing.T) {
	e := newEnv(t)
	body := []byte(`{"daily_metrics":[{"campaign":"summer","video":"v-live","influencer":"luna","platform":"tiktok","day":"2026-11-19","views":60000}]}`)
	for range 2 {
		r, err := e.client(e.tokens["acme/ingest"]).PushJSON(ctx, "", body)
		if err != nil || r.Duplicates != 0 {
			t.Fatalf("daily metrics only: %+v %v", r, err)
		}
	}
}

// The feed is newest first by when things happened, and its cursor holds
// while new events arrive.
func TestActivityIsOrderedByOccurrenceWithAStableCursor(t *testing.T) {
	e := newEnv(t)
	ingest, read := e.client(e.tokens["acme/ingest"]), e.client(e.tokens["acme/read"])
	// Stored last, happened long ago: it belongs at the end of the feed.
	if _, err := ingest.PushJSON(ctx, "", []byte(`{"events":[{"key":"backdated","kind":"payment.paid","occurred_at":"2025-01-01T00:00:00Z"}]}`)); err != nil {
		t.Fatal(err)
	}
	var all []apiv1.Activity
	q := apiv1.ActivityQuery{Limit: 5}
	for page := 0; ; page++ {
		r, err := read.Activity(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, r.Events...)
		if page == 0 {
			// Arrivals between pages sort above the cursor (not shown on
			// later pages) or below it (shown once); nothing else moves.
			if _, err := ingest.PushJSON(ctx, "", []byte(`{"events":[
				{"key":"late-newest","kind":"payment.paid","occurred_at":"2026-11-21T00:00:00Z"},
				{"key":"late-old","kind":"payment.paid","occurred_at":"2025-06-01T00:00:00Z"}]}`)); err != nil {
				t.Fatal(err)
			}
		}
		if r.NextCursor == "" {
			break
		}
		q.Cursor = r.NextCursor
	}
	seen := map[string]bool{}
	for i, a := range all {
		if seen[a.Key] {
			t.Fatalf("%s shown twice", a.Key)
		}
		seen[a.Key] = true
		if i > 0 && (a.OccurredAt.After(all[i-1].OccurredAt) || a.OccurredAt.Equal(all[i-1].OccurredAt) && a.ID > all[i-1].ID) {
			t.Fatalf("feed out of order at %d: %s (%v) after %s (%v)", i, a.Key, a.OccurredAt, all[i-1].Key, all[i-1].OccurredAt)
		}
	}
	if all[len(all)-1].Key != "backdated" || !seen["late-old"] || seen["late-newest"] || len(all) != e.eventCount()-1 {
		t.Fatalf("last %s, %d events paged of %d: %v", all[len(all)-1].Key, len(all), e.eventCount(), seen)
	}
}

// An unauthenticated request that declares a body and never sends it is
// answered at once and its connection closed, not held open.
func TestRefusedRequestsDoNotWaitForTheirBody(t *testing.T) {
	e := newEnv(t)
	// A server with the default, minute-long read timeout.
	conn, err := net.Dial("tcp", serveWithLimits(t, e.store, config.Default().API))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "POST /api/v1/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
	conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer without the body: %v", err)
	}
	if resp.StatusCode != 401 || !resp.Close {
		t.Fatalf("status %d, close %v", resp.StatusCode, resp.Close)
	}
	// And the connection is let go at once, not held for the body.
	if _, err := conn.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("the connection stayed open after the refusal: %v", err)
	}
}

// Slow and idle clients are cut off and connections bounded, so a flood of
// silent connections cannot take /healthz (or the process's file
// descriptors) away.
func TestSilentConnectionsAreCutOff(t *testing.T) {
	cfg := config.Default().API
	cfg.ReadTimeout, cfg.IdleTimeout, cfg.MaxConnections = model.Duration(300*time.Millisecond), model.Duration(300*time.Millisecond), 8
	addr := serveWithLimits(t, storetest.Open(t), cfg)

	var silent []net.Conn
	for range 20 { // more than the limit: the rest wait in the backlog
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		silent = append(silent, c)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	start := time.Now()
	resp, err := client.Get("http://" + addr + apiv1.PathHealthz)
	if err != nil {
		t.Fatalf("/healthz behind 20 silent connections: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || time.Since(start) > 5*time.Second {
		t.Fatalf("/healthz answered %d after %s", resp.StatusCode, time.Since(start))
	}
	// The first silent connection was closed by the server.
	silent[0].SetReadDeadline(time.Now().Add(3 * time.Second))
	if _, err := silent[0].Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("a silent connection was not closed: %v", err)
	}
}

// Every refused batch counts, by the API's error code, and every reason
// exists at 0 from the start so increase() sees the first one.
func TestEveryRefusedBatchIsCounted(t *testing.T) {
	e := newEnv(t)
	srv, routes := testServer(e.store, 4096)
	ing := srv.Ingester
	ing.InitSources("api")
	hs := httptest.NewServer(routes)
	defer hs.Close()
	e.url = hs.URL
	if n := testutil.CollectAndCount(ing.Metrics.Rejected); n != len(collector.RejectReasons) {
		t.Fatalf("%d rejection series before any refusal, want %d", n, len(collector.RejectReasons))
	}
	ingest := e.client(e.tokens["acme/ingest"])
	refusals := []struct {
		client *apiv1.Client
		body   string
		reason string
	}{
		{ingest, `{"events":[`, apiv1.CodeMalformedJSON},
		{ingest, `{"evnts":[]}`, apiv1.CodeInvalidBatch},
		{ingest, `{"events":[{"key":"k","kind":"payment.stolen","occurred_at":"2026-11-20T10:00:00Z"}]}`, apiv1.CodeInvalidBatch},
		{ingest, `{"events":[{"key":"k","tenant":"globex","kind":"payment.paid","occurred_at":"2026-11-20T10:00:00Z"}]}`, apiv1.CodeWrongTenant},
		{ingest, `{"events":[{"key":"` + strings.Repeat("k", 5000) + `"}]}`, apiv1.CodeBodyTooLarge},
		{e.client(e.tokens["acme/read"]), `{"events":[]}`, apiv1.CodeForbidden},
	}
	for _, r := range refusals {
		if _, err := r.client.PushJSON(ctx, "", []byte(r.body)); err == nil {
			t.Fatalf("%s accepted", r.reason)
		}
	}
	for _, reason := range collector.RejectReasons {
		want := 0.0
		for _, r := range refusals {
			if r.reason == reason {
				want++
			}
		}
		if got := testutil.ToFloat64(ing.Metrics.Rejected.WithLabelValues("api", reason)); got != want {
			t.Errorf("rejected{reason=%q} = %v, want %v", reason, got, want)
		}
	}
}

// Every unknown field is named at once, as every other problem is.
func TestEveryUnknownFieldIsNamed(t *testing.T) {
	e := newEnv(t)
	_, err := e.client(e.tokens["acme/ingest"]).PushJSON(ctx, "", []byte(`{"events":[
		{"key":"k","kind":"payment.paid","occurred_at":"2026-11-20T10:00:00Z","colour":"red","size":3},
		{"key":"k2","kind":"payment.paid","occurred_at":"2026-11-20T10:00:00Z","weight":1}]}`))
	ae := apiError(t, err)
	for _, path := range []string{"events[0].colour", "events[0].size", "events[1].weight"} {
		if !hasPath(ae, path) {
			t.Errorf("%s not named: %+v", path, ae.Details)
		}
	}
	if len(ae.Details) != 3 {
		t.Errorf("%d problems, want 3: %+v", len(ae.Details), ae.Details)
	}
}

// Quantities are bounded and every sum is safe: huge numbers are refused
// by name, and totals of many large rows saturate instead of failing with
// a 500 or turning negative.
func TestHugeNumbersNeverBreakSums(t *testing.T) {
	e := newEnv(t)
	e.url = newServer(t, e.store, config.Default().API.MaxBodyBytes)
	ingest, read := e.client(e.tokens["acme/ingest"]), e.client(e.tokens["acme/read"])
	_, err := ingest.PushJSON(ctx, "", []byte(`{"daily_metrics":[{"campaign":"c","platform":"tiktok","day":"2026-11-19",
		"views":9223372036854775807,"cost":{"minor":9223372036854775807,"currency":"EUR"}}]}`))
	if ae := apiError(t, err); ae.StatusCode != 422 || !hasPath(ae, "daily_metrics[0].views") || !hasPath(ae, "daily_metrics[0].cost.minor") {
		t.Fatalf("int64 max accepted: %+v", ae)
	}
	// 10,000 rows at the bounds: their sums pass the int64 limit.
	rows := make([]string, 10_000)
	for i := range rows {
		rows[i] = fmt.Sprintf(`{"campaign":"huge","influencer":"i%d","platform":"tiktok","day":"2026-11-19","impressions":%d,"views":%d,`+
			`"cost":{"minor":%d,"currency":"EUR"},"revenue":{"minor":%d,"currency":"EUR"}}`, i, sdk.MaxCount, sdk.MaxCount, sdk.MaxMinor, sdk.MaxMinor)
	}
	if _, err := ingest.PushJSON(ctx, "", []byte(`{"daily_metrics":[`+strings.Join(rows, ",")+`]}`)); err != nil {
		t.Fatalf("rows at the bounds: %v", err)
	}
	perf, err := read.Performance(ctx, apiv1.PerformanceQuery{GroupBy: apiv1.GroupByCampaign, Campaign: "huge", From: "2026-11-19", To: "2026-11-19"})
	if err != nil || len(perf.Rows) != 1 {
		t.Fatalf("performance: %+v %v", perf, err)
	}
	if r := perf.Rows[0]; r.Cost.Minor != math.MaxInt64 || r.Views != 10_000*sdk.MaxCount || r.Cost.Minor < 0 || r.Revenue.Minor < 0 {
		t.Fatalf("sums %+v", r)
	}
	stats, err := read.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range append(stats.Stats.Revenue, stats.Stats.Cost...) {
		if m.Minor < 0 {
			t.Fatalf("a negative total on /stats: %+v", stats.Stats)
		}
	}
}

// Why a batch could not be stored decides the answer: a full disk is a 503
// with Retry-After that says so, not a generic 500.
func TestStoreFailuresAnswerWhatHappened(t *testing.T) {
	cases := []struct {
		err        error
		status     int
		code       string
		retryAfter string
	}{
		{fmt.Errorf("applying: %w", store.ErrDiskFull), 503, apiv1.CodeDiskFull, "60"},
		{fmt.Errorf("applying: %w", store.ErrLocked), 503, apiv1.CodeDatabaseLocked, "5"},
		{&sdk.ValidationError{Problems: []sdk.Problem{{Path: "events[0].kind", Message: "unknown"}}}, 422, apiv1.CodeInvalidBatch, ""},
		{errors.New("disk I/O error"), 500, apiv1.CodeInternal, ""},
	}
	for _, tc := range cases {
		rec := httptest.NewRecorder()
		writeStoreError(rec, tc.err)
		var body apiv1.ErrorBody
		json.Unmarshal(rec.Body.Bytes(), &body)
		if rec.Code != tc.status || body.Error == nil || body.Error.Code != tc.code || rec.Header().Get("Retry-After") != tc.retryAfter {
			t.Errorf("%v: %d %s Retry-After=%q", tc.err, rec.Code, rec.Body.String(), rec.Header().Get("Retry-After"))
		}
	}
}

// The read timeout cuts off slow requests, not live streams: a /stream
// outlives it, keep-alives and all.
func TestStreamsOutliveTheReadTimeout(t *testing.T) {
	e := newEnv(t)
	cfg := config.Default().API
	cfg.ReadTimeout = model.Duration(300 * time.Millisecond)
	req, _ := http.NewRequest("GET", "http://"+serveWithLimits(t, e.store, cfg)+apiv1.PathStream, nil)
	req.Header.Set("Authorization", "Bearer "+e.tokens["acme/read"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	deadline := time.Now().Add(1200 * time.Millisecond)
	for time.Now().Before(deadline) {
		if _, err := r.ReadString('\n'); err != nil {
			t.Fatalf("the stream ended after %s: %v", 1200*time.Millisecond-time.Until(deadline), err)
		}
	}
}

// One token cannot hold every connection the server allows with streams.
func TestStreamsPerTokenAreBounded(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	open := func() *http.Response {
		req, _ := http.NewRequestWithContext(ctx, "GET", e.url+apiv1.PathStream, nil)
		req.Header.Set("Authorization", "Bearer "+e.tokens["acme/read"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	var streams []*http.Response
	for range maxStreamsPerToken {
		resp := open()
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("stream %d: %d", len(streams), resp.StatusCode)
		}
		streams = append(streams, resp)
	}
	extra := open()
	extra.Body.Close()
	if extra.StatusCode != 429 || extra.Header.Get("Retry-After") == "" {
		t.Fatalf("stream %d: %d", maxStreamsPerToken+1, extra.StatusCode)
	}
	// Closing one frees its place.
	streams[0].Body.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		again := open()
		again.Body.Close()
		if again.StatusCode == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a closed stream's place was not freed: %d", again.StatusCode)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
