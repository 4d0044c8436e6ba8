package platform

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// object is any of the five record types; each type uses its own subset
// of the fields (README: "Records").
type object struct {
	ID              string     `json:"id"`
	ClientID        string     `json:"client_id"`
	Status          string     `json:"status"`
	StatusChangedAt *time.Time `json:"status_changed_at"`
	CreatedAt       *time.Time `json:"created_at"`
	UpdatedAt       *time.Time `json:"updated_at"`

	Name            string `json:"name"`
	Handle          string `json:"handle"`
	Title           string `json:"title"`
	URL             string `json:"url"`
	Platform        string `json:"platform"`
	CampaignID      string `json:"campaign_id"`
	InfluencerID    string `json:"influencer_id"`
	ContractID      string `json:"contract_id"`
	RejectionReason string `json:"rejection_reason"`

	Amount    *sdk.Money `json:"amount"`
	Budget    *sdk.Money `json:"budget"`
	CPMTarget *sdk.Money `json:"cpm_target"`

	StartsAt     *time.Time `json:"starts_at"`
	EndsAt       *time.Time `json:"ends_at"`
	StartedAt    *time.Time `json:"started_at"`
	EndedAt      *time.Time `json:"ended_at"`
	SignedUpAt   *time.Time `json:"signed_up_at"`
	SentAt       *time.Time `json:"sent_at"`
	SignedAt     *time.Time `json:"signed_at"`
	ExpiresAt    *time.Time `json:"expires_at"`
	DueAt        *time.Time `json:"due_at"`
	PaidAt       *time.Time `json:"paid_at"`
	ScheduledFor *time.Time `json:"scheduled_for"`
	UploadedAt   *time.Time `json:"uploaded_at"`
	SubmittedAt  *time.Time `json:"submitted_at"`
	ApprovedAt   *time.Time `json:"approved_at"`
	RejectedAt   *time.Time `json:"rejected_at"`
	PublishedAt  *time.Time `json:"published_at"`
}

// RecordKey implements httpsource.Record.
func (o object) RecordKey() string { return o.ClientID + "/" + o.ID }

// RecordTime implements httpsource.Record.
func (o object) RecordTime() *time.Time { return o.UpdatedAt }

// resource is one listing of the platform API and how its records map.
type resource struct {
	// Name is the listing's path element and the name in the config's
	// entities list ("campaigns").
	Name       string
	EntityType string
	// events lists the timestamps of a record that are events.
	events func(o *object) []stamp
	// fill sets what is particular to the type on the entity.
	fill func(o *object, e *sdk.Entity, attrs map[string]any)
}

// stamp is one event a record's timestamp stands for.
type stamp struct {
	kind string
	at   *time.Time
	// what ends the event key: "sent" in "contract/c-1/sent/…".
	what string
}

// resources are the platform API's five listings, in the order a Collect
// walks them (campaigns first, so the others' campaign ids are known).
var resources = []resource{
	{Name: "campaigns", EntityType: sdk.EntityCampaign,
		events: func(o *object) []stamp {
			return []stamp{{sdk.KindCampaignStarted, o.StartedAt, "started"}, {sdk.KindCampaignEnded, o.EndedAt, "ended"}}
		},
		fill: func(o *object, e *sdk.Entity, attrs map[string]any) {
			// The date the dashboards count down to: the start of a
			// campaign not begun yet, else its end.
			if o.Status == "scheduled" || o.Status == "draft" {
				e.DueAt = deref(o.StartsAt)
			} else {
				e.DueAt = deref(o.EndsAt)
			}
			setMoney(attrs, "budget", o.Budget)
			setMoney(attrs, "cpm_target", o.CPMTarget)
			setTime(attrs, "starts_at", o.StartsAt)
			setTime(attrs, "ends_at", o.EndsAt)
		}},
	{Name: "influencers", EntityType: sdk.EntityInfluencer,
		events: func(o *object) []stamp {
			return []stamp{{sdk.KindInfluencerSignedUp, o.SignedUpAt, "signed_up"}}
		},
		fill: func(o *object, e *sdk.Entity, attrs map[string]any) {
			setString(attrs, "handle", o.Handle)
		}},
	{Name: "contracts", EntityType: sdk.EntityContract,
		events: func(o *object) []stamp {
			return []stamp{{sdk.KindContractSent, o.SentAt, "sent"}, {sdk.KindContractSigned, o.SignedAt, "signed"}}
		},
		fill: func(o *object, e *sdk.Entity, attrs map[string]any) {
			e.DueAt = deref(o.ExpiresAt) // contracts are due when they expire
		}},
	{Name: "payments", EntityType: sdk.EntityPayment,
		events: func(o *object) []stamp {
			return []stamp{{sdk.KindPaymentCreated, o.CreatedAt, "created"}, {sdk.KindPaymentPaid, o.PaidAt, "paid"}}
		},
		fill: func(o *object, e *sdk.Entity, attrs map[string]any) {
			e.DueAt = deref(o.DueAt)
			setString(attrs, "contract", o.ContractID)
		}},
	{Name: "videos", EntityType: sdk.EntityVideo,
		events: func(o *object) []stamp {
			return []stamp{
				{sdk.KindVideoScheduled, o.CreatedAt, "scheduled"},
				{sdk.KindVideoUploaded, o.UploadedAt, "uploaded"},
				{sdk.KindVideoSubmitted, o.SubmittedAt, "submitted"},
				{sdk.KindVideoApproved, o.ApprovedAt, "approved"},
				{sdk.KindVideoRejected, o.RejectedAt, "rejected"},
				{sdk.KindVideoPublished, o.PublishedAt, "published"},
			}
		},
		fill: func(o *object, e *sdk.Entity, attrs map[string]any) {
			e.DueAt = deref(o.ScheduledFor)
			setString(attrs, "title", o.Title)
			setString(attrs, "url", o.URL)
			setString(attrs, "rejection_reason", o.RejectionReason)
		}},
}

