package performance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/commandcenter/commandcenter/plugins/sdk"
	"github.com/commandcenter/commandcenter/plugins/sdk/httpsource"
)

// row is one row of GET /v1/performance_metrics (README: "Rows").
type row struct {
	ID           string `json:"id"`
	ClientID     string `json:"client_id"`
	CampaignID   string `json:"campaign_id"`
	InfluencerID string `json:"influencer_id"`
	VideoID      string `json:"video_id"`
	Platform     string `json:"platform"`
	Date         string `json:"date"`
	sdk.Counts
	Cost    *sdk.Money `json:"cost"`
	Revenue *sdk.Money `json:"revenue"`
}

// walk is one pass over a range of days of the API, as the cursor keeps
// it while it is in progress.
type walk struct {
	From      string `json:"from"`
	To        string `json:"to"`
	PageToken string `json:"page_token,omitempty"`
	// Started (Unix seconds) makes the walk's events' keys unique.
	Started int64 `json:"started"`
	// Rows counts the rows sent so far, per tenant, for the events.
	Rows map[string]int `json:"rows,omitempty"`
}

// nextWalk is the range of the next walk: the window_days ending today,
// or the backfill_days ending today the first time. After an outage it
// starts at the window as it stood at the last completed walk, so no day
// is skipped and the days that walk saw incomplete are corrected too.
func (s *Source) nextWalk(done string) walk {
	now := s.now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	from := today.AddDate(0, 0, 1-s.cfg.BackfillDays)
	if last, err := time.Parse(time.DateOnly, done); err == nil {
		from = today.AddDate(0, 0, 1-s.cfg.WindowDays)
		if last.Before(today) {
			from = last.AddDate(0, 0, 1-s.cfg.WindowDays)
		}
	}
	return walk{From: from.Format(time.DateOnly), To: today.Format(time.DateOnly), Started: now.Unix()}
}

func (s *Source) pageURL(from, to string, limit int, pageToken string) string {
	q := url.Values{"from": {from}, "to": {to}, "limit": {strconv.Itoa(limit)}}
	if pageToken != "" {
		q.Set("page_token", pageToken)
	}
	return s.base.JoinPath("v1", "performance_metrics").String() + "?" + q.Encode()
}

// walkAPI resumes the walk in progress, or starts the next one, and takes
// it to its last page, a batch per page. The last page's batch carries a
// metrics.updated event per tenant and marks the walk done.
func (s *Source) walkAPI(ctx context.Context, cur *Cursor, emit sdk.Emit) error {
	w := s.nextWalk(cur.Done)
	if cur.Walk != nil {
		w = *cur.Walk
		s.log.Info("resuming the walk cut off", "from", w.From, "to", w.To)
	}
	for pageNo := 1; ; pageNo++ {
		var p httpsource.Page[json.RawMessage]
		err := s.client.GetJSON(ctx, s.pageURL(w.From, w.To, s.cfg.PageSize, w.PageToken), &p)
		if err != nil && w.PageToken != "" && httpsource.FailureOf(err) == httpsource.Rejected {
			// Page tokens expire: walk the range again from its start.
			s.log.Warn("page token refused; walking the days again", "from", w.From, "to", w.To, "err", err)
			w.PageToken, w.Rows = "", nil
			continue
		}
		if err != nil {
			return fmt.Errorf("%s to %s: %w", w.From, w.To, err)
		}
		b, perTenant, err := toBatch(p.Data)
		if err != nil {
			return fmt.Errorf("%s to %s: page %d %w: %w", w.From, w.To, pageNo, httpsource.ErrPageRefused, err)
		}
		next := w
		next.PageToken = p.NextPageToken
		next.Rows = maps.Clone(w.Rows)
		if next.Rows == nil {
			next.Rows = map[string]int{}
		}
		for tenant, n := range perTenant {
			next.Rows[tenant] += n
		}
		done := next.PageToken == ""
		if done {
			b.Events = walkEvents(next, s.now())
			cur.Done, cur.Walk = next.To, nil
		} else {
			cur.Walk = &next
		}
		b.Cursor = cur.String()
		if err := emit(b); err != nil {
			return hostGone{err}
		}
		if done {
			s.log.Info("performance_metrics walked", "from", next.From, "to", next.To, "rows", sum(next.Rows))
			return nil
		}
		w = next
	}
}

func sum(perTenant map[string]int) int {
	n := 0
	for _, v := range perTenant {
		n += v
	}
	return n
}

