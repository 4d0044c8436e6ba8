package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/commandcenter/commandcenter/cmd/commandcenter/servetest"
	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/collector/business"
	"github.com/commandcenter/commandcenter/dashboards"
	"github.com/commandcenter/commandcenter/dashboards/grafanasync/grafanafake"
)

// binary is commandcenter built once for every test here: serve runs its
// built-in plugins as children of this same executable.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cc-cmd-test")
	if err != nil {
		panic(err)
	}
	if binary, err = servetest.Build(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func startServe(t testing.TB, args ...string) *servetest.Server {
	t.Helper()
	return servetest.Start(t, binary, args...)
}

// runBinary runs the built commandcenter and returns its exit code, stdout
// and stderr.
func runBinary(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), stdout.String(), stderr.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, stdout.String(), stderr.String()
}

func eventually(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	servetest.Poll(t, what, timeout, 50*time.Millisecond, cond)
}

var demoToken = regexp.MustCompile(`Read token for tenant ([a-z-]+):\n  curl -H 'Authorization: Bearer (cc_[a-z0-9]+)'`)

// demoTokenOf waits for serve --demo to print its first tenant's read
// token.
func demoTokenOf(t *testing.T, s *servetest.Server) (tenant, token string) {
	t.Helper()
	eventually(t, "demo tokens printed", 10*time.Second, func() bool {
		m := demoToken.FindStringSubmatch(s.Logs())
		if m != nil {
			tenant, token = m[1], m[2]
		}
		return m != nil
	})
	return tenant, token
}

func TestServeDemoEndToEnd(t *testing.T) {
	s := startServe(t, "--demo")
	tenant, token := demoTokenOf(t, s)
	// The demo plugin runs as a child process and fills the store.
	eventually(t, "demo data in /metrics", 60*time.Second, func() bool {
		_, body := s.Get(t, "/metrics", "")
		return strings.Contains(body, `commandcenter_plugin_up{plugin="demo"} 1`) &&
			strings.Contains(body, `commandcenter_video_review_queue{tenant="`+tenant+`"}`)
	})
	code, body := s.Get(t, "/api/v1/stats", token)
	var stats struct {
		Stats struct {
			Tenant      string `json:"tenant"`
			ReviewQueue int    `json:"review_queue"`
			Platforms   []any  `json:"platforms"`
		} `json:"stats"`
	}
	if err := json.Unmarshal([]byte(body), &stats); code != 200 || err != nil {
		t.Fatalf("stats: %d %v %s", code, err, body)
	}
	if stats.Stats.Tenant != tenant || stats.Stats.ReviewQueue == 0 || len(stats.Stats.Platforms) != 3 {
		t.Fatalf("stats: %s", body)
	}
	code, body = s.Get(t, "/api/v1/plugins", token)
	if code != 200 || !strings.Contains(body, `"name":"demo"`) || !strings.Contains(body, `"up":true`) {
		t.Fatalf("plugins: %d %s", code, body)
	}
	if code, _ := s.Get(t, "/readyz", ""); code != 200 {
		t.Fatalf("readyz %d", code)
	}

	// SIGTERM to serve's whole process group, as timeout(1) or a job
	// supervisor sends it: children stopped in order, database closed,
	// clean exit, no error logged.
	var plugins struct {
		Plugins []struct{ PID int } `json:"plugins"`
	}
	json.Unmarshal([]byte(body), &plugins)
	var children []int
	for _, p := range plugins.Plugins {
		children = append(children, p.PID)
	}
	if len(children) != 1 || children[0] == 0 {
		t.Fatalf("no plugin pid in %s", body)
	}
	syscall.Kill(-s.Cmd.Process.Pid, syscall.SIGTERM)
	s.WaitExit(t, 20*time.Second)
	for _, pid := range children {
		if syscall.Kill(pid, 0) == nil {
			t.Errorf("plugin pid %d outlived serve", pid)
		}
	}
	if !strings.Contains(s.Logs(), "database closed") {
		t.Fatal("no log line says the database was closed")
	}
	if strings.Contains(s.Logs(), "level=ERROR") {
		t.Fatalf("a clean shutdown logged errors:\n%s", s.Logs())
	}
}

