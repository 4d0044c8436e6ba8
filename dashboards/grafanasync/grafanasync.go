// Package grafanasync pushes rendered layouts into a Grafana through its
// HTTP API: a folder per owner (team or user), each layout's dashboard
// under its stable uid, updated in place only while Grafana holds the
// version the last push made (an edit made in Grafana is never
// overwritten unless forced), dashboards of deleted layouts removed, and
// home dashboards set through the preferences API.
package grafanasync

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/dashboards"
)

// Client calls one Grafana's HTTP API with a service account token.
type Client struct {
	base  *url.URL
	token string
	http  *http.Client
}

// New is a client of the Grafana at baseURL.
func New(baseURL, token string, timeout time.Duration) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--grafana-url must be http(s)://host[:port], got %q", baseURL)
	}
	if token == "" {
		return nil, errors.New("no Grafana token: set the variable --grafana-token-env names to a service account token")
	}
	return &Client{base: u, token: token, http: &http.Client{Timeout: timeout}}, nil
}

// Error is an answer of Grafana's that is not a success.
type Error struct {
	Method, Path string
	Status       int
	// Reason is Grafana's "status" where it gives one (version-mismatch,
	// name-exists, plugin-dashboard).
	Reason  string
	Message string
}

func (e *Error) Error() string {
	reason := ""
	if e.Reason != "" {
		reason = " (" + e.Reason + ")"
	}
	return fmt.Sprintf("Grafana answered %s %s with %d%s: %s", e.Method, e.Path, e.Status, reason, e.Message)
}

// maxErrorText bounds how much of an error answer is kept.
const maxErrorText = 512

// call sends a JSON request and decodes a JSON answer into out (when not
// nil); an answer of 400 or more is an *Error.
func (c *Client) call(ctx context.Context, method, path string, query url.Values, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	u := *c.base
	u.Path += path
	u.RawQuery = query.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("reaching Grafana: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("reading Grafana's answer to %s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 400 {
		var e struct{ Message, Status string }
		if json.Unmarshal(raw, &e) != nil || e.Message == "" {
			e.Message = strings.TrimSpace(string(raw))
		}
		if len(e.Message) > maxErrorText {
			e.Message = e.Message[:maxErrorText] + "…"
		}
		return &Error{Method: method, Path: path, Status: resp.StatusCode, Reason: e.Status, Message: e.Message}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("Grafana's answer to %s %s is not the JSON expected: %w", method, path, err)
	}
	return nil
}

func isStatus(err error, status int) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == status
}

// Item is one layout to push: its tenant, the layout, and its dashboard
// JSON as rendered.
type Item struct {
	Tenant    string
	Layout    apiv1.Layout
	Dashboard json.RawMessage
}

// Options steer a sync.
type Options struct {
	// DryRun only reads.
	DryRun bool
	// Force overwrites dashboards edited in Grafana since the last push.
	Force bool
	// Pushed remembers the Grafana version of each layout's dashboard as
	// last pushed, to tell an edit made in Grafana from the sync's own.
	Pushed Pushed
	// Prune deletes the dashboards of Tenant's layouts that were pushed
	// once and are no longer among the items (deleted layouts), unless
	// they were edited in Grafana since.
	Prune  bool
	Tenant string
}

// Pushed keeps, per layout, the Grafana version its last push made.
type Pushed interface {
	Version(ctx context.Context, tenant, id string) (version int64, ok bool, err error)
	Record(ctx context.Context, tenant, id string, version int64) error
	// Versions are every layout of the tenant ever pushed (and not
	// forgotten), by id.
	Versions(ctx context.Context, tenant string) (map[string]int64, error)
	Forget(ctx context.Context, tenant, id string) error
}

// Report counts what a sync did (or, dry, would do).
type Report struct {
	Created, Updated, Unchanged, Deleted int
	// Conflicts are dashboards someone changed in Grafana meanwhile:
	// left as they are.
	Conflicts int
	// Failed are items Grafana refused or could not store.
	Failed int
	// Homes are home dashboards set; Notes what could not be done.
	Homes int
	Notes []string
}

