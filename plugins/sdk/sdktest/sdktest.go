// Package sdktest is the conformance suite for commandcenter source
// plugins. It starts any plugin binary the way the host does (sdk.Launch)
// and checks that it obeys the protocol: the handshake; a complete
// Describe whose config schema compiles; a bad config refused with a
// message naming the field; Collect emitting only valid batches; a cursor
// that resumes without loss or duplicates; Check answering within a
// deadline; and the process going away with its host.
//
// From a plugin's own Go test it is one call:
//
//	func TestConformance(t *testing.T) {
//		sdktest.Test(t, sdktest.Plugin{Command: []string{"./myplugin"}, Config: []byte(`{"path": "testdata/in.jsonl"}`)})
//	}
//
// `commandcenter plugins check PATH` runs the same suite and prints Report.
package sdktest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// Plugin says how to start the plugin under test.
type Plugin struct {
	// Command is the executable and its arguments.
	Command []string
	// Config is a valid config for it, as JSON; nil sends {}. Point it at
	// a source with data (a test server, a file): the cursor checks need
	// at least one batch.
	Config json.RawMessage
	// Env adds variables to the plugin's environment (API keys).
	Env []string
	// Timeout bounds each step (start, Collect, Check). Default 30s.
	Timeout time.Duration
}

// Result is the outcome of one check.
type Result struct {
	Name string
	// Err is nil when the check passed.
	Err error
	// Detail says what was seen, passed or not.
	Detail  string
	Elapsed time.Duration
}

// Report is every check's result.
type Report struct {
	Plugin, Version string
	Results         []Result
}

// Passed reports whether every check passed.
func (r *Report) Passed() bool {
	return !slices.ContainsFunc(r.Results, func(x Result) bool { return x.Err != nil })
}

// WriteText prints the report for a person: a line per check.
func (r *Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "plugin %s %s\n", r.Plugin, r.Version)
	failed := 0
	for _, x := range r.Results {
		mark := "ok  "
		if x.Err != nil {
			mark = "FAIL"
			failed++
		}
		fmt.Fprintf(w, "%s %-24s %8s  %s\n", mark, x.Name, x.Elapsed.Round(time.Millisecond), x.Detail)
		if x.Err != nil {
			fmt.Fprintf(w, "     %s\n", strings.ReplaceAll(x.Err.Error(), "\n", "\n     "))
		}
	}
	if failed == 0 {
		fmt.Fprintf(w, "PASS: %d checks\n", len(r.Results))
	} else {
		fmt.Fprintf(w, "FAIL: %d of %d checks failed\n", failed, len(r.Results))
	}
}

// Test runs the suite as subtests of t, one per check.
func Test(t *testing.T, p Plugin) {
	t.Helper()
	r := Run(context.Background(), p)
	for _, x := range r.Results {
		t.Run(x.Name, func(t *testing.T) {
			t.Log(x.Detail)
			if x.Err != nil {
				t.Error(x.Err)
			}
		})
	}
}

// Run runs every check. Later checks that need a working plugin are
// reported failed, with the reason, when it does not start.
func Run(ctx context.Context, p Plugin) *Report {
	if p.Timeout <= 0 {
		p.Timeout = 30 * time.Second
	}
	if p.Config == nil {
		p.Config = json.RawMessage("{}")
	}
	s := &suite{p: p, report: &Report{}}
	s.check("handshake", s.handshake)
	s.check("describe", s.describe)
	s.check("bad config refused", s.badConfig)
	s.check("check answers", s.checkAnswers)
	s.check("collect valid batches", s.collectValid)
	s.check("cursor resumes", s.resumes)
	s.check("exits with its host", s.exitsWithHost)
	return s.report
}

type suite struct {
	p      Plugin
	report *Report
	desc   *sdk.Description
	// whole is what one uninterrupted Collect from no cursor emitted.
	whole []sdk.Batch
}

func (s *suite) check(name string, f func(context.Context) (string, error)) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*s.p.Timeout)
	defer cancel()
	start := time.Now()
	detail, err := f(ctx)
	s.report.Results = append(s.report.Results, Result{Name: name, Err: err, Detail: detail, Elapsed: time.Since(start)})
}

var errNotStarted = errors.New("skipped: the plugin did not start (see handshake)")

