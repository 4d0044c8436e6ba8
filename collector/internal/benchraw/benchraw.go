// Package benchraw is the limit the ingest benchmarks measure themselves
// against: events inserted into a fresh store's events table with nothing
// but database/sql. The plugin and the push benchmarks share it, so both
// report their throughput as a fraction of the same figure.
package benchraw

import (
	"database/sql"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/commandcenter/commandcenter/collector/store"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// Attrs are the attrs of every benchmark event: what the test plugin sends.
const Attrs = `{"payload":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}`

// Events are n metrics.updated events of tenant acme keyed first, first+1,
// …, occurred a minute before now (inside any retention): the events the
// test plugin sends, and the push benchmark's.
func Events(first, n int) []sdk.Event {
	at := time.Now().Add(-time.Minute).UTC()
	out := make([]sdk.Event, n)
	for i := range out {
		out[i] = sdk.Event{Key: strconv.Itoa(first + i), Tenant: "acme", Kind: sdk.KindMetricsUpdated, OccurredAt: at,
			Attrs: []byte(Attrs)}
	}
	return out
}

// Insert inserts events as source into the events table of a fresh store
// (same schema and indexes, WAL, synchronous=NORMAL), batch events a
// transaction, with one prepared INSERT … ON CONFLICT DO NOTHING per
// transaction, and returns the time the inserts took.
func Insert(tb testing.TB, source string, events []sdk.Event, batch int) time.Duration {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "raw.db")
	st, err := store.Open(path, store.Options{}) // the schema and indexes
	if err != nil {
		tb.Fatal(err)
	}
	st.Close()
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous=NORMAL&_txlock=immediate")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	start := time.Now()
	for i := 0; i < len(events); i += batch {
		tx, err := db.Begin()
		if err != nil {
			tb.Fatal(err)
		}
		insert, err := tx.Prepare(`INSERT INTO events (source, key, tenant, kind, entity_type, entity_id, occurred_at, attrs)
			VALUES (?, ?, ?, ?, '', '', ?, ?) ON CONFLICT (tenant, source, key) DO NOTHING`)
		if err != nil {
			tb.Fatal(err)
		}
		for _, e := range events[i:min(i+batch, len(events))] {
			if _, err := insert.Exec(source, e.Key, e.Tenant, e.Kind, e.OccurredAt.UnixMilli(), string(e.Attrs)); err != nil {
				tb.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			tb.Fatal(err)
		}
	}
	return time.Since(start)
}
