package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"
)

// ErrBackupExists is returned by Backup when the destination is already
// there and BackupOptions.Force is not set. Nothing was written.
var ErrBackupExists = errors.New("backup destination already exists")

// BackupOptions tune Backup; the zero value is usable.
type BackupOptions struct {
	// Force replaces an existing destination. Even then it is replaced
	// only by a finished, checked copy: a failed backup leaves it as it was.
	Force bool
	// Progress, when set, is called with the pages copied so far and the
	// total at most about once a second while the copy runs, so a small
	// database that copies in under a second reports nothing.
	Progress func(copied, total int)
	// BusyTimeout is how long opening the snapshot, or a copy that makes no
	// progress, waits for another process's lock. Default 5s.
	BusyTimeout time.Duration

	// stepPages and progressEvery are for tests: pages per backup step
	// (default 1024) and the least time between Progress calls (default 1s).
	stepPages     int
	progressEvery time.Duration
}

// BackupResult says what Backup wrote.
type BackupResult struct {
	// Path is the file written (the destination).
	Path string
	// Bytes is its size.
	Bytes int64
	// Pages is how many database pages it holds.
	Pages int
	// Took is how long the whole backup took, the check included.
	Took time.Duration
}

// Backup copies the SQLite database at src into the new file dst through
// SQLite's online backup API, as one consistent snapshot. It only reads
// src, through a connection of its own: it needs no Store, no write lock
// and no serve.lock, so it runs while serve writes (in WAL mode a reader
// does not block the writer). The copy is written to a temporary file
// beside dst, checked with PRAGMA integrity_check and turned into a
// rollback-journal database that needs no -wal file; only then is it
// renamed to dst. A failed or canceled backup removes its temporary file
// and never creates or touches dst. An existing dst is refused with
// ErrBackupExists unless opts.Force.
func Backup(ctx context.Context, src, dst string, opts BackupOptions) (BackupResult, error) {
	start := time.Now()
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 5 * time.Second
	}
	if opts.stepPages <= 0 {
		opts.stepPages = 1024
	}
	if opts.progressEvery <= 0 {
		opts.progressEvery = time.Second
	}
	srcInfo, err := os.Stat(src)
	if err != nil {
		return BackupResult{}, fmt.Errorf("the database: %w", err)
	}
	if err := checkDestination(src, srcInfo, dst, opts.Force); err != nil {
		return BackupResult{}, err
	}
	// The temporary file is named after dst, visibly, so one left by a
	// killed backup is easy to spot; CreateTemp makes it 0600, and the copy
	// holds every tenant's data.
	f, err := os.CreateTemp(filepath.Dir(dst), filepath.Base(dst)+".*.tmp")
	if err != nil {
		return BackupResult{}, fmt.Errorf("creating the backup file: %w", err)
	}
	tmp := f.Name()
	f.Close()
	placed := false
	defer func() {
		if !placed {
			removeDatabaseFiles(tmp)
		}
	}()
	pages, err := copyDatabase(ctx, src, tmp, opts)
	if err != nil {
		return BackupResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return BackupResult{}, err
	}
	if err := placeBackup(tmp, dst, opts.Force); err != nil {
		return BackupResult{}, err
	}
	placed = true
	// The rename is durable only once the directory is synced.
	if d, err := os.Open(filepath.Dir(dst)); err == nil {
		d.Sync()
		d.Close()
	}
	fi, err := os.Stat(dst)
	if err != nil {
		return BackupResult{}, err
	}
	return BackupResult{Path: dst, Bytes: fi.Size(), Pages: pages, Took: time.Since(start)}, nil
}

// checkDestination refuses a dst that exists (without force) or that is
// the database itself or one of its side files: replacing those under a
// running serve would corrupt it.
func checkDestination(src string, srcInfo fs.FileInfo, dst string, force bool) error {
	absSrc, err1 := filepath.Abs(src)
	absDst, err2 := filepath.Abs(dst)
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		if absDst == absSrc+suffix {
			return fmt.Errorf("%s is the database's own file: back up into another file", dst)
		}
	}
	fi, err := os.Stat(dst)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case os.SameFile(fi, srcInfo):
		return fmt.Errorf("%s is the database's own file: back up into another file", dst)
	case fi.IsDir():
		return fmt.Errorf("%s is a directory: name the backup file itself", dst)
	case !force:
		return fmt.Errorf("%s: %w", dst, ErrBackupExists)
	}
	return nil
}