func (s *suite) command() *exec.Cmd {
	cmd := exec.Command(s.p.Command[0], s.p.Command[1:]...)
	cmd.Env = append(os.Environ(), s.p.Env...)
	return cmd
}

// launch starts the plugin exactly as the host does.
func (s *suite) launch(ctx context.Context, config json.RawMessage) (*sdk.Plugin, error) {
	if len(s.p.Command) == 0 {
		return nil, errors.New("no command to start the plugin")
	}
	return sdk.Launch(ctx, sdk.LaunchConfig{Cmd: s.command(), Config: config, Timeout: s.p.Timeout})
}

func (s *suite) handshake(ctx context.Context) (string, error) {
	start := time.Now()
	p, err := s.launch(ctx, s.p.Config)
	if err != nil {
		return "start, handshake, Describe, schema, Configure, Check", err
	}
	defer p.Kill()
	s.desc = &p.Description
	s.report.Plugin, s.report.Version = p.Description.Name, p.Description.Version
	return fmt.Sprintf("started (pid %d) and configured in %s", p.PID, time.Since(start).Round(time.Millisecond)), nil
}

func (s *suite) describe(context.Context) (string, error) {
	if s.desc == nil {
		return "", errNotStarted
	}
	d := s.desc
	var problems []string
	if !sdk.ValidSourceName(d.Name) {
		problems = append(problems, fmt.Sprintf("name %q: must be a lower-case letter then up to 31 of a-z 0-9 - _", d.Name))
	}
	if d.Version == "" {
		problems = append(problems, "version: empty")
	}
	if len(d.Kinds) == 0 && len(d.EntityTypes) == 0 {
		problems = append(problems, "kinds and entity types: both empty; say what the plugin emits")
	}
	for i, k := range d.Kinds {
		if p := sdk.CheckKind(fmt.Sprintf("kinds[%d]", i), k); p != nil {
			problems = append(problems, p.Path+": "+p.Message)
		}
	}
	for i, e := range d.EntityTypes {
		if !slices.Contains(sdk.EntityTypes, e) {
			problems = append(problems, fmt.Sprintf("entity_types[%d]: %q is not one of %v", i, e, sdk.EntityTypes))
		}
	}
	if _, err := sdk.CompileConfigSchema(d.ConfigSchema); err != nil {
		problems = append(problems, err.Error())
	}
	detail := fmt.Sprintf("kinds %v, entity types %v, schema %d bytes", d.Kinds, d.EntityTypes, len(d.ConfigSchema))
	if len(problems) > 0 {
		return detail, errors.New(strings.Join(problems, "\n"))
	}
	return detail, nil
}

// unknownField is a config field no plugin has.
const unknownField = "sdktest_no_such_field"

// badConfigs are configs the plugin must refuse, each with the field the
// refusal must name: the valid config plus an unknown field, and the
// valid config with each field the schema types given a value of another
// type.
func (s *suite) badConfigs() map[string]json.RawMessage {
	var base map[string]any
	if json.Unmarshal(s.p.Config, &base) != nil || base == nil {
		base = map[string]any{}
	}
	with := func(field string, v any) json.RawMessage {
		c := map[string]any{}
		for k, x := range base {
			c[k] = x
		}
		c[field] = v
		raw, _ := json.Marshal(c)
		return raw
	}
	out := map[string]json.RawMessage{unknownField: with(unknownField, 1)}
	var schema struct {
		Properties map[string]struct {
			Type any `json:"type"`
		} `json:"properties"`
	}
	json.Unmarshal(s.desc.ConfigSchema, &schema)
	for name, prop := range schema.Properties {
		if wrong, ok := wrongType(prop.Type); ok {
			out[name] = with(name, wrong)
		}
	}
	return out
}

// wrongType is a value that is not of JSON Schema type t.
func wrongType(t any) (any, bool) {
	switch t {
	case "string":
		return 12345, true
	case "integer", "number", "boolean", "array":
		return map[string]any{"sdktest": "wrong type"}, true
	case "object":
		return "wrong type", true
	}
	return nil, false
}

