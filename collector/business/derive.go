package business

import (
	"slices"

	"github.com/commandcenter/commandcenter/collector/store"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// DefaultMilestoneViews are the view thresholds whose first crossing by a
// campaign or a video is a milestone.
var DefaultMilestoneViews = []int64{10_000, 100_000, 1_000_000, 10_000_000}

// statusEvents maps an entity type and its new status to the event recorded
// when an entity moves into that status, so a source that only reports
// state still fills the activity feed.
var statusEvents = map[string]map[string]string{
	sdk.EntityCampaign:   {"active": sdk.KindCampaignStarted, "ended": sdk.KindCampaignEnded},
	sdk.EntityInfluencer: {"active": sdk.KindInfluencerSignedUp},
	sdk.EntityContract:   {"pending_signature": sdk.KindContractSent, "signed": sdk.KindContractSigned},
	sdk.EntityPayment:    {"open": sdk.KindPaymentCreated, "paid": sdk.KindPaymentPaid},
	sdk.EntityVideo: {
		"scheduled": sdk.KindVideoScheduled, "uploaded": sdk.KindVideoUploaded,
		"submitted": sdk.KindVideoSubmitted, "approved": sdk.KindVideoApproved,
		"rejected": sdk.KindVideoRejected, "published": sdk.KindVideoPublished,
	},
}

// statusOfEvent is statusEvents backwards: kind → entity type and status.
var statusOfEvent = map[string][2]string{}

func init() {
	for typ, byStatus := range statusEvents {
		for status, kind := range byStatus {
			statusOfEvent[kind] = [2]string{typ, status}
		}
	}
}

// Derivations are the rules the store applies as it stores each batch:
// status-change events and milestones.
type Derivations struct {
	milestones []int64
}

var _ store.Rules = Derivations{}

// NewDerivations derives milestones at the given view thresholds (none:
// DefaultMilestoneViews).
func NewDerivations(milestoneViews ...int64) Derivations {
	if len(milestoneViews) == 0 {
		milestoneViews = DefaultMilestoneViews
	}
	// The store stops at the first threshold not reached.
	return Derivations{milestones: slices.Sorted(slices.Values(milestoneViews))}
}

// StatusEvent implements store.Rules.
func (Derivations) StatusEvent(entityType, status string) string {
	return statusEvents[entityType][status]
}

// StatusOf implements store.Rules.
func (Derivations) StatusOf(kind string) (entityType, status string) {
	s := statusOfEvent[kind]
	return s[0], s[1]
}

// MilestoneViews implements store.Rules.
func (d Derivations) MilestoneViews() []int64 { return d.milestones }
