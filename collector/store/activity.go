package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// Activity is one stored event: its id in the feed, the source that sent
// it, and the event.
type Activity struct {
	ID     int64
	Source string
	sdk.Event
}

// ActivityQuery pages through a tenant's events, newest first.
type ActivityQuery struct {
	Tenant string
	Kinds  []string
	// Before is the id to continue below (the previous page's last id); 0
	// starts at the newest.
	Before int64
	Limit  int
}

// Activity returns up to q.Limit events and whether more follow.
func (s *Store) Activity(ctx context.Context, q ActivityQuery) ([]Activity, bool, error) {
	var w where
	w.add("tenant = ?", q.Tenant)
	w.addIn("kind", q.Kinds)
	if q.Before > 0 {
		w.add("id < ?", q.Before)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.read.QueryContext(ctx, `SELECT id, source, key, tenant, kind, entity_type, entity_id, occurred_at, attrs
		FROM events`+w.String()+` ORDER BY id DESC LIMIT ?`, append(w.args, limit+1)...)
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	var out []Activity
	for rows.Next() {
		var a Activity
		var occurred int64
		var attrs sql.NullString
		if err := rows.Scan(&a.ID, &a.Source, &a.Key, &a.Tenant, &a.Kind, &a.Entity.Type, &a.Entity.ID, &occurred, &attrs); err != nil {
			return nil, false, err
		}
		a.OccurredAt = time.UnixMilli(occurred).UTC()
		if attrs.Valid {
			a.Attrs = json.RawMessage(attrs.String)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	return out, more, nil
}

// DeleteEventsBefore removes events that occurred before cutoff (retention)
// and returns how many went.
func (s *Store) DeleteEventsBefore(ctx context.Context, cutoff time.Time) (int64, error) {
	var n int64
	err := s.withTx(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, `DELETE FROM events WHERE occurred_at < ?`, cutoff.UnixMilli())
		if err != nil {
			return err
		}
		n, err = r.RowsAffected()
		return err
	})
	return n, err
}
