// Package demo is a built-in source that invents a realistic, deterministic
// agency: tenants with campaigns in every state, influencers, contracts
// pending signature and near expiry, payments open, overdue and paid, videos
// in every status including a review queue, 90 days of daily metrics on
// TikTok, Instagram and YouTube, and scraper runs with some errors. Every
// Collect advances the world a little, so dashboards move.
package demo

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// Name is the plugin's name in the host's config.
const Name = "demo"

//go:embed schema.json
var configSchema []byte

// SampleConfig is the plugin's documented configuration.
//
//go:embed sample.yaml
var SampleConfig string

// Config is the demo's configuration; every field has a default.
type Config struct {
	// Seed makes the invented world; the same seed gives the same world.
	Seed int64 `json:"seed"`
	// Tenants is how many agency clients to invent (1-4).
	Tenants int `json:"tenants"`
	// Influencers per tenant (5-500).
	Influencers int `json:"influencers"`
	// HistoryDays of daily metrics to backfill (1-365).
	HistoryDays int `json:"history_days"`
	// Start pins the world's "now" for reproducible runs; default: the time
	// of the first Collect.
	Start string `json:"start,omitempty"`
	// BatchSize is the most items per batch (1-10000).
	BatchSize int `json:"batch_size"`
}

// DefaultConfig is used for fields the config leaves out.
func DefaultConfig() Config {
	return Config{Seed: 42, Tenants: 2, Influencers: 30, HistoryDays: 90, BatchSize: 1000}
}

// Source is the demo source plugin.
type Source struct {
	cfg Config
	now func() time.Time
	// last is the world as of the last tick emitted, so the next Collect
	// of this process need not replay every tick since the start.
	last *snapshot
}

type snapshot struct {
	start   time.Time
	tick    int
	world   *world
	changed []*sdk.Entity
}

// New returns a demo source with the default config; now is its clock
// (nil: the wall clock).
func New(now func() time.Time) *Source {
	if now == nil {
		now = time.Now
	}
	return &Source{cfg: DefaultConfig(), now: now}
}

var _ sdk.Source = (*Source)(nil)

// Describe implements sdk.Source.
func (s *Source) Describe() sdk.Description {
	return sdk.Description{
		Name: Name, Version: "1.0.0",
		Kinds:        []string{sdk.KindScraperRun, sdk.KindScraperError, sdk.KindScraperSelectorUpdated, sdk.KindMetricsUpdated},
		EntityTypes:  sdk.EntityTypes,
		ConfigSchema: configSchema,
	}
}

// Configure implements sdk.Source.
func (s *Source) Configure(_ context.Context, raw json.RawMessage) error {
	cfg := DefaultConfig()
	if err := sdk.DecodeConfig(raw, &cfg); err != nil {
		return err
	}
	var errs sdk.ConfigErrors
	if cfg.Tenants < 1 || cfg.Tenants > len(tenantSpecs) {
		errs = append(errs, sdk.Fieldf("tenants", "must be 1 to %d, got %d", len(tenantSpecs), cfg.Tenants))
	}
	if cfg.Influencers < 5 || cfg.Influencers > 500 {
		errs = append(errs, sdk.Fieldf("influencers", "must be 5 to 500, got %d", cfg.Influencers))
	}
	if cfg.HistoryDays < 1 || cfg.HistoryDays > 365 {
		errs = append(errs, sdk.Fieldf("history_days", "must be 1 to 365, got %d", cfg.HistoryDays))
	}
	if cfg.BatchSize < 1 || cfg.BatchSize > 10000 {
		errs = append(errs, sdk.Fieldf("batch_size", "must be 1 to 10000, got %d", cfg.BatchSize))
	}
	if cfg.Start != "" {
		if _, err := time.Parse(time.RFC3339, cfg.Start); err != nil {
			errs = append(errs, sdk.Fieldf("start", "must be an RFC 3339 time like 2026-11-20T09:00:00Z, got %q", cfg.Start))
		}
	}
	if len(errs) > 0 {
		return errs
	}
	s.cfg = cfg
	return nil
}

// Check implements sdk.Source: the demo has nothing to reach.
func (s *Source) Check(context.Context) error { return nil }

// cursor is where a Collect resumes: the world's start, the tick, and how
// many of that tick's batches are stored.
type cursor struct {
	start time.Time
	tick  int
	part  int
}

func (c cursor) String() string {
	return fmt.Sprintf("v1:%d:%d:%d", c.start.Unix(), c.tick, c.part)
}

