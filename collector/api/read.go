package api

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/commandcenter/commandcenter/collector/store"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// queryError is a bad query parameter; handlers answer 400 with it.
type queryError struct{ param, message string }

func (e *queryError) Error() string { return e.param + ": " + e.message }

func badQuery(w http.ResponseWriter, err error) {
	if qe, ok := err.(*queryError); ok {
		writeError(w, http.StatusBadRequest, "invalid_parameter", qe.Error(), []store.Problem{{Path: qe.param, Message: qe.message}})
		return
	}
	writeError(w, http.StatusBadRequest, "invalid_parameter", err.Error(), nil)
}

func (s *Server) internal(w http.ResponseWriter, r *http.Request, err error) {
	s.Logger.Error("serving "+r.URL.Path, "err", err)
	writeError(w, http.StatusInternalServerError, "internal", "internal error", nil)
}

// limitParam reads ?limit=, default def, at most max.
func limitParam(r *http.Request, def, max int) (int, error) {
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

func listParam(r *http.Request, name string) []string {
	var out []string
	for _, v := range r.URL.Query()[name] {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

func (s *Server) getStats(w http.ResponseWriter, r *http.Request, tok store.Token) {
	now := s.now()
	all, err := s.Store.QuickStats(r.Context(), tok.Tenant, now, s.UpcomingWindow, nil)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	st := all[tok.Tenant]
	if st == nil {
		st = store.NewStats(tok.Tenant)
	}
	writeJSON(w, http.StatusOK, map[string]any{"as_of": now.UTC(), "stats": st})
}

func (s *Server) getActivity(w http.ResponseWriter, r *http.Request, tok store.Token) {
	limit, err := limitParam(r, 50, 500)
	if err != nil {
		badQuery(w, err)
		return
	}
	q := store.ActivityQuery{Tenant: tok.Tenant, Limit: limit, Kinds: listParam(r, "kind")}
	for _, k := range q.Kinds {
		if !slices.Contains(sdk.Kinds, k) && !strings.HasPrefix(k, "x.") {
			badQuery(w, &queryError{"kind", fmt.Sprintf("unknown kind %q (one of %s, or x.<plugin>.<kind>)", k, strings.Join(sdk.Kinds, ", "))})
			return
		}
	}
	if c := r.URL.Query().Get("cursor"); c != "" {
		if q.Before, err = strconv.ParseInt(c, 10, 64); err != nil || q.Before < 1 {
			badQuery(w, &queryError{"cursor", "must be the next_cursor of a previous page"})
			return
		}
	}
	events, more, err := s.Store.Activity(r.Context(), q)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	resp := map[string]any{"events": nonNil(events)}
	if more {
		resp["next_cursor"] = strconv.FormatInt(events[len(events)-1].ID, 10)
	}
	writeJSON(w, http.StatusOK, resp)
}

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

func (s *Server) getEntities(w http.ResponseWriter, r *http.Request, tok store.Token) {
	typ := r.PathValue("type")
	statuses, ok := sdk.Statuses[typ]
	if !ok {
		writeError(w, http.StatusNotFound, "unknown_entity_type", fmt.Sprintf("no entity type %q (one of %s)", typ, strings.Join(sdk.EntityTypes, ", ")), nil)
		return
	}
	limit, err := limitParam(r, 100, 1000)
	if err != nil {
		badQuery(w, err)
		return
	}
	q := store.ItemQuery{Tenant: tok.Tenant, Type: typ, Statuses: listParam(r, "status"), After: r.URL.Query().Get("cursor"), Limit: limit + 1, WithAttrs: true}
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
	resp := map[string]any{}
	if len(items) > limit {
		items = items[:limit]
		resp["next_cursor"] = items[limit-1].ID
	}
	resp["items"] = nonNil(items)
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) getPlugins(w http.ResponseWriter, _ *http.Request, _ store.Token) {
	var plugins any = []any{}
	if s.Plugins != nil {
		plugins = s.Plugins.Plugins()
	}
	writeJSON(w, http.StatusOK, map[string]any{"plugins": plugins})
}

// maxPerformanceDays bounds one performance query.
const maxPerformanceDays = 366

func (s *Server) getPerformance(w http.ResponseWriter, r *http.Request, tok store.Token) {
	qv := r.URL.Query()
	today := s.now().UTC().Truncate(24 * time.Hour)
	q := store.PerformanceQuery{
		Tenant:   tok.Tenant,
		From:     today.AddDate(0, 0, -29).Format(time.DateOnly),
		To:       today.Format(time.DateOnly),
		Platform: qv.Get("platform"),
		Campaign: qv.Get("campaign"),
		GroupBy:  qv.Get("group_by"),
	}
	if q.GroupBy == "" {
		q.GroupBy = store.GroupByDay
	}
	if q.GroupBy != store.GroupByDay && q.GroupBy != store.GroupByPlatform && q.GroupBy != store.GroupByCampaign {
		badQuery(w, &queryError{"group_by", fmt.Sprintf("must be day, platform or campaign, got %q", q.GroupBy)})
		return
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
			badQuery(w, &queryError{p.name, err.Error()})
			return
		}
		*p.dst, *p.t = t.Format(time.DateOnly), t
	}
	if to.Before(from) {
		badQuery(w, &queryError{"to", "must not be before from"})
		return
	}
	if to.Sub(from) > maxPerformanceDays*24*time.Hour {
		badQuery(w, &queryError{"to", fmt.Sprintf("range longer than %d days", maxPerformanceDays)})
		return
	}
	if v := qv.Get("max_cpm"); v != "" {
		cpm, err := strconv.ParseFloat(v, 64)
		if err != nil || cpm < 0 {
			badQuery(w, &queryError{"max_cpm", fmt.Sprintf("must be a number >= 0 (major units), got %q", v)})
			return
		}
		q.MaxCPM = &cpm
	}
	rows, err := s.Store.Performance(r.Context(), q)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"from": q.From, "to": q.To, "group_by": q.GroupBy, "rows": nonNil(rows), "totals": totals(rows)})
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

// totals sums rows per currency (integers first, ratios last).
func totals(rows []store.PerformanceRow) []store.PerformanceRow {
	by := map[string]*store.PerformanceRow{}
	var order []string
	for _, r := range rows {
		t := by[r.Currency]
		if t == nil {
			t = &store.PerformanceRow{Group: "total", Currency: r.Currency, Cost: sdk.Money{Currency: r.Currency}, Revenue: sdk.Money{Currency: r.Currency}}
			by[r.Currency] = t
			order = append(order, r.Currency)
		}
		t.Impressions += r.Impressions
		t.Views += r.Views
		t.Clicks += r.Clicks
		t.Likes += r.Likes
		t.Comments += r.Comments
		t.Shares += r.Shares
		t.Cost.Minor += r.Cost.Minor
		t.Revenue.Minor += r.Revenue.Minor
	}
	out := []store.PerformanceRow{}
	for _, c := range order {
		out = append(out, by[c].Ratios())
	}
	return out
}
