// Command flawed is a plugin with one protocol flaw, chosen by the
// environment variable FLAW, for sdktest's own tests: each flaw must make
// its check fail. Without FLAW it is a correct plugin.
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

var flaw = os.Getenv("FLAW")

type source struct {
	cfg struct {
		Events int `json:"events"`
	}
}

func (s *source) Describe() sdk.Description {
	schema := `{"type": "object", "additionalProperties": false, "properties": {"events": {"type": "integer"}}}`
	if flaw == "accepts_anything" {
		schema = `{}`
	}
	return sdk.Description{Name: "flawed", Version: "0.0.1", Kinds: []string{sdk.KindPaymentPaid}, ConfigSchema: []byte(schema)}
}

func (s *source) Configure(_ context.Context, raw json.RawMessage) error {
	s.cfg.Events = 10
	if flaw == "accepts_anything" {
		json.Unmarshal(raw, &s.cfg)
		return nil
	}
	return sdk.DecodeConfig(raw, &s.cfg)
}

func (s *source) Check(context.Context) error {
	if flaw == "slow_check" {
		time.Sleep(time.Minute)
	}
	return nil
}

// Collect emits events 2 to a batch; the cursor is the count emitted.
func (s *source) Collect(ctx context.Context, cursor string, emit sdk.Emit) error {
	done, _ := strconv.Atoi(cursor)
	switch flaw {
	case "ignores_cursor":
		done = 0
	case "skips_on_resume":
		if done > 0 {
			done += 2
		}
	}
	for i := done; i < s.cfg.Events; i += 2 {
		var b sdk.Batch
		for j := i; j < min(i+2, s.cfg.Events); j++ {
			kind := sdk.KindPaymentPaid
			if flaw == "invalid_kind" {
				kind = "payment.teleported"
			}
			b.Events = append(b.Events, sdk.Event{Key: fmt.Sprintf("e%d", j), Tenant: "acme", Kind: kind,
				Entity: sdk.EntityRef{Type: sdk.EntityPayment, ID: fmt.Sprintf("p%d", j)}, OccurredAt: time.Date(2026, 11, 1, 0, 0, j, 0, time.UTC)})
		}
		if flaw != "no_cursor" {
			b.Cursor = strconv.Itoa(min(i+2, s.cfg.Events))
		}
		if err := emit(b); err != nil {
			return err
		}
	}
	return nil
}

func main() { sdk.Serve(&source{}) }