func (s *suite) badConfig(ctx context.Context) (string, error) {
	if s.desc == nil {
		return "", errNotStarted
	}
	var problems []string
	configs := s.badConfigs()
	for _, field := range slices.Sorted(maps.Keys(configs)) {
		p, err := s.launch(ctx, configs[field])
		if err == nil {
			p.Kill()
			problems = append(problems, fmt.Sprintf("%s: accepted %s", field, configs[field]))
			continue
		}
		var cerr sdk.ConfigErrors
		if !strings.Contains(err.Error(), field+": ") || !errors.As(err, &cerr) && !strings.Contains(err.Error(), "invalid plugin config") {
			problems = append(problems, fmt.Sprintf("%s: refused, but the error does not name the field as %q: %v", field, field+": …", err))
		}
	}
	detail := fmt.Sprintf("%d bad configs tried (an unknown field, and a wrong type for each typed field)", len(configs))
	if len(problems) > 0 {
		return detail, errors.New(strings.Join(problems, "\n"))
	}
	return detail, nil
}

// checkDeadline is how long Check may take: the host waits no longer
// before it reports a source's health.
const checkDeadline = 10 * time.Second

func (s *suite) checkAnswers(ctx context.Context) (string, error) {
	p, err := s.launch(ctx, s.p.Config)
	if err != nil {
		return "", errNotStarted
	}
	defer p.Kill()
	ctx, cancel := context.WithTimeout(ctx, checkDeadline)
	defer cancel()
	start := time.Now()
	healthy, msg, err := p.Check(ctx)
	took := time.Since(start).Round(time.Millisecond)
	if err != nil {
		return "", fmt.Errorf("Check did not answer within %s: %w", checkDeadline, err)
	}
	if !healthy {
		return fmt.Sprintf("answered in %s: unhealthy: %s", took, msg), fmt.Errorf("the source is unhealthy, so Collect cannot be checked: %s", msg)
	}
	return fmt.Sprintf("answered in %s: healthy", took), nil
}

// collect runs one Collect from cursor in a fresh process; stopAfter > 0
// makes the host go away after that many batches. Every batch is checked
// with sdk.Validate, as the host does.
func (s *suite) collect(ctx context.Context, cursor string, stopAfter int) ([]sdk.Batch, error) {
	p, err := s.launch(ctx, s.p.Config)
	if err != nil {
		return nil, err
	}
	defer p.Kill()
	ctx, cancel := context.WithTimeout(ctx, s.p.Timeout)
	defer cancel()
	out, err := Collect(ctx, p, cursor, stopAfter)
	if stopAfter > 0 && err != nil && len(out) == stopAfter {
		err = nil // the cut made on purpose
	}
	if err != nil && len(out) < stopAfter || err != nil && stopAfter == 0 {
		return out, fmt.Errorf("after batch %d: %w", len(out), err)
	}
	return out, nil
}

func (s *suite) collectValid(ctx context.Context) (string, error) {
	if s.desc == nil {
		return "", errNotStarted
	}
	batches, err := s.collect(ctx, "", 0)
	items := 0
	for _, b := range batches {
		items += b.Len()
	}
	detail := fmt.Sprintf("%d batches, %d items", len(batches), items)
	if err != nil {
		return detail, err
	}
	if items == 0 {
		return detail, errors.New("emitted nothing: give a config whose source has data, so the cursor can be checked")
	}
	if batches[len(batches)-1].Cursor == "" {
		return detail, errors.New("the last batch carries no cursor: the next Collect would start again from the beginning")
	}
	s.whole = batches
	return detail, nil
}

// itemKeys names each item of batches: events by key, entities and daily
// metrics by what the host upserts them by.
func itemKeys(batches []sdk.Batch) (events, states []string) {
	for _, b := range batches {
		for _, e := range b.Events {
			events = append(events, e.Tenant+" "+e.Key)
		}
		for _, e := range b.Entities {
			states = append(states, strings.Join([]string{"entity", e.Tenant, e.Type, e.ID}, " "))
		}
		for _, m := range b.DailyMetrics {
			states = append(states, strings.Join([]string{"metric", m.Tenant, m.Campaign, m.Influencer, m.Video, m.Platform, m.Day}, " "))
		}
	}
	return events, states
}

