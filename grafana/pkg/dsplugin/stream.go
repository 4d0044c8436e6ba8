package dsplugin

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
)

// Stream paths: channel ds/<uid>/<path>.
const (
	// StreamActivity sends the newest events first, then every event
	// stored later, each once, as it arrives.
	StreamActivity = "activity"
	// StreamStats sends the quick stats now and after every change.
	StreamStats = "stats"
)

// Reconnect backoff after the server's stream ends or cannot be opened.
const (
	minBackoff = 250 * time.Millisecond
	maxBackoff = 30 * time.Second
)

// SubscribeStream lets Grafana users join the activity and stats channels.
func (d *Datasource) SubscribeStream(_ context.Context, req *backend.SubscribeStreamRequest) (*backend.SubscribeStreamResponse, error) {
	if req.Path != StreamActivity && req.Path != StreamStats {
		return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusNotFound}, nil
	}
	if d.settingsErr != nil {
		return nil, errors.New(explain(d.settingsErr))
	}
	return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusOK}, nil
}

// PublishStream is refused: the channels are read-only.
func (d *Datasource) PublishStream(context.Context, *backend.PublishStreamRequest) (*backend.PublishStreamResponse, error) {
	return &backend.PublishStreamResponse{Status: backend.PublishStreamStatusPermissionDenied}, nil
}

// RunStream follows the server's change stream until Grafana has no more
// subscribers (ctx ends), reconnecting with backoff when the server goes
// away. Grafana runs one RunStream per channel, however many panels watch.
func (d *Datasource) RunStream(ctx context.Context, req *backend.RunStreamRequest, sender *backend.StreamSender) error {
	if d.settingsErr != nil {
		return errors.New(explain(d.settingsErr))
	}
	f := &follower{calls: d.calls, stream: d.stream, path: req.Path, send: func(fr *data.Frame) error {
		return sender.SendFrame(fr, data.IncludeAll)
	}, logger: d.logger}
	return f.run(ctx)
}

// follower is one channel's view of the server's stream.
type follower struct {
	calls, stream *apiv1.Client
	path          string
	send          func(*data.Frame) error
	logger        interface {
		Warn(msg string, args ...any)
		Info(msg string, args ...any)
	}
	// lastID is the largest event id sent (activity); started tells
	// whether the first connection has set it.
	lastID  int64
	started bool
	// sleep waits between reconnects; tests shorten it.
	sleep func(context.Context, time.Duration)
}

func (f *follower) run(ctx context.Context) error {
	backoff := minBackoff
	for {
		connected := false
		err := f.stream.Follow(ctx, func(r apiv1.StreamReady) error {
			connected = true
			return f.onReady(ctx, r)
		}, func(apiv1.Change) error { return f.update(ctx) })
		if ctx.Err() != nil {
			return nil // no subscriber left
		}
		if connected {
			backoff = minBackoff
		}
		f.logger.Warn("commandcenter stream ended; reconnecting", "path", f.path, "err", explain(err), "in", backoff.String())
		wait := f.sleep
		if wait == nil {
			wait = sleepCtx
		}
		// Jitter, so many Grafana channels do not reconnect in step.
		wait(ctx, backoff/2+rand.N(backoff/2+1))
		backoff = min(2*backoff, maxBackoff)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// onReady starts the channel on the first connection and, after a
// reconnect, catches up on what was stored while disconnected.
func (f *follower) onReady(ctx context.Context, r apiv1.StreamReady) error {
	if f.path == StreamStats || f.started {
		return f.update(ctx)
	}
	// First connection: the newest events, then only what comes after
	// LatestID (which the newest page may not reach: ids are storage
	// order, the page occurrence order).
	page, err := f.calls.Activity(ctx, apiv1.ActivityQuery{Limit: defaultActivityLimit})
	if err != nil {
		return err
	}
	f.lastID, f.started = r.LatestID, true
	return f.send(ActivityFrame(page.Events))
}

// update sends what changed: the events after lastID, or the stats.
func (f *follower) update(ctx context.Context) error {
	if f.path == StreamStats {
		st, err := f.calls.Stats(ctx)
		if err != nil {
			return err
		}
		return f.send(StatsFrame(st.Stats))
	}
	for {
		since := f.lastID
		page, err := f.calls.Activity(ctx, apiv1.ActivityQuery{SinceID: &since, Limit: maxActivityLimit})
		if err != nil {
			return err
		}
		if len(page.Events) == 0 {
			return nil
		}
		if err := f.send(ActivityFrame(page.Events)); err != nil {
			return err
		}
		f.lastID = page.Events[len(page.Events)-1].ID
		if page.NextCursor == "" {
			return nil
		}
	}
}
