// Package config is commandcenter's one YAML configuration: its types, every
// default (in ApplyDefaults, the one place they live), and validation that
// reports every problem at once with its line and path (line 12:
// plugins[2].interval: …).
// Values may name environment variables as ${VAR}, for secrets.
package config

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/common/promslog"
	"gopkg.in/yaml.v3"

	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// Config is commandcenter's one YAML file. Every field has a default, so an
// empty file (or none, with serve --demo) is a working setup.
type Config struct {
	// Listen is the address of the HTTP API and /metrics.
	Listen string `yaml:"listen"`
	// DataDir holds the SQLite database (commandcenter.db).
	DataDir string `yaml:"data_dir"`
	// Retention is how long events are kept; 0 keeps them forever.
	Retention model.Duration `yaml:"retention"`
	// LogLevel is debug, info, warn or error.
	LogLevel string   `yaml:"log_level"`
	Exporter Exporter `yaml:"exporter"`
	API      API      `yaml:"api"`
	Plugins  []Plugin `yaml:"plugins"`
}

// Exporter tunes /metrics.
type Exporter struct {
	// UpcomingWindow is how far ahead a scheduled video counts as upcoming.
	UpcomingWindow model.Duration `yaml:"upcoming_window"`
	// ContractExpiredLookback keeps expiry series of contracts that expired
	// this recently, so "expired while active" alerts can see them.
	ContractExpiredLookback model.Duration `yaml:"contract_expired_lookback"`
	// RefreshInterval bounds how often business metrics are recomputed
	// after the store changes; they are also recomputed every 15 s
	// regardless, so time-based counts (overdue) stay current.
	RefreshInterval model.Duration `yaml:"refresh_interval"`
	// PushURL, when set, pushes every metric to this VictoriaMetrics (or
	// Prometheus-compatible import) URL every PushInterval.
	PushURL      string         `yaml:"push_url"`
	PushInterval model.Duration `yaml:"push_interval"`
}

// API tunes the HTTP API.
type API struct {
	// MaxBodyBytes bounds a POST body.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// ReadTimeout bounds reading one request, body included (and its
	// headers to at most 10s).
	ReadTimeout model.Duration `yaml:"read_timeout"`
	// IdleTimeout closes a kept-alive connection idle this long.
	IdleTimeout model.Duration `yaml:"idle_timeout"`
	// MaxConnections bounds connections open at once; more wait.
	MaxConnections int `yaml:"max_connections"`
	// IngestRate is how many POST /api/v1/events a token may make per
	// second, on average (0: no limit); IngestBurst how many at once.
	IngestRate  float64 `yaml:"ingest_rate"`
	IngestBurst int     `yaml:"ingest_burst"`
}

// Plugin is one source plugin.
type Plugin struct {
	// Name is the source's name: it labels metrics and owns the cursor.
	Name string `yaml:"name"`
	// Builtin names a plugin compiled into commandcenter (run as
	// `commandcenter plugin <builtin>`). Exactly one of Builtin and Path.
	Builtin string `yaml:"builtin"`
	// Path is an external plugin executable.
	Path string `yaml:"path"`
	// SHA256 pins Path's executable; a mismatch refuses to start it.
	SHA256 string `yaml:"sha256"`
	// Interval between Collect runs (±10% jitter).
	Interval model.Duration `yaml:"interval"`
	// Timeout bounds one Collect; a plugin that takes longer is killed and
	// restarted.
	Timeout model.Duration `yaml:"timeout"`
	// BackoffInitial and BackoffMax bound the restart delay, which doubles
	// after each failure in a row.
	BackoffInitial model.Duration `yaml:"backoff_initial"`
	BackoffMax     model.Duration `yaml:"backoff_max"`
	// Config is handed to the plugin's Configure, as JSON.
	Config map[string]any `yaml:"config"`
}

// Defaults.
const (
	DefaultListen  = "127.0.0.1:9464"
	DefaultDataDir = "./data"
)

