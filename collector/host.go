// Package collector is commandcenter's plugin host: it starts each source
// plugin as a child process (sdk.Launch, over hashicorp/go-plugin), runs its
// Collect on an interval or when asked (collect now, one run at a time),
// hands every batch to the Ingester (which stores it with its cursor),
// restarts a plugin that crashes or hangs with capped exponential backoff
// while the others run on, and follows a reloaded config's plugins.
package collector

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os/exec"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/collector/config"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// Host runs every configured plugin.
type Host struct {
	ingester *Ingester
	logger   *slog.Logger
	metrics  *Metrics
	// executable runs built-in plugins as `<executable> plugin <name>`.
	executable string

	// reloading lets one Reload run at a time.
	reloading sync.Mutex
	// mu guards runners and ctx.
	mu      sync.Mutex
	runners []*runner
	// ctx is Start's: every runner's context derives from it.
	ctx     context.Context
	running sync.WaitGroup
	runFeed runFeed
}

// NewHost prepares (but does not start) a runner per plugin. executable is
// the commandcenter binary that serves built-in plugins.
func NewHost(plugins []config.Plugin, ingester *Ingester, executable string) *Host {
	h := &Host{ingester: ingester, logger: ingester.Logger, metrics: ingester.Metrics, executable: executable}
	for _, p := range plugins {
		h.initSeries(p.Name)
		h.runners = append(h.runners, h.newRunner(p))
	}
	return h
}

// initSeries makes a plugin's series exist before its first collect, so
// the first failure is an increase Prometheus sees.
func (h *Host) initSeries(name string) {
	h.ingester.InitSources(name)
	h.metrics.PluginUp.WithLabelValues(name).Set(0)
	h.metrics.PluginRestarts.WithLabelValues(name)
	h.metrics.CollectErrors.WithLabelValues(name)
	for _, trigger := range []string{apiv1.TriggerSchedule, apiv1.TriggerManual} {
		for _, result := range []string{"success", "failure"} {
			h.metrics.CollectRuns.WithLabelValues(name, trigger, result)
		}
	}
}

// dropSeries forgets a removed plugin's own series. What it ingested
// stays counted under its source.
func (h *Host) dropSeries(name string) {
	h.metrics.PluginUp.DeleteLabelValues(name)
	h.metrics.PluginRestarts.DeleteLabelValues(name)
	h.metrics.CollectErrors.DeleteLabelValues(name)
	h.metrics.PluginLastSuccess.DeleteLabelValues(name)
	h.metrics.CollectDuration.DeleteLabelValues(name)
	h.metrics.CollectRuns.DeletePartialMatch(prometheus.Labels{"plugin": name})
}

func (h *Host) newRunner(p config.Plugin) *runner {
	r := &runner{host: h, cfg: p, logger: h.logger.With("plugin", p.Name), wake: make(chan struct{}, 1), manualRuns: newManualLimiter()}
	r.status.Name = p.Name
	r.status.Builtin = p.Builtin
	r.status.Path = p.Path
	return r
}

// Run runs every plugin until ctx is done, then stops them all: a batch in
// flight is finished and stored, then every child process is stopped.
func (h *Host) Run(ctx context.Context) {
	h.Start(ctx)
	h.Wait()
}

// Start starts every plugin's runner, each until ctx is done.
func (h *Host) Start(ctx context.Context) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ctx = ctx
	for _, r := range h.runners {
		h.launch(r)
	}
}

// Wait returns when Start's ctx is done and every plugin has stopped.
func (h *Host) Wait() {
	<-h.ctx.Done()
	// A reload under way stops starting plugins when ctx ends, and stops
	// those it started; later ones see ctx ended and start none.
	h.reloading.Lock()
	h.reloading.Unlock()
	h.running.Wait()
}

// launch runs r in its own goroutine until the host's ctx is done or r is
// retired. h.mu is held.
func (h *Host) launch(r *runner) {
	ctx, cancel := context.WithCancel(h.ctx)
	r.retire, r.done = cancel, make(chan struct{})
	h.running.Add(1)
	go func() {
		defer h.running.Done()
		defer close(r.done)
		r.run(ctx)
	}()
}

// Reloaded says what a Reload changed, by plugin name.
type Reloaded struct {
	Started   []string // added to the config
	Stopped   []string // removed from it
	Restarted []string // changed in it
}

// ErrNotRunning is Reload's answer before Start or after its ctx ended.
var ErrNotRunning = errors.New("the plugin host is not running")

