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
	timeout    time.Duration
	out        io.Writer
}

func registerLayouts(app *kingpin.Application, out io.Writer) *layoutsCmd {
	c := &layoutsCmd{out: out}
	layouts := app.Command("layouts", "Saved layouts (the customizable homebase).")
	sync := layouts.Command("sync", "Push every saved layout to Grafana as a dashboard (a folder per team, stable uids, "+
		"updated in place, never over an edit made in Grafana) and set team home dashboards.")
	c.config.register(sync)
	sync.Flag("grafana-url", "Grafana's base URL, e.g. http://127.0.0.1:3000.").Required().StringVar(&c.grafanaURL)
	sync.Flag("grafana-token-env", "Environment variable holding a Grafana service account token (Editor; Admin for team home dashboards).").
		Default("GRAFANA_TOKEN").StringVar(&c.tokenEnv)
	sync.Flag("tenant", "Only this tenant's layouts (default: every tenant's).").StringVar(&c.tenant)
	sync.Flag("dry-run", "Print what would change; change nothing.").BoolVar(&c.dryRun)
	sync.Flag("timeout", "Timeout of each call to Grafana.").Default("30s").DurationVar(&c.timeout)
	return c
}

func (c *layoutsCmd) sync() error {
	client, err := grafanasync.New(c.grafanaURL, os.Getenv(c.tokenEnv), c.timeout)
	if err != nil {
		return err
	}
	var items []grafanasync.Item
	err = c.config.withStore(false, func(ctx context.Context, st *store.Store) error {
		stored, err := st.AllLayouts(ctx)
		if err != nil {
			return err
		}
		for _, s := range stored {
			if c.tenant != "" && s.Tenant != c.tenant {
				continue
			}
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
		return nil
	})
	if err != nil {
		return err
	}
	if len(items) == 0 {
		fmt.Fprintln(c.out, "No saved layouts to sync.")
		return nil
	}
	r, err := client.Sync(context.Background(), items, c.dryRun, c.out)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.out, "%d created, %d updated, %d unchanged, %d home dashboards set, %d conflicts, %d failed, %d notes\n",
		r.Created, r.Updated, r.Unchanged, r.Homes, r.Conflicts, r.Failed, len(r.Notes))
	if r.Conflicts+r.Failed > 0 {
		return fmt.Errorf("%d layout(s) not synced (see above)", r.Conflicts+r.Failed)
	}
	return nil
}
