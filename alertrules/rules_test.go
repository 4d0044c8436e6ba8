package alertrules

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// tool finds a binary from Debian's prometheus or prometheus-alertmanager
// package; under CI its absence fails the test instead of skipping it.
func tool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not installed: make test installs Debian's prometheus and prometheus-alertmanager", name)
		}
		t.Skipf("%s not installed; run make test", name)
	}
	return path
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(tool(t, name), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func ruleFiles(t *testing.T) []string {
	t.Helper()
	files, err := fs.Glob(Files, "*.rules.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule files: %v", err)
	}
	return files
}

func TestRulesPassPromtoolCheck(t *testing.T) {
	run(t, "promtool", append([]string{"check", "rules"}, ruleFiles(t)...)...)
}

func TestRulesPassTheirUnitTests(t *testing.T) {
	tests, _ := filepath.Glob("tests/*.test.yml")
	if len(tests) == 0 {
		t.Fatal("no promtool tests")
	}
	run(t, "promtool", append([]string{"test", "rules"}, tests...)...)
}

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Record      string            `yaml:"record"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

type testFile struct {
	Tests []struct {
		AlertRuleTest []struct {
			Alertname string `yaml:"alertname"`
			ExpAlerts []any  `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
	} `yaml:"tests"`
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// alerts lists every alert rule with its labels and annotations.
func alerts(t *testing.T) map[string]ruleFile {
	out := map[string]ruleFile{}
	for _, f := range ruleFiles(t) {
		var rf ruleFile
		readYAML(t, f, &rf)
		out[f] = rf
	}
	return out
}

func TestEveryAlertCarriesRoutingLabelsAndAnnotations(t *testing.T) {
	teams := []string{"finance", "partnerships", "content", "ops"}
	n := 0
	for file, rf := range alerts(t) {
		for _, g := range rf.Groups {
			for _, r := range g.Rules {
				if r.Alert == "" {
					continue
				}
				n++
				if s := r.Labels["severity"]; !slices.Contains([]string{"warning", "critical", "info"}, s) {
					t.Errorf("%s %s: severity %q", file, r.Alert, s)
				}
				if !slices.Contains(teams, r.Labels["team"]) {
					t.Errorf("%s %s: team %q not one of %v", file, r.Alert, r.Labels["team"], teams)
				}
				if r.Labels["subject"] == "" {
					t.Errorf("%s %s: no subject label (inhibition needs it)", file, r.Alert)
				}
				for _, a := range []string{"summary", "description", "runbook_url", "dashboard_url"} {
					if r.Annotations[a] == "" {
						t.Errorf("%s %s: no %s annotation", file, r.Alert, a)
					}
				}
				if !strings.HasSuffix(r.Annotations["runbook_url"], "#"+strings.ToLower(r.Alert)) {
					t.Errorf("%s %s: runbook_url should point at #%s", file, r.Alert, strings.ToLower(r.Alert))
				}
			}
		}
	}
	if n < 20 {
		t.Fatalf("only %d alerts", n)
	}
}

// TestEveryAlertIsTestedFiringAndSilent: each alert needs a promtool case
// where it fires and one where it must not.
func TestEveryAlertIsTestedFiringAndSilent(t *testing.T) {
	fires, silent := map[string]bool{}, map[string]bool{}
	tests, _ := filepath.Glob("tests/*.test.yml")
	for _, f := range tests {
		var tf testFile
		readYAML(t, f, &tf)
		for _, tc := range tf.Tests {
			for _, a := range tc.AlertRuleTest {
				if len(a.ExpAlerts) > 0 {
					fires[a.Alertname] = true
				} else {
					silent[a.Alertname] = true
				}
			}
		}
	}
	for file, rf := range alerts(t) {
		for _, g := range rf.Groups {
			for _, r := range g.Rules {
				if r.Alert == "" {
					continue
				}
				if !fires[r.Alert] {
					t.Errorf("%s: no test where %s fires", file, r.Alert)
				}
				if !silent[r.Alert] {
					t.Errorf("%s: no test where %s must not fire", file, r.Alert)
				}
			}
		}
	}
}

func TestAlertmanagerConfigIsValid(t *testing.T) {
	run(t, "amtool", "check-config", "alertmanager.yml")
}

func TestEachTeamAndSeverityRoutesToItsReceiver(t *testing.T) {
	cases := []struct{ team, severity, receiver string }{
		{"finance", "critical", "finance-urgent"},
		{"finance", "warning", "finance"},
		{"partnerships", "critical", "partnerships-urgent"},
		{"partnerships", "warning", "partnerships"},
		{"content", "critical", "content-urgent"},
		{"content", "warning", "content"},
		{"ops", "critical", "ops-urgent"},
		{"ops", "warning", "ops"},
		{"ops", "info", "ops"},
		{"nobody", "critical", "ops"},
	}
	for _, tc := range cases {
		t.Run(tc.team+"/"+tc.severity, func(t *testing.T) {
			run(t, "amtool", "config", "routes", "test", "--config.file=alertmanager.yml",
				"--verify.receivers="+tc.receiver, "team="+tc.team, "severity="+tc.severity, "tenant=acme")
		})
	}
}

// The same rules run unchanged under vmalert, for deployments that moved
// to VictoriaMetrics.
func TestRulesLoadInVmalert(t *testing.T) {
	run(t, "vmalert", append([]string{"-dryRun"}, prefixEach("-rule=", ruleFiles(t))...)...)
}

func prefixEach(prefix string, xs []string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = prefix + x
	}
	return out
}
