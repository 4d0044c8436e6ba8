package api

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/collector/business"
	"github.com/commandcenter/commandcenter/collector/store"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// queryError is a bad query parameter; handlers answer 400 with it.
type queryError struct{ param, message string }

func (e *queryError) Error() string { return e.param + ": " + e.message }

func badQuery(w http.ResponseWriter, qe *queryError) {
	writeError(w, http.StatusBadRequest, apiv1.CodeInvalidParameter, qe.Error(), []sdk.Problem{{Path: qe.param, Message: qe.message}})
}

func (s *Server) internal(w http.ResponseWriter, r *http.Request, err error) {
	s.Logger.Error("serving "+r.URL.Path, "err", err)
	writeError(w, http.StatusInternalServerError, apiv1.CodeInternal, "internal error", nil)
}

// limitParam reads ?limit=, default def, at most max.
func limitParam(r *http.Request, def, max int) (int, *queryError) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, &queryError{"limit", fmt.Sprintf("must be a whole number from 1 to %d, got %q", max, v)}
	}
	return n, nil
}

// maxListValues bounds list parameters (?kind=a,b, ?status=a,b): there are
// only a few dozen kinds and statuses.
const maxListValues = 50

// listParam reads a comma-separated (or repeated) parameter.
func listParam(r *http.Request, name string) ([]string, *queryError) {
	var out []string
	for _, v := range r.URL.Query()[name] {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				if len(out) == maxListValues {
					return nil, &queryError{name, fmt.Sprintf("at most %d values", maxListValues)}
				}
				out = append(out, part)
			}
		}
	}
	return out, nil
}

func (s *Server) getStats(w http.ResponseWriter, r *http.Request, tok store.Token) {
	now := s.now()
	all, err := s.Reports.QuickStats(r.Context(), tok.Tenant, now)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	st := all[tok.Tenant]
	if st == nil {
		st = apiv1.NewStats(tok.Tenant)
	}
	writeJSON(w, http.StatusOK, apiv1.StatsResponse{AsOf: now.UTC(), Stats: *st})
}