// resourceNames lists the listings, for the config's entities field.
func resourceNames() []string {
	var out []string
	for _, r := range resources {
		out = append(out, r.Name)
	}
	return out
}

// toBatch maps one page's records to entities and events. A record that
// breaks the documented shape refuses the whole page, naming the record:
// storing the rest would move the cursor past it for good.
func (r resource) toBatch(records []object) (sdk.Batch, error) {
	var b sdk.Batch
	for i := range records {
		o := &records[i]
		if err := r.check(o); err != nil {
			return sdk.Batch{}, fmt.Errorf("record %d (id %q): %w", i, o.ID, err)
		}
		attrs := map[string]any{}
		e := sdk.Entity{
			Tenant: o.ClientID, Type: r.EntityType, ID: o.ID, Name: firstNonEmpty(o.Name, o.Title, o.Handle),
			Status: o.Status, StatusSince: deref(firstTime(o.StatusChangedAt, o.UpdatedAt)),
			Campaign: o.CampaignID, Influencer: o.InfluencerID, Platform: o.Platform, Amount: o.Amount,
		}
		r.fill(o, &e, attrs)
		if len(attrs) > 0 {
			e.Attrs, _ = json.Marshal(attrs)
		}
		b.Entities = append(b.Entities, e)
		for _, s := range r.events(o) {
			if s.at == nil {
				continue
			}
			b.Events = append(b.Events, sdk.Event{
				// The time is part of the key: a video submitted again
				// after a rejection is a second event; the same record
				// fetched twice is not.
				Key:    r.EntityType + "/" + o.ID + "/" + s.what + "/" + strconv.FormatInt(s.at.UnixMilli(), 10),
				Tenant: o.ClientID, Kind: s.kind, Entity: sdk.EntityRef{Type: r.EntityType, ID: o.ID},
				OccurredAt: s.at.UTC(),
			})
		}
	}
	if err := sdk.Validate(&b); err != nil {
		return sdk.Batch{}, err
	}
	return b, nil
}

// check tells what the README promises of every record that is missing.
func (r resource) check(o *object) error {
	switch {
	case o.ID == "":
		return fmt.Errorf("id: required")
	case o.ClientID == "":
		return fmt.Errorf("client_id: required")
	case o.UpdatedAt == nil:
		return fmt.Errorf("updated_at: required")
	case !slices.Contains(sdk.Statuses[r.EntityType], o.Status):
		return fmt.Errorf("status: %q is not a %s status (%v)", o.Status, r.EntityType, sdk.Statuses[r.EntityType])
	}
	return nil
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

func firstTime(ts ...*time.Time) *time.Time {
	for _, t := range ts {
		if t != nil {
			return t
		}
	}
	return nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func setString(attrs map[string]any, k, v string) {
	if v != "" {
		attrs[k] = v
	}
}

func setTime(attrs map[string]any, k string, t *time.Time) {
	if t != nil {
		attrs[k] = t.UTC().Format(time.RFC3339)
	}
}

func setMoney(attrs map[string]any, k string, m *sdk.Money) {
	if m != nil {
		attrs[k] = m
	}
}