// DatabasePath is where the SQLite file lives.
func (c *Config) DatabasePath() string { return filepath.Join(c.DataDir, "commandcenter.db") }

// Default is the config used with no file: every default. A file is
// decoded on top of it, so what the file says explicitly wins, zero values
// included (retention: 0s keeps events forever).
func Default() *Config {
	return &Config{
		Listen:    DefaultListen,
		DataDir:   DefaultDataDir,
		LogLevel:  "info",
		Retention: model.Duration(400 * 24 * time.Hour),
		Exporter: Exporter{
			UpcomingWindow:          model.Duration(7 * 24 * time.Hour),
			ContractExpiredLookback: model.Duration(30 * 24 * time.Hour),
			RefreshInterval:         model.Duration(time.Second),
			PushInterval:            model.Duration(15 * time.Second),
		},
		API: API{
			MaxBodyBytes:   16 << 20,
			ReadTimeout:    model.Duration(time.Minute),
			IdleTimeout:    model.Duration(2 * time.Minute),
			MaxConnections: 512,
			IngestRate:     100,
			IngestBurst:    200,
		},
	}
}

// ApplyDefaults fills each plugin's unset fields: the defaults of a list's
// items, beside Default's. Applying them twice changes nothing.
func (c *Config) ApplyDefaults() {
	for i := range c.Plugins {
		p := &c.Plugins[i]
		setDefault(&p.Interval, model.Duration(30*time.Second))
		setDefault(&p.Timeout, model.Duration(2*time.Minute))
		setDefault(&p.BackoffInitial, model.Duration(time.Second))
		setDefault(&p.BackoffMax, model.Duration(5*time.Minute))
		if p.Name == "" {
			p.Name = p.Builtin
		}
	}
}

func setDefault[T comparable](field *T, v T) {
	var zero T
	if *field == zero {
		*field = v
	}
}

var (
	sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// Problem is one thing wrong with a config file: the line it is on (0 when
// the file does not have it, as for a default), the field's path
// (plugins[2].interval) and what is wrong.
type Problem struct {
	Line    int
	Path    string
	Message string
}

// String is "line 12: plugins[2].interval: must be at least 100ms",
// leaving out what is not known.
func (p Problem) String() string {
	s := p.Message
	if p.Path != "" {
		s = p.Path + ": " + s
	}
	if p.Line > 0 {
		s = fmt.Sprintf("line %d: %s", p.Line, s)
	}
	return s
}

// Problems is every problem of a config, in the order of the file's lines
// (those without a line last). It is the error Parse, Load and Validate
// return, listing them all, one a line.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return "invalid config:\n  " + strings.Join(lines, "\n  ")
}

// cover reports whether one of ps is at path or encloses it (plugins[0]
// encloses plugins[0].name). Problems without a path cover nothing.
func (ps Problems) cover(path string) bool {
	return slices.ContainsFunc(ps, func(p Problem) bool {
		if p.Path == "" {
			return false
		}
		rest, ok := strings.CutPrefix(path, p.Path)
		return ok && (rest == "" || rest[0] == '.' || rest[0] == '[')
	})
}

