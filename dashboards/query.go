package dashboards

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"

	"github.com/commandcenter/commandcenter/grafana/pkg/querymodel"
)

// Query is a panel query of the commandcenter datasource: Grafana's own
// fields and the query model the plugin's backend reads.
type Query struct {
	RefID      string                `json:"refId,omitempty"`
	QueryType  string                `json:"queryType"`
	Datasource *common.DataSourceRef `json:"datasource,omitempty"`
	querymodel.Query
	// MaxCPMVariable, when set, stands in the query for maxCpm: a template
	// variable the frontend turns into a number.
	MaxCPMVariable string `json:"maxCpm,omitempty"`
}

var _ variants.Dataquery = Query{}

// ImplementsDataqueryVariant marks Query as a dataquery for cog.
func (Query) ImplementsDataqueryVariant() {}

// DataqueryType is the datasource plugin the query is for.
func (Query) DataqueryType() string { return querymodel.PluginID }

// Equals compares two queries field by field.
func (q Query) Equals(other variants.Dataquery) bool {
	o, ok := other.(Query)
	return ok && reflect.DeepEqual(q, o)
}

// Validate refuses a query type or metric the backend does not know.
func (q Query) Validate() error {
	if !slices.Contains(querymodel.Types, q.QueryType) {
		return fmt.Errorf("unknown query type %q", q.QueryType)
	}
	if q.Metric != "" && !slices.Contains(querymodel.Metrics, q.Metric) {
		return fmt.Errorf("unknown metric %q", q.Metric)
	}
	return nil
}

// QueryVariantConfig lets cog read dashboards holding commandcenter queries.
func QueryVariantConfig() variants.DataqueryConfig {
	return variants.DataqueryConfig{
		Identifier: querymodel.PluginID,
		DataqueryUnmarshaler: func(raw []byte) (variants.Dataquery, error) {
			var q Query
			if err := json.Unmarshal(raw, &q); err != nil {
				return nil, err
			}
			return q, nil
		},
	}
}

// QueryBuilder builds a Query for a panel.
type QueryBuilder struct{ q Query }

var _ cog.Builder[variants.Dataquery] = (*QueryBuilder)(nil)

// NewQuery starts a query of one type with its fields; the datasource is
// the commandcenter datasource variable.
func NewQuery(queryType string, fields querymodel.Query) *QueryBuilder {
	return &QueryBuilder{Query{QueryType: queryType, Datasource: commandcenterRef(), Query: fields}}
}

// MaxCPMVariable caps the CPM with a template variable ("$max_cpm").
func (b *QueryBuilder) MaxCPMVariable(variable string) *QueryBuilder {
	b.q.MaxCPMVariable = variable
	return b
}

// RefID names the query within its panel.
func (b *QueryBuilder) RefID(refID string) *QueryBuilder {
	b.q.RefID = refID
	return b
}

// Build checks the query and hands it to the panel.
func (b *QueryBuilder) Build() (variants.Dataquery, error) {
	if err := b.q.Validate(); err != nil {
		return nil, cog.MakeBuildErrors("dashboards.Query", err)
	}
	return b.q, nil
}
