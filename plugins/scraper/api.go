package scraper

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/commandcenter/commandcenter/plugins/sdk"
	"github.com/commandcenter/commandcenter/plugins/sdk/httpsource"
)

// listing is one of the service's four listings (README: "Listings").
type listing interface {
	// name is the listing's path element and its name in the config.
	name() string
	// walk pulls the listing from place, handing emit each page's batch
	// and the place after it.
	walk(ctx context.Context, s *Source, place httpsource.Place, emit func(sdk.Batch, httpsource.Place) error) (int, error)
	// probe fetches one record, once, as Check does.
	probe(ctx context.Context, s *Source) error
}

// listingOf is a listing of records of type T.
type listingOf[T httpsource.Record] struct {
	path string
	// toBatch maps one page's new records, or says which record breaks
	// the contract.
	toBatch func(records []T) (sdk.Batch, error)
}

// listings are the service's listings, in the order a Collect walks them:
// runs first, as they say whether a target is stale.
var listings = []listing{
	listingOf[run]{path: "runs", toBatch: runsBatch},
	listingOf[scrapeError]{path: "errors", toBatch: eventsBatch[scrapeError]},
	listingOf[selectorUpdate]{path: "selector_updates", toBatch: eventsBatch[selectorUpdate]},
	listingOf[videoStat]{path: "video_stats", toBatch: videoStatsBatch},
}

// listingNames lists the listings, for the config's listings field.
func listingNames() []string {
	var out []string
	for _, l := range listings {
		out = append(out, l.name())
	}
	return out
}

func (l listingOf[T]) name() string { return l.path }

func (l listingOf[T]) walk(ctx context.Context, s *Source, place httpsource.Place, emit func(sdk.Batch, httpsource.Place) error) (int, error) {
	walker := httpsource.Listing[T]{
		Client: s.client, URL: s.listingURL(l.path), SinceParam: "since", Limit: s.cfg.PageSize,
		Page: func(_ int, records []T, next httpsource.Place) error {
			b, err := l.toBatch(records)
			if err == nil {
				// The host's own checks: a batch it would reject is
				// refused here, before the cursor moves past it.
				err = sdk.Validate(&b)
			}
			if err != nil {
				return fmt.Errorf("%w: %w", httpsource.ErrPageRefused, err)
			}
			return emit(b, next)
		},
	}
	return walker.Walk(ctx, place)
}

func (l listingOf[T]) probe(ctx context.Context, s *Source) error {
	var p httpsource.Page[T]
	return s.client.WithoutRetries().GetJSON(ctx, s.listingURL(l.path).String()+"?limit=1", &p)
}

// ids are what every record has: an id, unique within its listing and
// client, and the client, which is the commandcenter tenant.
type ids struct {
	ID       string `json:"id"`
	ClientID string `json:"client_id"`
}

// RecordKey implements httpsource.Record.
func (r ids) RecordKey() string { return r.ClientID + "/" + r.ID }

// recordID is the id a refused page names.
func (r ids) recordID() string { return r.ID }

// check tells which of the fields every record needs is missing: the ids
// and the time the listing is ordered by (named timeField).
func (r ids) check(timeField string, at *time.Time) error {
	switch {
	case r.ID == "":
		return errors.New("id: required")
	case r.ClientID == "":
		return errors.New("client_id: required")
	case at == nil:
		return errors.New(timeField + ": required")
	}
	return nil
}

// required says which of fields (name, value pairs) is empty.
func required(fields ...string) error {
	for i := 0; i < len(fields); i += 2 {
		if fields[i+1] == "" {
			return errors.New(fields[i] + ": required")
		}
	}
	return nil
}

