package collector

import (
	"context"
	"errors"
	"log/slog"

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

// Apply stores b for source in one transaction.
func (in *Ingester) Apply(ctx context.Context, source string, b *sdk.Batch) (store.Result, error) {
	res, err := in.Store.Apply(ctx, source, b)
	if err != nil {
		reason := "store_error"
		var verr *sdk.ValidationError
		switch {
		case errors.As(err, &verr):
			reason = verr.Reason()
		case errors.Is(err, store.ErrLocked):
			reason = "database_locked"
		case errors.Is(err, context.Canceled):
			reason = "canceled"
		}
		in.Metrics.Rejected.WithLabelValues(source, reason).Inc()
		in.Logger.Warn("batch not stored", "source", source, "items", b.Len(), "reason", reason, "err", err)
		return res, err
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
