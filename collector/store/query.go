package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// sumOf sums an integer column as sum() does, but saturates at the largest
// int64 rather than failing with "integer overflow" (a 500 to the caller):
// total() adds in float64, exact up to 2^53, far past any real total.
// An empty set sums to 0.
func sumOf(col string) string {
	return "CAST(min(total(" + col + "), 9223372036854775807.0) AS INTEGER)"
}

// where builds a WHERE clause from optional conditions.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// addIf adds cond only when v is not empty.
func (w *where) addIf(cond, v string) {
	if v != "" {
		w.add(cond, v)
	}
}

// addIn adds "column IN (...)" when values is not empty.
func (w *where) addIn(column string, values []string) {
	if len(values) == 0 {
		return
	}
	w.conds = append(w.conds, column+" IN (?"+strings.Repeat(",?", len(values)-1)+")")
	for _, v := range values {
		w.args = append(w.args, v)
	}
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// Item is one stored entity: what a source sent, and when it was last
// updated.
type Item struct {
	sdk.Entity
	UpdatedAt time.Time `json:"updated_at"`
}

// ItemQuery selects entities. Empty fields match everything.
type ItemQuery struct {
	Tenant   string
	Type     string
	Statuses []string
	// IDs, when not empty, keeps only these entities (of Tenant and Type).
	IDs []string
	// After is the id to continue after (pagination); Limit 0 means all.
	After string
	Limit int
	// WithAttrs also loads the free-form attributes.
	WithAttrs bool
	// AnyOrder gives the rows in whatever order is quickest to read
	// (not for pagination): the store need not sort them.
	AnyOrder bool
	// Fields, when not zero, are the only fields loaded besides the
	// tenant, type and id (and the status, when Statuses has one); the
	// others stay empty. A pass over many entities reads only what it
	// uses: each column read costs calls into SQLite and, for text, an
	// allocation, per row.
	Fields Field
}

// Field is one of an Item's optional fields, for ItemQuery.Fields.
type Field uint16

// The fields an ItemQuery can load or leave out.
const (
	FieldName Field = 1 << iota
	FieldStatus
	FieldStatusSince
	FieldCampaign
	FieldInfluencer
	FieldPlatform
	FieldDueAt
	FieldAmount
	FieldUpdatedAt
)

// Items lists entities ordered by tenant, type and id.
func (s *Store) Items(ctx context.Context, q ItemQuery) ([]Item, error) {
	var out []Item
	err := s.EachItem(ctx, q, func(it *Item) error {
		out = append(out, *it)
		return nil
	})
	return out, err
}

// EachItem calls fn for each entity q selects, in order, without holding
// them all in memory. fn must not keep the *Item: it is reused.
func (s *Store) EachItem(ctx context.Context, q ItemQuery, fn func(*Item) error) error {
	var w where
	w.addIf("type = ?", q.Type)
	w.addIf("tenant = ?", q.Tenant)
	w.addIn("status", q.Statuses)
	w.addIn("id", q.IDs)
	w.addIf("id > ?", q.After)
	var (
		it                 Item
		money              sdk.Money
		since, due, amount sql.NullInt64
		attrsText          sql.NullString
		updated            int64
	)
	// Only the columns wanted are read, each into its field: a column the
	// query fixes to one value (type, a single status) is filled in, not
	// read.
	var columns []string
	var dest []any
	read := func(f Field, column string, into ...any) {
		if f == 0 || q.Fields == 0 || q.Fields&f != 0 {
			columns = append(columns, column)
			dest = append(dest, into...)
		}
	}
	read(0, "tenant", &it.Tenant)
	if q.Type == "" {
		read(0, "type", &it.Type)
	}
	read(0, "id", &it.ID)
	read(FieldName, "name", &it.Name)
	if len(q.Statuses) != 1 {
		read(FieldStatus, "status", &it.Status)
	}
	read(FieldStatusSince, "status_since", &since)
	read(FieldCampaign, "campaign", &it.Campaign)
	read(FieldInfluencer, "influencer", &it.Influencer)
	read(FieldPlatform, "platform", &it.Platform)
	read(FieldDueAt, "due_at", &due)
	read(FieldAmount, "amount_minor, currency", &amount, &money.Currency)
	if q.WithAttrs {
		read(0, "attrs", &attrsText)
	}
	read(FieldUpdatedAt, "updated_at", &updated)
	it.Type = q.Type
	if len(q.Statuses) == 1 {
		it.Status = q.Statuses[0]
	}
	query := `SELECT ` + strings.Join(columns, ", ") + ` FROM entities` + w.String()
	if !q.AnyOrder {
		query += ` ORDER BY tenant, type, id`
	}
	if q.Limit > 0 {
		query += " LIMIT ?"
		w.args = append(w.args, q.Limit)
	}
	rows, err := s.read.QueryContext(ctx, query, w.args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		it.StatusSince, it.DueAt = fromMilli(since), fromMilli(due)
		if q.Fields == 0 || q.Fields&FieldUpdatedAt != 0 {
			it.UpdatedAt = time.UnixMilli(updated).UTC()
		}
		it.Amount, it.Attrs = nil, nil
		if amount.Valid {
			money.Minor = amount.Int64
			m := money
			it.Amount = &m
		}
		if attrsText.Valid {
			it.Attrs = json.RawMessage(attrsText.String)
		}
		if err := fn(&it); err != nil {
			return err
		}
	}
	return rows.Err()
}

// PaymentSum is the open payments with an amount of one tenant in one
// currency.
type PaymentSum struct {
	Tenant, Currency string
	Open, Overdue    int64
	AmountMinor      int64
}

// OpenPaymentSums sums the open payments that have an amount, per tenant
// (tenant "" = all) and currency: how many, their amount, and how many are
// due before dueBefore. Amounts add up as sumOf does.
func (s *Store) OpenPaymentSums(ctx context.Context, tenant string, dueBefore time.Time) ([]PaymentSum, error) {
	var w where
	w.add("type = 'payment' AND status = 'open' AND amount_minor IS NOT NULL")
	w.addIf("tenant = ?", tenant)
	rows, err := s.read.QueryContext(ctx, `SELECT tenant, currency, count(*), `+sumOf("amount_minor")+`,
		sum(due_at IS NOT NULL AND due_at < `+strconv.FormatInt(dueBefore.UnixMilli(), 10)+`)
		FROM entities`+w.String()+` GROUP BY tenant, currency ORDER BY tenant, currency`, w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PaymentSum
	for rows.Next() {
		var p PaymentSum
		if err := rows.Scan(&p.Tenant, &p.Currency, &p.Open, &p.AmountMinor, &p.Overdue); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// StatusCount is how many entities of a type are in a status.
type StatusCount struct {
	Tenant, Type, Status string
	Count                int64
}

// StatusCounts counts entities by tenant, type and status (tenant "" = all).
func (s *Store) StatusCounts(ctx context.Context, tenant string) ([]StatusCount, error) {
	var w where
	w.addIf("tenant = ?", tenant)
	rows, err := s.read.QueryContext(ctx, `SELECT tenant, type, status, count(*) FROM entities`+w.String()+
		` GROUP BY tenant, type, status ORDER BY tenant, type, status`, w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StatusCount
	for rows.Next() {
		var c StatusCount
		if err := rows.Scan(&c.Tenant, &c.Type, &c.Status, &c.Count); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CampaignTotal is a campaign's performance on one platform over all days.
type CampaignTotal struct {
	Tenant, Campaign, Platform, Currency string
	Impressions, Views, Clicks           int64
	Engagements                          int64
	CostMinor, RevenueMinor              int64
	UpdatedAt                            time.Time
}

// CampaignTotals lists per campaign and platform totals (tenant "" = all).
func (s *Store) CampaignTotals(ctx context.Context, tenant string) ([]CampaignTotal, error) {
	var w where
	w.addIf("tenant = ?", tenant)
	rows, err := s.read.QueryContext(ctx, `SELECT tenant, campaign, platform, currency, impressions, views, clicks,
		engagements, cost_minor, revenue_minor, updated_at FROM campaign_totals`+w.String()+` ORDER BY tenant, campaign, platform`, w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CampaignTotal
	for rows.Next() {
		var t CampaignTotal
		var updated int64
		if err := rows.Scan(&t.Tenant, &t.Campaign, &t.Platform, &t.Currency, &t.Impressions, &t.Views, &t.Clicks,
			&t.Engagements, &t.CostMinor, &t.RevenueMinor, &updated); err != nil {
			return nil, err
		}
		t.UpdatedAt = time.UnixMilli(updated).UTC()
		out = append(out, t)
	}
	return out, rows.Err()
}

// ScraperStat is one scraper target's activity.
type ScraperStat struct {
	Tenant, Target             string
	RunsOK, RunsFailed, Errors int64
	SelectorUpdates            int64
	LastSuccessAt, LastRunAt   time.Time
}

// ScraperStats lists scraper targets' counters (tenant "" = all).
func (s *Store) ScraperStats(ctx context.Context, tenant string) ([]ScraperStat, error) {
	var w where
	w.addIf("tenant = ?", tenant)
	rows, err := s.read.QueryContext(ctx, `SELECT tenant, target, runs_ok, runs_failed, errors, selector_updates,
		last_success_at, last_run_at FROM scraper_stats`+w.String()+` ORDER BY tenant, target`, w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ScraperStat
	for rows.Next() {
		var st ScraperStat
		var success, run sql.NullInt64
		if err := rows.Scan(&st.Tenant, &st.Target, &st.RunsOK, &st.RunsFailed, &st.Errors, &st.SelectorUpdates, &success, &run); err != nil {
			return nil, err
		}
		// 0 is what the counter upsert leaves when no run has succeeded yet.
		if success.Int64 > 0 {
			st.LastSuccessAt = fromMilli(success)
		}
		if run.Int64 > 0 {
			st.LastRunAt = fromMilli(run)
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// CampaignDayViews is a campaign's views on one platform on one day.
type CampaignDayViews struct {
	Campaign, Platform string
	Views              int64
}

// DailyViews sums a tenant's views per campaign and platform on day
// (YYYY-MM-DD), from the daily rollup.
func (s *Store) DailyViews(ctx context.Context, tenant, day string) ([]CampaignDayViews, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT campaign, platform, `+sumOf("views")+` FROM daily_rollup
		WHERE tenant = ? AND day = ? GROUP BY campaign, platform ORDER BY campaign, platform`, tenant, day)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CampaignDayViews
	for rows.Next() {
		var v CampaignDayViews
		if err := rows.Scan(&v.Campaign, &v.Platform, &v.Views); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