func (s *Server) getActivity(w http.ResponseWriter, r *http.Request, tok store.Token) {
	limit, qe := limitParam(r, 50, 500)
	if qe != nil {
		badQuery(w, qe)
		return
	}
	kinds, qe := listParam(r, "kind")
	if qe != nil {
		badQuery(w, qe)
		return
	}
	q := store.ActivityQuery{Tenant: tok.Tenant, Limit: limit, Kinds: kinds}
	if v := r.URL.Query().Get("since_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id < 0 {
			badQuery(w, &queryError{"since_id", fmt.Sprintf("must be an event id (a whole number >= 0), got %q", v)})
			return
		}
		if r.URL.Query().Has("cursor") {
			badQuery(w, &queryError{"since_id", "cannot be combined with cursor: page on with since_id = the last id seen"})
			return
		}
		q.SinceID = &id
	}
	for _, k := range q.Kinds {
		if !slices.Contains(sdk.Kinds, k) && !strings.HasPrefix(k, "x.") {
			badQuery(w, &queryError{"kind", fmt.Sprintf("unknown kind %q (one of %s, or x.<plugin>.<kind>)", k, strings.Join(sdk.Kinds, ", "))})
			return
		}
	}
	if c := r.URL.Query().Get("cursor"); c != "" {
		after, err := store.ParseActivityCursor(c)
		if err != nil {
			badQuery(w, &queryError{"cursor", "must be the next_cursor of a previous page"})
			return
		}
		q.After = &after
	}
	events, more, err := s.Store.Activity(r.Context(), q)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	resp := apiv1.ActivityResponse{Events: make([]apiv1.Activity, len(events))}
	for i, a := range events {
		resp.Events[i] = apiv1.Activity{ID: a.ID, Source: a.Source, Event: a.Event}
	}
	if more {
		resp.NextCursor = store.CursorAfter(events[len(events)-1]).String()
		if q.SinceID != nil {
			resp.NextCursor = strconv.FormatInt(events[len(events)-1].ID, 10)
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) getEntities(w http.ResponseWriter, r *http.Request, tok store.Token) {
	typ := r.PathValue("type")
	statuses, ok := sdk.Statuses[typ]
	if !ok {
		writeError(w, http.StatusNotFound, apiv1.CodeUnknownEntity, fmt.Sprintf("no entity type %q (one of %s)", typ, strings.Join(sdk.EntityTypes, ", ")), nil)
		return
	}
	limit, qe := limitParam(r, 100, 1000)
	if qe != nil {
		badQuery(w, qe)
		return
	}
	statusList, qe := listParam(r, "status")
	if qe != nil {
		badQuery(w, qe)
		return
	}
	q := store.ItemQuery{Tenant: tok.Tenant, Type: typ, Statuses: statusList, After: r.URL.Query().Get("cursor"), Limit: limit + 1, WithAttrs: true}
	for _, st := range q.Statuses {
		if !slices.Contains(statuses, st) {
			badQuery(w, &queryError{"status", fmt.Sprintf("unknown %s status %q (one of %s)", typ, st, strings.Join(statuses, ", "))})
			return
		}
	}
	items, err := s.Store.Items(r.Context(), q)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	var resp apiv1.EntitiesResponse
	if len(items) > limit {
		items = items[:limit]
		resp.NextCursor = items[limit-1].ID
	}
	resp.Items = make([]apiv1.Entity, len(items))
	for i, it := range items {
		resp.Items[i] = apiv1.Entity{Entity: it.Entity, UpdatedAt: it.UpdatedAt}
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) getWhoAmI(w http.ResponseWriter, _ *http.Request, tok store.Token) {
	writeJSON(w, http.StatusOK, apiv1.WhoAmI{Tenant: tok.Tenant, Scope: tok.Scope, TokenID: tok.ID,
		Description: tok.Description, ExpiresAt: tok.ExpiresAt})
}

func (s *Server) getPlugins(w http.ResponseWriter, _ *http.Request, tok store.Token) {
	resp := apiv1.PluginsResponse{Plugins: []apiv1.PluginStatus{}}
	if s.Plugins != nil {
		resp.Plugins = s.Plugins.Plugins(tok.Tenant)
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) getWorklist(w http.ResponseWriter, r *http.Request, tok store.Token) {
	items, err := s.Reports.Worklist(r.Context(), tok.Tenant, s.now())
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, apiv1.WorklistResponse{Items: items})
}

// maxPerformanceDays bounds one performance query.
const maxPerformanceDays = 366

func (s *Server) getPerformance(w http.ResponseWriter, r *http.Request, tok store.Token) {
	q, qe := performanceQuery(r, tok.Tenant, s.now())
	if qe != nil {
		badQuery(w, qe)
		return
	}
	rows, totals, err := s.Reports.Performance(r.Context(), q)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, apiv1.PerformanceResponse{From: q.From, To: q.To, GroupBy: q.GroupBy, ByDay: q.ByDay, Rows: rows, Totals: totals})
}

// performanceQuery reads the query parameters of GET performance: the last
// 30 days by day unless they say otherwise.
func performanceQuery(r *http.Request, tenant string, now time.Time) (business.PerformanceQuery, *queryError) {
	qv := r.URL.Query()
	today := now.UTC().Truncate(24 * time.Hour)
	q := business.PerformanceQuery{
		Tenant:   tenant,
		From:     today.AddDate(0, 0, -29).Format(time.DateOnly),
		To:       today.Format(time.DateOnly),
		Platform: qv.Get("platform"),
		Campaign: qv.Get("campaign"),
		GroupBy:  qv.Get("group_by"),
	}
	if q.GroupBy == "" {
		q.GroupBy = apiv1.GroupByDay
	}
	if !slices.Contains(apiv1.GroupBys, q.GroupBy) {
		return q, &queryError{"group_by", fmt.Sprintf("must be day, platform or campaign, got %q", q.GroupBy)}
	}
	switch v := qv.Get("by_day"); v {
	case "", "false":
	case "true":
		if q.GroupBy == apiv1.GroupByDay {
			return q, &queryError{"by_day", "needs group_by platform or campaign"}
		}
		q.ByDay = true
	default:
		return q, &queryError{"by_day", fmt.Sprintf("must be true or false, got %q", v)}
	}
	var from, to time.Time
	for _, p := range []struct {
		name string
		dst  *string
		t    *time.Time
	}{{"from", &q.From, &from}, {"to", &q.To, &to}} {
		v := qv.Get(p.name)
		if v == "" {
			v = *p.dst
		}
		t, err := parseDay(v)
		if err != nil {
			return q, &queryError{p.name, err.Error()}
		}
		*p.dst, *p.t = t.Format(time.DateOnly), t
	}
	if to.Before(from) {
		return q, &queryError{"to", "must not be before from"}
	}
	if to.Sub(from) > maxPerformanceDays*24*time.Hour {
		return q, &queryError{"to", fmt.Sprintf("range longer than %d days", maxPerformanceDays)}
	}
	if v := qv.Get("max_cpm"); v != "" {
		cpm, err := strconv.ParseFloat(v, 64)
		if err != nil || cpm < 0 || math.IsNaN(cpm) || math.IsInf(cpm, 0) {
			return q, &queryError{"max_cpm", fmt.Sprintf("must be a number >= 0 (major units), got %q", v)}
		}
		q.MaxCPM = &cpm
	}
	return q, nil
}

// parseDay accepts a date (2026-11-20) or an RFC 3339 time, as Grafana
// sends either; times are taken as their UTC day.
func parseDay(v string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC().Truncate(24 * time.Hour), nil
	}
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC().Truncate(24 * time.Hour), nil
	}
	return time.Time{}, fmt.Errorf("must be a date (2026-11-20), an RFC 3339 time or Unix milliseconds, got %q", v)
}
