package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/commandcenter/commandcenter/collector/business"
	"github.com/commandcenter/commandcenter/collector/store"
	"github.com/commandcenter/commandcenter/dashboards"
	"github.com/commandcenter/commandcenter/dashboards/grafanasync"
)

type layoutsCmd struct {
	config     configFlags
	grafanaURL string
	tokenEnv   string
	tenant     string
	dryRun     bool
	force      bool
	prune      bool
	timeout    time.Duration
	out        io.Writer
}

func registerLayouts(app *kingpin.Application, out io.Writer) *layoutsCmd {
	c := &layoutsCmd{out: out}
	layouts := app.Command("layouts", "Saved layouts (the customizable homebase).")
	sync := layouts.Command("sync", "Push a tenant's saved layouts to Grafana as dashboards (a folder per owner, stable uids, "+
		"updated in place; an edit made in Grafana since the last sync is left alone unless --force) and set team home dashboards.")
	c.config.register(sync)
	sync.Flag("grafana-url", "Grafana's base URL, e.g. http://127.0.0.1:3000.").Required().StringVar(&c.grafanaURL)
	sync.Flag("grafana-token-env", "Environment variable holding a Grafana service account token (Editor; Admin for team home dashboards).").
		Default("GRAFANA_TOKEN").StringVar(&c.tokenEnv)
	sync.Flag("tenant", "The tenant whose layouts to push. One tenant per Grafana organization (and token): "+
		"Grafana's folders, teams and preferences are not per tenant.").Required().StringVar(&c.tenant)
	sync.Flag("dry-run", "Print what would change; change nothing.").BoolVar(&c.dryRun)
	sync.Flag("force", "Overwrite (or delete) dashboards edited in Grafana since the last sync.").BoolVar(&c.force)
	sync.Flag("prune", "Delete the dashboards of layouts deleted since the last sync (unless edited in Grafana); --no-prune keeps them.").
		Default("true").BoolVar(&c.prune)
	sync.Flag("timeout", "Timeout of each call to Grafana.").Default("30s").DurationVar(&c.timeout)
	return c
}

func (c *layoutsCmd) sync() error {
	client, err := grafanasync.New(c.grafanaURL, os.Getenv(c.tokenEnv), c.timeout)
	if err != nil {
		return err
	}
	return c.config.withStore(false, func(ctx context.Context, st *store.Store) error {
		stored, err := st.Layouts(ctx, c.tenant)
		if err != nil {
			return err
		}
		var items []grafanasync.Item
		for _, s := range stored {
			l, err := business.LayoutFromStore(s)
			if err != nil {
				return err
			}
			raw, err := dashboards.RenderLayoutJSON(s.Tenant, l)
			if err != nil {
				return fmt.Errorf("rendering layout %s/%s: %w", s.Tenant, s.ID, err)
			}
			items = append(items, grafanasync.Item{Tenant: s.Tenant, Layout: l, Dashboard: raw})
		}
		if len(items) == 0 {
			fmt.Fprintf(c.out, "Tenant %s has no saved layouts.\n", c.tenant)
		}
		opts := grafanasync.Options{DryRun: c.dryRun, Force: c.force, Prune: c.prune, Tenant: c.tenant,
			Pushed: pushedVersions{st, c.grafanaURL}}
		r, err := client.Sync(ctx, items, opts, c.out)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.out, "%d created, %d updated, %d unchanged, %d deleted, %d home dashboards set, %d conflicts, %d failed, %d notes\n",
			r.Created, r.Updated, r.Unchanged, r.Deleted, r.Homes, r.Conflicts, r.Failed, len(r.Notes))
		if r.Conflicts+r.Failed > 0 {
			return fmt.Errorf("%d layout(s) not synced (see above)", r.Conflicts+r.Failed)
		}
		return nil
	})
}

// pushedVersions keeps the versions a sync pushed in the store, per
// Grafana (its URL).
type pushedVersions struct {
	st     *store.Store
	target string
}

func (p pushedVersions) Version(ctx context.Context, tenant, id string) (int64, bool, error) {
	return p.st.LayoutSyncVersion(ctx, tenant, id, p.target)
}

func (p pushedVersions) Record(ctx context.Context, tenant, id string, version int64) error {
	return p.st.SetLayoutSyncVersion(ctx, tenant, id, p.target, version)
}

func (p pushedVersions) Versions(ctx context.Context, tenant string) (map[string]int64, error) {
	return p.st.LayoutSyncVersions(ctx, tenant, p.target)
}

func (p pushedVersions) Forget(ctx context.Context, tenant, id string) error {
	return p.st.ForgetLayoutSync(ctx, tenant, id, p.target)
}
