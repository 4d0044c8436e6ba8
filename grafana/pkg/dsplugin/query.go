package dsplugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/grafana/pkg/querymodel"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// Query is the JSON of one query.
type Query = querymodel.Query

// maxParallelQueries bounds the API calls one request makes at once.
const maxParallelQueries = 4

// QueryData answers each query on its own: one bad query (malformed JSON,
// unknown type, an API error, even a panic) fails only its RefID.
func (d *Datasource) QueryData(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	resp := backend.NewQueryDataResponse()
	var mu sync.Mutex
	var wg sync.WaitGroup
	slots := make(chan struct{}, maxParallelQueries)
	for _, q := range req.Queries {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			r := d.safeQuery(ctx, q)
			mu.Lock()
			resp.Responses[q.RefID] = r
			mu.Unlock()
		}()
	}
	wg.Wait()
	return resp, nil
}

func (d *Datasource) safeQuery(ctx context.Context, q backend.DataQuery) (r backend.DataResponse) {
	defer func() {
		if p := recover(); p != nil {
			d.logger.Error("query panicked", "refId", q.RefID, "queryType", q.QueryType, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			r = backend.ErrDataResponseWithSource(backend.StatusInternal, backend.ErrorSourcePlugin, "internal error in the commandcenter datasource")
		}
	}()
	frames, err := d.query(ctx, q)
	if err != nil {
		var bad *badQuery
		if errors.As(err, &bad) {
			return backend.ErrDataResponseWithSource(backend.StatusBadRequest, backend.ErrorSourceDownstream, bad.Error())
		}
		status := backend.StatusBadGateway
		var ae *apiv1.Error
		if errors.As(err, &ae) {
			status = backend.Status(ae.StatusCode)
		}
		return backend.ErrDataResponseWithSource(status, backend.ErrorSourceDownstream, explain(err))
	}
	return backend.DataResponse{Frames: frames}
}

// badQuery is a query the user must fix.
type badQuery struct{ msg string }

func (e *badQuery) Error() string { return e.msg }

func badQueryf(format string, args ...any) error { return &badQuery{fmt.Sprintf(format, args...)} }

// parseQuery reads a query's JSON, naming the field of a type error.
func parseQuery(q backend.DataQuery) (Query, error) {
	var out Query
	if len(q.JSON) == 0 {
		return out, nil
	}
	if err := json.Unmarshal(q.JSON, &out); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return out, badQueryf("query field %q must be %s, got a JSON %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value)
		}
		return out, badQueryf("the query is not valid JSON: %v", err)
	}
	return out, nil
}

func jsonKind(goKind string) string {
	switch goKind {
	case "slice":
		return "a list"
	case "int", "int64":
		// 2.5 and 1e308 are numbers, but not ints.
		return "a whole number"
	case "float64", "ptr":
		return "a number"
	case "bool":
		return "true or false"
	}
	return "a " + goKind
}

func (d *Datasource) query(ctx context.Context, dq backend.DataQuery) (data.Frames, error) {
	q, err := parseQuery(dq)
	if err != nil {
		return nil, err
	}
	typ := dq.QueryType
	if typ == "" {
		typ = querymodel.Stats
	}
	if !slices.Contains(querymodel.Types, typ) {
		return nil, badQueryf("unknown query type %q (one of %s)", typ, strings.Join(querymodel.Types, ", "))
	}
	c, err := d.client()
	if err != nil {
		return nil, err
	}
	switch typ {
	case querymodel.Stats:
		r, err := c.Stats(ctx)
		if err != nil {
			return nil, err
		}
		return data.Frames{StatsFrame(r.Stats)}, nil
	case querymodel.Activity:
		events, complete, err := activityInRange(ctx, c, q, dq.TimeRange)
		if err != nil {
			return nil, err
		}
		f := ActivityFrame(events)
		if !complete {
			f.AppendNotices(data.Notice{Severity: data.NoticeSeverityWarning, Text: fmt.Sprintf(
				"Only the newest %d events were searched: older ones in the time range are not shown. Narrow the kinds or pick a more recent range.",
				maxActivityPages*maxActivityLimit)})
		}
		return data.Frames{f}, nil
	case querymodel.Worklist:
		r, err := c.Worklist(ctx)
		if err != nil {
			return nil, err
		}
		return data.Frames{WorklistFrame(r.Items)}, nil
	case querymodel.Performance:
		return performance(ctx, c, q, dq.TimeRange)
	case querymodel.Entities:
		return entities(ctx, c, q)
	case querymodel.Plugins:
		r, err := c.Plugins(ctx)
		if err != nil {
			return nil, err
		}
		return data.Frames{PluginsFrame(r.Plugins)}, nil
	default: // querymodel.Variable
		if q.Resource == "" {
			return nil, badQueryf("a variable query needs a resource (one of %s)", strings.Join(querymodel.ResourceNames, ", "))
		}
		opts, err := options(ctx, c, q.Resource, q.EntityType)
		if err != nil {
			return nil, err
		}
		return data.Frames{VariableFrame(opts)}, nil
	}
}

// Activity limits.
const (
	defaultActivityLimit = 100
	maxActivityLimit     = 500
	// maxActivityPages bounds how far back a query pages to reach an old
	// time range (newest first, 500 a page).
	maxActivityPages = 20
)

