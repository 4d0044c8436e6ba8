package collector

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
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

// testPlugin is the built testplugin executable, shared by every test.
var (
	testPlugin string
	// builtins serves the built-in plugins as `commandcenter plugin NAME`.
	builtins string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cc-host-test")
	if err != nil {
		panic(err)
	}
	testPlugin = filepath.Join(dir, "testplugin")
	builtins = filepath.Join(dir, "builtins")
	for bin, pkg := range map[string]string{testPlugin: "./internal/testplugin", builtins: "./internal/builtins"} {
		if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "building %s: %v\n%s", pkg, err, out)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type harness struct {
	t       *testing.T
	store   *store.Store
	host    *Host
	metrics *Metrics
	logs    *servetest.LogBuffer
	cancel  context.CancelFunc
	done    chan struct{}
}

func testSource(name string, pluginConfig map[string]any) config.Plugin {
	return config.Plugin{Name: name, Path: testPlugin, Config: pluginConfig,
		Interval: model.Duration(50 * time.Millisecond), Timeout: model.Duration(5 * time.Second),
		BackoffInitial: model.Duration(20 * time.Millisecond), BackoffMax: model.Duration(200 * time.Millisecond)}
}

func startHost(t *testing.T, plugins ...config.Plugin) *harness {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "cc.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	logs := &servetest.LogBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m := NewMetrics(prometheus.NewRegistry())
	host := NewHost(plugins, &Ingester{Store: st, Metrics: m, Logger: logger}, "")
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, store: st, host: host, metrics: m, logs: logs, cancel: cancel, done: make(chan struct{})}
	host.Start(ctx)
	go func() {
		host.Wait()
		close(h.done)
	}()
	t.Cleanup(func() {
		h.stop()
		st.Close()
		if t.Failed() {
			t.Logf("host log:\n%s", logs.String())
		}
	})
	return h
}

func (h *harness) stop() {
	h.cancel()
	select {
	case <-h.done:
	case <-time.After(10 * time.Second):
		h.t.Fatal("host did not stop within 10s")
	}
}

// eventually polls cond until it holds or the deadline passes.
func (h *harness) eventually(what string, timeout time.Duration, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out after %s waiting for %s; plugins: %+v", timeout, what, h.host.Plugins(""))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (h *harness) events(source string) int {
	var n int
	acts, _, err := h.store.Activity(context.Background(), store.ActivityQuery{Tenant: "acme", Limit: 100000})
	if err != nil {
		h.t.Fatal(err)
	}
	for _, a := range acts {
		if a.Source == source {
			n++
		}
	}
	return n
}

