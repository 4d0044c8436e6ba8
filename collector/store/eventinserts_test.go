package store

import (
	"context"
	"database/sql/driver"
	"path/filepath"
	"testing"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// TestEventInsertsFollowTheConnection: when database/sql hands the writer
// a new driver connection, the inserts are prepared again on it (the old
// ones finalized), and each insert lands in the database it runs on and
// says whether the key was new.
func TestEventInsertsFollowTheConnection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cc.db")
	st, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	drv := &sqlite3.SQLiteDriver{}
	open := func() *sqlite3.SQLiteConn {
		c, err := drv.Open("file:" + path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c.(*sqlite3.SQLiteConn)
	}
	first, second := open(), open()
	at := time.Now().UTC()
	events := []sdk.Event{
		{Key: "a", Tenant: "acme", Kind: sdk.KindMetricsUpdated, OccurredAt: at, Attrs: []byte(`{"n":1}`)},
		{Key: "b", Tenant: "acme", Kind: sdk.KindPaymentPaid, Entity: sdk.EntityRef{Type: sdk.EntityPayment, ID: "pay-1"}, OccurredAt: at},
	}
	var ins eventInserts
	for _, step := range []struct {
		conn *sqlite3.SQLiteConn
		e    sdk.Event
		want bool
	}{
		{first, events[0], true},
		{first, events[0], false}, // the key is taken
		{second, events[1], true}, // prepared again on the new connection
		{second, events[1], false},
		{first, sdk.Event{Key: "c", Tenant: "acme", Kind: sdk.KindMetricsUpdated, OccurredAt: at}, true},
	} {
		on, err := ins.on(step.conn)
		if err != nil {
			t.Fatal(err)
		}
		if on.conn != step.conn {
			t.Fatalf("inserts prepared on %p, want %p", on.conn, step.conn)
		}
		got, err := on.insert("src", &step.e)
		if err != nil || got != step.want {
			t.Fatalf("insert %s: %v, %v; want %v", step.e.Key, got, err, step.want)
		}
	}
	ins.close()
	rows, err := first.QueryContext(context.Background(), `SELECT key, entity_type, entity_id, attrs IS NULL FROM events WHERE source = 'src' ORDER BY key`, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got [][4]any
	for row := make([]driver.Value, 4); rows.Next(row) == nil; {
		got = append(got, [4]any{row[0], row[1], row[2], row[3]})
	}
	want := [][4]any{{"a", "", "", int64(0)}, {"b", sdk.EntityPayment, "pay-1", int64(1)}, {"c", "", "", int64(1)}}
	if len(got) != len(want) {
		t.Fatalf("stored %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("row %d: %v, want %v", i, got[i], want[i])
		}
	}
}
