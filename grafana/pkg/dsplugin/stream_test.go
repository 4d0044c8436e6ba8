package dsplugin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/commandcenter/commandcenter/cmd/commandcenter/servetest"
	"github.com/commandcenter/commandcenter/grafana/pkg/grafanatest"
)

// streamed collects the frames one channel sends.
type streamed struct {
	mu     sync.Mutex
	frames []*data.Frame
	err    error
	done   chan struct{}
}

func follow(t *testing.T, host *grafanatest.Host, ds grafanatest.Datasource, path string) *streamed {
	t.Helper()
	res, err := host.SubscribeStream(ctx, ds, path)
	if err != nil || res.Status != backend.SubscribeStreamStatusOK {
		t.Fatalf("subscribing to %s: %+v %v", path, res, err)
	}
	s := &streamed{done: make(chan struct{})}
	// Grafana hands a subscriber the channel's initial data first.
	if res.InitialData == nil {
		t.Fatalf("subscribing to %s: no initial data", path)
	}
	var initial data.Frame
	if err := json.Unmarshal(res.InitialData.Data(), &initial); err != nil {
		t.Fatalf("subscribing to %s: initial data: %v", path, err)
	}
	s.frames = append(s.frames, &initial)
	runCtx, cancel := context.WithCancel(ctx)
	go func() {
		defer close(s.done)
		err := host.RunStream(runCtx, ds, path, func(f *data.Frame) error {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.frames = append(s.frames, f)
			return nil
		})
		s.mu.Lock()
		s.err = err
		s.mu.Unlock()
	}()
	t.Cleanup(func() { cancel(); <-s.done })
	return s
}

// column is every value of a string field over the frames from index from.
func (s *streamed) column(name string, from int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, f := range s.frames[min(from, len(s.frames)):] {
		fld, i := f.FieldByName(name)
		if i < 0 {
			continue
		}
		for j := range fld.Len() {
			out = append(out, fld.At(j).(string))
		}
	}
	return out
}

func (s *streamed) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.frames)
}

// pushVideoEvent stores one event about video id for tenant.
func (w *world) pushVideoEvent(tenant, id string, at time.Time) {
	w.t.Helper()
	body := fmt.Sprintf(`{"events":[{"key":%q,"kind":"video.uploaded","entity":{"type":"video","id":%q},"occurred_at":%q}]}`, id, id, at.Format(time.RFC3339))
	if _, err := w.api(tenant+"/ingest").PushJSON(ctx, "", []byte(body)); err != nil {
		w.t.Fatalf("pushing %s: %v", id, err)
	}
}

func TestActivityStreamSurvivesAServerRestartWithoutLossOrRepeats(t *testing.T) {
	w := newWorld(t)
	ds := w.ds("acme/read")
	if res, err := w.host.SubscribeStream(ctx, ds, "secrets"); err != nil || res.Status != backend.SubscribeStreamStatusNotFound {
		t.Fatalf("an unknown channel: %+v %v", res, err)
	}
	s := follow(t, w.host, ds, "activity")
	if initial := s.column("entity_id", 0); len(initial) == 0 {
		t.Fatal("the initial data has no events")
	}
	live := func() []string { return s.column("entity_id", 1) }
	var want []string
	now := time.Now().UTC()
	for i := range 3 {
		id := fmt.Sprintf("live-%d", i)
		w.pushVideoEvent("acme", id, now)
		want = append(want, id)
	}
	w.pushVideoEvent("globex", "globex-live", now)
	servetest.Poll(t, "3 live events", 10*time.Second, 20*time.Millisecond, func() bool { return len(live()) >= 3 })

	// kill -9 the server, start it again on the same address and data,
	// and store events at once: some before the plugin reconnects (it
	// catches up), some after (announced), one backdated by a year.
	w.srv.Cmd.Process.Kill()
	<-w.srv.Done
	w.start()
	// Stored at once, before the plugin's next attempt (its backoff has
	// grown while the server was down): only catching up on reconnect
	// delivers it, as nothing else is stored until it arrives.
	w.pushVideoEvent("acme", "while-away", now)
	want = append(want, "while-away")
	servetest.Poll(t, "the event stored before the plugin reconnected", 30*time.Second, 50*time.Millisecond, func() bool {
		return len(live()) >= len(want)
	})
	for i := 3; i < 6; i++ {
		id := fmt.Sprintf("live-%d", i)
		w.pushVideoEvent("acme", id, now)
		want = append(want, id)
		time.Sleep(300 * time.Millisecond)
	}
	w.pushVideoEvent("acme", "backdated", now.AddDate(-1, 0, 0))
	want = append(want, "backdated")
	servetest.Poll(t, "every event after the restart", 30*time.Second, 50*time.Millisecond, func() bool { return len(live()) >= len(want) })
	time.Sleep(500 * time.Millisecond) // anything sent twice would arrive by now

	got := live()
	seen := map[string]int{}
	for _, id := range got {
		seen[id]++
	}
	for _, id := range want {
		if seen[id] != 1 {
			t.Errorf("%s streamed %d times", id, seen[id])
		}
	}
	if len(got) != len(want) {
		t.Errorf("streamed %v, want each of %v once", got, want)
	}
	if seen["globex-live"] > 0 {
		t.Error("globex's event reached acme's stream")
	}
}