func (h *harness) cursor(source string) string {
	c, err := h.store.Cursor(context.Background(), source)
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

func TestCollectsEverythingAndKeepsCollecting(t *testing.T) {
	h := startHost(t, testSource("alpha", map[string]any{"events": 250, "batch": 20}), testSource("beta", map[string]any{"events": 30, "batch": 7}))
	h.eventually("all events stored", 10*time.Second, func() bool { return h.cursor("alpha") == "250" && h.cursor("beta") == "30" })
	if n := h.events("alpha"); n != 250 {
		t.Fatalf("alpha stored %d events, want 250", n)
	}
	// The cursor is stored with the last batch, a moment before Collect
	// returns and the plugin counts as up.
	h.eventually("plugin_up 1", 5*time.Second, func() bool {
		return testutil.ToFloat64(h.metrics.PluginUp.WithLabelValues("alpha")) == 1
	})
	if got := testutil.ToFloat64(h.metrics.IngestedEvents.WithLabelValues("beta", "metrics.updated")); got != 30 {
		t.Fatalf("ingested_events_total{beta} = %v", got)
	}
	// Plugin log lines reach the host's log, tagged with the plugin's name.
	h.eventually("plugin log forwarded", 5*time.Second, func() bool {
		line := lineWith(h.logs.String(), `msg="collect starting" plugin=alpha`)
		return line != "" && !strings.Contains(line, "timestamp=")
	})
}

func TestKilledPluginResumesWithoutLossOrDuplicates(t *testing.T) {
	h := startHost(t, testSource("victim", map[string]any{"events": 3000, "batch": 50, "delay_ms": 15}))
	h.eventually("some batches stored", 10*time.Second, func() bool { c := h.cursor("victim"); return c != "" && c != "50" })
	pid := h.host.Plugins("")[0].PID
	if pid == 0 {
		t.Fatal("no pid for the running plugin")
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	h.eventually("all events after restart", 30*time.Second, func() bool { return h.cursor("victim") == "3000" })
	if n := h.events("victim"); n != 3000 {
		t.Fatalf("stored %d events, want 3000", n)
	}
	if d := testutil.ToFloat64(h.metrics.Duplicates.WithLabelValues("victim")); d != 0 {
		t.Fatalf("%v events were sent again after the restart: the cursor was not respected", d)
	}
	if r := testutil.ToFloat64(h.metrics.PluginRestarts.WithLabelValues("victim")); r < 1 {
		t.Fatalf("restarts_total = %v, want >= 1", r)
	}
	if st := h.host.Plugins("")[0]; st.PID == pid || st.Restarts < 1 {
		t.Fatalf("status after restart: %+v", st)
	}
}

func TestHungPluginIsKilledAndRestarted(t *testing.T) {
	p := testSource("sloth", map[string]any{"events": 100, "batch": 10, "hang_after": 3})
	p.Timeout = model.Duration(300 * time.Millisecond)
	h := startHost(t, p, testSource("healthy", map[string]any{"events": 40, "batch": 10}))
	// Each run stores three batches before hanging; restarts carry it through.
	h.eventually("hung plugin finishes across restarts", 30*time.Second, func() bool { return h.cursor("sloth") == "100" })
	if r := testutil.ToFloat64(h.metrics.PluginRestarts.WithLabelValues("sloth")); r < 3 {
		t.Fatalf("restarts_total = %v, want >= 3", r)
	}
	if c := h.cursor("healthy"); c != "40" {
		t.Fatalf("the healthy plugin was held up: cursor %q", c)
	}
	if !strings.Contains(h.logs.String(), "collect timed out") {
		t.Fatal("no log line says the plugin timed out")
	}
}

func TestPluginExitingMidStreamIsRestarted(t *testing.T) {
	h := startHost(t, testSource("quitter", map[string]any{"events": 60, "batch": 10, "exit_after": 2}))
	h.eventually("done across restarts", 30*time.Second, func() bool { return h.cursor("quitter") == "60" })
	if n := h.events("quitter"); n != 60 {
		t.Fatalf("stored %d, want 60", n)
	}
}

func TestGarbageIsRejectedAndNothingStored(t *testing.T) {
	h := startHost(t, testSource("junk", map[string]any{"events": 30, "batch": 10, "garbage": true}), testSource("fine", map[string]any{"events": 10}))
	h.eventually("rejections counted", 10*time.Second, func() bool {
		return testutil.ToFloat64(h.metrics.Rejected.WithLabelValues("junk", "invalid_batch")) >= 2
	})
	if c := h.cursor("junk"); c != "" {
		t.Fatalf("cursor advanced to %q on rejected batches", c)
	}
	if n := h.events("junk"); n != 0 {
		t.Fatalf("%d garbage events stored", n)
	}
	h.eventually("the other plugin unaffected", 10*time.Second, func() bool { return h.cursor("fine") == "10" })
	if st := h.host.Plugins("")[0]; !strings.Contains(st.LastError, `unknown kind "garbage!"`) {
		t.Fatalf("last_error = %q", st.LastError)
	}
	if n := testutil.ToFloat64(h.metrics.CollectErrors.WithLabelValues("junk")); n < 2 {
		t.Fatalf("collect errors of junk: %v", n)
	}
	if n := testutil.ToFloat64(h.metrics.CollectErrors.WithLabelValues("fine")); n != 0 {
		t.Fatalf("collect errors of fine: %v", n)
	}
}

func TestChecksumPin(t *testing.T) {
	body, err := os.ReadFile(testPlugin)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	good := testSource("pinned", map[string]any{"events": 5})
	good.SHA256 = hex.EncodeToString(sum[:])
	bad := testSource("tampered", map[string]any{"events": 5})
	bad.SHA256 = strings.Repeat("0", 64)
	h := startHost(t, good, bad)
	h.eventually("pinned plugin runs", 10*time.Second, func() bool { return h.cursor("pinned") == "5" })
	h.eventually("tampered plugin refused", 10*time.Second, func() bool {
		return strings.Contains(h.host.Plugins("")[1].LastError, "checksum")
	})
	if h.host.Plugins("")[1].Up || h.cursor("tampered") != "" {
		t.Fatal("a plugin with the wrong checksum ran")
	}
}

func TestShutdownStopsEveryChild(t *testing.T) {
	h := startHost(t, testSource("a", map[string]any{"events": 100000, "batch": 10, "delay_ms": 50}), testSource("b", map[string]any{"events": 100000, "batch": 10, "delay_ms": 50}))
	h.eventually("both running", 10*time.Second, func() bool {
		ps := h.host.Plugins("")
		return ps[0].PID != 0 && ps[1].PID != 0 && h.cursor("a") != "" && h.cursor("b") != ""
	})
	pids := []int{h.host.Plugins("")[0].PID, h.host.Plugins("")[1].PID}
	h.stop()
	for _, pid := range pids {
		// Signal 0 probes for the process; reaped children are gone.
		if err := syscall.Kill(pid, 0); err == nil {
			t.Errorf("plugin pid %d still running after shutdown", pid)
		}
	}
	// The batch in flight was finished: the cursor matches what is stored.
	for _, name := range []string{"a", "b"} {
		if c := h.cursor(name); c != fmt.Sprint(h.events(name)) {
			t.Errorf("%s: cursor %s but %d events stored", name, c, h.events(name))
		}
	}
}

func TestUnhealthySourceIsReported(t *testing.T) {
	h := startHost(t, testSource("sick", map[string]any{"events": 1, "unhealthy": "API answered 401: token rejected"}))
	h.eventually("health reported", 10*time.Second, func() bool {
		st := h.host.Plugins("")[0]
		return st.Healthy != nil && !*st.Healthy && strings.Contains(st.HealthMessage, "401")
	})
}

// A bad config is refused by the schema the plugin describes, before its
// Configure runs; the error names the field either way.
func TestBadPluginConfigNamesTheField(t *testing.T) {
	for _, tc := range []struct {
		events any
		want   string
	}{
		{"many", "events: got string, want integer"},
		{-1, "events: minimum: got -1, want 0"},
	} {
		h := startHost(t, testSource("misconfigured", map[string]any{"events": tc.events}))
		h.eventually("configure error", 10*time.Second, func() bool {
			return strings.Contains(h.host.Plugins("")[0].LastError, tc.want)
		})
	}
}

func lineWith(logs, substr string) string {
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, substr) {
			return l
		}
	}
	return ""
}

