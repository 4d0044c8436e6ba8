package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/commandcenter/commandcenter/plugins/sdk"
)

var testNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func openTest(t testing.TB, opts Options) *Store {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return testNow }
	}
	s, err := Open(filepath.Join(t.TempDir(), "cc.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func count(t testing.TB, s *Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.read.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func event(key, kind string) sdk.Event {
	return sdk.Event{Key: key, Tenant: "acme", Kind: kind, OccurredAt: testNow, Entity: sdk.EntityRef{Type: "payment", ID: "p1"}}
}

func mustApply(t testing.TB, s *Store, source string, b sdk.Batch) Result {
	t.Helper()
	r, err := s.Apply(context.Background(), source, &b)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestApplyStoresEventsOnceAndAdvancesCursor(t *testing.T) {
	s := openTest(t, Options{})
	b := sdk.Batch{Events: []sdk.Event{event("a", sdk.KindPaymentPaid), event("b", sdk.KindVideoUploaded)}, Cursor: "c1"}
	r := mustApply(t, s, "platform", b)
	if r.EventsInserted[sdk.KindPaymentPaid] != 1 || r.EventsInserted[sdk.KindVideoUploaded] != 1 || r.EventsDuplicate != 0 {
		t.Fatalf("first apply: %+v", r)
	}
	b.Cursor = "c2"
	r = mustApply(t, s, "platform", b)
	if len(r.EventsInserted) != 0 || r.EventsDuplicate != 2 {
		t.Fatalf("re-sent batch should only count duplicates: %+v", r)
	}
	if n := count(t, s, "SELECT count(*) FROM events"); n != 2 {
		t.Fatalf("events stored = %d, want 2", n)
	}
	// The same key from another source is another event.
	mustApply(t, s, "other", sdk.Batch{Events: []sdk.Event{event("a", sdk.KindPaymentPaid)}})
	if n := count(t, s, "SELECT count(*) FROM events"); n != 3 {
		t.Fatalf("events stored = %d, want 3", n)
	}
	if c, _ := s.Cursor(context.Background(), "platform"); c != "c2" {
		t.Fatalf("cursor = %q, want c2", c)
	}
}

func TestApplyRejectsBadBatchesWhole(t *testing.T) {
	good := func() sdk.Batch {
		return sdk.Batch{Events: []sdk.Event{event("ok", sdk.KindPaymentPaid)}, Cursor: "bad-cursor"}
	}
	cases := []struct {
		name     string
		mutate   func(*sdk.Batch)
		wantPath string
	}{
		{"unknown kind", func(b *sdk.Batch) { b.Events[0].Kind = "payment.teleported" }, "events[0].kind"},
		{"namespaced kind missing plugin", func(b *sdk.Batch) { b.Events[0].Kind = "x.thing" }, "events[0].kind"},
		{"missing key", func(b *sdk.Batch) { b.Events[0].Key = "" }, "events[0].key"},
		{"bad tenant", func(b *sdk.Batch) { b.Events[0].Tenant = "a b" }, "events[0].tenant"},
		{"no time", func(b *sdk.Batch) { b.Events[0].OccurredAt = time.Time{} }, "events[0].occurred_at"},
		{"attrs not an object", func(b *sdk.Batch) { b.Events[0].Attrs = []byte(`[1,2]`) }, "events[0].attrs"},
		{"negative money", func(b *sdk.Batch) {
			b.Entities = []sdk.Entity{{Tenant: "acme", Type: "payment", ID: "p", Status: "open", Amount: &sdk.Money{Minor: -5, Currency: "EUR"}}}
		}, "entities[0].amount.minor"},
		{"lower-case currency", func(b *sdk.Batch) {
			b.Entities = []sdk.Entity{{Tenant: "acme", Type: "payment", ID: "p", Status: "open", Amount: &sdk.Money{Minor: 5, Currency: "eur"}}}
		}, "entities[0].amount.currency"},
		{"unknown entity type", func(b *sdk.Batch) {
			b.Entities = []sdk.Entity{{Tenant: "acme", Type: "spaceship", ID: "s", Status: "ok"}}
		}, "entities[0].type"},
		{"unknown status", func(b *sdk.Batch) {
			b.Entities = []sdk.Entity{{Tenant: "acme", Type: "video", ID: "v", Status: "lost"}}
		}, "entities[0].status"},
		{"bad day", func(b *sdk.Batch) {
			b.DailyMetrics = []sdk.DailyMetric{{Tenant: "acme", Campaign: "c", Platform: "tiktok", Day: "20-11-2026"}}
		}, "daily_metrics[0].day"},
		{"negative views", func(b *sdk.Batch) {
			b.DailyMetrics = []sdk.DailyMetric{{Tenant: "acme", Campaign: "c", Platform: "tiktok", Day: "2026-11-20", Counts: sdk.Counts{Views: -1}}}
		}, "daily_metrics[0].views"},
		{"mixed currencies", func(b *sdk.Batch) {
			b.DailyMetrics = []sdk.DailyMetric{{Tenant: "acme", Campaign: "c", Platform: "tiktok", Day: "2026-11-20",
				Cost: &sdk.Money{Minor: 1, Currency: "EUR"}, Revenue: &sdk.Money{Minor: 1, Currency: "USD"}}}
		}, "daily_metrics[0].revenue.currency"},
		{"too many items", func(b *sdk.Batch) {
			b.Events = make([]sdk.Event, sdk.MaxBatchItems+1)
		}, "batch"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t, Options{})
			b := good()
			tc.mutate(&b)
			_, err := s.Apply(context.Background(), "platform", &b)
			var verr *sdk.ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("want ValidationError, got %v", err)
			}
			if verr.Problems[0].Path != tc.wantPath {
				t.Fatalf("first problem at %q, want %q (%v)", verr.Problems[0].Path, tc.wantPath, verr)
			}
			if n := count(t, s, "SELECT count(*) FROM events"); n != 0 {
				t.Fatalf("%d events stored from a rejected batch", n)
			}
			if c, _ := s.Cursor(context.Background(), "platform"); c != "" {
				t.Fatalf("cursor advanced to %q by a rejected batch", c)
			}
		})
	}
}

