// Package platform is the built-in source for the agency's platform API:
// campaigns, influencers, contracts, payments and videos, pulled
// incrementally (updated_since and page tokens) into entity states and the
// events their timestamps stand for. Each listing is walked on its own: one
// that fails does not stop the others, and its error names it. The API's
// contract is in this folder's README.
package platform

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
const Name = "platform"

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
	// Entities lists the listings to pull; default all five.
	Entities []string `json:"entities"`
	// Since bounds the first pull to records updated since then (RFC 3339);
	// empty pulls everything.
	Since string `json:"since"`
	// API is where the API is: api_url, api_key_env and the HTTP options.
	httpsource.API
}

// DefaultConfig holds the defaults of fields a config leaves out.
func DefaultConfig() Config {
	return Config{API: httpsource.API{APIKeyEnv: "PLATFORM_API_KEY"}, PageSize: 1000, Entities: resourceNames()}
}

// Source is the platform plugin.
type Source struct {
	cfg    Config
	base   *url.URL
	since  time.Time
	client *httpsource.Client
}

// New returns an unconfigured platform source.
func New() *Source { return &Source{cfg: DefaultConfig()} }

var _ sdk.Source = (*Source)(nil)

// Describe implements sdk.Source.
func (s *Source) Describe() sdk.Description {
	var kinds []string
	for _, r := range resources {
		for _, st := range r.events(&object{}) {
			kinds = append(kinds, st.kind)
		}
	}
	return sdk.Description{
		Name: Name, Version: Version, Kinds: kinds,
		EntityTypes:  []string{sdk.EntityCampaign, sdk.EntityInfluencer, sdk.EntityContract, sdk.EntityPayment, sdk.EntityVideo},
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
	base, client, errs := cfg.API.Connect("the platform API's base URL, like https://platform.agency.example", false,
		"commandcenter-platform/"+Version, sdk.Logger().With("plugin", Name))
	if cfg.PageSize < 1 || cfg.PageSize > 1000 {
		errs = append(errs, sdk.Fieldf("page_size", "must be 1 to 1000, got %d", cfg.PageSize))
	}
	for i, e := range cfg.Entities {
		if !slices.Contains(resourceNames(), e) {
			errs = append(errs, sdk.Fieldf(fmt.Sprintf("entities[%d]", i), "must be one of %v, got %q", resourceNames(), e))
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

// Check implements sdk.Source: one campaign, to see that the API answers,
// takes the key, and answers in the documented shape.
func (s *Source) Check(ctx context.Context) error {
	var p httpsource.Page[object]
	return s.client.WithoutRetries().GetJSON(ctx, s.base.JoinPath("v1", "campaigns").String()+"?limit=1", &p)
}

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
	for _, r := range resources {
		if !slices.Contains(s.cfg.Entities, r.Name) {
			continue
		}
		n, err := s.walk(ctx, r, &cur, emit)
		if ctx.Err() != nil || errors.As(err, new(hostGone)) {
			return err
		}
		if err != nil {
			log.Error("listing failed; the others go on", "listing", r.Name, "err", err)
			failed = append(failed, fmt.Errorf("%s: %w", r.Name, err))
			continue
		}
		log.Debug("listing pulled", "listing", r.Name, "records", n)
	}
	return errors.Join(failed...)
}

// walk pulls one listing to its end, emitting a batch per page.
func (s *Source) walk(ctx context.Context, r resource, cur *Cursor, emit sdk.Emit) (int, error) {
	place := cur.Listings[r.Name]
	if place.Since.IsZero() && !s.since.IsZero() {
		place.Since = s.since
	}
	l := httpsource.Listing[object]{
		Client: s.client, URL: s.base.JoinPath("v1", r.Name), SinceParam: "updated_since", Limit: s.cfg.PageSize,
		Page: func(_ int, records []object, next httpsource.Place) error {
			b, err := r.toBatch(records)
			if err != nil {
				return fmt.Errorf("%w: %w", httpsource.ErrPageRefused, err)
			}
			cur.Listings[r.Name] = next
			b.Cursor = cur.String()
			if err := emit(b); err != nil {
				return hostGone{err}
			}
			return nil
		},
	}
	return l.Walk(ctx, place)
}

// hostGone is an error of emit: the host cannot take more, so Collect
// stops rather than going on to the next listing.
type hostGone struct{ error }

func (e hostGone) Unwrap() error { return e.error }
