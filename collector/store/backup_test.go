package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// backupBatch is batch i of a test source: perBatch events of about 1 KiB
// each, so a few dozen batches fill hundreds of pages.
func backupBatch(i, perBatch int) sdk.Batch {
	attrs := []byte(fmt.Sprintf(`{"pad":%q}`, strings.Repeat("x", 1000)))
	b := sdk.Batch{Cursor: fmt.Sprint(i)}
	for j := range perBatch {
		e := event(fmt.Sprintf("b%05d-%03d", i, j), sdk.KindMetricsUpdated)
		e.Attrs = attrs
		b.Events = append(b.Events, e)
	}
	return b
}

// openCopy opens a backup read-only and checks it is whole.
func openCopy(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var check string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check of the copy: %q, %v", check, err)
	}
	return db
}

// dirNames lists dir, sorted.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// A backup taken while another goroutine keeps storing batches is one
// consistent snapshot: it passes integrity_check, holds every batch
// acknowledged before it started, holds each batch whole or not at all and
// only a prefix of the batches (they commit in order), and the copy never
// restarted although batches committed in the middle of it. The copy is a
// single rollback-journal file that a Store opens as a restored database.
func TestBackupWhileBatchesAreApplied(t *testing.T) {
	const perBatch = 10
	s := openTest(t, Options{})
	ctx := context.Background()
	for i := range 40 {
		mustApply(t, s, "bk", backupBatch(i, perBatch))
	}

	var mu sync.Mutex
	acked := 40 // batches 0..acked-1 are stored
	stop := make(chan struct{})
	writerDone := make(chan error, 1)
	go func() {
		for i := 40; ; i++ {
			select {
			case <-stop:
				writerDone <- nil
				return
			default:
			}
			b := backupBatch(i, perBatch)
			v, err := sdk.ValidateBatch(&b)
			if err != nil {
				writerDone <- err
				return
			}
			if _, err := s.ApplyValidated(ctx, "bk", v); err != nil {
				writerDone <- err
				return
			}
			mu.Lock()
			acked = i + 1
			mu.Unlock()
		}
	}()
	// Let the writer get going, then note what was acknowledged.
	for {
		mu.Lock()
		n := acked
		mu.Unlock()
		if n >= 42 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	mu.Lock()
	before := acked
	mu.Unlock()

	var progress [][2]int
	waited := false
	dst := filepath.Join(t.TempDir(), "copy.db")
	res, err := Backup(ctx, s.Path(), dst, BackupOptions{
		stepPages:     4,
		progressEvery: time.Nanosecond,
		Progress: func(copied, total int) {
			progress = append(progress, [2]int{copied, total})
			if !waited {
				// A batch commits in the middle of the copy, every time.
				waited = true
				ackedNow := func() int { mu.Lock(); defer mu.Unlock(); return acked }
				n, deadline := ackedNow(), time.Now().Add(10*time.Second)
				for ackedNow() == n {
					if time.Now().After(deadline) {
						t.Error("the writer stored nothing during the backup")
						return
					}
					time.Sleep(time.Millisecond)
				}
			}
		},
	})
	close(stop)
	if werr := <-writerDone; werr != nil {
		t.Fatalf("the writer failed during the backup: %v", werr)
	}
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	after := acked
	mu.Unlock()
	if after <= before {
		t.Fatalf("no batch was stored while the backup ran (%d before, %d after)", before, after)
	}
	if res.Path != dst || res.Pages < 100 || res.Took <= 0 {
		t.Fatalf("result %+v", res)
	}
	if fi, err := os.Stat(dst); err != nil || fi.Size() != res.Bytes || fi.Size() != int64(res.Pages)*4096 {
		t.Fatalf("the copy's size %v (%v), result says %d bytes, %d pages", fi, err, res.Bytes, res.Pages)
	} else if fi.Mode().Perm() != 0o600 {
		// It holds every tenant's data and the tokens' hashes.
		t.Fatalf("the copy's mode is %v, want 0600", fi.Mode().Perm())
	}
	if len(progress) < 2 {
		t.Fatalf("progress reported %d times for %d pages in steps of 4", len(progress), res.Pages)
	}
	for i := 1; i < len(progress); i++ {
		if progress[i][0] < progress[i-1][0] {
			t.Fatalf("the copy restarted: progress went from %v to %v", progress[i-1], progress[i])
		}
	}

	// Self-contained: nothing beside it, and its header says rollback
	// journal (1), not WAL (2), so opening it makes no -wal either.
	if names := dirNames(t, filepath.Dir(dst)); !slices.Equal(names, []string{"copy.db"}) {
		t.Fatalf("files beside the copy: %v", names)
	}
	header := make([]byte, 20)
	f, err := os.Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	f.ReadAt(header, 0)
	f.Close()
	if header[18] != 1 || header[19] != 1 {
		t.Fatalf("the copy's file format bytes are %d,%d, want 1,1 (rollback journal)", header[18], header[19])
	}

	db := openCopy(t, dst)
	perBatchInCopy := map[string]int{}
	rows, err := db.Query(`SELECT key FROM events WHERE source = 'bk'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var key string
		rows.Scan(&key)
		batch, _, _ := strings.Cut(key, "-")
		perBatchInCopy[batch]++
	}
	rows.Close()
	for i := range after {
		n := perBatchInCopy[fmt.Sprintf("b%05d", i)]
		switch {
		case i < before && n != perBatch:
			t.Errorf("batch %d, acknowledged before the backup, has %d of %d events in the copy", i, n, perBatch)
		case n != 0 && n != perBatch:
			t.Errorf("batch %d is in the copy by halves: %d of %d events", i, n, perBatch)
		case n == perBatch && i > 0 && perBatchInCopy[fmt.Sprintf("b%05d", i-1)] == 0:
			t.Errorf("batch %d is in the copy but batch %d, stored before it, is not", i, i-1)
		}
	}
	var cursor string
	if err := db.QueryRow(`SELECT cursor FROM cursors WHERE source = 'bk'`).Scan(&cursor); err != nil {
		t.Fatal(err)
	}
	if total := len(perBatchInCopy); cursor != fmt.Sprint(total-1) {
		t.Errorf("the copy holds %d batches but its cursor is %q", total, cursor)
	}
	db.Close()

	// Restoring is putting the copy in place of the database.
	restored := filepath.Join(t.TempDir(), "cc.db")
	raw, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(restored, raw, 0o600)
	r, err := Open(restored, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if n := count(t, r, `SELECT count(*) FROM events WHERE source = 'bk'`); n < before*perBatch {
		t.Fatalf("the restored database has %d events, want at least %d", n, before*perBatch)
	}
	if c, err := r.Cursor(ctx, "bk"); err != nil || c != cursor {
		t.Fatalf("restored cursor %q, %v; want %q", c, err, cursor)
	}
}

// An existing destination is refused unless forced, and never left
// half-written; the database itself is never a destination.
func TestBackupDestinations(t *testing.T) {
	s := openTest(t, Options{})
	mustApply(t, s, "bk", backupBatch(0, 3))
	cases := []struct {
		name    string
		dst     func(dir string) string // the destination, made in dir
		force   bool
		wantErr string // "" succeeds
		wantIs  error
	}{
		{"a new file", func(dir string) string { return filepath.Join(dir, "new.db") }, false, "", nil},
		{"an existing file without force", func(dir string) string {
			p := filepath.Join(dir, "old.db")
			os.WriteFile(p, []byte("keep me"), 0o600)
			return p
		}, false, "old.db", ErrBackupExists},
		{"an existing file with force", func(dir string) string {
			p := filepath.Join(dir, "old.db")
			os.WriteFile(p, []byte("replace me"), 0o600)
			return p
		}, true, "", nil},
		{"an existing directory with force", func(dir string) string {
			p := filepath.Join(dir, "sub")
			os.Mkdir(p, 0o700)
			return p
		}, true, "is a directory", nil},
		{"the database itself", func(string) string { return s.Path() }, true, "the database's own file", nil},
		{"the database's WAL", func(string) string { return s.Path() + "-wal" }, true, "the database's own file", nil},
		{"a directory that is not there", func(dir string) string { return filepath.Join(dir, "missing", "x.db") }, true, "creating the backup file", fs.ErrNotExist},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			dst := tc.dst(dir)
			beforeNames := dirNames(t, dir)
			old, oldErr := os.ReadFile(dst)
			_, err := Backup(context.Background(), s.Path(), dst, BackupOptions{Force: tc.force})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				openCopy(t, dst)
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || (tc.wantIs != nil && !errors.Is(err, tc.wantIs)) {
				t.Fatalf("err = %v, want one saying %q (is %v)", err, tc.wantErr, tc.wantIs)
			}
			if names := dirNames(t, dir); !slices.Equal(names, beforeNames) {
				t.Errorf("the failed backup changed the directory: %v, was %v", names, beforeNames)
			}
			if now, nowErr := os.ReadFile(dst); string(now) != string(old) || (oldErr == nil) != (nowErr == nil) {
				t.Errorf("the destination changed: %q (%v), was %q (%v)", now, nowErr, old, oldErr)
			}
		})
	}
	if n := count(t, s, `SELECT count(*) FROM events`); n != 3 {
		t.Fatalf("the database has %d events after the backups, want 3", n)
	}
	if _, err := Backup(context.Background(), filepath.Join(t.TempDir(), "typo.db"), filepath.Join(t.TempDir(), "x.db"), BackupOptions{}); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("backup of a database that is not there: %v", err)
	}
}

// A backup that fails in the middle of the copy (here: canceled, as by
// Ctrl-C) removes its temporary file and leaves the destination as it was,
// even when forced over an existing one.
func TestBackupInterruptedLeavesNothing(t *testing.T) {
	s := openTest(t, Options{})
	for i := range 10 {
		mustApply(t, s, "bk", backupBatch(i, 10))
	}
	for _, existing := range []bool{false, true} {
		t.Run(fmt.Sprintf("existing=%v", existing), func(t *testing.T) {
			dir := t.TempDir()
			dst := filepath.Join(dir, "copy.db")
			if existing {
				os.WriteFile(dst, []byte("the previous backup"), 0o600)
			}
			beforeNames := dirNames(t, dir)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var sawTemp bool
			_, err := Backup(ctx, s.Path(), dst, BackupOptions{
				Force:         true,
				stepPages:     2,
				progressEvery: time.Nanosecond,
				Progress: func(copied, total int) {
					// The copy is under way in a temporary file beside dst.
					sawTemp = len(dirNames(t, dir)) > len(beforeNames)
					cancel()
				},
			})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
			if !sawTemp {
				t.Error("no temporary file beside the destination while copying")
			}
			if names := dirNames(t, dir); !slices.Equal(names, beforeNames) {
				t.Errorf("left behind: %v, was %v", names, beforeNames)
			}
			got, err := os.ReadFile(dst)
			if existing && string(got) != "the previous backup" {
				t.Errorf("the existing file changed: %q, %v", got, err)
			}
			if !existing && !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the destination exists: %v", err)
			}
		})
	}
}
