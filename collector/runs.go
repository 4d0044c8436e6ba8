package collector

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// A run is one Collect of a plugin, on its schedule or asked for
// (CollectNow). The runner makes every Collect a run, one at a time, so a
// manual one never overlaps a scheduled one: asked for while one is under
// way, it joins it. Runs are kept in memory, the last keptRuns per plugin.
type run struct {
	id, plugin, trigger string
	queuedAt            time.Time
	// Guarded by the runner's mu.
	// askedBy are the tenants whose admins asked for the run (started it
	// or joined it): each is told when it starts and ends, whatever it
	// touches.
	askedBy               map[string]bool
	state                 string
	startedAt, finishedAt time.Time
	err                   string
	// stored counts what the run stored, per tenant.
	stored map[string]*storedCount
}

type storedCount struct{ batches, items int }

// keptRuns is how many ended runs each plugin keeps for
// GET /api/v1/plugins/{name}/runs/{id}.
const keptRuns = 20

// Manual runs of one plugin: on average one per manualRunEvery, up to
// manualRunBurst at once. They cost the source's API a full Collect.
const (
	manualRunEvery = 10 * time.Second
	manualRunBurst = 3
)

// Errors of CollectNow and CollectRun; the API answers 404 for both.
var (
	ErrUnknownPlugin = errors.New("no such plugin")
	ErrUnknownRun    = errors.New("no such run")
	// ErrStopping: the plugin stopped (serve is shutting down), so no run
	// would start.
	ErrStopping = errors.New("the plugin is stopping: serve is shutting down")
)

// TooSoonError is CollectNow's answer to a plugin asked too often.
type TooSoonError struct{ RetryAfter time.Duration }

func (e *TooSoonError) Error() string {
	return fmt.Sprintf("this plugin was asked to collect too often: try again in %ds", e.Seconds())
}

// Seconds is RetryAfter rounded up, as Retry-After gives it.
func (e *TooSoonError) Seconds() int { return int(math.Ceil(e.RetryAfter.Seconds())) }

func newRun(plugin, trigger string) *run {
	id := make([]byte, 6)
	rand.Read(id)
	return &run{id: hex.EncodeToString(id), plugin: plugin, trigger: trigger, askedBy: map[string]bool{},
		queuedAt: time.Now(), state: apiv1.RunQueued, stored: map[string]*storedCount{}}
}

// withheldError is what a failed run says to a tenant it did not concern:
// its error may quote other tenants' data.
const withheldError = "the run failed (the server's log says why)"

// view is the run as tenant may see it: only its own counts, and why it
// failed only when it concerned the tenant. The runner's mu is held.
func (rn *run) view(tenant string) apiv1.CollectRun {
	out := apiv1.CollectRun{ID: rn.id, Plugin: rn.plugin, Trigger: rn.trigger, State: rn.state, QueuedAt: rn.queuedAt, Error: rn.err}
	if _, stored := rn.stored[tenant]; rn.err != "" && !stored && !rn.askedBy[tenant] {
		out.Error = withheldError
	}
	if !rn.startedAt.IsZero() {
		out.StartedAt = &rn.startedAt
	}
	if !rn.finishedAt.IsZero() {
		out.FinishedAt = &rn.finishedAt
	}
	if c := rn.stored[tenant]; c != nil {
		out.Batches, out.Items = c.batches, c.items
	}
	return out
}

// told are the tenants told of the run: whose data it touched, and who
// asked for it. The runner's mu is held.
func (rn *run) told() []string {
	out := make([]string, 0, len(rn.stored)+len(rn.askedBy))
	for tenant := range rn.stored {
		out = append(out, tenant)
	}
	for tenant := range rn.askedBy {
		if _, ok := rn.stored[tenant]; !ok {
			out = append(out, tenant)
		}
	}
	return out
}

// itemsByTenant counts a batch's items per tenant.
func itemsByTenant(b *sdk.Batch) map[string]int {
	out := map[string]int{}
	for i := range b.Events {
		out[b.Events[i].Tenant]++
	}
	for i := range b.Entities {
		out[b.Entities[i].Tenant]++
	}
	for i := range b.DailyMetrics {
		out[b.DailyMetrics[i].Tenant]++
	}
	return out
}

// RunEvent is a run starting or ending, as one subscriber's tenant sees it.
type RunEvent struct {
	// Type is apiv1.StreamEventCollectStarted or …Finished.
	Type string
	Run  apiv1.CollectRun
}

// runFeed hands run events to subscribers, each for one tenant.
type runFeed struct {
	mu   sync.Mutex
	subs map[chan RunEvent]string
}

// SubscribeRuns returns a channel that receives an event whenever a run
// that touched tenant (or that tenant asked for) starts or ends, and a
// function to stop. A subscriber that falls behind misses events.
func (h *Host) SubscribeRuns(tenant string) (<-chan RunEvent, func()) {
	ch := make(chan RunEvent, 16)
	f := &h.runFeed
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.subs == nil {
		f.subs = map[chan RunEvent]string{}
	}
	f.subs[ch] = tenant
	return ch, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.subs, ch)
	}
}

