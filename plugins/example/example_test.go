package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/commandcenter/commandcenter/plugins/sdk"
	"github.com/commandcenter/commandcenter/plugins/sdk/sdktest"
)

// TestConformance is what plugins/README.md tells an author to write: the
// plugin built, then sdktest's whole suite in one call.
func TestConformance(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "example")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	events, err := filepath.Abs("testdata/events.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	config, _ := json.Marshal(map[string]any{"path": events, "batch_size": 4})
	sdktest.Test(t, sdktest.Plugin{Command: []string{bin}, Config: config})
}

// A line appended after a Collect is the only thing the next one emits;
// a half-written line waits until its newline arrives.
func TestTailsTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	data, err := os.ReadFile("testdata/events.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, data, 0o644)
	s := &source{}
	raw, _ := json.Marshal(map[string]any{"path": path})
	if err := s.Configure(t.Context(), raw); err != nil {
		t.Fatal(err)
	}
	collect := func(cursor string) (int, string) {
		n := 0
		err := s.Collect(t.Context(), cursor, func(b sdk.Batch) error {
			n += len(b.Events)
			cursor = b.Cursor
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return n, cursor
	}
	n, cursor := collect("")
	if lines := bytes.Count(data, []byte("\n")); n != lines {
		t.Fatalf("first collect: %d events, file has %d lines", n, lines)
	}
	line := `{"key":"late","tenant":"acme","kind":"payment.paid","entity":{"type":"payment","id":"p-9"},"occurred_at":"2026-11-23T10:00:00Z"}`
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(line[:20])
	if n, _ := collect(cursor); n != 0 {
		t.Fatalf("a half-written line was emitted")
	}
	f.WriteString(line[20:] + "\n")
	f.Close()
	if n, _ := collect(cursor); n != 1 {
		t.Fatalf("after the line was finished: %d events, want 1", n)
	}
}