// copyDatabase copies src into the empty database file tmp and returns its
// page count, once the copy is checked and self-contained.
func copyDatabase(ctx context.Context, src, tmp string, opts BackupOptions) (int, error) {
	// mode=ro: the backup never writes the database, nor checkpoints or
	// deletes the WAL of a serve running on it. (With no serve running, it
	// may leave an empty -wal and the -shm beside it, as a running serve
	// has them; SQLite gives them the database's owner.)
	srcDB, err := sql.Open("sqlite3", "file:"+src+"?mode=ro&_busy_timeout="+strconv.FormatInt(opts.BusyTimeout.Milliseconds(), 10))
	if err != nil {
		return 0, err
	}
	defer srcDB.Close()
	dstDB, err := sql.Open("sqlite3", "file:"+tmp)
	if err != nil {
		return 0, err
	}
	defer dstDB.Close()
	srcConn, err := srcDB.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("opening the database: %w", err)
	}
	defer srcConn.Close()
	dstConn, err := dstDB.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("opening the backup file: %w", err)
	}
	defer dstConn.Close()

	// One snapshot, yet progress to report: the copy steps through the
	// pages in chunks, all inside one read transaction held open on the
	// source connection. sqlite3_backup_step opens (and closes again) a
	// read transaction of its own only when none is open, and restarts
	// from page 1 when it finds that another connection changed the
	// database since its last step; with the snapshot held it never sees
	// one, so serve's commits during the copy neither restart it (which a
	// steady stream of batches could do forever) nor get half into it.
	// Step(-1) would also be one snapshot, but says nothing until done.
	// Holding the snapshot does not block serve's writer (WAL); it only
	// keeps checkpoints from going past it, so the WAL may grow until the
	// copy ends.
	if _, err := srcConn.ExecContext(ctx, "BEGIN"); err != nil {
		return 0, fmt.Errorf("reading the database: %w", lockErr(err))
	}
	defer srcConn.ExecContext(context.Background(), "ROLLBACK")
	var tables int
	if err := srcConn.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&tables); err != nil {
		return 0, fmt.Errorf("reading the database: %w", lockErr(err))
	}

	var pages int
	err = dstConn.Raw(func(d any) error {
		return srcConn.Raw(func(s any) error {
			dc, ok1 := d.(*sqlite3.SQLiteConn)
			sc, ok2 := s.(*sqlite3.SQLiteConn)
			if !ok1 || !ok2 {
				return fmt.Errorf("unexpected SQLite driver connection %T", s)
			}
			b, err := dc.Backup("main", sc, "main")
			if err != nil {
				return err
			}
			pages, err = stepBackup(ctx, b, opts)
			return errors.Join(err, b.Finish())
		})
	})
	if err != nil {
		return 0, fmt.Errorf("copying the database: %w", lockErr(err))
	}
	if _, err := srcConn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		return 0, fmt.Errorf("ending the read of the database: %w", err)
	}

	// The copied first page says WAL, as the source's does: switching the
	// copy to a rollback journal makes it one file that opens alone.
	var mode string
	if err := dstConn.QueryRowContext(ctx, "PRAGMA journal_mode = DELETE").Scan(&mode); err != nil {
		return 0, fmt.Errorf("setting the backup's journal mode: %w", err)
	}
	if mode != "delete" {
		return 0, fmt.Errorf("the backup's journal mode stayed %q", mode)
	}
	if err := integrityCheck(ctx, dstConn); err != nil {
		return 0, err
	}
	if err := errors.Join(dstConn.Close(), dstDB.Close()); err != nil {
		return 0, fmt.Errorf("closing the backup file: %w", err)
	}
	return pages, nil
}

// stepBackup runs b to the end, opts.stepPages at a time, reporting
// progress, and returns the pages copied.
func stepBackup(ctx context.Context, b *sqlite3.SQLiteBackup, opts BackupOptions) (int, error) {
	lastReport := time.Now()
	progressAt := time.Now()
	copied := -1
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		// Step reports SQLITE_BUSY and SQLITE_LOCKED as not done, no error.
		done, err := b.Step(opts.stepPages)
		if err != nil {
			return 0, err
		}
		total := b.PageCount()
		if done {
			return total, nil
		}
		now := time.Now()
		switch c := total - b.Remaining(); {
		case c != copied:
			copied, progressAt = c, now
		case now.Sub(progressAt) > opts.BusyTimeout:
			// Locked out, or restarting again and again (which the held
			// snapshot rules out): either way, give up rather than spin.
			return 0, fmt.Errorf("no page copied for %s: is another process locking the database?", opts.BusyTimeout)
		default:
			time.Sleep(10 * time.Millisecond)
		}
		if opts.Progress != nil && now.Sub(lastReport) >= opts.progressEvery {
			opts.Progress(copied, total)
			lastReport = now
		}
	}
}

// integrityCheck runs PRAGMA integrity_check on conn's database.
func integrityCheck(ctx context.Context, conn *sql.Conn) error {
	rows, err := conn.QueryContext(ctx, "PRAGMA integrity_check(20)")
	if err != nil {
		return fmt.Errorf("checking the backup: %w", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return fmt.Errorf("checking the backup: %w", err)
		}
		problems = append(problems, line)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("checking the backup: %w", err)
	}
	if len(problems) != 1 || problems[0] != "ok" {
		return fmt.Errorf("the backup failed PRAGMA integrity_check: %s", strings.Join(problems, "; "))
	}
	return nil
}

// placeBackup gives the finished copy tmp the name dst. Without force a
// hard link does it, which fails rather than replace a dst that appeared
// since it was checked; a filesystem without hard links gets the check
// and a rename.
func placeBackup(tmp, dst string, force bool) error {
	if !force {
		err := os.Link(tmp, dst)
		if err == nil {
			os.Remove(tmp)
			return nil
		}
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s: %w", dst, ErrBackupExists)
		}
		if _, err := os.Lstat(dst); err == nil {
			return fmt.Errorf("%s: %w", dst, ErrBackupExists)
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("moving the backup into place: %w", err)
	}
	return nil
}

// removeDatabaseFiles removes a database file and whatever side files
// SQLite may have made beside it.
func removeDatabaseFiles(path string) {
	for _, suffix := range []string{"", "-journal", "-wal", "-shm"} {
		os.Remove(path + suffix)
	}
}
