package sdk

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
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
	if tenantPattern.MatchString(t) {
		return nil
	}
	return &Problem{Path: path, Message: fmt.Sprintf("must be 1-64 letters, digits, '_', '.' or '-', got %q", t)}
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

type checker struct{ problems []Problem }

func (c *checker) add(path, format string, args ...any) {
	c.problems = append(c.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) id(path, v string) {
	switch {
	case v == "":
		c.add(path, "required")
	case len(v) > maxIDLen:
		c.add(path, "longer than %d bytes", maxIDLen)
	}
}

func (c *checker) tenant(path, v string) {
	if p := CheckTenant(path, v); p != nil {
		c.problems = append(c.problems, *p)
	}
}

// MaxAttrsBytes bounds one item's free-form attrs: enough for any detail
// a source keeps, too little for one item to weigh on every reader.
const MaxAttrsBytes = 64 << 10

func (c *checker) attrs(path string, v json.RawMessage) {
	if len(v) == 0 || string(v) == "null" {
		return
	}
	switch {
	case len(v) > MaxAttrsBytes:
		c.add(path, "%d bytes, more than the limit of %d", len(v), MaxAttrsBytes)
	case !json.Valid(v) || strings.TrimSpace(string(v))[0] != '{':
		c.add(path, "must be a JSON object")
	}
}

func (c *checker) money(path string, m *Money) {
	if m == nil {
		return
	}
	switch {
	case m.Minor < 0:
		c.add(path+".minor", "must not be negative, got %d", m.Minor)
	case m.Minor > MaxMinor:
		c.add(path+".minor", "must be at most %d, got %d", int64(MaxMinor), m.Minor)
	}
	if !currencyPattern.MatchString(m.Currency) {
		c.add(path+".currency", "must be an ISO 4217 code like \"EUR\", got %q", m.Currency)
	}
}

// Times outside [MinTime, MaxTime) are mistakes (a zero year, a
// placeholder 9999-12-31), not events of an agency.
var (
	MinTime = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	MaxTime = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

func (c *checker) time(path string, t time.Time) {
	if t.Before(MinTime) || !t.Before(MaxTime) {
		c.add(path, "must be from %d to %d, got %s", MinTime.Year(), MaxTime.Year()-1, t.UTC().Format(time.RFC3339))
	}
}

// Bounds of one amount and one daily counter: far past any real value
// (10 trillion in major units; a trillion views a day), so no sum of them
// nears the int64 limit in practice, and sums saturate rather than wrap.
const (
	MaxMinor = 1_000_000_000_000_000
	MaxCount = 1_000_000_000_000
)

func (c *checker) count(path string, v int64) {
	switch {
	case v < 0:
		c.add(path, "must not be negative, got %d", v)
	case v > MaxCount:
		c.add(path, "must be at most %d, got %d", int64(MaxCount), v)
	}
}

// Validate checks a whole batch and reports every problem at once, as a
// *ValidationError. The host runs it on every batch before storing any of
// it; a plugin's own tests can run it too.
func Validate(b *Batch) error {
	var c checker
	if n := b.Len(); n > MaxBatchItems {
		c.add("batch", "%d items, more than the limit of %d", n, MaxBatchItems)
		return &ValidationError{Problems: c.problems}
	}
	for i := range b.Events {
		e := &b.Events[i]
		p := fmt.Sprintf("events[%d]", i)
		c.id(p+".key", e.Key)
		c.tenant(p+".tenant", e.Tenant)
		if pr := CheckKind(p+".kind", e.Kind); pr != nil {
			c.add(pr.Path, "%s", pr.Message)
		}
		if e.Entity.Type != "" && !knownEntities[e.Entity.Type] {
			c.add(p+".entity.type", "unknown entity type %q", e.Entity.Type)
		}
		if len(e.Entity.ID) > maxIDLen {
			c.add(p+".entity.id", "longer than %d bytes", maxIDLen)
		}
		if e.OccurredAt.IsZero() {
			c.add(p+".occurred_at", "required")
		} else {
			c.time(p+".occurred_at", e.OccurredAt)
		}
		c.attrs(p+".attrs", e.Attrs)
	}
	for i := range b.Entities {
		e := &b.Entities[i]
		p := fmt.Sprintf("entities[%d]", i)
		c.tenant(p+".tenant", e.Tenant)
		statuses, ok := Statuses[e.Type]
		if !ok {
			c.add(p+".type", "unknown entity type %q (one of %s)", e.Type, strings.Join(EntityTypes, ", "))
		} else if !slices.Contains(statuses, e.Status) {
			c.add(p+".status", "unknown %s status %q (one of %s)", e.Type, e.Status, strings.Join(statuses, ", "))
		}
		c.id(p+".id", e.ID)
		if !e.StatusSince.IsZero() {
			c.time(p+".status_since", e.StatusSince)
		}
		if !e.DueAt.IsZero() {
			c.time(p+".due_at", e.DueAt)
		}
		c.money(p+".amount", e.Amount)
		if e.Type == EntityPayment && e.Amount == nil {
			c.add(p+".amount", "required for payments")
		}
		c.attrs(p+".attrs", e.Attrs)
	}
	for i := range b.DailyMetrics {
		m := &b.DailyMetrics[i]
		p := fmt.Sprintf("daily_metrics[%d]", i)
		c.tenant(p+".tenant", m.Tenant)
		c.id(p+".campaign", m.Campaign)
		c.id(p+".platform", m.Platform)
		if day, err := time.Parse(time.DateOnly, m.Day); err != nil {
			c.add(p+".day", "must be a date YYYY-MM-DD, got %q", m.Day)
		} else {
			c.time(p+".day", day)
		}
		for _, f := range m.Counts.fields() {
			c.count(p+"."+f.name, f.v)
		}
		c.money(p+".cost", m.Cost)
		c.money(p+".revenue", m.Revenue)
		if m.Cost != nil && m.Revenue != nil && m.Cost.Currency != m.Revenue.Currency {
			c.add(p+".revenue.currency", "must match cost currency %q", m.Cost.Currency)
		}
	}
	if len(c.problems) > 0 {
		return &ValidationError{Problems: c.problems}
	}
	return nil
}
