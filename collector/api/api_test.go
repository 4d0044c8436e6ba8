package api

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/commandcenter/commandcenter/collector"
	"github.com/commandcenter/commandcenter/collector/store"
	"github.com/commandcenter/commandcenter/collector/store/storetest"
)

type env struct {
	t      *testing.T
	store  *store.Store
	url    string
	tokens map[string]string // "acme/read" → secret
}

func newEnv(t *testing.T, opts ...store.Options) *env {
	t.Helper()
	st := storetest.Open(t, opts...)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg := prometheus.NewRegistry()
	srv := &Server{
		Store:        st,
		Ingester:     &collector.Ingester{Store: st, Metrics: collector.NewMetrics(reg), Logger: logger},
		Logger:       logger,
		MaxBodyBytes: 64 << 10,
		Now:          func() time.Time { return storetest.Now },
		Heartbeat:    50 * time.Millisecond,
	}
	hs := httptest.NewServer(srv.Routes(reg))
	t.Cleanup(hs.Close)
	e := &env{t: t, store: st, url: hs.URL, tokens: map[string]string{}}
	for _, tenant := range []string{"acme", "globex"} {
		for _, scope := range []string{store.ScopeRead, store.ScopeIngest} {
			_, secret, err := st.CreateToken(context.Background(), tenant, scope, "test", 0)
			if err != nil {
				t.Fatal(err)
			}
			e.tokens[tenant+"/"+scope] = secret
		}
	}
	return e
}

type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (e *env) do(method, path, token, body string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	json.Unmarshal(raw, &r.body)
	return r
}

func (e *env) eventCount() int {
	acts, _, err := e.store.Activity(context.Background(), store.ActivityQuery{Tenant: "acme", Limit: 100000})
	if err != nil {
		e.t.Fatal(err)
	}
	return len(acts)
}

func errorCode(r response) string {
	if e, ok := r.body["error"].(map[string]any); ok {
		return fmt.Sprint(e["code"])
	}
	return ""
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	expired := func() string {
		_, s, _ := e.store.CreateToken(context.Background(), "acme", store.ScopeAdmin, "", time.Nanosecond)
		return s
	}()
	cases := []struct {
		name, method, path, token string
		want                      int
	}{
		{"no token", "GET", "/api/v1/stats", "", 401},
		{"unknown token", "GET", "/api/v1/stats", "cc_notatoken", 401},
		{"not our format", "GET", "/api/v1/stats", "Basic abc", 401},
		{"expired token", "GET", "/api/v1/stats", expired, 401},
		{"read token cannot ingest", "POST", "/api/v1/events", e.tokens["acme/read"], 403},
		{"read token reads", "GET", "/api/v1/stats", e.tokens["acme/read"], 200},
		{"ingest token reads too", "GET", "/api/v1/stats", e.tokens["acme/ingest"], 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.method, tc.path, tc.token, `{}`)
			if r.status != tc.want {
				t.Fatalf("status %d, want %d: %s", r.status, tc.want, r.raw)
			}
			if tc.want == 401 && (r.header.Get("WWW-Authenticate") == "" || strings.Contains(r.raw, "acme")) {
				t.Fatalf("401 must ask for a bearer token and leak nothing: %v %s", r.header, r.raw)
			}
		})
	}
}

func TestTokensNeverSeeAnotherTenant(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/api/v1/stats", e.tokens["globex/read"], "")
	stats := r.body["stats"].(map[string]any)
	if stats["tenant"] != "globex" || len(stats["platforms"].([]any)) != 0 {
		t.Fatalf("globex stats: %s", r.raw)
	}
	for _, path := range []string{"/api/v1/entities/payment", "/api/v1/activity", "/api/v1/worklist", "/api/v1/performance?group_by=campaign"} {
		r := e.do("GET", path, e.tokens["globex/read"], "")
		if r.status != 200 || strings.Contains(r.raw, `"acme"`) || strings.Contains(r.raw, "pay-soon") || strings.Contains(r.raw, "summer") {
			t.Errorf("%s leaks acme data to a globex token: %s", path, r.raw)
		}
	}
	// Writing into another tenant is refused, item by item.
	r = e.do("POST", "/api/v1/events", e.tokens["globex/ingest"],
		`{"events":[{"key":"x","tenant":"acme","kind":"payment.paid","occurred_at":"2026-11-20T10:00:00Z"}]}`)
	if r.status != 403 || !strings.Contains(r.raw, "events[0].tenant") {
		t.Fatalf("cross-tenant write: %d %s", r.status, r.raw)
	}
}

