package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
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

// ActivityQuery pages through a tenant's events, newest first: by when
// they occurred, ties by id.
type ActivityQuery struct {
	Tenant string
	Kinds  []string
	// After continues below the previous page's last event; nil starts at
	// the newest.
	After *ActivityCursor
	// SinceID, when set, returns instead the events stored after the one
	// with this id (0: from the first), smallest id first. Ids only grow (the table is
	// AUTOINCREMENT), so a follower that remembers the last id it saw
	// misses nothing and sees nothing twice.
	SinceID *int64
	Limit   int
}

// ActivityCursor is a position in the feed: the last event a page showed.
// Events stored later never shift it, wherever they sort.
type ActivityCursor struct {
	OccurredAt int64 // Unix milliseconds
	ID         int64
}

// CursorAfter is the cursor continuing after a.
func CursorAfter(a Activity) ActivityCursor {
	return ActivityCursor{OccurredAt: a.OccurredAt.UnixMilli(), ID: a.ID}
}

// String is the cursor as the API hands it out: "<ms>_<id>".
func (c ActivityCursor) String() string {
	return strconv.FormatInt(c.OccurredAt, 10) + "_" + strconv.FormatInt(c.ID, 10)
}

// ParseActivityCursor reads a cursor String made.
func ParseActivityCursor(s string) (ActivityCursor, error) {
	at, id, ok := strings.Cut(s, "_")
	var c ActivityCursor
	var err1, err2 error
	c.OccurredAt, err1 = strconv.ParseInt(at, 10, 64)
	c.ID, err2 = strconv.ParseInt(id, 10, 64)
	if !ok || err1 != nil || err2 != nil || c.ID < 1 {
		return ActivityCursor{}, fmt.Errorf("not a feed cursor: %q", s)
	}
	return c, nil
}

// Activity returns up to q.Limit events and whether more follow.
func (s *Store) Activity(ctx context.Context, q ActivityQuery) ([]Activity, bool, error) {
	var w where
	w.add("tenant = ?", q.Tenant)
	w.addIn("kind", q.Kinds)
	if c := q.After; c != nil {
		w.add("(occurred_at < ? OR (occurred_at = ? AND id < ?))", c.OccurredAt, c.OccurredAt, c.ID)
	}
	order := ` ORDER BY occurred_at DESC, id DESC`
	if q.SinceID != nil {
		w.add("id > ?", *q.SinceID)
		order = ` ORDER BY id`
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.read.QueryContext(ctx, `SELECT id, source, key, tenant, kind, entity_type, entity_id, occurred_at, attrs
		FROM events`+w.String()+order+` LIMIT ?`, append(w.args, limit+1)...)
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

// LatestEventID is the largest id of tenant's events, 0 when it has none.
// It reads the tenant's whole index range: callers ask once per stream.
func (s *Store) LatestEventID(ctx context.Context, tenant string) (int64, error) {
	var id int64
	err := s.read.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM events WHERE tenant = ?`, tenant).Scan(&id)
	return id, err
}

// DeleteEventsBefore removes events that occurred before cutoff (retention)
// and returns how many went.
func (s *Store) DeleteEventsBefore(ctx context.Context, cutoff time.Time) (int64, error) {
	var lo, hi sql.NullInt64
	if err := s.read.QueryRowContext(ctx, `SELECT min(id), max(id) FROM events`).Scan(&lo, &hi); err != nil || !lo.Valid {
		return 0, err
	}
	// In short transactions over id ranges, so ingest never waits long
	// behind retention (one delete of the whole table held the write
	// connection for seconds); each range is found through the primary key.
	var total int64
	for from := lo.Int64; from <= hi.Int64; from += retentionChunk {
		err := s.withTx(ctx, func(tx *sql.Tx) error {
			r, err := tx.ExecContext(ctx, `DELETE FROM events WHERE id >= ? AND id < ? AND occurred_at < ?`,
				from, from+retentionChunk, cutoff.UnixMilli())
			if err != nil {
				return err
			}
			n, err := r.RowsAffected()
			total += n
			return err
		})
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// retentionChunk is how many event ids one retention transaction covers.
const retentionChunk = 5000