// Validate reports every problem at once, each with its field path, as
// Problems (without lines: a Config does not know them; Parse adds them).
func (c *Config) Validate(builtins []string) error {
	var problems Problems
	bad := func(path, format string, args ...any) {
		problems = append(problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	if host, port, err := net.SplitHostPort(c.Listen); err != nil {
		bad("listen", "must be host:port like 127.0.0.1:9464 (or :9464 for every interface), got %q", c.Listen)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 || strings.ContainsAny(host, "/ ") {
		bad("listen", "must be host:port with a port from 0 to 65535, got %q", c.Listen)
	}
	if c.DataDir == "" {
		bad("data_dir", "required: the directory of commandcenter.db")
	}
	if c.Exporter.UpcomingWindow <= 0 {
		bad("exporter.upcoming_window", "must be > 0, got %s", c.Exporter.UpcomingWindow)
	}
	// The levels of serve's --log.level, which the config's stands in for.
	if !slices.Contains(promslog.LevelFlagOptions, c.LogLevel) {
		bad("log_level", "must be debug, info, warn or error, got %q", c.LogLevel)
	}
	if c.Exporter.PushURL != "" {
		if u, err := url.Parse(c.Exporter.PushURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("exporter.push_url", "must be an http(s) URL like http://victoriametrics:8428/api/v1/import/prometheus, got %q", c.Exporter.PushURL)
		}
	}
	if ri := c.Exporter.RefreshInterval; ri < model.Duration(100*time.Millisecond) || ri > model.Duration(time.Minute) {
		// Longer would leave business metrics stale enough to alert.
		bad("exporter.refresh_interval", "must be from 100ms to 1m, got %s", ri)
	}
	if c.Exporter.PushInterval < model.Duration(time.Second) {
		bad("exporter.push_interval", "must be at least 1s, got %s", c.Exporter.PushInterval)
	}
	if c.API.MaxBodyBytes < 1024 {
		bad("api.max_body_bytes", "must be at least 1024, got %d", c.API.MaxBodyBytes)
	}
	if c.API.ReadTimeout < model.Duration(100*time.Millisecond) {
		bad("api.read_timeout", "must be at least 100ms, got %s", c.API.ReadTimeout)
	}
	if c.API.IdleTimeout < model.Duration(100*time.Millisecond) {
		bad("api.idle_timeout", "must be at least 100ms, got %s", c.API.IdleTimeout)
	}
	if !(c.API.IngestRate >= 0 && c.API.IngestRate <= 1e6) { // NaN too
		bad("api.ingest_rate", "must be from 0 (no limit) to 1000000 requests per second, got %v", c.API.IngestRate)
	}
	if c.API.IngestRate > 0 && (c.API.IngestBurst < 1 || c.API.IngestBurst > 1e6) {
		bad("api.ingest_burst", "must be from 1 to 1000000 requests, got %d", c.API.IngestBurst)
	}
	if c.API.MaxConnections < 8 {
		bad("api.max_connections", "must be at least 8, got %d", c.API.MaxConnections)
	}
	seen := map[string]int{}
	for i, p := range c.Plugins {
		path := fmt.Sprintf("plugins[%d]", i)
		if !sdk.ValidSourceName(p.Name) {
			bad(path+".name", "must be lower-case letters, digits, '-' or '_' (at most 32), got %q", p.Name)
		}
		if j, dup := seen[p.Name]; dup {
			bad(path+".name", "%q is also the name of plugins[%d]", p.Name, j)
		}
		seen[p.Name] = i
		switch {
		case (p.Builtin == "") == (p.Path == ""):
			bad(path, "set exactly one of builtin and path")
		case p.Builtin != "" && !slices.Contains(builtins, p.Builtin):
			bad(path+".builtin", "unknown built-in plugin %q (have %s)", p.Builtin, strings.Join(builtins, ", "))
		case p.Builtin != "" && p.SHA256 != "":
			bad(path+".sha256", "only for external plugins (path)")
		}
		if p.Path != "" {
			if fi, err := os.Stat(p.Path); err != nil {
				bad(path+".path", "%v", err)
			} else if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
				bad(path+".path", "%s is not an executable file", p.Path)
			}
		}
		if p.SHA256 != "" && !sha256Hex.MatchString(p.SHA256) {
			bad(path+".sha256", "must be 64 lower-case hex digits")
		}
		if p.Interval < model.Duration(100*time.Millisecond) {
			bad(path+".interval", "must be at least 100ms, got %s", p.Interval)
		}
		if p.Timeout <= 0 {
			bad(path+".timeout", "must be > 0")
		}
		if p.BackoffMax < p.BackoffInitial {
			bad(path+".backoff_max", "must be at least backoff_initial (%s)", p.BackoffInitial)
		}
	}
	if len(problems) > 0 {
		return problems
	}
	return nil
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// Document is a config file parsed as far as it goes: the config that
// decoded (on top of Default, defaults applied) and every problem, each
// with its line and path. It keeps the file's node tree, so problems found
// elsewhere (a plugin refusing its config block) get their lines too.
type Document struct {
	Config   *Config
	Problems Problems
	// root is the file's tree after ${VAR} expansion; nil for an empty
	// file or one that is not YAML.
	root *yaml.Node
}

// Parse reads YAML, replaces ${VAR} in values with the environment's
// value (for secrets; comments are left alone), applies defaults and
// validates. Every problem comes at once, as Problems (see ParseDocument).
func Parse(data []byte, builtins []string) (*Config, error) {
	d := ParseDocument(data, builtins)
	if len(d.Problems) > 0 {
		return nil, d.Problems
	}
	return d.Config, nil
}

// ParseDocument is Parse that keeps going past problems. It works on the
// parsed node tree, so every problem carries the line the file has it on:
// every unknown key, every value that does not decode (a bad duration, a
// word for a number) and every ${VAR} that is not set is reported, and the
// value left at its default (or, for an unset variable, as written) while
// the rest is decoded and validated. What Validate then says about a value
// already reported follows from that, and is left out.
func ParseDocument(data []byte, builtins []string) *Document {
	d := &Document{Config: Default()}
	var problems Problems
	// stage returns the function a stage reports with: it leaves out a
	// problem at or inside a path an earlier stage already reported.
	stage := func() func(Problem) {
		earlier := slices.Clone(problems)
		return func(p Problem) {
			if !earlier.cover(p.Path) {
				problems = append(problems, p)
			}
		}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		problems = append(problems, yamlProblem(err.Error()))
	} else if len(doc.Content) > 0 {
		d.root = &doc
		expandEnv(&doc, "", stage())
		report := stage()
		checkNodes(&doc, reflect.TypeOf(d.Config), "", report)
		if err := doc.Decode(d.Config); err != nil {
			// What checkNodes cannot see, such as a key given twice.
			var te *yaml.TypeError
			if !errors.As(err, &te) {
				te = &yaml.TypeError{Errors: []string{err.Error()}}
			}
			for _, e := range te.Errors {
				report(yamlProblem(e))
			}
		}
	}
	d.Config.ApplyDefaults()
	if err := d.Config.Validate(builtins); err != nil {
		report := stage()
		var vps Problems
		if !errors.As(err, &vps) {
			vps = Problems{{Message: err.Error()}}
		}
		for _, p := range vps {
			p.Line = d.Line(p.Path)
			report(p)
		}
	}
	d.Problems = problems
	d.sort()
	return d
}

// Report adds problems found beyond the file's own checks (a plugin
// refusing its config block), each at the line of its path or, when the
// file does not have that key (a required field left out), of the nearest
// enclosing one it has. A problem at or inside a path already reported is
// left out: it follows from the value left at its default.
func (d *Document) Report(ps ...Problem) {
	earlier := slices.Clone(d.Problems)
	for _, p := range ps {
		if earlier.cover(p.Path) {
			continue
		}
		if p.Line == 0 {
			p.Line = d.Line(p.Path)
		}
		d.Problems = append(d.Problems, p)
	}
	d.sort()
}

// sort puts the problems in the file's order, those without a line last.
func (d *Document) sort() {
	key := func(p Problem) int {
		if p.Line == 0 {
			return math.MaxInt
		}
		return p.Line
	}
	slices.SortStableFunc(d.Problems, func(a, b Problem) int { return cmp.Compare(key(a), key(b)) })
}

// Line is the line of path (plugins[2].config.targets[0].url) in the file:
// of its key, or of its item in a list. When the file does not have it,
// it is the line of the nearest enclosing key or item that the file has,
// and 0 when there is none.
func (d *Document) Line(path string) int {
	if d.root == nil || len(d.root.Content) == 0 {
		return 0
	}
	n, line := d.root.Content[0], 0
	for _, seg := range splitPath(path) {
		n = resolveAlias(n)
		if seg.index >= 0 {
			if n.Kind != yaml.SequenceNode || seg.index >= len(n.Content) {
				break
			}
			n = n.Content[seg.index]
			line = n.Line
			continue
		}
		key, value := lookup(n, seg.key)
		if key == nil {
			break
		}
		n, line = value, key.Line
	}
	return line
}

// pathSegment is a key, or a list index when index >= 0.
type pathSegment struct {
	key   string
	index int
}

// splitPath splits "plugins[2].config.url" into plugins, 2, config, url.
// A key holding '.' or '[' cannot be told apart; Line then stops at the
// enclosing key.
func splitPath(path string) []pathSegment {
	var segs []pathSegment
	for part := range strings.SplitSeq(path, ".") {
		key, rest, _ := strings.Cut(part, "[")
		if key != "" {
			segs = append(segs, pathSegment{key: key, index: -1})
		}
		for rest != "" {
			var idx string
			idx, rest, _ = strings.Cut(rest, "]")
			i, err := strconv.Atoi(idx)
			if err != nil {
				return segs
			}
			segs = append(segs, pathSegment{index: i})
			rest = strings.TrimPrefix(rest, "[")
		}
	}
	return segs
}

// resolveAlias is the node an alias (*anchor) stands for.
func resolveAlias(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// lookup finds key in mapping n, its own keys first, then those a merge
// key (<<: *anchor) brings in.
func lookup(n *yaml.Node, key string) (k, v *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		return nil, nil
	}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch {
		case n.Content[i].Tag == "!!merge":
			merges = append(merges, n.Content[i+1])
		case n.Content[i].Value == key:
			return n.Content[i], n.Content[i+1]
		}
	}
	for _, m := range merges {
		if k, v := lookup(mergedValue(m), key); k != nil {
			return k, v
		}
	}
	return nil, nil
}

var yamlLine = regexp.MustCompile(`(?s)^(?:yaml: )?line (\d+): (.*)$`)

// yamlProblem turns yaml's "line 4: cannot unmarshal …" into a Problem.
func yamlProblem(msg string) Problem {
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Problem{Line: line, Message: m[2]}
	}
	return Problem{Message: strings.TrimPrefix(msg, "yaml: ")}
}

func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// checkNodes walks the tree beside the type it decodes into, and reports
// every mapping key that no field takes ("plugins[0].intervall: unknown
// key") and every value that does not decode into its field, with its line
// and path. It empties such a value, so that the whole tree decodes and
// the field keeps its default. Free-form maps (a plugin's config) take any
// key.
func checkNodes(n *yaml.Node, t reflect.Type, path string, report func(Problem)) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case n.Kind == yaml.DocumentNode:
		for _, child := range n.Content {
			checkNodes(child, t, path, report)
		}
	case n.Kind == yaml.AliasNode && n.Alias != nil:
		checkNodes(n.Alias, t, path, report)
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Struct:
		fields := map[string]reflect.Type{}
		var names []string
		for i := range t.NumField() {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			if name != "" && name != "-" {
				fields[name] = t.Field(i).Type
				names = append(names, name)
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i]
			if key.Tag == "!!merge" { // <<: *anchor merges another mapping's keys
				checkNodes(mergedValue(n.Content[i+1]), t, path, report)
				continue
			}
			ft, ok := fields[key.Value]
			if !ok {
				report(Problem{Line: key.Line, Path: joinKey(path, key.Value), Message: "unknown key (one of " + strings.Join(names, ", ") + ")"})
				continue
			}
			checkNodes(n.Content[i+1], ft, joinKey(path, key.Value), report)
		}
	case n.Kind == yaml.SequenceNode && t.Kind() == reflect.Slice:
		for i, item := range n.Content {
			checkNodes(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), report)
		}
	default:
		// A value, a free-form map, or the wrong kind of node (a word
		// where a list goes): does it decode on its own?
		err := n.Decode(reflect.New(t).Interface())
		if err == nil {
			return
		}
		msg := err.Error()
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for i, e := range te.Errors {
				te.Errors[i] = yamlProblem(e).Message
			}
			msg = strings.Join(te.Errors, "; ")
		}
		report(Problem{Line: n.Line, Path: path, Message: msg})
		empty := yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line, Column: n.Column}
		if t.Kind() == reflect.Struct {
			// A null item of a list is left out of the decoded slice,
			// which would shift the paths of the items after it.
			empty = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: n.Line, Column: n.Column}
		}
		*n = empty
	}
}

