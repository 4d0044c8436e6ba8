package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/plugins/demo"
)

// streamEvents follows /api/v1/stream as token and sends each event's
// name, data and arrival time until the test ends.
type streamEvent struct {
	name string
	run  apiv1.CollectRun
	at   time.Time
}

func followStream(t *testing.T, base, token string) <-chan streamEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", base+apiv1.PathStream, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("stream: %v %v", resp, err)
	}
	out := make(chan streamEvent, 64)
	ready := make(chan struct{})
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var name string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				if name == apiv1.StreamEventReady {
					close(ready)
					continue
				}
				ev := streamEvent{name: name, at: time.Now()}
				json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev.run)
				out <- ev
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatal("the stream never said ready")
	}
	return out
}

// Collect-now end to end through serve: the admin's call starts a run of
// the real demo plugin, the stream tells the tenant within 250 ms of its
// end, read and ingest tokens get 403, asking too often 429, and the CLI
// follows a run to its end.
func TestCollectNowThroughServe(t *testing.T) {
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "data")
	cfgFile := filepath.Join(dir, "commandcenter.yml")
	os.WriteFile(cfgFile, []byte(demoPlugins("", "demo-a")), 0o600)
	tenant := demo.TenantIDs(1)[0]
	admin := newToken(t, dataDir, tenant, "admin")
	read := newToken(t, dataDir, tenant, "read")
	ingest := newToken(t, dataDir, tenant, "ingest")
	s := startServe(t, "--config", cfgFile, "--data-dir", dataDir)
	client := func(token string) *apiv1.Client {
		c, err := apiv1.New(apiv1.Config{URL: s.Base, Token: token})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ctx := context.Background()
	eventually(t, "the first scheduled run ended", 20*time.Second, func() bool {
		ps, err := client(read).Plugins(ctx)
		return err == nil && len(ps.Plugins) == 1 && ps.Plugins[0].LastRun != nil
	})

	for name, token := range map[string]string{"read": read, "ingest": ingest} {
		if _, err := client(token).CollectNow(ctx, "demo-a"); !apiv1.IsCode(err, apiv1.CodeForbidden) {
			t.Errorf("a %s token: %v, want 403 forbidden", name, err)
		}
	}
	if _, err := client(admin).CollectNow(ctx, "nosuch"); !apiv1.IsCode(err, apiv1.CodePluginNotFound) {
		t.Errorf("an unknown plugin: %v", err)
	}

	events := followStream(t, s.Base, read)
	run, err := client(admin).CollectNow(ctx, "demo-a")
	if err != nil {
		t.Fatal(err)
	}
	var finished streamEvent
	for finished.name != apiv1.StreamEventCollectFinished {
		select {
		case finished = <-events:
		case <-time.After(20 * time.Second):
			t.Fatal("no collect.finished on the stream")
		}
	}
	if finished.run.ID != run.ID || finished.run.State != apiv1.RunSucceeded || finished.run.FinishedAt == nil {
		t.Fatalf("collect.finished: %+v, want run %s succeeded", finished.run, run.ID)
	}
	if late := finished.at.Sub(*finished.run.FinishedAt); late > 250*time.Millisecond {
		t.Errorf("collect.finished arrived %s after the run ended, want within 250ms", late)
	}
	got, err := client(read).CollectRun(ctx, "demo-a", run.ID)
	if err != nil || got.State != apiv1.RunSucceeded || got.Trigger != apiv1.TriggerManual {
		t.Fatalf("GET the run as read: %+v, %v", got, err)
	}

	// The CLI follows a run to its end.
	cmd := exec.Command(binary, "plugins", "collect", "demo-a", "--wait", "--config", cfgFile, "--url", s.Base)
	cmd.Env = append(os.Environ(), "COMMANDCENTER_TOKEN="+admin)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "succeeded") {
		t.Fatalf("plugins collect --wait: %v\n%s", err, out)
	}
	cmd = exec.Command(binary, "plugins", "collect", "demo-a", "--config", cfgFile, "--url", s.Base)
	cmd.Env = append(os.Environ(), "COMMANDCENTER_TOKEN="+read)
	if out, err := cmd.CombinedOutput(); exitCode(err) != 1 || !strings.Contains(string(out), "needs an admin token") {
		t.Fatalf("plugins collect with a read token: %v\n%s", err, out)
	}

	// Asked too often: 429 with Retry-After, and the run is not started.
	var limited *apiv1.Error
	for i := 0; i < 10 && limited == nil; i++ {
		next, err := client(admin).CollectNow(ctx, "demo-a")
		switch {
		case apiv1.IsCode(err, apiv1.CodeRateLimited):
			limited = err.(*apiv1.Error)
		case err != nil:
			t.Fatal(err)
		default:
			eventually(t, "run "+next.ID+" ends", 20*time.Second, func() bool {
				r, err := client(admin).CollectRun(ctx, "demo-a", next.ID)
				return err == nil && r.Done()
			})
		}
	}
	if limited == nil || limited.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("never rate-limited: %v", limited)
	}
	if secs, err := strconv.Atoi(limited.Header.Get("Retry-After")); err != nil || secs < 1 {
		t.Fatalf("Retry-After %q", limited.Header.Get("Retry-After"))
	}
	if v := metric(t, s, `commandcenter_plugin_collect_runs_total{plugin="demo-a",result="success",trigger="manual"}`); v == "" || v == "0" {
		t.Errorf("manual runs counted %q", v)
	}
}
