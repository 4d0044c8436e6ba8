package scraper

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/commandcenter/commandcenter/plugins/fakeapi"
	"github.com/commandcenter/commandcenter/plugins/sdk"
	"github.com/commandcenter/commandcenter/plugins/sdk/httpsource"
	"github.com/commandcenter/commandcenter/plugins/sdk/sdktest"
)

var update = flag.Bool("update", false, "rewrite testdata/*/batches.json from the plugin's output")

const key = "test-key"

// fixture is the fake scraper service loaded with a testdata case, and
// the plugin configured against it.
type fixture struct {
	api *fakeapi.Server
	src *Source
}

func newFixture(t testing.TB, testCase string, config map[string]any) *fixture {
	t.Helper()
	api := fakeapi.ForCase(t, fakeapi.Scraper, "SCRAPER_API_KEY", key, testCase)
	raw, _ := json.Marshal(api.QuickConfig(config))
	src := New()
	if err := src.Configure(context.Background(), raw); err != nil {
		t.Fatal(err)
	}
	return &fixture{api: api, src: src}
}

// collect runs one Collect from cursor; stopAfter > 0 makes the host go
// away after that many batches.
func (f *fixture) collect(cursor string, stopAfter int) ([]sdk.Batch, error) {
	return sdktest.Collect(context.Background(), f.src, cursor, stopAfter)
}

func lastCursor(bs []sdk.Batch, before string) string { return sdktest.LastCursor(bs, before) }

// readAPI reads one listing of a case's API files: what the batches must
// hold.
func readAPI[T any](t testing.TB, testCase, listing string) []T {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", testCase, "api", listing+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var records []T
	if err := json.Unmarshal(data, &records); err != nil {
		t.Fatal(err)
	}
	return records
}

// pagesOf splits records into the pages the service answers: in order of
// their time, then id.
func pagesOf[T httpsource.Record](records []T, size int) [][]T {
	id := func(r T) string { _, id, _ := strings.Cut(r.RecordKey(), "/"); return id }
	sorted := slices.Clone(records)
	slices.SortStableFunc(sorted, func(a, b T) int {
		if c := a.RecordTime().Compare(*b.RecordTime()); c != 0 {
			return c
		}
		return strings.Compare(id(a), id(b))
	})
	return slices.Collect(slices.Chunk(sorted, size))
}

// itemKeys names every item of the batches, in order, with what a
// duplicate or a lost update would change.
func itemKeys(bs []sdk.Batch) []string {
	var out []string
	for _, b := range bs {
		for _, e := range b.Events {
			out = append(out, "event "+e.Tenant+"/"+e.Key)
		}
		for _, e := range b.Entities {
			out = append(out, fmt.Sprintf("entity %s/%s/%s=%s@%s", e.Tenant, e.Type, e.ID, e.Status, e.StatusSince.Format(time.RFC3339)))
		}
		for _, m := range b.DailyMetrics {
			out = append(out, fmt.Sprintf("metric %s/%s/%s/%s/%s/%s=%d,%d", m.Tenant, m.Campaign, m.Influencer, m.Video, m.Platform, m.Day, m.Views, m.Likes))
		}
	}
	return out
}

// sorted is keys in order, to compare what arrived regardless of when.
func sorted(keys []string) []string {
	slices.Sort(keys)
	return keys
}

