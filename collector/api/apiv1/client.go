package apiv1

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Config says where the API is and how to reach it.
type Config struct {
	// URL is the server's base URL, e.g. http://127.0.0.1:9464.
	URL string
	// Token is a bearer token (`commandcenter tokens create`).
	Token string
	// Timeout bounds each call except Stream. Default 30s.
	Timeout time.Duration
	// TLS configures HTTPS: CA pool, client certificate, server name. Nil
	// uses the system's roots.
	TLS *tls.Config
	// HTTPClient, when set, is used as it is (its own transport and TLS);
	// Timeout still bounds each call.
	HTTPClient *http.Client
	// UserAgent is sent with every request.
	UserAgent string
	// MaxResponseBytes bounds one answer (and one streamed change), so a
	// broken or hostile server cannot exhaust memory. Default 64 MiB.
	MaxResponseBytes int64
	// StreamIdleTimeout ends a Stream that received nothing, not even a
	// keep-alive, for this long. Default 1m (the server sends one every 15s).
	StreamIdleTimeout time.Duration
}

// Defaults of Config's zero fields.
const (
	DefaultTimeout           = 30 * time.Second
	DefaultMaxResponseBytes  = 64 << 20
	DefaultStreamIdleTimeout = time.Minute
)

// Client calls one commandcenter server. It is safe for concurrent use.
type Client struct {
	base        *url.URL
	token       string
	timeout     time.Duration
	http        *http.Client
	agent       string
	maxResponse int64
	streamIdle  time.Duration
}

// New checks cfg and returns a client; it makes no request.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.URL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("commandcenter API URL must be http(s)://host[:port], got %q", cfg.URL)
	}
	c := &Client{base: u, token: cfg.Token, timeout: cfg.Timeout, http: cfg.HTTPClient, agent: cfg.UserAgent,
		maxResponse: cfg.MaxResponseBytes, streamIdle: cfg.StreamIdleTimeout}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxResponse <= 0 {
		c.maxResponse = DefaultMaxResponseBytes
	}
	if c.streamIdle <= 0 {
		c.streamIdle = DefaultStreamIdleTimeout
	}
	if c.agent == "" {
		c.agent = "commandcenter-apiv1-client"
	}
	if c.http == nil {
		// No overall client timeout: it would cut Stream off. Calls are
		// bounded by their context; connecting and TLS have their own.
		c.http = &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSClientConfig:       cfg.TLS,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: c.timeout,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       90 * time.Second,
		}}
	}
	return c, nil
}

// Push stores one batch under source ("" for "api"; otherwise stored as
// "api-<source>").
func (c *Client) Push(ctx context.Context, source string, batch PushRequest) (*PushResponse, error) {
	body, err := json.Marshal(batch)
	if err != nil {
		return nil, fmt.Errorf("encoding the batch: %w", err)
	}
	return c.PushJSON(ctx, source, body)
}

// PushJSON sends a body that is already JSON (say, a webhook's payload
// relayed as it came) as one batch.
func (c *Client) PushJSON(ctx context.Context, source string, body []byte) (*PushResponse, error) {
	q := url.Values{}
	if source != "" {
		q.Set("source", source)
	}
	var out PushResponse
	return &out, c.Do(ctx, http.MethodPost, PathEvents, q, body, &out)
}

// Stats is the token's tenant's quick stats.
func (c *Client) Stats(ctx context.Context) (*StatsResponse, error) {
	var out StatsResponse
	return &out, c.Do(ctx, http.MethodGet, PathStats, nil, nil, &out)
}

// Activity is one page of the activity feed.
func (c *Client) Activity(ctx context.Context, q ActivityQuery) (*ActivityResponse, error) {
	var out ActivityResponse
	return &out, c.Do(ctx, http.MethodGet, PathActivity, q.Values(), nil, &out)
}

// Worklist is what needs action, most urgent first.
func (c *Client) Worklist(ctx context.Context) (*WorklistResponse, error) {
	var out WorklistResponse
	return &out, c.Do(ctx, http.MethodGet, PathWorklist, nil, nil, &out)
}

// Performance aggregates daily metrics.
func (c *Client) Performance(ctx context.Context, q PerformanceQuery) (*PerformanceResponse, error) {
	var out PerformanceResponse
	return &out, c.Do(ctx, http.MethodGet, PathPerformance, q.Values(), nil, &out)
}

