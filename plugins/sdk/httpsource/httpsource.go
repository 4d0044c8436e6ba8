// Package httpsource is the HTTP client a source plugin fetches its API
// with: a timeout per request, a request-rate limit, retries with capped
// exponential backoff and full jitter on network errors, 429 and 5xx
// (honouring Retry-After), a bound on body size, and errors that tell apart
// "cannot reach", "credentials refused" and "responds but not in the
// documented shape", so a plugin's Check can answer with them as they are.
//
// Options carries the settings under the JSON names every source's config
// shares (timeout, rate_limit, max_retries, backoff_initial, backoff_max).
package httpsource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// Options are the HTTP settings of a source's config. Durations are
// strings such as "30s" or "2m"; a zero value takes the default.
type Options struct {
	// Timeout bounds one request, reading the body included. Default 30s.
	Timeout string `json:"timeout,omitempty"`
	// RateLimit is the most requests per second (bursts of one). Default
	// 10; it may be fractional (0.5: one request every two seconds).
	RateLimit float64 `json:"rate_limit,omitempty"`
	// MaxRetries is how many times a request is retried after a network
	// error, 429 or 5xx. Default 5; -1 never retries.
	MaxRetries int `json:"max_retries,omitempty"`
	// BackoffInitial is the first retry's delay, doubled each retry up to
	// BackoffMax (each drawn at random below the cap: full jitter).
	// Defaults 1s and 30s. A Retry-After the API sends wins.
	BackoffInitial string `json:"backoff_initial,omitempty"`
	BackoffMax     string `json:"backoff_max,omitempty"`
}

// Defaults of Options.
const (
	DefaultTimeout    = 30 * time.Second
	DefaultRateLimit  = 10
	DefaultMaxRetries = 5
	DefaultBackoff    = time.Second
	DefaultBackoffMax = 30 * time.Second
	// MaxRetryAfter caps a Retry-After: a wait longer than this is an
	// error now rather than a Collect that sleeps for hours.
	MaxRetryAfter = 10 * time.Minute
	// MaxBodyBytes bounds one response body.
	MaxBodyBytes = 64 << 20
)

// settings are Options parsed, with defaults applied.
type settings struct {
	timeout, backoff, backoffMax time.Duration
	rateLimit                    float64
	maxRetries                   int
}

// Validate checks o, naming each bad field with its JSON name.
func (o Options) Validate() sdk.ConfigErrors {
	_, errs := o.parse()
	return errs
}

func (o Options) parse() (settings, sdk.ConfigErrors) {
	s := settings{timeout: DefaultTimeout, backoff: DefaultBackoff, backoffMax: DefaultBackoffMax,
		rateLimit: DefaultRateLimit, maxRetries: DefaultMaxRetries}
	var errs sdk.ConfigErrors
	duration := func(field, v string, into *time.Duration) {
		if v == "" {
			return
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, sdk.Fieldf(field, "must be a positive duration like 30s or 2m, got %q", v))
			return
		}
		*into = d
	}
	duration("timeout", o.Timeout, &s.timeout)
	duration("backoff_initial", o.BackoffInitial, &s.backoff)
	duration("backoff_max", o.BackoffMax, &s.backoffMax)
	if s.backoffMax < s.backoff {
		errs = append(errs, sdk.Fieldf("backoff_max", "must be at least backoff_initial (%s), got %s", s.backoff, s.backoffMax))
	}
	switch {
	case o.RateLimit < 0:
		errs = append(errs, sdk.Fieldf("rate_limit", "must be > 0 requests per second, got %g", o.RateLimit))
	case o.RateLimit > 0:
		s.rateLimit = o.RateLimit
	}
	switch {
	case o.MaxRetries < -1 || o.MaxRetries > 100:
		errs = append(errs, sdk.Fieldf("max_retries", "must be -1 (never) to 100, got %d", o.MaxRetries))
	case o.MaxRetries == -1:
		s.maxRetries = 0
	case o.MaxRetries > 0:
		s.maxRetries = o.MaxRetries
	}
	return s, errs
}

