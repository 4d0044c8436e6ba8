// Command testplugin is a source plugin whose behaviour the host's tests
// choose through its config: how many events, in what batches, how slowly,
// and whether it hangs, sends garbage or exits in the middle of a stream.
// Its cursor is the number of events stored so far.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/commandcenter/commandcenter/plugins/sdk"
)

type config struct {
	Events    int    `json:"events"`
	Batch     int    `json:"batch"`
	DelayMS   int    `json:"delay_ms"`
	HangAfter int    `json:"hang_after"` // batches, then block forever
	Garbage   bool   `json:"garbage"`    // every batch has an unknown kind
	ExitAfter int    `json:"exit_after"` // batches, then exit(3)
	Tenant    string `json:"tenant"`
	Unhealthy string `json:"unhealthy"`
	// OpenPayments adds one open payment entity per event, up to this many.
	OpenPayments int `json:"open_payments"`
	// GarbageAfter gives the events past this many an unknown kind.
	GarbageAfter int `json:"garbage_after"`
}

type source struct{ cfg config }

func (s *source) Describe() sdk.Description {
	return sdk.Description{Name: "testplugin", Version: "0.0.1", Kinds: []string{sdk.KindMetricsUpdated}, ConfigSchema: configSchema}
}

// configSchema lets any config through but a negative event count, so the
// host's schema check has something to refuse.
var configSchema = []byte(`{"type": "object", "properties": {"events": {"type": "integer", "minimum": 0}}}`)

func (s *source) Configure(_ context.Context, raw json.RawMessage) error {
	s.cfg = config{Events: 100, Batch: 10, Tenant: "acme"}
	return sdk.DecodeConfig(raw, &s.cfg)
}

func (s *source) Check(context.Context) error {
	if s.cfg.Unhealthy != "" {
		return fmt.Errorf("%s", s.cfg.Unhealthy)
	}
	return nil
}

func (s *source) Collect(ctx context.Context, cursor string, emit sdk.Emit) error {
	done := 0
	if cursor != "" {
		var err error
		if done, err = strconv.Atoi(cursor); err != nil {
			return fmt.Errorf("bad cursor %q", cursor)
		}
	}
	log := sdk.Logger()
	log.Info("collect starting", "cursor", done)
	// Recent, so no retention period drops the events.
	collected := time.Now().Add(-time.Minute).UTC()
	sent := 0
	for done < s.cfg.Events {
		if s.cfg.HangAfter > 0 && sent == s.cfg.HangAfter {
			select {} // hang, ignoring even cancellation
		}
		if s.cfg.ExitAfter > 0 && sent == s.cfg.ExitAfter {
			// Give gRPC time to deliver what was sent, so each run makes
			// progress; what a real crash loses unsent is re-sent from the
			// cursor anyway.
			time.Sleep(200 * time.Millisecond)
			os.Exit(3)
		}
		var b sdk.Batch
		for i := 0; i < s.cfg.Batch && done < s.cfg.Events; i++ {
			done++
			kind := sdk.KindMetricsUpdated
			if s.cfg.Garbage || s.cfg.GarbageAfter > 0 && done > s.cfg.GarbageAfter {
				kind = "garbage!"
			}
			if done <= s.cfg.OpenPayments {
				b.Entities = append(b.Entities, sdk.Entity{Tenant: s.cfg.Tenant, Type: sdk.EntityPayment, ID: "pay-" + strconv.Itoa(done),
					Status: "open", Influencer: "inf-" + strconv.Itoa(done%3000), Campaign: "cmp-" + strconv.Itoa(done%200),
					DueAt: time.Unix(1_800_000_000+int64(done)*60, 0), Amount: &sdk.Money{Minor: int64(done), Currency: "EUR"}})
			}
			b.Events = append(b.Events, sdk.Event{Key: strconv.Itoa(done), Tenant: s.cfg.Tenant, Kind: kind,
				OccurredAt: collected, Attrs: []byte(`{"payload":"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}`)})
		}
		b.Cursor = strconv.Itoa(done)
		if err := emit(b); err != nil {
			return err
		}
		sent++
		if s.cfg.DelayMS > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(s.cfg.DelayMS) * time.Millisecond):
			}
		}
	}
	return nil
}

func main() { sdk.Serve(&source{}) }