// Reload makes the running plugins those of plugins (a validated config's):
// a plugin whose name is new is started, one no longer named is stopped,
// one whose settings changed is restarted with them, the others run on
// untouched. Every new or changed plugin is started first, with its config
// checked by the plugin: if one does not start, nothing changes and the
// error names it. A stopped plugin finishes the batch in flight; its cursor
// stays stored, so adding it back resumes where it stopped.
func (h *Host) Reload(ctx context.Context, plugins []config.Plugin) (Reloaded, error) {
	h.reloading.Lock()
	defer h.reloading.Unlock()
	h.mu.Lock()
	if h.ctx == nil || h.ctx.Err() != nil {
		h.mu.Unlock()
		return Reloaded{}, ErrNotRunning
	}
	current := map[string]*runner{}
	for _, r := range h.runners {
		current[r.cfg.Name] = r
	}
	// Plugins being started give up when the host stops.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(h.ctx, cancel)()
	h.mu.Unlock()

	var done Reloaded
	next := make([]*runner, 0, len(plugins))
	var fresh []*runner
	// abandon stops the plugins this reload started, when it fails.
	abandon := func() {
		for _, f := range fresh {
			f.plugin.Kill()
		}
	}
	named := map[string]bool{}
	for _, p := range plugins {
		named[p.Name] = true
		if r, ok := current[p.Name]; ok && reflect.DeepEqual(r.cfg, p) {
			next = append(next, r)
			continue
		}
		r := h.newRunner(p)
		if err := r.start(ctx); err != nil {
			abandon()
			return Reloaded{}, fmt.Errorf("plugin %s: %w", p.Name, err)
		}
		if _, ok := current[p.Name]; ok {
			done.Restarted = append(done.Restarted, p.Name)
		} else {
			done.Started = append(done.Started, p.Name)
		}
		next, fresh = append(next, r), append(fresh, r)
	}
	var retired []*runner
	for name, r := range current {
		if !named[name] {
			done.Stopped = append(done.Stopped, name)
			retired = append(retired, r)
		} else if !slices.Contains(next, r) {
			retired = append(retired, r)
		}
	}
	slices.Sort(done.Stopped)

	h.mu.Lock()
	if h.ctx.Err() != nil {
		h.mu.Unlock()
		abandon()
		return Reloaded{}, ErrNotRunning
	}
	h.runners = next
	h.mu.Unlock()
	// The old runners stop before their successors collect, so no two
	// runs of one source ever read the same cursor.
	for _, r := range retired {
		r.retire()
		<-r.done
	}
	for _, r := range fresh {
		if old, ok := current[r.cfg.Name]; ok {
			r.inherit(old)
		}
	}
	for _, name := range done.Stopped {
		h.dropSeries(name)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, name := range done.Started {
		h.initSeries(name)
	}
	for _, r := range fresh {
		if h.ctx.Err() != nil {
			r.stop()
			r.markStopped()
			continue
		}
		h.launch(r)
	}
	return done, nil
}

// Plugins reports every plugin's state, its last run as tenant may see
// it.
func (h *Host) Plugins(tenant string) []apiv1.PluginStatus {
	h.mu.Lock()
	runners := h.runners
	h.mu.Unlock()
	out := make([]apiv1.PluginStatus, len(runners))
	for i, r := range runners {
		r.mu.Lock()
		out[i] = r.status
		if n := len(r.recent); n > 0 {
			last := r.recent[n-1].view(tenant)
			out[i].LastRun = &last
		}
		r.mu.Unlock()
	}
	return out
}

// runner keeps one plugin alive and collecting.
type runner struct {
	host   *Host
	cfg    config.Plugin
	logger *slog.Logger

	// plugin is the running process; nil between a stop and a start.
	plugin *sdk.Plugin
	// retire stops the runner (Host.launch sets it); done is closed once
	// it has stopped.
	retire context.CancelFunc
	done   chan struct{}

	// wake is signalled when a manual run is queued.
	wake chan struct{}
	// manualRuns limits how often a manual run may be asked for.
	manualRuns *rate.Limiter

	// mu guards status and the runs.
	mu     sync.Mutex
	status apiv1.PluginStatus
	// current is the run queued or under way; nil between runs.
	current *run
	// stopped is set when the runner has stopped for good.
	stopped bool
	// recent are the last keptRuns runs ended, the newest last.
	recent []*run
}

// Errors that decide what happens after a failed Collect.
var (
	errHung = errors.New("collect timed out")
)

func (r *runner) update(f func(*apiv1.PluginStatus)) {
	r.mu.Lock()
	f(&r.status)
	r.mu.Unlock()
}

func (r *runner) run(ctx context.Context) {
	defer r.stop()
	// The run under way or queued when the runner stops ends with it,
	// once no new one can be asked for.
	defer r.endRun(errStopped)
	defer r.markStopped()
	failures := 0
	for {
		if r.plugin == nil || r.plugin.Exited() {
			if r.plugin != nil {
				r.restarted("plugin process exited")
			}
			if err := r.start(ctx); err != nil {
				r.stop()
				if ctx.Err() != nil {
					return
				}
				failures++
				r.failed(err)
				// A manual run waiting for the plugin fails with it.
				r.endRun(fmt.Errorf("the plugin did not start: %w", err))
				if !r.sleep(ctx, r.backoff(failures)) {
					return
				}
				continue
			}
		}
		rn := r.beginRun()
		err := r.collect(ctx, rn)
		if ctx.Err() != nil {
			return
		}
		r.endRun(err)
		switch {
		case err == nil:
			failures = 0
		default:
			failures++
			r.host.metrics.CollectErrors.WithLabelValues(r.cfg.Name).Inc()
			r.failed(err)
			// A hung or broken plugin is killed and started afresh; data
			// errors (a rejected batch, a locked database) are retried by
			// the next run, which resumes from the stored cursor.
			if errors.Is(err, errHung) || r.plugin.Exited() || brokenPlugin(err) {
				r.stop()
				r.restarted(err.Error())
				if !r.sleep(ctx, r.backoff(failures)) {
					return
				}
				continue
			}
		}
		wait := jitter(time.Duration(r.cfg.Interval))
		if failures > 0 {
			wait = max(wait, r.backoff(failures))
		}
		r.update(func(s *apiv1.PluginStatus) { s.NextRun = time.Now().Add(wait) })
		switch r.waitWatching(ctx, wait) {
		case waitCanceled:
			return
		case waitPluginExited:
			// Noticed at once, not at the next interval: down now, and
			// started again after the backoff.
			failures++
			r.failed(errExited)
			r.stop()
			r.restarted(errExited.Error())
			if !r.sleep(ctx, r.backoff(failures)) {
				return
			}
		}
	}
}

var (
	errExited  = errors.New("plugin process exited between collects")
	errStopped = errors.New("the plugin was stopped (serve shutting down, or a reload)")
)

// exitPoll is how often an idle plugin's process is checked.
const exitPoll = 200 * time.Millisecond

type waitResult int

const (
	waitDone waitResult = iota
	waitCanceled
	waitPluginExited
)

// waitWatching sleeps d, or less if ctx ends, the plugin process exits or
// a manual run is asked for.
func (r *runner) waitWatching(ctx context.Context, d time.Duration) waitResult {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	poll := time.NewTicker(exitPoll)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return waitCanceled
		case <-deadline.C:
			return waitDone
		case <-r.wake:
			return waitDone
		case <-poll.C:
			if r.plugin.Exited() {
				return waitPluginExited
			}
		}
	}
}

