// Package dashboards builds commandcenter's Grafana dashboards in Go with
// grafana-foundation-sdk: the Command Center homebase, Performance and
// Collector health. Metric names come from exporter/metricnames and
// panel queries from the datasource's query model (grafana/pkg/querymodel),
// so nothing is spelled twice. The generated JSON is committed beside this
// file; a test fails when it differs from what the code builds
// (`go test ./dashboards -update` rewrites it).
package dashboards

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"

	"github.com/commandcenter/commandcenter/grafana/pkg/querymodel"
)

// Tag marks every commandcenter dashboard; the dashboards link to each
// other through it.
const Tag = "commandcenter"

// Datasource variables: which commandcenter datasource (one per tenant)
// and which Prometheus a dashboard reads.
const (
	DatasourceVar = "datasource"
	PrometheusVar = "prometheus"
	// TenantVar is the tenant of the chosen commandcenter datasource, for
	// the tenant label of Prometheus queries.
	TenantVar = "tenant"
)

// Dashboard is one generated dashboard: its file name and builder.
type Dashboard struct {
	// File is the JSON file's name in this folder.
	File  string
	Build func() (dashboard.Dashboard, error)
}

// All lists every generated dashboard.
func All() []Dashboard {
	return []Dashboard{
		{File: "commandcenter.json", Build: CommandCenter},
		{File: "performance.json", Build: Performance},
		{File: "collector-health.json", Build: CollectorHealth},
	}
}

// JSON is a dashboard as Grafana imports it, indented, ending in a newline.
func JSON(d dashboard.Dashboard) ([]byte, error) {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding dashboard %v: %w", d.Uid, err)
	}
	return append(b, '\n'), nil
}

func commandcenterRef() *common.DataSourceRef {
	return &common.DataSourceRef{Type: cog.ToPtr(querymodel.PluginID), Uid: cog.ToPtr("${" + DatasourceVar + "}")}
}

func prometheusRef() common.DataSourceRef {
	return common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${" + PrometheusVar + "}")}
}

// newDashboard starts a dashboard with what every commandcenter dashboard
// has: its tag, links to the others, and the datasource variables.
func newDashboard(uid, title string) *dashboard.DashboardBuilder {
	return dashboard.NewDashboardBuilder(title).
		Uid(uid).
		Tags([]string{Tag}).
		Editable().
		Timezone(common.TimeZoneBrowser).
		Link(dashboard.NewDashboardLinkBuilder("commandcenter").
			Type(dashboard.DashboardLinkTypeDashboards).
			Tags([]string{Tag}).
			AsDropdown(true).
			IncludeVars(true).
			KeepTime(true)).
		WithVariable(dashboard.NewDatasourceVariableBuilder(DatasourceVar).
			Label("Tenant").
			Description("The commandcenter datasource to read: one per tenant, each with that tenant's token").
			Type(querymodel.PluginID)).
		WithVariable(dashboard.NewDatasourceVariableBuilder(PrometheusVar).
			Label("Prometheus").
			Type("prometheus")).
		WithVariable(dashboard.NewQueryVariableBuilder(TenantVar).
			Label("Tenant name").
			Description("The chosen datasource's tenant, for the tenant label of Prometheus series").
			Hide(dashboard.VariableHideHideVariable).
			Datasource(*commandcenterRef()).
			Refresh(dashboard.VariableRefreshOnDashboardLoad).
			Query(dashboard.StringOrMap{Map: map[string]any{
				"refId": "tenant", "queryType": querymodel.Variable, "resource": querymodel.ResourceTenants,
			}}))
}

// Panel sizes on Grafana's 24-column grid.
const (
	statHeight  = 4
	statWidth   = 4
	chartHeight = 8
	halfWidth   = 12
	fullWidth   = 24
)

// Export writes every dashboard into dir (made if missing), each file
// whole or not at all (written aside, then renamed), and returns the
// paths written.
func Export(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var written []string
	for _, d := range All() {
		db, err := d.Build()
		if err != nil {
			return written, fmt.Errorf("building %s: %w", d.File, err)
		}
		body, err := JSON(db)
		if err != nil {
			return written, err
		}
		path := filepath.Join(dir, d.File)
		if err := WriteFile(path, body); err != nil {
			return written, err
		}
		written = append(written, path)
	}
	return written, nil
}

// WriteFile writes a file whole or not at all (written aside, then
// renamed), making its folder if missing.
func WriteFile(path string, body []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename, there is nothing left to remove
	if _, err := tmp.Write(body); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return os.Rename(tmp.Name(), path)
}
