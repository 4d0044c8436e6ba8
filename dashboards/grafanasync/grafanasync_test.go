package grafanasync_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/collector/business"
	"github.com/commandcenter/commandcenter/dashboards"
	"github.com/commandcenter/commandcenter/dashboards/grafanasync"
	"github.com/commandcenter/commandcenter/dashboards/grafanasync/grafanafake"
)

var ctx = context.Background()

// memPushed keeps pushed versions in memory, as the store does.
type memPushed map[string]int64

func (m memPushed) Version(_ context.Context, tenant, id string) (int64, bool, error) {
	v, ok := m[tenant+"/"+id]
	return v, ok, nil
}

func (m memPushed) Record(_ context.Context, tenant, id string, v int64) error {
	m[tenant+"/"+id] = v
	return nil
}

func (m memPushed) Versions(_ context.Context, tenant string) (map[string]int64, error) {
	out := map[string]int64{}
	for k, v := range m {
		if t, id, _ := strings.Cut(k, "/"); t == tenant {
			out[id] = v
		}
	}
	return out, nil
}

func (m memPushed) Forget(_ context.Context, tenant, id string) error {
	delete(m, tenant+"/"+id)
	return nil
}

func opts(pushed memPushed) grafanasync.Options {
	return grafanasync.Options{Pushed: pushed, Prune: true, Tenant: "acme"}
}

// layout is a valid layout of an owner.
func layout(id, kind, owner string, def bool) apiv1.Layout {
	return apiv1.Layout{ID: id, Owner: apiv1.LayoutOwner{Kind: kind, Name: owner}, Name: "Layout " + id, Default: def, Version: 1,
		TimeRange: apiv1.LayoutRange{From: "now-7d", To: "now"},
		Widgets:   []apiv1.Widget{{Kind: business.WidgetWorklist, W: 24, H: 8}}}
}

func items(t *testing.T, tenant string, layouts ...apiv1.Layout) []grafanasync.Item {
	t.Helper()
	var out []grafanasync.Item
	for _, l := range layouts {
		raw, err := dashboards.RenderLayoutJSON(tenant, l)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, grafanasync.Item{Tenant: tenant, Layout: l, Dashboard: raw})
	}
	return out
}