func TestTenThousandItemBatchWithOneBadItemStoresNothing(t *testing.T) {
	s := openTest(t, Options{})
	var b sdk.Batch
	for i := range 10_000 {
		b.Events = append(b.Events, event(fmt.Sprint(i), sdk.KindMetricsUpdated))
	}
	b.Events[7345].Kind = "nope"
	_, err := s.Apply(context.Background(), "demo", &b)
	if err == nil || !strings.Contains(err.Error(), "events[7345].kind") {
		t.Fatalf("want an error naming events[7345].kind, got %v", err)
	}
	if n := count(t, s, "SELECT count(*) FROM events"); n != 0 {
		t.Fatalf("%d events stored", n)
	}
}

func TestPerformanceAggregateUsesCoveringIndex(t *testing.T) {
	s := openTest(t, Options{})
	for _, q := range []PerformanceQuery{
		{Tenant: "acme", From: "2026-10-01", To: "2026-10-30", GroupBy: "day"},
		{Tenant: "acme", From: "2026-10-01", To: "2026-10-30", GroupBy: "campaign", Platform: "tiktok"},
		{Tenant: "acme", From: "2026-10-01", To: "2026-10-30", GroupBy: "platform", Campaign: "c1"},
	} {
		query, args := performanceSQL(q, groupColumns[q.GroupBy])
		rows, err := s.read.Query("EXPLAIN QUERY PLAN "+query, args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if !strings.Contains(strings.Join(plan, "\n"), "SEARCH daily_rollup USING PRIMARY KEY (tenant=? AND day>? AND day<?)") {
			t.Fatalf("group by %s: plan does not read the rollup's key range:\n%s", q.GroupBy, strings.Join(plan, "\n"))
		}
	}
}

func TestWriteWhileAnotherProcessHoldsTheLock(t *testing.T) {
	s := openTest(t, Options{BusyTimeout: 100 * time.Millisecond})
	// A second connection stands in for another process: SQLite locks the
	// file, not the handle.
	other, err := sql.Open("sqlite3", "file:"+s.Path()+"?_txlock=exclusive")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.Begin()
	if err != nil {
		t.Fatal(err)
	}
	b := sdk.Batch{Events: []sdk.Event{event("k", sdk.KindPaymentPaid)}, Cursor: "c"}
	_, err = s.Apply(context.Background(), "platform", &b)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("want ErrLocked, got %v", err)
	}
	tx.Rollback()
	mustApply(t, s, "platform", b) // retry succeeds once the lock is gone
	if n := count(t, s, "SELECT count(*) FROM events"); n != 1 {
		t.Fatalf("%d events after retry", n)
	}
}

