package business

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/collector/store"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// The widget catalog: what a saved layout may show.
const (
	// Quick-stat cards (one value, or one per currency or platform).
	WidgetOpenPayments        = "open_payments"
	WidgetOpenPaymentAmount   = "open_payment_amount"
	WidgetOverduePayments     = "overdue_payments"
	WidgetVideosUpcoming      = "videos_upcoming"
	WidgetReviewQueue         = "review_queue"
	WidgetActiveCampaigns     = "active_campaigns"
	WidgetPendingSignature    = "influencers_pending_signature"
	WidgetRevenue             = "revenue"
	WidgetCost                = "cost"
	WidgetPlatformImpressions = "platform_impressions"
	WidgetPlatformViews       = "platform_views"
	WidgetPlatformClicks      = "platform_clicks"
	WidgetPlatformEngagements = "platform_engagements"
	// The live activity feed (kinds), the worklist, firing alerts.
	WidgetActivity = "activity"
	WidgetWorklist = "worklist"
	WidgetAlerts   = "alerts"
	// A performance chart over time (metric, group_by, filters), and every
	// metric per group over the range (group_by, filters).
	WidgetPerformanceChart   = "performance_chart"
	WidgetPerformanceSummary = "performance_summary"
)

// StatWidgets are the quick-stat cards of the catalog.
var StatWidgets = []string{WidgetOpenPayments, WidgetOpenPaymentAmount, WidgetOverduePayments, WidgetVideosUpcoming,
	WidgetReviewQueue, WidgetActiveCampaigns, WidgetPendingSignature, WidgetRevenue, WidgetCost,
	WidgetPlatformImpressions, WidgetPlatformViews, WidgetPlatformClicks, WidgetPlatformEngagements}

// Widgets is the whole catalog.
var Widgets = append(slices.Clone(StatWidgets), WidgetActivity, WidgetWorklist, WidgetAlerts,
	WidgetPerformanceChart, WidgetPerformanceSummary)

// Layout bounds.
const (
	// MaxLayoutsPerTenant bounds what one tenant stores.
	MaxLayoutsPerTenant = 500
	MaxLayoutWidgets    = 40
	MaxLayoutShortcuts  = 20
	maxLayoutText       = 200
	// GridColumns is the width of Grafana's dashboard grid.
	GridColumns   = 24
	maxGridHeight = 50
	maxGridRow    = 1000
)

var (
	layoutID      = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
	relativeRange = regexp.MustCompile(`^now(-[1-9][0-9]{0,5}[smhdwMy])?(/[smhdwMy])?$`)
	// templateSyntax is Grafana's variable syntax: literal values of a
	// layout must not carry it, or Grafana would fill them in.
	templateSyntax = "$"
)