func TestGolden(t *testing.T) {
	const pageSize = 2
	for _, testCase := range []string{"full"} {
		t.Run(testCase, func(t *testing.T) {
			f := newFixture(t, testCase, map[string]any{"page_size": pageSize})
			batches, err := f.collect("", 0)
			if err != nil {
				t.Fatal(err)
			}
			// Recomputed from the input: an event per run, error and
			// selector update, a metrics.updated per tenant per page of
			// stats, a target state per target per page of runs, a daily
			// metric per stat.
			runs := readAPI[run](t, testCase, "runs")
			stats := readAPI[videoStat](t, testCase, "video_stats")
			wantEvents := len(runs) + len(readAPI[scrapeError](t, testCase, "errors")) + len(readAPI[selectorUpdate](t, testCase, "selector_updates"))
			for _, page := range pagesOf(stats, pageSize) {
				tenants := map[string]bool{}
				for _, s := range page {
					tenants[s.ClientID] = true
				}
				wantEvents += len(tenants)
			}
			wantEntities := 0
			for _, page := range pagesOf(runs, pageSize) {
				targets := map[string]bool{}
				for _, r := range page {
					targets[r.ClientID+"/"+r.Target] = true
				}
				wantEntities += len(targets)
			}
			var gotEvents, gotEntities, gotMetrics int
			for _, b := range batches {
				gotEvents, gotEntities, gotMetrics = gotEvents+len(b.Events), gotEntities+len(b.Entities), gotMetrics+len(b.DailyMetrics)
			}
			if gotEvents != wantEvents || gotEntities != wantEntities || gotMetrics != len(stats) {
				t.Fatalf("%d events, %d entities, %d daily metrics; want %d, %d, %d", gotEvents, gotEntities, gotMetrics, wantEvents, wantEntities, len(stats))
			}
			// Each target is left in the state of its latest run.
			want := map[string]string{}
			for _, page := range pagesOf(runs, len(runs)) {
				for _, r := range page {
					want[r.ClientID+"/"+r.Target] = targetStatus[r.Status] + "@" + r.FinishedAt.UTC().Format(time.RFC3339)
				}
			}
			got := map[string]string{}
			for _, b := range batches {
				for _, e := range b.Entities {
					got[e.Tenant+"/"+e.ID] = e.Status + "@" + e.StatusSince.Format(time.RFC3339)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("targets' last states %v, want those of their latest runs %v", got, want)
			}
			sdktest.Golden(t, filepath.Join("testdata", testCase, "batches.json"), batches, *update)
		})
	}
}

// A Collect cut off after any batch and resumed from the last stored
// cursor delivers exactly what one uninterrupted Collect does.
func TestResumesWithoutLossOrDuplicates(t *testing.T) {
	f := newFixture(t, "full", map[string]any{"page_size": 1})
	cuts, err := sdktest.ResumeAtEveryCut(context.Background(), f.src)
	if err != nil {
		t.Fatal(err)
	}
	if cuts == 0 {
		t.Fatal("one batch only: nothing to cut between")
	}
}

// The next Collect asks each listing only for records since the newest
// one it stored, and gets only what is new.
func TestIncremental(t *testing.T) {
	f := newFixture(t, "full", nil)
	first, err := f.collect("", 0)
	if err != nil {
		t.Fatal(err)
	}
	asked := len(f.api.Requests())
	f.api.Add("/v1/runs", json.RawMessage(`{"id": "run-6", "client_id": "acme", "target": "instagram-reels",
		"started_at": "2026-11-20T10:00:00Z", "finished_at": "2026-11-20T10:01:00Z", "items": 17, "status": "ok"}`))
	f.api.Add("/v1/video_stats", json.RawMessage(`{"id": "vs-6", "client_id": "acme", "video_id": "vid-2", "campaign_id": "cmp-1",
		"influencer_id": "inf-1", "platform": "tiktok", "date": "2026-11-20", "views": 90, "likes": 4, "scraped_at": "2026-11-20T10:01:00Z"}`))
	second, err := f.collect(lastCursor(first, ""), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"event acme/scraper/runs/run-6",
		"entity acme/scraper_target/instagram-reels=ok@2026-11-20T10:01:00Z",
		"event acme/scraper/metrics/acme/vs-6/vs-6",
		"metric acme/cmp-1/inf-1/vid-2/tiktok/2026-11-20=90,4",
	}
	if got := itemKeys(second); !slices.Equal(got, want) {
		t.Fatalf("second collect: %v, want only the new records %v", got, want)
	}
	// Each listing's newest record is fetched again (since is inclusive),
	// but nothing older.
	newest := map[string]time.Time{}
	note := func(listing string, at *time.Time) {
		if at.After(newest[listing]) {
			newest[listing] = *at
		}
	}
	for _, r := range readAPI[run](t, "full", "runs") {
		note("runs", r.RecordTime())
	}
	for _, e := range readAPI[scrapeError](t, "full", "errors") {
		note("errors", e.RecordTime())
	}
	for _, u := range readAPI[selectorUpdate](t, "full", "selector_updates") {
		note("selector_updates", u.RecordTime())
	}
	for _, s := range readAPI[videoStat](t, "full", "video_stats") {
		note("video_stats", s.RecordTime())
	}
	reqs := f.api.Requests()[asked:]
	if len(reqs) != len(listings) {
		t.Fatalf("%d requests, want one per listing: %+v", len(reqs), reqs)
	}
	for _, req := range reqs {
		name := strings.TrimPrefix(req.Path, "/v1/")
		if want := "since=" + strings.ReplaceAll(newest[name].UTC().Format(time.RFC3339Nano), ":", "%3A"); !strings.Contains(req.Query, want) {
			t.Errorf("%s asked with %q, want %s", req.Path, req.Query, want)
		}
	}
}

// 5xx: retried; once the retries run out the listing stops with its
// cursor kept, and the next Collect, retrying through the last failure,
// brings the rest. Nothing is lost and nothing arrives twice.
func TestServerErrorsThenRecovery(t *testing.T) {
	whole, err := newFixture(t, "full", map[string]any{"page_size": 2}).collect("", 0)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, "full", map[string]any{"page_size": 2, "max_retries": 1})
	f.api.Fail(fakeapi.Fault{Path: "/v1/video_stats", Page: 2, Status: 503, Times: 3})
	first, err := f.collect("", 0)
	if err == nil || !strings.Contains(err.Error(), "video_stats: ") || !strings.Contains(err.Error(), "is failing (2 attempts): HTTP 503") {
		t.Fatalf("error %v should name video_stats and say it is failing", err)
	}
	second, err := f.collect(lastCursor(first, ""), 0)
	if err != nil {
		t.Fatalf("after recovery: %v", err)
	}
	if got, want := sorted(itemKeys(append(first, second...))), sorted(itemKeys(whole)); !slices.Equal(got, want) {
		t.Fatalf("across the outage:\n got %v\nwant %v", got, want)
	}
}

