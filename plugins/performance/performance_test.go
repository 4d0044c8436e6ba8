package performance

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/commandcenter/commandcenter/plugins/fakeapi"
	"github.com/commandcenter/commandcenter/plugins/sdk"
	"github.com/commandcenter/commandcenter/plugins/sdk/sdktest"
)

var update = flag.Bool("update", false, "rewrite testdata/*/batches.json from the plugin's output")

const key = "test-key"

// testNow is the fixtures' clock: 90 days of backfill start on 2026-08-25.
var testNow = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// csvModTime is the modification time of the fixtures' CSV copies, so
// the cursors in the golden files do not depend on the checkout.
var csvModTime = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

const metricsPath = "/v1/performance_metrics"

// fixture is the plugin configured against a testdata case: the fake API
// loaded with the case's api/ folder, if it has one, and copies of its CSV
// files, if it has any.
type fixture struct {
	api *fakeapi.Server
	src *Source
	// dir holds the CSV copies.
	dir  string
	now  time.Time
	logs *bytes.Buffer
}

func newFixture(t *testing.T, testCase string, config map[string]any) *fixture {
	t.Helper()
	f := &fixture{now: testNow, logs: &bytes.Buffer{}}
	cfg := map[string]any{"backoff_initial": "1ms", "backoff_max": "2ms", "rate_limit": 1000}
	caseDir := filepath.Join("testdata", testCase)
	if _, err := os.Stat(filepath.Join(caseDir, "api")); err == nil {
		f.api = fakeapi.ForCase(t, fakeapi.Performance, "PERFORMANCE_API_KEY", key, testCase)
		cfg = f.api.QuickConfig(nil)
	}
	if files, _ := filepath.Glob(filepath.Join(caseDir, "*.csv")); testCase != "" && len(files) > 0 {
		f.dir = t.TempDir()
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			f.writeCSV(t, filepath.Base(file), string(data))
		}
		cfg["csv_files"] = []string{filepath.Join(f.dir, "*.csv")}
	}
	maps.Copy(cfg, config)
	raw, _ := json.Marshal(cfg)
	f.src = New()
	f.src.now = func() time.Time { return f.now }
	f.src.log = slog.New(slog.NewTextHandler(f.logs, nil))
	if err := f.src.Configure(context.Background(), raw); err != nil {
		t.Fatal(err)
	}
	return f
}

// writeCSV writes a CSV file into the fixture's folder, with the fixed
// modification time.
func (f *fixture) writeCSV(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(f.dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, csvModTime, csvModTime); err != nil {
		t.Fatal(err)
	}
	return path
}

// collect runs one Collect from cursor; stopAfter > 0 makes the host go
// away after that many batches.
func (f *fixture) collect(cursor string, stopAfter int) ([]sdk.Batch, error) {
	return sdktest.Collect(context.Background(), f.src, cursor, stopAfter)
}

func lastCursor(bs []sdk.Batch, before string) string { return sdktest.LastCursor(bs, before) }

func metricKey(m sdk.DailyMetric) string {
	return strings.Join([]string{m.Tenant, m.Campaign, m.Influencer, m.Video, m.Platform, m.Day}, "/")
}

func metrics(bs []sdk.Batch) []sdk.DailyMetric {
	var out []sdk.DailyMetric
	for _, b := range bs {
		out = append(out, b.DailyMetrics...)
	}
	return out
}

func metricKeys(bs []sdk.Batch) []string {
	var out []string
	for _, m := range metrics(bs) {
		out = append(out, metricKey(m))
	}
	return out
}

func events(bs []sdk.Batch) []sdk.Event {
	var out []sdk.Event
	for _, b := range bs {
		out = append(out, b.Events...)
	}
	return out
}

// upserted is what the host's store holds after bs: the last value sent
// for each key.
func upserted(bs []sdk.Batch) map[string]sdk.DailyMetric {
	out := map[string]sdk.DailyMetric{}
	for _, m := range metrics(bs) {
		out[metricKey(m)] = m
	}
	return out
}

// totals are sums per tenant, to compare what was sent with the input.
type totals map[string]*struct{ Rows, Views, CostMinor, RevenueMinor int64 }

