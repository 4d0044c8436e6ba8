package apiv1

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// Paths of collect-now, under PathPlugins + "/" + the plugin's name.
const (
	// PathCollectSuffix: POST starts a Collect of the plugin now (or joins
	// the one under way) and answers 202 with its CollectRun.
	PathCollectSuffix = "/collect"
	// PathRunsSuffix + "/" + the run's id: GET reads a run's state.
	PathRunsSuffix = "/runs"
)

// Error codes of collect-now.
const (
	CodePluginNotFound = "plugin_not_found" // 404: no configured plugin of that name
	CodeRunNotFound    = "run_not_found"    // 404: no recent run of that id (the last 20 per plugin are kept)
)

// Run states: a run is queued until the plugin takes it (after the
// Collect under way, if any), running while it collects, then one of
// succeeded and failed.
const (
	RunQueued    = "queued"
	RunRunning   = "running"
	RunSucceeded = "succeeded"
	RunFailed    = "failed"
)

// Run triggers.
const (
	TriggerSchedule = "schedule" // the plugin's interval
	TriggerManual   = "manual"   // POST …/collect
)

// CollectRun is one Collect of a plugin, on its schedule or asked for.
// Batches and Items count only what the run stored of the caller's tenant:
// the plugin serves every tenant, and nobody learns of another's data.
type CollectRun struct {
	ID         string     `json:"id"`
	Plugin     string     `json:"plugin"`
	Trigger    string     `json:"trigger"`
	State      string     `json:"state"`
	QueuedAt   time.Time  `json:"queued_at"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Batches    int        `json:"batches"`
	Items      int        `json:"items"`
	// Error is why a failed run failed.
	Error string `json:"error,omitempty"`
}

// Done reports whether the run has ended.
func (r CollectRun) Done() bool { return r.State == RunSucceeded || r.State == RunFailed }

// CollectNow asks plugin to collect now: the run it started, or the one it
// joined. A plugin asked too often answers 429 rate_limited with
// Retry-After.
func (c *Client) CollectNow(ctx context.Context, plugin string) (*CollectRun, error) {
	var out CollectRun
	return &out, c.Do(ctx, http.MethodPost, PathPlugins+"/"+url.PathEscape(plugin)+PathCollectSuffix, nil, nil, &out)
}

// CollectRun reads one run of plugin.
func (c *Client) CollectRun(ctx context.Context, plugin, id string) (*CollectRun, error) {
	var out CollectRun
	return &out, c.Do(ctx, http.MethodGet, PathPlugins+"/"+url.PathEscape(plugin)+PathRunsSuffix+"/"+url.PathEscape(id), nil, nil, &out)
}
