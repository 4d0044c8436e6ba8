package performance

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/commandcenter/commandcenter/plugins/sdk"
	"github.com/commandcenter/commandcenter/plugins/sdk/sdktest"
)

// An import cut off after any batch resumes after it, not at the start:
// the rows, the bad rows' line numbers and the error are those of one
// whole import.
func TestCSVResumesAfterEveryBatch(t *testing.T) {
	for _, testCase := range []string{"csv", "bad-rows", "crlf-bom"} {
		t.Run(testCase, func(t *testing.T) {
			f := newFixture(t, testCase, map[string]any{"batch_size": 1})
			whole, wholeErr := f.collect("", 0)
			if len(whole) < 3 {
				t.Fatalf("only %d batches: the test needs batches to cut between", len(whole))
			}
			wantRows, _ := json.Marshal(metrics(whole))
			for stop := 1; stop < len(whole); stop++ {
				first, err := f.collect("", stop)
				if !errors.Is(err, sdktest.ErrHostGone) {
					t.Fatalf("stop %d: %v, want the host's error", stop, err)
				}
				f.logs.Reset()
				rest, err := f.collect(lastCursor(first, ""), 0)
				if fmt.Sprint(err) != fmt.Sprint(wholeErr) {
					t.Fatalf("stop %d: resumed import ends with %v, want %v", stop, err, wholeErr)
				}
				if gotRows, _ := json.Marshal(metrics(append(first, rest...))); !bytes.Equal(gotRows, wantRows) {
					t.Fatalf("stopped after %d batches and resumed:\n got %s\nwant %s", stop, gotRows, wantRows)
				}
				cur, _ := parseCursor(lastCursor(first, ""))
				if cur.Import != nil && !strings.Contains(f.logs.String(), "resuming the CSV import cut off") {
					t.Fatalf("stop %d: the import started again instead of resuming:\n%s", stop, f.logs)
				}
			}
		})
	}
}

// A bad row is skipped and logged with its file, line, column and what is
// wrong; the rest of the file is imported; the error at the end names the
// file, the number of rows skipped and their lines.
func TestCSVBadRowsAreSkippedAndNamed(t *testing.T) {
	f := newFixture(t, "bad-rows", nil)
	batches, err := f.collect("", 0)
	path := filepath.Join(f.dir, "nov.csv")
	rows := readCSV(t, path)
	var bad []string
	for _, r := range rows {
		if expect := r.fields["expect"]; expect != "" {
			bad = append(bad, strconv.Itoa(r.line))
			if want := fmt.Sprintf("%s:%d: %s", path, r.line, expect); !strings.Contains(f.logs.String(), want) {
				t.Errorf("the log does not say %q:\n%s", want, f.logs)
			}
		}
	}
	if len(bad) < 8 {
		t.Fatalf("the case has %d bad rows; it needs more", len(bad))
	}
	want := fmt.Sprintf("%s: %d bad row(s) skipped (line %s), the rest imported", path, len(bad), strings.Join(bad, ", "))
	if len(bad) > maxListedBadRows {
		want = fmt.Sprintf("%s: %d bad row(s) skipped (line %s, …), the rest imported", path, len(bad), strings.Join(bad[:maxListedBadRows], ", "))
	}
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v\nwant %q", err, want)
	}
	if got, want := totalsOf(metrics(batches)), csvTotals(t, rows); got.String() != want.String() {
		t.Fatalf("imported %v, want the good rows: %v", got, want)
	}
	// The file is imported: the next Collect does not report it again.
	if again, err := f.collect(lastCursor(batches, ""), 0); err != nil || len(again) != 0 {
		t.Fatalf("second collect: %d batches, %v; want nothing", len(again), err)
	}
}

// The log shows the first bad rows one by one, then only a count.
func TestCSVLogsAtMostTwentyBadRows(t *testing.T) {
	f := newFixture(t, "", map[string]any{"csv_files": []string{"/unused/*.csv"}})
	f.dir = t.TempDir()
	var b strings.Builder
	b.WriteString("date,client_id,campaign_id,platform,impressions,views,clicks,likes,comments,shares\n")
	for i := range 30 {
		fmt.Fprintf(&b, "2026-11-%02d,acme,cmp-1,tiktok,1,x,1,1,1,1\n", i%28+1)
	}
	b.WriteString("2026-11-30,acme,cmp-1,tiktok,1,1,1,1,1,1\n")
	path := f.writeCSV(t, "many.csv", b.String())
	f.src.cfg.CSVFiles = []string{path}
	batches, err := f.collect("", 0)
	if got := strings.Count(f.logs.String(), "CSV row skipped"); got != maxLoggedBadRows {
		t.Errorf("%d bad rows logged one by one, want %d", got, maxLoggedBadRows)
	}
	if !strings.Contains(f.logs.String(), "more CSV rows skipped than logged one by one") || !strings.Contains(f.logs.String(), "skipped=30") {
		t.Errorf("no count of the rows not logged:\n%s", f.logs)
	}
	if err == nil || !strings.Contains(err.Error(), path+": 30 bad row(s) skipped (line 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, …)") {
		t.Errorf("error %v", err)
	}
	if got := len(metrics(batches)); got != 1 {
		t.Errorf("%d rows imported, want the one good row", got)
	}
}

