package dsplugin

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/grafana/pkg/querymodel"
)

// Reconnect backoff after the server's stream ends or cannot be opened.
const (
	minBackoff = 250 * time.Millisecond
	maxBackoff = 30 * time.Second
)

// channel is what a stream path asks for.
type channel struct {
	path  string
	kinds []string // activity only; empty is every kind
}

// parseChannel reads a stream path: stats, activity or
// activity/<kind>/<kind>...
func parseChannel(path string) (channel, error) {
	if path == querymodel.StreamStats || path == querymodel.StreamActivity {
		return channel{path: path}, nil
	}
	rest, ok := strings.CutPrefix(path, querymodel.StreamActivity+"/")
	if !ok {
		return channel{}, errUnknownChannel
	}
	kinds := strings.Split(rest, "/")
	if err := checkKinds(kinds); err != nil {
		return channel{}, err
	}
	return channel{path: querymodel.StreamActivity, kinds: kinds}, nil
}

var errUnknownChannel = errors.New("unknown channel")

// SubscribeStream lets Grafana users join the activity and stats channels,
// handing each new subscriber the channel's current state: the newest
// events or the stats. Grafana runs one RunStream per channel, so this is
// the only way a panel that joins later gets them.
func (d *Datasource) SubscribeStream(ctx context.Context, req *backend.SubscribeStreamRequest) (*backend.SubscribeStreamResponse, error) {
	ch, err := parseChannel(req.Path)
	if err != nil {
		return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusNotFound}, nil
	}
	if d.settingsErr != nil {
		return nil, errors.New(explain(d.settingsErr))
	}
	var frame *data.Frame
	if ch.path == querymodel.StreamStats {
		st, err := d.calls.Stats(ctx)
		if err != nil {
			return nil, errors.New(explain(err))
		}
		frame = StatsFrame(st.Stats)
	} else {
		page, err := d.calls.Activity(ctx, apiv1.ActivityQuery{Kinds: ch.kinds, Limit: defaultActivityLimit})
		if err != nil {
			return nil, errors.New(explain(err))
		}
		frame = ActivityFrame(page.Events)
		d.rememberNewest(req.Path, page.Events)
	}
	initial, err := backend.NewInitialFrame(frame, data.IncludeAll)
	if err != nil {
		return nil, err
	}
	return &backend.SubscribeStreamResponse{Status: backend.SubscribeStreamStatusOK, InitialData: initial}, nil
}

// rememberNewest keeps the largest event id a subscriber of path was
// handed, so that a RunStream starting after it sends what came later,
// and none of it again.
func (d *Datasource) rememberNewest(path string, events []apiv1.Activity) {
	var newest int64
	for _, e := range events {
		newest = max(newest, e.ID)
	}
	d.handedMu.Lock()
	defer d.handedMu.Unlock()
	if d.handed == nil {
		d.handed = map[string]int64{}
	}
	d.handed[path] = newest
}

// takeNewest is the id rememberNewest kept for path, once.
func (d *Datasource) takeNewest(path string) (int64, bool) {
	d.handedMu.Lock()
	defer d.handedMu.Unlock()
	id, ok := d.handed[path]
	delete(d.handed, path)
	return id, ok
}

// PublishStream is refused: the channels are read-only.
func (d *Datasource) PublishStream(context.Context, *backend.PublishStreamRequest) (*backend.PublishStreamResponse, error) {
	return &backend.PublishStreamResponse{Status: backend.PublishStreamStatusPermissionDenied}, nil
}

// RunStream follows the server's change stream until Grafana has no more
// subscribers (ctx ends), reconnecting with backoff when the server goes
// away. Grafana runs one RunStream per channel, however many panels watch.
func (d *Datasource) RunStream(ctx context.Context, req *backend.RunStreamRequest, sender *backend.StreamSender) error {
	ch, err := parseChannel(req.Path)
	if err != nil {
		return err
	}
	if d.settingsErr != nil {
		return errors.New(explain(d.settingsErr))
	}
	f := &follower{calls: d.calls, stream: d.stream, channel: ch, send: func(fr *data.Frame) error {
		return sender.SendFrame(fr, data.IncludeAll)
	}, logger: d.logger}
	f.lastID, f.started = d.takeNewest(req.Path)
	return f.run(ctx)
}

// follower is one channel's view of the server's stream.
type follower struct {
	calls, stream *apiv1.Client
	channel
	send   func(*data.Frame) error
	logger interface {
		Warn(msg string, args ...any)
		Info(msg string, args ...any)
	}
	// lastID is the largest event id sent (activity); started tells
	// whether it is set (by a subscriber's initial data, or the first
	// connection).
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
			if err := f.onReady(ctx, r); err != nil {
				return err
			}
			// Only a connection that also caught up resets the backoff: a
			// stream that opens while the API calls fail must not be
			// retried four times a second.
			connected = true
			return nil
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
	if f.path == querymodel.StreamActivity && !f.started {
		// Subscribers were handed the newest events (SubscribeStream);
		// what comes after LatestID is new to them.
		f.lastID, f.started = r.LatestID, true
		return nil
	}
	return f.update(ctx)
}

// update sends what changed: the events after lastID, or the stats.
func (f *follower) update(ctx context.Context) error {
	if f.path == querymodel.StreamStats {
		st, err := f.calls.Stats(ctx)
		if err != nil {
			return err
		}
		return f.send(StatsFrame(st.Stats))
	}
	for {
		since := f.lastID
		page, err := f.calls.Activity(ctx, apiv1.ActivityQuery{Kinds: f.kinds, SinceID: &since, Limit: maxActivityLimit})
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
