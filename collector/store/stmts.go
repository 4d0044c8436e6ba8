package store

import (
	"context"
	"database/sql"
)

// The statements every batch's transaction may run, by applier field.
const (
	stmtSelectStatus = iota
	stmtDropStandIn
	stmtSentEvent
	stmtUpsertEntity
	stmtSelectMetric
	stmtUpsertMetric
	stmtUpsertScraper
	stmtCount
)

var applyQueries = [stmtCount]string{
	stmtSelectStatus: `SELECT status, status_since FROM entities WHERE tenant = ? AND type = ? AND id = ?`,
	// The store's own event for an entity's current status, keyed as
	// entity() keys it.
	stmtDropStandIn: `DELETE FROM events WHERE (tenant, source, key) = (
		SELECT tenant, source, 'state/' || type || '/' || id || '/' || status || '/' || status_since FROM entities
		WHERE tenant = ? AND type = ? AND id = ? AND status = ?)`,
	stmtSentEvent: `SELECT EXISTS (SELECT 1 FROM events INDEXED BY events_sent_by_entity
		WHERE tenant = ? AND entity_type = ? AND entity_id = ? AND kind = ? AND occurred_at >= ?
			AND entity_id <> '' AND key NOT GLOB 'state/*')`,
	stmtUpsertEntity: `INSERT INTO entities (tenant, type, id, name, status, status_since, campaign, influencer,
			platform, due_at, amount_minor, currency, attrs, source, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant, type, id) DO UPDATE SET
			name = excluded.name, status = excluded.status, status_since = excluded.status_since,
			campaign = excluded.campaign, influencer = excluded.influencer, platform = excluded.platform,
			due_at = excluded.due_at, amount_minor = excluded.amount_minor, currency = excluded.currency,
			attrs = excluded.attrs, source = excluded.source, updated_at = excluded.updated_at`,
	stmtSelectMetric: `SELECT impressions, views, clicks, likes, comments, shares, cost_minor, revenue_minor, currency
		FROM daily_metrics WHERE tenant = ? AND campaign = ? AND influencer = ? AND video = ? AND platform = ? AND day = ?`,
	stmtUpsertMetric: `INSERT INTO daily_metrics (tenant, campaign, influencer, video, platform, day,
			impressions, views, clicks, likes, comments, shares, cost_minor, revenue_minor, currency)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant, campaign, influencer, video, platform, day) DO UPDATE SET
			impressions = excluded.impressions, views = excluded.views, clicks = excluded.clicks,
			likes = excluded.likes, comments = excluded.comments, shares = excluded.shares,
			cost_minor = excluded.cost_minor, revenue_minor = excluded.revenue_minor, currency = excluded.currency`,
	stmtUpsertScraper: `INSERT INTO scraper_stats (tenant, target, runs_ok, runs_failed, errors, selector_updates, last_success_at, last_run_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant, target) DO UPDATE SET
			runs_ok = runs_ok + excluded.runs_ok, runs_failed = runs_failed + excluded.runs_failed,
			errors = errors + excluded.errors, selector_updates = selector_updates + excluded.selector_updates,
			last_success_at = max(coalesce(last_success_at, 0), coalesce(excluded.last_success_at, 0)),
			last_run_at = max(coalesce(last_run_at, 0), coalesce(excluded.last_run_at, 0))`,
}

// prepareApply prepares applyQueries once, on the writer, when the store
// opens: preparing all of them again in every batch's transaction cost as
// much as a few hundred inserts. Each transaction binds them with
// Tx.StmtContext, which reuses what the writer connection prepared (and
// prepares again on a connection database/sql replaced). One that fails to
// prepare now is prepared in each transaction instead, as before.
func (s *Store) prepareApply() {
	for i, q := range applyQueries {
		if st, err := s.write.Prepare(q); err == nil {
			s.applyStmts[i] = st
		}
	}
}

// stmt is applyQueries[i] in tx: the store's prepared statement bound to
// tx, or prepared in tx when the store has none.
func (a *applier) stmt(ctx context.Context, i int) (*sql.Stmt, error) {
	if st := a.stmts[i]; st != nil {
		return a.tx.StmtContext(ctx, st), nil
	}
	return a.tx.PrepareContext(ctx, applyQueries[i])
}

// closeApply closes the prepared statements, the event inserts on the
// writer's connection while it is still open.
func (s *Store) closeApply() {
	if conn, err := s.write.Conn(context.Background()); err == nil {
		conn.Raw(func(any) error {
			s.inserts.close()
			return nil
		})
		conn.Close()
	}
	for i, st := range s.applyStmts {
		if st != nil {
			st.Close()
			s.applyStmts[i] = nil
		}
	}
}
