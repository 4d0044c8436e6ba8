package dsplugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/resource/httpadapter"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/grafana/pkg/querymodel"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// Option is one choice of an editor's select or a template variable.
type Option struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// maxEntityOptions bounds a campaign or influencer list: a select with
// more is unusable anyway (type a value or a variable instead).
const maxEntityOptions = 5000

// CallResource answers the editors' and variables' lists through an
// http.Handler, as Grafana's plugins do.
func (d *Datasource) CallResource(ctx context.Context, req *backend.CallResourceRequest, sender backend.CallResourceResponseSender) error {
	return httpadapter.New(http.HandlerFunc(d.serveResource)).CallResource(ctx, req, sender)
}

func (d *Datasource) serveResource(w http.ResponseWriter, r *http.Request) {
	name := strings.Trim(r.URL.Path, "/")
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeResourceError(w, http.StatusMethodNotAllowed, "resources are read with GET")
		return
	}
	if !slices.Contains(querymodel.ResourceNames, name) {
		writeResourceError(w, http.StatusNotFound, fmt.Sprintf("no resource %q (one of %s)", name, strings.Join(querymodel.ResourceNames, ", ")))
		return
	}
	c, err := d.client()
	if err != nil {
		writeResourceError(w, http.StatusBadRequest, explain(err))
		return
	}
	opts, err := options(r.Context(), c, name, r.URL.Query().Get("entityType"))
	if err != nil {
		status := http.StatusBadGateway
		var bad *badQuery
		var ae *apiv1.Error
		switch {
		case errors.As(err, &bad):
			status = http.StatusBadRequest
		case errors.As(err, &ae) && ae.StatusCode >= 400 && ae.StatusCode < 500:
			status = ae.StatusCode
		}
		writeResourceError(w, status, explain(err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(opts)
}

func writeResourceError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// options lists one resource's choices; entityType qualifies statuses.
func options(ctx context.Context, c *apiv1.Client, name, entityType string) ([]Option, error) {
	switch name {
	case querymodel.ResourceTenants:
		me, err := c.WhoAmI(ctx)
		if err != nil {
			return nil, err
		}
		return []Option{{Value: me.Tenant, Label: me.Tenant}}, nil
	case querymodel.ResourcePlatforms:
		st, err := c.Stats(ctx)
		if err != nil {
			return nil, err
		}
		var out []Option
		for _, p := range st.Stats.Platforms {
			out = append(out, Option{Value: p.Platform, Label: p.Platform})
		}
		return sorted(out), nil
	case querymodel.ResourceCampaigns:
		return entityOptions(ctx, c, sdk.EntityCampaign)
	case querymodel.ResourceInfluencers:
		return entityOptions(ctx, c, sdk.EntityInfluencer)
	case querymodel.ResourceKinds:
		return same(sdk.Kinds), nil
	case querymodel.ResourceEntityTypes:
		return same(sdk.EntityTypes), nil
	case querymodel.ResourceStatuses:
		statuses, ok := sdk.Statuses[entityType]
		if !ok {
			return nil, badQueryf("statuses need entityType, one of %s; got %q", strings.Join(sdk.EntityTypes, ", "), entityType)
		}
		return same(statuses), nil
	}
	return nil, badQueryf("unknown resource %q (one of %s)", name, strings.Join(querymodel.ResourceNames, ", "))
}

// same makes options whose labels are their values.
func same(values []string) []Option {
	out := make([]Option, len(values))
	for i, v := range values {
		out[i] = Option{Value: v, Label: v}
	}
	return out
}

func sorted(opts []Option) []Option {
	if opts == nil {
		return []Option{}
	}
	sort.Slice(opts, func(i, j int) bool { return opts[i].Label < opts[j].Label })
	return opts
}

// entityOptions lists entities of one type by id, labelled by name.
func entityOptions(ctx context.Context, c *apiv1.Client, typ string) ([]Option, error) {
	var out []Option
	q := apiv1.EntitiesQuery{Limit: 1000}
	for len(out) < maxEntityOptions {
		page, err := c.Entities(ctx, typ, q)
		if err != nil {
			return nil, err
		}
		for _, e := range page.Items {
			label := e.ID
			if e.Name != "" && e.Name != e.ID {
				label = e.Name + " (" + e.ID + ")"
			}
			out = append(out, Option{Value: e.ID, Label: label})
		}
		if page.NextCursor == "" {
			break
		}
		q.Cursor = page.NextCursor
	}
	return sorted(out), nil
}
