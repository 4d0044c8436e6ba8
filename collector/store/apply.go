package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unsafe"

	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// DerivedSource is the source of events the store derives itself
// (milestones), which no plugin sent.
const DerivedSource = "commandcenter"

// Result says what one applied batch changed.
type Result struct {
	// EventsInserted counts new events by kind, derived ones included;
	// re-sent events are not counted.
	EventsInserted map[string]int
	// EventsDuplicate counts events the batch sent with a key already
	// stored; derived events found again are not the sender's duplicates.
	EventsDuplicate int
	// EventsExpired counts events the batch sent that occurred before the
	// retention period: not stored.
	EventsExpired int
	Entities      int
	DailyMetrics  int
}

// Change is published to subscribers after every applied batch, once per
// tenant the batch touched, with what changed of that tenant's only.
type Change struct {
	Source string
	Tenant string
	// Events are the new events by kind.
	Events map[string]int
	// Entities are the ids of the entities stored (new or updated), by
	// type; an id may repeat.
	Entities map[string][]string
	// DailyMetrics and ScraperStats say the batch changed the tenant's
	// daily metrics (and so its rollups and campaign totals) or its
	// scraper counters.
	DailyMetrics, ScraperStats bool
	At                         time.Time
	// Seq numbers changes in the order they were published, from 1. A
	// subscriber to every tenant that sees one skipped missed changes (it
	// fell behind).
	Seq uint64
}

// Rules are the business rules the store applies inside each batch's
// transaction, so what they derive is stored with the batch or not at all.
// collector/business implements them; nil Rules derive nothing.
type Rules interface {
	// StatusEvent is the event kind recorded when an upsert moves an entity
	// of type entityType into status, or "" for none.
	StatusEvent(entityType, status string) string
	// StatusOf is StatusEvent backwards: the entity type and status whose
	// event kind is, or "", "".
	StatusOf(kind string) (entityType, status string)
	// MilestoneViews are the view thresholds, ascending, whose first
	// crossing by a campaign's or a video's total views records one
	// milestone.reached event.
	MilestoneViews() []int64
}

// Apply validates b and stores it, with source's new cursor (b.Cursor, when
// set), in one transaction: either all of it is stored or none of it.
func (s *Store) Apply(ctx context.Context, source string, b *sdk.Batch) (Result, error) {
	v, err := sdk.ValidateBatch(b)
	if err != nil {
		return Result{}, err
	}
	return s.ApplyValidated(ctx, source, v)
}

// errNotValidated refuses the zero sdk.Validated, which holds no batch.
var errNotValidated = errors.New("store: batch was not validated")

