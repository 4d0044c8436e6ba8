package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/collector/business"
)

// homeLayout is a valid layout of user ana.
func homeLayout(id string) apiv1.Layout {
	return apiv1.Layout{
		ID: id, Owner: apiv1.LayoutOwner{Kind: apiv1.OwnerUser, Name: "ana"}, Name: "Ana's morning",
		Widgets: []apiv1.Widget{
			{Kind: business.WidgetOpenPayments, W: 6, H: 4},
			{Kind: business.WidgetPerformanceChart, Y: 4, W: 24, H: 8, Metric: apiv1.MetricViews, GroupBy: apiv1.GroupByPlatform},
		},
		TimeRange: apiv1.LayoutRange{From: "now-7d", To: "now"},
		Shortcuts: []apiv1.Shortcut{{Title: "Payments", URL: "/d/commandcenter-home"}},
	}
}

func TestLayoutsAreVersionedAndTenantIsolated(t *testing.T) {
	e := newEnv(t)
	acme, acmeRead, globex := e.client(e.tokens["acme/admin"]), e.client(e.tokens["acme/read"]), e.client(e.tokens["globex/admin"])

	created, err := acme.PutLayout(ctx, homeLayout("ana-home"))
	if err != nil {
		t.Fatal(err)
	}
	if created.Version != 1 || created.UpdatedAt.IsZero() || created.ID != "ana-home" {
		t.Fatalf("created %+v", created)
	}
	got, err := acmeRead.Layout(ctx, "ana-home")
	if err != nil || got.Name != "Ana's morning" || len(got.Widgets) != 2 || got.Version != 1 {
		t.Fatalf("read back %+v %v", got, err)
	}

	// A second writer who read version 1 after the first wrote version 2
	// is refused, and nothing of theirs is stored.
	first, second := *got, *got
	first.Name = "first"
	if _, err := acme.PutLayout(ctx, first); err != nil {
		t.Fatal(err)
	}
	second.Name = "second"
	_, err = acme.PutLayout(ctx, second)
	if ae := apiError(t, err); ae.StatusCode != http.StatusConflict || ae.Code != apiv1.CodeVersionConflict {
		t.Fatalf("stale PUT: %+v", ae)
	}
	if now, _ := acmeRead.Layout(ctx, "ana-home"); now.Name != "first" || now.Version != 2 {
		t.Fatalf("after the stale PUT: %+v", now)
	}
	// Creating over an existing layout (version 0) is a conflict too.
	if status(t, func() error { _, err := acme.PutLayout(ctx, homeLayout("ana-home")); return err }()) != http.StatusConflict {
		t.Error("a create over an existing layout was accepted")
	}

	// Another tenant neither sees, reads, overwrites nor deletes it.
	if list, err := globex.Layouts(ctx); err != nil || len(list.Layouts) != 0 {
		t.Errorf("globex lists %+v %v", list, err)
	}
	if _, err := globex.Layout(ctx, "ana-home"); status(t, err) != http.StatusNotFound {
		t.Errorf("globex read acme's layout: %v", err)
	}
	if err := globex.DeleteLayout(ctx, "ana-home", 2); status(t, err) != http.StatusNotFound {
		t.Errorf("globex deleted acme's layout: %v", err)
	}
	theirs := homeLayout("ana-home")
	theirs.Name = "globex's"
	if _, err := globex.PutLayout(ctx, theirs); err != nil {
		t.Fatalf("globex's own layout of the same id: %v", err)
	}
	if now, _ := acmeRead.Layout(ctx, "ana-home"); now.Name != "first" {
		t.Errorf("globex's PUT changed acme's layout: %+v", now)
	}

	// The tests' server has no renderer: it says so rather than failing.
	if _, err := acmeRead.LayoutDashboard(ctx, "ana-home"); status(t, err) != http.StatusNotImplemented {
		t.Errorf("rendering without a renderer: %v", err)
	}

	// Read and ingest (plugin, push) tokens cannot write layouts.
	if _, err := acmeRead.PutLayout(ctx, homeLayout("mine")); status(t, err) != http.StatusForbidden {
		t.Errorf("a read token wrote: %v", err)
	}
	if _, err := e.client(e.tokens["acme/ingest"]).PutLayout(ctx, homeLayout("mine")); status(t, err) != http.StatusForbidden {
		t.Errorf("an ingest token wrote: %v", err)
	}
	// A version for a layout that never existed is 404, not a conflict.
	ghost := homeLayout("never")
	ghost.Version = 5
	if _, err := acme.PutLayout(ctx, ghost); status(t, err) != http.StatusNotFound {
		t.Errorf("a PUT at version 5 of no layout: %v", err)
	}

	// Delete needs the version read.
	if err := acme.DeleteLayout(ctx, "ana-home", 1); status(t, err) != http.StatusConflict {
		t.Errorf("a stale delete: %v", err)
	}
	if err := acme.DeleteLayout(ctx, "ana-home", 2); err != nil {
		t.Fatal(err)
	}
	if _, err := acmeRead.Layout(ctx, "ana-home"); status(t, err) != http.StatusNotFound {
		t.Errorf("deleted layout still read: %v", err)
	}
	if list, _ := globex.Layouts(ctx); len(list.Layouts) != 1 {
		t.Errorf("acme's delete touched globex's layout: %+v", list)
	}
}