func TestServeRefusesABadConfigClearly(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cc.yml")
	os.WriteFile(cfg, []byte("listen: 127.0.0.1:0\nplugins:\n  - name: Bad Name\n    builtin: nosuch\n    interval: 10ms\n"), 0o644)
	out, err := exec.Command(binary, "serve", "--config", cfg).CombinedOutput()
	if err == nil {
		t.Fatal("serve accepted a bad config")
	}
	for _, want := range []string{"plugins[0].name", "plugins[0].builtin: unknown built-in plugin \"nosuch\"", "plugins[0].interval"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestTokensCommands(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) (string, string) {
		t.Helper()
		cmd := exec.Command(binary, args...)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, stderr.String())
		}
		return stdout.String(), stderr.String()
	}
	secret, notes := run("tokens", "create", "--data-dir", dir, "--tenant", "acme", "--scope", "ingest", "--description", "ci")
	if !strings.Contains(notes, "No database at "+dir) || !strings.Contains(notes, "no data of tenant acme is stored yet") {
		t.Fatalf("creating the first token on an empty data dir says nothing of it:\n%s", notes)
	}
	secret = strings.TrimSpace(secret)
	if !strings.HasPrefix(secret, "cc_") {
		t.Fatalf("secret %q", secret)
	}
	list, _ := run("tokens", "list", "--data-dir", dir)
	if !strings.Contains(list, "acme") || !strings.Contains(list, "ingest") || strings.Contains(list, secret) {
		t.Fatalf("list:\n%s", list)
	}
	id := strings.Fields(strings.Split(list, "\n")[1])[0]
	run("tokens", "revoke", "--data-dir", dir, id)
	if list, _ := run("tokens", "list", "--data-dir", dir); strings.Contains(list, "acme") {
		t.Fatalf("revoked token still listed:\n%s", list)
	}
	out, err := exec.Command(binary, "tokens", "create", "--data-dir", dir, "--tenant", "acme", "--scope", "root").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "read,ingest,admin") {
		t.Fatalf("bad scope accepted: %s", out)
	}
	// The store's checks are named by the flags that set them.
	for _, tc := range []struct{ flag, value, want string }{
		{"--expires", "30s", "token not created: --expires: must be at least 1m0s"},
		{"--expires", "59s", "token not created: --expires: must be at least 1m0s"},
		{"--description", "tab\there", "token not created: --description: must not hold control characters"},
	} {
		code, _, stderr := runBinary(t, "tokens", "create", "--data-dir", dir, "--tenant", "acme", tc.flag+"="+tc.value)
		if code != 1 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s %q: exit %d, %s", tc.flag, tc.value, code, stderr)
		}
	}
	if list, _ := run("tokens", "list", "--data-dir", dir); strings.Contains(list, "acme") {
		t.Fatalf("a refused token was stored:\n%s", list)
	}
}

func TestPluginRefusesToRunByHand(t *testing.T) {
	out, err := exec.Command(binary, "plugin", "demo").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "started by `commandcenter serve`") {
		t.Fatalf("%v: %s", err, out)
	}
}

