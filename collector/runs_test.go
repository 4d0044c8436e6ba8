package collector

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/model"

	"github.com/commandcenter/commandcenter/cmd/commandcenter/servetest"
	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/collector/config"
	"github.com/commandcenter/commandcenter/collector/store"
)

// README: collect.started/finished go to a tenant "when the tenant asked
// for it". A tenant whose POST …/collect joined the run under way asked
// for it too, but hears nothing unless the run stores its data.
func TestAJoiningTenantIsToldTheRunEnded(t *testing.T) {
	p := testSource("feed", map[string]any{"events": 30, "batch": 10, "delay_ms": 300, "tenant": "acme"})
	p.Interval = model.Duration(time.Hour)
	h := startHost(t, p)
	globex, stop := h.host.SubscribeRuns("globex")
	defer stop()
	h.eventually("the first scheduled run under way", 5*time.Second, func() bool { return h.cursor("feed") != "" })
	run, err := h.host.CollectNow("feed", "globex") // 202: joined
	if err != nil {
		t.Fatal(err)
	}
	if got := h.waitRun("feed", run.ID, "globex"); !got.Done() {
		t.Fatal(got)
	}
	select {
	case ev := <-globex:
		if ev.Run.ID != run.ID {
			t.Fatalf("globex got %+v", ev)
		}
	case <-time.After(time.Second):
		t.Fatalf("globex asked for run %s (joined it) but its stream never got %s", run.ID, apiv1.StreamEventCollectFinished)
	}
}

// A run asked for before the host starts (or while the plugin is being
// (re)started) leaves its wake signal in the channel: right after the
// manual run, an unasked scheduled run follows at once, an hour early.
func TestAStaleWakeAddsNoRun(t *testing.T) {
	p := testSource("once", map[string]any{"events": 10, "batch": 10})
	p.Interval = model.Duration(time.Hour)
	st, err := store.Open(filepath.Join(t.TempDir(), "cc.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m := NewMetrics(prometheus.NewRegistry())
	logger := slog.New(slog.NewTextHandler(&servetest.LogBuffer{}, nil))
	host := NewHost([]config.Plugin{p}, &Ingester{Store: st, Metrics: m, Logger: logger}, "")
	run, err := host.CollectNow("once", "acme")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	host.Start(ctx)
	defer host.Wait()
	defer cancel()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, _ := host.CollectRun("once", run.ID, "acme")
		if got.Done() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("manual run never ended: %+v", got)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(time.Second)
	sched := testutil.ToFloat64(m.CollectRuns.WithLabelValues("once", apiv1.TriggerSchedule, "success"))
	if sched != 0 {
		t.Fatalf("%v scheduled run(s) within a second of the manual one, interval 1h: the stale wake fired one", sched)
	}
}

// During shutdown the HTTP API still answers (serve waits for the host
// before srv.Shutdown), but a runner that has stopped takes no run:
// CollectNow says so rather than queue one that would never end.
func TestNoRunIsQueuedOnAStoppedRunner(t *testing.T) {
	p := testSource("idle", map[string]any{"events": 10, "batch": 10})
	p.Interval = model.Duration(time.Hour)
	h := startHost(t, p)
	h.eventually("first run ended", 5*time.Second, func() bool { return h.host.Plugins("acme")[0].LastRun != nil })
	h.stop()
	if run, err := h.host.CollectNow("idle", "acme"); !errors.Is(err, ErrStopping) {
		t.Fatalf("asked after the host stopped: %+v, %v; want ErrStopping", run, err)
	}
}

// A reload that restarts a plugin (its settings changed) makes a new
// runner, which keeps the old one's runs: the run a client was following
// (202 + Location) still answers, ended by the reload, and last_run stays.
func TestAReloadKeepsThePluginsRuns(t *testing.T) {
	p := testSource("slow", map[string]any{"events": 40, "batch": 10, "delay_ms": 300})
	p.Interval = model.Duration(time.Hour)
	h := startHost(t, p)
	h.eventually("the first run under way", 5*time.Second, func() bool { return h.cursor("slow") != "" })
	run, err := h.host.CollectNow("slow", "acme")
	if err != nil {
		t.Fatal(err)
	}
	changed := p
	changed.Interval = model.Duration(2 * time.Hour)
	if _, err := h.host.Reload(context.Background(), []config.Plugin{changed}); err != nil {
		t.Fatal(err)
	}
	got, err := h.host.CollectRun("slow", run.ID, "acme")
	if err != nil {
		t.Fatalf("the run a client was following (202 for it) after a reload: %v", err)
	}
	if got.State != apiv1.RunFailed || !strings.Contains(got.Error, "reload") {
		t.Fatalf("the run cut short by the reload: %+v", got)
	}
	if last := h.host.Plugins("acme")[0].LastRun; last == nil {
		t.Fatal("last_run is gone after the reload")
	}
}

// A run's error may quote any tenant's data: a tenant the run did not
// concern (globex) is told only that it failed; acme, whose data it
// stored, why.
func TestARunsErrorTellsOtherTenantsNothing(t *testing.T) {
	p := testSource("hang", map[string]any{"events": 30, "batch": 10, "hang_after": 2, "tenant": "acme"})
	p.Interval, p.Timeout = model.Duration(time.Hour), model.Duration(300*time.Millisecond)
	p.BackoffInitial, p.BackoffMax = model.Duration(time.Hour), model.Duration(time.Hour)
	h := startHost(t, p)
	var last *apiv1.CollectRun
	h.eventually("the run failed", 10*time.Second, func() bool {
		last = h.host.Plugins("globex")[0].LastRun
		return last != nil && last.State == apiv1.RunFailed
	})
	if last.Batches != 0 || last.Error != withheldError {
		t.Fatalf("globex's view: batches=%d, error=%q", last.Batches, last.Error)
	}
	if own := h.host.Plugins("acme")[0].LastRun; own.Batches != 2 || !strings.Contains(own.Error, "collect timed out") {
		t.Fatalf("acme's view: %+v", own)
	}
}

// The 429's message rounds up as Retry-After does: never "try again in
// 0s" beside "Retry-After: 1".
func TestTooSoonRoundsUp(t *testing.T) {
	for wait, want := range map[time.Duration]string{300 * time.Millisecond: "in 1s", 1500 * time.Millisecond: "in 2s", 2 * time.Second: "in 2s"} {
		if msg := (&TooSoonError{RetryAfter: wait}).Error(); !strings.HasSuffix(msg, want) {
			t.Errorf("%s: %q, want it to end %q", wait, msg, want)
		}
	}
}