// Sync pushes every item, printing a line per action to out. It stops at
// once when Grafana refuses the token (401); any other failure is reported
// for its item and the others go on.
func (c *Client) Sync(ctx context.Context, items []Item, opts Options, out io.Writer) (Report, error) {
	var r Report
	// The token first: a refused one stops here, before anything is read
	// or written.
	if err := c.call(ctx, http.MethodGet, "/api/user", nil, nil, nil); err != nil {
		if fatal(err) {
			return r, tokenRefused(err)
		}
		return r, err
	}
	would := ""
	if opts.DryRun {
		would = "would be "
	}
	say := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }
	folders := map[string]bool{}
	for _, it := range items {
		name := it.Tenant + "/" + it.Layout.ID
		folderUID, folderTitle := folderOf(it.Tenant, it.Layout.Owner)
		if !folders[folderUID] {
			created, err := c.ensureFolder(ctx, folderUID, folderTitle, opts.DryRun)
			if fatal(err) {
				return r, tokenRefused(err)
			}
			if err != nil {
				r.Failed++
				say("FAILED %s: folder %q: %v", name, folderTitle, err)
				continue
			}
			folders[folderUID] = true
			if created {
				say("folder %q %screated", folderTitle, would)
			}
		}
		outcome, err := c.pushDashboard(ctx, it, folderUID, opts)
		var conflict *editedError
		switch {
		case fatal(err):
			return r, tokenRefused(err)
		case errors.As(err, &conflict), isStatus(err, http.StatusPreconditionFailed) && reason(err) == "version-mismatch":
			r.Conflicts++
			say("CONFLICT %s: changed in Grafana since the last sync; not overwritten (--force overwrites): %v", name, err)
			continue
		case err != nil:
			r.Failed++
			say("FAILED %s: %v", name, err)
			continue
		}
		switch outcome {
		case created:
			r.Created++
		case updated:
			r.Updated++
		default:
			r.Unchanged++
		}
		say("%s %s%s (folder %q)", name, would, outcome, folderTitle)
		if it.Layout.Default {
			changed, note, err := c.setHome(ctx, it, opts.DryRun)
			switch {
			case fatal(err):
				return r, tokenRefused(err)
			case err != nil:
				r.Failed++
				say("FAILED %s: home dashboard: %v", name, err)
			case note != "":
				r.Notes = append(r.Notes, note)
				say("NOTE %s: %s", name, note)
			case changed:
				r.Homes++
				say("%s: home dashboard of %s %s %sset", name, it.Layout.Owner.Kind, it.Layout.Owner.Name, would)
			}
		}
	}
	if opts.Prune && opts.Pushed != nil {
		if err := c.prune(ctx, items, opts, &r, say); err != nil {
			return r, err
		}
	}
	return r, nil
}

// prune deletes the dashboards of layouts pushed once and deleted since,
// unless someone edited them in Grafana after the last push.
func (c *Client) prune(ctx context.Context, items []Item, opts Options, r *Report, say func(string, ...any)) error {
	pushed, err := opts.Pushed.Versions(ctx, opts.Tenant)
	if err != nil {
		return err
	}
	current := map[string]bool{}
	for _, it := range items {
		current[it.Layout.ID] = true
	}
	ids := slices.Sorted(maps.Keys(pushed))
	for _, id := range ids {
		if current[id] {
			continue
		}
		name, uid := opts.Tenant+"/"+id, dashboards.LayoutUID(opts.Tenant, id)
		var existing struct {
			Meta struct {
				Version int64 `json:"version"`
			} `json:"meta"`
		}
		err := c.call(ctx, http.MethodGet, "/api/dashboards/uid/"+uid, nil, nil, &existing)
		switch {
		case isStatus(err, http.StatusNotFound):
			if !opts.DryRun {
				if err := opts.Pushed.Forget(ctx, opts.Tenant, id); err != nil {
					return err
				}
			}
			continue
		case fatal(err):
			return tokenRefused(err)
		case err != nil:
			r.Failed++
			say("FAILED %s (deleted layout): %v", name, err)
			continue
		case existing.Meta.Version != pushed[id] && !opts.Force:
			r.Conflicts++
			say("CONFLICT %s: the layout was deleted, but its dashboard was edited in Grafana since the last sync; not deleted (--force deletes)", name)
			continue
		case opts.DryRun:
			r.Deleted++
			say("%s would be deleted (its layout was)", name)
			continue
		}
		if err := c.call(ctx, http.MethodDelete, "/api/dashboards/uid/"+uid, nil, nil, nil); err != nil {
			if fatal(err) {
				return tokenRefused(err)
			}
			r.Failed++
			say("FAILED %s (deleted layout): %v", name, err)
			continue
		}
		if err := opts.Pushed.Forget(ctx, opts.Tenant, id); err != nil {
			return err
		}
		r.Deleted++
		say("%s deleted (its layout was)", name)
	}
	return nil
}