// A plugin that dies while it waits for its next Collect is noticed at
// once: plugin_up drops and it is restarted, rather than showing up with a
// dead pid until its next interval (an hour here).
func TestPluginDyingBetweenCollectsIsNoticedAtOnce(t *testing.T) {
	p := testSource("idle", map[string]any{"events": 5})
	p.Interval = model.Duration(time.Hour)
	h := startHost(t, p)
	h.eventually("first collect", 10*time.Second, func() bool { return h.cursor("idle") == "5" })
	pid := h.host.Plugins("")[0].PID
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	h.eventually("the death noticed", 3*time.Second, func() bool {
		return testutil.ToFloat64(h.metrics.PluginRestarts.WithLabelValues("idle")) >= 1
	})
	if st := h.host.Plugins("")[0]; st.PID == pid && st.Up {
		t.Fatalf("status still shows the dead process as up: %+v", st)
	}
	h.eventually("restarted with a new process", 10*time.Second, func() bool {
		st := h.host.Plugins("")[0]
		return st.Up && st.PID != 0 && st.PID != pid
	})
}

// Batches are validated ahead of storing, while the one before is stored:
// the good batches before a bad one are stored with their cursor, the bad
// one and whatever followed it are not, and the refusal is counted.
func TestBadBatchAfterGoodOnesStopsTheStreamThere(t *testing.T) {
	h := startHost(t, testSource("mixed", map[string]any{"events": 60, "batch": 10, "garbage_after": 20}))
	h.eventually("refusals counted", 10*time.Second, func() bool {
		return testutil.ToFloat64(h.metrics.Rejected.WithLabelValues("mixed", "invalid_batch")) >= 2
	})
	if c := h.cursor("mixed"); c != "20" {
		t.Fatalf("cursor %q, want 20: the two good batches and no more", c)
	}
	if n := h.events("mixed"); n != 20 {
		t.Fatalf("%d events stored, want the 20 of the good batches", n)
	}
	if st := h.host.Plugins("")[0]; !strings.Contains(st.LastError, `events[0].kind: unknown kind "garbage!"`) {
		t.Fatalf("last_error = %q", st.LastError)
	}
}