// activityInRange is up to q.Limit events of q.Kinds that occurred within
// the time range, newest first. complete is false when the search stopped
// at maxActivityPages before reaching the range's start.
func activityInRange(ctx context.Context, c *apiv1.Client, q Query, tr backend.TimeRange) (events []apiv1.Activity, complete bool, err error) {
	limit := q.Limit
	switch {
	case limit == 0:
		limit = defaultActivityLimit
	case limit < 1 || limit > maxActivityLimit:
		return nil, false, badQueryf("limit must be a whole number from 1 to %d, got %d", maxActivityLimit, limit)
	}
	if err := checkKinds(q.Kinds); err != nil {
		return nil, false, err
	}
	out := []apiv1.Activity{}
	aq := apiv1.ActivityQuery{Kinds: q.Kinds, Limit: maxActivityLimit}
	for range maxActivityPages {
		page, err := c.Activity(ctx, aq)
		if err != nil {
			return nil, false, err
		}
		for _, a := range page.Events {
			if !tr.To.IsZero() && a.OccurredAt.After(tr.To) {
				continue
			}
			if !tr.From.IsZero() && a.OccurredAt.Before(tr.From) {
				return out, true, nil // newest first: the rest is older still
			}
			if out = append(out, a); len(out) == limit {
				return out, true, nil
			}
		}
		if page.NextCursor == "" {
			return out, true, nil
		}
		aq.Cursor = page.NextCursor
	}
	return out, false, nil
}

// multiValueSeparator joins the values of a multi-value template variable
// (the frontend's templating.ts).
const multiValueSeparator = "\x1f"

// checkFilter refuses a filter with several values or control characters.
func checkFilter(field, v string) error {
	if strings.Contains(v, multiValueSeparator) {
		return badQueryf("%s filters on one value, and a multi-value variable gave it %d (%s): pick one value, or All for no filter",
			field, strings.Count(v, multiValueSeparator)+1, strings.ReplaceAll(v, multiValueSeparator, ", "))
	}
	if strings.IndexFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		return badQueryf("%s %q contains a control character", field, v)
	}
	return nil
}

func checkKinds(kinds []string) error {
	for _, k := range kinds {
		if sdk.CheckKind("kinds", k) != nil {
			return badQueryf("unknown event kind %q (one of %s, or x.<plugin>.<kind>)", k, strings.Join(sdk.Kinds, ", "))
		}
	}
	return nil
}

// performance charts one metric per day over the time range, one series
// per platform or campaign (and currency, for money).
func performance(ctx context.Context, c *apiv1.Client, q Query, tr backend.TimeRange) (data.Frames, error) {
	if q.Metric == "" {
		q.Metric = "views"
	}
	if !slices.Contains(querymodel.Metrics, q.Metric) {
		return nil, badQueryf("unknown metric %q (one of %s)", q.Metric, strings.Join(querymodel.Metrics, ", "))
	}
	if q.GroupBy == "" {
		q.GroupBy = apiv1.GroupByPlatform
	}
	if q.GroupBy != apiv1.GroupByPlatform && q.GroupBy != apiv1.GroupByCampaign {
		return nil, badQueryf("groupBy must be platform or campaign, got %q", q.GroupBy)
	}
	for field, v := range map[string]string{"platform": q.Platform, "campaign": q.Campaign} {
		if err := checkFilter(field, v); err != nil {
			return nil, err
		}
	}
	if q.MaxCPM != nil && *q.MaxCPM < 0 {
		return nil, badQueryf("maxCpm must be at least 0, got %v", *q.MaxCPM)
	}
	to := tr.To
	if to.IsZero() {
		to = time.Now()
	}
	from := tr.From
	if from.IsZero() {
		from = to.AddDate(0, 0, -29)
	}
	r, err := c.Performance(ctx, apiv1.PerformanceQuery{
		From: from.UTC().Format(time.RFC3339), To: to.UTC().Format(time.RFC3339),
		Platform: q.Platform, Campaign: q.Campaign, MaxCPM: q.MaxCPM, GroupBy: q.GroupBy, ByDay: !q.Summary,
	})
	if err != nil {
		return nil, err
	}
	if q.Summary {
		return data.Frames{PerformanceSummaryFrame(r)}, nil
	}
	f, err := PerformanceFrame(r, q.Metric)
	if err != nil {
		return nil, err
	}
	return data.Frames{f}, nil
}

// Entities limits.
const (
	defaultEntitiesLimit = 100
	maxEntitiesLimit     = 1000
)

func entities(ctx context.Context, c *apiv1.Client, q Query) (data.Frames, error) {
	statuses, ok := sdk.Statuses[q.EntityType]
	if !ok {
		return nil, badQueryf("entityType must be one of %s, got %q", strings.Join(sdk.EntityTypes, ", "), q.EntityType)
	}
	for _, s := range q.Statuses {
		if !slices.Contains(statuses, s) {
			return nil, badQueryf("unknown %s status %q (one of %s)", q.EntityType, s, strings.Join(statuses, ", "))
		}
	}
	limit := q.Limit
	switch {
	case limit == 0:
		limit = defaultEntitiesLimit
	case limit < 1 || limit > maxEntitiesLimit:
		return nil, badQueryf("limit must be a whole number from 1 to %d, got %d", maxEntitiesLimit, limit)
	}
	r, err := c.Entities(ctx, q.EntityType, apiv1.EntitiesQuery{Statuses: q.Statuses, Limit: limit})
	if err != nil {
		return nil, err
	}
	return data.Frames{EntitiesFrame(q.EntityType, r.Items)}, nil
}
