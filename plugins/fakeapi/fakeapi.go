// Package fakeapi serves the agency's three source APIs — the platform
// API, the performance-metrics API and the scraper service — as the
// platform, performance and scraper plugins' READMEs document them, from
// items a test supplies, with faults a test switches on (5xx, 429 with
// Retry-After, truncated or wrong-shaped pages, slow answers, a revoked
// key). Those APIs exist only at an agency; every test and benchmark that
// needs one uses this fake, so it follows one reading of the contract.
//
// The conventions all three APIs share: a bearer key in Authorization
// (401 {"error":{"code":"unauthenticated",…}} without it); listings answer
// {"data":[…],"next_page_token":"…"}, in order of the endpoint's time field
// then id, `limit` items a page (1-1000, default 100), the next page asked
// for with page_token; a bad parameter is 400 {"error":{"code":
// "invalid_argument","message":…}}.
package fakeapi

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Endpoint is one listing of an API and how it is filtered.
type Endpoint struct {
	// Path is the URL path, e.g. "/v1/campaigns".
	Path string
	// Field is the item field the listing is ordered and filtered by.
	Field string
	// Since names the query parameter that keeps items whose Field (an RFC
	// 3339 time) is at or after it ("updated_since"); empty when the
	// listing is filtered by a day range instead.
	Since string
	// DayRange: the required parameters from and to (YYYY-MM-DD) keep
	// items whose Field (a day) is within them, both included.
	DayRange bool
}

// File is the name of the testdata file holding the endpoint's items:
// the path's last element plus ".json" ("campaigns.json").
func (e Endpoint) File() string { return filepath.Base(e.Path) + ".json" }

// The three APIs' listings.
var (
	Platform = []Endpoint{
		{Path: "/v1/campaigns", Field: "updated_at", Since: "updated_since"},
		{Path: "/v1/influencers", Field: "updated_at", Since: "updated_since"},
		{Path: "/v1/contracts", Field: "updated_at", Since: "updated_since"},
		{Path: "/v1/payments", Field: "updated_at", Since: "updated_since"},
		{Path: "/v1/videos", Field: "updated_at", Since: "updated_since"},
	}
	Performance = []Endpoint{
		{Path: "/v1/performance_metrics", Field: "date", DayRange: true},
	}
	Scraper = []Endpoint{
		{Path: "/v1/runs", Field: "finished_at", Since: "since"},
		{Path: "/v1/errors", Field: "occurred_at", Since: "since"},
		{Path: "/v1/selector_updates", Field: "updated_at", Since: "since"},
		{Path: "/v1/video_stats", Field: "scraped_at", Since: "since"},
	}
)

// Page size limits of every listing.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Fault changes the answers to requests for Path ("" for any path).
type Fault struct {
	Path string
	// Page, when > 0, limits the fault to that page (1 is the first) of
	// a listing; 0 applies it to any request.
	Page int
	// Times is how many requests it spoils; 0 means every one from now.
	Times int
	// Status answers with this code and an error body.
	Status     int
	RetryAfter string
	// Body answers 200 with this body instead of the page.
	Body string
	// Truncate answers 200 with the page's JSON cut in half.
	Truncate bool
	// Delay holds the answer back this long.
	Delay time.Duration
}

// Request is one request the fake received.
type Request struct {
	At    time.Time
	Path  string
	Query string
	// Status is what the fake answered.
	Status int
}

// Server is one fake API on 127.0.0.1.
type Server struct {
	URL string

	srv       *httptest.Server
	endpoints map[string]Endpoint

	mu  sync.Mutex
	key string
	// byID holds each listing's items; sorted is the listing in order,
	// rebuilt after an Add.
	byID     map[string]map[string]item
	sorted   map[string][]item
	faults   []*Fault
	requests []Request
}

type item struct {
	order string // the Field value, normalised so strings sort in time order
	id    string
	raw   json.RawMessage
}

