package store

import (
	"database/sql"
	"sync"
	"sync/atomic"
)

// checkpointEvery is how many stored items make the checkpointer copy the
// WAL into the database file: about what a 1,000-event batch writes.
const checkpointEvery = 1000

// checkpointer copies the WAL into the database file (a PASSIVE
// checkpoint) on its own connection, beside the writer: the writer's own
// automatic checkpoint, which SQLite runs inside a commit once the WAL
// holds 1,000 pages, then finds most pages already copied. Copying them
// inline took about a seventh of a large ingest's time. The automatic
// checkpoint stays, so the WAL grows no larger than it did; a checkpoint
// that fails here (the disk full, another process's lock) leaves the
// copying to it.
type checkpointer struct {
	path    string
	pending atomic.Int64 // items stored since the last signal
	signal  chan struct{}
	stopped chan struct{}
	stop    sync.Once
	done    chan struct{}
}

func newCheckpointer(path string) *checkpointer {
	c := &checkpointer{path: path, signal: make(chan struct{}, 1), stopped: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

// wrote notes that a commit stored items.
func (c *checkpointer) wrote(items int) {
	if c.pending.Add(int64(items)) < checkpointEvery {
		return
	}
	c.pending.Store(0)
	select {
	case c.signal <- struct{}{}:
	default: // one is already due
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	var db *sql.DB
	defer func() {
		if db != nil {
			db.Close()
		}
	}()
	for {
		select {
		case <-c.stopped:
			return
		case <-c.signal:
		}
		if db == nil {
			var err error
			if db, err = sql.Open("sqlite3", "file:"+c.path); err != nil {
				db = nil
				continue
			}
			db.SetMaxOpenConns(1)
		}
		// PASSIVE waits for no lock and blocks no reader or writer.
		db.Exec("PRAGMA wal_checkpoint(PASSIVE)")
	}
}

// close stops the checkpointer and closes its connection.
func (c *checkpointer) close() {
	c.stop.Do(func() { close(c.stopped) })
	<-c.done
}