// backoff doubles from BackoffInitial per failure in a row, capped at
// BackoffMax.
func (r *runner) backoff(failures int) time.Duration {
	d := time.Duration(r.cfg.BackoffInitial)
	for i := 1; i < failures && d < time.Duration(r.cfg.BackoffMax); i++ {
		d *= 2
	}
	return min(d, time.Duration(r.cfg.BackoffMax))
}

// jitter spreads runs ±10% so plugins do not all fire at once.
func jitter(d time.Duration) time.Duration {
	return d + time.Duration((rand.Float64()*0.2-0.1)*float64(d))
}

// sleep waits d, or less if a manual run is asked for; false if ctx
// ended.
func (r *runner) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
	case <-r.wake:
	}
	return true
}

func (r *runner) failed(err error) {
	r.logger.Error("plugin failed", "err", err)
	r.host.metrics.PluginUp.WithLabelValues(r.cfg.Name).Set(0)
	r.update(func(s *apiv1.PluginStatus) {
		s.Up = r.plugin != nil && !r.plugin.Exited()
		s.LastError, s.LastErrorAt = err.Error(), time.Now()
	})
}

func (r *runner) restarted(why string) {
	r.logger.Warn("restarting plugin", "reason", why)
	r.host.metrics.PluginRestarts.WithLabelValues(r.cfg.Name).Inc()
	r.update(func(s *apiv1.PluginStatus) { s.Restarts++ })
}

func (r *runner) command() *exec.Cmd {
	var cmd *exec.Cmd
	if r.cfg.Builtin != "" {
		cmd = exec.Command(r.host.executable, "plugin", r.cfg.Builtin)
	} else {
		cmd = exec.Command(r.cfg.Path)
	}
	return cmd
}