func TestOneDefaultLayoutPerOwner(t *testing.T) {
	e := newEnv(t)
	acme := e.client(e.tokens["acme/admin"])
	put := func(id, owner string) *apiv1.Layout {
		t.Helper()
		l := homeLayout(id)
		l.Owner.Name, l.Default = owner, true
		if cur, err := acme.Layout(ctx, id); err == nil {
			l.Version = cur.Version
		}
		out, err := acme.PutLayout(ctx, l)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	put("ana-1", "ana")
	put("bo-1", "bo")
	put("ana-2", "ana")
	list, err := acme.Layouts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defaults := map[string]bool{}
	for _, l := range list.Layouts {
		defaults[l.ID] = l.Default
	}
	if defaults["ana-1"] || !defaults["ana-2"] || !defaults["bo-1"] {
		t.Errorf("defaults %v: want ana-2 (ana's newest) and bo-1", defaults)
	}
	// The layout that lost its default moved on a version: a client
	// holding the old one cannot silently make it the default again.
	if l, _ := acme.Layout(ctx, "ana-1"); l.Version != 2 {
		t.Errorf("ana-1 is at version %d after losing its default, want 2", l.Version)
	}
}

func TestBadLayoutsAreRefusedWithEveryProblemAndNothingStored(t *testing.T) {
	e := newEnv(t)
	acme := e.client(e.tokens["acme/admin"])
	overlapping := homeLayout("x")
	overlapping.Widgets[1].Y = 2
	overlapping.Widgets = append(overlapping.Widgets, apiv1.Widget{Kind: "horoscope", X: 20, Y: 30, W: 4, H: 4})
	overlapping.TimeRange.From = "last tuesday"
	cases := []struct {
		name   string
		body   string
		status int
		code   string
		paths  []string
	}{
		{"content: overlap, unknown widget, bad range", mustJSON(t, overlapping), 422, apiv1.CodeInvalidLayout, []string{"widgets[1]", "widgets[2].kind", "time_range.from"}},
		{"an unknown field", `{"id":"x","nmae":"typo"}`, 400, apiv1.CodeInvalidLayout, []string{"nmae"}},
		{"a wrong type", `{"id":"x","widgets":"all"}`, 400, apiv1.CodeInvalidLayout, []string{"widgets"}},
		{"case-variant duplicate keys", `{"id":"x","name":"a","Name":"b"}`, 400, apiv1.CodeMalformedJSON, nil},
		{"truncated", `{"id":"x","name":`, 400, apiv1.CodeMalformedJSON, nil},
		{"invalid UTF-8", "{\"id\":\"x\",\"name\":\"\xff\"}", 400, apiv1.CodeMalformedJSON, nil},
		{"deeply nested", `{"id":"x","widgets":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, 400, apiv1.CodeMalformedJSON, nil},
		{"another id than the path's", `{"id":"y"}`, 400, apiv1.CodeInvalidLayout, []string{"id"}},
		{"huge", `{"id":"x","name":"` + strings.Repeat("a", maxLayoutBytes) + `"}`, 413, apiv1.CodeBodyTooLarge, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := acme.Do(ctx, http.MethodPut, apiv1.PathLayouts+"/x", nil, []byte(c.body), nil)
			ae := apiError(t, err)
			if ae.StatusCode != c.status || ae.Code != c.code {
				t.Fatalf("%d %s (%s), want %d %s", ae.StatusCode, ae.Code, ae.Message, c.status, c.code)
			}
			for _, p := range c.paths {
				if !hasPath(ae, p) {
					t.Errorf("%s not named in %+v", p, ae.Details)
				}
			}
		})
	}
	if list, err := acme.Layouts(ctx); err != nil || len(list.Layouts) != 0 {
		t.Errorf("something was stored: %+v %v", list, err)
	}
	if err := acme.DeleteLayout(ctx, "x", 0); status(t, err) != http.StatusBadRequest {
		t.Errorf("a delete without a version: %v", err)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
