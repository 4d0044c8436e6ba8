package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// check-config prints every problem of a config at once, each as
// FILE:LINE: PATH: MESSAGE, in the file's order: its own (unknown keys,
// bad durations, unset variables, missing executables) and those of each
// plugin's config block, found by starting the plugin as serve does. A
// plugin that does not start is one problem among the others, not the end
// of the check. Exit 1 if there is a problem, 0 and one "ok" line if not.
func TestCheckConfig(t *testing.T) {
	cases := []struct {
		name, yaml string
		exit       int
		// stdout is every line, in order; each is a prefix of the line
		// printed (FILE: stands for the config's path).
		stdout []string
		stderr string
	}{
		{
			name: "every kind of problem at once",
			yaml: `lissten: 127.0.0.1:9464
plugins:
  - name: notaplugin
    path: /bin/false
  - name: demo
    builtin: demo
    interval: 10x
    config:
      tenants: 9
      colour: blue
  - name: gone
    path: /nonexistent/plugin
  - name: demo-pinned
    builtin: demo
    config: {start: yesterday, seed: '${CC_CHECK_CONFIG_SURELY_UNSET}'}
  - name: pinned
    path: /bin/false
    sha256: 0000000000000000000000000000000000000000000000000000000000000000
  - name: fine
    builtin: demo
    interval: 50ms
`,
			exit: 1,
			stdout: []string{
				"FILE:1: lissten: unknown key (one of listen,",
				"FILE:4: plugins[0].path: the plugin did not start: starting plugin: /bin/false did not answer the plugin handshake",
				`FILE:7: plugins[1].interval: unknown unit "x" in duration "10x"`,
				"FILE:9: plugins[1].config.tenants: maximum: got 9, want 4",
				"FILE:10: plugins[1].config.colour: unknown field",
				"FILE:12: plugins[2].path: stat /nonexistent/plugin: no such file or directory",
				// The unset variable, not what the schema says of "${…}"
				// as a seed.
				"FILE:15: plugins[3].config.seed: refers to unset environment variables: CC_CHECK_CONFIG_SURELY_UNSET",
				"FILE:15: plugins[3].config.start: 'yesterday' is not valid date-time",
				"FILE:18: plugins[4].sha256: the plugin did not start: starting plugin: checksums did not match",
				"FILE:21: plugins[5].interval: must be at least 100ms, got 50ms",
			},
			stderr: "commandcenter: FILE: 10 problems\n",
		},
		{
			name: "a good config",
			yaml: `listen: 127.0.0.1:9464
plugins:
  - builtin: demo
    config: {tenants: 1, influencers: 5, start: "2026-11-20T09:00:00Z"}
  - name: demo-default
    builtin: demo
`,
			exit:   0,
			stdout: []string{"FILE: ok (2 plugins checked)"},
		},
		{
			name:   "no plugins",
			yaml:   "log_level: debug\n",
			exit:   0,
			stdout: []string{"FILE: ok (0 plugins checked)"},
		},
		{
			name:   "not YAML",
			yaml:   "log_level: info\nplugins:\n  - builtin: demo\n    config: tenants: 1\n",
			exit:   1,
			stdout: []string{"FILE:4: mapping values are not allowed in this context"},
			stderr: "commandcenter: FILE: 1 problem\n",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			file := writeFile(t, "commandcenter.yml", tc.yaml)
			var stdout, stderr bytes.Buffer
			cmd := exec.Command(binary, "check-config", file)
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if code := exitCode(err); code != tc.exit {
				t.Errorf("exit %d, want %d", code, tc.exit)
			}
			got := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
			if len(got) != len(tc.stdout) {
				t.Errorf("%d lines, want %d", len(got), len(tc.stdout))
			}
			for i, want := range tc.stdout {
				want = strings.Replace(want, "FILE", file, 1)
				if i >= len(got) || !strings.HasPrefix(got[i], want) {
					t.Errorf("line %d does not start with %q", i+1, want)
				}
			}
			if want := strings.Replace(tc.stderr, "FILE", file, 1); stderr.String() != want {
				t.Errorf("stderr %q, want %q", stderr.String(), want)
			}
			if t.Failed() {
				t.Logf("stdout:\n%s", stdout.String())
			}
		})
	}
}

// A file that cannot be read is an error (exit 1), not a usage mistake.
func TestCheckConfigMissingFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.yml")
	out, err := exec.Command(binary, "check-config", missing).CombinedOutput()
	if exitCode(err) != 1 || !strings.Contains(string(out), "open "+missing+": no such file or directory") {
		t.Fatalf("exit %d:\n%s", exitCode(err), out)
	}
}

// A plugin whose pin is malformed is reported once, and not started: the
// attempt could only fail again ("no checksum provided") and run nothing
// anybody vouched for.
func TestCheckConfigDoesNotStartAPluginWithABadPin(t *testing.T) {
	dir := t.TempDir()
	ran := filepath.Join(dir, "ran")
	script := filepath.Join(dir, "plugin.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\ntouch "+ran+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	file := writeFile(t, "c.yml", "plugins:\n  - name: p\n    path: "+script+"\n    sha256: not-hex\n")
	out, err := exec.Command(binary, "check-config", file).Output()
	if want := file + ":4: plugins[0].sha256: must be 64 lower-case hex digits\n"; exitCode(err) != 1 || string(out) != want {
		t.Errorf("exit %d, stdout %q, want %q", exitCode(err), out, want)
	}
	if _, err := os.Stat(ran); err == nil {
		t.Error("check-config ran the plugin")
	}
}
