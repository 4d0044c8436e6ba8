package dashboards

import (
	"bytes"
	"encoding/json"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"gopkg.in/yaml.v3"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/collector/business"
	"github.com/commandcenter/commandcenter/grafana/pkg/querymodel"
)

var update = flag.Bool("update", false, "rewrite the generated dashboards JSON in this folder")

// built builds every dashboard once for the tests.
func built(t *testing.T) map[string]dashboard.Dashboard {
	t.Helper()
	out := map[string]dashboard.Dashboard{}
	for _, d := range All() {
		db, err := d.Build()
		if err != nil {
			t.Fatalf("%s: %v", d.File, err)
		}
		out[d.File] = db
	}
	return out
}

func TestCommittedJSONIsWhatTheCodeBuilds(t *testing.T) {
	for file, db := range built(t) {
		got, err := JSON(db)
		if err != nil {
			t.Fatal(err)
		}
		if *update {
			if err := os.WriteFile(file, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("%v (go test ./dashboards -update writes it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what the code builds: run go test ./dashboards -update and commit it", file)
		}
	}
}

// panels is every panel of a dashboard, rows included, as JSON objects.
func panels(t *testing.T, db dashboard.Dashboard) []map[string]any {
	t.Helper()
	raw, err := JSON(db)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Panels []map[string]any `json:"panels"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Panels
}

func TestPanelsNeverOverlap(t *testing.T) {
	type box struct{ x, y, w, h float64 }
	for file, db := range built(t) {
		var boxes []box
		var titles []string
		for _, p := range panels(t, db) {
			g, _ := p["gridPos"].(map[string]any)
			b := box{g["x"].(float64), g["y"].(float64), g["w"].(float64), g["h"].(float64)}
			if b.w <= 0 || b.h <= 0 || b.x+b.w > 24 {
				t.Errorf("%s: %q has grid position %+v", file, p["title"], b)
			}
			for i, o := range boxes {
				if b.x < o.x+o.w && o.x < b.x+b.w && b.y < o.y+o.h && o.y < b.y+b.h {
					t.Errorf("%s: %q overlaps %q", file, p["title"], titles[i])
				}
			}
			boxes, titles = append(boxes, b), append(titles, p["title"].(string))
		}
	}
}

// targets is every query of a dashboard's panels and annotations.
func targets(t *testing.T, db dashboard.Dashboard) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, p := range panels(t, db) {
		ts, _ := p["targets"].([]any)
		for _, q := range ts {
			out = append(out, q.(map[string]any))
		}
	}
	raw, _ := JSON(db)
	var doc struct {
		Annotations struct {
			List []struct {
				Target map[string]any `json:"target"`
			} `json:"list"`
		} `json:"annotations"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, a := range doc.Annotations.List {
		if a.Target != nil {
			out = append(out, a.Target)
		}
	}
	return out
}

func datasourceType(q map[string]any) string {
	ds, _ := q["datasource"].(map[string]any)
	typ, _ := ds["type"].(string)
	return typ
}

func TestCommandcenterQueriesAreOfTheQueryModel(t *testing.T) {
	n := 0
	for file, db := range built(t) {
		vars := map[string]bool{}
		for _, v := range db.Templating.List {
			vars[v.Name] = true
		}
		for _, q := range targets(t, db) {
			if datasourceType(q) != querymodel.PluginID {
				continue
			}
			n++
			// A $variable must be one of the dashboard's; the frontend
			// interpolates it (maxCpm into a number) before the backend
			// reads the query.
			for field, v := range q {
				if s, ok := v.(string); ok && strings.HasPrefix(s, "$") {
					if !vars[strings.Trim(s, "${}")] {
						t.Errorf("%s: %s names %s, which is no variable of the dashboard", file, field, s)
					}
					if field == "maxCpm" {
						delete(q, field)
					}
				}
			}
			raw, _ := json.Marshal(q)
			var fields querymodel.Query
			dec := json.NewDecoder(bytes.NewReader(raw))
			var strict struct {
				RefID      string         `json:"refId"`
				QueryType  string         `json:"queryType"`
				Datasource map[string]any `json:"datasource"`
				querymodel.Query
			}
			dec.DisallowUnknownFields()
			if err := dec.Decode(&strict); err != nil {
				t.Errorf("%s: query %s: %v", file, raw, err)
			}
			fields = strict.Query
			if !slices.Contains(querymodel.Types, strict.QueryType) {
				t.Errorf("%s: query type %q", file, strict.QueryType)
			}
			if fields.Metric != "" && !slices.Contains(querymodel.Metrics, fields.Metric) {
				t.Errorf("%s: metric %q", file, fields.Metric)
			}
		}
	}
	if n == 0 {
		t.Fatal("no commandcenter query in any dashboard")
	}
}

// exposedNames reads every metric name exporter/metricnames declares.
func exposedNames(t *testing.T) map[string]bool {
	t.Helper()
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, filepath.Join("..", "exporter", "metricnames"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	consts := map[string]string{}
	for _, pkg := range pkgs {
		for _, f := range pkg.Files {
			for _, decl := range f.Decls {
				gd, ok := decl.(*ast.GenDecl)
				if !ok || gd.Tok != token.CONST {
					continue
				}
				for _, spec := range gd.Specs {
					vs := spec.(*ast.ValueSpec)
					for i, name := range vs.Names {
						consts[name.Name] = constString(vs.Values[i], consts)
					}
				}
			}
		}
	}
	names := map[string]bool{}
	for _, v := range consts {
		if strings.HasPrefix(v, "commandcenter_") {
			names[v] = true
		}
	}
	return names
}

// constString evaluates a constant made of string literals, other
// constants and +.
func constString(e ast.Expr, consts map[string]string) string {
	switch e := e.(type) {
	case *ast.BasicLit:
		s, _ := strconv.Unquote(e.Value)
		return s
	case *ast.Ident:
		return consts[e.Name]
	case *ast.BinaryExpr:
		return constString(e.X, consts) + constString(e.Y, consts)
	}
	return ""
}

var metricName = regexp.MustCompile(`commandcenter_[a-z_]+`)

// promExprs is every PromQL expression of the dashboards.
func promExprs(t *testing.T) []string {
	var out []string
	for _, db := range built(t) {
		for _, q := range targets(t, db) {
			if datasourceType(q) == "prometheus" {
				out = append(out, q["expr"].(string))
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no PromQL in any dashboard")
	}
	return out
}

func TestPromQLNamesOnlyExposedMetrics(t *testing.T) {
	exposed := exposedNames(t)
	for _, expr := range promExprs(t) {
		for _, name := range metricName.FindAllString(expr, -1) {
			base := name
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				if b, ok := strings.CutSuffix(name, suffix); ok && exposed[b] {
					base = b
				}
			}
			if !exposed[base] {
				t.Errorf("%s names %s, which the exporter does not expose", expr, name)
			}
		}
	}
}

// TestPromQLParses has promtool check every expression, as recording
// rules (Grafana's $__rate_interval stands in as 5m).
func TestPromQLParses(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool is missing (make test installs Debian's prometheus)")
		}
		t.Skip("promtool is missing: apt-get install prometheus")
	}
	var rules strings.Builder
	rules.WriteString("groups:\n- name: dashboards\n  rules:\n")
	for i, expr := range promExprs(t) {
		expr = strings.ReplaceAll(expr, "$__rate_interval", "5m")
		quoted, _ := json.Marshal(expr)
		rules.WriteString("  - record: dashboards:expr" + strconv.Itoa(i) + "\n    expr: " + string(quoted) + "\n")
	}
	file := filepath.Join(t.TempDir(), "exprs.rules.yml")
	if err := os.WriteFile(file, []byte(rules.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "rules", file).CombinedOutput(); err != nil {
		t.Errorf("promtool check rules: %v\n%s\n%s", err, out, rules.String())
	}
}

func TestDashboardLinksResolve(t *testing.T) {
	all := built(t)
	for file, db := range all {
		for _, l := range db.Links {
			if l.Type != dashboard.DashboardLinkTypeDashboards {
				t.Errorf("%s: link %q is not a link to dashboards", file, l.Title)
				continue
			}
			found := 0
			for other, o := range all {
				if other != file && len(l.Tags) > 0 && slices.Contains(o.Tags, l.Tags[0]) {
					found++
				}
			}
			if found == 0 {
				t.Errorf("%s: link %q finds no other dashboard", file, l.Title)
			}
		}
	}
}

func TestProvisioningFiles(t *testing.T) {
	var providers struct {
		APIVersion int `yaml:"apiVersion"`
		Providers  []struct {
			Type    string `yaml:"type"`
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	readYAML(t, "provisioning/dashboards.yaml", &providers)
	if providers.APIVersion != 1 || len(providers.Providers) != 1 || providers.Providers[0].Type != "file" || providers.Providers[0].Options.Path == "" {
		t.Errorf("dashboard provider: %+v", providers)
	}
	var sources struct {
		APIVersion  int `yaml:"apiVersion"`
		Datasources []struct {
			Type, UID string
			JSONData  map[string]any    `yaml:"jsonData"`
			Secure    map[string]string `yaml:"secureJsonData"`
		} `yaml:"datasources"`
	}
	readYAML(t, "provisioning/datasources.yaml", &sources)
	types := map[string]bool{}
	for _, ds := range sources.Datasources {
		types[ds.Type] = true
		if ds.Type == querymodel.PluginID && (ds.JSONData["url"] == nil || ds.Secure["apiToken"] == "") {
			t.Errorf("commandcenter datasource %s without url or token", ds.UID)
		}
	}
	// The dashboards' datasource variables choose among these types.
	if !types[querymodel.PluginID] || !types["prometheus"] {
		t.Errorf("datasources provisioned: %v; want commandcenter and prometheus", types)
	}
}

func readYAML(t *testing.T, file string, v any) {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

// everyWidget is a valid layout with every widget of the catalog, placed
// in the order of the catalog, not of the grid.
func everyWidget() apiv1.Layout {
	cap := 40.0
	l := apiv1.Layout{ID: "every-widget", Owner: apiv1.LayoutOwner{Kind: apiv1.OwnerTeam, Name: "ops"}, Name: "Every widget",
		TimeRange: apiv1.LayoutRange{From: "now-14d", To: "now"},
		Filters:   apiv1.LayoutFilters{Platform: "tiktok", MaxCPM: &cap},
		Shortcuts: []apiv1.Shortcut{{Title: "Performance", URL: "/d/" + PerformanceUID}}}
	for i, kind := range business.Widgets {
		w := apiv1.Widget{Kind: kind, X: (i % 4) * 6, Y: 100 - (i/4)*8, W: 6, H: 8}
		switch kind {
		case business.WidgetPerformanceChart:
			w.Metric, w.GroupBy = apiv1.MetricCPM, apiv1.GroupByCampaign
		case business.WidgetPerformanceSummary:
			w.GroupBy = apiv1.GroupByPlatform
		case business.WidgetActivity:
			w.Kinds = []string{"payment.paid"}
		}
		l.Widgets = append(l.Widgets, w)
	}
	return l
}

func TestLayoutsRenderEveryWidgetWhereItWasPlaced(t *testing.T) {
	l := everyWidget()
	if err := business.ValidateLayout(l); err != nil {
		t.Fatal(err)
	}
	db, err := RenderLayout("acme", l)
	if err != nil {
		t.Fatal(err)
	}
	if *db.Uid != LayoutUID("acme", l.ID) || LayoutUID("acme", l.ID) == LayoutUID("globex", l.ID) || len(*db.Uid) > 40 {
		t.Errorf("uid %q", *db.Uid)
	}
	ps := panels(t, db)
	if len(ps) != len(l.Widgets) {
		t.Fatalf("%d panels for %d widgets", len(ps), len(l.Widgets))
	}
	at := map[[2]float64]bool{}
	for _, p := range ps {
		g := p["gridPos"].(map[string]any)
		at[[2]float64{g["x"].(float64), g["y"].(float64)}] = true
	}
	for _, w := range l.Widgets {
		if !at[[2]float64{float64(w.X), float64(w.Y)}] {
			t.Errorf("no panel at the place of %s (x=%d y=%d)", w.Kind, w.X, w.Y)
		}
	}
	if len(db.Links) != 2 || db.Links[1].Url == nil || *db.Links[1].Url != l.Shortcuts[0].URL {
		t.Errorf("links %+v", db.Links)
	}
	bad := l
	bad.Widgets = append(slices.Clone(l.Widgets), apiv1.Widget{Kind: "horoscope", W: 1, H: 1, Y: 999})
	if _, err := RenderLayout("acme", bad); err == nil {
		t.Error("an invalid layout rendered")
	}
}
