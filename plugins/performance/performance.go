// Package performance is the built-in source for the agency's analytics
// API (GET /v1/performance_metrics) and for CSV exports of the same rows:
// daily impressions, views, clicks, likes, comments, shares, cost and
// revenue per campaign, influencer, video and platform. Each Collect
// fetches a trailing window of days again, because the analytics API
// corrects recent days late; the host upserts daily metrics by their key,
// so a day sent again replaces what was stored and is never counted twice.
// CSV files are streamed in batches, each imported once per version. The
// API's contract and the CSV format are in this folder's README.
package performance

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/commandcenter/commandcenter/plugins/sdk"
	"github.com/commandcenter/commandcenter/plugins/sdk/httpsource"
)

// Name is the plugin's name in the host's config.
const Name = "performance"

// Version of this plugin.
const Version = "1.0.0"

//go:embed schema.json
var configSchema []byte

// SampleConfig is the plugin's documented configuration.
//
//go:embed sample.yaml
var SampleConfig string

// Config is the plugin's configuration (schema.json).
type Config struct {
	// PageSize is the limit asked of each page (1-1000).
	PageSize int `json:"page_size"`
	// WindowDays is how many days, ending today, each Collect fetches
	// again (1-90): the API corrects recent days late.
	WindowDays int `json:"window_days"`
	// BackfillDays is how many days, ending today, the first Collect
	// fetches (1-3650).
	BackfillDays int `json:"backfill_days"`
	// CSVFiles are absolute paths or globs of CSV exports to import.
	CSVFiles []string `json:"csv_files"`
	// BatchSize is how many CSV rows go in one batch (1-50000).
	BatchSize int `json:"batch_size"`
	// API is where the API is: api_url, api_key_env and the HTTP options.
	httpsource.API
}

// DefaultConfig holds the defaults of fields a config leaves out.
func DefaultConfig() Config {
	return Config{API: httpsource.API{APIKeyEnv: "PERFORMANCE_API_KEY"}, PageSize: 1000, WindowDays: 7, BackfillDays: 90, BatchSize: 5000}
}

// Progress lines of a long CSV import: at least this often, in time or rows.
const (
	progressInterval = 5 * time.Second
	progressRows     = 250_000
)

// Source is the performance plugin.
type Source struct {
	cfg Config
	// base is nil when the config names no API, only CSV files.
	base   *url.URL
	client *httpsource.Client
	// now is the clock that says which day is today.
	now func() time.Time
	log *slog.Logger
	// progressInterval and progressRows pace the import's progress lines.
	progressInterval time.Duration
	progressRows     int
}

// New returns an unconfigured performance source.
func New() *Source {
	return &Source{cfg: DefaultConfig(), now: time.Now, log: sdk.Logger().With("plugin", Name),
		progressInterval: progressInterval, progressRows: progressRows}
}

var _ sdk.Source = (*Source)(nil)

// Describe implements sdk.Source.
func (s *Source) Describe() sdk.Description {
	return sdk.Description{Name: Name, Version: Version, Kinds: []string{sdk.KindMetricsUpdated}, ConfigSchema: configSchema}
}

// Configure implements sdk.Source: it checks the config and reads the key
// from the environment, without a network call or touching the CSV files.
func (s *Source) Configure(_ context.Context, raw json.RawMessage) error {
	cfg := DefaultConfig()
	if err := sdk.DecodeConfig(raw, &cfg); err != nil {
		return err
	}
	what := "the analytics API's base URL, like https://analytics.agency.example (or csv_files)"
	base, client, errs := cfg.API.Connect(what, len(cfg.CSVFiles) > 0, "commandcenter-performance/"+Version, s.log)
	bound := func(field string, v, lo, hi int) {
		if v < lo || v > hi {
			errs = append(errs, sdk.Fieldf(field, "must be %d to %d, got %d", lo, hi, v))
		}
	}
	bound("page_size", cfg.PageSize, 1, 1000)
	bound("window_days", cfg.WindowDays, 1, 90)
	bound("backfill_days", cfg.BackfillDays, 1, 3650)
	bound("batch_size", cfg.BatchSize, 1, sdk.MaxBatchItems)
	if cfg.CSVFiles != nil && len(cfg.CSVFiles) == 0 {
		errs = append(errs, sdk.Fieldf("csv_files", "must list at least one path or glob"))
	}
	for i, pattern := range cfg.CSVFiles {
		field := fmt.Sprintf("csv_files[%d]", i)
		_, badPattern := filepath.Match(pattern, "")
		switch {
		case !filepath.IsAbs(pattern):
			// The plugin's working directory is the host's, which a
			// service manager chooses: a relative path would drift.
			errs = append(errs, sdk.Fieldf(field, "must be an absolute path or glob like /data/exports/*.csv, got %q", pattern))
		case badPattern != nil:
			errs = append(errs, sdk.Fieldf(field, "is not a valid glob: %q", pattern))
		case slices.Index(cfg.CSVFiles, pattern) < i:
			errs = append(errs, sdk.Fieldf("csv_files", "lists %q twice", pattern))
		}
	}
	if len(errs) > 0 {
		return errs
	}
	s.cfg, s.base, s.client = cfg, base, client
	return nil
}

