package store

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// A Validated comes only from sdk.ValidateBatch: the zero one, which holds
// no batch, is refused and nothing is stored.
func TestApplyValidatedRefusesWhatWasNotValidated(t *testing.T) {
	s := openTest(t, Options{})
	if _, err := s.ApplyValidated(context.Background(), "p", sdk.Validated{}); err == nil {
		t.Fatal("the zero Validated was applied")
	}
	b := sdk.Batch{Events: []sdk.Event{event("a", sdk.KindPaymentPaid)}, Cursor: "1"}
	v, err := sdk.ValidateBatch(&b)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := s.ApplyValidated(context.Background(), "p", v); err != nil || r.EventsInserted[sdk.KindPaymentPaid] != 1 {
		t.Fatalf("%+v, %v", r, err)
	}
	if n := count(t, s, `SELECT count(*) FROM events`); n != 1 {
		t.Fatalf("%d events stored, want 1", n)
	}
}

// cancelAfter is a context that reports itself canceled from its nth
// Err call on, without closing Done: a sender that goes away in the
// middle of a batch.
type cancelAfter struct {
	context.Context
	n     int32
	calls atomic.Int32
}

func (c *cancelAfter) Done() <-chan struct{} { return make(chan struct{}) }

func (c *cancelAfter) Err() error {
	if c.calls.Add(1) >= c.n {
		return context.Canceled
	}
	return nil
}

// The statements of a batch run without the caller's context (a cancelable
// one costs a goroutine per statement in the driver), but a caller that
// goes away in the middle of a batch still stops it, and nothing of it is
// stored.
func TestApplyStopsWhenTheCallerGoesAway(t *testing.T) {
	s := openTest(t, Options{})
	var b sdk.Batch
	for i := range 50 {
		b.Events = append(b.Events, sdk.Event{Key: string(rune('a' + i)), Tenant: "acme", Kind: sdk.KindMetricsUpdated, OccurredAt: testNow})
	}
	b.Cursor = "50"
	ctx := &cancelAfter{Context: context.Background(), n: 20}
	_, err := s.Apply(ctx, "p", &b)
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "events[") {
		t.Fatalf("err %v, want context.Canceled in the middle of the events", err)
	}
	if n := count(t, s, `SELECT count(*) FROM events`); n != 0 {
		t.Fatalf("%d events stored of a batch whose sender went away", n)
	}
	if c, _ := s.Cursor(context.Background(), "p"); c != "" {
		t.Fatalf("cursor %q stored", c)
	}
	// The writer is not left in a transaction.
	ctx2, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := s.Apply(ctx2, "p", &b); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, `SELECT count(*) FROM events`); n != 50 {
		t.Fatalf("%d events stored, want 50", n)
	}
}
