package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/commandcenter/commandcenter/cmd/commandcenter/servetest"
	"github.com/commandcenter/commandcenter/collector/api/apiv1"
)

// demoPlugins is a config running a small demo plugin under each name.
func demoPlugins(extra string, names ...string) string {
	cfg := extra
	cfg += "plugins:\n"
	for _, name := range names {
		cfg += "  - name: " + name + "\n    builtin: demo\n    interval: 1h\n    config: {tenants: 1, influencers: 5, history_days: 1}\n"
	}
	return cfg
}

// postReload sends POST /-/reload with a bearer token, or basic auth when
// user is set, and decodes the answer.
func postReload(t *testing.T, s *servetest.Server, token, user, password string) (int, apiv1.ReloadResponse, *apiv1.Error) {
	t.Helper()
	req, _ := http.NewRequest("POST", s.Base+apiv1.PathReload, nil)
	switch {
	case user != "":
		req.SetBasicAuth(user, password)
	case token != "":
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var ok apiv1.ReloadResponse
	var failed apiv1.ErrorBody
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, &ok); err != nil {
			t.Fatalf("reload answer %s: %v", body, err)
		}
		return resp.StatusCode, ok, nil
	}
	if err := json.Unmarshal(body, &failed); err != nil || failed.Error == nil {
		// exporter-toolkit's own refusals are plain text.
		return resp.StatusCode, ok, &apiv1.Error{Message: string(body)}
	}
	return resp.StatusCode, ok, failed.Error
}

func pluginNames(t *testing.T, s *servetest.Server, token string) []string {
	t.Helper()
	code, body := s.Get(t, apiv1.PathPlugins, token)
	if code != 200 {
		t.Fatalf("plugins: %d %s", code, body)
	}
	var resp apiv1.PluginsResponse
	if err := json.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range resp.Plugins {
		names = append(names, p.Name)
	}
	return names
}

// metric is the value of the series line of /metrics that starts with
// series ("" when there is none).
func metric(t *testing.T, s *servetest.Server, series string) string {
	t.Helper()
	_, body := s.Get(t, "/metrics", "")
	for line := range strings.SplitSeq(body, "\n") {
		if value, ok := strings.CutPrefix(line, series+" "); ok {
			return value
		}
	}
	return ""
}