// Check implements sdk.Source: one row of today from the API, once, to see
// that it answers, takes the key and answers in the documented shape; and
// that the folder of each CSV path exists.
func (s *Source) Check(ctx context.Context) error {
	var problems []error
	if s.base != nil {
		today := s.now().UTC().Format(time.DateOnly)
		var p httpsource.Page[json.RawMessage]
		if err := s.client.WithoutRetries().GetJSON(ctx, s.pageURL(today, today, 1, ""), &p); err != nil {
			problems = append(problems, err)
		}
	}
	for i, pattern := range s.cfg.CSVFiles {
		// The folder holding the exports must be there; the files may not
		// be yet.
		dir := filepath.Dir(pattern)
		if hasMeta(dir) {
			continue
		}
		if _, err := os.Stat(dir); err != nil {
			problems = append(problems, fmt.Errorf("csv_files[%d]: %w", i, err))
		}
	}
	return errors.Join(problems...)
}

func hasMeta(path string) bool { return strings.ContainsAny(path, `*?[\`) }

// Cursor is where the next Collect resumes: the API's last completed walk
// and the walk in progress, and the CSV files imported and the one in
// progress.
type Cursor struct {
	Version int `json:"v"`
	// Done is the last day (to) of the last completed walk of the API.
	Done string `json:"done,omitempty"`
	// Walk is the API walk in progress.
	Walk *walk `json:"walk,omitempty"`
	// Files are the CSV files imported, by path, as they were then.
	Files map[string]fileMark `json:"files,omitempty"`
	// Import is the CSV import in progress.
	Import *importPlace `json:"import,omitempty"`
}

const cursorVersion = 1

func parseCursor(raw string) (Cursor, error) {
	c := Cursor{Version: cursorVersion}
	if raw == "" {
		return c, nil
	}
	if err := json.Unmarshal([]byte(raw), &c); err != nil || c.Version != cursorVersion || !isDayOrEmpty(c.Done) ||
		c.Walk != nil && (!isDay(c.Walk.From) || !isDay(c.Walk.To)) {
		return Cursor{}, fmt.Errorf("unrecognised cursor %q", raw)
	}
	return c, nil
}

func (c *Cursor) String() string {
	b, _ := json.Marshal(c)
	return string(b)
}

func isDay(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

func isDayOrEmpty(s string) bool { return s == "" || isDay(s) }

// Collect implements sdk.Source: it walks the API's window, then imports
// the CSV files not imported yet. Either failing does not stop the other;
// both errors are returned once both are done.
func (s *Source) Collect(ctx context.Context, raw string, emit sdk.Emit) error {
	cur, err := parseCursor(raw)
	if err != nil {
		return err
	}
	var failed []error
	if s.base != nil {
		err := s.walkAPI(ctx, &cur, emit)
		if ctx.Err() != nil || errors.As(err, new(hostGone)) {
			return err
		}
		if err != nil {
			s.log.Error("performance_metrics walk failed", "err", err)
			failed = append(failed, fmt.Errorf("performance_metrics: %w", err))
		}
	}
	if len(s.cfg.CSVFiles) > 0 {
		err := s.importFiles(ctx, &cur, emit)
		if ctx.Err() != nil || errors.As(err, new(hostGone)) {
			return err
		}
		if err != nil {
			failed = append(failed, err)
		}
	}
	return errors.Join(failed...)
}

// hostGone is an error of emit: the host cannot take more, so Collect
// stops rather than going on.
type hostGone struct{ error }

func (e hostGone) Unwrap() error { return e.error }