func TestStatsStreamUpdatesOnChange(t *testing.T) {
	w := newWorld(t)
	s := follow(t, w.host, w.ds("acme/read"), "stats")
	openEUR := func(i int) float64 {
		s.mu.Lock()
		defer s.mu.Unlock()
		return statValue(t, s.frames[i], "payments_open", data.Labels{"currency": "EUR"})
	}
	before := openEUR(0)
	body := `{"entities":[{"type":"payment","id":"pay-new","status":"open","due_at":"2099-01-01T00:00:00Z","amount":{"minor":100,"currency":"EUR"}}]}`
	if _, err := w.api("acme/ingest").PushJSON(ctx, "", []byte(body)); err != nil {
		t.Fatal(err)
	}
	servetest.Poll(t, "a stats frame with the new payment", 10*time.Second, 20*time.Millisecond, func() bool {
		n := s.count()
		return n > 1 && openEUR(n-1) == before+1
	})
}

func TestActivityStreamOfSomeKindsAndALateSubscriber(t *testing.T) {
	w := newWorld(t)
	ds := w.ds("acme/read")
	for _, path := range []string{"activity/", "activity/horoscope.read", "activity/video.uploaded/nope", "stats/video.uploaded"} {
		if res, err := w.host.SubscribeStream(ctx, ds, path); err != nil || res.Status != backend.SubscribeStreamStatusNotFound {
			t.Errorf("%s: %+v %v", path, res, err)
		}
	}
	const path = "activity/video.uploaded/payment.paid"
	s := follow(t, w.host, ds, path)
	wantKinds := map[string]bool{"video.uploaded": true, "payment.paid": true}
	for _, k := range s.column("kind", 0) {
		if !wantKinds[k] {
			t.Errorf("initial data has a %s event", k)
		}
	}
	now := time.Now().UTC()
	w.pushVideoEvent("acme", "uploaded-1", now)
	body := fmt.Sprintf(`{"events":[{"key":"sub-1","kind":"video.submitted","entity":{"type":"video","id":"submitted-1"},"occurred_at":%q}]}`, now.Format(time.RFC3339))
	if _, err := w.api("acme/ingest").PushJSON(ctx, "", []byte(body)); err != nil {
		t.Fatal(err)
	}
	w.pushVideoEvent("acme", "uploaded-2", now)
	servetest.Poll(t, "both uploads", 10*time.Second, 20*time.Millisecond, func() bool { return len(s.column("entity_id", 1)) >= 2 })
	time.Sleep(300 * time.Millisecond) // a submitted event would arrive by now
	if got := s.column("entity_id", 1); len(got) != 2 || got[0] != "uploaded-1" || got[1] != "uploaded-2" {
		t.Errorf("streamed %v, want the two uploads only", got)
	}

	// A second panel joins the running channel: its initial data has the
	// events the first one was streamed.
	res, err := w.host.SubscribeStream(ctx, ds, path)
	if err != nil || res.InitialData == nil {
		t.Fatalf("%+v %v", res, err)
	}
	var late data.Frame
	if err := json.Unmarshal(res.InitialData.Data(), &late); err != nil {
		t.Fatal(err)
	}
	ids, _ := late.FieldByName("entity_id")
	if ids == nil || ids.Len() < 2 || ids.At(0) != "uploaded-2" && ids.At(1) != "uploaded-2" {
		t.Errorf("the late subscriber's initial data does not start with the new uploads: %v", ids)
	}
}

// TestStreamBacksOffWhileCatchingUpFails puts a proxy in front of the
// server that, once the channel is subscribed, answers every activity call
// with 500 while the change stream itself still opens: the plugin must
// reconnect ever more slowly, not four times a second.
func TestStreamBacksOffWhileCatchingUpFails(t *testing.T) {
	w := newWorld(t)
	target, _ := url.Parse("http://" + w.addr)
	var mu sync.Mutex
	failActivity := false
	var connects []time.Time
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.FlushInterval = -1 // the change stream goes through as it is written
	front := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		mu.Lock()
		fail := failActivity && r.URL.Path == "/api/v1/activity"
		if r.URL.Path == "/api/v1/stream" {
			connects = append(connects, time.Now())
		}
		mu.Unlock()
		if fail {
			http.Error(rw, `{"error":{"code":"internal","message":"injected"}}`, http.StatusInternalServerError)
			return
		}
		proxy.ServeHTTP(rw, r)
	}))
	defer front.Close()
	ds := w.ds("acme/read")
	ds.JSONData["url"] = front.URL
	follow(t, w.host, ds, "activity")
	mu.Lock()
	failActivity = true
	mu.Unlock()
	// The first connection catches up on an event, fails, and from then on
	// every connection does.
	w.pushVideoEvent("acme", "needs-catching-up", time.Now())
	const window = 3 * time.Second
	time.Sleep(window)
	mu.Lock()
	defer mu.Unlock()
	// Backoff 250 ms doubling, with jitter down to half: at most about 6
	// connections in 3 s; resetting it after each failure makes 12 or more.
	if len(connects) < 2 || len(connects) > 7 {
		t.Errorf("%d stream connections in %s while catching up failed: %v", len(connects), window, connects)
	}
}