func (tt totals) add(tenant string, views int64, cost, revenue *sdk.Money) {
	if tt[tenant] == nil {
		tt[tenant] = &struct{ Rows, Views, CostMinor, RevenueMinor int64 }{}
	}
	t := tt[tenant]
	t.Rows++
	t.Views += views
	if cost != nil {
		t.CostMinor += cost.Minor
	}
	if revenue != nil {
		t.RevenueMinor += revenue.Minor
	}
}

func (tt totals) String() string {
	var b strings.Builder
	for _, tenant := range slices.Sorted(maps.Keys(tt)) {
		fmt.Fprintf(&b, "%s%+v ", tenant, *tt[tenant])
	}
	return b.String()
}

func totalsOf(ms []sdk.DailyMetric) totals {
	tt := totals{}
	for _, m := range ms {
		tt.add(m.Tenant, m.Views, m.Cost, m.Revenue)
	}
	return tt
}

// apiRows reads a case's API file: what the batches must hold.
func apiRows(t *testing.T, testCase string) []row {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", testCase, "api", "performance_metrics.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []row
	if err := json.Unmarshal(data, &rows); err != nil {
		t.Fatal(err)
	}
	return rows
}

// apiTotals sums the rows dated from to to (inclusive).
func apiTotals(rows []row, from, to string) totals {
	tt := totals{}
	for _, r := range rows {
		if r.Date >= from && r.Date <= to {
			tt.add(r.ClientID, r.Views, r.Cost, r.Revenue)
		}
	}
	return tt
}

// csvRow is a data row of a testdata CSV file, read with encoding/csv on
// its own: its line, and its fields by lower-cased column name. The column
// "expect" names the column the plugin must find bad, on bad rows.
type csvRow struct {
	line   int
	fields map[string]string
}

func readCSV(t *testing.T, path string) []csvRow {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	var out []csvRow
	for {
		rec, err := r.Read()
		if err != nil {
			break
		}
		line, _ := r.FieldPos(0)
		row := csvRow{line: line, fields: map[string]string{}}
		for i, v := range rec {
			row.fields[strings.ToLower(header[i])] = v
		}
		out = append(out, row)
	}
	return out
}

// csvTotals sums a file's good rows, amounts read as exact rationals.
func csvTotals(t *testing.T, rows []csvRow) totals {
	t.Helper()
	tt := totals{}
	for _, r := range rows {
		if r.fields["expect"] != "" {
			continue
		}
		views, _ := strconv.ParseInt(r.fields["views"], 10, 64)
		currency := strings.ToUpper(r.fields["currency"])
		money := func(v string) *sdk.Money {
			if v == "" {
				return nil
			}
			major, ok := new(big.Rat).SetString(v)
			if !ok {
				t.Fatalf("line %d: amount %q", r.line, v)
			}
			minor := major.Mul(major, new(big.Rat).SetInt64(sdk.MinorPerMajor(currency)))
			return &sdk.Money{Minor: minor.Num().Int64(), Currency: currency}
		}
		tt.add(r.fields["client_id"], views, money(r.fields["cost"]), money(r.fields["revenue"]))
	}
	return tt
}