func TestPostEventsRejectsBadInputAndStoresNothing(t *testing.T) {
	e := newEnv(t)
	ingest := e.tokens["acme/ingest"]
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
		{"body over the limit", `{"events":[` + strings.Join(bigItems, ",") + `]}`, 413, "body_too_large", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", "/api/v1/events", ingest, tc.body)
			if r.status != tc.status || errorCode(r) != tc.code {
				t.Fatalf("got %d %s, want %d %s: %s", r.status, errorCode(r), tc.status, tc.code, r.raw)
			}
			if tc.path != "" && !strings.Contains(r.raw, `"path":"`+tc.path+`"`) {
				t.Fatalf("error does not name %s: %s", tc.path, r.raw)
			}
			if strings.Contains(r.raw, "goroutine") || strings.Contains(r.raw, ".go:") {
				t.Fatalf("stack trace in response: %s", r.raw)
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
	// A server with a body limit large enough for the batch.
	st := e.store
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	reg := prometheus.NewRegistry()
	srv := &Server{Store: st, Ingester: &collector.Ingester{Store: st, Metrics: collector.NewMetrics(reg), Logger: logger}, Logger: logger}
	hs := httptest.NewServer(srv.Routes(reg))
	defer hs.Close()
	e.url = hs.URL
	before := e.eventCount()
	r := e.do("POST", "/api/v1/events", e.tokens["acme/ingest"], `{"events":[`+strings.Join(items, ",")+`]}`)
	if r.status != 422 || !strings.Contains(r.raw, "events[9876].kind") {
		t.Fatalf("got %d: %.300s", r.status, r.raw)
	}
	if n := e.eventCount(); n != before {
		t.Fatalf("%d events stored", n-before)
	}
}

func TestPostEventsStoresDuplicatesOnce(t *testing.T) {
	e := newEnv(t)
	body := `{"events":[
		{"key":"wh-1","kind":"video.uploaded","entity":{"type":"video","id":"v-next"},"occurred_at":"2026-11-20T10:00:00Z","attrs":{"by":"webhook"}},
		{"key":"wh-1","kind":"video.uploaded","entity":{"type":"video","id":"v-next"},"occurred_at":"2026-11-20T10:00:00Z"}]}`
	before := e.eventCount()
	r := e.do("POST", "/api/v1/events?source=webhook", e.tokens["acme/ingest"], body)
	if r.status != 200 || r.body["new_events"] != 1.0 || r.body["duplicates"] != 1.0 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	r = e.do("POST", "/api/v1/events?source=webhook", e.tokens["acme/ingest"], body)
	if r.status != 200 || r.body["new_events"] != 0.0 || r.body["duplicates"] != 2.0 {
		t.Fatalf("resend: %d %s", r.status, r.raw)
	}
	if n := e.eventCount(); n != before+1 {
		t.Fatalf("stored %d events, want 1", n-before)
	}
}

func TestPayingThroughThePushAPIClosesThePayment(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/api/v1/events", e.tokens["acme/ingest"],
		`{"entities":[{"type":"payment","id":"pay-late","status":"paid","influencer":"luna","campaign":"winter","amount":{"minor":45000,"currency":"EUR"}}]}`)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	r = e.do("GET", "/api/v1/activity?kind=payment.paid", e.tokens["acme/read"], "")
	events := r.body["events"].([]any)
	if len(events) != 2 { // the fixture's paid payment and this one
		t.Fatalf("payment.paid events: %s", r.raw)
	}
	r = e.do("GET", "/api/v1/worklist", e.tokens["acme/read"], "")
	if strings.Contains(r.raw, "pay-late") {
		t.Fatalf("paid payment still on the worklist: %s", r.raw)
	}
}

func TestStats(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/api/v1/stats", e.tokens["acme/read"], "")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	var got struct {
		Stats store.Stats `json:"stats"`
	}
	json.Unmarshal([]byte(r.raw), &got)
	s := got.Stats
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
}