func pids(h *harness) map[string]int {
	out := map[string]int{}
	for _, p := range h.host.Plugins("") {
		out[p.Name] = p.PID
	}
	return out
}

// A reload starts added plugins, stops removed ones (each finishing its
// batch in flight), restarts changed ones from their stored cursor, and
// leaves the others running untouched.
func TestReloadStartsStopsAndRestartsPlugins(t *testing.T) {
	keep := testSource("keep", map[string]any{"events": 100000, "batch": 10, "delay_ms": 20})
	change := testSource("change", map[string]any{"events": 40, "batch": 10})
	drop := testSource("drop", map[string]any{"events": 100000, "batch": 10, "delay_ms": 20})
	h := startHost(t, keep, change, drop)
	h.eventually("all three collecting", 10*time.Second, func() bool {
		return h.cursor("keep") != "" && h.cursor("change") == "40" && h.cursor("drop") != ""
	})
	before := pids(h)

	changed := testSource("change", map[string]any{"events": 90, "batch": 10})
	added := testSource("add", map[string]any{"events": 25, "batch": 5})
	done, err := h.host.Reload(context.Background(), []config.Plugin{keep, changed, added})
	if err != nil {
		t.Fatal(err)
	}
	want := Reloaded{Started: []string{"add"}, Stopped: []string{"drop"}, Restarted: []string{"change"}}
	if fmt.Sprint(done) != fmt.Sprint(want) {
		t.Fatalf("Reload = %+v, want %+v", done, want)
	}
	after := pids(h)
	if len(after) != 3 || after["keep"] != before["keep"] {
		t.Fatalf("plugins after reload %v (before %v): keep must run on in the same process", after, before)
	}
	if err := syscall.Kill(before["drop"], 0); err == nil {
		t.Errorf("the removed plugin's process %d still runs", before["drop"])
	}
	if after["change"] == before["change"] {
		t.Error("the changed plugin was not restarted")
	}
	// The removed plugin finished its batch in flight: its cursor matches
	// what is stored; its own series are gone, what it ingested stays.
	if c := h.cursor("drop"); c != fmt.Sprint(h.events("drop")) {
		t.Errorf("drop: cursor %s but %d events stored", c, h.events("drop"))
	}
	if n := testutil.CollectAndCount(h.metrics.PluginUp); n != 3 {
		t.Errorf("%d commandcenter_plugin_up series, want one per configured plugin (3)", n)
	}
	// The restarted plugin resumes from its cursor with its new config.
	h.eventually("changed and added plugins collect", 10*time.Second, func() bool {
		return h.cursor("change") == "90" && h.cursor("add") == "25"
	})
	if n := h.events("change"); n != 90 {
		t.Errorf("change stored %d events, want 90", n)
	}
	if d := testutil.ToFloat64(h.metrics.Duplicates.WithLabelValues("change")); d != 0 {
		t.Errorf("%v events sent again after the restart", d)
	}
	if r := testutil.ToFloat64(h.metrics.PluginRestarts.WithLabelValues("change")); r != 0 {
		t.Errorf("a reload counted as %v crash restarts", r)
	}
}

