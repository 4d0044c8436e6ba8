package sdk

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MaxBatchItems bounds one batch; larger ones are rejected whole.
const MaxBatchItems = 50_000

// Problem is one thing wrong with a batch, at a path like "events[3].kind".
type Problem struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

// ValidationError lists every problem found in a batch. A batch with any
// problem is not stored at all.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "batch rejected, %d problem(s): ", len(e.Problems))
	for i, p := range e.Problems {
		if i == 5 {
			fmt.Fprintf(&b, "; and %d more", len(e.Problems)-5)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.Path + ": " + p.Message)
	}
	return b.String()
}

var (
	tenantPattern   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)
	namespacedKind  = regexp.MustCompile(`^x\.[a-z0-9_-]+\.[a-z0-9_.-]+$`)
	sourceName      = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)
	knownKinds      = toSet(Kinds)
	knownEntities   = toSet(EntityTypes)
)

// ValidSourceName reports whether name may name a source (a plugin in the
// config, or ?source= of the push API): a lower-case letter, then up to 31
// lower-case letters, digits, '-' or '_'. Events are unique per source.
func ValidSourceName(name string) bool { return sourceName.MatchString(name) }

// CheckTenant returns the problem with tenant id t at path, or nil when it
// is well formed.
func CheckTenant(path, t string) *Problem {
	if validTenant(t) {
		return nil
	}
	return &Problem{Path: path, Message: fmt.Sprintf("must be 1-64 letters, digits, '_', '.' or '-', got %q", t)}
}

