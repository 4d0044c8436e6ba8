package store

import (
	"context"
	"database/sql/driver"
	"errors"

	"github.com/mattn/go-sqlite3"

	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// The events INSERTs: a key the source already used is not stored again.
const (
	insertEventQuery = `INSERT INTO events (source, key, tenant, kind, entity_type, entity_id, occurred_at, attrs)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, source, key) DO NOTHING`
	// insertEventQuery for an event about no entity.
	insertBareEventQuery = `INSERT INTO events (source, key, tenant, kind, entity_type, entity_id, occurred_at, attrs)
		VALUES (?, ?, ?, ?, '', '', ?, ?) ON CONFLICT (tenant, source, key) DO NOTHING`
)

// eventInserts are the events INSERTs prepared on the writer's driver
// connection itself, run inside sql.Conn.Raw on the connection that holds
// the batch's transaction (one SQLite connection, so the same
// transaction). Events are the bulk of what ingest writes, and through
// database/sql every insert cost a new argument slice, a conversion of each
// argument, a result wrapper and two locks: about a tenth of the writer's
// time at 1,000-event batches. Only the writer uses them, while it holds
// its one connection.
type eventInserts struct {
	conn *sqlite3.SQLiteConn // what they were prepared on
	// full is insertEventQuery, bare insertBareEventQuery.
	full, bare driver.StmtExecContext
	args       [8]driver.NamedValue // reused: no allocation per insert
}

// on returns the inserts prepared on dc, the driver connection of a
// sql.Conn.Raw call, preparing them again when database/sql has replaced
// the writer's connection since.
func (ins *eventInserts) on(dc any) (*eventInserts, error) {
	conn, ok := dc.(*sqlite3.SQLiteConn)
	if !ok {
		return nil, errors.New("writer connection is not a go-sqlite3 connection")
	}
	if conn == ins.conn {
		return ins, nil
	}
	ins.close()
	full, err := prepareOn(conn, insertEventQuery)
	if err != nil {
		return nil, err
	}
	bare, err := prepareOn(conn, insertBareEventQuery)
	if err != nil {
		full.(driver.Stmt).Close()
		return nil, err
	}
	ins.conn, ins.full, ins.bare = conn, full, bare
	for i := range ins.args {
		ins.args[i].Ordinal = i + 1
	}
	return ins, nil
}

func prepareOn(conn *sqlite3.SQLiteConn, query string) (driver.StmtExecContext, error) {
	st, err := conn.Prepare(query)
	if err != nil {
		return nil, err
	}
	return st.(driver.StmtExecContext), nil
}

// insert stores e as source's unless its key is taken, and says whether it
// did. It binds the columns the two statements take, in their order.
func (ins *eventInserts) insert(source string, e *sdk.Event) (bool, error) {
	a := &ins.args
	a[0].Value, a[1].Value, a[2].Value, a[3].Value = source, e.Key, e.Tenant, e.Kind
	st, args := ins.bare, a[:6]
	if e.Entity == (sdk.EntityRef{}) {
		// Most events are about no entity: two parameters fewer to bind.
		a[4].Value, a[5].Value = e.OccurredAt.UnixMilli(), nullAttrs(e.Attrs)
	} else {
		st, args = ins.full, a[:8]
		a[4].Value, a[5].Value, a[6].Value, a[7].Value = e.Entity.Type, e.Entity.ID, e.OccurredAt.UnixMilli(), nullAttrs(e.Attrs)
	}
	// No context: a cancelable one makes the driver start a goroutine per
	// statement; the caller checks for cancellation between events.
	r, err := st.ExecContext(context.Background(), args)
	if err != nil {
		return false, err
	}
	n, err := r.RowsAffected()
	return n > 0, err
}

// close finalizes the statements; the connection stays open.
func (ins *eventInserts) close() {
	for _, st := range []driver.StmtExecContext{ins.full, ins.bare} {
		if st != nil {
			st.(driver.Stmt).Close()
		}
	}
	*ins = eventInserts{}
}