// resumes cuts a Collect after its first batch (and after half of them)
// and resumes from the cursor stored with the last batch taken: together
// the two runs must emit every item of one uninterrupted run, and no
// event twice.
func (s *suite) resumes(ctx context.Context) (string, error) {
	if s.whole == nil {
		return "", errors.New("skipped: needs a Collect that emitted data (see collect valid batches)")
	}
	wantEvents, wantStates := itemKeys(s.whole)
	cuts := []int{1}
	if n := len(s.whole); n >= 4 {
		cuts = append(cuts, n/2)
	}
	var problems []string
	for _, cut := range cuts {
		first, err := s.collect(ctx, "", cut)
		if err != nil {
			return "", fmt.Errorf("cut after %d: %w", cut, err)
		}
		cursor := LastCursor(first, "")
		rest, err := s.collect(ctx, cursor, 0)
		if err != nil {
			return "", fmt.Errorf("resuming from %q: %w", cursor, err)
		}
		gotEvents, gotStates := itemKeys(append(first, rest...))
		for _, missing := range missingFrom(gotEvents, wantEvents) {
			problems = append(problems, fmt.Sprintf("cut after batch %d: event %s lost", cut, missing))
		}
		for _, missing := range missingFrom(gotStates, wantStates) {
			problems = append(problems, fmt.Sprintf("cut after batch %d: %s lost", cut, missing))
		}
		for _, dup := range duplicates(gotEvents) {
			problems = append(problems, fmt.Sprintf("cut after batch %d: event %s emitted twice", cut, dup))
		}
	}
	detail := fmt.Sprintf("cut after batch %v of %d and resumed", cuts, len(s.whole))
	if len(problems) > 0 {
		if len(problems) > 10 {
			problems = append(problems[:10], fmt.Sprintf("… and %d more", len(problems)-10))
		}
		return detail, errors.New(strings.Join(problems, "\n"))
	}
	return detail, nil
}

func missingFrom(got, want []string) []string {
	have := map[string]bool{}
	for _, g := range got {
		have[g] = true
	}
	var out []string
	for _, w := range want {
		if !have[w] {
			out = append(out, w)
		}
	}
	return out
}

func duplicates(keys []string) []string {
	seen := map[string]int{}
	var out []string
	for _, k := range keys {
		if seen[k]++; seen[k] == 2 {
			out = append(out, k)
		}
	}
	return out
}

// hostEnv, set in a child's environment, makes that process a stand-in
// host (see init): the process running the suite starts itself again as
// a host, so that host can be killed.
const hostEnv = "COMMANDCENTER_SDKTEST_HOST"

// init is the stand-in host: it launches the plugin described by hostEnv
// as the real host does, prints its pid, and waits to be killed.
func init() {
	spec := os.Getenv(hostEnv)
	if spec == "" {
		return
	}
	os.Unsetenv(hostEnv) // or a plugin built with sdktest would be a host too
	var p Plugin
	if err := json.Unmarshal([]byte(spec), &p); err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	s := &suite{p: p}
	plugin, err := s.launch(context.Background(), p.Config)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	fmt.Println("pid", plugin.PID)
	select {}
}

// exitsWithHost starts a stand-in host process that launches the plugin,
// kills that host with SIGKILL (no chance to clean up), and waits for the
// plugin to be gone: a plugin left running would have nobody to stop it.
func (s *suite) exitsWithHost(ctx context.Context) (string, error) {
	if runtime.GOOS != "linux" {
		return "not checked on " + runtime.GOOS + " (the kernel's parent-death signal is Linux's)", nil
	}
	if s.desc == nil {
		return "", errNotStarted
	}
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	spec, _ := json.Marshal(s.p)
	host := exec.CommandContext(ctx, self)
	host.Env = append(os.Environ(), hostEnv+"="+string(spec))
	out, err := host.StdoutPipe()
	if err != nil {
		return "", err
	}
	if err := host.Start(); err != nil {
		return "", err
	}
	defer host.Wait()
	defer host.Process.Kill()
	line, _ := bufio.NewReader(out).ReadString('\n')
	var pid int
	if _, err := fmt.Sscanf(line, "pid %d", &pid); err != nil {
		return "", fmt.Errorf("the stand-in host did not start the plugin: %s", strings.TrimSpace(line))
	}
	host.Process.Kill() // SIGKILL
	deadline := time.Now().Add(5 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			if p, err := os.FindProcess(pid); err == nil {
				p.Kill()
			}
			return "", fmt.Errorf("plugin pid %d still running 5s after its host was killed", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Sprintf("plugin pid %d ended with its host (SIGKILLed)", pid), nil
}

// alive reports whether pid runs (a zombie waiting to be reaped does not).
func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	_, after, _ := strings.Cut(string(stat), ") ")
	return !strings.HasPrefix(after, "Z") && !strings.HasPrefix(after, "X")
}