// One listing that keeps failing does not stop the others; its error
// names it, its place in the cursor stays, and once it recovers its
// records arrive.
func TestFailingListingDoesNotStopTheOthers(t *testing.T) {
	f := newFixture(t, "full", map[string]any{"max_retries": 1})
	f.api.Fail(fakeapi.Fault{Path: "/v1/selector_updates", Status: 500})
	first, err := f.collect("", 0)
	if err == nil || !strings.Contains(err.Error(), "selector_updates: ") || !strings.Contains(err.Error(), "is failing (2 attempts): HTTP 500") {
		t.Fatalf("error %v should name selector_updates and say it is failing", err)
	}
	updates := readAPI[selectorUpdate](t, "full", "selector_updates")
	countKind := func(bs []sdk.Batch, kind string) (n int) {
		for _, b := range bs {
			for _, e := range b.Events {
				if e.Kind == kind {
					n++
				}
			}
		}
		return n
	}
	metrics := 0
	for _, b := range first {
		metrics += len(b.DailyMetrics)
	}
	if countKind(first, sdk.KindScraperRun) != len(readAPI[run](t, "full", "runs")) ||
		countKind(first, sdk.KindScraperError) != len(readAPI[scrapeError](t, "full", "errors")) ||
		metrics != len(readAPI[videoStat](t, "full", "video_stats")) {
		t.Fatalf("the working listings did not all arrive: %v", itemKeys(first))
	}
	if n := countKind(first, sdk.KindScraperSelectorUpdated); n != 0 {
		t.Fatalf("%d selector updates from a failing listing", n)
	}
	f.api.Heal()
	second, err := f.collect(lastCursor(first, ""), 0)
	if err != nil {
		t.Fatal(err)
	}
	if n := countKind(second, sdk.KindScraperSelectorUpdated); n != len(updates) {
		t.Fatalf("after recovery %d selector updates, want all %d", n, len(updates))
	}
}