func TestCommandsDispatch(t *testing.T) {
	cases := []struct {
		name       string
		args       []string
		code       int
		stdout     string // stdout contains
		stderr     string // stderr contains
		emptyError bool   // nothing on stderr
	}{
		{"no command prints help on stdout", nil, 0, "Commands:", "", true},
		{"help flag", []string{"--help"}, 0, "serve", "", true},
		{"version", []string{"version"}, 0, "commandcenter, version", "", true},
		{"unknown command is an error", []string{"sevre"}, 2, "", `expected command but got "sevre"`, false},
		{"unknown flag is an error", []string{"serve", "--colour"}, 2, "", "unknown long flag '--colour'", false},
		{"unknown log level is an error", []string{"serve", "--log.level", "verbose"}, 2, "", "unrecognized log level verbose", false},
		{"unknown log format is an error", []string{"serve", "--log.format", "xml"}, 2, "", "unrecognized log format xml", false},
		{"the old --listen is gone", []string{"serve", "--listen", ":9464"}, 2, "", "unknown long flag '--listen'", false},
		{"a web config that is not there is an error", []string{"serve", "--web.config.file", "/nonexistent/web.yml", "--data-dir", "/nonexistent/typo"}, 1, "", "--web.config.file /nonexistent/web.yml", false},
		{"tokens list of a database that is not there", []string{"tokens", "list", "--data-dir", "/nonexistent/typo"}, 1, "", "no database at /nonexistent/typo/commandcenter.db", false},
		{"dashboards export into a file is an error", []string{"dashboards", "export", "/dev/null"}, 1, "", "not a directory", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runBinary(t, tc.args...)
			if code != tc.code || !strings.Contains(stdout, tc.stdout) || !strings.Contains(stderr, tc.stderr) ||
				(tc.emptyError && stderr != "") {
				t.Fatalf("exit %d (want %d)\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
		})
	}
}

// A connected /stream client does not hold shutdown up: serve ends the
// streams and exits well under a second after SIGTERM (it used to wait out
// its whole 5 s shutdown timeout).
func TestShutdownEndsStreamsAtOnce(t *testing.T) {
	dataDir := t.TempDir()
	out, err := exec.Command(binary, "tokens", "create", "--data-dir", dataDir, "--tenant", "acme").Output()
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(string(out))
	s := startServe(t, "--data-dir", dataDir)
	req, _ := http.NewRequest("GET", s.Base+"/api/v1/stream", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if line, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil || resp.StatusCode != 200 {
		t.Fatalf("stream: %d %q %v", resp.StatusCode, line, err)
	}
	start := time.Now()
	s.Cmd.Process.Signal(syscall.SIGTERM)
	s.WaitExit(t, 10*time.Second)
	if took := time.Since(start); took > time.Second {
		t.Fatalf("shutdown with a stream connected took %s", took)
	}
}

// A second serve on the same data directory refuses to start (both used
// to write, and the second revoked the first one's demo tokens).
func TestSecondServeOnTheSameDataRefuses(t *testing.T) {
	dataDir := t.TempDir()
	first := startServe(t, "--data-dir", dataDir)
	out, err := exec.Command(binary, "serve", "--web.listen-address", "127.0.0.1:0", "--data-dir", dataDir).CombinedOutput()
	want := fmt.Sprintf("another commandcenter serve (pid %d) is using the data directory %s", first.Cmd.Process.Pid, dataDir)
	if err == nil || !strings.Contains(string(out), want) {
		t.Fatalf("second serve: %v\n%s", err, out)
	}
	if code, _ := first.Get(t, "/healthz", ""); code != 200 {
		t.Fatalf("the first serve suffered: %d", code)
	}
}

// Restarting the demo keeps its tokens: what a newcomer copied still works.
func TestDemoTokensSurviveARestart(t *testing.T) {
	dataDir := t.TempDir()
	first := startServe(t, "--demo", "--data-dir", dataDir)
	tenant, token := demoTokenOf(t, first)
	first.Cmd.Process.Signal(syscall.SIGTERM)
	first.WaitExit(t, 20*time.Second)
	second := startServe(t, "--demo", "--data-dir", dataDir)
	tenant2, token2 := demoTokenOf(t, second)
	if tenant2 != tenant || token2 != token {
		t.Fatalf("the restarted demo printed %s for %s, not %s", token2, tenant2, token)
	}
	if code, body := second.Get(t, "/api/v1/stats", token); code != 200 {
		t.Fatalf("the kept token: %d %s", code, body)
	}
}

func TestDashboardsExportWritesTheCommittedJSON(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "folder")
	out, err := exec.Command(binary, "dashboards", "export", "--data-dir", t.TempDir(), dir).Output()
	if err != nil {
		t.Fatal(err)
	}
	committed, err := filepath.Glob(filepath.Join("..", "..", "dashboards", "*.json"))
	if err != nil || len(committed) == 0 {
		t.Fatalf("committed dashboards: %v %v", committed, err)
	}
	for _, file := range committed {
		path := filepath.Join(dir, filepath.Base(file))
		if !strings.Contains(string(out), path) {
			t.Errorf("export did not print %s: %s", path, out)
		}
		got, err := os.ReadFile(path)
		want, _ := os.ReadFile(file)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s differs from the committed %s (%v)", path, file, err)
		}
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".*")); len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