// SIGHUP and POST /-/reload re-read the config: plugins are started,
// stopped and restarted; a bad config is refused and the running one kept,
// as the reload metrics say.
func TestReloadFollowsTheConfigFile(t *testing.T) {
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "data")
	cfgFile := filepath.Join(dir, "commandcenter.yml")
	write := func(content string) {
		if err := os.WriteFile(cfgFile, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(demoPlugins("", "alpha", "beta"))
	admin := newToken(t, dataDir, "acme", "admin")
	s := startServe(t, "--config", cfgFile, "--data-dir", dataDir)
	if got := pluginNames(t, s, admin); !slices.Equal(got, []string{"alpha", "beta"}) {
		t.Fatalf("plugins at start %v", got)
	}
	if v := metric(t, s, "commandcenter_config_last_reload_successful"); v != "1" {
		t.Fatalf("last_reload_successful at start %q, want 1", v)
	}
	started := metric(t, s, "commandcenter_config_last_reload_success_timestamp_seconds")

	// SIGHUP: beta removed, gamma added.
	write(demoPlugins("", "alpha", "gamma"))
	s.Cmd.Process.Signal(syscall.SIGHUP)
	eventually(t, "plugins follow the file after SIGHUP", 20*time.Second, func() bool {
		return slices.Equal(pluginNames(t, s, admin), []string{"alpha", "gamma"})
	})
	if v := metric(t, s, `commandcenter_plugin_up{plugin="beta"}`); v != "" {
		t.Errorf("the removed plugin still has plugin_up %s", v)
	}
	if v := metric(t, s, "commandcenter_config_last_reload_success_timestamp_seconds"); v == started {
		t.Errorf("the success timestamp stayed %s after a reload", v)
	}

	// A broken file is refused: the running plugins stay, the metric says so.
	for _, bad := range []string{
		"plugins: [unclosed\n",
		demoPlugins("", "alpha", "gamma") + "  - name: delta\n    builtin: nosuch\n",
		demoPlugins("", "alpha") + "  - name: gamma\n    builtin: demo\n    config: {tenants: 99}\n",
	} {
		write(bad)
		code, _, apiErr := postReload(t, s, admin, "", "")
		if code != http.StatusInternalServerError || apiErr.Code != apiv1.CodeReloadFailed {
			t.Fatalf("bad config %q: %d %+v", bad, code, apiErr)
		}
		// An admin token's holder is pointed at the log, not told what the
		// file says.
		if strings.Contains(apiErr.Message, "plugins") || !strings.Contains(apiErr.Message, "server's log") {
			t.Errorf("a tenant's admin was told %q", apiErr.Message)
		}
		if got := pluginNames(t, s, admin); !slices.Equal(got, []string{"alpha", "gamma"}) {
			t.Fatalf("plugins after a refused reload %v", got)
		}
		if v := metric(t, s, "commandcenter_config_last_reload_successful"); v != "0" {
			t.Fatalf("last_reload_successful %q after a refused reload, want 0", v)
		}
	}
	if !strings.Contains(s.Logs(), "reload refused") || !strings.Contains(s.Logs(), "tenants: maximum") {
		t.Errorf("the log does not say why the reload was refused:\n%s", grepLines(s.Logs(), "reload"))
	}

	// Fixed again: gamma's config changed, retention needs a restart;
	// listen changes nothing, --web.listen-address overrides it.
	write(demoPlugins("retention: 720h\nlisten: 127.0.0.1:1\n", "alpha") + "  - name: gamma\n    builtin: demo\n    interval: 1h\n    config: {tenants: 2, influencers: 5, history_days: 1}\n")
	code, done, apiErr := postReload(t, s, admin, "", "")
	if code != http.StatusOK {
		t.Fatalf("reload: %d %+v", code, apiErr)
	}
	want := apiv1.ReloadResponse{Started: []string{}, Stopped: []string{}, Restarted: []string{"gamma"}, RestartNeeded: []string{"retention"}}
	if got, _ := json.Marshal(done); string(got) != string(must(json.Marshal(want))) {
		t.Fatalf("reload answered %s, want %s", got, must(json.Marshal(want)))
	}
	if v := metric(t, s, "commandcenter_config_last_reload_successful"); v != "1" {
		t.Fatalf("last_reload_successful %q after a good reload, want 1", v)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// Who may reload: an admin token, or whoever passed the listener's own
// basic auth; a read or ingest token, no token, or a basic-auth header the
// listener no longer asks for may not.
func TestReloadNeedsAnOperator(t *testing.T) {
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "data")
	cfgFile := filepath.Join(dir, "commandcenter.yml")
	os.WriteFile(cfgFile, []byte(demoPlugins("", "alpha")), 0o600)
	read := newToken(t, dataDir, "acme", "read")
	ingest := newToken(t, dataDir, "acme", "ingest")
	s := startServe(t, "--config", cfgFile, "--data-dir", dataDir)
	for _, tc := range []struct {
		name, token string
		want        int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"unknown token", "cc_nosuchtoken", http.StatusUnauthorized},
		{"read token", read, http.StatusForbidden},
		{"ingest token", ingest, http.StatusForbidden},
	} {
		if code, _, _ := postReload(t, s, tc.token, "", ""); code != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, code, tc.want)
		}
	}
	// Basic auth is no credential on a listener that does not ask for it.
	if code, _, _ := postReload(t, s, "", "prometheus", "anything"); code != http.StatusUnauthorized {
		t.Errorf("unasked basic auth: %d, want 401", code)
	}
	if code, _ := s.Get(t, apiv1.PathReload, ""); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /-/reload: %d, want 405", code)
	}
	if v := metric(t, s, "commandcenter_config_last_reload_successful"); v != "1" {
		t.Errorf("refused callers changed last_reload_successful to %q", v)
	}

	// Behind basic auth, the password is enough, and the operator is told
	// why a config is refused.
	hash, _ := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	webConfig := filepath.Join(dir, "web.yml")
	os.WriteFile(webConfig, []byte("basic_auth_users:\n  ops: "+string(hash)+"\n"), 0o600)
	guarded := startServe(t, "--config", cfgFile, "--data-dir", filepath.Join(dir, "data2"), "--web.config.file", webConfig)
	if code, _, apiErr := postReload(t, guarded, "", "ops", "s3cret"); code != http.StatusOK {
		t.Fatalf("operator reload: %d %+v", code, apiErr)
	}
	if code, _, _ := postReload(t, guarded, "", "ops", "guess"); code != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", code)
	}
	os.WriteFile(cfgFile, []byte(demoPlugins("", "alpha")+"  - name: beta\n    builtin: nosuch\n"), 0o600)
	code, _, apiErr := postReload(t, guarded, "", "ops", "s3cret")
	if code != http.StatusInternalServerError || !strings.Contains(apiErr.Message, "plugins[1].builtin") {
		t.Fatalf("operator's refused reload: %d %+v", code, apiErr)
	}
}

// A SIGHUP sent while serve starts (a config-management run or logrotate
// right after a restart) is caught, not Go's default of exiting.
func TestHangUpWhileStartingDoesNotKill(t *testing.T) {
	dataDir := t.TempDir()
	cmd := exec.Command(binary, "serve", "--data-dir", dataDir, "--web.listen-address", "127.0.0.1:0")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// The lock file is the first thing serve makes; the store, the first
	// metrics refresh and the listener come after.
	servetest.Poll(t, "serve started", 10*time.Second, 100*time.Microsecond, func() bool {
		_, err := os.Stat(filepath.Join(dataDir, "serve.lock"))
		return err == nil
	})
	cmd.Process.Signal(syscall.SIGHUP)
	select {
	case err := <-exited:
		t.Fatalf("serve exited on a SIGHUP sent while it started: %v", err)
	case <-time.After(2 * time.Second):
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("serve stopped with %v", err)
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("serve did not stop on SIGTERM")
	}
}