// A reload whose new or changed plugin does not start with its config
// changes nothing: every plugin runs on in the same process.
func TestReloadRefusedKeepsEveryPlugin(t *testing.T) {
	a := testSource("a", map[string]any{"events": 100000, "batch": 10, "delay_ms": 20})
	b := testSource("b", map[string]any{"events": 100000, "batch": 10, "delay_ms": 20})
	h := startHost(t, a, b)
	h.eventually("both running", 10*time.Second, func() bool { return h.cursor("a") != "" && h.cursor("b") != "" })
	before := pids(h)
	badB := testSource("b", map[string]any{"events": "many"})
	missing := testSource("c", nil)
	missing.Path = filepath.Join(t.TempDir(), "no-such-plugin")
	for _, tc := range []struct {
		name    string
		plugins []config.Plugin
		want    string
	}{
		{"changed plugin's config refused", []config.Plugin{a, badB}, "plugin b: "},
		{"added plugin does not start", []config.Plugin{a, b, testSource("fine", map[string]any{"events": 1}), missing}, "plugin c: "},
	} {
		_, err := h.host.Reload(context.Background(), tc.plugins)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%s: Reload error %v, want one starting %q", tc.name, err, tc.want)
		}
		if after := pids(h); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Fatalf("%s: plugins %v after a refused reload, want %v untouched", tc.name, after, before)
		}
		// The plugins started for the reload were stopped with it (Kill
		// returns once the process has exited).
		if running := processesOf(t, testPlugin); len(running) != 2 {
			t.Fatalf("%s: test plugin processes %v, want only a's and b's", tc.name, running)
		}
	}
	if !strings.Contains(fmt.Sprint(h.host.Reload(context.Background(), []config.Plugin{a, badB})), "events: got string, want integer") {
		t.Error("the refusal does not name the field")
	}
}

// processesOf lists the pids of running processes whose command line
// names executable (as the program, or the script a shell runs).
func processesOf(t *testing.T, executable string) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscan(e.Name(), &pid); err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && slices.Contains(strings.Split(string(cmdline), "\x00"), executable) {
			out = append(out, pid)
		}
	}
	return out
}

// Reloads racing each other (SIGHUP and POST /-/reload at once) run one
// after the other: the last one applied is what runs, one process per
// plugin, none left over.
func TestConcurrentReloadsLeaveOneProcessPerPlugin(t *testing.T) {
	a := testSource("a", map[string]any{"events": 100000, "batch": 10, "delay_ms": 20})
	h := startHost(t, a)
	b := testSource("b", map[string]any{"events": 100000, "batch": 10, "delay_ms": 20})
	sets := [][]config.Plugin{{a}, {a, b}, {b}, {a, testSource("b", map[string]any{"events": 5})}}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := h.host.Reload(context.Background(), sets[i%len(sets)]); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if _, err := h.host.Reload(context.Background(), []config.Plugin{a, b}); err != nil {
		t.Fatal(err)
	}
	got := pids(h)
	if len(got) != 2 || got["a"] == 0 || got["b"] == 0 {
		t.Fatalf("plugins after the reloads: %v", got)
	}
	if running := processesOf(t, testPlugin); len(running) != 2 {
		t.Fatalf("test plugin processes %v, want one for a and one for b (%v)", running, got)
	}
}