// validTenant is tenantPattern.MatchString(t) without the regexp machinery
// (it runs for every item of every batch); a test holds the two equal.
func validTenant(t string) bool {
	if len(t) == 0 || len(t) > 64 || !isAlnum(t[0]) {
		return false
	}
	for i := 1; i < len(t); i++ {
		if c := t[i]; !isAlnum(c) && c != '_' && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// CheckKind returns the problem with event kind k at path, or nil when it
// is a known kind or namespaced "x.<plugin>.<kind>".
func CheckKind(path, k string) *Problem {
	if knownKinds[k] || namespacedKind.MatchString(k) {
		return nil
	}
	return &Problem{Path: path, Message: fmt.Sprintf("unknown kind %q (custom kinds must be namespaced \"x.<plugin>.<kind>\")", k)}
}

func toSet(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// maxIDLen bounds keys and ids so one bad source cannot bloat indexes.
const maxIDLen = 256

// item is where an item sits in its batch, events[3]: its paths are only
// spelled out for a problem, since nearly every item has none.
type item struct {
	list string
	i    int
}

func (it item) path(field string) string {
	if field == "" {
		return it.list + "[" + strconv.Itoa(it.i) + "]"
	}
	return it.list + "[" + strconv.Itoa(it.i) + "]." + field
}

type checker struct{ problems []Problem }

func (c *checker) add(path, format string, args ...any) {
	c.problems = append(c.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) id(it item, field, v string) {
	switch {
	case v == "":
		c.add(it.path(field), "required")
	case len(v) > maxIDLen:
		c.add(it.path(field), "longer than %d bytes", maxIDLen)
	}
}

func (c *checker) tenant(it item, v string) {
	if !validTenant(v) {
		c.problems = append(c.problems, *CheckTenant(it.path("tenant"), v))
	}
}

// MaxAttrsBytes bounds one item's free-form attrs: enough for any detail
// a source keeps, too little for one item to weigh on every reader.
const MaxAttrsBytes = 64 << 10

func (c *checker) attrs(it item, v json.RawMessage) {
	if len(v) == 0 || string(v) == "null" {
		return
	}
	switch {
	case len(v) > MaxAttrsBytes:
		c.add(it.path("attrs"), "%d bytes, more than the limit of %d", len(v), MaxAttrsBytes)
	case !json.Valid(v) || bytes.TrimSpace(v)[0] != '{':
		c.add(it.path("attrs"), "must be a JSON object")
	}
}

func (c *checker) money(it item, field string, m *Money) {
	if m == nil {
		return
	}
	switch {
	case m.Minor < 0:
		c.add(it.path(field+".minor"), "must not be negative, got %d", m.Minor)
	case m.Minor > MaxMinor:
		c.add(it.path(field+".minor"), "must be at most %d, got %d", int64(MaxMinor), m.Minor)
	}
	if !validCurrency(m.Currency) {
		c.add(it.path(field+".currency"), "must be an ISO 4217 code like \"EUR\", got %q", m.Currency)
	}
}

// validCurrency is currencyPattern.MatchString(s), without the regexp.
func validCurrency(s string) bool {
	return len(s) == 3 && 'A' <= s[0] && s[0] <= 'Z' && 'A' <= s[1] && s[1] <= 'Z' && 'A' <= s[2] && s[2] <= 'Z'
}

// Times outside [MinTime, MaxTime) are mistakes (a zero year, a
// placeholder 9999-12-31), not events of an agency.
var (
	MinTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	MaxTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

func (c *checker) time(it item, field string, t time.Time) {
	if t.Before(MinTime) || !t.Before(MaxTime) {
		c.add(it.path(field), "must be from %d to %d, got %s", MinTime.Year(), MaxTime.Year()-1, t.UTC().Format(time.RFC3339))
	}
}

// Bounds of one amount and one daily counter: far past any real value
// (10 trillion in major units; a trillion views a day), so no sum of them
// nears the int64 limit in practice, and sums saturate rather than wrap.
const (
	MaxMinor = 1_000_000_000_000_000
	MaxCount = 1_000_000_000_000
)

func (c *checker) count(it item, field string, v int64) {
	switch {
	case v < 0:
		c.add(it.path(field), "must not be negative, got %d", v)
	case v > MaxCount:
		c.add(it.path(field), "must be at most %d, got %d", int64(MaxCount), v)
	}
}

// Validated is a batch Validate found nothing wrong with. ValidateBatch is
// the only way to get one that holds a batch, so whoever takes a Validated
// (the store) knows it was checked and need not check it again; the zero
// Validated holds none. Its batch must not be changed once validated.
type Validated struct{ b *Batch }

// Batch is the validated batch; nil for the zero Validated.
func (v Validated) Batch() *Batch { return v.b }

// Validate checks a whole batch and reports every problem at once, as a
// *ValidationError. The host runs it on every batch before storing any of
// it; a plugin's own tests can run it too.
func Validate(b *Batch) error {
	_, err := ValidateBatch(b)
	return err
}

// ValidateBatch is Validate that hands a batch without problems back as
// Validated, for the store.
func ValidateBatch(b *Batch) (Validated, error) {
	var c checker
	if n := b.Len(); n > MaxBatchItems {
		c.add("batch", "%d items, more than the limit of %d", n, MaxBatchItems)
		return Validated{}, &ValidationError{Problems: c.problems}
	}
	for i := range b.Events {
		e := &b.Events[i]
		it := item{"events", i}
		c.id(it, "key", e.Key)
		c.tenant(it, e.Tenant)
		if !knownKinds[e.Kind] {
			if pr := CheckKind(it.path("kind"), e.Kind); pr != nil {
				c.add(pr.Path, "%s", pr.Message)
			}
		}
		if e.Entity.Type != "" && !knownEntities[e.Entity.Type] {
			c.add(it.path("entity.type"), "unknown entity type %q", e.Entity.Type)
		}
		if len(e.Entity.ID) > maxIDLen {
			c.add(it.path("entity.id"), "longer than %d bytes", maxIDLen)
		}
		if e.OccurredAt.IsZero() {
			c.add(it.path("occurred_at"), "required")
		} else {
			c.time(it, "occurred_at", e.OccurredAt)
		}
		c.attrs(it, e.Attrs)
	}
	for i := range b.Entities {
		e := &b.Entities[i]
		it := item{"entities", i}
		c.tenant(it, e.Tenant)
		statuses, ok := Statuses[e.Type]
		if !ok {
			c.add(it.path("type"), "unknown entity type %q (one of %s)", e.Type, strings.Join(EntityTypes, ", "))
		} else if !slices.Contains(statuses, e.Status) {
			c.add(it.path("status"), "unknown %s status %q (one of %s)", e.Type, e.Status, strings.Join(statuses, ", "))
		}
		c.id(it, "id", e.ID)
		if !e.StatusSince.IsZero() {
			c.time(it, "status_since", e.StatusSince)
		}
		if !e.DueAt.IsZero() {
			c.time(it, "due_at", e.DueAt)
		}
		c.money(it, "amount", e.Amount)
		if e.Type == EntityPayment && e.Amount == nil {
			c.add(it.path("amount"), "required for payments")
		}
		c.attrs(it, e.Attrs)
	}
	for i := range b.DailyMetrics {
		m := &b.DailyMetrics[i]
		it := item{"daily_metrics", i}
		c.tenant(it, m.Tenant)
		c.id(it, "campaign", m.Campaign)
		c.id(it, "platform", m.Platform)
		if day, err := time.Parse(time.DateOnly, m.Day); err != nil {
			c.add(it.path("day"), "must be a date YYYY-MM-DD, got %q", m.Day)
		} else {
			c.time(it, "day", day)
		}
		for _, f := range m.Counts.fields() {
			c.count(it, f.name, f.v)
		}
		c.money(it, "cost", m.Cost)
		c.money(it, "revenue", m.Revenue)
		if m.Cost != nil && m.Revenue != nil && m.Cost.Currency != m.Revenue.Currency {
			c.add(it.path("revenue.currency"), "must match cost currency %q", m.Cost.Currency)
		}
	}
	if len(c.problems) > 0 {
		return Validated{}, &ValidationError{Problems: c.problems}
	}
	return Validated{b: b}, nil
}