// publish tells tenant's subscribers. The runner's mu is held (the view
// is taken under it).
func (f *runFeed) publish(tenant, typ string, rn *run) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var event *RunEvent
	for ch, want := range f.subs {
		if want != tenant {
			continue
		}
		if event == nil {
			event = &RunEvent{Type: typ, Run: rn.view(tenant)}
		}
		select {
		case ch <- *event:
		default:
		}
	}
}

// CollectNow asks the plugin name to collect now for tenant's admin: a new
// manual run, queued until the plugin takes it (at once when it is idle,
// else after the Collect under way), or the run queued or under way
// already, which it joins. Asked too often, it answers a *TooSoonError.
func (h *Host) CollectNow(name, tenant string) (apiv1.CollectRun, error) {
	r := h.runner(name)
	if r == nil {
		return apiv1.CollectRun{}, ErrUnknownPlugin
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return apiv1.CollectRun{}, ErrStopping
	}
	if rn := r.current; rn != nil {
		// Joined: the tenant is told of it as if it had asked first.
		if !rn.askedBy[tenant] {
			rn.askedBy[tenant] = true
			if _, stored := rn.stored[tenant]; rn.state == apiv1.RunRunning && !stored {
				r.host.runFeed.publish(tenant, apiv1.StreamEventCollectStarted, rn)
			}
		}
		return rn.view(tenant), nil
	}
	if res := r.manualRuns.Reserve(); res.Delay() > 0 {
		res.Cancel()
		return apiv1.CollectRun{}, &TooSoonError{RetryAfter: res.Delay()}
	}
	r.current = newRun(name, apiv1.TriggerManual)
	r.current.askedBy[tenant] = true
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return r.current.view(tenant), nil
}

// CollectRun reads a run of the plugin name, as tenant may see it.
func (h *Host) CollectRun(name, id, tenant string) (apiv1.CollectRun, error) {
	r := h.runner(name)
	if r == nil {
		return apiv1.CollectRun{}, ErrUnknownPlugin
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.current != nil && r.current.id == id {
		return r.current.view(tenant), nil
	}
	for _, rn := range r.recent {
		if rn.id == id {
			return rn.view(tenant), nil
		}
	}
	return apiv1.CollectRun{}, ErrUnknownRun
}

func (h *Host) runner(name string) *runner {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.runners {
		if r.cfg.Name == name {
			return r
		}
	}
	return nil
}

func newManualLimiter() *rate.Limiter {
	return rate.NewLimiter(rate.Every(manualRunEvery), manualRunBurst)
}

// beginRun starts the run the runner collects for now: the manual one
// queued, if any, else a scheduled one.
func (r *runner) beginRun() *run {
	r.mu.Lock()
	defer r.mu.Unlock()
	// A wake left from a request the runner took without waiting (it was
	// starting the plugin) is spent by this run.
	select {
	case <-r.wake:
	default:
	}
	if r.current == nil {
		r.current = newRun(r.cfg.Name, apiv1.TriggerSchedule)
	}
	rn := r.current
	rn.state, rn.startedAt = apiv1.RunRunning, time.Now()
	for tenant := range rn.askedBy {
		r.host.runFeed.publish(tenant, apiv1.StreamEventCollectStarted, rn)
	}
	return rn
}

// stored counts a batch the run stored; a tenant it touches for the first
// time is told the run started.
func (r *runner) stored(rn *run, items map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for tenant, n := range items {
		c := rn.stored[tenant]
		if c == nil {
			c = &storedCount{}
			rn.stored[tenant] = c
			if !rn.askedBy[tenant] {
				r.host.runFeed.publish(tenant, apiv1.StreamEventCollectStarted, rn)
			}
		}
		c.batches++
		c.items += n
	}
}

// endRun ends the current run (queued or under way): failed with err, or
// succeeded; the tenants it touched, and who asked for it, are told.
func (r *runner) endRun(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rn := r.current
	if rn == nil {
		return
	}
	r.current = nil
	rn.finishedAt = time.Now()
	result := "success"
	rn.state = apiv1.RunSucceeded
	if err != nil {
		rn.state, rn.err, result = apiv1.RunFailed, err.Error(), "failure"
	}
	// A run cut short by a stop is no failure of the plugin's.
	if !errors.Is(err, errStopped) {
		r.host.metrics.CollectRuns.WithLabelValues(r.cfg.Name, rn.trigger, result).Inc()
	}
	r.recent = append(r.recent, rn)
	if len(r.recent) > keptRuns {
		r.recent = r.recent[1:]
	}
	for _, tenant := range rn.told() {
		r.host.runFeed.publish(tenant, apiv1.StreamEventCollectFinished, rn)
	}
}

// markStopped makes CollectNow refuse: the runner takes no more runs.
func (r *runner) markStopped() {
	r.mu.Lock()
	r.stopped = true
	r.mu.Unlock()
}

// inherit takes over the run history and the manual-run limiter of the
// runner it replaces (a reload that changed the plugin), so a run being
// followed keeps its URL and a reload resets no limit.
func (r *runner) inherit(old *runner) {
	old.mu.Lock()
	recent, limiter := old.recent, old.manualRuns
	old.mu.Unlock()
	r.mu.Lock()
	r.recent, r.manualRuns = recent, limiter
	r.mu.Unlock()
}