func TestGolden(t *testing.T) {
	for _, testCase := range []string{"api", "csv", "crlf-bom", "bad-rows"} {
		t.Run(testCase, func(t *testing.T) {
			f := newFixture(t, testCase, map[string]any{"page_size": 4, "batch_size": 3})
			batches, err := f.collect("", 0)
			// Recomputed from the input: the API's rows within the
			// backfill, each CSV's rows but the bad ones.
			want, bad := totals{}, 0
			if f.api != nil {
				want = apiTotals(apiRows(t, testCase), "2026-08-25", "2026-11-22")
			}
			if f.dir != "" {
				files, _ := filepath.Glob(filepath.Join(f.dir, "*.csv"))
				for _, file := range files {
					rows := readCSV(t, file)
					for tenant, tt := range csvTotals(t, rows) {
						if want[tenant] == nil {
							want[tenant] = tt
							continue
						}
						want[tenant].Rows += tt.Rows
						want[tenant].Views += tt.Views
						want[tenant].CostMinor += tt.CostMinor
						want[tenant].RevenueMinor += tt.RevenueMinor
					}
					for _, r := range rows {
						if r.fields["expect"] != "" {
							bad++
						}
					}
				}
			}
			if err != nil && bad == 0 {
				t.Fatal(err)
			}
			if got := totalsOf(metrics(batches)); got.String() != want.String() {
				t.Fatalf("totals sent:\n %v\nwant, from the input:\n %v", got, want)
			}
			if f.api != nil {
				if got := len(events(batches)); got != len(want) {
					t.Fatalf("%d metrics.updated events, want one per tenant: %d", got, len(want))
				}
			}
			got, _ := json.MarshalIndent(batches, "", "  ")
			if f.dir != "" {
				got = bytes.ReplaceAll(got, []byte(f.dir), []byte("$CSV_DIR"))
			}
			golden := filepath.Join("testdata", testCase, "batches.json")
			if *update {
				if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			wantJSON, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if string(wantJSON) != string(got)+"\n" {
				t.Fatalf("batches differ from %s (go test ./plugins/performance -update rewrites it):\n%s", golden, got)
			}
		})
	}
}

// A Collect cut off after any batch and resumed from the last stored
// cursor delivers exactly what one uninterrupted Collect does.
func TestResumesWithoutLossOrDuplicates(t *testing.T) {
	f := newFixture(t, "api", map[string]any{"page_size": 1})
	cuts, err := sdktest.ResumeAtEveryCut(context.Background(), f.src)
	if err != nil {
		t.Fatal(err)
	}
	if cuts < 4 {
		t.Fatalf("only %d cuts: the test needs pages to cut between", cuts)
	}
}

// days are the from and to of each first page asked for.
func days(t *testing.T, reqs []fakeapi.Request) []string {
	t.Helper()
	var out []string
	for _, r := range reqs {
		q, err := url.ParseQuery(r.Query)
		if err != nil {
			t.Fatal(err)
		}
		if q.Get("page_token") == "" {
			out = append(out, q.Get("from")+".."+q.Get("to"))
		}
	}
	return out
}

// The first Collect backfills, each next one takes the window ending
// today again, and after an outage the walk starts where the last one's
// window did, so no day is skipped.
func TestWindow(t *testing.T) {
	f := newFixture(t, "api", map[string]any{"window_days": 7, "backfill_days": 90})
	steps := []struct {
		now  time.Time
		want string
	}{
		{testNow, "2026-08-25..2026-11-22"},
		{testNow.Add(3 * time.Hour), "2026-11-16..2026-11-22"},
		// The first walk after midnight still covers the day before's window.
		{testNow.Add(24 * time.Hour), "2026-11-16..2026-11-23"},
		{testNow.Add(25 * time.Hour), "2026-11-17..2026-11-23"},
		// A month down: from the last walk's window to today.
		{testNow.Add(31 * 24 * time.Hour), "2026-11-17..2026-12-23"},
		{testNow.Add(31*24*time.Hour + time.Hour), "2026-12-17..2026-12-23"},
	}
	cursor := ""
	for i, step := range steps {
		f.now = step.now
		before := len(f.api.Requests())
		batches, err := f.collect(cursor, 0)
		if err != nil {
			t.Fatal(err)
		}
		cursor = lastCursor(batches, cursor)
		if got := days(t, f.api.Requests()[before:]); !slices.Equal(got, []string{step.want}) {
			t.Fatalf("collect %d at %s asked for %v, want %s", i+1, step.now, got, step.want)
		}
	}
}

// Late corrections overwrite: a corrected row arrives with its new values,
// and the totals the host keeps (last value per key) are the totals of the
// API's final data.
func TestLateCorrectionsOverwrite(t *testing.T) {
	f := newFixture(t, "api", nil)
	first, err := f.collect("", 0)
	if err != nil {
		t.Fatal(err)
	}
	corrections := []string{
		// Within the window: views and cost corrected.
		`{"id": "pm-006", "client_id": "acme", "campaign_id": "cmp-1", "influencer_id": "inf-1", "video_id": "vid-1", "platform": "tiktok",
		  "date": "2026-11-20", "impressions": 1900, "views": 1460, "clicks": 52, "likes": 120, "comments": 9, "shares": 6,
		  "cost": {"minor": 1300, "currency": "EUR"}, "revenue": {"minor": 500, "currency": "EUR"}}`,
		`{"id": "pm-010", "client_id": "acme", "campaign_id": "cmp-1", "influencer_id": "inf-1", "video_id": "vid-1", "platform": "tiktok",
		  "date": "2026-11-22", "impressions": 2400, "views": 1990, "clicks": 48, "likes": 130, "comments": 8, "shares": 2,
		  "cost": {"minor": 1250, "currency": "EUR"}, "revenue": null}`,
		// A new day.
		`{"id": "pm-012", "client_id": "globex", "campaign_id": "gx-cmp-2", "platform": "youtube",
		  "date": "2026-11-23", "impressions": 100, "views": 60, "clicks": 1, "likes": 4, "comments": 0, "shares": 0}`,
	}
	final := apiRows(t, "api")
	for _, c := range corrections {
		if err := f.api.Add(metricsPath, json.RawMessage(c)); err != nil {
			t.Fatal(err)
		}
		var r row
		json.Unmarshal([]byte(c), &r)
		if i := slices.IndexFunc(final, func(o row) bool { return o.ID == r.ID }); i >= 0 {
			final[i] = r
		} else {
			final = append(final, r)
		}
	}
	f.now = testNow.Add(24 * time.Hour)
	second, err := f.collect(lastCursor(first, ""), 0)
	if err != nil {
		t.Fatal(err)
	}
	stored := upserted(append(first, second...))
	corrected := stored["acme/cmp-1/inf-1/vid-1/tiktok/2026-11-20"]
	if corrected.Views != 1460 || corrected.Impressions != 1900 || corrected.Cost.Minor != 1300 || corrected.Revenue == nil {
		t.Fatalf("corrected row stored as %+v, want the new values", corrected)
	}
	if got, want := totalsOf(slices.Collect(maps.Values(stored))), apiTotals(final, "2026-08-25", "2026-11-23"); got.String() != want.String() {
		t.Fatalf("totals of the last values sent:\n %v\nwant, from the API's final data:\n %v", got, want)
	}
}

// Each completed walk says, per tenant, how many rows it brought and of
// which days; two walks of the same days are two events.
func TestMetricsUpdatedEvents(t *testing.T) {
	f := newFixture(t, "api", nil)
	first, err := f.collect("", 0)
	if err != nil {
		t.Fatal(err)
	}
	f.now = testNow.Add(time.Hour)
	second, err := f.collect(lastCursor(first, ""), 0)
	if err != nil {
		t.Fatal(err)
	}
	rows := apiRows(t, "api")
	keys := map[string]bool{}
	for i, walk := range []struct {
		batches  []sdk.Batch
		from, to string
	}{{first, "2026-08-25", "2026-11-22"}, {second, "2026-11-16", "2026-11-22"}} {
		want := apiTotals(rows, walk.from, walk.to)
		evs := events(walk.batches)
		if len(evs) != len(want) {
			t.Fatalf("walk %d: %d events, want one per tenant (%d)", i+1, len(evs), len(want))
		}
		if last := walk.batches[len(walk.batches)-1]; len(last.Events) != len(evs) {
			t.Fatalf("walk %d: the events must come with the batch that completes the walk", i+1)
		}
		for _, e := range evs {
			var attrs struct {
				Rows     int64
				From, To string
			}
			json.Unmarshal(e.Attrs, &attrs)
			if e.Kind != sdk.KindMetricsUpdated || e.Entity != (sdk.EntityRef{}) || want[e.Tenant] == nil ||
				attrs.Rows != want[e.Tenant].Rows || attrs.From != walk.from || attrs.To != walk.to {
				t.Fatalf("walk %d: event %+v (attrs %s), want %s rows %d from %s to %s", i+1, e, e.Attrs, e.Tenant, want[e.Tenant].Rows, walk.from, walk.to)
			}
			if keys[e.Key] {
				t.Fatalf("key %s used by two walks", e.Key)
			}
			keys[e.Key] = true
		}
	}
}

// 500s: retried within a Collect; or, once retries run out, the pages
// stored stay stored and the next Collect brings the rest, each row once.
func TestServerErrorsThenRecovery(t *testing.T) {
	perTenant := apiTotals(apiRows(t, "api"), "2026-08-25", "2026-11-22")
	wantEvents, wantRows := len(perTenant), int64(0)
	for _, tt := range perTenant {
		wantRows += tt.Rows
	}
	t.Run("retried", func(t *testing.T) {
		f := newFixture(t, "api", map[string]any{"page_size": 3})
		f.api.Fail(fakeapi.Fault{Path: metricsPath, Page: 2, Status: 500, Times: 2})
		batches, err := f.collect("", 0)
		if err != nil {
			t.Fatal(err)
		}
		keys := metricKeys(batches)
		if int64(len(keys)) != wantRows || len(slices.Compact(slices.Sorted(slices.Values(keys)))) != len(keys) || len(events(batches)) != wantEvents {
			t.Fatalf("%d rows (%v), want %d, each once", len(keys), keys, wantRows)
		}
		failed := 0
		for _, r := range f.api.Requests() {
			if r.Status == 500 {
				failed++
			}
		}
		if failed != 2 {
			t.Fatalf("%d answers were 500, want 2", failed)
		}
	})
	t.Run("next collect", func(t *testing.T) {
		f := newFixture(t, "api", map[string]any{"page_size": 3, "max_retries": 1})
		f.api.Fail(fakeapi.Fault{Path: metricsPath, Page: 2, Status: 500})
		first, err := f.collect("", 0)
		if err == nil || !strings.Contains(err.Error(), "performance_metrics: 2026-08-25 to 2026-11-22: ") ||
			!strings.Contains(err.Error(), "is failing (2 attempts): HTTP 500") {
			t.Fatalf("error %v, want one saying the API is failing", err)
		}
		if len(first) != 1 || len(events(first)) != 0 {
			t.Fatalf("%d batches before the failure, want page 1 only, without events", len(first))
		}
		f.api.Heal()
		second, err := f.collect(lastCursor(first, ""), 0)
		if err != nil {
			t.Fatal(err)
		}
		keys := metricKeys(append(first, second...))
		if int64(len(keys)) != wantRows || len(slices.Compact(slices.Sorted(slices.Values(keys)))) != len(keys) || len(events(second)) != wantEvents {
			t.Fatalf("%d rows after recovery (%v), want %d, each once", len(keys), keys, wantRows)
		}
	})
}

// A 429 storm: each Retry-After is waited out, and everything arrives.
func TestTooManyRequestsWaitsRetryAfter(t *testing.T) {
	f := newFixture(t, "api", nil)
	f.api.Fail(fakeapi.Fault{Status: 429, RetryAfter: "1", Times: 2})
	batches, err := f.collect("", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := totalsOf(metrics(batches)), apiTotals(apiRows(t, "api"), "2026-08-25", "2026-11-22"); got.String() != want.String() {
		t.Fatalf("got %v, want %v", got, want)
	}
	reqs := f.api.Requests()
	if len(reqs) != 3 || reqs[1].At.Sub(reqs[0].At) < time.Second || reqs[2].At.Sub(reqs[1].At) < time.Second {
		t.Fatalf("requests %+v: want three, a second apart", reqs)
	}
}

// A page cut short, or one with a row that breaks the contract, is
// refused: nothing of it is emitted, the cursor stays before it, and the
// next Collect takes it from there.
func TestBadPageIsRefusedAndRetriedNextTime(t *testing.T) {
	badRow := func(fields string) string {
		return `{"data": [{"id": "pm-x", "client_id": "acme", "campaign_id": "cmp-1", "platform": "tiktok", "date": "2026-11-18", ` + fields + `}], "next_page_token": "x"}`
	}
	cases := []struct {
		name  string
		fault fakeapi.Fault
		want  string
	}{
		{"truncated", fakeapi.Fault{Path: metricsPath, Page: 2, Truncate: true, Times: 1}, "responds, but not in the documented shape: JSON cut short"},
		{"wrong type", fakeapi.Fault{Path: metricsPath, Page: 2, Body: `{"data": {"id": "pm-3"}}`, Times: 1}, `field "data" is object`},
		{"negative count", fakeapi.Fault{Path: metricsPath, Page: 2, Body: badRow(`"views": -5`), Times: 1},
			`page 2 refused (the cursor stays before it): row 0 (id "pm-x"): views: must not be negative, got -5`},
		{"fractional count", fakeapi.Fault{Path: metricsPath, Page: 2, Body: badRow(`"clicks": 1.5`), Times: 1},
			`row 0 (id "pm-x"): clicks: must be a whole number, got number 1.5`},
		{"count past int64", fakeapi.Fault{Path: metricsPath, Page: 2, Body: badRow(`"likes": 99999999999999999999`), Times: 1},
			`row 0 (id "pm-x"): likes: must be a whole number, got number 99999999999999999999`},
		{"money in floats", fakeapi.Fault{Path: metricsPath, Page: 2, Body: badRow(`"cost": {"minor": 12.5, "currency": "EUR"}`), Times: 1},
			`row 0 (id "pm-x"): cost.minor: must be a whole number, got number 12.5`},
		{"bad tenant", fakeapi.Fault{Path: metricsPath, Page: 2, Body: `{"data": [{"id": "pm-y", "client_id": "acme corp", "campaign_id": "c", "platform": "p", "date": "2026-11-18"}]}`, Times: 1},
			`row 0 (id "pm-y"): client_id: must be 1-64 letters`},
		{"no date", fakeapi.Fault{Path: metricsPath, Page: 2, Body: `{"data": [{"id": "pm-y", "client_id": "acme", "campaign_id": "c", "platform": "p"}]}`, Times: 1},
			`row 0 (id "pm-y"): date: must be a date YYYY-MM-DD, got ""`},
		{"no id", fakeapi.Fault{Path: metricsPath, Page: 2, Body: `{"data": [{"client_id": "acme", "campaign_id": "c", "platform": "p", "date": "2026-11-18"}]}`, Times: 1},
			`row 0: id: required`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, "api", map[string]any{"page_size": 3})
			f.api.Fail(tc.fault)
			first, err := f.collect("", 0)
			if err == nil || !strings.Contains(err.Error(), "performance_metrics: ") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one saying %q", err, tc.want)
			}
			if len(first) != 1 {
				t.Fatalf("%d batches, want page 1's only", len(first))
			}
			second, err := f.collect(lastCursor(first, ""), 0)
			if err != nil {
				t.Fatal(err)
			}
			got := metricKeys(append(first, second...))
			want := apiTotals(apiRows(t, "api"), "2026-08-25", "2026-11-22")
			n := int64(0)
			for _, tt := range want {
				n += tt.Rows
			}
			if int64(len(got)) != n || len(slices.Compact(slices.Sorted(slices.Values(got)))) != len(got) {
				t.Fatalf("rows %v, want each of %d once", got, n)
			}
			if totalsOf(metrics(append(first, second...))).String() != want.String() {
				t.Fatalf("totals differ from the input")
			}
		})
	}
}