// mergedValue is what a merge key brings in: the aliased mapping, or a
// sequence of them.
func mergedValue(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode {
		return n.Alias
	}
	if n.Kind == yaml.SequenceNode {
		merged := &yaml.Node{Kind: yaml.MappingNode}
		for _, item := range n.Content {
			merged.Content = append(merged.Content, mergedValue(item).Content...)
		}
		return merged
	}
	return n
}

// expandEnv replaces ${VAR} in scalar values. A key whose whole value is
// a variable set to "" is dropped, so it keeps its default (log_level:
// ${LOG_LEVEL} with LOG_LEVEL empty is info, as it always was). A value
// naming a variable that is not set is reported and left as written.
func expandEnv(n *yaml.Node, path string, report func(Problem)) {
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "${") {
		var missing []string
		expanded := envRef.ReplaceAllStringFunc(n.Value, func(m string) string {
			name := m[2 : len(m)-1]
			v, ok := os.LookupEnv(name)
			if !ok {
				missing = append(missing, name)
			}
			return v
		})
		if len(missing) > 0 {
			report(Problem{Line: n.Line, Path: path, Message: "refers to unset environment variables: " + strings.Join(missing, ", ")})
			return
		}
		n.Value = expanded
		if n.Value == "" {
			n.Tag = "!!null"
		}
	}
	switch n.Kind {
	case yaml.MappingNode:
		kept := n.Content[:0]
		for i := 0; i+1 < len(n.Content); i += 2 {
			expandEnv(n.Content[i+1], joinKey(path, n.Content[i].Value), report)
			if v := n.Content[i+1]; v.Kind == yaml.ScalarNode && v.Tag == "!!null" && v.Value == "" && n.Content[i].Tag != "!!merge" {
				continue // an empty expansion: unset
			}
			kept = append(kept, n.Content[i], n.Content[i+1])
		}
		n.Content = kept
	case yaml.SequenceNode:
		for i, child := range n.Content {
			expandEnv(child, fmt.Sprintf("%s[%d]", path, i), report)
		}
	default:
		for _, child := range n.Content {
			expandEnv(child, path, report)
		}
	}
}

// Load reads and parses the config file at path.
func Load(path string, builtins []string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := Parse(data, builtins)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ConfigJSON is the plugin's config block as the JSON its Configure
// receives.
func (p *Plugin) ConfigJSON() ([]byte, error) {
	if p.Config == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(p.Config)
}

// Changed lists the settings whose values differ between a and b, by their
// YAML paths ("api.ingest_rate"); plugins count as one setting, "plugins".
func Changed(a, b *Config) []string {
	var out []string
	var walk func(prefix string, x, y reflect.Value)
	walk = func(prefix string, x, y reflect.Value) {
		for i := range x.NumField() {
			name := prefix + strings.Split(x.Type().Field(i).Tag.Get("yaml"), ",")[0]
			fx, fy := x.Field(i), y.Field(i)
			if fx.Kind() == reflect.Struct && name != "plugins" {
				walk(name+".", fx, fy)
				continue
			}
			if !reflect.DeepEqual(fx.Interface(), fy.Interface()) {
				out = append(out, name)
			}
		}
	}
	walk("", reflect.ValueOf(*a), reflect.ValueOf(*b))
	return out
}