func TestTokens(t *testing.T) {
	now := time.Now()
	s := openTest(t, Options{Now: func() time.Time { return now }})
	ctx := context.Background()
	tok, secret, err := s.CreateToken(ctx, "acme", ScopeRead, "grafana", 0)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Authenticate(ctx, secret)
	if err != nil || got.ID != tok.ID || got.Tenant != "acme" || !got.Allows(ScopeRead) || got.Allows(ScopeIngest) {
		t.Fatalf("authenticate = %+v, %v", got, err)
	}
	if n := count(t, s, "SELECT count(*) FROM tokens WHERE instr(hash, ?) > 0 OR id = ?", secret, secret); n != 0 {
		t.Fatal("the secret is stored")
	}
	// The listed id is no part of the secret (it was its first 8 letters).
	if strings.Contains(secret, tok.ID) || len(tok.ID) != 8 {
		t.Fatalf("token id %q is part of its secret %q", tok.ID, secret)
	}
	for _, bad := range []string{"", "cc_", secret + "x", strings.TrimPrefix(secret, "cc_")} {
		if _, err := s.Authenticate(ctx, bad); !errors.Is(err, ErrTokenUnknown) {
			t.Fatalf("%q: want ErrTokenUnknown, got %v", bad, err)
		}
	}
	_, expired, err := s.CreateToken(ctx, "acme", ScopeAdmin, "", MinTokenLifetime)
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(MinTokenLifetime)
	if _, err := s.Authenticate(ctx, expired); !errors.Is(err, ErrTokenExpired) {
		t.Fatalf("want ErrTokenExpired, got %v", err)
	}
	if _, _, err := s.CreateToken(ctx, "acme", "root", "", 0); err == nil {
		t.Fatal("unknown scope accepted")
	}
	// A negative lifetime once made a token that never expired.
	if _, _, err := s.CreateToken(ctx, "acme", ScopeRead, "", -5*time.Hour); err == nil || !strings.Contains(err.Error(), "expires") {
		t.Fatalf("negative lifetime: %v", err)
	}
	if err := s.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, secret); !errors.Is(err, ErrTokenUnknown) {
		t.Fatalf("revoked token still works: %v", err)
	}
}

func TestScraperStats(t *testing.T) {
	s := openTest(t, Options{})
	ev := func(key, kind, attrs string, at time.Time) sdk.Event {
		return sdk.Event{Key: key, Tenant: "acme", Kind: kind, Entity: sdk.EntityRef{Type: "scraper_target", ID: "tiktok-views"},
			OccurredAt: at, Attrs: []byte(attrs)}
	}
	mustApply(t, s, "scraper", sdk.Batch{Events: []sdk.Event{
		ev("1", sdk.KindScraperRun, `{"status":"ok"}`, testNow.Add(-2*time.Hour)),
		ev("2", sdk.KindScraperRun, `{"status":"failed"}`, testNow.Add(-time.Hour)),
		ev("3", sdk.KindScraperError, `{"message":"timeout"}`, testNow.Add(-time.Hour)),
		ev("4", sdk.KindScraperSelectorUpdated, ``, testNow),
	}})
	stats, err := s.ScraperStats(context.Background(), "acme")
	if err != nil || len(stats) != 1 {
		t.Fatalf("%+v %v", stats, err)
	}
	st := stats[0]
	if st.RunsOK != 1 || st.RunsFailed != 1 || st.Errors != 1 || st.SelectorUpdates != 1 ||
		!st.LastSuccessAt.Equal(testNow.Add(-2*time.Hour)) || !st.LastRunAt.Equal(testNow.Add(-time.Hour)) {
		t.Fatalf("stats = %+v", st)
	}
}