func TestActivityPagination(t *testing.T) {
	e := newEnv(t)
	seen := map[string]bool{}
	cursor := ""
	pages := 0
	for {
		r := e.do("GET", "/api/v1/activity?limit=4"+cursor, e.tokens["acme/read"], "")
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		for _, ev := range r.body["events"].([]any) {
			key := ev.(map[string]any)["key"].(string)
			if seen[key] {
				t.Fatalf("event %s on two pages", key)
			}
			seen[key] = true
		}
		pages++
		next, ok := r.body["next_cursor"].(string)
		if !ok {
			break
		}
		cursor = "&cursor=" + next
	}
	if len(seen) != e.eventCount() || pages < 3 {
		t.Fatalf("paged %d events in %d pages, store has %d", len(seen), pages, e.eventCount())
	}
	for _, bad := range []string{"?limit=0", "?limit=abc", "?limit=501", "?cursor=-4", "?kind=payment.vanished"} {
		if r := e.do("GET", "/api/v1/activity"+bad, e.tokens["acme/read"], ""); r.status != 400 || errorCode(r) != "invalid_parameter" {
			t.Errorf("%s: %d %s", bad, r.status, r.raw)
		}
	}
}

func TestPerformance(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/api/v1/performance?group_by=campaign&from=2026-11-01&to=2026-11-20", e.tokens["acme/read"], "")
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	rows := r.body["rows"].([]any)
	if len(rows) != 2 {
		t.Fatalf("rows: %s", r.raw)
	}
	summer := rows[0].(map[string]any)
	if summer["group"] != "summer" || summer["cpm"] != 9.0 || summer["cpm_basis"] != "impressions" {
		t.Fatalf("summer: %v", summer)
	}
	r = e.do("GET", "/api/v1/performance?group_by=campaign&from=2026-11-01&to=2026-11-20&max_cpm=10", e.tokens["acme/read"], "")
	if rows := r.body["rows"].([]any); len(rows) != 1 {
		t.Fatalf("max_cpm=10 should drop winter (CPM 15): %s", r.raw)
	}
	for _, bad := range []string{"group_by=week", "from=yesterday", "from=2026-11-10&to=2026-11-01", "max_cpm=-1", "max_cpm=cheap", "from=2020-01-01&to=2026-01-01"} {
		if r := e.do("GET", "/api/v1/performance?"+bad, e.tokens["acme/read"], ""); r.status != 400 {
			t.Errorf("%s: %d %s", bad, r.status, r.raw)
		}
	}
}