func reason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// editedError is a dashboard edited in Grafana since the sync last pushed
// it (or never pushed by it).
type editedError struct {
	uid             string
	pushed, current int64
	known           bool
}

func (e *editedError) Error() string {
	if !e.known {
		return fmt.Sprintf("dashboard %s exists in Grafana (version %d) but this sync never pushed it", e.uid, e.current)
	}
	return fmt.Sprintf("dashboard %s is at version %d in Grafana; the last sync left it at %d", e.uid, e.current, e.pushed)
}

// fatal errors stop the sync: the token is refused everywhere. A 403 is
// one call the token may not make (a team's preferences need Admin):
// that item fails, the others go on.
func fatal(err error) bool {
	return isStatus(err, http.StatusUnauthorized)
}

func tokenRefused(err error) error {
	return fmt.Errorf("Grafana refused the token (%w): check --grafana-token-env names a service account token with the Editor role (Admin to set team home dashboards)", err)
}

// folderOf is the folder of a layout: one per owner (team or user), so
// two owners' layouts of one name never clash; uids are stable and never
// shared between tenants.
func folderOf(tenant string, owner apiv1.LayoutOwner) (uid, title string) {
	sum := sha256.Sum256([]byte(tenant + "/" + owner.Kind + "/" + owner.Name))
	return "ccf-" + hex.EncodeToString(sum[:10]), "commandcenter: " + owner.Name
}

func (c *Client) ensureFolder(ctx context.Context, uid, title string, dryRun bool) (created bool, err error) {
	err = c.call(ctx, http.MethodGet, "/api/folders/"+uid, nil, nil, nil)
	if !isStatus(err, http.StatusNotFound) {
		return false, err
	}
	if dryRun {
		return true, nil
	}
	err = c.call(ctx, http.MethodPost, "/api/folders", nil, map[string]string{"uid": uid, "title": title}, nil)
	return err == nil, err
}

const (
	created   = "created"
	updated   = "updated"
	unchanged = "unchanged"
)