func TestRetentionDeletesOldEvents(t *testing.T) {
	s := openTest(t, Options{})
	old := event("old", sdk.KindPaymentPaid)
	old.OccurredAt = testNow.AddDate(0, 0, -400)
	mustApply(t, s, "p", sdk.Batch{Events: []sdk.Event{old, event("new", sdk.KindPaymentPaid)}})
	n, err := s.DeleteEventsBefore(context.Background(), testNow.AddDate(0, 0, -365))
	if err != nil || n != 1 {
		t.Fatalf("deleted %d, %v", n, err)
	}
	if c := count(t, s, "SELECT count(*) FROM events WHERE key = 'new'"); c != 1 {
		t.Fatal("recent event deleted")
	}
}

// An event id is never handed out twice, even when the newest event is
// deleted: a follower that remembers the last id it passed on (?since_id=)
// would otherwise skip the event that took the id over.
func TestEventIDsAreNeverReused(t *testing.T) {
	s := openTest(t, Options{})
	old := event("old", sdk.KindPaymentPaid)
	old.OccurredAt = testNow.AddDate(0, 0, -400)
	mustApply(t, s, "p", sdk.Batch{Events: []sdk.Event{event("new", sdk.KindPaymentPaid)}})
	mustApply(t, s, "p", sdk.Batch{Events: []sdk.Event{old}}) // stored last, so the largest id
	var oldID int64
	if err := s.read.QueryRow("SELECT id FROM events WHERE key = 'old'").Scan(&oldID); err != nil {
		t.Fatal(err)
	}
	if n, err := s.DeleteEventsBefore(context.Background(), testNow.AddDate(0, 0, -365)); err != nil || n != 1 {
		t.Fatalf("deleted %d, %v", n, err)
	}
	mustApply(t, s, "p", sdk.Batch{Events: []sdk.Event{event("next", sdk.KindPaymentPaid)}})
	var nextID int64
	if err := s.read.QueryRow("SELECT id FROM events WHERE key = 'next'").Scan(&nextID); err != nil {
		t.Fatal(err)
	}
	if nextID <= oldID {
		t.Fatalf("the next event got id %d, the deleted one had %d", nextID, oldID)
	}
}

// Events older than the retention period are not stored, so one that
// retention deleted cannot come back as new when a source re-sends it.
func TestEventsOlderThanRetentionAreNotStored(t *testing.T) {
	s := openTest(t, Options{Retention: 24 * time.Hour})
	old := event("old", sdk.KindPaymentPaid)
	old.OccurredAt = testNow.Add(-25 * time.Hour)
	recent := event("recent", sdk.KindPaymentPaid)
	recent.OccurredAt = testNow.Add(-23 * time.Hour)
	r := mustApply(t, s, "p", sdk.Batch{Events: []sdk.Event{old, recent}})
	if r.EventsExpired != 1 || r.EventsInserted[sdk.KindPaymentPaid] != 1 || r.EventsDuplicate != 0 {
		t.Fatalf("first send: %+v", r)
	}
	if n := count(t, s, "SELECT count(*) FROM events WHERE key = 'old'"); n != 0 {
		t.Fatal("an event older than the retention was stored")
	}
	// Retention runs, then the source sends both again.
	if _, err := s.DeleteEventsBefore(context.Background(), testNow.Add(-24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	r = mustApply(t, s, "p", sdk.Batch{Events: []sdk.Event{old, recent}})
	if r.EventsExpired != 1 || len(r.EventsInserted) != 0 || r.EventsDuplicate != 1 {
		t.Fatalf("re-sent: %+v", r)
	}
	if n := count(t, s, "SELECT count(*) FROM events"); n != 1 {
		t.Fatalf("%d events stored, want 1", n)
	}
}

func TestReopenKeepsDataAndSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cc.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustApply(t, s, "p", sdk.Batch{Events: []sdk.Event{event("a", sdk.KindPaymentPaid)}, Cursor: "x"})
	s.Close()
	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if c, _ := s.Cursor(context.Background(), "p"); c != "x" {
		t.Fatalf("cursor after reopen = %q", c)
	}
}

// TestStoreDependsOnlyOnTheContract: the arrows point one way; the store
// knows the data contract and SQLite, not the business rules, the API or
// the exporter built on it.
func TestStoreDependsOnlyOnTheContract(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	allowed := map[string]bool{
		"github.com/commandcenter/commandcenter/collector/store": true,
		"github.com/commandcenter/commandcenter/plugins/sdk":     true,
		"github.com/commandcenter/commandcenter/plugins/proto":   true,
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/commandcenter/") && !allowed[dep] {
			t.Errorf("collector/store depends on %s", dep)
		}
	}
}

