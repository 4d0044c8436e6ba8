package business_test

import (
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/commandcenter/commandcenter/collector/business"
)

const thresholdRules = "../../alertrules/thresholds.rules.yml"

// constantVector is a threshold rule's expression: vector(N) or
// vector(N * M ...).
var constantVector = regexp.MustCompile(`^vector\(([0-9.\s*]+)\)$`)

// readThresholdRules returns every commandcenter:threshold:<name> recording
// rule's constant, by name; per-tenant overrides (<name>_by_tenant, see
// alertrules/README.md) are the operator's and are left out.
func readThresholdRules(t *testing.T) map[string]float64 {
	t.Helper()
	data, err := os.ReadFile(thresholdRules)
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Groups []struct {
			Rules []struct {
				Record string `yaml:"record"`
				Expr   string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			name, ok := strings.CutPrefix(r.Record, "commandcenter:threshold:")
			if strings.HasSuffix(name, "_by_tenant") {
				continue
			}
			if !ok {
				t.Errorf("%s: record %q is not commandcenter:threshold:<name>", thresholdRules, r.Record)
				continue
			}
			m := constantVector.FindStringSubmatch(strings.TrimSpace(r.Expr))
			if m == nil {
				t.Errorf("%s: %s: expr %q is not vector(<number> [* <number>...])", thresholdRules, r.Record, r.Expr)
				continue
			}
			v := 1.0
			for _, factor := range strings.Split(m[1], "*") {
				f, err := strconv.ParseFloat(strings.TrimSpace(factor), 64)
				if err != nil {
					t.Fatalf("%s: %s: %v", thresholdRules, r.Record, err)
				}
				v *= f
			}
			if _, dup := out[name]; dup {
				t.Errorf("%s: %s recorded twice", thresholdRules, r.Record)
			}
			out[name] = v
		}
	}
	return out
}

// TestThresholdsMatchTheAlertRules: the worklist and the alert rules must
// say the same thing, so the Go table and the rule file hold the same
// numbers under the same names, none missing on either side.
func TestThresholdsMatchTheAlertRules(t *testing.T) {
	rules := readThresholdRules(t)
	goTable := business.Default.Records()
	for _, name := range slices.Sorted(maps.Keys(goTable)) {
		v, ok := rules[name]
		switch {
		case !ok:
			t.Errorf("business.Default has %s = %v; %s has no commandcenter:threshold:%s", name, goTable[name], thresholdRules, name)
		case v != goTable[name]:
			t.Errorf("%s: business.Default says %v, %s says %v", name, goTable[name], thresholdRules, v)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(rules)) {
		if _, ok := goTable[name]; !ok {
			t.Errorf("%s records commandcenter:threshold:%s = %v; business.Thresholds has no field for it", thresholdRules, name, rules[name])
		}
	}
	if len(goTable) < 10 {
		t.Fatalf("only %d thresholds in the Go table", len(goTable))
	}
}