// Page tokens expire: one refused walks the days again from the start,
// and the walk's events count each row once.
func TestExpiredPageTokenWalksTheDaysAgain(t *testing.T) {
	f := newFixture(t, "api", map[string]any{"page_size": 2})
	first, err := f.collect("", 1)
	if !errors.Is(err, sdktest.ErrHostGone) {
		t.Fatalf("host went away, yet %v", err)
	}
	f.api.Fail(fakeapi.Fault{Page: 2, Status: 400, Times: 1})
	rest, err := f.collect(lastCursor(first, ""), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := apiTotals(apiRows(t, "api"), "2026-08-25", "2026-11-22")
	if got := totalsOf(metrics(rest)); got.String() != want.String() {
		t.Fatalf("after the expired token: %v, want every row again: %v", got, want)
	}
	for _, e := range events(rest) {
		if !strings.Contains(string(e.Attrs), fmt.Sprintf(`"rows":%d,`, want[e.Tenant].Rows)) {
			t.Fatalf("event %s attrs %s: want rows %d", e.Key, e.Attrs, want[e.Tenant].Rows)
		}
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
		{"failing", func(f *fixture) { f.api.Fail(fakeapi.Fault{Status: 503}) }, "is failing: HTTP 503"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, "api", nil)
			tc.break_(f)
			err := f.src.Check(context.Background())
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Check: %v, want %q", err, tc.want)
			}
			if tc.name == "down" {
				return
			}
			// One request, of today's first row, never retried.
			reqs := f.api.Requests()
			if len(reqs) != 1 || reqs[0].Path != metricsPath || reqs[0].Query != "from=2026-11-22&limit=1&to=2026-11-22" {
				t.Fatalf("Check sent %+v, want one request for today's first row", reqs)
			}
		})
	}
	t.Run("csv folder missing", func(t *testing.T) {
		f := newFixture(t, "", map[string]any{"csv_files": []string{"/nonexistent/exports/*.csv"}})
		if err := f.src.Check(context.Background()); err == nil || !strings.Contains(err.Error(), "csv_files[0]: stat /nonexistent/exports: no such file or directory") {
			t.Fatalf("Check: %v, want the missing folder named", err)
		}
		f = newFixture(t, "", map[string]any{"csv_files": []string{filepath.Join(t.TempDir(), "*.csv")}})
		if err := f.src.Check(context.Background()); err != nil {
			t.Fatalf("Check of an empty exports folder: %v", err)
		}
	})
}