// A batch touching two tenants tells each subscriber-side tenant only of
// its own new events.
func TestChangesArePerTenant(t *testing.T) {
	s := openTest(t, Options{})
	changes, stop := s.Subscribe("")
	defer stop()
	ev := func(tenant, key, kind string) sdk.Event {
		return sdk.Event{Key: key, Tenant: tenant, Kind: kind, OccurredAt: testNow}
	}
	mustApply(t, s, "p", sdk.Batch{Events: []sdk.Event{
		ev("acme", "1", sdk.KindPaymentPaid), ev("acme", "2", sdk.KindPaymentPaid), ev("globex", "1", sdk.KindVideoApproved)}})
	got := map[string]map[string]int{}
	for range 2 {
		c := <-changes
		got[c.Tenant] = c.Events
	}
	if len(got) != 2 || len(got["acme"]) != 1 || got["acme"][sdk.KindPaymentPaid] != 2 ||
		len(got["globex"]) != 1 || got["globex"][sdk.KindVideoApproved] != 1 {
		t.Fatalf("changes %v", got)
	}
	// A tenant's subscriber hears of its own tenant only, however many
	// tenants one batch touches: 100 here, more than its buffer holds.
	globex, stopGlobex := s.Subscribe("globex")
	defer stopGlobex()
	var many sdk.Batch
	for i := range 100 {
		many.Events = append(many.Events, ev(fmt.Sprintf("t%03d", i), "k", sdk.KindPaymentPaid))
	}
	many.Events = append(many.Events, ev("globex", "2", sdk.KindVideoApproved))
	mustApply(t, s, "p", many)
	select {
	case c := <-globex:
		if c.Tenant != "globex" || c.Events[sdk.KindVideoApproved] != 1 || len(globex) != 0 {
			t.Fatalf("globex subscriber got %+v (and %d more)", c, len(globex))
		}
	case <-time.After(time.Second):
		t.Fatal("globex's change was lost among 100 other tenants'")
	}
}

