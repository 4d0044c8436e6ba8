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
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
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
	// APIURL is the API's base URL; listings are under /v1.
	APIURL string `json:"api_url"`
	// APIKeyEnv names the environment variable holding the API key.
	APIKeyEnv string `json:"api_key_env"`
	// PageSize is the limit asked of each page (1-1000).
	PageSize int `json:"page_size"`
	// Entities lists the listings to pull; default all five.
	Entities []string `json:"entities"`
	// Since bounds the first pull to records updated since then (RFC 3339);
	// empty pulls everything.
	Since string `json:"since"`
	httpsource.Options
}

// DefaultConfig holds the defaults of fields a config leaves out.
func DefaultConfig() Config {
	return Config{APIKeyEnv: "PLATFORM_API_KEY", PageSize: 1000, Entities: resourceNames()}
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
	var errs sdk.ConfigErrors
	base, err := url.Parse(cfg.APIURL)
	if cfg.APIURL == "" {
		errs = append(errs, sdk.Fieldf("api_url", "required: the platform API's base URL, like https://platform.agency.example"))
	} else if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		errs = append(errs, sdk.Fieldf("api_url", "must be an http or https URL, got %q", cfg.APIURL))
	}
	key := os.Getenv(cfg.APIKeyEnv)
	if cfg.APIKeyEnv == "" {
		errs = append(errs, sdk.Fieldf("api_key_env", "required: the environment variable holding the API key"))
	} else if key == "" {
		errs = append(errs, sdk.Fieldf("api_key_env", "environment variable %s is empty or not set", cfg.APIKeyEnv))
	}
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
		if since, err = time.Parse(time.RFC3339, cfg.Since); err != nil {
			errs = append(errs, sdk.Fieldf("since", "must be an RFC 3339 time like 2026-01-01T00:00:00Z, got %q", cfg.Since))
		}
	}
	errs = append(errs, cfg.Options.Validate()...)
	if len(errs) > 0 {
		return errs
	}
	client, err := httpsource.New(cfg.Options, func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+key) },
		"commandcenter-platform/"+Version, sdk.Logger().With("plugin", Name))
	if err != nil {
		return err
	}
	s.cfg, s.base, s.since, s.client = cfg, base, since, client
	return nil
}

// Check implements sdk.Source: one campaign, to see that the API answers,
// takes the key, and answers in the documented shape.
func (s *Source) Check(ctx context.Context) error {
	var p page
	return s.client.WithoutRetries().GetJSON(ctx, s.listURL("campaigns", time.Time{}, "", 1), &p)
}

// Cursor is where each listing resumes: the updated_since of its next walk
// and, within a walk, the next page and the latest updated_at seen so far.
type Cursor struct {
	Version  int                     `json:"v"`
	Listings map[string]ListingPlace `json:"listings"`
}

// ListingPlace is one listing's place in the Cursor.
type ListingPlace struct {
	Since time.Time `json:"since,omitzero"`
	// SinceIDs are the records (client_id/id) updated exactly at Since,
	// already stored: updated_since is inclusive, so the next walk gets
	// them again and skips them.
	SinceIDs  []string `json:"since_ids,omitempty"`
	PageToken string   `json:"page_token,omitempty"`
	// Seen and SeenIDs are the newest updated_at of the walk in progress
	// and the records updated then: the next walk's Since and SinceIDs
	// once this one is done.
	Seen    time.Time `json:"seen,omitzero"`
	SeenIDs []string  `json:"seen_ids,omitempty"`
}

// fresh drops the records this place has stored already, and notes the
// newest of the rest in Seen.
func (p *ListingPlace) fresh(records []object) []object {
	var out []object
	for _, o := range records {
		id := o.ClientID + "/" + o.ID
		if o.UpdatedAt != nil && o.UpdatedAt.Equal(p.Since) && slices.Contains(p.SinceIDs, id) {
			continue
		}
		out = append(out, o)
		if o.UpdatedAt == nil {
			continue // refused by toBatch
		}
		switch at := o.UpdatedAt.UTC(); {
		case at.After(p.Seen):
			p.Seen, p.SeenIDs = at, []string{id}
		case at.Equal(p.Seen) && !slices.Contains(p.SeenIDs, id):
			p.SeenIDs = append(p.SeenIDs, id)
		}
	}
	return out
}

func parseCursor(raw string) (Cursor, error) {
	c := Cursor{Version: 1, Listings: map[string]ListingPlace{}}
	if raw == "" {
		return c, nil
	}
	if err := json.Unmarshal([]byte(raw), &c); err != nil || c.Version != 1 {
		return Cursor{}, fmt.Errorf("unrecognised cursor %q", raw)
	}
	if c.Listings == nil {
		c.Listings = map[string]ListingPlace{}
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
	records := 0
	for pageNo := 1; ; pageNo++ {
		var p page
		err := s.client.GetJSON(ctx, s.listURL(r.Name, place.Since, place.PageToken, s.cfg.PageSize), &p)
		if err != nil && place.PageToken != "" && httpsource.FailureOf(err) == httpsource.Rejected {
			// Page tokens expire (README): walk again from Since. What
			// was stored already is stored again, which changes nothing.
			sdk.Logger().Warn("page token refused; starting the listing again", "plugin", Name, "listing", r.Name, "err", err)
			place.PageToken = ""
			continue
		}
		if err != nil {
			return records, err
		}
		next := place
		fresh := next.fresh(p.Data)
		b, err := r.toBatch(fresh)
		if err != nil {
			return records, fmt.Errorf("page %d refused (the cursor stays before it): %w", pageNo, err)
		}
		place = next
		place.PageToken = p.NextPageToken
		if place.PageToken == "" && !place.Seen.IsZero() {
			// Walk done: the next one starts at the newest record seen.
			place.Since, place.SinceIDs = place.Seen, place.SeenIDs
			place.Seen, place.SeenIDs = time.Time{}, nil
		}
		cur.Listings[r.Name] = place
		b.Cursor = cur.String()
		if err := emit(b); err != nil {
			return records, hostGone{err}
		}
		records += len(fresh)
		if place.PageToken == "" {
			return records, nil
		}
	}
}

// hostGone is an error of emit: the host cannot take more, so Collect
// stops rather than going on to the next listing.
type hostGone struct{ error }

func (e hostGone) Unwrap() error { return e.error }

func (s *Source) listURL(listing string, since time.Time, pageToken string, limit int) string {
	u := s.base.JoinPath("v1", listing)
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if !since.IsZero() {
		q.Set("updated_since", since.UTC().Format(time.RFC3339Nano))
	}
	if pageToken != "" {
		q.Set("page_token", pageToken)
	}
	u.RawQuery = q.Encode()
	return u.String()
}
