package api

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/collector/business"
	"github.com/commandcenter/commandcenter/collector/config"
	"github.com/commandcenter/commandcenter/collector/internal/benchraw"
	"github.com/commandcenter/commandcenter/collector/store"
)

// BenchmarkPushIngest posts batches of 1,000 new events to POST
// /api/v1/events of a real server on 127.0.0.1 (serve's limits, kept-alive
// connections) from 1 and from 4 clients at once; one op is 100,000 events
// into a fresh store. In the same loop it measures the limit, the same
// events inserted raw (benchraw.Insert), and reports push/raw.
// Targets: push/raw >= 0.6 with one client, >= 0.85 with four.
func BenchmarkPushIngest(b *testing.B) {
	const events, batch = 100_000, 1000
	bodies := make([][]byte, 0, events/batch)
	all := benchraw.Events(1, events)
	for i := 0; i < events; i += batch {
		body, err := json.Marshal(apiv1.PushRequest{Events: all[i : i+batch]})
		if err != nil {
			b.Fatal(err)
		}
		bodies = append(bodies, body)
	}
	for _, clients := range []int{1, 4} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			var push, raw time.Duration
			for b.Loop() {
				b.StopTimer()
				url, token, st, stop := benchServer(b)
				b.StartTimer()
				push += postAll(b, url, token, bodies, clients)
				b.StopTimer()
				if n := countEvents(b, st); n != events {
					b.Fatalf("%d events stored, want %d", n, events)
				}
				stop()
				raw += benchraw.Insert(b, "api", all, batch)
				b.StartTimer()
			}
			perSecond := float64(events) * float64(b.N) / push.Seconds()
			rawPerSecond := float64(events) * float64(b.N) / raw.Seconds()
			b.ReportMetric(perSecond, "events/s")
			b.ReportMetric(rawPerSecond, "raw-events/s")
			b.ReportMetric(perSecond/rawPerSecond, "push/raw")
		})
	}
}

// benchServer serves a fresh store's API on 127.0.0.1 as serve does, and
// returns its URL, an ingest token of tenant acme, the store, and a
// function that stops both.
func benchServer(b *testing.B) (url, token string, st *store.Store, stop func()) {
	b.Helper()
	cfg := config.Default()
	st, err := store.Open(filepath.Join(b.TempDir(), "push.db"),
		store.Options{Rules: business.NewDerivations(), Retention: time.Duration(cfg.Retention)})
	if err != nil {
		b.Fatal(err)
	}
	_, token, err = st.CreateToken(ctx, "acme", store.ScopeIngest, "bench", 0)
	if err != nil {
		b.Fatal(err)
	}
	srv, routes := testServer(st, cfg.API.MaxBodyBytes)
	srv.Now = nil
	hs := srv.HTTPServer(routes, cfg.API, srv.Logger)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go hs.Serve(Listener(ln, cfg.API))
	return "http://" + ln.Addr().String() + apiv1.PathEvents, token, st, func() {
		hs.Close()
		st.Close()
	}
}

// postAll posts bodies from clients goroutines, each over its own
// kept-alive connection, and returns the time it took.
func postAll(b *testing.B, url, token string, bodies [][]byte, clients int) time.Duration {
	next := make(chan []byte, len(bodies))
	for _, body := range bodies {
		next <- body
	}
	close(next)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	defer hc.CloseIdleConnections()
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for body := range next {
				req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := hc.Do(req)
				if err != nil {
					errs <- err
					return
				}
				answer, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					errs <- fmt.Errorf("%s: %s", resp.Status, answer)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	return elapsed
}

// countEvents is how many events st holds.
func countEvents(b *testing.B, st *store.Store) int {
	db, err := sql.Open("sqlite3", "file:"+st.Path()+"?mode=ro")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM events WHERE source = 'api'`).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}
