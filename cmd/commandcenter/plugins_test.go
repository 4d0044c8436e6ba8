package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/commandcenter/commandcenter/cmd/commandcenter/servetest"
	"github.com/commandcenter/commandcenter/collector/config"
	"github.com/commandcenter/commandcenter/plugins/builtin"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// writeFile writes content to a new file in t's temp dir.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const demoPluginConfig = `{"start": "2026-11-20T09:00:00Z", "tenants": 1, "influencers": 5, "history_days": 3, "batch_size": 50}`

func TestPluginsCheck(t *testing.T) {
	testPlugin := filepath.Join(t.TempDir(), "testplugin")
	if out, err := exec.Command("go", "build", "-o", testPlugin, "../../collector/internal/testplugin").CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	cases := []struct {
		name   string
		args   []string
		exit   int
		output string
	}{
		{"a built-in that conforms", []string{"demo", "--config", writeFile(t, "demo.json", demoPluginConfig)}, 0, "PASS: 7 checks"},
		{"a binary that emits garbage", []string{testPlugin, "--config", writeFile(t, "garbage.yaml", "garbage: true\nevents: 4\n")}, 1, "FAIL collect valid batches"},
		{"no such plugin", []string{"./nowhere"}, 1, "./nowhere: no such file, and no built-in plugin of that name"},
		{"config not YAML", []string{"demo", "--config", writeFile(t, "bad.yaml", "seed: [")}, 1, "bad.yaml: yaml"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := exec.Command(binary, append([]string{"plugins", "check"}, tc.args...)...).CombinedOutput()
			if code := exitCode(err); code != tc.exit || !strings.Contains(string(out), tc.output) {
				t.Fatalf("exit %d (want %d), output lacks %q:\n%s", code, tc.exit, tc.output, out)
			}
		})
	}
}

func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// plugins run --once prints every batch as a JSON line, each one the host
// would accept, and stores nothing anywhere.
func TestPluginsRunOnce(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(binary, "plugins", "run", "demo", "--once", "--config", writeFile(t, "demo.json", demoPluginConfig))
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	batches, items := 0, 0
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var b sdk.Batch
		if err := json.Unmarshal(sc.Bytes(), &b); err != nil {
			t.Fatalf("line %d: %v", batches+1, err)
		}
		if err := sdk.Validate(&b); err != nil {
			t.Fatalf("batch %d: %v", batches+1, err)
		}
		batches++
		items += b.Len()
	}
	if want := fmt.Sprintf("demo 1.0.0: %d batches, %d items, 0 invalid; nothing was stored.", batches, items); batches == 0 || !strings.Contains(stderr.String(), want) {
		t.Fatalf("%d batches; stderr lacks %q:\n%s", batches, want, stderr.String())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("plugins run left %v in its working directory", entries)
	}
	out, err := exec.Command(binary, "plugins", "run", "demo").CombinedOutput()
	if exitCode(err) != 1 || !strings.Contains(string(out), "needs --once") {
		t.Fatalf("without --once: %v\n%s", err, out)
	}
}

// Every built-in's sample config is a valid entry of the config's plugins
// list, and its plugin config passes the plugin's own schema.
func TestSampleConfigsAreValid(t *testing.T) {
	for _, name := range builtin.Names() {
		t.Run(name, func(t *testing.T) {
			out, err := exec.Command(binary, "plugin", name, "--sample-config").Output()
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Load(writeFile(t, "c.yml", string(out)), builtin.Names())
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if len(cfg.Plugins) != 1 || cfg.Plugins[0].Builtin != name {
				t.Fatalf("sample config names %+v", cfg.Plugins)
			}
			schema, err := sdk.CompileConfigSchema(builtin.Plugins[name].New().Describe().ConfigSchema)
			if err != nil {
				t.Fatal(err)
			}
			pluginConfig, _ := cfg.Plugins[0].ConfigJSON()
			if err := schema.Validate(pluginConfig); err != nil {
				t.Fatalf("the sample's config fails the plugin's schema: %v", err)
			}
		})
	}
}

