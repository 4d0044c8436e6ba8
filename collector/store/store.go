// Package store keeps commandcenter's data in SQLite: events, entity states,
// daily metrics and their rollups, plugin cursors and API tokens. It is SQL
// and transactions only: one call, Apply, validates a source's batch
// (sdk.Validate) and stores it with its cursor, and with what the business
// Rules derive from it, in a single transaction (ApplyValidated stores one
// sdk.ValidateBatch already passed); the rest are queries that stream rows
// to collector/business.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattn/go-sqlite3"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options tune a store; the zero value is usable.
type Options struct {
	// BusyTimeout is how long a write waits for a lock held by another
	// process before failing with ErrLocked. Default 5s.
	BusyTimeout time.Duration
	// Rules derive status-change events and milestones as batches are
	// stored (collector/business); nil derives nothing.
	Rules Rules
	// Retention is how long events are kept (config retention); 0 keeps
	// them forever. Events older than it are not stored: retention would
	// delete them, and a re-sent old event must not come back as new once
	// its first copy was deleted.
	Retention time.Duration
	// Now is the clock; tests set it.
	Now func() time.Time
}

// ErrLocked is returned when another process holds the database lock for
// longer than the busy timeout. The write did not happen; retry later.
var ErrLocked = errors.New("database is locked by another process")

// ErrDiskFull is returned when the disk holding the database is full. The
// write did not happen; retry once there is room.
var ErrDiskFull = errors.New("the disk holding the database is full")

// Store is safe for concurrent use. Writes go through one connection (SQLite
// allows one writer); reads use a pool.
type Store struct {
	path  string
	opts  Options
	write *sql.DB
	read  *sql.DB
	mu    sync.Mutex
	subs  map[chan Change]string // subscriber → its tenant ("" = all)
	// applyStmts are the writer's prepared statements (prepareApply).
	applyStmts [stmtCount]*sql.Stmt
	// inserts are the writer's event inserts, on its driver connection.
	inserts eventInserts
	// ckpt checkpoints the WAL beside the writer; nil until migrated.
	ckpt *checkpointer
	// seq is the last Change's Seq.
	seq    uint64
	closed bool
	// diskFullAt is when a write last failed for a full disk (UnixNano;
	// 0: the last write succeeded).
	diskFullAt atomic.Int64
}

// Open opens (creating if needed) the database at path and migrates it.
func Open(path string, opts Options) (*Store, error) {
	if opts.BusyTimeout == 0 {
		opts.BusyTimeout = 5 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("creating data directory: %w", err)
		}
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "NORMAL")
	q.Set("_busy_timeout", strconv.FormatInt(opts.BusyTimeout.Milliseconds(), 10))
	q.Set("_foreign_keys", "on")
	wq := url.Values{}
	for k, v := range q {
		wq[k] = v
	}
	wq.Set("_txlock", "immediate")
	// The one writer keeps 16 MiB of pages (SQLite's default is 2 MiB): a
	// large import touches the daily metrics and rollups all over, and
	// re-reading their B-tree pages from the OS dominated its time.
	wq.Set("_cache_size", "-16384")
	write, err := sql.Open("sqlite3", "file:"+path+"?"+wq.Encode())
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	q.Set("_query_only", "1")
	read, err := sql.Open("sqlite3", "file:"+path+"?"+q.Encode())
	if err != nil {
		write.Close()
		return nil, err
	}
	read.SetMaxOpenConns(4)
	s := &Store{path: path, opts: opts, write: write, read: read, subs: map[chan Change]string{}}
	if err := s.migrate(); err != nil {
		s.Close()
		return nil, fmt.Errorf("migrating %s: %w", path, lockErr(err))
	}
	s.prepareApply()
	s.ckpt = newCheckpointer(path)
	return s, nil
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close closes the database and ends every subscription.
func (s *Store) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		for ch := range s.subs {
			close(ch)
		}
		s.subs = nil
	}
	s.mu.Unlock()
	if s.ckpt != nil {
		s.ckpt.close()
	}
	s.closeApply()
	return errors.Join(s.read.Close(), s.write.Close())
}