// pushDashboard creates the item's dashboard or updates it — only when
// Grafana's version is the one the last push made (opts.Pushed), so an
// edit made in Grafana is never overwritten unless opts.Force. If someone
// saves it between the read and the write, Grafana answers 412.
func (c *Client) pushDashboard(ctx context.Context, it Item, folderUID string, opts Options) (string, error) {
	var dash map[string]any
	if err := json.Unmarshal(it.Dashboard, &dash); err != nil {
		return "", fmt.Errorf("the rendered dashboard is not JSON: %w", err)
	}
	uid, _ := dash["uid"].(string)
	var current struct {
		Dashboard map[string]any `json:"dashboard"`
		Meta      struct {
			FolderUID string `json:"folderUid"`
			Version   int64  `json:"version"`
		} `json:"meta"`
	}
	outcome := created
	err := c.call(ctx, http.MethodGet, "/api/dashboards/uid/"+url.PathEscape(uid), nil, nil, &current)
	switch {
	case isStatus(err, http.StatusNotFound):
	case err != nil:
		return "", err
	default:
		if current.Meta.FolderUID == folderUID && sameDashboard(current.Dashboard, dash) {
			// Grafana holds exactly this: whoever saved it, it is ours now.
			if !opts.DryRun && opts.Pushed != nil {
				if err := opts.Pushed.Record(ctx, it.Tenant, it.Layout.ID, current.Meta.Version); err != nil {
					return "", err
				}
			}
			return unchanged, nil
		}
		if !opts.Force && opts.Pushed != nil {
			pushed, known, err := opts.Pushed.Version(ctx, it.Tenant, it.Layout.ID)
			if err != nil {
				return "", err
			}
			if !known || pushed != current.Meta.Version {
				return "", &editedError{uid: uid, pushed: pushed, current: current.Meta.Version, known: known}
			}
		}
		outcome = updated
		dash["version"] = current.Meta.Version
	}
	if opts.DryRun {
		return outcome, nil
	}
	req := map[string]any{"dashboard": dash, "folderUid": folderUID, "overwrite": false,
		"message": fmt.Sprintf("commandcenter layouts sync: layout %s version %d", it.Layout.ID, it.Layout.Version)}
	var saved struct {
		Version int64 `json:"version"`
	}
	if err := c.call(ctx, http.MethodPost, "/api/dashboards/db", nil, req, &saved); err != nil {
		return "", err
	}
	if opts.Pushed != nil {
		if err := opts.Pushed.Record(ctx, it.Tenant, it.Layout.ID, saved.Version); err != nil {
			return "", fmt.Errorf("pushed, but recording its version failed (the next sync will see a conflict): %w", err)
		}
	}
	return outcome, nil
}

// sameDashboard compares two dashboards' JSON but for what Grafana sets
// itself (id, version).
func sameDashboard(a, b map[string]any) bool {
	strip := func(m map[string]any) map[string]any {
		m = maps.Clone(m)
		delete(m, "id")
		delete(m, "version")
		return m
	}
	// Both through JSON, so numbers compare as numbers.
	var x, y any
	ja, _ := json.Marshal(strip(a))
	jb, _ := json.Marshal(strip(b))
	json.Unmarshal(ja, &x)
	json.Unmarshal(jb, &y)
	return reflect.DeepEqual(x, y)
}

// setHome makes a default layout its owner's home dashboard, unless it
// already is: a team's through the team preferences API; a user's only
// when the token is that user's (Grafana sets a user's preferences only as
// that user). The note says what could not be done.
func (c *Client) setHome(ctx context.Context, it Item, dryRun bool) (changed bool, note string, err error) {
	var dash struct{ UID string }
	if err := json.Unmarshal(it.Dashboard, &dash); err != nil {
		return false, "", err
	}
	owner := it.Layout.Owner
	prefs := ""
	if owner.Kind == apiv1.OwnerTeam {
		var found struct {
			Teams []struct {
				ID   int    `json:"id"`
				Name string `json:"name"`
			} `json:"teams"`
		}
		if err := c.call(ctx, http.MethodGet, "/api/teams/search", url.Values{"name": {owner.Name}}, nil, &found); err != nil {
			return false, "", err
		}
		for _, t := range found.Teams {
			if t.Name == owner.Name {
				prefs = fmt.Sprintf("/api/teams/%d/preferences", t.ID)
			}
		}
		if prefs == "" {
			return false, fmt.Sprintf("Grafana has no team named %q: its home dashboard was not set", owner.Name), nil
		}
	} else {
		var me struct{ Login string }
		if err := c.call(ctx, http.MethodGet, "/api/user", nil, nil, &me); err != nil {
			return false, "", err
		}
		if me.Login != owner.Name {
			return false, fmt.Sprintf("the home dashboard of user %q can only be set by that user (the token is %q's); it is in the folder for them to set", owner.Name, me.Login), nil
		}
		prefs = "/api/user/preferences"
	}
	var current struct {
		HomeDashboardUID string `json:"homeDashboardUID"`
	}
	if err := c.call(ctx, http.MethodGet, prefs, nil, nil, &current); err != nil {
		return false, "", err
	}
	if current.HomeDashboardUID == dash.UID {
		return false, "", nil
	}
	if dryRun {
		return true, "", nil
	}
	return true, "", c.call(ctx, http.MethodPut, prefs, nil, map[string]string{"homeDashboardUID": dash.UID}, nil)
}