// New starts a fake serving endpoints (Platform, Performance or Scraper)
// that accepts key. Close it when done.
func New(endpoints []Endpoint, key string) *Server {
	s := &Server{endpoints: map[string]Endpoint{}, key: key, byID: map[string]map[string]item{}, sorted: map[string][]item{}}
	for _, e := range endpoints {
		s.endpoints[e.Path] = e
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// SetKey replaces the accepted key: the old one is revoked.
func (s *Server) SetKey(key string) {
	s.mu.Lock()
	s.key = key
	s.mu.Unlock()
}

// Fail adds a fault.
func (s *Server) Fail(f Fault) {
	s.mu.Lock()
	s.faults = append(s.faults, &f)
	s.mu.Unlock()
}

// Heal removes every fault.
func (s *Server) Heal() {
	s.mu.Lock()
	s.faults = nil
	s.mu.Unlock()
}

// Requests lists the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Add adds or replaces (by id) items of the listing at path. Each must be
// a JSON object with an "id" and the endpoint's Field.
func (s *Server) Add(path string, objects ...json.RawMessage) error {
	e, ok := s.endpoints[path]
	if !ok {
		return fmt.Errorf("fakeapi: no endpoint %s", path)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byID[path] == nil {
		s.byID[path] = map[string]item{}
	}
	for _, raw := range objects {
		var head map[string]any
		if err := json.Unmarshal(raw, &head); err != nil {
			return fmt.Errorf("fakeapi: %s item: %w", path, err)
		}
		id, ok := head["id"].(string)
		if !ok || id == "" {
			return fmt.Errorf("fakeapi: %s item without a string id: %s", path, raw)
		}
		order, err := orderKey(e, head[e.Field])
		if err != nil {
			return fmt.Errorf("fakeapi: %s item %s: %w", path, id, err)
		}
		s.byID[path][id] = item{order: order, id: id, raw: raw}
	}
	delete(s.sorted, path)
	return nil
}

// listing is the path's items in order (s.mu held).
func (s *Server) listing(path string) []item {
	if list, ok := s.sorted[path]; ok {
		return list
	}
	list := make([]item, 0, len(s.byID[path]))
	for _, it := range s.byID[path] {
		list = append(list, it)
	}
	slices.SortFunc(list, func(a, b item) int {
		if c := strings.Compare(a.order, b.order); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	s.sorted[path] = list
	return list
}

// LoadDir adds the items in dir's files, one per endpoint (Endpoint.File);
// a missing file leaves that listing empty.
func (s *Server) LoadDir(dir string) error {
	for path, e := range s.endpoints {
		data, err := os.ReadFile(filepath.Join(dir, e.File()))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return err
		}
		var objects []json.RawMessage
		if err := json.Unmarshal(data, &objects); err != nil {
			return fmt.Errorf("fakeapi: %s: %w", filepath.Join(dir, e.File()), err)
		}
		if err := s.Add(path, objects...); err != nil {
			return err
		}
	}
	return nil
}

// ForCase starts a fake for one plugin test, stopped when the test ends:
// endpoints accepting key, which goes into the environment variable keyEnv
// (where the plugin's api_key_env points), answering with the recorded
// answers in testdata/<testCase>/api ("" for none).
func ForCase(t testing.TB, endpoints []Endpoint, keyEnv, key, testCase string) *Server {
	t.Helper()
	s := New(endpoints, key)
	t.Cleanup(s.Close)
	if testCase != "" {
		if err := s.LoadDir(filepath.Join("testdata", testCase, "api")); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv(keyEnv, key)
	return s
}

// QuickConfig is a plugin config using the fake, with retries no test waits
// for, and extra on top.
func (s *Server) QuickConfig(extra map[string]any) map[string]any {
	cfg := map[string]any{"api_url": s.URL, "backoff_initial": "1ms", "backoff_max": "2ms", "rate_limit": 1000}
	maps.Copy(cfg, extra)
	return cfg
}

// orderKey normalises an item's Field: times to UTC nanoseconds, so they
// sort and compare as strings whatever their offset or precision.
func orderKey(e Endpoint, v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("field %s must be a string, got %v", e.Field, v)
	}
	if e.DayRange {
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			return "", fmt.Errorf("field %s: %w", e.Field, err)
		}
		return s, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return "", fmt.Errorf("field %s: %w", e.Field, err)
	}
	return fmt.Sprintf("%020d", t.UnixNano()), nil
}

type apiError struct {
	status                    int
	code, message, retryAfter string
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	status, body, retryAfter, delay := s.answer(r)
	time.Sleep(delay)
	w.Header().Set("Content-Type", "application/json")
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	w.WriteHeader(status)
	w.Write(body)
}

func (s *Server) answer(r *http.Request) (status int, body []byte, retryAfter string, delay time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer func() {
		s.requests = append(s.requests, Request{At: time.Now(), Path: r.URL.Path, Query: r.URL.RawQuery, Status: status})
	}()
	fail := func(e apiError) (int, []byte, string, time.Duration) {
		b, _ := json.Marshal(map[string]any{"error": map[string]string{"code": e.code, "message": e.message}})
		return e.status, b, e.retryAfter, delay
	}
	if r.Header.Get("Authorization") != "Bearer "+s.key || s.key == "" {
		return fail(apiError{status: 401, code: "unauthenticated", message: "missing or invalid API key"})
	}
	e, ok := s.endpoints[r.URL.Path]
	if !ok {
		return fail(apiError{status: 404, code: "not_found", message: "no such endpoint: " + r.URL.Path})
	}
	if r.Method != http.MethodGet {
		return fail(apiError{status: 405, code: "method_not_allowed", message: "listings are GET"})
	}
	page, next, perr := s.page(e, r)
	if perr != nil {
		return fail(*perr)
	}
	var fault *Fault
	for _, f := range s.faults {
		if (f.Path == "" || f.Path == e.Path) && (f.Page == 0 || f.Page == pageNumber(r)) && f.Times >= 0 {
			fault = f
			if f.Times > 0 {
				if f.Times--; f.Times == 0 {
					f.Times = -1 // spent
				}
			}
			break
		}
	}
	out, _ := json.Marshal(struct {
		Data          []json.RawMessage `json:"data"`
		NextPageToken string            `json:"next_page_token,omitempty"`
	}{page, next})
	if fault == nil {
		return 200, out, "", 0
	}
	delay = fault.Delay
	switch {
	case fault.Status != 0:
		code := map[int]string{400: "invalid_argument", 401: "unauthenticated", 403: "forbidden", 429: "rate_limited"}[fault.Status]
		if code == "" {
			code = "internal"
		}
		return fail(apiError{status: fault.Status, code: code, message: "injected fault", retryAfter: fault.RetryAfter})
	case fault.Body != "":
		return 200, []byte(fault.Body), "", delay
	case fault.Truncate:
		return 200, out[:len(out)/2], "", delay
	}
	return 200, out, "", delay
}

// pageNumber is 1 for a request without page_token, else the token's page.
func pageNumber(r *http.Request) int {
	tok, err := decodeToken(r.URL.Query().Get("page_token"))
	if err != nil {
		return 0
	}
	return tok.page
}

type token struct {
	offset, page int
}

func encodeToken(t token) string {
	return base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%d:%d", t.offset, t.page))
}

func decodeToken(s string) (token, error) {
	if s == "" {
		return token{page: 1}, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return token{}, err
	}
	a, b, ok := strings.Cut(string(raw), ":")
	off, err1 := strconv.Atoi(a)
	page, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || off < 0 || page < 2 {
		return token{}, fmt.Errorf("bad token")
	}
	return token{offset: off, page: page}, nil
}

// page picks the items of one page and the token of the next.
func (s *Server) page(e Endpoint, r *http.Request) ([]json.RawMessage, string, *apiError) {
	q := r.URL.Query()
	bad := func(format string, args ...any) *apiError {
		return &apiError{status: 400, code: "invalid_argument", message: fmt.Sprintf(format, args...)}
	}
	limit := DefaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxLimit {
			return nil, "", bad("limit must be 1 to %d, got %q", MaxLimit, v)
		}
		limit = n
	}
	tok, err := decodeToken(q.Get("page_token"))
	if err != nil {
		return nil, "", bad("page_token is not one this API issued")
	}
	var lo, hi string // inclusive bounds on the order key
	switch {
	case e.DayRange:
		from, to := q.Get("from"), q.Get("to")
		if _, err := time.Parse(time.DateOnly, from); err != nil {
			return nil, "", bad("from must be a day like 2026-11-20, got %q", from)
		}
		if _, err := time.Parse(time.DateOnly, to); err != nil {
			return nil, "", bad("to must be a day like 2026-11-20, got %q", to)
		}
		if to < from {
			return nil, "", bad("to (%s) is before from (%s)", to, from)
		}
		lo, hi = from, to
	case q.Get(e.Since) != "":
		since, err := time.Parse(time.RFC3339Nano, q.Get(e.Since))
		if err != nil {
			return nil, "", bad("%s must be an RFC 3339 time, got %q", e.Since, q.Get(e.Since))
		}
		lo = fmt.Sprintf("%020d", since.UnixNano())
	}
	var matched []json.RawMessage
	for _, it := range s.listing(e.Path) {
		if it.order >= lo && (hi == "" || it.order <= hi) {
			matched = append(matched, it.raw)
		}
	}
	if tok.offset > len(matched) {
		return nil, "", bad("page_token is past the end of the listing")
	}
	end := min(tok.offset+limit, len(matched))
	next := ""
	if end < len(matched) {
		next = encodeToken(token{offset: end, page: tok.page + 1})
	}
	return matched[tok.offset:end], next, nil
}
