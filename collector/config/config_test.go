package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestExampleConfigParses(t *testing.T) {
	data, err := os.ReadFile("../../commandcenter.example.yml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse(data, []string{"demo"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != DefaultListen || len(cfg.Plugins) != 1 || time.Duration(cfg.Plugins[0].Interval) != 10*time.Second {
		t.Fatalf("%+v", cfg)
	}
	if time.Duration(cfg.Retention) != 400*24*time.Hour || time.Duration(cfg.Plugins[0].Timeout) != 2*time.Minute {
		t.Fatalf("defaults not applied: %+v", cfg)
	}
}

func TestConfigErrorsNameEveryField(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown key", "lissten: x", []string{"line 1: lissten: unknown key (one of listen, data_dir"}},
		{"wrong type", "plugins: 3", []string{"cannot unmarshal"}},
		{"several plugin problems at once", `
plugins:
  - name: demo
    builtin: demo
    interval: 10ms
  - name: demo
    path: /bin/x
    sha256: abc
  - name: both
    builtin: demo
    path: /bin/y
  - builtin: nope
`, []string{
			"plugins[0].interval: must be at least 100ms",
			`plugins[1].name: "demo" is also the name of plugins[0]`,
			"plugins[1].sha256: must be 64 lower-case hex digits",
			"plugins[2]: set exactly one of builtin and path",
			`plugins[3].builtin: unknown built-in plugin "nope"`,
		}},
		{"plugin executable missing", "plugins:\n  - name: gone\n    path: /nonexistent/plugin",
			[]string{"plugins[0].path: stat /nonexistent/plugin: no such file or directory"}},
		{"bad log level", "log_level: loud", []string{"log_level: must be debug, info, warn or error"}},
		{"listen without host", "listen: 9464", []string{`listen: must be host:port like 127.0.0.1:9464 (or :9464 for every interface), got "9464"`}},
		{"listen with a bad port", "listen: '127.0.0.1:http9'", []string{"listen: must be host:port with a port from 0 to 65535"}},
		{"zero windows and no data dir", "data_dir: ''\nexporter: {upcoming_window: 0s}", []string{"data_dir: required", "exporter.upcoming_window: must be > 0"}},
		{"refresh too rare to stay fresh", "exporter: {refresh_interval: 5m}", []string{"exporter.refresh_interval: must be from 100ms to 1m, got 5m"}},
		{"bad push target", "exporter: {push_url: 'vm:8428', push_interval: 100ms}", []string{"exporter.push_url: must be an http(s) URL", "exporter.push_interval: must be at least 1s"}},
		{"unset env var", "plugins:\n  - name: x\n    path: /bin/x\n    config: {token: '${CC_TEST_SURELY_UNSET}'}", []string{"unset environment variables: CC_TEST_SURELY_UNSET"}},
		{"negative ingest rate", "api: {ingest_rate: -1}", []string{"api.ingest_rate: must be from 0 (no limit) to 1000000 requests per second, got -1"}},
		{"NaN ingest rate", "api: {ingest_rate: .nan}", []string{"api.ingest_rate: must be from 0 (no limit) to 1000000"}},
		{"huge ingest rate", "api: {ingest_rate: 1e300}", []string{"api.ingest_rate: must be from 0 (no limit) to 1000000"}},
		{"a limit without a burst", "api: {ingest_rate: 5, ingest_burst: 0}", []string{"api.ingest_burst: must be from 1 to 1000000 requests, got 0"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), []string{"demo"})
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

// A plugin path that cannot run is refused when the config is read, not
// found out by a plugin that never starts while /readyz says ready.
func TestPluginPathMustBeAnExecutable(t *testing.T) {
	text := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(text, []byte("hi"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Parse([]byte("plugins:\n  - name: text\n    path: "+text+"\n  - name: dir\n    path: "+filepath.Dir(text)), nil)
	for _, want := range []string{"plugins[0].path: " + text + " is not an executable file", "plugins[1].path: " + filepath.Dir(text) + " is not an executable file"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

// Every unknown key and wrong type comes at once, each with the line it is
// on in the file as written (the file was once re-encoded after ${VAR}
// expansion, so lines were off and only the first problem came).
func TestYAMLProblemsComeAtOnceWithTheirLines(t *testing.T) {
	t.Setenv("CC_TEST_TOKEN", "s3cret")
	yaml := `# commandcenter

listen: 127.0.0.1:9464
exporter:
  upcomming_window: 7d   # line 5

plugins:
  - name: x
    path: /bin/sh
    config: {token: '${CC_TEST_TOKEN}'}
    intervall: 10s       # line 11
api:
  max_body_bytes: lots   # line 13
`
	_, err := Parse([]byte(yaml), nil)
	for _, want := range []string{
		"line 5: exporter.upcomming_window: unknown key",
		"line 11: plugins[0].intervall: unknown key",
		"line 13: api.max_body_bytes: cannot unmarshal !!str `lots` into int64",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestConfigExpandsEnvironment(t *testing.T) {
	t.Setenv("CC_TEST_TOKEN", "s3cret")
	cfg, err := Parse([]byte("plugins:\n  - name: x\n    path: /bin/sh\n    config: {token: '${CC_TEST_TOKEN}'}"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if j, _ := cfg.Plugins[0].ConfigJSON(); string(j) != `{"token":"s3cret"}` {
		t.Fatalf("%s", j)
	}
}

// An explicit zero is a value, not "unset": retention: 0s keeps events
// forever (it once became 400 days).
func TestExplicitZeroRetentionKeepsEverything(t *testing.T) {
	for yaml, want := range map[string]time.Duration{
		"retention: 0s":    0,
		"retention: 30d":   30 * 24 * time.Hour,
		"log_level: debug": 400 * 24 * time.Hour,
	} {
		cfg, err := Parse([]byte(yaml), nil)
		if err != nil || time.Duration(cfg.Retention) != want {
			t.Errorf("%s: retention %v, want %v (%v)", yaml, cfg.Retention, want, err)
		}
	}
}

func TestEmptyConfigIsAllDefaults(t *testing.T) {
	cfg, err := Parse(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DatabasePath() != "data/commandcenter.db" || cfg.API.MaxBodyBytes != 16<<20 {
		t.Fatalf("%+v", cfg)
	}
}

// Files that parsed before still parse: YAML merge keys, and a value that
// is only an environment variable set to "" (it keeps its default).
func TestMergeKeysAndEmptyVariablesStillParse(t *testing.T) {
	t.Setenv("CC_TEST_EMPTY", "")
	cfg, err := Parse([]byte(`log_level: ${CC_TEST_EMPTY}
plugins:
  - &base
    name: a
    path: /bin/sh
    interval: 1m
  - <<: *base
    name: b
  - <<: [*base]
    name: c
    intervall: 2m
`), nil)
	if err == nil || !strings.Contains(err.Error(), "plugins[2].intervall: unknown key") || strings.Contains(err.Error(), "<<") {
		t.Fatalf("a typo beside a merge key: %v", err)
	}
	cfg, err = Parse([]byte("log_level: ${CC_TEST_EMPTY}\nplugins:\n  - &base\n    name: a\n    path: /bin/sh\n    interval: 1m\n  - <<: *base\n    name: b\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.LogLevel != "info" || len(cfg.Plugins) != 2 || cfg.Plugins[1].Name != "b" || time.Duration(cfg.Plugins[1].Interval) != time.Minute {
		t.Fatalf("%+v", cfg)
	}
}

// Every problem comes as a Problem with the line the file has it on and
// its path, and one problem does not hide the others: a value that does
// not decode (a bad duration) or names an unset variable is reported, and
// parsing goes on past it. What follows only from such a value being left
// out (a plugin reduced to nothing has no name) is not reported again.
func TestProblemsCarryTheirLineAndPath(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []Problem // Message is a prefix
	}{
		{"a bad duration does not stop the rest", `plugins:
  - name: a
    path: /bin/sh
    interval: 10x
    intervall: 1m
  - name: a
    builtin: demo
exporter: {refresh_interval: 5m}
`, []Problem{
			{4, "plugins[0].interval", `unknown unit "x" in duration "10x"`},
			{5, "plugins[0].intervall", "unknown key"},
			{6, "plugins[1].name", `"a" is also the name of plugins[0]`},
			{8, "exporter.refresh_interval", "must be from 100ms to 1m"},
		}},
		{"unset variables, each where it is", `listen: ${CC_TEST_SURELY_UNSET_1}
plugins:
  - builtin: demo
    config:
      token: 'x-${CC_TEST_SURELY_UNSET_2}-${CC_TEST_SURELY_UNSET_3}'
    interval: 50ms
`, []Problem{
			{1, "listen", "refers to unset environment variables: CC_TEST_SURELY_UNSET_1"},
			{5, "plugins[0].config.token", "refers to unset environment variables: CC_TEST_SURELY_UNSET_2, CC_TEST_SURELY_UNSET_3"},
			{6, "plugins[0].interval", "must be at least 100ms"},
		}},
		{"a defaulted field's problem is on its plugin's line", `plugins:
  - builtin: demo
  - builtin: demo
`, []Problem{{3, "plugins[1].name", `"demo" is also the name of plugins[0]`}}},
		{"an item of the wrong kind does not shift the others", `plugins:
  - 3
  - name: b
    path: /nonexistent/b
`, []Problem{
			{2, "plugins[0]", "cannot unmarshal !!int `3` into config.Plugin"},
			{4, "plugins[1].path", "stat /nonexistent/b: no such file or directory"},
		}},
		{"not YAML", "listen: [\n", []Problem{{1, "", "did not find expected node content"}}},
		{"a key given twice", "listen: a:1\nlisten: b:2\n", []Problem{{2, "", `mapping key "listen" already defined at line 1`}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), []string{"demo"})
			var got Problems
			if !errors.As(err, &got) {
				t.Fatalf("want Problems, got %T: %v", err, err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(got), len(tc.want), err)
			}
			for i, w := range tc.want {
				if g := got[i]; g.Line != w.Line || g.Path != w.Path || !strings.HasPrefix(g.Message, w.Message) {
					t.Errorf("problem %d is %+v, want %+v…", i, g, w)
				}
			}
		})
	}
}

// Line finds any path in the file, plugins' free-form config included,
// through lists and merge keys; a key the file does not have gives the
// line of the nearest enclosing one.
func TestLineOfAPath(t *testing.T) {
	d := ParseDocument([]byte(`listen: 127.0.0.1:9464
plugins:
  - &base
    name: a
    path: /bin/sh
    config:
      targets:
        - url: http://a
        - url: http://b
          labels: {team: ops}
  - <<: *base
    name: b
`), nil)
	if len(d.Problems) > 0 {
		t.Fatal(d.Problems)
	}
	for path, want := range map[string]int{
		"listen":                       1,
		"plugins":                      2,
		"plugins[0]":                   3,
		"plugins[0].config":            6,
		"plugins[0].config.targets[1]": 9,
		"plugins[0].config.targets[1].labels.team": 10,
		"plugins[0].config.targets[1].labels.x":    10, // not there: its mapping's key
		"plugins[0].config.api_url":                6,  // not there: config:
		"plugins[0].interval":                      3,  // a default: the item
		"plugins[1].name":                          12,
		"plugins[1].path":                          5, // merged from plugins[0]
		"plugins[7].name":                          2,
		"data_dir":                                 0,
		"":                                         0,
	} {
		if got := d.Line(path); got != want {
			t.Errorf("Line(%q) = %d, want %d", path, got, want)
		}
	}
}

// Report places problems found elsewhere (a plugin's schema) at their
// lines, in the file's order, and leaves out one at or inside a path
// already reported.
func TestReportAddsProblemsAtTheirLines(t *testing.T) {
	d := ParseDocument([]byte(`plugins:
  - name: a
    path: /bin/sh
    config:
      token: ${CC_TEST_SURELY_UNSET}
      rate: -1
`), nil)
	d.Report(
		Problem{Path: "plugins[0].config.rate", Message: "must be >= 0"},
		Problem{Path: "plugins[0].config.api_url", Message: "required"},
		Problem{Path: "plugins[0].config.token", Message: "must be a uri"},
	)
	want := []string{
		"line 4: plugins[0].config.api_url: required",
		"line 5: plugins[0].config.token: refers to unset environment variables: CC_TEST_SURELY_UNSET",
		"line 6: plugins[0].config.rate: must be >= 0",
	}
	if len(d.Problems) != len(want) {
		t.Fatalf("%v", d.Problems)
	}
	for i, w := range want {
		if d.Problems[i].String() != w {
			t.Errorf("problem %d: %q, want %q", i, d.Problems[i], w)
		}
	}
}

func TestChangedNamesEachSettingByItsPath(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   []string
	}{
		{"nothing", func(*Config) {}, nil},
		{"top level", func(c *Config) { c.Listen = "127.0.0.1:1" }, []string{"listen"}},
		{"nested", func(c *Config) { c.API.IngestRate = 5; c.Exporter.PushURL = "http://vm" }, []string{"exporter.push_url", "api.ingest_rate"}},
		{"a plugin's config", func(c *Config) { c.Plugins[0].Config["events"] = 2 }, []string{"plugins"}},
		{"a plugin added", func(c *Config) { c.Plugins = append(c.Plugins, Plugin{Name: "b"}) }, []string{"plugins"}},
		{"log level and data dir", func(c *Config) { c.LogLevel, c.DataDir = "debug", "/srv" }, []string{"data_dir", "log_level"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fresh := func() *Config {
				c := Default()
				c.Plugins = []Plugin{{Name: "a", Builtin: "demo", Config: map[string]any{"events": 1}}}
				return c
			}
			a, b := fresh(), fresh()
			tc.change(b)
			if got := Changed(a, b); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Changed = %q, want %q", got, tc.want)
			}
		})
	}
}