// ApplyValidated is Apply for a batch already validated (sdk.ValidateBatch),
// which is not validated again.
func (s *Store) ApplyValidated(ctx context.Context, source string, v sdk.Validated) (Result, error) {
	b := v.Batch()
	if b == nil {
		return Result{}, errNotValidated
	}
	res := Result{EventsInserted: map[string]int{}}
	tenants := map[string]*Change{}
	now := s.opts.Now()
	err := s.withConnTx(ctx, func(conn *sql.Conn, tx *sql.Tx) error {
		// The statements run without ctx: a cancelable context makes the
		// driver start a goroutine for every statement. Giving up when ctx
		// ends is checked between items instead, and rolls everything back.
		canceled := ctx.Err
		ctx := context.WithoutCancel(ctx)
		a := applier{conn: conn, tx: tx, ins: &s.inserts, source: source, now: now, res: &res, tenants: tenants, rules: s.opts.Rules, stmts: &s.applyStmts}
		if s.opts.Retention > 0 {
			a.keepSince = now.Add(-s.opts.Retention)
		}
		defer a.close()
		if err := a.prepare(ctx); err != nil {
			return err
		}
		if err := a.events(ctx, b.Events, canceled); err != nil {
			return err
		}
		for i := range b.Entities {
			if err := canceled(); err != nil {
				return fmt.Errorf("entities[%d]: %w", i, err)
			}
			if err := a.entity(ctx, &b.Entities[i]); err != nil {
				return fmt.Errorf("entities[%d]: %w", i, err)
			}
		}
		for i := range b.DailyMetrics {
			if err := canceled(); err != nil {
				return fmt.Errorf("daily_metrics[%d]: %w", i, err)
			}
			if err := a.dailyMetric(ctx, &b.DailyMetrics[i]); err != nil {
				return fmt.Errorf("daily_metrics[%d]: %w", i, err)
			}
		}
		if err := canceled(); err != nil {
			return err
		}
		if err := a.afterMetrics(ctx); err != nil {
			return fmt.Errorf("milestones: %w", err)
		}
		if b.Cursor != "" {
			if _, err := tx.ExecContext(ctx, `INSERT INTO cursors (source, cursor, updated_at) VALUES (?, ?, ?)
				ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at`,
				source, b.Cursor, now.UnixMilli()); err != nil {
				return fmt.Errorf("cursor: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	s.ckpt.wrote(b.Len())
	s.publish(source, tenants, now)
	return res, nil
}

// Cursor is where source's next Collect resumes; "" before its first batch.
func (s *Store) Cursor(ctx context.Context, source string) (string, error) {
	var c string
	err := s.read.QueryRowContext(ctx, `SELECT cursor FROM cursors WHERE source = ?`, source).Scan(&c)
	if err == sql.ErrNoRows {
		return "", nil
	}
	return c, err
}

// CursorState is a source's stored cursor and when it was stored.
type CursorState struct {
	Cursor    string
	UpdatedAt time.Time
}

// Cursors is every source's stored cursor, by source.
func (s *Store) Cursors(ctx context.Context) (map[string]CursorState, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT source, cursor, updated_at FROM cursors`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]CursorState{}
	for rows.Next() {
		var source string
		var c CursorState
		var ms int64
		if err := rows.Scan(&source, &c.Cursor, &ms); err != nil {
			return nil, err
		}
		c.UpdatedAt = time.UnixMilli(ms)
		out[source] = c
	}
	return out, rows.Err()
}

// applier holds one transaction's prepared statements.
type applier struct {
	// conn is the connection tx runs on, for the event inserts (ins).
	conn   *sql.Conn
	tx     *sql.Tx
	ins    *eventInserts
	source string
	now    time.Time
	res    *Result
	// tenants are the tenants the batch touched, each with what changed.
	tenants map[string]*Change
	rules   Rules
	// keepSince is the retention horizon: older events are not stored.
	keepSince time.Time

	// stmts are the store's prepared applyQueries (prepareApply).
	stmts *[stmtCount]*sql.Stmt

	selectStatus, upsertEntity, upsertMetric, selectMetric, upsertScraper, sentEvent, dropStandIn *sql.Stmt
	// campaigns and videos whose views changed, for milestone checks.
	campaigns map[[2]string]bool
	videos    map[[2]string]bool
	// rollupDeltas are what the batch's daily metrics changed, per
	// daily_rollup row (tenant, day, platform, campaign, currency); rollups
	// are the keys (tenant, day, platform, campaign) to recompute whole
	// instead: a row whose currency changed, or values too large to add
	// without risking the saturated sums.
	rollupDeltas map[[5]string]*[8]int64
	rollups      map[[4]string]bool
}

func (a *applier) prepare(ctx context.Context) error {
	var err error
	prep := func(i int) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = a.stmt(ctx, i)
		return st
	}
	a.selectStatus = prep(stmtSelectStatus)
	a.dropStandIn = prep(stmtDropStandIn)
	a.sentEvent = prep(stmtSentEvent)
	a.upsertEntity = prep(stmtUpsertEntity)
	a.selectMetric = prep(stmtSelectMetric)
	a.upsertMetric = prep(stmtUpsertMetric)
	a.upsertScraper = prep(stmtUpsertScraper)
	return err
}

func (a *applier) close() {
	for _, st := range []*sql.Stmt{a.selectStatus, a.upsertEntity, a.upsertMetric, a.selectMetric, a.upsertScraper, a.sentEvent, a.dropStandIn} {
		if st != nil {
			st.Close()
		}
	}
}

// nullAttrs is attrs to bind: NULL for none, else their text. The text
// shares raw's bytes instead of copying them: the driver copies what it
// binds (SQLITE_TRANSIENT), and a batch is not changed while it is stored.
func nullAttrs(raw []byte) any {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return unsafe.String(&raw[0], len(raw))
}

// touch notes that the batch changed something of tenant's.
func (a *applier) touch(tenant string) *Change {
	c := a.tenants[tenant]
	if c == nil {
		c = &Change{Tenant: tenant, Events: map[string]int{}}
		a.tenants[tenant] = c
	}
	return c
}

// events stores a batch's events in order. Their inserts run on the driver
// connection directly (eventInserts), as many as possible in one Raw call;
// an event about an entity ends the call, for what may follow its insert
// (followUp) runs through the transaction.
func (a *applier) events(ctx context.Context, events []sdk.Event, canceled func() error) error {
	for i := 0; i < len(events); {
		var inserted *sdk.Event
		err := a.conn.Raw(func(dc any) error {
			ins, err := a.ins.on(dc)
			if err != nil {
				return err
			}
			for ; i < len(events); i++ {
				if err := canceled(); err != nil {
					return fmt.Errorf("events[%d]: %w", i, err)
				}
				e := &events[i]
				ok, err := a.insert(ins, a.source, e, false)
				if err != nil {
					return fmt.Errorf("events[%d]: %w", i, err)
				}
				if ok && e.Entity.ID != "" {
					inserted = e
					i++
					return nil
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if inserted != nil {
			if err := a.followUp(ctx, inserted, false); err != nil {
				return fmt.Errorf("events[%d]: %w", i-1, err)
			}
		}
	}
	return nil
}

// event stores one event: a batch's (see events) or one the store derives
// from an entity or daily metric.
func (a *applier) event(ctx context.Context, source string, e *sdk.Event, derived bool) error {
	var inserted bool
	err := a.conn.Raw(func(dc any) error {
		ins, err := a.ins.on(dc)
		if err == nil {
			inserted, err = a.insert(ins, source, e, derived)
		}
		return err
	})
	if err != nil || !inserted {
		return err
	}
	return a.followUp(ctx, e, derived)
}

// insert stores e unless it is older than retention or its key is taken,
// counts what happened to it, and says whether it was stored. Derived
// events are the store's own: finding one again is no duplicate of the
// sender's, and none counts as expired.
func (a *applier) insert(ins *eventInserts, source string, e *sdk.Event, derived bool) (bool, error) {
	if e.OccurredAt.Before(a.keepSince) {
		if !derived {
			a.res.EventsExpired++
		}
		return false, nil
	}
	inserted, err := ins.insert(source, e)
	if err != nil || !inserted {
		if err == nil && !derived {
			a.res.EventsDuplicate++
		}
		return false, err
	}
	a.res.EventsInserted[e.Kind]++
	a.touch(e.Tenant).Events[e.Kind]++
	return true, nil
}

// followUp is what a stored event's insert may bring: the stand-in event
// its status change replaces, its scraper counters.
func (a *applier) followUp(ctx context.Context, e *sdk.Event, derived bool) error {
	if !derived && e.Entity.ID != "" && a.rules != nil {
		// The source's own event for a status change the store already
		// recorded for it (the upsert came first): the store's stand-in goes.
		if typ, status := a.rules.StatusOf(e.Kind); typ == e.Entity.Type {
			if _, err := a.dropStandIn.ExecContext(ctx, e.Tenant, typ, e.Entity.ID, status); err != nil {
				return err
			}
		}
	}
	if strings.HasPrefix(e.Kind, "scraper.") {
		return a.scraperStat(ctx, e)
	}
	return nil
}

// scraperStat keeps per-target counters so /metrics need not scan events.
// A scraper.run's attrs say {"status":"ok"} or {"status":"failed"}.
func (a *applier) scraperStat(ctx context.Context, e *sdk.Event) error {
	if e.Entity.ID == "" {
		return nil
	}
	var ok, failed, errs, selectors int
	var lastSuccess, lastRun any
	at := e.OccurredAt.UnixMilli()
	switch e.Kind {
	case sdk.KindScraperRun:
		lastRun = at
		if e.ScraperRunFailed() {
			failed = 1
		} else {
			ok, lastSuccess = 1, at
		}
	case sdk.KindScraperError:
		errs = 1
	case sdk.KindScraperSelectorUpdated:
		selectors = 1
	default:
		return nil
	}
	a.touch(e.Tenant).ScraperStats = true
	_, err := a.upsertScraper.ExecContext(ctx, e.Tenant, e.Entity.ID, ok, failed, errs, selectors, lastSuccess, lastRun)
	return err
}

func (a *applier) entity(ctx context.Context, e *sdk.Entity) error {
	var oldStatus string
	var oldSince sql.NullInt64
	err := a.selectStatus.QueryRowContext(ctx, e.Tenant, e.Type, e.ID).Scan(&oldStatus, &oldSince)
	isNew := err == sql.ErrNoRows
	if err != nil && !isNew {
		return err
	}
	since := e.StatusSince
	switch {
	case since.IsZero() && !isNew && oldStatus == e.Status:
		since = fromMilli(oldSince) // unchanged status keeps its start
	case since.IsZero():
		since = a.now
	}
	var amount any
	currency := ""
	if e.Amount != nil {
		amount, currency = e.Amount.Minor, e.Amount.Currency
	}
	if _, err := a.upsertEntity.ExecContext(ctx, e.Tenant, e.Type, e.ID, e.Name, e.Status, unixMilli(since),
		e.Campaign, e.Influencer, e.Platform, unixMilli(e.DueAt), amount, currency, nullAttrs(e.Attrs),
		a.source, a.now.UnixMilli()); err != nil {
		return err
	}
	a.res.Entities++
	if c := a.touch(e.Tenant); c.Entities == nil {
		c.Entities = map[string][]string{e.Type: {e.ID}}
	} else {
		c.Entities[e.Type] = append(c.Entities[e.Type], e.ID)
	}
	if (!isNew && oldStatus == e.Status) || a.rules == nil {
		return nil
	}
	kind := a.rules.StatusEvent(e.Type, e.Status)
	if kind == "" {
		return nil
	}
	// The source may have sent this very event itself (payment.created
	// beside the payment upserted as open): since the previous status
	// began, one such event of the entity is enough.
	var sent bool
	if err := a.sentEvent.QueryRowContext(ctx, e.Tenant, e.Type, e.ID, kind, oldSince.Int64).Scan(&sent); err != nil {
		return err
	}
	if sent {
		return nil
	}
	// Keyed by the status and when it began, so re-sending the same state
	// records nothing new.
	return a.event(ctx, a.source, &sdk.Event{
		Key:        fmt.Sprintf("state/%s/%s/%s/%d", e.Type, e.ID, e.Status, since.UnixMilli()),
		Tenant:     e.Tenant,
		Kind:       kind,
		Entity:     sdk.EntityRef{Type: e.Type, ID: e.ID},
		OccurredAt: since,
		Attrs:      statusAttrs(e, oldStatus),
	}, true)
}

// statusAttrs describe a derived status event: the new status, the one
// before it, and what the entity is.
func statusAttrs(e *sdk.Entity, from string) []byte {
	b, _ := json.Marshal(struct {
		Status     string     `json:"status"`
		From       string     `json:"from,omitempty"`
		Name       string     `json:"name,omitempty"`
		Campaign   string     `json:"campaign,omitempty"`
		Influencer string     `json:"influencer,omitempty"`
		Amount     *sdk.Money `json:"amount,omitempty"`
	}{e.Status, from, e.Name, e.Campaign, e.Influencer, e.Amount})
	return b
}

func (a *applier) dailyMetric(ctx context.Context, m *sdk.DailyMetric) error {
	var cost, revenue int64
	currency := ""
	if m.Cost != nil {
		cost, currency = m.Cost.Minor, m.Cost.Currency
	}
	if m.Revenue != nil {
		revenue, currency = m.Revenue.Minor, m.Revenue.Currency
	}
	var old [8]int64
	var oldCurrency string
	err := a.selectMetric.QueryRowContext(ctx, m.Tenant, m.Campaign, m.Influencer, m.Video, m.Platform, m.Day).
		Scan(&old[0], &old[1], &old[2], &old[3], &old[4], &old[5], &old[6], &old[7], &oldCurrency)
	existed := err == nil
	if err != nil && err != sql.ErrNoRows {
		return err
	}
	if _, err := a.upsertMetric.ExecContext(ctx, m.Tenant, m.Campaign, m.Influencer, m.Video, m.Platform, m.Day,
		m.Impressions, m.Views, m.Clicks, m.Likes, m.Comments, m.Shares, cost, revenue, currency); err != nil {
		return err
	}
	a.res.DailyMetrics++
	a.touch(m.Tenant).DailyMetrics = true
	if a.campaigns == nil {
		a.campaigns, a.videos, a.rollups = map[[2]string]bool{}, map[[2]string]bool{}, map[[4]string]bool{}
		a.rollupDeltas = map[[5]string]*[8]int64{}
	}
	a.campaigns[[2]string{m.Tenant, m.Campaign}] = true
	if m.Video != "" {
		a.videos[[2]string{m.Tenant, m.Video}] = true
	}
	key := [4]string{m.Tenant, m.Day, m.Platform, m.Campaign}
	values := [8]int64{m.Impressions, m.Views, m.Clicks, m.Likes, m.Comments, m.Shares, cost, revenue}
	if existed && oldCurrency == currency && values == old {
		return nil // sent again unchanged (a re-fetched window): nothing to add
	}
	if existed && oldCurrency != currency || !addable(values) || !addable(old) {
		a.rollups[key] = true
		return nil
	}
	rowKey := [5]string{m.Tenant, m.Day, m.Platform, m.Campaign, currency}
	delta := a.rollupDeltas[rowKey]
	if delta == nil {
		delta = new([8]int64)
		a.rollupDeltas[rowKey] = delta
	}
	for i := range delta {
		delta[i] += values[i] - old[i]
	}
	return nil
}

// maxAddable bounds the values whose changes are added to the rollup in
// place: sums of them cannot come near the int64 limit the rollup
// saturates at, which only a recompute gets right.
const maxAddable = 1 << 40

func addable(values [8]int64) bool {
	for _, v := range values {
		if v > maxAddable || v < -maxAddable {
			return false
		}
	}
	return true
}

// afterMetrics recomputes the daily rollups and totals of every campaign
// the batch touched and records one milestone.reached event per campaign or video and
// threshold, the first time its total views cross it.
func (a *applier) afterMetrics(ctx context.Context) error {
	if len(a.rollups) == 0 && len(a.rollupDeltas) == 0 {
		return nil
	}
	// Prepared once a batch: a large import touches thousands of keys.
	var stmts []*sql.Stmt
	defer func() {
		for _, st := range stmts {
			st.Close()
		}
	}()
	var err error
	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		if st, err = a.tx.PrepareContext(ctx, q); err == nil {
			stmts = append(stmts, st)
		}
		return st
	}
	// Sums stay saturated at the int64 limit, as sumOf's are.
	add := func(col string) string {
		return col + " = CAST(min(" + col + " + excluded." + col + ", 9223372036854775807.0) AS INTEGER)"
	}
	addRollup := prep(`INSERT INTO daily_rollup (tenant, day, platform, campaign, currency,
			impressions, views, clicks, likes, comments, shares, cost_minor, revenue_minor)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant, day, platform, campaign, currency) DO UPDATE SET
			` + add("impressions") + `, ` + add("views") + `, ` + add("clicks") + `, ` + add("likes") + `,
			` + add("comments") + `, ` + add("shares") + `, ` + add("cost_minor") + `, ` + add("revenue_minor"))
	addTotals := prep(`INSERT INTO campaign_totals (tenant, campaign, platform, currency,
			impressions, views, clicks, engagements, cost_minor, revenue_minor, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant, campaign, platform, currency) DO UPDATE SET
			` + add("impressions") + `, ` + add("views") + `, ` + add("clicks") + `, ` + add("engagements") + `,
			` + add("cost_minor") + `, ` + add("revenue_minor") + `, updated_at = excluded.updated_at`)
	deleteRollup := prep(`DELETE FROM daily_rollup WHERE tenant = ? AND day = ? AND platform = ? AND campaign = ?`)
	insertRollup := prep(`INSERT INTO daily_rollup
		SELECT tenant, day, platform, campaign, currency, ` + sumOf("impressions") + `, ` + sumOf("views") + `, ` + sumOf("clicks") + `,
			` + sumOf("likes") + `, ` + sumOf("comments") + `, ` + sumOf("shares") + `, ` + sumOf("cost_minor") + `, ` + sumOf("revenue_minor") + `
		FROM daily_metrics WHERE tenant = ? AND campaign = ? AND day = ? AND platform = ? GROUP BY currency`)
	deleteTotals := prep(`DELETE FROM campaign_totals WHERE tenant = ? AND campaign = ?`)
	insertTotals := prep(`INSERT INTO campaign_totals
		SELECT tenant, campaign, platform, currency, ` + sumOf("impressions") + `, ` + sumOf("views") + `, ` + sumOf("clicks") + `,
			` + sumOf("likes + comments + shares") + `, ` + sumOf("cost_minor") + `, ` + sumOf("revenue_minor") + `, ?
		FROM daily_metrics WHERE tenant = ? AND campaign = ? GROUP BY platform, currency`)
	if err != nil {
		return err
	}
	// A campaign with a rollup key to recompute has its totals recomputed
	// too; the others get the batch's changes added.
	recomputeCampaign := map[[2]string]bool{}
	for k := range a.rollups {
		recomputeCampaign[[2]string{k[0], k[3]}] = true
	}
	totals := map[[4]string]*[8]int64{}
	for k, d := range a.rollupDeltas {
		if a.rollups[[4]string{k[0], k[1], k[2], k[3]}] {
			continue
		}
		if _, err := addRollup.ExecContext(ctx, k[0], k[1], k[2], k[3], k[4], d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]); err != nil {
			return err
		}
		if recomputeCampaign[[2]string{k[0], k[3]}] {
			continue
		}
		tk := [4]string{k[0], k[3], k[2], k[4]} // tenant, campaign, platform, currency
		t := totals[tk]
		if t == nil {
			t = new([8]int64)
			totals[tk] = t
		}
		for i := range d {
			t[i] += d[i]
		}
	}
	for k, t := range totals {
		if _, err := addTotals.ExecContext(ctx, k[0], k[1], k[2], k[3], t[0], t[1], t[2], t[3]+t[4]+t[5], t[6], t[7], a.now.UnixMilli()); err != nil {
			return err
		}
	}
	for k := range a.rollups {
		if _, err := deleteRollup.ExecContext(ctx, k[0], k[1], k[2], k[3]); err != nil {
			return err
		}
		if _, err := insertRollup.ExecContext(ctx, k[0], k[3], k[1], k[2]); err != nil {
			return err
		}
	}
	for k := range recomputeCampaign {
		if _, err := deleteTotals.ExecContext(ctx, k[0], k[1]); err != nil {
			return err
		}
		if _, err := insertTotals.ExecContext(ctx, a.now.UnixMilli(), k[0], k[1]); err != nil {
			return err
		}
	}
	if a.rules == nil {
		return nil
	}
	if err := a.milestones(ctx, sdk.EntityCampaign, `SELECT `+sumOf("views")+` FROM campaign_totals WHERE tenant = ? AND campaign = ?`, a.campaigns); err != nil {
		return err
	}
	return a.milestones(ctx, sdk.EntityVideo, `SELECT `+sumOf("views")+` FROM daily_metrics WHERE tenant = ? AND video = ?`, a.videos)
}

func (a *applier) milestones(ctx context.Context, entityType, query string, keys map[[2]string]bool) error {
	for k := range keys {
		var views int64
		if err := a.tx.QueryRowContext(ctx, query, k[0], k[1]).Scan(&views); err != nil {
			return err
		}
		for _, threshold := range a.rules.MilestoneViews() {
			if views < threshold {
				break
			}
			if err := a.event(ctx, DerivedSource, &sdk.Event{
				Key:        fmt.Sprintf("milestone/%s/%s/%s/%d", k[0], entityType, k[1], threshold),
				Tenant:     k[0],
				Kind:       sdk.KindMilestoneReached,
				Entity:     sdk.EntityRef{Type: entityType, ID: k[1]},
				OccurredAt: a.now,
				Attrs:      fmt.Appendf(nil, `{"views_threshold":%d,"views":%d}`, threshold, views),
			}, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// Seq is the Seq of the latest Change published; 0 before any.
func (s *Store) Seq() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seq
}

// Subscribe returns a channel that receives a Change after every applied
// batch that touched tenant ("" = every tenant, one Change per tenant), and
// a function to stop. A subscriber that falls behind misses changes rather
// than slowing writers down.
func (s *Store) Subscribe(tenant string) (<-chan Change, func()) {
	ch := make(chan Change, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		close(ch)
		return ch, func() {}
	}
	s.subs[ch] = tenant
	return ch, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := s.subs[ch]; ok {
			delete(s.subs, ch)
			close(ch)
		}
	}
}

func (s *Store) publish(source string, tenants map[string]*Change, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tenant, c := range tenants {
		s.seq++
		c.Source, c.At, c.Seq = source, at, s.seq
		for ch, want := range s.subs {
			if want != "" && want != tenant {
				continue
			}
			select {
			case ch <- *c:
			default:
			}
		}
	}
}