// start launches the plugin process, describes, configures and checks it.
func (r *runner) start(ctx context.Context) error {
	cfgJSON, err := r.cfg.ConfigJSON()
	if err != nil {
		return fmt.Errorf("plugins.%s.config: %w", r.cfg.Name, err)
	}
	var pin []byte
	if r.cfg.SHA256 != "" {
		pin, _ = hex.DecodeString(r.cfg.SHA256) // validated with the config
	}
	p, err := sdk.Launch(ctx, sdk.LaunchConfig{Cmd: r.command(), SHA256: pin, Config: cfgJSON,
		Logger: PluginLogger(r.host.logger, r.cfg.Name)})
	if err != nil {
		return err
	}
	if !p.Healthy {
		r.logger.Warn("plugin reports its source unhealthy", "message", p.HealthMessage)
	}
	r.plugin = p
	r.update(func(s *apiv1.PluginStatus) {
		s.Version, s.Kinds, s.Up, s.PID = p.Description.Version, p.Description.Kinds, true, p.PID
		s.Healthy, s.HealthMessage = &p.Healthy, p.HealthMessage
	})
	r.logger.Info("plugin started", "version", p.Description.Version, "pid", p.PID)
	return nil
}

// collect runs one Collect from the stored cursor for rn, storing each
// batch as it arrives. It gives up after the configured timeout.
func (r *runner) collect(ctx context.Context, rn *run) error {
	started := time.Now()
	cursor, err := r.host.ingester.Cursor(ctx, r.cfg.Name)
	if err != nil {
		return fmt.Errorf("reading cursor: %w", err)
	}
	runCtx, cancel := context.WithTimeoutCause(ctx, time.Duration(r.cfg.Timeout), errHung)
	defer cancel()
	batches, items := 0, 0
	// Each batch is converted and validated on the receiving goroutine
	// while the one before it is being stored.
	err = sdk.CollectAhead(runCtx, r.plugin.Client, cursor, validate, func(c checked) error {
		if c.err != nil {
			return r.host.ingester.Refused(r.cfg.Name, c.batch, c.err)
		}
		// A batch that arrived is stored even during shutdown.
		if _, err := r.host.ingester.ApplyValidated(context.WithoutCancel(ctx), r.cfg.Name, c.valid); err != nil {
			return err
		}
		batches++
		items += c.batch.Len()
		r.stored(rn, c.items)
		if c.batch.Cursor != "" {
			cursor = c.batch.Cursor
		}
		return nil
	})
	r.host.metrics.CollectDuration.WithLabelValues(r.cfg.Name).Observe(time.Since(started).Seconds())
	if err != nil {
		// The plugin side may report the deadline (DeadlineExceeded) a moment
		// before our own timer fires; both mean the plugin overran.
		overran := context.Cause(runCtx) == errHung || status.Code(err) == codes.DeadlineExceeded
		if overran && ctx.Err() == nil {
			// No count of what was stored: every tenant may read a run's error.
			return fmt.Errorf("%w after %s", errHung, time.Duration(r.cfg.Timeout))
		}
		return fmt.Errorf("collect: %w", err)
	}
	now := time.Now()
	r.host.metrics.PluginUp.WithLabelValues(r.cfg.Name).Set(1)
	r.host.metrics.PluginLastSuccess.WithLabelValues(r.cfg.Name).Set(float64(now.UnixNano()) / 1e9)
	r.update(func(s *apiv1.PluginStatus) { s.Up, s.LastSuccess, s.Cursor = true, now, cursor })
	r.logger.Debug("collect finished", "batches", batches, "items", items, "duration", time.Since(started))
	return nil
}

// checked is a batch a plugin sent, with what validating it answered and
// its items per tenant.
type checked struct {
	batch *sdk.Batch
	valid sdk.Validated // the zero Validated when err is set
	err   error
	items map[string]int
}

func validate(b sdk.Batch) checked {
	v, err := sdk.ValidateBatch(&b)
	if err != nil {
		return checked{batch: &b, err: err}
	}
	return checked{batch: &b, valid: v, items: itemsByTenant(&b)}
}

// brokenPlugin reports errors that mean the plugin process cannot be
// trusted to go on (its connection failed, or it broke the protocol), as
// opposed to an error its source reported or a batch the store refused.
func brokenPlugin(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.Internal, codes.Unimplemented, codes.DataLoss:
		return true
	}
	return false
}

func (r *runner) stop() {
	if r.plugin != nil {
		r.plugin.Kill()
		r.logger.Debug("plugin stopped")
	}
	r.plugin = nil
	r.host.metrics.PluginUp.WithLabelValues(r.cfg.Name).Set(0)
	r.update(func(s *apiv1.PluginStatus) { s.Up, s.PID = false, 0 })
}