// run is a finished scrape of one target.
type run struct {
	ids
	Target     string     `json:"target"`
	StartedAt  *time.Time `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	Items      *int64     `json:"items"`
	Status     string     `json:"status"`
	Error      string     `json:"error"`
}

// RecordTime implements httpsource.Record.
func (r run) RecordTime() *time.Time { return r.FinishedAt }

// targetStatus is the scraper_target status a run's status leaves.
var targetStatus = map[string]string{sdk.ScraperRunStatusOK: "ok", sdk.ScraperRunStatusFailed: "error"}

func (r *run) check() error {
	if err := r.ids.check("finished_at", r.FinishedAt); err != nil {
		return err
	}
	// The store keys a target's staleness by it.
	if err := required("target", r.Target); err != nil {
		return err
	}
	if _, ok := targetStatus[r.Status]; !ok {
		return fmt.Errorf("status: %q is not a run status (%s or %s)", r.Status, sdk.ScraperRunStatusOK, sdk.ScraperRunStatusFailed)
	}
	if r.Items != nil {
		return checkCount("items", *r.Items)
	}
	return nil
}

// runAttrs are a scraper.run event's attrs: the store reads status.
type runAttrs struct {
	Status     string `json:"status"`
	Items      *int64 `json:"items,omitempty"`
	DurationMS *int64 `json:"duration_ms,omitempty"`
	Error      string `json:"error,omitempty"`
}

// runsBatch makes each run a scraper.run event, and leaves each target
// of the page in the state of its latest run.
func runsBatch(runs []run) (sdk.Batch, error) {
	var b sdk.Batch
	stateAt := map[string]int{} // tenant/target → index in b.Entities
	for i := range runs {
		r := &runs[i]
		if err := r.check(); err != nil {
			return sdk.Batch{}, refuse(i, r.ID, err)
		}
		finished := r.FinishedAt.UTC()
		attrs := runAttrs{Status: r.Status, Items: r.Items, Error: r.Error}
		if r.StartedAt != nil && !r.StartedAt.After(finished) {
			ms := finished.Sub(*r.StartedAt).Milliseconds()
			attrs.DurationMS = &ms
		}
		b.Events = append(b.Events, sdk.Event{
			Key: eventKey("runs", r.ID), Tenant: r.ClientID, Kind: sdk.KindScraperRun,
			Entity: targetRef(r.Target), OccurredAt: finished, Attrs: marshal(attrs),
		})
		state := sdk.Entity{
			Tenant: r.ClientID, Type: sdk.EntityScraperTarget, ID: r.Target, Name: r.Target,
			Status: targetStatus[r.Status], StatusSince: finished,
			Attrs: marshal(struct {
				LastRun string `json:"last_run"`
				Error   string `json:"error,omitempty"`
			}{r.ID, r.Error}),
		}
		k := r.ClientID + "/" + r.Target
		switch j, seen := stateAt[k]; {
		case !seen:
			stateAt[k] = len(b.Entities)
			b.Entities = append(b.Entities, state)
		case !finished.Before(b.Entities[j].StatusSince):
			b.Entities[j] = state
		}
	}
	return b, nil
}

// scrapeError is one thing that went wrong in a run.
type scrapeError struct {
	ids
	RunID      string     `json:"run_id"`
	Target     string     `json:"target"`
	Selector   string     `json:"selector"`
	Message    string     `json:"message"`
	OccurredAt *time.Time `json:"occurred_at"`
}

// RecordTime implements httpsource.Record.
func (e scrapeError) RecordTime() *time.Time { return e.OccurredAt }

func (e *scrapeError) check() error {
	if err := e.ids.check("occurred_at", e.OccurredAt); err != nil {
		return err
	}
	return required("target", e.Target)
}

// event is the scraper.error event an error stands for.
func (e *scrapeError) event() sdk.Event {
	return sdk.Event{
		Key: eventKey("errors", e.ID), Tenant: e.ClientID, Kind: sdk.KindScraperError,
		Entity: targetRef(e.Target), OccurredAt: e.OccurredAt.UTC(),
		Attrs: marshal(struct {
			Message  string `json:"message,omitempty"`
			Selector string `json:"selector,omitempty"`
			RunID    string `json:"run_id,omitempty"`
		}{e.Message, e.Selector, e.RunID}),
	}
}

// selectorUpdate is a change of the selector that reads one value off a
// target's page: its layout changed.
type selectorUpdate struct {
	ids
	Target     string     `json:"target"`
	Selector   string     `json:"selector"`
	OldVersion version    `json:"old_version"`
	NewVersion version    `json:"new_version"`
	UpdatedAt  *time.Time `json:"updated_at"`
}

// RecordTime implements httpsource.Record.
func (u selectorUpdate) RecordTime() *time.Time { return u.UpdatedAt }

// version is a selector's version as the service writes it: a string
// ("v7") or a number (7).
type version string

func (v *version) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*v = version(s)
		return nil
	}
	var n json.Number
	if json.Unmarshal(b, &n) != nil {
		return fmt.Errorf("a selector version must be a string or a number, got %s", b)
	}
	*v = version(n)
	return nil
}

func (u *selectorUpdate) check() error {
	if err := u.ids.check("updated_at", u.UpdatedAt); err != nil {
		return err
	}
	return required("target", u.Target)
}

// event is the scraper.selector_updated event an update stands for.
func (u *selectorUpdate) event() sdk.Event {
	return sdk.Event{
		Key: eventKey("selector_updates", u.ID), Tenant: u.ClientID, Kind: sdk.KindScraperSelectorUpdated,
		Entity: targetRef(u.Target), OccurredAt: u.UpdatedAt.UTC(),
		Attrs: marshal(struct {
			Selector string  `json:"selector,omitempty"`
			Old      version `json:"old,omitempty"`
			New      version `json:"new,omitempty"`
		}{u.Selector, u.OldVersion, u.NewVersion}),
	}
}

// eventsBatch is the batch of a listing whose records are one event each;
// the first record that fails its check refuses the page.
func eventsBatch[R any, P interface {
	*R
	check() error
	event() sdk.Event
	recordID() string
}](records []R) (sdk.Batch, error) {
	var b sdk.Batch
	for i := range records {
		r := P(&records[i])
		if err := r.check(); err != nil {
			return sdk.Batch{}, refuse(i, r.recordID(), err)
		}
		b.Events = append(b.Events, r.event())
	}
	return b, nil
}

// videoStat is what one video gained on one day, by the service's
// successive readings of its public counters.
type videoStat struct {
	ids
	VideoID      string     `json:"video_id"`
	CampaignID   string     `json:"campaign_id"`
	InfluencerID string     `json:"influencer_id"`
	Platform     string     `json:"platform"`
	Date         string     `json:"date"`
	Views        *int64     `json:"views"`
	Likes        *int64     `json:"likes"`
	ScrapedAt    *time.Time `json:"scraped_at"`
}

// RecordTime implements httpsource.Record.
func (v videoStat) RecordTime() *time.Time { return v.ScrapedAt }

func (v *videoStat) check() error {
	if err := v.ids.check("scraped_at", v.ScrapedAt); err != nil {
		return err
	}
	if err := required("video_id", v.VideoID, "campaign_id", v.CampaignID, "platform", v.Platform); err != nil {
		return err
	}
	if _, err := time.Parse(time.DateOnly, v.Date); err != nil {
		return fmt.Errorf("date: must be a day like 2026-11-20, got %q", v.Date)
	}
	// A missing count would be stored as 0 over the day's earlier reading.
	for _, c := range []struct {
		field string
		n     *int64
	}{{"views", v.Views}, {"likes", v.Likes}} {
		if c.n == nil {
			return errors.New(c.field + ": required")
		}
		if err := checkCount(c.field, *c.n); err != nil {
			return err
		}
	}
	return nil
}

// videoStatsBatch makes each stat a daily metric, which the host upserts:
// a later reading of the same video and day replaces the earlier one. A
// metrics.updated event per tenant says the page arrived.
func videoStatsBatch(stats []videoStat) (sdk.Batch, error) {
	var b sdk.Batch
	type tenantPage struct {
		firstID, lastID string
		rows            int
		newest          time.Time
	}
	var tenants []string
	pages := map[string]*tenantPage{}
	for i := range stats {
		v := &stats[i]
		if err := v.check(); err != nil {
			return sdk.Batch{}, refuse(i, v.ID, err)
		}
		b.DailyMetrics = append(b.DailyMetrics, sdk.DailyMetric{
			Tenant: v.ClientID, Campaign: v.CampaignID, Influencer: v.InfluencerID, Video: v.VideoID,
			Platform: v.Platform, Day: v.Date, Counts: sdk.Counts{Views: *v.Views, Likes: *v.Likes},
		})
		p := pages[v.ClientID]
		if p == nil {
			p = &tenantPage{firstID: v.ID}
			pages[v.ClientID] = p
			tenants = append(tenants, v.ClientID)
		}
		p.lastID, p.rows = v.ID, p.rows+1
		if at := v.ScrapedAt.UTC(); at.After(p.newest) {
			p.newest = at
		}
	}
	for _, t := range tenants {
		p := pages[t]
		b.Events = append(b.Events, sdk.Event{
			Key: "scraper/metrics/" + t + "/" + p.firstID + "/" + p.lastID, Tenant: t, Kind: sdk.KindMetricsUpdated,
			OccurredAt: p.newest, Attrs: marshal(struct {
				Rows int `json:"rows"`
			}{p.rows}),
		})
	}
	return b, nil
}

// eventKey is unique per tenant: ids are unique within a listing and client.
func eventKey(listing, id string) string { return "scraper/" + listing + "/" + id }

func targetRef(target string) sdk.EntityRef {
	return sdk.EntityRef{Type: sdk.EntityScraperTarget, ID: target}
}

func checkCount(field string, n int64) error {
	if n < 0 || n > sdk.MaxCount {
		return fmt.Errorf("%s: must be 0 to %d, got %d", field, int64(sdk.MaxCount), n)
	}
	return nil
}

// refuse names the record that refuses its page: storing the rest of the
// page would move the cursor past it for good.
func refuse(i int, id string, err error) error {
	return fmt.Errorf("record %d (id %q): %w", i, id, err)
}

// marshal encodes attrs; they are plain structs, which always encode.
func marshal(v any) json.RawMessage {
	out, _ := json.Marshal(v)
	return out
}