func client(t *testing.T, g *grafanafake.Server, token string) *grafanasync.Client {
	t.Helper()
	c, err := grafanasync.New(g.URL, token, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSyncCreatesThenUpdatesInPlaceAndSetsHomes(t *testing.T) {
	g := grafanafake.Start("sa-token", "ana")
	defer g.Close()
	g.AddTeam("ops", 7)
	c := client(t, g, "sa-token")
	pushed := memPushed{}
	all := items(t, "acme",
		layout("ops-home", apiv1.OwnerTeam, "ops", true),
		layout("ana-home", apiv1.OwnerUser, "ana", true),
		layout("bo-home", apiv1.OwnerUser, "bo", true),
		layout("ghost", apiv1.OwnerTeam, "nobody", true))
	var out strings.Builder
	r, err := c.Sync(ctx, all, opts(pushed), &out)
	if err != nil {
		t.Fatal(err)
	}
	if r.Created != 4 || r.Homes != 2 || len(r.Notes) != 2 || r.Failed != 0 {
		t.Fatalf("first sync %+v\n%s", r, out.String())
	}
	g.Lock()
	folders, dashboardsStored := len(g.Folders), len(g.Dashboards)
	teamHome, anaHome := g.HomeByTeam[7], g.HomeByUser["ana"]
	g.Unlock()
	// One folder per owner.
	if folders != 4 || dashboardsStored != 4 {
		t.Errorf("Grafana holds %s", g)
	}
	if teamHome != dashboards.LayoutUID("acme", "ops-home") || anaHome != dashboards.LayoutUID("acme", "ana-home") {
		t.Errorf("homes: team %q, ana %q", teamHome, anaHome)
	}
	if !strings.Contains(out.String(), `user "bo" can only be set by that user`) || !strings.Contains(out.String(), `no team named "nobody"`) {
		t.Errorf("the notes do not say what was not done:\n%s", out.String())
	}

	// Again, nothing changed: nothing is written.
	g.Lock()
	writes := g.Writes
	g.Unlock()
	r, err = c.Sync(ctx, all, opts(pushed), &out)
	if err != nil || r.Unchanged != 4 || r.Created+r.Updated != 0 {
		t.Fatalf("second sync %+v %v", r, err)
	}
	// Changing a layout updates its dashboard in place, at Grafana's version.
	changed := layout("ops-home", apiv1.OwnerTeam, "ops", false)
	changed.Name = "Ops, renamed"
	all[0] = items(t, "acme", changed)[0]
	r, err = c.Sync(ctx, all, opts(pushed), &out)
	if err != nil || r.Updated != 1 {
		t.Fatalf("update %+v %v", r, err)
	}
	g.Lock()
	d := g.Dashboards[dashboards.LayoutUID("acme", "ops-home")]
	title, version, total := d.JSON["title"], d.Version, len(g.Dashboards)
	homesWrites := g.Writes - writes
	g.Unlock()
	if title != "Ops, renamed" || version != 2 || total != 4 {
		t.Errorf("after the update: title %v version %d, %d dashboards", title, version, total)
	}
	// The unchanged sync wrote nothing; the update wrote one dashboard.
	if homesWrites != 1 {
		t.Errorf("%d writes for one changed layout", homesWrites)
	}
}

func TestSyncNeverOverwritesAnEditMadeInGrafana(t *testing.T) {
	g := grafanafake.Start("sa-token", "admin")
	defer g.Close()
	c := client(t, g, "sa-token")
	pushed := memPushed{}
	l := layout("ops-home", apiv1.OwnerTeam, "ops", false)
	if _, err := c.Sync(ctx, items(t, "acme", l), opts(pushed), new(strings.Builder)); err != nil {
		t.Fatal(err)
	}
	uid := dashboards.LayoutUID("acme", "ops-home")
	title := func() any {
		g.Lock()
		defer g.Unlock()
		return g.Dashboards[uid].JSON["title"]
	}

	// Someone edits it in Grafana; later the layout changes too.
	g.Lock()
	g.Dashboards[uid].JSON["title"] = "edited in Grafana"
	g.Dashboards[uid].Version++
	g.Unlock()
	l.Name = "mine"
	var out strings.Builder
	r, err := c.Sync(ctx, items(t, "acme", l), opts(pushed), &out)
	if err != nil || r.Conflicts != 1 || r.Updated != 0 || title() != "edited in Grafana" {
		t.Fatalf("%+v %v, title %v\n%s", r, err, title(), out.String())
	}
	if !strings.Contains(out.String(), "CONFLICT acme/ops-home") {
		t.Errorf("the conflict is not reported:\n%s", out.String())
	}
	// A dashboard of that uid the sync never pushed is not taken over.
	if r, _ := c.Sync(ctx, items(t, "acme", l), opts(memPushed{}), new(strings.Builder)); r.Conflicts != 1 {
		t.Errorf("a dashboard never pushed was overwritten: %+v", r)
	}
	// --force overwrites.
	forced := opts(pushed)
	forced.Force = true
	if r, err := c.Sync(ctx, items(t, "acme", l), forced, new(strings.Builder)); err != nil || r.Updated != 1 || title() != "mine" {
		t.Errorf("forced: %+v %v, title %v", r, err, title())
	}

	// Someone saves it between the sync's read and its write: Grafana's
	// 412 keeps their edit.
	g.Lock()
	g.EditBeforeSave = uid
	g.Unlock()
	l.Name = "mine again"
	if r, err := c.Sync(ctx, items(t, "acme", l), opts(pushed), new(strings.Builder)); err != nil || r.Conflicts != 1 || title() != "mine" {
		t.Errorf("a save racing the sync: %+v %v, title %v", r, err, title())
	}
}

func TestSyncStopsAtARefusedTokenAndGoesOnPastAFailure(t *testing.T) {
	g := grafanafake.Start("sa-token", "admin")
	defer g.Close()
	all := items(t, "acme", layout("a", apiv1.OwnerTeam, "ops", false), layout("b", apiv1.OwnerTeam, "ops", false))

	_, err := client(t, g, "wrong").Sync(ctx, all, opts(memPushed{}), new(strings.Builder))
	if err == nil || !strings.Contains(err.Error(), "refused the token") || !strings.Contains(err.Error(), "401") {
		t.Fatalf("a wrong token: %v", err)
	}
	g.Lock()
	g.FailDashboard = dashboards.LayoutUID("acme", "a")
	g.Unlock()
	var out strings.Builder
	r, err := client(t, g, "sa-token").Sync(ctx, all, opts(memPushed{}), &out)
	if err != nil || r.Failed != 1 || r.Created != 1 {
		t.Fatalf("%+v %v\n%s", r, err, out.String())
	}
	if !strings.Contains(out.String(), "FAILED acme/a") || !strings.Contains(out.String(), "500") {
		t.Errorf("the failure is not reported:\n%s", out.String())
	}

	// An Editor token may not set a team's home (403): that item fails,
	// the sync goes on.
	g.Lock()
	g.FailDashboard, g.ForbidTeamPreferences = "", true
	g.Unlock()
	g.AddTeam("ops", 9)
	homes := items(t, "acme", layout("c", apiv1.OwnerTeam, "ops", true), layout("d", apiv1.OwnerTeam, "ops", false))
	out.Reset()
	r, err = client(t, g, "sa-token").Sync(ctx, homes, opts(memPushed{}), &out)
	if err != nil || r.Failed != 1 || r.Created != 2 {
		t.Errorf("a 403 on a team's preferences: %+v %v\n%s", r, err, out.String())
	}
}

func TestDryRunOnlyReads(t *testing.T) {
	g := grafanafake.Start("sa-token", "ana")
	defer g.Close()
	g.AddTeam("ops", 3)
	var out strings.Builder
	dry := grafanasync.Options{DryRun: true, Pushed: memPushed{}}
	r, err := client(t, g, "sa-token").Sync(ctx, items(t, "acme",
		layout("ops-home", apiv1.OwnerTeam, "ops", true), layout("ana-home", apiv1.OwnerUser, "ana", true)), dry, &out)
	if err != nil || r.Created != 2 || r.Homes != 2 {
		t.Fatalf("%+v %v\n%s", r, err, out.String())
	}
	g.Lock()
	defer g.Unlock()
	if g.Writes != 0 || len(g.Dashboards) != 0 || len(g.Folders) != 0 {
		t.Errorf("a dry run wrote: %s", g.String())
	}
	if !strings.Contains(out.String(), "would be created") {
		t.Errorf("the dry run does not say what it would do:\n%s", out.String())
	}
}

func TestNewRefusesABadURLOrNoToken(t *testing.T) {
	for _, c := range []struct{ url, token string }{{"grafana:3000", "t"}, {"ftp://g", "t"}, {"http://g:3000", ""}} {
		if _, err := grafanasync.New(c.url, c.token, time.Second); err == nil {
			t.Errorf("%q with token %q accepted", c.url, c.token)
		}
	}
}

func TestSyncDeletesTheDashboardsOfDeletedLayoutsUnlessEdited(t *testing.T) {
	g := grafanafake.Start("sa-token", "admin")
	defer g.Close()
	c := client(t, g, "sa-token")
	pushed := memPushed{}
	a, b := layout("a", apiv1.OwnerTeam, "ops", false), layout("b", apiv1.OwnerTeam, "ops", false)
	if _, err := c.Sync(ctx, items(t, "acme", a, b), opts(pushed), new(strings.Builder)); err != nil {
		t.Fatal(err)
	}
	stored := func(id string) bool {
		g.Lock()
		defer g.Unlock()
		_, ok := g.Dashboards[dashboards.LayoutUID("acme", id)]
		return ok
	}
	// b was deleted in commandcenter, after someone edited a in Grafana.
	dry := opts(pushed)
	dry.DryRun = true
	if r, err := c.Sync(ctx, items(t, "acme", a), dry, new(strings.Builder)); err != nil || r.Deleted != 1 || !stored("b") {
		t.Fatalf("dry: %+v %v", r, err)
	}
	var out strings.Builder
	r, err := c.Sync(ctx, items(t, "acme", a), opts(pushed), &out)
	if err != nil || r.Deleted != 1 || stored("b") || !stored("a") {
		t.Fatalf("%+v %v\n%s", r, err, out.String())
	}
	// a is deleted too, but was edited in Grafana since: it stays.
	g.Lock()
	g.Dashboards[dashboards.LayoutUID("acme", "a")].Version++
	g.Unlock()
	out.Reset()
	r, err = c.Sync(ctx, nil, opts(pushed), &out)
	if err != nil || r.Conflicts != 1 || !stored("a") {
		t.Fatalf("%+v %v\n%s", r, err, out.String())
	}
	// Another tenant's sync never deletes acme's dashboards.
	globex := opts(memPushed{})
	globex.Tenant = "globex"
	if r, err := c.Sync(ctx, nil, globex, new(strings.Builder)); err != nil || r.Deleted != 0 || !stored("a") {
		t.Errorf("globex's sync: %+v %v", r, err)
	}
}