// A page cut short, or one whose records break the contract, is refused:
// nothing of it is emitted, the error names the listing and the record,
// the cursor stays before it, and the next Collect takes it from there.
func TestBadPageIsRefusedAndRetriedNextTime(t *testing.T) {
	page := func(records string) string { return `{"data": [` + records + `], "next_page_token": "Mjoy"}` }
	cases := []struct {
		name, listing string
		fault         fakeapi.Fault
		want          string
	}{
		{"truncated", "runs", fakeapi.Fault{Path: "/v1/runs", Page: 2, Truncate: true, Times: 1},
			"responds, but not in the documented shape: JSON cut short"},
		{"wrong type", "errors", fakeapi.Fault{Path: "/v1/errors", Page: 2, Body: `{"data": {"id": "err-2"}}`, Times: 1},
			`responds, but not in the documented shape: field "data" is object`},
		{"unknown run status", "runs", fakeapi.Fault{Path: "/v1/runs", Page: 2, Times: 1,
			Body: page(`{"id": "run-2", "client_id": "acme", "target": "instagram-reels", "finished_at": "2026-11-20T08:00:00Z", "status": "running"}`)},
			`page 2 refused (the cursor stays before it): record 0 (id "run-2"): status: "running" is not a run status`},
		{"negative views", "video_stats", fakeapi.Fault{Path: "/v1/video_stats", Page: 2, Times: 1,
			Body: page(`{"id": "vs-2", "client_id": "acme", "video_id": "vid-2", "campaign_id": "cmp-1", "platform": "tiktok",
				"date": "2026-11-19", "views": -300, "likes": 12, "scraped_at": "2026-11-20T08:00:00Z"}`)},
			`page 2 refused (the cursor stays before it): record 0 (id "vs-2"): views: must be 0 to`},
		{"no client", "selector_updates", fakeapi.Fault{Path: "/v1/selector_updates", Page: 2, Times: 1,
			Body: page(`{"id": "sel-1", "target": "instagram-reels", "updated_at": "2026-11-20T09:30:00Z"}`)},
			`page 2 refused (the cursor stays before it): record 0 (id "sel-1"): client_id: required`},
	}
	whole, err := newFixture(t, "full", map[string]any{"page_size": 1}).collect("", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, "full", map[string]any{"page_size": 1})
			f.api.Fail(tc.fault)
			first, err := f.collect("", 0)
			if err == nil || !strings.Contains(err.Error(), tc.listing+": ") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one naming %s and saying %q", err, tc.listing, tc.want)
			}
			second, err := f.collect(lastCursor(first, ""), 0)
			if err != nil {
				t.Fatal(err)
			}
			// What came before the bad page from the first Collect, the
			// rest from the second: each once.
			if got, want := sorted(itemKeys(append(first, second...))), sorted(itemKeys(whole)); !slices.Equal(got, want) {
				t.Fatalf("got %v\nwant each once: %v", got, want)
			}
		})
	}
}

