// Package scraper is the built-in source for the agency's scraper service,
// which reads the public view and like counts of influencers' videos off
// TikTok, Instagram and YouTube pages. It pulls four listings
// incrementally (since and page tokens): runs become scraper.run events
// and the scraper_target's state, errors and selector updates become
// scraper.error and scraper.selector_updated events, and video stats
// become daily metrics. Each listing is walked on its own: one that fails
// does not stop the others, and its error names it. The service's contract
// is in this folder's README.
package scraper

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/commandcenter/commandcenter/plugins/sdk"
	"github.com/commandcenter/commandcenter/plugins/sdk/httpsource"
)

// Name is the plugin's name in the host's config.
const Name = "scraper"

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
	// Listings lists the listings to pull; default all four.
	Listings []string `json:"listings"`
	// Since bounds the first pull to records since then (RFC 3339); empty
	// pulls everything.
	Since string `json:"since"`
	// API is where the API is: api_url, api_key_env and the HTTP options.
	httpsource.API
}

// DefaultConfig holds the defaults of fields a config leaves out.
func DefaultConfig() Config {
	return Config{API: httpsource.API{APIKeyEnv: "SCRAPER_API_KEY"}, PageSize: 1000, Listings: listingNames()}
}

// Source is the scraper plugin.
type Source struct {
	cfg    Config
	base   *url.URL
	since  time.Time
	client *httpsource.Client
}

// New returns an unconfigured scraper source.
func New() *Source { return &Source{cfg: DefaultConfig()} }

var _ sdk.Source = (*Source)(nil)

// Describe implements sdk.Source.
func (s *Source) Describe() sdk.Description {
	return sdk.Description{
		Name: Name, Version: Version,
		Kinds:        []string{sdk.KindScraperRun, sdk.KindScraperError, sdk.KindScraperSelectorUpdated, sdk.KindMetricsUpdated},
		EntityTypes:  []string{sdk.EntityScraperTarget},
		ConfigSchema: configSchema,
	}
}

// Configure implements sdk.Source: it checks the config and reads the key
// from the environment, without a network call.
func (s *Source) Configure(_ context.Context, raw json.RawMessage) error {
	cfg := DefaultConfig()
	if err := sdk.DecodeConfig(raw, &cfg); err != nil {
		return err
	}
	base, client, errs := cfg.API.Connect("the scraper service's base URL, like https://scraper.agency.example", false,
		"commandcenter-scraper/"+Version, sdk.Logger().With("plugin", Name))
	if cfg.PageSize < 1 || cfg.PageSize > 1000 {
		errs = append(errs, sdk.Fieldf("page_size", "must be 1 to 1000, got %d", cfg.PageSize))
	}
	if len(cfg.Listings) == 0 {
		errs = append(errs, sdk.Fieldf("listings", "must name at least one of %v", listingNames()))
	}
	for i, name := range cfg.Listings {
		switch {
		case !slices.Contains(listingNames(), name):
			errs = append(errs, sdk.Fieldf(fmt.Sprintf("listings[%d]", i), "must be one of %v, got %q", listingNames(), name))
		case slices.Index(cfg.Listings, name) < i:
			errs = append(errs, sdk.Fieldf("listings", "%q is listed twice", name))
		}
	}
	var since time.Time
	if cfg.Since != "" {
		var err error
		if since, err = time.Parse(time.RFC3339, cfg.Since); err != nil {
			errs = append(errs, sdk.Fieldf("since", "must be an RFC 3339 time like 2026-01-01T00:00:00Z, got %q", cfg.Since))
		}
	}
	if len(errs) > 0 {
		return errs
	}
	s.cfg, s.base, s.since, s.client = cfg, base, since, client
	return nil
}

// Check implements sdk.Source: one record of the first listing the config
// names, fetched once, to see that the service answers, takes the key, and
// answers in the documented shape.
func (s *Source) Check(ctx context.Context) error {
	first := s.cfg.Listings[0] // Configure makes sure there is one
	for _, l := range listings {
		if l.name() == first {
			return l.probe(ctx, s)
		}
	}
	return fmt.Errorf("unknown listing %q", first)
}

// listingURL is the URL of the named listing, without query.
func (s *Source) listingURL(name string) *url.URL { return s.base.JoinPath("v1", name) }

// Cursor is where each listing resumes.
type Cursor struct {
	Version  int                         `json:"v"`
	Listings map[string]httpsource.Place `json:"listings"`
}

func parseCursor(raw string) (Cursor, error) {
	c := Cursor{Version: 1, Listings: map[string]httpsource.Place{}}
	if raw == "" {
		return c, nil
	}
	if err := json.Unmarshal([]byte(raw), &c); err != nil || c.Version != 1 {
		return Cursor{}, fmt.Errorf("unrecognised cursor %q", raw)
	}
	if c.Listings == nil {
		c.Listings = map[string]httpsource.Place{}
	}
	return c, nil
}

func (c Cursor) String() string {
	b, _ := json.Marshal(c)
	return string(b)
}

// Collect implements sdk.Source: each configured listing is walked from
// its place in the cursor, a batch per page. A listing that fails is
// logged and named in the error Collect returns once the others are done.
func (s *Source) Collect(ctx context.Context, raw string, emit sdk.Emit) error {
	cur, err := parseCursor(raw)
	if err != nil {
		return err
	}
	log := sdk.Logger().With("plugin", Name)
	var failed []error
	for _, l := range listings {
		if !slices.Contains(s.cfg.Listings, l.name()) {
			continue
		}
		n, err := s.walk(ctx, l, &cur, emit)
		if ctx.Err() != nil || errors.As(err, new(hostGone)) {
			return err
		}
		if err != nil {
			log.Error("listing failed; the others go on", "listing", l.name(), "err", err)
			failed = append(failed, fmt.Errorf("%s: %w", l.name(), err))
			continue
		}
		log.Debug("listing pulled", "listing", l.name(), "records", n)
	}
	return errors.Join(failed...)
}

// walk pulls one listing to its end, emitting a batch per page with the
// cursor that resumes after it.
func (s *Source) walk(ctx context.Context, l listing, cur *Cursor, emit sdk.Emit) (int, error) {
	place := cur.Listings[l.name()]
	if place.Since.IsZero() && !s.since.IsZero() {
		place.Since = s.since
	}
	return l.walk(ctx, s, place, func(b sdk.Batch, next httpsource.Place) error {
		cur.Listings[l.name()] = next
		b.Cursor = cur.String()
		if err := emit(b); err != nil {
			return hostGone{err}
		}
		return nil
	})
}

// hostGone is an error of emit: the host cannot take more, so Collect
// stops rather than going on to the next listing.
type hostGone struct{ error }

func (e hostGone) Unwrap() error { return e.error }