// Entities is one page of entities of one type (sdk.EntityTypes).
func (c *Client) Entities(ctx context.Context, entityType string, q EntitiesQuery) (*EntitiesResponse, error) {
	var out EntitiesResponse
	return &out, c.Do(ctx, http.MethodGet, PathEntities+entityType, q.Values(), nil, &out)
}

// Plugins is the state of every source plugin.
func (c *Client) Plugins(ctx context.Context) (*PluginsResponse, error) {
	var out PluginsResponse
	return &out, c.Do(ctx, http.MethodGet, PathPlugins, nil, nil, &out)
}

// WhoAmI says which tenant and scope the client's token has.
func (c *Client) WhoAmI(ctx context.Context) (*WhoAmI, error) {
	var out WhoAmI
	return &out, c.Do(ctx, http.MethodGet, PathWhoAmI, nil, nil, &out)
}

// Layouts lists the tenant's saved layouts.
func (c *Client) Layouts(ctx context.Context) (*LayoutsResponse, error) {
	var out LayoutsResponse
	return &out, c.Do(ctx, http.MethodGet, PathLayouts, nil, nil, &out)
}

// Layout reads one layout.
func (c *Client) Layout(ctx context.Context, id string) (*Layout, error) {
	var out Layout
	return &out, c.Do(ctx, http.MethodGet, PathLayouts+"/"+url.PathEscape(id), nil, nil, &out)
}

// LayoutDashboard is a layout rendered as Grafana dashboard JSON.
func (c *Client) LayoutDashboard(ctx context.Context, id string) (json.RawMessage, error) {
	var out json.RawMessage
	return out, c.Do(ctx, http.MethodGet, PathLayouts+"/"+url.PathEscape(id)+"/dashboard", nil, nil, &out)
}

// PutLayout creates (Version 0) or replaces (the Version read) a layout
// and returns it as stored, with its new version.
func (c *Client) PutLayout(ctx context.Context, l Layout) (*Layout, error) {
	body, err := json.Marshal(l)
	if err != nil {
		return nil, err
	}
	var out Layout
	return &out, c.Do(ctx, http.MethodPut, PathLayouts+"/"+url.PathEscape(l.ID), nil, body, &out)
}

// DeleteLayout deletes a layout at the version read.
func (c *Client) DeleteLayout(ctx context.Context, id string, version int64) error {
	q := url.Values{"version": {strconv.FormatInt(version, 10)}}
	return c.Do(ctx, http.MethodDelete, PathLayouts+"/"+url.PathEscape(id), q, nil, nil)
}

// Tokens lists the tenant's API tokens (an admin token), never their
// secrets.
func (c *Client) Tokens(ctx context.Context) (*TokensResponse, error) {
	var out TokensResponse
	return &out, c.Do(ctx, http.MethodGet, PathTokens, nil, nil, &out)
}

// CreateToken creates a token of the tenant (an admin token); the answer's
// Secret is shown this once.
func (c *Client) CreateToken(ctx context.Context, req CreateTokenRequest) (*CreateTokenResponse, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	var out CreateTokenResponse
	return &out, c.Do(ctx, http.MethodPost, PathTokens, nil, body, &out)
}

// RevokeToken revokes a token of the tenant by id (an admin token; it may
// revoke itself). Another tenant's id is 404 token_not_found, as an
// unknown one.
func (c *Client) RevokeToken(ctx context.Context, id string) error {
	return c.Do(ctx, http.MethodDelete, PathTokens+"/"+url.PathEscape(id), nil, nil, nil)
}

// Healthy asks /healthz whether the server is alive.
func (c *Client) Healthy(ctx context.Context) error {
	return c.Do(ctx, http.MethodGet, PathHealthz, nil, nil, &Health{})
}

// Ready asks /readyz whether the server can serve; a *Error with code
// not_ready says why not.
func (c *Client) Ready(ctx context.Context) error {
	return c.Do(ctx, http.MethodGet, PathReadyz, nil, nil, &Health{})
}