func TestEntities(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/api/v1/entities/video?status=submitted&limit=2", e.tokens["acme/read"], "")
	items := r.body["items"].([]any)
	if r.status != 200 || len(items) != 2 || r.body["next_cursor"] == nil {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	r = e.do("GET", "/api/v1/entities/video?status=submitted&limit=2&cursor="+r.body["next_cursor"].(string), e.tokens["acme/read"], "")
	if items := r.body["items"].([]any); len(items) != 1 || r.body["next_cursor"] != nil {
		t.Fatalf("second page: %s", r.raw)
	}
	if r := e.do("GET", "/api/v1/entities/spaceship", e.tokens["acme/read"], ""); r.status != 404 || !strings.Contains(r.raw, "payment") {
		t.Fatalf("unknown type: %d %s", r.status, r.raw)
	}
	if r := e.do("GET", "/api/v1/entities/video?status=lost", e.tokens["acme/read"], ""); r.status != 400 {
		t.Fatalf("unknown status: %d %s", r.status, r.raw)
	}
}

func TestWorklistIsSortedByUrgency(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/api/v1/worklist", e.tokens["acme/read"], "")
	var got struct{ Items []WorkItem }
	json.Unmarshal([]byte(r.raw), &got)
	var kinds []string
	for _, it := range got.Items {
		kinds = append(kinds, it.Kind+":"+it.EntityID)
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

func TestStreamSendsChangesOfOwnTenantOnly(t *testing.T) {
	e := newEnv(t)
	open := func(token string) (*bufio.Reader, func()) {
		req, _ := http.NewRequest("GET", e.url+"/api/v1/stream", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		ctx, cancel := context.WithCancel(context.Background())
		resp, err := http.DefaultClient.Do(req.WithContext(ctx))
		if err != nil {
			t.Fatal(err)
		}
		if resp.Header.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
		}
		return bufio.NewReader(resp.Body), func() { cancel(); resp.Body.Close() }
	}
	acme, closeAcme := open(e.tokens["acme/read"])
	defer closeAcme()
	globex, closeGlobex := open(e.tokens["globex/read"])
	defer closeGlobex()
	e.do("POST", "/api/v1/events", e.tokens["acme/ingest"], `{"events":[{"key":"live-1","kind":"video.approved","occurred_at":"2026-11-20T11:00:00Z"}]}`)
	if line := readUntil(t, acme, "data: "); !strings.Contains(line, `"video.approved":1`) {
		t.Fatalf("acme stream: %q", line)
	}
	// Globex sees only keep-alives in the same time.
	deadline := time.Now().Add(300 * time.Millisecond)
	for time.Now().Before(deadline) {
		line, err := globex.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(line, "data: ") {
			t.Fatalf("globex got acme's change: %q", line)
		}
	}
}

func readUntil(t *testing.T, r *bufio.Reader, prefix string) string {
	t.Helper()
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(line, prefix) {
			return line
		}
	}
}

func TestHealthAndUnknownRoutes(t *testing.T) {
	e := newEnv(t)
	if r := e.do("GET", "/healthz", "", ""); r.status != 200 {
		t.Fatalf("healthz %d", r.status)
	}
	if r := e.do("GET", "/readyz", "", ""); r.status != 200 {
		t.Fatalf("readyz %d", r.status)
	}
	if r := e.do("GET", "/api/v1/nothing", e.tokens["acme/read"], ""); r.status != 404 || errorCode(r) != "not_found" {
		t.Fatalf("unknown route %d %s", r.status, r.raw)
	}
	for path, allow := range map[string]string{"/api/v1/events": "POST", "/api/v1/stats": "GET", "/api/v1/entities/video": "GET"} {
		r := e.do("DELETE", path, e.tokens["acme/read"], "")
		if r.status != 405 || errorCode(r) != "method_not_allowed" || r.header.Get("Allow") != allow {
			t.Errorf("DELETE %s: %d Allow=%q %s", path, r.status, r.header.Get("Allow"), r.raw)
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
	body := `{"events":[{"key":"during-lock","kind":"payment.paid","occurred_at":"2026-11-20T10:00:00Z"}]}`
	r := e.do("POST", "/api/v1/events", e.tokens["acme/ingest"], body)
	if r.status != 503 || errorCode(r) != "database_locked" || r.header.Get("Retry-After") == "" {
		t.Fatalf("got %d %s", r.status, r.raw)
	}
	tx.Rollback()
	if n := e.eventCount(); n != before {
		t.Fatalf("%d events stored while locked", n-before)
	}
	if r := e.do("POST", "/api/v1/events", e.tokens["acme/ingest"], body); r.status != 200 {
		t.Fatalf("retry after the lock: %d %s", r.status, r.raw)
	}
}