func TestServeRendersSavedLayoutsAsDashboards(t *testing.T) {
	dataDir := t.TempDir()
	tokens := map[string]string{}
	for _, key := range []string{"acme/admin", "globex/read"} {
		tenant, scope, _ := strings.Cut(key, "/")
		out, err := exec.Command(binary, "tokens", "create", "--data-dir", dataDir, "--tenant", tenant, "--scope", scope).Output()
		if err != nil {
			t.Fatal(err)
		}
		tokens[key] = strings.TrimSpace(string(out))
	}
	s := startServe(t, "--data-dir", dataDir)
	client := func(key string) *apiv1.Client {
		c, err := apiv1.New(apiv1.Config{URL: s.Base, Token: tokens[key]})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	layout := apiv1.Layout{ID: "ops-home", Owner: apiv1.LayoutOwner{Kind: apiv1.OwnerTeam, Name: "ops"}, Name: "Ops",
		TimeRange: apiv1.LayoutRange{From: "now-7d", To: "now"},
		Widgets: []apiv1.Widget{
			{Kind: business.WidgetWorklist, X: 0, Y: 0, W: 12, H: 10},
			{Kind: business.WidgetPerformanceChart, X: 12, Y: 0, W: 12, H: 10, Metric: apiv1.MetricROI, GroupBy: apiv1.GroupByCampaign},
		}}
	acme := client("acme/admin")
	if _, err := acme.PutLayout(context.Background(), layout); err != nil {
		t.Fatal(err)
	}
	raw, err := acme.LayoutDashboard(context.Background(), "ops-home")
	if err != nil {
		t.Fatal(err)
	}
	var db struct {
		UID    string           `json:"uid"`
		Title  string           `json:"title"`
		Panels []map[string]any `json:"panels"`
	}
	if err := json.Unmarshal(raw, &db); err != nil {
		t.Fatal(err)
	}
	if db.UID != dashboards.LayoutUID("acme", "ops-home") || db.Title != "Ops" || len(db.Panels) != len(layout.Widgets) {
		t.Errorf("rendered %s", raw)
	}
	if _, err := client("globex/read").LayoutDashboard(context.Background(), "ops-home"); !apiv1.IsCode(err, apiv1.CodeLayoutNotFound) {
		t.Errorf("globex rendered acme's layout: %v", err)
	}
}

func TestLayoutsSyncPushesToGrafana(t *testing.T) {
	dataDir := t.TempDir()
	out, err := exec.Command(binary, "tokens", "create", "--data-dir", dataDir, "--tenant", "acme", "--scope", "admin").Output()
	if err != nil {
		t.Fatal(err)
	}
	s := startServe(t, "--data-dir", dataDir)
	acme, err := apiv1.New(apiv1.Config{URL: s.Base, Token: strings.TrimSpace(string(out))})
	if err != nil {
		t.Fatal(err)
	}
	layout := apiv1.Layout{ID: "ops-home", Owner: apiv1.LayoutOwner{Kind: apiv1.OwnerTeam, Name: "ops"}, Name: "Ops", Default: true,
		TimeRange: apiv1.LayoutRange{From: "now-7d", To: "now"},
		Widgets:   []apiv1.Widget{{Kind: business.WidgetAlerts, W: 24, H: 8}}}
	if _, err := acme.PutLayout(context.Background(), layout); err != nil {
		t.Fatal(err)
	}
	g := grafanafake.Start("sa-secret", "admin")
	defer g.Close()
	g.AddTeam("ops", 4)
	sync := func(token string, args ...string) (string, int) {
		cmd := exec.Command(binary, append([]string{"layouts", "sync", "--data-dir", dataDir, "--tenant", "acme", "--grafana-url", g.URL,
			"--grafana-token-env", "CC_TEST_GRAFANA_TOKEN"}, args...)...)
		cmd.Env = append(os.Environ(), "CC_TEST_GRAFANA_TOKEN="+token)
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	if out, code := sync("sa-secret", "--dry-run"); code != 0 || !strings.Contains(out, "acme/ops-home would be created") {
		t.Fatalf("dry run (%d):\n%s", code, out)
	}
	g.Lock()
	writes := g.Writes
	g.Unlock()
	if writes != 0 {
		t.Fatalf("the dry run wrote %d times", writes)
	}
	if out, code := sync("sa-secret"); code != 0 || !strings.Contains(out, "1 created") || !strings.Contains(out, "1 home dashboards set") {
		t.Fatalf("sync (%d):\n%s", code, out)
	}
	g.Lock()
	home := g.HomeByTeam[4]
	g.Unlock()
	if home != dashboards.LayoutUID("acme", "ops-home") {
		t.Errorf("team home %q", home)
	}
	// The version pushed is kept in the database: an edit made in Grafana
	// since is a conflict (exit 1) the next sync does not overwrite.
	uid := dashboards.LayoutUID("acme", "ops-home")
	g.Lock()
	g.Dashboards[uid].JSON["title"] = "edited in Grafana"
	g.Dashboards[uid].Version++
	g.Unlock()
	if out, code := sync("sa-secret"); code != 1 || !strings.Contains(out, "CONFLICT acme/ops-home") {
		t.Errorf("an edit made in Grafana (%d):\n%s", code, out)
	}
	if out, code := sync("sa-secret", "--force"); code != 0 || !strings.Contains(out, "1 updated") {
		t.Errorf("--force (%d):\n%s", code, out)
	}

	// dashboards export renders the saved layouts too.
	exported := t.TempDir()
	if out, err := exec.Command(binary, "dashboards", "export", "--data-dir", dataDir, exported).CombinedOutput(); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(filepath.Join(exported, "layouts", "acme", "ops-home.json"))
	if err != nil || !strings.Contains(string(raw), dashboards.LayoutUID("acme", "ops-home")) {
		t.Errorf("exported layout: %v %.200s", err, raw)
	}
	if out, code := sync("wrong"); code != 1 || !strings.Contains(out, "Grafana refused the token") {
		t.Errorf("a wrong token (%d):\n%s", code, out)
	}
	if out, code := sync(""); code != 1 || !strings.Contains(out, "no Grafana token") {
		t.Errorf("no token (%d):\n%s", code, out)
	}
	// Deleting the layout deletes its dashboard at the next sync.
	current, err := acme.Layout(context.Background(), "ops-home")
	if err != nil {
		t.Fatal(err)
	}
	if err := acme.DeleteLayout(context.Background(), "ops-home", current.Version); err != nil {
		t.Fatal(err)
	}
	if out, code := sync("sa-secret"); code != 0 || !strings.Contains(out, "1 deleted") {
		t.Errorf("after deleting the layout (%d):\n%s", code, out)
	}
	// And the next export removes its file.
	if out, err := exec.Command(binary, "dashboards", "export", "--data-dir", dataDir, exported).CombinedOutput(); err != nil || !strings.Contains(string(out), "removed") {
		t.Errorf("export after the delete: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(exported, "layouts", "acme", "ops-home.json")); !os.IsNotExist(err) {
		t.Errorf("the deleted layout's file is still exported: %v", err)
	}
	g.Lock()
	_, left := g.Dashboards[uid]
	g.Unlock()
	if left {
		t.Error("the deleted layout's dashboard is still in Grafana")
	}
}
