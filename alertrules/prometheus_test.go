package alertrules

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/commandcenter/commandcenter/collector/config"
)

// promConfig is the part of prometheus.yml the tests look at.
type promConfig struct {
	ScrapeConfigs []struct {
		JobName       string         `yaml:"job_name"`
		Scheme        string         `yaml:"scheme"`
		BasicAuth     map[string]any `yaml:"basic_auth"`
		TLSConfig     map[string]any `yaml:"tls_config"`
		StaticConfigs []struct {
			Targets []string `yaml:"targets"`
		} `yaml:"static_configs"`
	} `yaml:"scrape_configs"`
	RuleFiles []string `yaml:"rule_files"`
	Alerting  struct {
		Alertmanagers []struct {
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"alertmanagers"`
	} `yaml:"alerting"`
}

// The example config is one Prometheus accepts, and every rule file here
// loads through it: promtool checks the files rule_files names, so a rule
// file added without its line in prometheus.yml fails here.
func TestPrometheusConfigPassesPromtoolCheck(t *testing.T) {
	out := run(t, "promtool", "check", "config", "prometheus.yml")
	for _, f := range ruleFiles(t) {
		if !strings.Contains(out, "Checking "+f+"\n") {
			t.Errorf("prometheus.yml does not load %s:\n%s", f, out)
		}
	}
}

// It scrapes commandcenter where it listens by default, under the job
// name the collector alerts select, and sends alerts to a local
// Alertmanager.
func TestPrometheusConfigTargetsTheDefaults(t *testing.T) {
	var pc promConfig
	readYAML(t, "prometheus.yml", &pc)
	if len(pc.ScrapeConfigs) != 1 || pc.ScrapeConfigs[0].JobName != "commandcenter" {
		t.Fatalf("want one scrape job named commandcenter (collector.rules.yml selects it), got %+v", pc.ScrapeConfigs)
	}
	if sc := pc.ScrapeConfigs[0].StaticConfigs; len(sc) != 1 || len(sc[0].Targets) != 1 || sc[0].Targets[0] != config.DefaultListen {
		t.Errorf("scrape target %+v, want %s (collector/config's DefaultListen)", sc, config.DefaultListen)
	}
	if am := pc.Alerting.Alertmanagers; len(am) != 1 || len(am[0].StaticConfigs) != 1 || strings.Join(am[0].StaticConfigs[0].Targets, ",") != "127.0.0.1:9093" {
		t.Errorf("alertmanagers %+v, want 127.0.0.1:9093", am)
	}
}

// The commented-out TLS and basic-auth lines are where Prometheus wants
// them: uncommented, the file is still a valid config and the job has
// them.
func TestPrometheusConfigAuthLinesAreValidUncommented(t *testing.T) {
	data, err := os.ReadFile("prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	start := -1
	for i, l := range lines {
		if strings.Contains(l, "uncomment what applies") {
			start = i + 1
		}
	}
	if start < 0 {
		t.Fatal(`prometheus.yml lost its "uncomment what applies" comment`)
	}
	for i := start; i < len(lines) && strings.HasPrefix(lines[i], "    # "); i++ {
		lines[i] = "    " + strings.TrimPrefix(lines[i], "    # ")
	}
	uncommented := filepath.Join(t.TempDir(), "prometheus.yml")
	if err := os.WriteFile(uncommented, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	// The rule files are not beside the copy, nor the password and CA
	// files on this machine: syntax only.
	run(t, "promtool", "check", "config", "--syntax-only", uncommented)
	var pc promConfig
	readYAML(t, uncommented, &pc)
	if len(pc.ScrapeConfigs) != 1 {
		t.Fatalf("scrape configs %+v", pc.ScrapeConfigs)
	}
	if sc := pc.ScrapeConfigs[0]; sc.Scheme != "https" || sc.BasicAuth["username"] == nil || sc.BasicAuth["password_file"] == nil || sc.TLSConfig["ca_file"] == nil {
		t.Errorf("uncommented, the job lacks scheme, basic_auth or tls_config: %+v", sc)
	}
}