// ValidateLayout returns every problem of a layout at once, each at its
// path (widgets[2].w), or nil.
func ValidateLayout(l apiv1.Layout) *sdk.ValidationError {
	var problems []sdk.Problem
	add := func(path, format string, args ...any) {
		problems = append(problems, sdk.Problem{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	if !layoutID.MatchString(l.ID) {
		add("id", "must be 1-64 lower-case letters, digits or '-', starting with a letter or digit, got %q", l.ID)
	}
	if l.Owner.Kind != apiv1.OwnerUser && l.Owner.Kind != apiv1.OwnerTeam {
		add("owner.kind", "must be %s or %s, got %q", apiv1.OwnerUser, apiv1.OwnerTeam, l.Owner.Kind)
	}
	checkText(add, "owner.name", l.Owner.Name, true)
	checkText(add, "name", l.Name, true)
	if l.Version < 0 {
		add("version", "must be the version read (0 for a new layout), got %d", l.Version)
	}
	switch {
	case len(l.Widgets) == 0:
		add("widgets", "a layout needs at least one widget (one of %s)", strings.Join(Widgets, ", "))
	case len(l.Widgets) > MaxLayoutWidgets:
		add("widgets", "at most %d widgets, got %d", MaxLayoutWidgets, len(l.Widgets))
	}
	for i, w := range l.Widgets {
		if i == MaxLayoutWidgets {
			break
		}
		checkWidget(add, fmt.Sprintf("widgets[%d]", i), w)
		for j, other := range l.Widgets[:i] {
			if onGrid(w) && onGrid(other) && overlaps(w, other) {
				add(fmt.Sprintf("widgets[%d]", i), "overlaps widgets[%d] (%s at x=%d y=%d w=%d h=%d)", j, other.Kind, other.X, other.Y, other.W, other.H)
			}
		}
	}
	checkRange(add, l.TimeRange)
	checkFilters(add, "filters", l.Filters.Platform, l.Filters.Campaign, l.Filters.MaxCPM)
	if len(l.Shortcuts) > MaxLayoutShortcuts {
		add("shortcuts", "at most %d shortcuts, got %d", MaxLayoutShortcuts, len(l.Shortcuts))
	}
	for i, s := range l.Shortcuts {
		path := fmt.Sprintf("shortcuts[%d]", i)
		checkText(add, path+".title", s.Title, true)
		checkShortcutURL(add, path+".url", s.URL)
	}
	if len(problems) == 0 {
		return nil
	}
	return &sdk.ValidationError{Problems: problems}
}

type addProblem func(path, format string, args ...any)

// checkText refuses text that is too long or holds control characters.
func checkText(add addProblem, path, s string, required bool) {
	switch {
	case required && strings.TrimSpace(s) == "":
		add(path, "must not be empty")
	case utf8.RuneCountInString(s) > maxLayoutText:
		add(path, "at most %d characters, got %d", maxLayoutText, utf8.RuneCountInString(s))
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		add(path, "must not contain control characters")
	}
}

func checkWidget(add addProblem, path string, w apiv1.Widget) {
	if !slices.Contains(Widgets, w.Kind) {
		add(path+".kind", "unknown widget %q (one of %s)", w.Kind, strings.Join(Widgets, ", "))
	}
	checkText(add, path+".title", w.Title, false)
	// Each bound alone first, so that no sum can overflow.
	switch {
	case w.X < 0 || w.X >= GridColumns || w.Y < 0 || w.Y > maxGridRow:
		add(path, "x must be 0 to %d and y 0 to %d, got x=%d y=%d", GridColumns-1, maxGridRow, w.X, w.Y)
	case w.W < 1 || w.W > GridColumns || w.H < 1 || w.H > maxGridHeight:
		add(path, "w must be 1 to %d and h 1 to %d, got w=%d h=%d", GridColumns, maxGridHeight, w.W, w.H)
	case w.X+w.W > GridColumns:
		add(path, "x + w must be at most %d columns, got x=%d w=%d", GridColumns, w.X, w.W)
	}
	chart := w.Kind == WidgetPerformanceChart
	performance := chart || w.Kind == WidgetPerformanceSummary
	switch {
	case chart && !slices.Contains(apiv1.PerformanceMetrics, w.Metric):
		add(path+".metric", "must be one of %s, got %q", strings.Join(apiv1.PerformanceMetrics, ", "), w.Metric)
	case !chart && w.Metric != "":
		add(path+".metric", "only a %s takes a metric", WidgetPerformanceChart)
	}
	switch {
	case performance && w.GroupBy != apiv1.GroupByPlatform && w.GroupBy != apiv1.GroupByCampaign:
		add(path+".group_by", "must be %s or %s, got %q", apiv1.GroupByPlatform, apiv1.GroupByCampaign, w.GroupBy)
	case !performance && (w.GroupBy != "" || w.Platform != "" || w.Campaign != "" || w.MaxCPM != nil):
		add(path, "only performance widgets take group_by, platform, campaign and max_cpm")
	}
	if performance {
		checkFilters(add, path, w.Platform, w.Campaign, w.MaxCPM)
	}
	switch {
	case w.Kind != WidgetActivity && len(w.Kinds) > 0:
		add(path+".kinds", "only the %s widget takes kinds", WidgetActivity)
	case len(w.Kinds) > len(sdk.Kinds):
		add(path+".kinds", "at most %d kinds, got %d", len(sdk.Kinds), len(w.Kinds))
	default:
		for k, kind := range w.Kinds {
			if p := sdk.CheckKind(fmt.Sprintf("%s.kinds[%d]", path, k), kind); p != nil {
				add(p.Path, "%s", p.Message)
			}
		}
	}
}

func checkFilters(add addProblem, path, platform, campaign string, maxCPM *float64) {
	for field, v := range map[string]string{".platform": platform, ".campaign": campaign} {
		checkText(add, path+field, v, false)
		if strings.Contains(v, templateSyntax) {
			add(path+field, "must be a value, not a Grafana variable (no '$'), got %q", v)
		}
	}
	if maxCPM != nil && (*maxCPM < 0 || math.IsInf(*maxCPM, 0) || math.IsNaN(*maxCPM)) {
		add(path+".max_cpm", "must be a number at least 0, got %v", *maxCPM)
	}
}

// onGrid reports whether a widget's place is within bounds (so that sums
// of its coordinates cannot overflow).
func onGrid(w apiv1.Widget) bool {
	return w.X >= 0 && w.X < GridColumns && w.W >= 1 && w.W <= GridColumns &&
		w.Y >= 0 && w.Y <= maxGridRow && w.H >= 1 && w.H <= maxGridHeight
}

// overlaps reports whether two widgets share a grid cell.
func overlaps(a, b apiv1.Widget) bool {
	return a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H
}

// checkRange accepts Grafana's relative times (now, now-7d, now/d) and
// RFC 3339 times, from before to. Relative times are compared as offsets
// from one moment; "now/d" to "now/d" (today) is a range, since Grafana
// rounds from down and to up.
func checkRange(add addProblem, r apiv1.LayoutRange) {
	now := time.Now()
	parse := func(path, s string) (t time.Time, rounded, ok bool) {
		if m := relativeRange.FindStringSubmatch(s); m != nil {
			return now.Add(-relativeOffset(m[1])), m[2] != "", true
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			add(path, `must be "now", "now-<n><s|m|h|d|w|M|y>" (optionally "/<unit>") or an RFC 3339 time, got %q`, s)
			return t, false, false
		}
		return t, false, true
	}
	from, fromRounded, okFrom := parse("time_range.from", r.From)
	to, toRounded, okTo := parse("time_range.to", r.To)
	switch {
	case !okFrom || !okTo:
	case from.Equal(to) && fromRounded && toRounded:
	case !from.Before(to):
		add("time_range", "from (%s) must be before to (%s)", r.From, r.To)
	}
}

// relativeOffset is how far back "-<n><unit>" reaches (months and years
// at 30 and 365 days: enough to order two times).
func relativeOffset(s string) time.Duration {
	if s == "" {
		return 0
	}
	n, _ := strconv.Atoi(s[1 : len(s)-1])
	unit := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour,
		'w': 7 * 24 * time.Hour, 'M': 30 * 24 * time.Hour, 'y': 365 * 24 * time.Hour}[s[len(s)-1]]
	return time.Duration(n) * unit
}

// checkShortcutURL accepts http(s) URLs and paths within Grafana; never
// javascript: or data: links.
func checkShortcutURL(add addProblem, path, raw string) {
	u, err := url.Parse(raw)
	switch {
	case raw == "" || err != nil:
		add(path, "must be an http(s) URL or a path like /d/uid, got %q", raw)
	case u.Scheme == "" && u.Host == "" && strings.HasPrefix(raw, "/") && !strings.HasPrefix(raw, "//"):
	case (u.Scheme == "http" || u.Scheme == "https") && u.Host != "":
	default:
		add(path, "must be an http(s) URL or a path like /d/uid, got %q", raw)
	}
	if strings.Contains(raw, templateSyntax) {
		add(path, "must not contain '$': Grafana would fill in variables such as ${__user.email} when someone opens it")
	}
	checkText(add, path, raw, false)
}

// LayoutToStore is a tenant's layout as the store keeps it; the version
// and time are the store's to set.
func LayoutToStore(tenant string, l apiv1.Layout) (store.StoredLayout, error) {
	l.Version, l.UpdatedAt = 0, time.Time{}
	body, err := json.Marshal(l)
	if err != nil {
		return store.StoredLayout{}, err
	}
	return store.StoredLayout{Tenant: tenant, ID: l.ID, OwnerKind: l.Owner.Kind, Owner: l.Owner.Name, Default: l.Default, Body: body}, nil
}

// LayoutFromStore is a stored layout as the API answers it: the body,
// with the store's columns (default, version, time) over it.
func LayoutFromStore(st store.StoredLayout) (apiv1.Layout, error) {
	var l apiv1.Layout
	if err := json.Unmarshal(st.Body, &l); err != nil {
		return l, fmt.Errorf("layout %s/%s: %w", st.Tenant, st.ID, err)
	}
	l.ID, l.Default, l.Version, l.UpdatedAt = st.ID, st.Default, st.Version, st.UpdatedAt
	return l, nil
}