// Configure and the schema the host checks first agree on what is wrong,
// and both name the field.
func TestBadConfigNamesTheField(t *testing.T) {
	t.Setenv("PERFORMANCE_API_KEY", key)
	bad := map[string]string{
		`{}`:                     "api_url",
		`{"api_url": "ftp://x"}`: "api_url",
		`{"api_url": "https://x", "page_size": 5000}`:     "page_size",
		`{"api_url": "https://x", "page_size": 0}`:        "page_size",
		`{"api_url": "https://x", "window_days": 0}`:      "window_days",
		`{"api_url": "https://x", "window_days": 91}`:     "window_days",
		`{"api_url": "https://x", "backfill_days": 0}`:    "backfill_days",
		`{"api_url": "https://x", "backfill_days": 3651}`: "backfill_days",
		`{"api_url": "https://x", "batch_size": 0}`:       "batch_size",
		`{"api_url": "https://x", "batch_size": 50001}`:   "batch_size",
		`{"csv_files": []}`:                               "csv_files",
		`{"csv_files": ["exports/*.csv"]}`:                "csv_files[0]",
		`{"csv_files": ["/data/a.csv", "/data/a.csv"]}`:   "csv_files",
		`{"csv_files": "/data/a.csv"}`:                    "csv_files",
		`{"api_url": "https://x", "timeout": "soon"}`:     "timeout",
		`{"api_url": "https://x", "rate_limit": -1}`:      "rate_limit",
		`{"api_url": "https://x", "max_retries": 101}`:    "max_retries",
		`{"api_url": "https://x", "api_key_env": ""}`:     "api_key_env",
		`{"api_url": "https://x", "colour": "red"}`:       "colour",
	}
	// The schema cannot tell a bad glob.
	if err := New().Configure(context.Background(), json.RawMessage(`{"csv_files": ["/data/[a.csv"]}`)); err == nil || !strings.Contains(err.Error(), "csv_files[0]: is not a valid glob") {
		t.Errorf("Configure of a bad glob: %v", err)
	}
	sdktest.Configs(t, func() sdk.Source { return New() }, bad, []string{
		`{"api_url": "https://analytics.example"}`,
		`{"csv_files": ["/data/exports/*.csv"]}`,
		`{"api_url": "https://x", "page_size": 10, "window_days": 90, "backfill_days": 3650, "csv_files": ["/data/a.csv", "/data/*/b.csv"], "batch_size": 50000, "timeout": "5s", "rate_limit": 0.5, "max_retries": -1}`,
	})
	t.Setenv("PERFORMANCE_API_KEY", "")
	if err := New().Configure(context.Background(), json.RawMessage(`{"api_url": "https://x"}`)); err == nil || !strings.Contains(err.Error(), "api_key_env: environment variable PERFORMANCE_API_KEY is empty or not set") {
		t.Errorf("without a key: %v", err)
	}
	// CSV alone needs no key.
	if err := New().Configure(context.Background(), json.RawMessage(`{"csv_files": ["/data/*.csv"]}`)); err != nil {
		t.Errorf("CSV only, without a key: %v", err)
	}
}

func TestReadmeShowsTheSampleConfig(t *testing.T) { sdktest.ReadmeShowsSampleConfig(t, SampleConfig) }

// The sample config, as the host would hand it over, is valid.
func TestSampleConfigIsValid(t *testing.T) {
	var entry []struct {
		Config map[string]any `yaml:"config"`
	}
	if err := yaml.Unmarshal([]byte(SampleConfig), &entry); err != nil || len(entry) != 1 {
		t.Fatalf("sample.yaml: %v", err)
	}
	raw, _ := json.Marshal(entry[0].Config)
	schema, err := sdk.CompileConfigSchema(configSchema)
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(raw); err != nil {
		t.Fatalf("schema refuses the sample: %v", err)
	}
	t.Setenv("PERFORMANCE_API_KEY", key)
	if err := New().Configure(context.Background(), raw); err != nil {
		t.Fatalf("Configure refuses the sample: %v", err)
	}
}
