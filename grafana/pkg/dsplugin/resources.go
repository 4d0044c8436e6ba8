package dsplugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
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

// CallResource answers the editors' and variables' lists (GET <name>) and
// collect-now (POST plugins/<name>/collect, GET plugins/<name>/runs/<id>)
// through an http.Handler, as Grafana's plugins do.
func (d *Datasource) CallResource(ctx context.Context, req *backend.CallResourceRequest, sender backend.CallResourceResponseSender) error {
	return httpadapter.New(http.HandlerFunc(d.serveResource)).CallResource(ctx, req, sender)
}

func (d *Datasource) serveResource(w http.ResponseWriter, r *http.Request) {
	if call, ok := parsePluginCall(r.URL); ok {
		d.servePluginCall(w, r, call)
		return
	}
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

// resourceError is the body of a resource call that failed.
type resourceError struct {
	Error string `json:"error"`
	// RetryAfter is, with a 429, the seconds to wait before asking again,
	// as the Retry-After header says (which Grafana's frontend does not
	// hand a plugin with the error).
	RetryAfter int `json:"retryAfter,omitempty"`
}

func writeResourceError(w http.ResponseWriter, status int, msg string) {
	writeResourceJSON(w, status, resourceError{Error: msg})
}

func writeResourceJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

// Collect-now calls: plugins/<name>/collect and plugins/<name>/runs/<id>.
const (
	pluginCallCollect = "collect"
	pluginCallRun     = "run"
	// maxCallName bounds a plugin's name and a run's id in a call (the
	// API's are at most 32 and 12 characters).
	maxCallName = 64
)

// pluginCall is a collect-now call: kind is pluginCallCollect or
// pluginCallRun, or "" for a path under plugins/ of neither shape. bad
// says why the path cannot be read.
type pluginCall struct {
	kind, name, id, bad string
}

// parsePluginCall reads a path under plugins/ (false for any other). Each
// segment is unescaped on its own, so that a name with an escaped slash
// (a%2Fb) stays one name, which checkCallName refuses; what lies between
// plugins/ and /collect (or /runs/<id>) is the name, slashes and all.
func parsePluginCall(u *url.URL) (pluginCall, bool) {
	segs := strings.Split(strings.Trim(u.EscapedPath(), "/"), "/")
	if len(segs) < 2 || segs[0] != "plugins" {
		return pluginCall{}, false
	}
	var call pluginCall
	for i, s := range segs {
		v, err := url.PathUnescape(s)
		if err != nil {
			call.bad = fmt.Sprintf("the path is not validly escaped: %v", err)
		}
		segs[i] = v
	}
	n := len(segs)
	switch {
	case segs[n-1] == "collect":
		call.kind, call.name = pluginCallCollect, strings.Join(segs[1:n-1], "/")
	case n >= 4 && segs[n-2] == "runs":
		call.kind, call.name, call.id = pluginCallRun, strings.Join(segs[1:n-2], "/"), segs[n-1]
	}
	return call, true
}

// checkCallName refuses a plugin name or run id that cannot be one, before
// any call to commandcenter: empty, with a slash or a control character,
// too long, "." or "..".
func checkCallName(what, v string) error {
	switch {
	case v == "":
		return fmt.Errorf("the %s is empty", what)
	case len(v) > maxCallName:
		return fmt.Errorf("the %s is %d bytes long, at most %d", what, len(v), maxCallName)
	case strings.Contains(v, "/"):
		return fmt.Errorf("the %s %q contains a slash", what, v)
	case v == "." || v == ".." || strings.IndexFunc(v, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
	}) >= 0:
		return fmt.Errorf("the %s %q may hold only letters, digits, '-', '_' and '.'", what, v)
	}
	return nil
}

// mayCollect reports whether the Grafana user behind a call may start a
// collect: an Editor or Admin of the organization. Anyone who may query
// the datasource may call its resources, and the datasource's admin token
// should not make a Viewer able to make every source's API work.
func mayCollect(u *backend.User) bool {
	return u != nil && (u.Role == "Admin" || u.Role == "Editor")
}