// walkEvents are the metrics.updated events of a completed walk, one per
// tenant it brought rows of.
func walkEvents(w walk, at time.Time) []sdk.Event {
	var out []sdk.Event
	for _, tenant := range slices.Sorted(maps.Keys(w.Rows)) {
		attrs, _ := json.Marshal(struct {
			Rows int    `json:"rows"`
			From string `json:"from"`
			To   string `json:"to"`
		}{w.Rows[tenant], w.From, w.To})
		out = append(out, sdk.Event{
			Key:    fmt.Sprintf("performance/%s/%s/%s/%d", tenant, w.From, w.To, w.Started),
			Tenant: tenant, Kind: sdk.KindMetricsUpdated, OccurredAt: at.UTC(), Attrs: attrs,
		})
	}
	return out
}

// apiFields names the API's field for each DailyMetric field a problem
// can be at.
var apiFields = map[string]string{"tenant": "client_id", "campaign": "campaign_id", "day": "date"}

// toBatch maps one page's rows to daily metrics and counts them per
// tenant. A row that breaks the documented shape refuses the whole page,
// naming the row: storing the rest would move the cursor past it.
func toBatch(raws []json.RawMessage) (sdk.Batch, map[string]int, error) {
	b := sdk.Batch{DailyMetrics: make([]sdk.DailyMetric, 0, len(raws))}
	perTenant := map[string]int{}
	var v validator
	for i, raw := range raws {
		var r row
		if err := json.Unmarshal(raw, &r); err != nil {
			return sdk.Batch{}, nil, fmt.Errorf("row %d (id %q): %s", i, r.ID, describeJSONError(err))
		}
		if r.ID == "" {
			return sdk.Batch{}, nil, fmt.Errorf("row %d: id: required", i)
		}
		m := sdk.DailyMetric{
			Tenant: r.ClientID, Campaign: r.CampaignID, Influencer: r.InfluencerID, Video: r.VideoID,
			Platform: r.Platform, Day: r.Date, Counts: r.Counts, Cost: r.Cost, Revenue: r.Revenue,
		}
		if problem := v.check(&m, apiFields); problem != "" {
			return sdk.Batch{}, nil, fmt.Errorf("row %d (id %q): %s", i, r.ID, problem)
		}
		b.DailyMetrics = append(b.DailyMetrics, m)
		perTenant[m.Tenant]++
	}
	if err := sdk.Validate(&b); err != nil {
		return sdk.Batch{}, nil, err
	}
	return b, perTenant, nil
}

// validator checks one daily metric by the host's own rules (sdk.Validate),
// reusing its one-item batch.
type validator struct{ one sdk.Batch }

// check returns m's problems, each at the field names says it is called
// where the metric came from ("client_id: required"); "" when m passes.
func (v *validator) check(m *sdk.DailyMetric, names map[string]string) string {
	if v.one.DailyMetrics == nil {
		v.one.DailyMetrics = make([]sdk.DailyMetric, 1)
	}
	v.one.DailyMetrics[0] = *m
	var verr *sdk.ValidationError
	if err := sdk.Validate(&v.one); !errors.As(err, &verr) {
		return ""
	}
	var out []string
	for _, p := range verr.Problems {
		field := strings.TrimPrefix(p.Path, "daily_metrics[0].")
		if name, ok := names[field]; ok {
			field = name
		}
		out = append(out, field+": "+p.Message)
	}
	return strings.Join(out, "; ")
}

// describeJSONError says which field of a row has the wrong type.
func describeJSONError(err error) string {
	var typ *json.UnmarshalTypeError
	if !errors.As(err, &typ) {
		return "not a JSON object: " + err.Error()
	}
	want := map[reflect.Kind]string{reflect.Int64: "a whole number", reflect.String: "a string",
		reflect.Struct: "an object", reflect.Pointer: "an object or null"}[typ.Type.Kind()]
	if want == "" {
		want = typ.Type.String()
	}
	return fmt.Sprintf("%s: must be %s, got %s", fieldPath(typ.Field), want, typ.Value)
}

// fieldPath is encoding/json's field path as the API spells it: the Go
// name of the embedded Counts is not in the JSON.
func fieldPath(field string) string {
	var kept []string
	for _, p := range strings.Split(field, ".") {
		if p != "" && !unicode.IsUpper(rune(p[0])) {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, ".")
}
