package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// `backup` copies the database of a running serve while batches keep
// arriving through the API: serve's lock on the data directory does not
// stop it, serve keeps storing meanwhile, and the copy is a whole database
// holding every batch acknowledged before the backup started, and the
// token.
func TestBackupWhileServeRuns(t *testing.T) {
	dataDir := t.TempDir()
	code, token, stderr := runBinary(t, "tokens", "create", "--data-dir", dataDir, "--tenant", "acme", "--scope", "ingest")
	if code != 0 {
		t.Fatalf("tokens create: %d %s", code, stderr)
	}
	s := startServe(t, "--data-dir", dataDir)
	client, err := apiv1.New(apiv1.Config{URL: s.Base, Token: strings.TrimSpace(token)})
	if err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	var acked []string // keys of events whose batch was acknowledged
	var pushErr error
	stop := make(chan struct{})
	pushed := make(chan struct{})
	go func() {
		defer close(pushed)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond): // under the API's default rate limit
			}
			var req apiv1.PushRequest
			var keys []string
			for j := range 20 {
				key := fmt.Sprintf("k%04d-%02d", i, j)
				keys = append(keys, key)
				req.Events = append(req.Events, sdk.Event{Key: key, Kind: sdk.KindMetricsUpdated, OccurredAt: time.Now().UTC(),
					Entity: sdk.EntityRef{Type: "campaign", ID: "c1"}, Attrs: []byte(`{"pad":"` + strings.Repeat("x", 500) + `"}`)})
			}
			if _, err := client.Push(context.Background(), "", req); err != nil {
				mu.Lock()
				pushErr = err
				mu.Unlock()
				return
			}
			mu.Lock()
			acked = append(acked, keys...)
			mu.Unlock()
		}
	}()
	ackedNow := func() []string { mu.Lock(); defer mu.Unlock(); return slices.Clone(acked) }
	eventually(t, "batches stored through the API", 30*time.Second, func() bool { return len(ackedNow()) >= 200 })

	dst := filepath.Join(t.TempDir(), "backup.db")
	before := ackedNow()
	code, out, stderr := runBinary(t, "backup", "--data-dir", dataDir, dst)
	during := len(ackedNow()) - len(before)
	close(stop)
	<-pushed
	if code != 0 {
		t.Fatalf("backup while serve runs: exit %d\n%s", code, stderr)
	}
	if !regexp.MustCompile(`^Wrote ` + regexp.QuoteMeta(dst) + `: \d+ bytes \([0-9.]+ MiB\), \d+ pages, in [0-9.]+m?s\.\n$`).MatchString(out) {
		t.Fatalf("backup printed %q", out)
	}
	if pushErr != nil {
		t.Fatalf("storing a batch failed while the backup ran: %v", pushErr)
	}
	t.Logf("%d events acknowledged before the backup, %d while it ran", len(before), during)
	if code, _ := s.Get(t, "/healthz", ""); code != 200 {
		t.Fatalf("serve's healthz is %d after the backup", code)
	}
	if _, err := os.Stat(dst + "-wal"); !os.IsNotExist(err) {
		t.Fatalf("a -wal beside the copy: %v", err)
	}

	db, err := sql.Open("sqlite3", "file:"+dst+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check of the copy: %q %v", check, err)
	}
	inCopy := map[string]bool{}
	rows, err := db.Query(`SELECT key FROM events WHERE source = 'api' AND tenant = 'acme'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var key string
		rows.Scan(&key)
		inCopy[key] = true
	}
	rows.Close()
	for _, key := range before {
		if !inCopy[key] {
			t.Fatalf("event %s, acknowledged before the backup, is not in the copy (%d of %d are)", key, len(inCopy), len(before))
		}
	}
	var tokens int
	if err := db.QueryRow(`SELECT count(*) FROM tokens WHERE tenant = 'acme'`).Scan(&tokens); err != nil || tokens != 1 {
		t.Fatalf("tokens in the copy: %d %v", tokens, err)
	}
}

// backup's refusals: a data directory without a database (a mistyped
// --data-dir), an existing file without --force; --force replaces it.
func TestBackupCommandErrors(t *testing.T) {
	dataDir := t.TempDir()
	if code, _, stderr := runBinary(t, "tokens", "create", "--data-dir", dataDir, "--tenant", "acme"); code != 0 {
		t.Fatalf("tokens create: %s", stderr)
	}
	dir := t.TempDir()
	existing := filepath.Join(dir, "old.db")
	os.WriteFile(existing, []byte("the previous backup"), 0o600)
	cases := []struct {
		name   string
		args   []string
		code   int
		stdout string // stdout contains
		stderr string // stderr contains
		kept   string // existing still holds this
	}{
		{"no database in the data dir", []string{"backup", "--data-dir", filepath.Join(dataDir, "typo"), filepath.Join(dir, "x.db")}, 1, "",
			"no database at " + filepath.Join(dataDir, "typo", "commandcenter.db"), "the previous backup"},
		{"no file given", []string{"backup", "--data-dir", dataDir}, 2, "", "required argument 'file' not provided", "the previous backup"},
		{"an existing file without --force", []string{"backup", "--data-dir", dataDir, existing}, 1, "",
			existing + " already exists: give --force to replace it", "the previous backup"},
		{"a directory that is not there", []string{"backup", "--data-dir", dataDir, filepath.Join(dir, "missing", "x.db")}, 1, "",
			"creating the backup file", "the previous backup"},
		{"an existing file with --force", []string{"backup", "--data-dir", dataDir, "--force", existing}, 0, "Wrote " + existing, "", "SQLite format 3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runBinary(t, tc.args...)
			if code != tc.code || !strings.Contains(stdout, tc.stdout) || !strings.Contains(stderr, tc.stderr) {
				t.Fatalf("exit %d (want %d)\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			if got, _ := os.ReadFile(existing); !strings.HasPrefix(string(got), tc.kept) {
				t.Fatalf("%s starts with %.20q, want %q", existing, got, tc.kept)
			}
			if names, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(names) > 0 {
				t.Fatalf("temporary files left: %v", names)
			}
		})
	}
}