// migrate applies every embedded migration newer than PRAGMA user_version,
// each in its own transaction.
func (s *Store) migrate() error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	var current int
	if err := s.write.QueryRow("PRAGMA user_version").Scan(&current); err != nil {
		return err
	}
	for _, name := range names {
		version, err := strconv.Atoi(strings.SplitN(filepath.Base(name), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with a number", name)
		}
		if version <= current {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		tx, err := s.write.Begin()
		if err != nil {
			return err
		}
		if _, err := tx.Exec(string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", name, err)
		}
		if _, err := tx.Exec(fmt.Sprintf("PRAGMA user_version = %d", version)); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// SizeBytes is the size of the database file and its WAL.
func (s *Store) SizeBytes() int64 {
	var total int64
	for _, suffix := range []string{"", "-wal"} {
		if fi, err := os.Stat(s.path + suffix); err == nil {
			total += fi.Size()
		}
	}
	return total
}

// lockErr turns SQLite's busy/locked errors into ErrLocked, and a full
// disk into ErrDiskFull.
func lockErr(err error) error {
	var se sqlite3.Error
	switch {
	case !errors.As(err, &se):
	case se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked:
		return fmt.Errorf("%w: %v", ErrLocked, err)
	case se.Code == sqlite3.ErrFull:
		return fmt.Errorf("%w: %v", ErrDiskFull, err)
	}
	return err
}

// Writable reports ErrDiskFull for a while after a write failed for want
// of room, until a write succeeds, for readiness: a server that cannot
// store is not ready. The report lapses after diskFullHold, so a server
// that gets no writes (its traffic stopped because it was not ready) turns
// ready again once room may be back; the next write that finds the disk
// full renews it.
func (s *Store) Writable() error {
	if at := s.diskFullAt.Load(); at != 0 && time.Since(time.Unix(0, at)) < diskFullHold {
		return ErrDiskFull
	}
	return nil
}

// diskFullHold is how long one full-disk failure keeps the store unready.
var diskFullHold = 30 * time.Second

func unixMilli(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

func fromMilli(ms sql.NullInt64) time.Time {
	if !ms.Valid {
		return time.Time{}
	}
	return time.UnixMilli(ms.Int64).UTC()
}

// withTx runs fn in a write transaction.
func (s *Store) withTx(ctx context.Context, fn func(*sql.Tx) error) error {
	return s.withConnTx(ctx, func(_ *sql.Conn, tx *sql.Tx) error { return fn(tx) })
}

// withConnTx is withTx for fn that also runs statements on the
// transaction's connection itself (sql.Conn.Raw).
func (s *Store) withConnTx(ctx context.Context, fn func(*sql.Conn, *sql.Tx) error) error {
	err := s.tx(ctx, fn)
	switch {
	case err == nil:
		s.diskFullAt.Store(0)
	case errors.Is(err, ErrDiskFull):
		s.diskFullAt.Store(time.Now().UnixNano())
	}
	return err
}

// tx waits for another process's write lock at most BusyTimeout, counted
// from when it was called: time spent queued for the one write connection
// (behind another batch that may itself be waiting on that lock) comes off
// SQLite's wait. Waits used to add up: a POST queued behind a plugin's
// batch under a locked database waited twice. Queueing behind this
// process's own work is no lock, and never fails the write.
func (s *Store) tx(ctx context.Context, fn func(*sql.Conn, *sql.Tx) error) error {
	deadline := time.Now().Add(s.opts.BusyTimeout)
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	left := max(time.Until(deadline), time.Millisecond)
	if _, err := conn.ExecContext(ctx, "PRAGMA busy_timeout = "+strconv.FormatInt(left.Milliseconds(), 10)); err != nil {
		return lockErr(err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return lockErr(err)
	}
	if err := fn(conn, tx); err != nil {
		tx.Rollback()
		return lockErr(err)
	}
	if err := tx.Commit(); err != nil {
		return lockErr(err)
	}
	return nil
}

// Ping checks the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.read.PingContext(ctx) }