// A change says which entities, daily metrics and scraper counters a batch
// stored for its tenant, and changes are numbered without gaps, so a
// subscriber can tell it missed one.
func TestChangesSayWhatChanged(t *testing.T) {
	s := openTest(t, Options{})
	changes, stop := s.Subscribe("")
	defer stop()
	mustApply(t, s, "p", sdk.Batch{
		Entities: []sdk.Entity{{Tenant: "acme", Type: sdk.EntityPayment, ID: "p1", Status: "open", Amount: &sdk.Money{Minor: 1, Currency: "EUR"}},
			{Tenant: "acme", Type: sdk.EntityVideo, ID: "v1", Status: "scheduled"}, {Tenant: "globex", Type: sdk.EntityPayment, ID: "p2", Status: "paid", Amount: &sdk.Money{Minor: 1, Currency: "EUR"}}},
		DailyMetrics: []sdk.DailyMetric{{Tenant: "globex", Campaign: "c", Platform: "tiktok", Day: "2026-11-19"}},
		Events: []sdk.Event{{Key: "r1", Tenant: "acme", Kind: sdk.KindScraperRun, OccurredAt: testNow,
			Entity: sdk.EntityRef{Type: sdk.EntityScraperTarget, ID: "t"}}},
	})
	mustApply(t, s, "p", sdk.Batch{Entities: []sdk.Entity{{Tenant: "acme", Type: sdk.EntityPayment, ID: "p1", Status: "paid", Amount: &sdk.Money{Minor: 1, Currency: "EUR"}}}})
	var got []Change
	for range 3 {
		got = append(got, <-changes)
	}
	slices.SortFunc(got, func(a, b Change) int { return cmp.Compare(a.Seq, b.Seq) })
	for i, c := range got {
		if c.Seq != got[0].Seq+uint64(i) {
			t.Fatalf("sequence numbers %d, %d, %d", got[0].Seq, got[1].Seq, got[2].Seq)
		}
	}
	byTenant := map[string]Change{got[0].Tenant: got[0], got[1].Tenant: got[1]}
	acme, globex := byTenant["acme"], byTenant["globex"]
	if !slices.Equal(acme.Entities[sdk.EntityPayment], []string{"p1"}) || !slices.Equal(acme.Entities[sdk.EntityVideo], []string{"v1"}) ||
		!acme.ScraperStats || acme.DailyMetrics {
		t.Errorf("acme's change %+v", acme)
	}
	if !slices.Equal(globex.Entities[sdk.EntityPayment], []string{"p2"}) || !globex.DailyMetrics || globex.ScraperStats {
		t.Errorf("globex's change %+v", globex)
	}
	if last := got[2]; last.Tenant != "acme" || !slices.Equal(last.Entities[sdk.EntityPayment], []string{"p1"}) {
		t.Errorf("second batch's change %+v", last)
	}
}

