package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/alecthomas/kingpin/v2"

	"github.com/commandcenter/commandcenter/collector/business"
	"github.com/commandcenter/commandcenter/collector/store"
	"github.com/commandcenter/commandcenter/dashboards"
)

type dashboardsCmd struct {
	config configFlags
	dir    string
	out    io.Writer
}

func registerDashboards(app *kingpin.Application, out io.Writer) *dashboardsCmd {
	c := &dashboardsCmd{out: out}
	cmd := app.Command("dashboards", "Grafana dashboards.")
	export := cmd.Command("export", "Write every dashboard's JSON into a folder (for Grafana's file provisioning), "+
		"and every saved layout's under layouts/<tenant>/ (removing the files of layouts deleted since).")
	c.config.register(export)
	export.Arg("dir", "Folder to write into; made if missing.").Required().StringVar(&c.dir)
	return c
}

func (c *dashboardsCmd) export() error {
	written, err := dashboards.Export(c.dir)
	for _, path := range written {
		fmt.Fprintln(c.out, path)
	}
	if err != nil {
		return err
	}
	cfg, err := c.config.load()
	if err != nil {
		return err
	}
	if _, err := os.Stat(cfg.DatabasePath()); errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(c.out, "No database at %s: no saved layouts to export.\n", cfg.DatabasePath())
		return nil
	}
	return c.config.withStore(false, func(ctx context.Context, st *store.Store) error {
		stored, err := st.AllLayouts(ctx)
		if err != nil {
			return err
		}
		written := map[string]bool{}
		for _, s := range stored {
			l, err := business.LayoutFromStore(s)
			if err != nil {
				return err
			}
			raw, err := dashboards.RenderLayoutJSON(s.Tenant, l)
			if err != nil {
				return fmt.Errorf("rendering layout %s/%s: %w", s.Tenant, s.ID, err)
			}
			// Tenants and ids are letters, digits, '_', '.' and '-', never
			// starting with '.': safe as path elements.
			path := filepath.Join(c.dir, "layouts", s.Tenant, s.ID+".json")
			if err := dashboards.WriteFile(path, raw); err != nil {
				return err
			}
			written[path] = true
			fmt.Fprintln(c.out, path)
		}
		// Layouts deleted since an earlier export: their files go too, or
		// Grafana's file provisioning would bring them back.
		stale, err := filepath.Glob(filepath.Join(c.dir, "layouts", "*", "*.json"))
		if err != nil {
			return err
		}
		for _, path := range stale {
			if !written[path] {
				if err := os.Remove(path); err != nil {
					return err
				}
				fmt.Fprintln(c.out, "removed", path)
			}
		}
		return nil
	})
}
