package exporter

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/commandcenter/commandcenter/collector/store"
	"github.com/commandcenter/commandcenter/collector/store/storetest"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// TestPartialUpdatesEqualAFullRefresh stores random batches (every entity
// type and status, daily metrics, scraper events, three tenants) and after
// each updates the metrics only from the batch's changes, as Run does; the
// exposition must then equal what a full refresh of a fresh exporter
// computes from the same store.
func TestPartialUpdatesEqualAFullRefresh(t *testing.T) {
	st := storetest.Open(t)
	ctx := context.Background()
	b := newBusiness(st, nil)
	if err := b.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	changes, stop := st.Subscribe("")
	defer stop()
	rng := rand.New(rand.NewPCG(5, 6))
	tenants := []string{"acme", "globex", "initech"}
	types := []string{sdk.EntityCampaign, sdk.EntityInfluencer, sdk.EntityContract, sdk.EntityPayment, sdk.EntityVideo}
	for round := range 60 {
		var batch sdk.Batch
		tenant := tenants[rng.IntN(len(tenants))]
		for range 1 + rng.IntN(6) {
			typ := types[rng.IntN(len(types))]
			statuses := sdk.Statuses[typ]
			e := sdk.Entity{Tenant: tenant, Type: typ, ID: fmt.Sprintf("%s-%d", typ, rng.IntN(12)), Name: fmt.Sprintf("Name %d", rng.IntN(3)),
				Status: statuses[rng.IntN(len(statuses))], Campaign: fmt.Sprintf("campaign-%d", rng.IntN(3)),
				Influencer: fmt.Sprintf("influencer-%d", rng.IntN(4)), Platform: []string{"tiktok", "youtube"}[rng.IntN(2)],
				DueAt: storetest.Now.Add(time.Duration(rng.IntN(96)-48) * time.Hour)}
			if typ == sdk.EntityPayment || typ == sdk.EntityContract {
				e.Amount = &sdk.Money{Minor: int64(rng.IntN(100_000)), Currency: []string{"EUR", "USD"}[rng.IntN(2)]}
			}
			if typ == sdk.EntityCampaign && rng.IntN(2) == 0 {
				e.Attrs = json.RawMessage(`{"cpm_target": {"minor": 800, "currency": "EUR"}}`)
			}
			batch.Entities = append(batch.Entities, e)
		}
		if rng.IntN(3) == 0 {
			batch.DailyMetrics = append(batch.DailyMetrics, sdk.DailyMetric{Tenant: tenant, Campaign: fmt.Sprintf("campaign-%d", rng.IntN(3)),
				Platform: "tiktok", Day: storetest.Now.AddDate(0, 0, -1-rng.IntN(3)).Format(time.DateOnly),
				Counts: sdk.Counts{Impressions: int64(rng.IntN(5000)), Views: int64(rng.IntN(5000))},
				Cost:   &sdk.Money{Minor: int64(rng.IntN(9000)), Currency: "EUR"}})
		}
		if rng.IntN(4) == 0 {
			status := []string{sdk.ScraperRunStatusOK, sdk.ScraperRunStatusFailed}[rng.IntN(2)]
			batch.Events = append(batch.Events, sdk.Event{Key: fmt.Sprintf("run-%d", round), Tenant: tenant, Kind: sdk.KindScraperRun,
				Entity: sdk.EntityRef{Type: sdk.EntityScraperTarget, ID: fmt.Sprintf("target-%d", rng.IntN(2))}, OccurredAt: storetest.Now.Add(-time.Hour),
				Attrs: json.RawMessage(`{"status":"` + status + `"}`)})
		}
		if _, err := st.Apply(ctx, "test", &batch); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		var pending []store.Change
		for len(changes) > 0 {
			pending = append(pending, <-changes)
		}
		if len(pending) == 0 {
			t.Fatalf("round %d: the store published no change", round)
		}
		if err := b.apply(ctx, pending); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		fresh := newBusiness(st, nil)
		if err := fresh.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		var got, want bytes.Buffer
		b.WritePrometheus(&got)
		fresh.WritePrometheus(&want)
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Fatalf("round %d: after a partial update the metrics differ from a full refresh:\n%s", round, lineDiff(got.String(), want.String()))
		}
	}
}

// lineDiff lists the lines only one of two expositions has.
func lineDiff(got, want string) string {
	g, w := bytes.Split([]byte(got), []byte("\n")), bytes.Split([]byte(want), []byte("\n"))
	var out bytes.Buffer
	for _, l := range g {
		if !slices.ContainsFunc(w, func(x []byte) bool { return bytes.Equal(x, l) }) {
			fmt.Fprintf(&out, "only partial: %s\n", l)
		}
	}
	for _, l := range w {
		if !slices.ContainsFunc(g, func(x []byte) bool { return bytes.Equal(x, l) }) {
			fmt.Fprintf(&out, "only full:    %s\n", l)
		}
	}
	return out.String()
}

// Run keeps the metrics current as serve runs it: a batch stored before it
// started, batches stored while it runs, and a burst of more batches than
// its channel holds (missed changes, found by their numbers) all show well
// before the 15 s full refresh.
func TestRunShowsEveryBatchSoon(t *testing.T) {
	st := storetest.Open(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b := newBusiness(st, nil)
	if err := b.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	payment := func(i int) *sdk.Batch {
		return &sdk.Batch{Entities: []sdk.Entity{{Tenant: "acme", Type: sdk.EntityPayment, ID: fmt.Sprintf("run-%d", i), Status: "open",
			DueAt: storetest.Now.Add(time.Hour), Amount: &sdk.Money{Minor: 100, Currency: "EUR"}}}}
	}
	shows := func(what string, i int) {
		t.Helper()
		series := fmt.Sprintf(`payment="run-%d"`, i)
		deadline := time.Now().Add(5 * time.Second)
		for {
			var buf bytes.Buffer
			b.WritePrometheus(&buf)
			if bytes.Contains(buf.Bytes(), []byte(series)) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %s not on /metrics within 5 s", what, series)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	if _, err := st.Apply(ctx, "test", payment(0)); err != nil {
		t.Fatal(err)
	}
	go b.Run(ctx)
	shows("stored before Run started", 0)

	if _, err := st.Apply(ctx, "test", payment(1)); err != nil {
		t.Fatal(err)
	}
	shows("stored while Run runs", 1)

	b.mu.Lock() // Run stalls; the store's 64-change buffer overflows
	for i := 2; i < 102; i++ {
		if _, err := st.Apply(ctx, "test", payment(i)); err != nil {
			b.mu.Unlock()
			t.Fatal(err)
		}
	}
	b.mu.Unlock()
	shows("the last of 100 batches stored while Run was stalled", 101)
	shows("the first of them", 2)
}