// A database made by the first schema keeps its events, cursors and all
// through the migration that makes keys unique per tenant.
func TestMigrationCarriesEventsOver(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	old, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	v1, err := migrations.ReadFile("migrations/0001_initial.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(string(v1) + `;PRAGMA user_version = 1;
		INSERT INTO events (source, key, tenant, kind, occurred_at, attrs) VALUES
			('p', 'k1', 'acme', 'payment.paid', 1000, '{"a":1}'), ('p', 'k2', 'acme', 'payment.paid', 500, NULL);
		INSERT INTO cursors VALUES ('p', 'c9', 1);`); err != nil {
		t.Fatal(err)
	}
	old.Close()
	s, err := Open(path, Options{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	acts, _, err := s.Activity(context.Background(), ActivityQuery{Tenant: "acme"})
	if err != nil || len(acts) != 2 || acts[0].Key != "k1" || string(acts[0].Attrs) != `{"a":1}` {
		t.Fatalf("events after migration: %+v %v", acts, err)
	}
	if c, _ := s.Cursor(context.Background(), "p"); c != "c9" {
		t.Fatalf("cursor %q", c)
	}
	// The same key from another tenant is now another event.
	r := mustApply(t, s, "p", sdk.Batch{Events: []sdk.Event{{Key: "k1", Tenant: "globex", Kind: sdk.KindPaymentPaid, OccurredAt: testNow}}})
	if r.EventsInserted[sdk.KindPaymentPaid] != 1 || r.EventsDuplicate != 0 {
		t.Fatalf("globex k1: %+v", r)
	}
}

// A full disk is a clear error, stores nothing of the batch, and makes
// the store report itself not writable until a write succeeds again.
func TestFullDiskIsAClearErrorAndStoresNothing(t *testing.T) {
	s := openTest(t, Options{})
	mustApply(t, s, "p", sdk.Batch{Events: []sdk.Event{event("before", sdk.KindPaymentPaid)}, Cursor: "c1"})
	// SQLite's page cap stands in for a full disk: the same error, SQLITE_FULL.
	var pages int
	if err := s.write.QueryRow("PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := s.write.Exec(fmt.Sprintf("PRAGMA max_page_count = %d", pages)); err != nil {
		t.Fatal(err)
	}
	var big sdk.Batch
	for i := range 2000 {
		e := event(fmt.Sprint("full-", i), sdk.KindMetricsUpdated)
		e.Attrs = []byte(`{"pad":"` + strings.Repeat("x", 1000) + `"}`)
		big.Events = append(big.Events, e)
	}
	big.Cursor = "c2"
	_, err := s.Apply(context.Background(), "p", &big)
	if !errors.Is(err, ErrDiskFull) || !errors.Is(s.Writable(), ErrDiskFull) {
		t.Fatalf("want ErrDiskFull, got %v (writable: %v)", err, s.Writable())
	}
	if n := count(t, s, "SELECT count(*) FROM events"); n != 1 {
		t.Fatalf("%d events after a failed batch, want 1", n)
	}
	if c, _ := s.Cursor(context.Background(), "p"); c != "c1" {
		t.Fatalf("cursor moved to %q", c)
	}
	// With no write to prove it, the report lapses (here after 50 ms).
	defer func(hold time.Duration) { diskFullHold = hold }(diskFullHold)
	diskFullHold = 50 * time.Millisecond
	time.Sleep(60 * time.Millisecond)
	if err := s.Writable(); err != nil {
		t.Fatalf("still not writable long after the last failure: %v", err)
	}
	if _, err := s.Apply(context.Background(), "p", &big); !errors.Is(s.Writable(), ErrDiskFull) {
		t.Fatalf("a new failure (%v) did not renew the report", err)
	}
	if _, err := s.write.Exec("PRAGMA max_page_count = 1073741823"); err != nil {
		t.Fatal(err)
	}
	mustApply(t, s, "p", big)
	if err := s.Writable(); err != nil {
		t.Fatalf("still not writable after a good write: %v", err)
	}
}

// Under a locked database, a write waits at most the busy timeout in all,
// even queued behind another write that is itself waiting (a POST once
// waited 9.8 s for its 503 behind a plugin's batch).
func TestQueuedWritesWaitOneBusyTimeoutInAll(t *testing.T) {
	const busy = time.Second
	s := openTest(t, Options{BusyTimeout: busy})
	other, err := sql.Open("sqlite3", "file:"+s.Path()+"?_txlock=exclusive")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	lock, err := other.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Rollback()
	first := make(chan error, 1)
	go func() {
		b := sdk.Batch{Events: []sdk.Event{event("first", sdk.KindPaymentPaid)}}
		_, err := s.Apply(context.Background(), "plugin", &b)
		first <- err
	}()
	time.Sleep(100 * time.Millisecond) // the first write holds the connection, waiting
	start := time.Now()
	b := sdk.Batch{Events: []sdk.Event{event("second", sdk.KindPaymentPaid)}}
	_, err = s.Apply(context.Background(), "api", &b)
	waited := time.Since(start)
	if !errors.Is(err, ErrLocked) || waited > busy*3/2 {
		t.Fatalf("queued write: %v after %s (busy timeout %s)", err, waited, busy)
	}
	if err := <-first; !errors.Is(err, ErrLocked) {
		t.Fatalf("first write: %v", err)
	}
}

// Waiting behind this process's own long write (retention, a huge batch)
// is no lock: the write waits its turn and succeeds.
func TestQueuedBehindOwnWorkIsNoLock(t *testing.T) {
	s := openTest(t, Options{BusyTimeout: 300 * time.Millisecond})
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.withTx(context.Background(), func(*sql.Tx) error {
			close(started)
			time.Sleep(time.Second) // longer than the busy timeout
			return nil
		})
	}()
	<-started
	b := sdk.Batch{Events: []sdk.Event{event("after-own-work", sdk.KindPaymentPaid)}}
	if _, err := s.Apply(context.Background(), "api", &b); err != nil {
		t.Fatalf("a write queued behind our own transaction failed: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestRetentionDeletesInChunks(t *testing.T) {
	s := openTest(t, Options{})
	var b sdk.Batch
	for i := range 2*retentionChunk + 10 {
		e := event(fmt.Sprint("r-", i), sdk.KindMetricsUpdated)
		if i%2 == 0 {
			e.OccurredAt = testNow.AddDate(-2, 0, 0)
		}
		b.Events = append(b.Events, e)
	}
	mustApply(t, s, "p", b)
	n, err := s.DeleteEventsBefore(context.Background(), testNow.AddDate(-1, 0, 0))
	if err != nil || n != int64(len(b.Events)+1)/2 {
		t.Fatalf("deleted %d of %d old events: %v", n, (len(b.Events)+1)/2, err)
	}
	if left := count(t, s, "SELECT count(*) FROM events"); left != len(b.Events)/2 {
		t.Fatalf("%d events left, want %d", left, len(b.Events)/2)
	}
}

func TestLayoutsPerTenantAreBounded(t *testing.T) {
	st := openTest(t, Options{})
	put := func(tenant, id string) error {
		_, err := st.PutLayout(context.Background(), StoredLayout{Tenant: tenant, ID: id, OwnerKind: "user", Owner: "ana", Body: []byte(`{}`)}, 0, 2)
		return err
	}
	for _, id := range []string{"a", "b"} {
		if err := put("acme", id); err != nil {
			t.Fatal(err)
		}
	}
	if err := put("acme", "c"); !errors.Is(err, ErrTooManyLayouts) {
		t.Errorf("a third layout of acme: %v", err)
	}
	if err := put("globex", "a"); err != nil {
		t.Errorf("globex is bounded by acme's layouts: %v", err)
	}
	// Replacing one at its version is no new layout.
	if _, err := st.PutLayout(context.Background(), StoredLayout{Tenant: "acme", ID: "a", OwnerKind: "user", Owner: "ana", Body: []byte(`{}`)}, 1, 2); err != nil {
		t.Errorf("replacing a layout at the limit: %v", err)
	}
}

// An ItemQuery with Fields loads exactly those fields (and the tenant,
// type and id, and a status the query fixes), each equal to what a full
// load gives, and leaves the others empty.
func TestItemQueryLoadsOnlyTheFieldsAskedFor(t *testing.T) {
	s := openTest(t, Options{})
	mustApply(t, s, "p", sdk.Batch{Entities: []sdk.Entity{
		{Tenant: "acme", Type: sdk.EntityPayment, ID: "p1", Name: "First", Status: "open", Campaign: "c", Influencer: "i", Platform: "tiktok",
			DueAt: testNow.Add(time.Hour), Amount: &sdk.Money{Minor: 7, Currency: "EUR"}, Attrs: json.RawMessage(`{"a":1}`)},
		{Tenant: "acme", Type: sdk.EntityPayment, ID: "p2", Status: "paid", Campaign: "d", Amount: &sdk.Money{Minor: 9, Currency: "USD"}},
	}})
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		q        ItemQuery
		keep     func(full Item) Item
		wantRows int
	}{
		{"campaign and amount", ItemQuery{Type: sdk.EntityPayment, Fields: FieldCampaign | FieldAmount}, func(f Item) Item {
			return Item{Entity: sdk.Entity{Tenant: f.Tenant, Type: f.Type, ID: f.ID, Campaign: f.Campaign, Amount: f.Amount}}
		}, 2},
		{"one status fixed", ItemQuery{Statuses: []string{"open"}, Fields: FieldDueAt | FieldUpdatedAt}, func(f Item) Item {
			return Item{Entity: sdk.Entity{Tenant: f.Tenant, Type: f.Type, ID: f.ID, Status: f.Status, DueAt: f.DueAt}, UpdatedAt: f.UpdatedAt}
		}, 1},
		{"all", ItemQuery{Type: sdk.EntityPayment, Statuses: []string{"open"}, WithAttrs: true}, func(f Item) Item { return f }, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			full := tc.q
			full.Fields, full.WithAttrs = 0, true
			want, err := s.Items(ctx, full)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Items(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.wantRows || len(want) != tc.wantRows {
				t.Fatalf("%d rows, full load %d, want %d", len(got), len(want), tc.wantRows)
			}
			for i := range want {
				w := tc.keep(want[i])
				if g, _ := json.Marshal(got[i]); string(g) != mustJSON(t, w) {
					t.Errorf("row %d:\n got %s\nwant %s", i, g, mustJSON(t, w))
				}
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