// servePluginCall answers collect-now: POST plugins/<name>/collect asks the
// plugin to collect now (202 and the run, new or joined), GET
// plugins/<name>/runs/<id> reads a run (200).
func (d *Datasource) servePluginCall(w http.ResponseWriter, r *http.Request, call pluginCall) {
	method := http.MethodGet
	switch call.kind {
	case pluginCallCollect:
		method = http.MethodPost
	case "":
		writeResourceError(w, http.StatusNotFound, fmt.Sprintf("no resource %q: the plugin calls are POST plugins/<name>/collect and GET plugins/<name>/runs/<id>",
			strings.Trim(r.URL.Path, "/")))
		return
	}
	if r.Method != method {
		w.Header().Set("Allow", method)
		what := "a collect is started with POST plugins/<name>/collect"
		if call.kind == pluginCallRun {
			what = "a run is read with GET plugins/<name>/runs/<id>"
		}
		writeResourceError(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s, not %s", what, r.Method))
		return
	}
	if call.bad != "" {
		writeResourceError(w, http.StatusBadRequest, call.bad)
		return
	}
	if err := checkCallName("plugin name", call.name); err != nil {
		writeResourceError(w, http.StatusBadRequest, err.Error())
		return
	}
	if call.kind == pluginCallRun {
		if err := checkCallName("run id", call.id); err != nil {
			writeResourceError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	if call.kind == pluginCallCollect && !mayCollect(backend.UserFromContext(r.Context())) {
		writeResourceError(w, http.StatusForbidden, "Collect now is for Grafana Editors and Admins of this organization.")
		return
	}
	c, err := d.client()
	if err != nil {
		writeResourceError(w, http.StatusBadRequest, explain(err))
		return
	}
	var run *apiv1.CollectRun
	status := http.StatusOK
	if call.kind == pluginCallCollect {
		run, err = c.CollectNow(r.Context(), call.name)
		status = http.StatusAccepted
	} else {
		run, err = c.CollectRun(r.Context(), call.name, call.id)
	}
	if err != nil {
		writePluginCallError(w, call, err)
		return
	}
	writeResourceJSON(w, status, run)
}

// writePluginCallError answers a collect-now call commandcenter refused,
// with its status (a 5xx or no answer is 502) and what to do about it.
func writePluginCallError(w http.ResponseWriter, call pluginCall, err error) {
	var ae *apiv1.Error
	if !errors.As(err, &ae) {
		writeResourceError(w, http.StatusBadGateway, explain(err))
		return
	}
	status := ae.StatusCode
	if status < 400 || status >= 500 {
		status = http.StatusBadGateway
	}
	body := resourceError{Error: explain(err)}
	switch {
	case ae.StatusCode == http.StatusForbidden && call.kind == pluginCallCollect:
		body.Error = fmt.Sprintf("The datasource's API token needs the admin scope to collect now (403 %s: %s). "+
			"Create one with `commandcenter tokens create --tenant <tenant> --scope admin` and set it in the datasource's settings.", ae.Code, ae.Message)
	case ae.StatusCode == http.StatusTooManyRequests:
		secs, err := strconv.Atoi(ae.Header.Get("Retry-After"))
		if err != nil || secs < 1 {
			secs = 1
		}
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		body.RetryAfter = secs
		body.Error = fmt.Sprintf("Plugin %q was asked to collect too often: try again in %d s (429 %s).", call.name, secs, ae.Code)
	case ae.Code == apiv1.CodePluginNotFound:
		body.Error = fmt.Sprintf("commandcenter has no plugin %q (404 %s).", call.name, ae.Code)
	case ae.Code == apiv1.CodeRunNotFound:
		body.Error = fmt.Sprintf("Plugin %q has no recent run %q: commandcenter keeps each plugin's last 20 runs (404 %s).", call.name, call.id, ae.Code)
	case ae.StatusCode == http.StatusNotFound:
		body.Error = fmt.Sprintf("This commandcenter cannot collect now (404 %s: %s): it needs a version with POST /api/v1/plugins/{name}/collect.", ae.Code, ae.Message)
	}
	writeResourceJSON(w, status, body)
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