// Every rule of the README's "Records" refuses the page and names the
// record and the field.
func TestRecordsBreakingTheContractAreNamed(t *testing.T) {
	cases := []struct {
		listing, record, want string
	}{
		{"runs", `{"client_id": "acme", "target": "t", "finished_at": "2026-11-20T08:00:00Z", "status": "ok"}`, `record 0 (id ""): id: required`},
		{"runs", `{"id": "r", "client_id": "acme", "target": "t", "status": "ok"}`, `(id "r"): finished_at: required`},
		{"runs", `{"id": "r", "client_id": "acme", "finished_at": "2026-11-20T08:00:00Z", "status": "ok"}`, `(id "r"): target: required`},
		{"runs", `{"id": "r", "client_id": "acme", "target": "t", "finished_at": "2026-11-20T08:00:00Z"}`, `(id "r"): status: "" is not a run status`},
		{"runs", `{"id": "r", "client_id": "acme", "target": "t", "finished_at": "2026-11-20T08:00:00Z", "status": "ok", "items": -1}`, `(id "r"): items: must be 0 to`},
		{"runs", `{"id": "r", "client_id": "a/b", "target": "t", "finished_at": "2026-11-20T08:00:00Z", "status": "ok"}`, `events[0].tenant: must be 1-64 letters`},
		{"errors", `{"id": "e", "client_id": "acme", "target": "t"}`, `(id "e"): occurred_at: required`},
		{"errors", `{"id": "e", "client_id": "acme", "occurred_at": "2026-11-20T08:00:00Z"}`, `(id "e"): target: required`},
		{"selector_updates", `{"id": "s", "target": "t", "updated_at": "2026-11-20T08:00:00Z"}`, `(id "s"): client_id: required`},
		{"selector_updates", `{"id": "s", "client_id": "acme", "updated_at": "2026-11-20T08:00:00Z"}`, `(id "s"): target: required`},
		{"video_stats", `{"id": "v", "client_id": "acme", "campaign_id": "c", "platform": "tiktok", "date": "2026-11-19", "views": 1, "likes": 1, "scraped_at": "2026-11-20T08:00:00Z"}`, `(id "v"): video_id: required`},
		{"video_stats", `{"id": "v", "client_id": "acme", "video_id": "x", "platform": "tiktok", "date": "2026-11-19", "views": 1, "likes": 1, "scraped_at": "2026-11-20T08:00:00Z"}`, `(id "v"): campaign_id: required`},
		{"video_stats", `{"id": "v", "client_id": "acme", "video_id": "x", "campaign_id": "c", "date": "2026-11-19", "views": 1, "likes": 1, "scraped_at": "2026-11-20T08:00:00Z"}`, `(id "v"): platform: required`},
		{"video_stats", `{"id": "v", "client_id": "acme", "video_id": "x", "campaign_id": "c", "platform": "tiktok", "date": "19/11/2026", "views": 1, "likes": 1, "scraped_at": "2026-11-20T08:00:00Z"}`, `(id "v"): date: must be a day`},
		{"video_stats", `{"id": "v", "client_id": "acme", "video_id": "x", "campaign_id": "c", "platform": "tiktok", "date": "2026-11-19", "likes": 1, "scraped_at": "2026-11-20T08:00:00Z"}`, `(id "v"): views: required`},
		{"video_stats", `{"id": "v", "client_id": "acme", "video_id": "x", "campaign_id": "c", "platform": "tiktok", "date": "2026-11-19", "views": 1, "likes": -2, "scraped_at": "2026-11-20T08:00:00Z"}`, `(id "v"): likes: must be 0 to`},
		{"video_stats", `{"id": "v", "client_id": "acme", "video_id": "x", "campaign_id": "c", "platform": "tiktok", "date": "2026-11-19", "views": 1, "likes": 1}`, `(id "v"): scraped_at: required`},
	}
	for _, tc := range cases {
		f := newFixture(t, "", map[string]any{"listings": []string{tc.listing}})
		f.api.Fail(fakeapi.Fault{Body: `{"data": [` + tc.record + `]}`})
		batches, err := f.collect("", 0)
		if want := tc.listing + ": page 1 refused (the cursor stays before it): "; err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %s: %v, want %q and %q", tc.listing, tc.record, err, want, tc.want)
		}
		if len(batches) != 0 {
			t.Errorf("%s %s: a refused page emitted %v", tc.listing, tc.record, itemKeys(batches))
		}
	}
}

// A 429 storm: each Retry-After is waited out, and everything arrives.
func TestTooManyRequestsWaitsRetryAfter(t *testing.T) {
	f := newFixture(t, "full", map[string]any{"listings": []string{"runs"}})
	f.api.Fail(fakeapi.Fault{Status: 429, RetryAfter: "1", Times: 2})
	batches, err := f.collect("", 0)
	if err != nil {
		t.Fatal(err)
	}
	events := 0
	for _, b := range batches {
		events += len(b.Events)
	}
	if want := len(readAPI[run](t, "full", "runs")); events != want {
		t.Fatalf("%d runs, want %d", events, want)
	}
	reqs := f.api.Requests()
	if len(reqs) != 3 || reqs[1].At.Sub(reqs[0].At) < time.Second || reqs[2].At.Sub(reqs[1].At) < time.Second {
		t.Fatalf("requests %+v: want three, a second apart", reqs)
	}
}

// Page tokens expire: one refused is walked again from since.
func TestExpiredPageTokenStartsTheListingAgain(t *testing.T) {
	f := newFixture(t, "full", map[string]any{"page_size": 1, "listings": []string{"video_stats"}})
	first, err := f.collect("", 1)
	if err == nil {
		t.Fatal("host went away, yet no error")
	}
	f.api.Fail(fakeapi.Fault{Page: 2, Status: 400, Times: 1})
	rest, err := f.collect(lastCursor(first, ""), 0)
	if err != nil {
		t.Fatal(err)
	}
	metrics := 0
	for _, b := range rest {
		metrics += len(b.DailyMetrics)
	}
	if want := len(readAPI[videoStat](t, "full", "video_stats")); metrics != want {
		t.Fatalf("after the expired token: %d stats, want every one again (%d)", metrics, want)
	}
}