func parseCursor(s string) (cursor, error) {
	f := strings.Split(s, ":")
	if len(f) != 4 || f[0] != "v1" {
		return cursor{}, fmt.Errorf("unrecognised cursor %q", s)
	}
	var n [3]int64
	for i, x := range f[1:] {
		v, err := strconv.ParseInt(x, 10, 64)
		if err != nil || v < 0 {
			return cursor{}, fmt.Errorf("unrecognised cursor %q", s)
		}
		n[i] = v
	}
	return cursor{start: time.Unix(n[0], 0).UTC(), tick: int(n[1]), part: int(n[2])}, nil
}

// replayStep approximates when past ticks happened, for rebuilding state.
const replayStep = 10 * time.Second

// Collect implements sdk.Source. The first call emits the world and its
// history (tick 0); each later call finishes an interrupted tick or emits
// the next one.
func (s *Source) Collect(ctx context.Context, raw string, emit sdk.Emit) error {
	cur := cursor{start: s.now().UTC().Truncate(time.Second)}
	if s.cfg.Start != "" {
		cur.start, _ = time.Parse(time.RFC3339, s.cfg.Start)
	}
	if raw != "" {
		var err error
		if cur, err = parseCursor(raw); err != nil {
			return err
		}
	}
	var w *world
	var changed []*sdk.Entity
	if l := s.last; l != nil && l.start.Equal(cur.start) && l.tick == cur.tick {
		w, changed = l.world, l.changed
	} else {
		// A fresh process (or a cursor from elsewhere): rebuild by replay.
		w = newWorld(s.cfg, cur.start)
		for i := 1; i <= cur.tick; i++ {
			changed = w.advance(s.cfg.Seed, i, cur.start.Add(time.Duration(i)*replayStep))
		}
	}
	s.last = &snapshot{start: cur.start, tick: cur.tick, world: w, changed: changed}
	at := cur.start
	if cur.tick > 0 {
		at = s.now().UTC()
	}
	batches := s.batches(w, cur.tick, at, changed)
	if raw == "" || cur.part < len(batches) {
		return s.emitFrom(ctx, emit, cur, batches)
	}
	cur.tick, cur.part = cur.tick+1, 0
	now := s.now().UTC()
	changed = w.advance(s.cfg.Seed, cur.tick, now)
	s.last = &snapshot{start: cur.start, tick: cur.tick, world: w, changed: changed}
	return s.emitFrom(ctx, emit, cur, s.batches(w, cur.tick, now, changed))
}

func (s *Source) emitFrom(ctx context.Context, emit sdk.Emit, cur cursor, batches []sdk.Batch) error {
	for i := cur.part; i < len(batches); i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		b := batches[i]
		b.Cursor = cursor{start: cur.start, tick: cur.tick, part: i + 1}.String()
		if err := emit(b); err != nil {
			return err
		}
	}
	return nil
}

// batches lays out tick n's items in batches of at most BatchSize.
func (s *Source) batches(w *world, n int, now time.Time, changed []*sdk.Entity) []sdk.Batch {
	var entities []sdk.Entity
	var metrics []sdk.DailyMetric
	var events []sdk.Event
	today := now.Truncate(day)
	if n == 0 {
		for _, k := range w.order {
			entities = append(entities, *w.entities[k])
		}
		metrics = w.history(today, s.cfg.HistoryDays)
		events = w.scraperHistory(now)
	} else {
		for _, e := range changed {
			entities = append(entities, *e)
		}
		metrics = w.recentMetrics(today, now)
		events = w.scraperEvents(s.cfg.Seed, n, now)
	}
	for _, t := range w.tenants {
		events = append(events, sdk.Event{Key: fmt.Sprintf("metrics/%s/%d", t.id, n), Tenant: t.id, Kind: sdk.KindMetricsUpdated,
			OccurredAt: now, Attrs: fmt.Appendf(nil, `{"rows":%d}`, countTenant(metrics, t.id))})
	}
	var out []sdk.Batch
	size := s.cfg.BatchSize
	cur := sdk.Batch{}
	flush := func(force bool) {
		if cur.Len() >= size || (force && cur.Len() > 0) {
			out = append(out, cur)
			cur = sdk.Batch{}
		}
	}
	for _, e := range entities {
		cur.Entities = append(cur.Entities, e)
		flush(false)
	}
	for _, m := range metrics {
		cur.DailyMetrics = append(cur.DailyMetrics, m)
		flush(false)
	}
	for _, e := range events {
		cur.Events = append(cur.Events, e)
		flush(false)
	}
	flush(true)
	return out
}

func countTenant(ms []sdk.DailyMetric, tenant string) int {
	n := 0
	for _, m := range ms {
		if m.Tenant == tenant {
			n++
		}
	}
	return n
}

// TenantIDs are the ids of the first n demo tenants.
func TenantIDs(n int) []string {
	var out []string
	for _, t := range tenantSpecs[:min(n, len(tenantSpecs))] {
		out = append(out, t.id)
	}
	return out
}
