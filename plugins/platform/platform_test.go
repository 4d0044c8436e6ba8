package platform

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
	"github.com/commandcenter/commandcenter/plugins/sdk/sdktest"
)

var update = flag.Bool("update", false, "rewrite testdata/*/batches.json from the plugin's output")

const key = "test-key"

// fixture is the fake platform API loaded with a testdata case, and the
// plugin configured against it.
type fixture struct {
	api *fakeapi.Server
	src *Source
}

func newFixture(t *testing.T, testCase string, config map[string]any) *fixture {
	t.Helper()
	api := fakeapi.ForCase(t, fakeapi.Platform, "PLATFORM_API_KEY", key, testCase)
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

// records reads a case's API files: what the batches must hold.
func records(t *testing.T, testCase string) map[string][]object {
	t.Helper()
	out := map[string][]object{}
	for _, r := range resources {
		data, err := os.ReadFile(filepath.Join("testdata", testCase, "api", r.Name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var objs []object
		if err := json.Unmarshal(data, &objs); err != nil {
			t.Fatal(err)
		}
		out[r.Name] = objs
	}
	return out
}

func entityKeys(bs []sdk.Batch) []string {
	var out []string
	for _, b := range bs {
		for _, e := range b.Entities {
			out = append(out, e.Tenant+"/"+e.Type+"/"+e.ID)
		}
	}
	return out
}

func TestGolden(t *testing.T) {
	for _, testCase := range []string{"full"} {
		t.Run(testCase, func(t *testing.T) {
			f := newFixture(t, testCase, map[string]any{"page_size": 2})
			batches, err := f.collect("", 0)
			if err != nil {
				t.Fatal(err)
			}
			// Recomputed from the input: an entity per record, an event
			// per timestamp that stands for one.
			wantEntities, wantEvents := 0, 0
			for _, r := range resources {
				for _, o := range records(t, testCase)[r.Name] {
					wantEntities++
					for _, s := range r.events(&o) {
						if s.at != nil {
							wantEvents++
						}
					}
				}
			}
			gotEvents := 0
			for _, b := range batches {
				gotEvents += len(b.Events)
			}
			if got := len(entityKeys(batches)); got != wantEntities || gotEvents != wantEvents {
				t.Fatalf("%d entities and %d events, want %d and %d", got, gotEvents, wantEntities, wantEvents)
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

// The next Collect asks only for records updated since the newest one
// seen, and picks up what changed.
func TestIncremental(t *testing.T) {
	f := newFixture(t, "full", nil)
	first, err := f.collect("", 0)
	if err != nil {
		t.Fatal(err)
	}
	f.api.Add("/v1/payments", json.RawMessage(`{"id": "pay-2", "client_id": "acme", "status": "paid",
		"amount": {"minor": 125000, "currency": "EUR"}, "created_at": "2026-09-20T12:05:00Z",
		"paid_at": "2026-11-23T09:00:00Z", "updated_at": "2026-11-23T09:00:00Z"}`))
	second, err := f.collect(lastCursor(first, ""), 0)
	if err != nil {
		t.Fatal(err)
	}
	var payments []string
	for _, b := range second {
		for _, e := range b.Entities {
			if e.Type == sdk.EntityPayment {
				payments = append(payments, e.ID+"="+e.Status)
			}
		}
	}
	if !slices.Equal(payments, []string{"pay-2=paid"}) {
		t.Fatalf("second collect's payments: %v, want only the changed pay-2", payments)
	}
	// Each listing's newest record is fetched again (updated_since is
	// inclusive), but nothing older.
	newest := map[string]time.Time{}
	for name, objs := range records(t, "full") {
		for _, o := range objs {
			if o.UpdatedAt.After(newest[name]) {
				newest[name] = *o.UpdatedAt
			}
		}
	}
	for _, req := range f.api.Requests()[len(first):] {
		name := strings.TrimPrefix(req.Path, "/v1/")
		if want := "updated_since=" + strings.ReplaceAll(newest[name].UTC().Format(time.RFC3339Nano), ":", "%3A"); !strings.Contains(req.Query, want) {
			t.Errorf("%s asked with %q, want %s", req.Path, req.Query, want)
		}
	}
}

// One listing that keeps failing does not stop the others; its error
// names it, its place in the cursor stays, and once it recovers its
// records arrive.
func TestFailingListingDoesNotStopTheOthers(t *testing.T) {
	f := newFixture(t, "full", map[string]any{"max_retries": 1})
	f.api.Fail(fakeapi.Fault{Path: "/v1/payments", Status: 500})
	first, err := f.collect("", 0)
	if err == nil || !strings.Contains(err.Error(), "payments: ") || !strings.Contains(err.Error(), "is failing (2 attempts): HTTP 500") {
		t.Fatalf("error %v should name payments and say it is failing", err)
	}
	want := records(t, "full")
	if got, all := len(entityKeys(first)), len(want["campaigns"])+len(want["influencers"])+len(want["contracts"])+len(want["videos"]); got != all {
		t.Fatalf("%d entities from the working listings, want %d", got, all)
	}
	f.api.Heal()
	second, err := f.collect(lastCursor(first, ""), 0)
	if err != nil {
		t.Fatal(err)
	}
	var paid []string
	for _, b := range second {
		for _, e := range b.Entities {
			if e.Type == sdk.EntityPayment {
				paid = append(paid, e.ID)
			}
		}
	}
	if len(paid) != len(want["payments"]) {
		t.Fatalf("after recovery got payments %v, want all %d", paid, len(want["payments"]))
	}
}

// A page cut short, or one whose records break the contract, is refused:
// nothing of it is emitted, the cursor stays before it, and the next
// Collect takes it from there.
func TestBadPageIsRefusedAndRetriedNextTime(t *testing.T) {
	cases := []struct {
		name  string
		fault fakeapi.Fault
		want  string
	}{
		{"truncated", fakeapi.Fault{Path: "/v1/videos", Page: 2, Truncate: true, Times: 1}, "responds, but not in the documented shape: JSON cut short"},
		{"wrong type", fakeapi.Fault{Path: "/v1/videos", Page: 2, Body: `{"data": {"id": "vid-2"}}`, Times: 1}, `field "data" is object`},
		{"unknown status", fakeapi.Fault{Path: "/v1/videos", Page: 2, Times: 1,
			Body: `{"data": [{"id": "vid-2", "client_id": "acme", "status": "lost", "updated_at": "2026-11-21T10:00:00Z"}]}`},
			`page 2 refused (the cursor stays before it): record 0 (id "vid-2"): status: "lost" is not a video status`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, "full", map[string]any{"page_size": 1})
			f.api.Fail(tc.fault)
			first, err := f.collect("", 0)
			if err == nil || !strings.Contains(err.Error(), "videos: ") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one naming videos and saying %q", err, tc.want)
			}
			second, err := f.collect(lastCursor(first, ""), 0)
			if err != nil {
				t.Fatal(err)
			}
			var videos []string
			for _, b := range append(first, second...) {
				for _, e := range b.Entities {
					if e.Type == sdk.EntityVideo {
						videos = append(videos, e.ID)
					}
				}
			}
			// The first page's video from the first run, the others from
			// the second: each once.
			var want []string
			for _, o := range records(t, "full")["videos"] {
				want = append(want, o.ID)
			}
			slices.Sort(videos)
			slices.Sort(want)
			if !slices.Equal(videos, want) {
				t.Fatalf("videos %v, want each once: %v", videos, want)
			}
		})
	}
}

// A 429 storm: each Retry-After is waited out, and everything arrives.
func TestTooManyRequestsWaitsRetryAfter(t *testing.T) {
	f := newFixture(t, "full", map[string]any{"entities": []string{"campaigns"}})
	f.api.Fail(fakeapi.Fault{Status: 429, RetryAfter: "1", Times: 2})
	batches, err := f.collect("", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(entityKeys(batches)), len(records(t, "full")["campaigns"]); got != want {
		t.Fatalf("%d campaigns, want %d", got, want)
	}
	reqs := f.api.Requests()
	if len(reqs) != 3 || reqs[1].At.Sub(reqs[0].At) < time.Second || reqs[2].At.Sub(reqs[1].At) < time.Second {
		t.Fatalf("requests %+v: want three, a second apart", reqs)
	}
}

// Page tokens expire: one refused is walked again from updated_since.
func TestExpiredPageTokenStartsTheListingAgain(t *testing.T) {
	f := newFixture(t, "full", map[string]any{"page_size": 1, "entities": []string{"videos"}})
	first, err := f.collect("", 1)
	if err == nil {
		t.Fatal("host went away, yet no error")
	}
	f.api.Fail(fakeapi.Fault{Page: 2, Status: 400, Times: 1})
	rest, err := f.collect(lastCursor(first, ""), 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := entityKeys(rest); len(got) != len(records(t, "full")["videos"]) {
		t.Fatalf("after the expired token: %v, want every video again", got)
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
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, "full", nil)
			tc.break_(f)
			err := f.src.Check(context.Background())
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Check: %v, want %q", err, tc.want)
			}
		})
	}
}

// Configure and the schema the host checks first agree on what is wrong,
// and both name the field.
func TestBadConfigNamesTheField(t *testing.T) {
	t.Setenv("PLATFORM_API_KEY", key)
	bad := map[string]string{
		`{}`:                     "api_url",
		`{"api_url": "ftp://x"}`: "api_url",
		`{"api_url": "https://x", "page_size": 5000}`:                  "page_size",
		`{"api_url": "https://x", "entities": ["campaigns", "posts"]}`: "entities[1]",
		`{"api_url": "https://x", "since": "yesterday"}`:               "since",
		`{"api_url": "https://x", "timeout": "soon"}`:                  "timeout",
		`{"api_url": "https://x", "rate_limit": -1}`:                   "rate_limit",
		`{"api_url": "https://x", "api_key_env": ""}`:                  "api_key_env",
		`{"api_url": "https://x", "colour": "red"}`:                    "colour",
	}
	sdktest.Configs(t, func() sdk.Source { return New() }, bad, []string{`{"api_url": "https://platform.example"}`, fmt.Sprintf(`{"api_url": "https://x", "page_size": 10, "entities": ["videos"], "since": "2026-01-01T00:00:00Z", "timeout": "5s", "rate_limit": 0.5, "max_retries": -1}`)})
	t.Setenv("PLATFORM_API_KEY", "")
	if err := New().Configure(context.Background(), json.RawMessage(`{"api_url": "https://x"}`)); err == nil || !strings.Contains(err.Error(), "api_key_env: environment variable PLATFORM_API_KEY is empty or not set") {
		t.Errorf("without a key: %v", err)
	}
}

func TestReadmeShowsTheSampleConfig(t *testing.T) { sdktest.ReadmeShowsSampleConfig(t, SampleConfig) }