func TestPluginsList(t *testing.T) {
	dataDir := t.TempDir()
	token := strings.TrimSpace(run1(t, "tokens", "create", "--data-dir", dataDir, "--tenant", "northwind"))
	listen := freeAddr(t)
	cfg := writeFile(t, "c.yml", fmt.Sprintf(`listen: %s
data_dir: %s
plugins:
  - name: demo
    builtin: demo
    config: {start: "2026-11-20T09:00:00Z", tenants: 1, influencers: 5, history_days: 3}
  - name: broken
    path: /bin/false
`, listen, dataDir))
	servetest.Start(t, binary, "--config", cfg, "--web.listen-address", listen)
	servetest.Poll(t, "plugins list shows demo up", 30*time.Second, 200*time.Millisecond, func() bool {
		cmd := exec.Command(binary, "plugins", "list", "--config", cfg)
		cmd.Env = append(os.Environ(), "COMMANDCENTER_TOKEN="+token)
		out, err := cmd.Output()
		return err == nil && regexp.MustCompile(`(?m)^demo +builtin demo +30s +\d{4}-\d\d-\d\d [0-9:]+ +true +healthy`).Match(out) &&
			regexp.MustCompile(`(?m)^broken +/bin/false +30s +never +false +unknown +starting plugin: /bin/false did not answer the plugin handshake`).Match(out)
	})
	// Without a token it still lists the config and the database, and
	// says where the rest would come from.
	out, err := exec.Command(binary, "plugins", "list", "--config", cfg).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "set COMMANDCENTER_TOKEN to a token") || !regexp.MustCompile(`(?m)^demo .* \?`).Match(out) {
		t.Fatalf("%v\n%s", err, out)
	}
}

func run1(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(binary, args...).Output()
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return string(out)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

var (
	readmeBlock = regexp.MustCompile("(?s)```(sh|yaml)\n(.*?)```")
	saveAs      = regexp.MustCompile("Save this as `([^`]+)`")
)

// TestPluginWalkthrough follows plugins/README.md's walkthrough word for
// word, from the repository root: build and test the example plugin,
// check it, write the config, start serve and find the data on /metrics.
// The one change is the port, so the test cannot clash with a server
// already on 9464.
func TestPluginWalkthrough(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "plugins", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, walkthrough, ok := strings.Cut(string(readme), "## Walkthrough")
	if !ok {
		t.Fatal("plugins/README.md has no Walkthrough section")
	}
	walkthrough, _, _ = strings.Cut(walkthrough, "\n## ")
	port := strings.TrimPrefix(freeAddr(t), "127.0.0.1:")
	localise := func(s string) string { return strings.ReplaceAll(s, "9464", port) }
	var cfgFile yamlConfig
	steps := 0
	for _, m := range readmeBlock.FindAllStringSubmatchIndex(walkthrough, -1) {
		lang, body := walkthrough[m[2]:m[3]], walkthrough[m[4]:m[5]]
		if lang == "yaml" {
			names := saveAs.FindAllStringSubmatch(walkthrough[:m[0]], -1)
			if names == nil {
				t.Fatalf("a yaml block without \"Save this as `FILE`\" before it:\n%s", body)
			}
			cfgFile = yamlConfig{path: filepath.Join(root, names[len(names)-1][1]), body: localise(body)}
			cfgFile.write(t, root)
			continue
		}
		for _, line := range strings.Split(strings.TrimSpace(body), "\n") {
			steps++
			line = localise(line)
			switch {
			case strings.Contains(line, " serve "):
				startShell(t, root, line)
			case strings.HasPrefix(line, "curl "):
				servetest.Poll(t, line, 90*time.Second, 250*time.Millisecond, func() bool {
					return shell(root, line) == nil
				})
			default:
				if err := shell(root, line); err != nil {
					t.Fatalf("step %q: %v", line, err)
				}
			}
		}
	}
	if steps < 6 || cfgFile.path == "" {
		t.Fatalf("found %d commands and config %q: has the walkthrough's layout changed?", steps, cfgFile.path)
	}
}

type yamlConfig struct{ path, body string }

// write saves the config, with its data directory emptied first so the
// events are new to it, and removed again when the test ends.
func (c yamlConfig) write(t *testing.T, root string) {
	t.Helper()
	var cfg struct {
		DataDir string `yaml:"data_dir"`
	}
	if err := yaml.Unmarshal([]byte(c.body), &cfg); err != nil || cfg.DataDir == "" {
		t.Fatalf("walkthrough config: %v (data_dir %q)", err, cfg.DataDir)
	}
	dataDir := filepath.Join(root, cfg.DataDir)
	os.RemoveAll(dataDir)
	t.Cleanup(func() { os.RemoveAll(dataDir); os.Remove(c.path) })
	os.MkdirAll(filepath.Dir(c.path), 0o755)
	if err := os.WriteFile(c.path, []byte(c.body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func shell(dir, line string) error {
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", line)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v\n%s", err, out)
	}
	return nil
}

// startShell runs line in the background for the rest of the test, in a
// process group of its own so `go run` and what it started both stop.
func startShell(t *testing.T, dir, line string) {
	t.Helper()
	cmd := exec.Command("bash", "-c", line)
	cmd.Dir = dir
	var log servetest.LogBuffer
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan error)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		if t.Failed() {
			t.Logf("%s:\n%s", line, log.String())
		}
	})
}
