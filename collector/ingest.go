package collector

import (
	"context"
	"errors"
	"log/slog"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/collector/store"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// Ingester stores batches from plugins and from the push API alike, and
// counts what it stored and rejected. It is the host's one way into the
// store.
type Ingester struct {
	Store   *store.Store
	Metrics *Metrics
	Logger  *slog.Logger
}

// Cursor is where source's next Collect resumes; "" before its first batch.
func (in *Ingester) Cursor(ctx context.Context, source string) (string, error) {
	return in.Store.Cursor(ctx, source)
}

// Reasons a batch is refused: the reason label of
// commandcenter_ingest_rejected_total, the API's error codes where the API
// refused it. The log line says which item and field.
var RejectReasons = []string{
	apiv1.CodeMalformedJSON, apiv1.CodeBadBody, apiv1.CodeInvalidSource, apiv1.CodeInvalidBatch,
	apiv1.CodeWrongTenant, apiv1.CodeForbidden, apiv1.CodeBodyTooLarge, apiv1.CodeDatabaseLocked, apiv1.CodeDiskFull,
	apiv1.CodeInternal, apiv1.CodeRateLimited, ReasonCanceled,
}

// ReasonCanceled is a batch whose sender went away before it was stored.
const ReasonCanceled = "canceled"

// InitSources makes every rejection series of sources exist at 0, so the
// first refusal is an increase() Prometheus sees.
func (in *Ingester) InitSources(sources ...string) {
	for _, source := range sources {
		for _, reason := range RejectReasons {
			in.Metrics.Rejected.WithLabelValues(source, reason)
		}
	}
}

// Reject counts a batch refused before it reached the store (the API's
// 400, 403 and 413 answers).
func (in *Ingester) Reject(source, reason string, problem error) {
	in.Metrics.Rejected.WithLabelValues(source, reason).Inc()
	in.Logger.Warn("batch not stored", "source", source, "reason", reason, "err", problem)
}

// Apply validates b and stores it for source in one transaction.
func (in *Ingester) Apply(ctx context.Context, source string, b *sdk.Batch) (store.Result, error) {
	v, err := sdk.ValidateBatch(b)
	if err != nil {
		return store.Result{}, in.Refused(source, b, err)
	}
	return in.ApplyValidated(ctx, source, v)
}

// Refused counts and logs b, which was not stored for err (what
// ValidateBatch or the store answered), and returns err.
func (in *Ingester) Refused(source string, b *sdk.Batch, err error) error {
	reason := apiv1.CodeInternal
	var verr *sdk.ValidationError
	switch {
	case errors.As(err, &verr):
		reason = apiv1.CodeInvalidBatch
	case errors.Is(err, store.ErrLocked):
		reason = apiv1.CodeDatabaseLocked
	case errors.Is(err, store.ErrDiskFull):
		reason = apiv1.CodeDiskFull
	case errors.Is(err, context.Canceled):
		reason = ReasonCanceled
	}
	in.Metrics.Rejected.WithLabelValues(source, reason).Inc()
	items := 0
	if b != nil {
		items = b.Len()
	}
	in.Logger.Warn("batch not stored", "source", source, "items", items, "reason", reason, "err", err)
	return err
}

// ApplyValidated stores a batch sdk.ValidateBatch passed for source in one
// transaction, without validating it again.
func (in *Ingester) ApplyValidated(ctx context.Context, source string, v sdk.Validated) (store.Result, error) {
	b := v.Batch()
	res, err := in.Store.ApplyValidated(ctx, source, v)
	if err != nil {
		return res, in.Refused(source, b, err)
	}
	in.Metrics.IngestedBatches.WithLabelValues(source).Inc()
	if res.EventsDuplicate > 0 {
		in.Metrics.Duplicates.WithLabelValues(source).Add(float64(res.EventsDuplicate))
	}
	for kind, n := range res.EventsInserted {
		in.Metrics.IngestedEvents.WithLabelValues(source, kind).Add(float64(n))
	}
	in.Logger.Debug("batch stored", "source", source, "events", len(b.Events), "duplicates", res.EventsDuplicate,
		"entities", res.Entities, "daily_metrics", res.DailyMetrics, "cursor", b.Cursor)
	return res, nil
}
