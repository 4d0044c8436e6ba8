package main

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestMakeBuildStampsTheVersion: `make build` fills in what `version`
// prints (revision, branch, who built it and when), as promu does for
// Prometheus' binaries.
func TestMakeBuildStampsTheVersion(t *testing.T) {
	bin := t.TempDir() + "/commandcenter"
	if out, err := exec.Command("make", "-C", "../..", "build", "BIN="+bin).CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	rev, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		t.Fatalf("git rev-parse (make build reads the revision from git): %v", err)
	}
	field := func(name string) string {
		m := regexp.MustCompile(`(?m)^  ` + name + `:\s+(\S*)$`).FindStringSubmatch(string(out))
		if m == nil {
			t.Fatalf("version prints no %q:\n%s", name, out)
		}
		return m[1]
	}
	if !strings.Contains(string(out), "revision: "+strings.TrimSpace(string(rev))+")") {
		t.Fatalf("version does not name revision %s:\n%s", rev, out)
	}
	if user := field("build user"); !regexp.MustCompile(`^[^@\s]+@[^@\s]+$`).MatchString(user) {
		t.Fatalf("build user %q, want user@host:\n%s", user, out)
	}
	date, err := time.Parse("20060102-15:04:05", field("build date"))
	if err != nil || time.Since(date) > time.Hour || time.Until(date) > time.Minute {
		t.Fatalf("build date %v (%v), want the build's time:\n%s", date, err, out)
	}
}

// TestShellCompletion: kingpin's completion script, as README says to
// load it, and the completions it then asks the binary for.
func TestShellCompletion(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--completion-script-bash"}, []string{"complete -F _commandcenter_bash_autocomplete", "--completion-bash"}},
		{[]string{"--completion-script-zsh"}, []string{"#compdef commandcenter"}},
		{[]string{"--completion-bash"}, []string{"serve", "tokens", "version"}},
		{[]string{"--completion-bash", "serve", "--web"}, []string{"--web.listen-address", "--web.config.file", "--web.enable-pprof"}},
	} {
		out, err := exec.Command(binary, tc.args...).Output()
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(string(out), w) {
				t.Fatalf("%v prints no %q:\n%s", tc.args, w, out)
			}
		}
	}
}