// Client fetches one API. It is safe for concurrent use; the rate limit is
// shared by every request it makes.
type Client struct {
	http      *http.Client
	limiter   *rate.Limiter
	set       settings
	authorize func(*http.Request)
	userAgent string
	logger    *slog.Logger
}

// New returns a client for o (which must Validate). authorize sets each
// request's credentials (nil: none). userAgent names the plugin and its
// version. logger receives a line per retry; nil uses sdk.Logger.
func New(o Options, authorize func(*http.Request), userAgent string, logger *slog.Logger) (*Client, error) {
	set, errs := o.parse()
	if len(errs) > 0 {
		return nil, errs
	}
	if authorize == nil {
		authorize = func(*http.Request) {}
	}
	if logger == nil {
		logger = sdk.Logger()
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.ResponseHeaderTimeout = set.timeout
	return &Client{
		http:      &http.Client{Transport: transport},
		limiter:   rate.NewLimiter(rate.Limit(set.rateLimit), 1),
		set:       set,
		authorize: authorize,
		userAgent: userAgent,
		logger:    logger,
	}, nil
}

// WithoutRetries is a client like c, sharing its rate limit, that tries
// each request once: for Check, which must answer within its deadline.
func (c *Client) WithoutRetries() *Client {
	once := *c
	once.set.maxRetries = 0
	return &once
}

// Failure says what kind of trouble a request met.
type Failure int

const (
	// Unreachable: no answer (connection refused, DNS, timeout, TLS).
	Unreachable Failure = iota + 1
	// Refused: the API refused the credentials (401 or 403).
	Refused
	// Failing: the API answered 429 or 5xx, retries included.
	Failing
	// Rejected: the API refused the request itself (another 4xx).
	Rejected
	// WrongShape: the API answered 2xx, but not with the documented JSON.
	WrongShape
)

// Error is a failed request: what failed, at which URL (without its query
// string, which may carry tokens), and why.
type Error struct {
	Failure Failure
	URL     string
	// Status is the HTTP status, 0 when none came back.
	Status int
	// Message is the API's own error message, or what went wrong.
	Message  string
	Attempts int
}

func (e *Error) Error() string {
	tries := ""
	if e.Attempts > 1 {
		tries = fmt.Sprintf(" (%d attempts)", e.Attempts)
	}
	switch e.Failure {
	case Unreachable:
		return fmt.Sprintf("cannot reach %s%s: %s", e.URL, tries, e.Message)
	case Refused:
		return fmt.Sprintf("credentials refused by %s: HTTP %d: %s", e.URL, e.Status, e.Message)
	case Failing:
		return fmt.Sprintf("%s is failing%s: HTTP %d: %s", e.URL, tries, e.Status, e.Message)
	case Rejected:
		return fmt.Sprintf("%s rejected the request: HTTP %d: %s", e.URL, e.Status, e.Message)
	default:
		return fmt.Sprintf("%s responds, but not in the documented shape: %s", e.URL, e.Message)
	}
}

// FailureOf is err's Failure, or 0 when err is not an *Error.
func FailureOf(err error) Failure {
	var e *Error
	if errors.As(err, &e) {
		return e.Failure
	}
	return 0
}

// GetJSON fetches rawURL and decodes its JSON body into v, retrying as
// Options say. Fields the API adds beyond v's are ignored; a body that is
// not JSON, is cut short, or has a field of the wrong type is WrongShape,
// and is not retried: the next Collect tries again.
func (c *Client) GetJSON(ctx context.Context, rawURL string, v any) error {
	body, err := c.Get(ctx, rawURL)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return &Error{Failure: WrongShape, URL: redact(rawURL), Message: describeJSONError(err, body)}
	}
	return nil
}

