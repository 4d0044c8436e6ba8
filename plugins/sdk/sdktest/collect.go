package sdktest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// Collector is what Collect drives: an sdk.Source in the test's own
// process, or an *sdk.Plugin started with sdk.Launch.
type Collector interface {
	Collect(ctx context.Context, cursor string, emit sdk.Emit) error
}

// ErrHostGone is what the emit of Collect returns once stopAfter batches
// are taken, as a host that went away would.
var ErrHostGone = errors.New("sdktest: the host went away")

// Collect runs one Collect from cursor and returns the batches taken. Each
// is checked with sdk.Validate, as the host does: an invalid one stops the
// Collect with its problems. With stopAfter > 0 the host goes away after
// that many batches, which a plugin must notice (its Collect then
// returns an error) and recover from through the cursor.
func Collect(ctx context.Context, c Collector, cursor string, stopAfter int) ([]sdk.Batch, error) {
	var out []sdk.Batch
	err := c.Collect(ctx, cursor, func(b sdk.Batch) error {
		if stopAfter > 0 && len(out) == stopAfter {
			return ErrHostGone
		}
		if err := sdk.Validate(&b); err != nil {
			return err
		}
		out = append(out, b)
		return nil
	})
	return out, err
}

// LastCursor is the cursor the host holds after storing batches: the last
// one a batch carried, else before.
func LastCursor(batches []sdk.Batch, before string) string {
	for i := len(batches) - 1; i >= 0; i-- {
		if batches[i].Cursor != "" {
			return batches[i].Cursor
		}
	}
	return before
}

// Golden compares batches, as indented JSON, with the golden file at path;
// with update it first writes them there (a test's -update flag), so a
// reviewer reads the change to the plugin's output as a diff.
func Golden(t testing.TB, path string, batches []sdk.Batch, update bool) {
	t.Helper()
	got, err := json.MarshalIndent(batches, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, got) {
		t.Fatalf("batches differ from %s (run the test with -update to rewrite it):\n%s", path, got)
	}
}

// ResumeAtEveryCut cuts a Collect from no cursor after each of its batches
// in turn (the host going away) and resumes it from the cursor stored with
// the last batch taken. Each time, the two runs together must emit exactly
// the items of one uninterrupted Collect, in order: nothing lost, nothing
// twice. It returns how many cuts it made. The source must give the same
// answers each time (a fixed clock, a fixed test server).
func ResumeAtEveryCut(ctx context.Context, c Collector) (int, error) {
	whole, err := Collect(ctx, c, "", 0)
	if err != nil {
		return 0, fmt.Errorf("uninterrupted collect: %w", err)
	}
	want := items(whole)
	for cut := 1; cut < len(whole); cut++ {
		first, err := Collect(ctx, c, "", cut)
		if !errors.Is(err, ErrHostGone) {
			return cut - 1, fmt.Errorf("cut after batch %d: Collect returned %v, want the host's error", cut, err)
		}
		rest, err := Collect(ctx, c, LastCursor(first, ""), 0)
		if err != nil {
			return cut - 1, fmt.Errorf("resuming after batch %d: %w", cut, err)
		}
		if got := items(append(first, rest...)); !slices.Equal(got, want) {
			return cut - 1, fmt.Errorf("cut after batch %d and resumed:\n got %v\nwant %v", cut, got, want)
		}
	}
	return len(whole) - 1, nil
}

// items are every item of batches as JSON, in order; cursors left out.
func items(batches []sdk.Batch) []string {
	var out []string
	add := func(v any) {
		b, _ := json.Marshal(v)
		out = append(out, string(b))
	}
	for _, b := range batches {
		for _, e := range b.Events {
			add(e)
		}
		for _, e := range b.Entities {
			add(e)
		}
		for _, m := range b.DailyMetrics {
			add(m)
		}
	}
	return out
}

// Configs checks that the schema a source describes (which the host checks
// first) and its Configure both refuse each bad config (JSON) naming the
// field it maps to, and both accept each good one: the two must never
// disagree.
func Configs(t testing.TB, newSource func() sdk.Source, bad map[string]string, good []string) {
	t.Helper()
	schema, err := sdk.CompileConfigSchema(newSource().Describe().ConfigSchema)
	if err != nil {
		t.Fatal(err)
	}
	check := func(config string) map[string]error {
		return map[string]error{
			"schema":    schema.Validate([]byte(config)),
			"Configure": newSource().Configure(context.Background(), json.RawMessage(config)),
		}
	}
	for config, field := range bad {
		for by, err := range check(config) {
			if err == nil || !strings.Contains(err.Error(), field+": ") {
				t.Errorf("%s of %s: %v, want an error naming %s", by, config, err, field)
			}
		}
	}
	for _, config := range good {
		for by, err := range check(config) {
			if err != nil {
				t.Errorf("%s refuses %s: %v", by, config, err)
			}
		}
	}
}

// ReadmeShowsSampleConfig fails t unless the plugin's README.md (in the
// test's folder) holds sampleConfig as its yaml configuration block, so
// the documented configuration is the one the plugin prints.
func ReadmeShowsSampleConfig(t testing.TB, sampleConfig string) {
	t.Helper()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```yaml\n"+sampleConfig+"```") {
		t.Fatal("README.md's configuration block is not sample.yaml; copy sample.yaml into it")
	}
}