// Do sends one request and decodes a 2xx JSON answer into out (nil: the
// body is discarded). Any other answer is returned as *Error. The typed
// methods are built on it; it is exported for calls they do not cover.
func (c *Client) Do(ctx context.Context, method, path string, query url.Values, body []byte, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	resp, err := c.send(ctx, method, path, query, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer := &io.LimitedReader{R: resp.Body, N: c.maxResponse + 1}
	if out == nil {
		_, err = io.Copy(io.Discard, answer)
	} else if err = json.NewDecoder(answer).Decode(out); err == nil {
		_, err = io.Copy(io.Discard, answer) // read to the end, so the connection is reused
	}
	switch {
	case answer.N <= 0:
		return fmt.Errorf("commandcenter API: the answer to %s %s is larger than %d bytes", method, path, c.maxResponse)
	case err != nil:
		return fmt.Errorf("commandcenter API: decoding the answer to %s %s: %w", method, path, err)
	}
	return nil
}

// send makes the request and turns a non-2xx answer into *Error.
func (c *Client) send(ctx context.Context, method, path string, query url.Values, body []byte) (*http.Response, error) {
	u := *c.base
	u.Path += path
	u.RawQuery = query.Encode()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", c.agent)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("commandcenter API: %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	return nil, readError(resp)
}

// readError decodes an error body; a body that is not ours (a proxy's page)
// still gives an *Error with the status.
func readError(resp *http.Response) *Error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var body ErrorBody
	if json.Unmarshal(raw, &body) == nil && body.Error != nil && body.Error.Code != "" {
		body.Error.StatusCode, body.Error.Header = resp.StatusCode, resp.Header
		return body.Error
	}
	msg := strings.TrimSpace(string(raw))
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	if msg == "" {
		msg = http.StatusText(resp.StatusCode)
	}
	return &Error{StatusCode: resp.StatusCode, Header: resp.Header, Code: fmt.Sprintf("http_%d", resp.StatusCode), Message: msg}
}

// Stream follows GET /api/v1/stream, calling fn for every change until ctx
// ends (ctx.Err()), the server closes the stream (ErrStreamClosed), it is
// silent longer than the idle timeout, or fn returns an error (returned as
// it is). It does not reconnect; keep-alive comments are skipped.
func (c *Client) Stream(ctx context.Context, fn func(Change) error) error {
	return c.Follow(ctx, nil, fn)
}

// Follow is Stream that also calls ready (when not nil) once the server
// has subscribed the stream, before any change: the moment to catch up,
// with ActivityQuery.SinceID, on what was stored while not connected.
func (c *Client) Follow(ctx context.Context, ready func(StreamReady) error, fn func(Change) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	resp, err := c.send(ctx, http.MethodGet, PathStream, nil, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	// A silent server (not even keep-alives) ends the stream.
	var idle atomic.Bool
	timer := time.AfterFunc(c.streamIdle, func() { idle.Store(true); cancel() })
	defer timer.Stop()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), int(min(c.maxResponse, 1<<30)))
	var event string
	var data []byte
	dispatch := func() error {
		switch {
		case len(data) == 0:
		case event == StreamEventChange:
			var ch Change
			if err := json.Unmarshal(data, &ch); err != nil {
				return fmt.Errorf("commandcenter API: stream: decoding a change: %w", err)
			}
			return fn(ch)
		case event == StreamEventReady && ready != nil:
			var r StreamReady
			if err := json.Unmarshal(data, &r); err != nil {
				return fmt.Errorf("commandcenter API: stream: decoding ready: %w", err)
			}
			return ready(r)
		}
		return nil
	}
	for sc.Scan() {
		timer.Reset(c.streamIdle)
		line := sc.Text()
		switch {
		case line == "":
			if err := dispatch(); err != nil {
				return err
			}
			event, data = "", data[:0]
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "event:"):
			event = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
		case strings.HasPrefix(line, "data:"):
			if len(data) > 0 {
				data = append(data, '\n') // data lines of one event join with newlines
			}
			data = append(data, strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " ")...)
			if int64(len(data)) > c.maxResponse {
				return fmt.Errorf("commandcenter API: stream: a change larger than %d bytes", c.maxResponse)
			}
		}
	}
	switch {
	case idle.Load():
		return fmt.Errorf("commandcenter API: stream: nothing received for %s", c.streamIdle)
	case ctx.Err() != nil:
		return ctx.Err()
	case sc.Err() != nil:
		return fmt.Errorf("commandcenter API: stream: %w", sc.Err())
	}
	return ErrStreamClosed
}

// ErrStreamClosed is what Stream returns when the server ends the stream
// (it is shutting down); reconnect after a pause.
var ErrStreamClosed = errors.New("commandcenter API: the server closed the stream")

// IsCode reports whether err is an API error with the given code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}