// Get fetches rawURL and returns its body, retrying network errors, 429
// and 5xx with backoff.
func (c *Client) Get(ctx context.Context, rawURL string) ([]byte, error) {
	shown := redact(rawURL)
	for attempt := 1; ; attempt++ {
		if err := c.limiter.Wait(ctx); err != nil {
			return nil, fmt.Errorf("%s: %w", shown, err)
		}
		body, retryAfter, err := c.once(ctx, rawURL)
		if err == nil {
			return body, nil
		}
		err.URL, err.Attempts = shown, attempt
		retryable := err.Failure == Unreachable || err.Failure == Failing
		if !retryable || attempt > c.set.maxRetries || ctx.Err() != nil {
			if ctx.Err() != nil && err.Failure == Unreachable {
				return nil, fmt.Errorf("%w (%w)", err, context.Cause(ctx))
			}
			return nil, err
		}
		wait := c.backoff(attempt)
		if retryAfter > 0 {
			if retryAfter > MaxRetryAfter {
				err.Message += fmt.Sprintf(" (Retry-After %s is longer than the %s this plugin waits)", retryAfter, MaxRetryAfter)
				return nil, err
			}
			wait = retryAfter
		}
		c.logger.Warn("request failed, retrying", "url", shown, "attempt", attempt, "wait", wait.String(), "err", err.Message, "status", err.Status)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%w (gave up waiting to retry: %w)", err, context.Cause(ctx))
		case <-t.C:
		}
	}
}

// backoff is full jitter: a random wait below min(max, initial·2^(n-1)).
func (c *Client) backoff(attempt int) time.Duration {
	ceiling := c.set.backoff
	for i := 1; i < attempt && ceiling < c.set.backoffMax; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, c.set.backoffMax)
	return ceiling/2 + rand.N(ceiling/2+1)
}

func (c *Client) once(ctx context.Context, rawURL string) ([]byte, time.Duration, *Error) {
	ctx, cancel := context.WithTimeout(ctx, c.set.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, 0, &Error{Failure: Rejected, Message: err.Error()}
	}
	req.Header.Set("Accept", "application/json")
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	c.authorize(req)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, 0, &Error{Failure: Unreachable, Message: unwrapURLError(err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBodyBytes+1))
	if err != nil {
		// Cut off mid-body: the connection failed, so try again.
		return nil, 0, &Error{Failure: Unreachable, Status: resp.StatusCode, Message: "reading the body: " + unwrapURLError(err)}
	}
	if len(body) > MaxBodyBytes {
		return nil, 0, &Error{Failure: WrongShape, Status: resp.StatusCode, Message: fmt.Sprintf("body larger than %d MiB", MaxBodyBytes>>20)}
	}
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return body, 0, nil
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return nil, 0, &Error{Failure: Refused, Status: code, Message: apiMessage(body)}
	case code == http.StatusTooManyRequests || code >= 500:
		return nil, retryAfter(resp.Header.Get("Retry-After"), time.Now()), &Error{Failure: Failing, Status: code, Message: apiMessage(body)}
	default:
		return nil, 0, &Error{Failure: Rejected, Status: code, Message: apiMessage(body)}
	}
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(strings.TrimSpace(h), 10, 64); err == nil && secs >= 0 {
		return time.Duration(min(secs, int64(24*time.Hour/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// apiMessage is the message of the documented error body
// {"error":{"code":"…","message":"…"}}, else the body's start.
func apiMessage(body []byte) string {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && (e.Error.Message != "" || e.Error.Code != "") {
		return strings.TrimSpace(e.Error.Code + " " + e.Error.Message)
	}
	s := strings.ToValidUTF8(strings.TrimSpace(string(body)), "?")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	if s == "" {
		return "(empty body)"
	}
	return s
}

func describeJSONError(err error, body []byte) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case strings.Contains(err.Error(), "unexpected end of JSON input"):
		return fmt.Sprintf("JSON cut short after %d bytes", len(body))
	case errors.As(err, &syntax):
		return fmt.Sprintf("not valid JSON at byte %d of %d: %v", syntax.Offset, len(body), err)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %q is %s, want %s", typ.Field, typ.Value, typ.Type)
	}
	return err.Error()
}

func unwrapURLError(err error) string {
	var u *url.Error
	if errors.As(err, &u) {
		return u.Err.Error()
	}
	return err.Error()
}

// redact drops the query string: page tokens and filters are noise in a
// log line, and some APIs take keys there.
func redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(unparsable URL)"
	}
	u.RawQuery, u.User = "", nil
	return u.String()
}