// TestWaitOutlastsAReloadUnderWay: Wait returns once every plugin has
// stopped. A reload that was starting a (slow to start) plugin when
// the host's ctx ended goes on after Wait returned: a plugin process is
// still started, configured and checked after the host said it stopped
// (in serve: after "stopped", while the database closes).
func TestWaitOutlastsAReloadUnderWay(t *testing.T) {
	slow := filepath.Join(t.TempDir(), "slowplugin")
	if err := os.WriteFile(slow, []byte("#!/bin/sh\nsleep 1\nexec "+testPlugin+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	a := testSource("a", map[string]any{"events": 100000, "batch": 10, "delay_ms": 20})
	h := startHost(t, a)
	h.eventually("a running", 10*time.Second, func() bool { return h.cursor("a") != "" })
	added := testSource("slow", map[string]any{"events": 5})
	added.Path = slow
	reloaded := make(chan error, 1)
	go func() {
		_, err := h.host.Reload(context.Background(), []config.Plugin{a, added})
		reloaded <- err
	}()
	time.Sleep(200 * time.Millisecond) // the reload is starting "slow"
	h.cancel()
	<-h.done // Wait returned: every plugin stopped, says its doc
	select {
	case err := <-reloaded:
		t.Logf("reload finished before Wait returned: %v", err)
		return
	default:
	}
	// The plugin being started (the script, then the test plugin it
	// execs, same pid) still runs although Wait returned.
	alive := processesOf(t, slow)
	if len(alive) > 0 {
		t.Errorf("Host.Wait returned while the plugin process %v the reload was starting runs on", alive)
	}
	t.Logf("reload answered %v", <-reloaded)
}

// waitRun polls a run until it ends.
func (h *harness) waitRun(plugin, id, tenant string) apiv1.CollectRun {
	h.t.Helper()
	var got apiv1.CollectRun
	h.eventually("run "+id+" ends", 20*time.Second, func() bool {
		var err error
		if got, err = h.host.CollectRun(plugin, id, tenant); err != nil {
			h.t.Fatal(err)
		}
		return got.Done()
	})
	return got
}

// Collect-now asked while a Collect runs joins it, twice at once makes one
// run, and each tenant sees only its own counts.
func TestCollectNowJoinsTheRunUnderWay(t *testing.T) {
	p := testSource("slow", map[string]any{"events": 40, "batch": 10, "delay_ms": 50})
	p.Interval = model.Duration(time.Hour)
	h := startHost(t, p)
	h.eventually("the first scheduled run under way", 5*time.Second, func() bool { return h.cursor("slow") != "" })
	ask := func() []apiv1.CollectRun {
		out := make([]apiv1.CollectRun, 2)
		var wg sync.WaitGroup
		for i := range out {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var err error
				if out[i], err = h.host.CollectNow("slow", "acme"); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		return out
	}
	joined := ask()
	if joined[0].ID != joined[1].ID || joined[0].Trigger != apiv1.TriggerSchedule {
		t.Fatalf("asked during the scheduled run: %+v", joined)
	}
	done := h.waitRun("slow", joined[0].ID, "acme")
	if done.State != apiv1.RunSucceeded || done.Items != 40 || done.Batches != 4 {
		t.Fatalf("the scheduled run as acme sees it: %+v", done)
	}
	if other, _ := h.host.CollectRun("slow", joined[0].ID, "globex"); other.Items != 0 || other.Batches != 0 {
		t.Fatalf("globex sees acme's counts: %+v", other)
	}

	// Idle now (the next tick is an hour away): two at once make one
	// manual run, which runs at once.
	manual := ask()
	if manual[0].ID != manual[1].ID || manual[0].Trigger != apiv1.TriggerManual || manual[0].ID == joined[0].ID {
		t.Fatalf("asked while idle: %+v", manual)
	}
	if got := h.waitRun("slow", manual[0].ID, "acme"); got.State != apiv1.RunSucceeded || got.StartedAt.Sub(got.QueuedAt) > time.Second {
		t.Fatalf("the manual run: %+v", got)
	}
	if n := testutil.ToFloat64(h.metrics.CollectRuns.WithLabelValues("slow", apiv1.TriggerManual, "success")); n != 1 {
		t.Fatalf("manual successful runs counted %v, want 1", n)
	}
	if last := h.host.Plugins("acme")[0].LastRun; last == nil || last.ID != manual[0].ID {
		t.Fatalf("the plugin's last run %+v", last)
	}
	if _, err := h.host.CollectNow("nosuch", "acme"); !errors.Is(err, ErrUnknownPlugin) {
		t.Fatalf("an unknown plugin: %v", err)
	}
}

// Runs never overlap: a scheduled tick that falls during a manual run
// waits for it.
func TestScheduledTickWaitsForTheManualRun(t *testing.T) {
	p := testSource("busy", map[string]any{"events": 100000, "batch": 50, "delay_ms": 5})
	p.Interval = model.Duration(10 * time.Millisecond)
	p.Timeout = model.Duration(300 * time.Millisecond) // each run ends by timing out
	h := startHost(t, p)
	h.eventually("a first run ended", 5*time.Second, func() bool { return h.host.Plugins("acme")[0].LastRun != nil })
	run, err := h.host.CollectNow("busy", "acme")
	if err != nil {
		t.Fatal(err)
	}
	h.waitRun("busy", run.ID, "acme")
	h.eventually("two more runs after it", 10*time.Second, func() bool {
		r := h.host.runner("busy")
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.recent) >= 3 && r.recent[len(r.recent)-3].id != run.ID
	})
	r := h.host.runner("busy")
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := 1; i < len(r.recent); i++ {
		if prev, next := r.recent[i-1], r.recent[i]; next.startedAt.Before(prev.finishedAt) {
			t.Fatalf("run %s (%s) started at %s, before run %s (%s) ended at %s",
				next.id, next.trigger, next.startedAt, prev.id, prev.trigger, prev.finishedAt)
		}
	}
}

// A manual run that fails says why and is counted; it honours the
// plugin's timeout.
func TestFailedManualRunIsReportedAndCounted(t *testing.T) {
	for _, tc := range []struct {
		name   string
		config map[string]any
		want   string
	}{
		{"a refused batch", map[string]any{"events": 30, "batch": 10, "garbage": true}, `unknown kind "garbage!"`},
		{"a hang", map[string]any{"events": 30, "batch": 10, "hang_after": 1}, "collect timed out"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := testSource("bad", tc.config)
			p.Interval, p.Timeout = model.Duration(time.Hour), model.Duration(300*time.Millisecond)
			p.BackoffInitial, p.BackoffMax = model.Duration(time.Hour), model.Duration(time.Hour)
			h := startHost(t, p)
			h.eventually("the scheduled run failed", 10*time.Second, func() bool {
				last := h.host.Plugins("acme")[0].LastRun
				return last != nil && last.State == apiv1.RunFailed
			})
			run, err := h.host.CollectNow("bad", "acme")
			if err != nil {
				t.Fatal(err)
			}
			got := h.waitRun("bad", run.ID, "acme")
			if got.State != apiv1.RunFailed || !strings.Contains(got.Error, tc.want) {
				t.Fatalf("the manual run: %+v", got)
			}
			if n := testutil.ToFloat64(h.metrics.CollectRuns.WithLabelValues("bad", apiv1.TriggerManual, "failure")); n != 1 {
				t.Fatalf("failed manual runs counted %v, want 1", n)
			}
		})
	}
}

// The tenants whose data a run stored, and the one that asked for it, are
// told when it starts and ends; nobody else.
func TestRunEventsReachOnlyTheTenantsConcerned(t *testing.T) {
	p := testSource("feed", map[string]any{"events": 30, "batch": 10, "delay_ms": 20})
	p.Interval = model.Duration(time.Hour)
	h := startHost(t, p)
	h.eventually("the first run ended", 10*time.Second, func() bool { return h.host.Plugins("acme")[0].LastRun != nil })
	acme, stopAcme := h.host.SubscribeRuns("acme")
	defer stopAcme()
	globex, stopGlobex := h.host.SubscribeRuns("globex")
	defer stopGlobex()
	initech, stopInitech := h.host.SubscribeRuns("initech")
	defer stopInitech()

	// Nothing new to store: only globex, which asked, hears of it.
	run, err := h.host.CollectNow("feed", "globex")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{apiv1.StreamEventCollectStarted, apiv1.StreamEventCollectFinished} {
		select {
		case ev := <-globex:
			if ev.Type != want || ev.Run.ID != run.ID {
				t.Fatalf("globex got %+v, want %s of %s", ev, want, run.ID)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("globex never got %s", want)
		}
	}
	select {
	case ev := <-acme:
		t.Fatalf("acme, untouched, got %+v", ev)
	case ev := <-initech:
		t.Fatalf("initech got %+v", ev)
	case <-time.After(100 * time.Millisecond):
	}

	// A new plugin's first run stores acme's data: acme hears of it, with
	// its counts, and only acme.
	fresh := testSource("fresh", map[string]any{"events": 30, "batch": 10, "delay_ms": 20})
	fresh.Interval = model.Duration(time.Hour)
	if _, err := h.host.Reload(context.Background(), []config.Plugin{p, fresh}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{apiv1.StreamEventCollectStarted, apiv1.StreamEventCollectFinished} {
		select {
		case ev := <-acme:
			if ev.Type != want || ev.Run.Plugin != "fresh" {
				t.Fatalf("acme got %+v, want %s of fresh", ev, want)
			}
			if want == apiv1.StreamEventCollectFinished && (ev.Run.Items != 30 || ev.Run.State != apiv1.RunSucceeded) {
				t.Fatalf("acme's finished event: %+v, want 30 items stored", ev.Run)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("acme never got %s", want)
		}
	}
	select {
	case ev := <-globex:
		t.Fatalf("globex, untouched, got %+v", ev)
	case ev := <-initech:
		t.Fatalf("initech got %+v", ev)
	case <-time.After(100 * time.Millisecond):
	}
}