// A file is imported once; a new version (other size or modification
// time) is imported again, whole; the others are left alone.
func TestCSVImportedOnceAndAgainWhenChanged(t *testing.T) {
	f := newFixture(t, "csv", nil)
	first, err := f.collect("", 0)
	if err != nil {
		t.Fatal(err)
	}
	cursor := lastCursor(first, "")
	again, err := f.collect(cursor, 0)
	if err != nil || len(again) != 0 {
		t.Fatalf("second collect: %d batches, %v; want nothing", len(again), err)
	}
	dec := filepath.Join(f.dir, "dec.csv")
	data, _ := os.ReadFile(dec)
	f.writeCSV(t, "dec.csv", string(data)+"acme,cmp-1,tiktok,2026-12-03,130,99,3,12,1,0\n")
	grown, err := f.collect(cursor, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := totalsOf(metrics(grown)), csvTotals(t, readCSV(t, dec)); got.String() != want.String() {
		t.Fatalf("after dec.csv grew: %v, want it whole again: %v", got, want)
	}
	cursor = lastCursor(grown, cursor)
	nov := filepath.Join(f.dir, "nov.csv")
	if err := os.Chtimes(nov, csvModTime.Add(time.Hour), csvModTime.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	touched, err := f.collect(cursor, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := totalsOf(metrics(touched)), csvTotals(t, readCSV(t, nov)); got.String() != want.String() {
		t.Fatalf("after nov.csv was saved again: %v, want it whole again: %v", got, want)
	}
}

// A file the glob no longer matches is nothing to do, even mid-import,
// and the cursor forgets it.
func TestCSVFileGoneIsNothingToDo(t *testing.T) {
	f := newFixture(t, "csv", map[string]any{"batch_size": 2})
	first, err := f.collect("", 3) // dec.csv done (2 rows, then 1), nov.csv begun
	if !errors.Is(err, sdktest.ErrHostGone) {
		t.Fatal(err)
	}
	if cur, _ := parseCursor(first[2].Cursor); len(cur.Files) != 1 || cur.Import == nil || !strings.HasSuffix(cur.Import.Path, "nov.csv") {
		t.Fatalf("cursor %s: want dec.csv done and nov.csv in progress", first[2].Cursor)
	}
	os.Remove(filepath.Join(f.dir, "nov.csv"))
	f.writeCSV(t, "jan.csv", "date,client_id,campaign_id,platform,impressions,views,clicks,likes,comments,shares\n2027-01-01,acme,cmp-1,tiktok,1,1,1,1,1,1\n")
	rest, err := f.collect(lastCursor(first, ""), 0)
	if err != nil {
		t.Fatal(err)
	}
	cur, _ := parseCursor(lastCursor(rest, ""))
	if cur.Import != nil || len(cur.Files) != 2 || slices.Contains(metricKeys(rest), "acme/cmp-1///tiktok/2026-11-18") {
		t.Fatalf("cursor %+v, rows %v: want nov.csv forgotten, jan.csv imported", cur, metricKeys(rest))
	}
	os.Remove(filepath.Join(f.dir, "dec.csv"))
	if batches, err := f.collect(lastCursor(rest, ""), 0); err != nil || len(batches) != 0 {
		t.Fatalf("%d batches, %v; want nothing to do", len(batches), err)
	}
}

// A file that cannot be read as the documented CSV is refused with an
// error naming it, and its line when there is one; the rows before a
// problem midway are imported, and the next Collect tries again from it.
func TestCSVFileProblems(t *testing.T) {
	const header = "date,client_id,campaign_id,platform,impressions,views,clicks,likes,comments,shares\n"
	const good = "2026-11-18,acme,cmp-1,tiktok,10,8,1,1,0,0\n"
	cases := []struct {
		name, content string
		want          string // "" for no error
		rows          int
	}{
		{"latin-1", header + good + "2026-11-19,acme,cmp-1,tiktok-caf\xe9,10,8,1,1,0,0\n" + good, "bad.csv:3: not UTF-8 text", 1},
		{"binary", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", "bad.csv:1: not UTF-8 text", 0},
		{"json", `[{"date": "2026-11-18", "client_id": "acme"}]` + "\n", `bad.csv:1: not valid CSV (column 3): bare " in non-quoted-field`, 0},
		{"bare quote", header + good + "2026-11-19,ac\"me,cmp-1,tiktok,10,8,1,1,0,0\n", `bad.csv:3: not valid CSV (column 14): bare " in non-quoted-field`, 1},
		{"missing columns", "date,client_id,campaign_id,platform,impressions,views,clicks,likes\n" + good, "bad.csv:1: refused: no column comments, shares in the header", 0},
		{"cost without currency", "date,client_id,campaign_id,platform,impressions,views,clicks,likes,comments,shares,cost\n", "bad.csv:1: refused: the header has cost or revenue but no currency column", 0},
		{"column twice", "date,client_id,campaign_id,platform,impressions,views,clicks,likes,comments,shares,Views\n", `bad.csv:1: refused: column "views" appears twice`, 0},
		{"header only", header, "", 0},
		{"empty", "", "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, "", map[string]any{"csv_files": []string{"/unused/*.csv"}})
			f.dir = t.TempDir()
			f.src.cfg.CSVFiles = []string{f.writeCSV(t, "bad.csv", tc.content)}
			batches, err := f.collect("", 0)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), filepath.Join(f.dir, tc.want))) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if got := len(metrics(batches)); got != tc.rows {
				t.Fatalf("%d rows imported, want %d", got, tc.rows)
			}
			again, err2 := f.collect(lastCursor(batches, ""), 0)
			if fmt.Sprint(err2) != fmt.Sprint(err) || len(metrics(again)) != 0 {
				t.Fatalf("next collect: %d rows, %v; want none, and the same error", len(metrics(again)), err2)
			}
		})
	}
}

// Counts are whole numbers, empty meaning 0; anything else is a bad value.
func TestParseCount(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		err  string
	}{
		{"", 0, ""}, {"0", 0, ""}, {"1200", 1200, ""}, {"9223372036854775807", 9223372036854775807, ""},
		{"9223372036854775808", 0, `"9223372036854775808" is too large for a count`},
		{"-3", 0, `"-3" is negative`}, {"1.5", 0, `"1.5" is not a whole number`},
		{"1,200", 0, `"1,200" is not a whole number`}, {"1e3", 0, `"1e3" is not a whole number`},
	}
	for _, tc := range cases {
		got, err := parseCount(tc.in)
		if got != tc.want || fmt.Sprint(err) != map[bool]string{true: "<nil>", false: tc.err}[tc.err == ""] {
			t.Errorf("parseCount(%q) = %d, %v; want %d, %q", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// Amounts in major units become minor units exactly, by the currency's
// own number of decimals.
func TestParseAmount(t *testing.T) {
	cases := []struct {
		in, currency string
		want         int64
		err          string
	}{
		{"12.50", "EUR", 1250, ""}, {"12.5", "EUR", 1250, ""}, {"12", "EUR", 1200, ""}, {"0.01", "USD", 1, ""},
		{"0.29", "EUR", 29, ""}, // 0.29 is 28.999… as a float
		{"1000", "JPY", 1000, ""}, {"1.234", "KWD", 1234, ""}, {"10.5", "KWD", 10500, ""},
		{"10000000000000", "EUR", sdk.MaxMinor, ""},
		{"10000000000000.01", "EUR", 0, "more than the largest amount"},
		{"1000000000000000", "JPY", sdk.MaxMinor, ""}, {"1000000000000001", "JPY", 0, "more than the largest amount"},
		{"99999999999999999999999", "EUR", 0, "more than the largest amount"},
		{"12,5", "EUR", 0, `"12,5" is not a decimal amount like 12.50`},
		{"12.505", "EUR", 0, `"12.505" has more decimals than EUR has (2)`},
		{"12.5", "JPY", 0, `"12.5" has more decimals than JPY has (0)`},
		{"-1.00", "EUR", 0, `"-1.00" is negative`},
		{"1.", "EUR", 0, "is not a decimal amount"}, {".5", "EUR", 0, "is not a decimal amount"},
		{"€12", "EUR", 0, "is not a decimal amount"}, {"1e3", "EUR", 0, "is not a decimal amount"},
	}
	for _, tc := range cases {
		got, err := parseAmount(tc.in, tc.currency)
		if got != tc.want || tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("parseAmount(%q, %s) = %d, %v; want %d, %q", tc.in, tc.currency, got, err, tc.want, tc.err)
		}
	}
}

// A long import says how far it is, in rows, bytes and rows per second.
func TestCSVProgressIsLogged(t *testing.T) {
	f := newFixture(t, "csv", nil)
	f.src.progressRows = 3
	if _, err := f.collect("", 0); err != nil {
		t.Fatal(err)
	}
	var progress []string
	for _, line := range strings.Split(f.logs.String(), "\n") {
		if strings.Contains(line, "importing CSV") {
			progress = append(progress, line)
		}
	}
	// dec.csv has 3 rows, nov.csv 8: one line at 3 rows, two at 3 and 6.
	if len(progress) != 3 || !strings.Contains(progress[0], "dec.csv rows=3 read=100.0%") ||
		!strings.Contains(progress[2], "nov.csv rows=6 read=") || !strings.Contains(progress[2], "rows_per_sec=") {
		t.Fatalf("progress lines:\n%s", strings.Join(progress, "\n"))
	}
}

// Every row the CSV import emits passes the host's validation, and the
// batches are no larger than batch_size.
func TestCSVBatchesAreValidAndBounded(t *testing.T) {
	f := newFixture(t, "bad-rows", map[string]any{"batch_size": 4})
	batches, _ := f.collect("", 0)
	for i, b := range batches {
		if err := sdk.Validate(&b); err != nil || len(b.DailyMetrics) > 4 || b.Cursor == "" {
			t.Fatalf("batch %d: %d rows, cursor %q, %v", i, len(b.DailyMetrics), b.Cursor, err)
		}
	}
}