func TestCheckTellsWhatIsWrong(t *testing.T) {
	cases := []struct {
		name   string
		break_ func(f *fixture)
		want   string
	}{
		{"healthy", func(*fixture) {}, ""},
		{"key revoked", func(f *fixture) { f.api.SetKey("another") }, "credentials refused by http://127.0.0.1"},
		{"down", func(f *fixture) { f.api.Close() }, "cannot reach http://127.0.0.1"},
		{"wrong shape", func(f *fixture) { f.api.Fail(fakeapi.Fault{Body: `<html>maintenance</html>`}) }, "responds, but not in the documented shape"},
		{"wrong record shape", func(f *fixture) { f.api.Fail(fakeapi.Fault{Body: `{"data": [{"views": "many"}]}`}) }, "responds, but not in the documented shape"},
		{"failing", func(f *fixture) { f.api.Fail(fakeapi.Fault{Status: 503}) }, "is failing: HTTP 503"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Check asks the first listing configured.
			f := newFixture(t, "full", map[string]any{"listings": []string{"video_stats", "runs"}})
			tc.break_(f)
			err := f.src.Check(context.Background())
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Check: %v, want %q", err, tc.want)
			}
			if tc.name == "down" {
				return // a closed fake records nothing
			}
			if reqs := f.api.Requests(); len(reqs) != 1 || reqs[0].Path != "/v1/video_stats" || reqs[0].Query != "limit=1" {
				t.Fatalf("Check asked %+v, want one request for one video stat", reqs)
			}
		})
	}
}

// Configure and the schema the host checks first agree on what is wrong,
// and both name the field.
func TestBadConfigNamesTheField(t *testing.T) {
	t.Setenv("SCRAPER_API_KEY", key)
	bad := map[string]string{
		`{}`:                      "api_url",
		`{"api_url": "ftp://x"}`:  "api_url",
		`{"api_url": "https://"}`: "api_url",
		`{"api_url": "https://x", "page_size": 0}`:                         "page_size",
		`{"api_url": "https://x", "page_size": 5000}`:                      "page_size",
		`{"api_url": "https://x", "listings": ["runs", "posts"]}`:          "listings[1]",
		`{"api_url": "https://x", "listings": []}`:                         "listings",
		`{"api_url": "https://x", "listings": ["runs", "errors", "runs"]}`: "listings",
		`{"api_url": "https://x", "since": "yesterday"}`:                   "since",
		`{"api_url": "https://x", "timeout": "soon"}`:                      "timeout",
		`{"api_url": "https://x", "rate_limit": -1}`:                       "rate_limit",
		`{"api_url": "https://x", "max_retries": 101}`:                     "max_retries",
		`{"api_url": "https://x", "backoff_initial": "-1s"}`:               "backoff_initial",
		`{"api_url": "https://x", "api_key_env": ""}`:                      "api_key_env",
		`{"api_url": "https://x", "colour": "red"}`:                        "colour",
	}
	sdktest.Configs(t, func() sdk.Source { return New() }, bad, []string{`{"api_url": "https://scraper.example"}`, `{"api_url": "https://x/base", "page_size": 10, "listings": ["video_stats"], "since": "2026-01-01T00:00:00Z", "timeout": "5s", "rate_limit": 0.5, "max_retries": -1}`})
	t.Setenv("SCRAPER_API_KEY", "")
	if err := New().Configure(context.Background(), json.RawMessage(`{"api_url": "https://x"}`)); err == nil || !strings.Contains(err.Error(), "api_key_env: environment variable SCRAPER_API_KEY is empty or not set") {
		t.Errorf("without a key: %v", err)
	}
}

func TestReadmeShowsTheSampleConfig(t *testing.T) { sdktest.ReadmeShowsSampleConfig(t, SampleConfig) }
