package main

import (
	"fmt"
	"io"

	"github.com/alecthomas/kingpin/v2"

	"github.com/commandcenter/commandcenter/dashboards"
)

type dashboardsCmd struct {
	dir string
	out io.Writer
}

func registerDashboards(app *kingpin.Application, out io.Writer) *dashboardsCmd {
	c := &dashboardsCmd{out: out}
	cmd := app.Command("dashboards", "Grafana dashboards.")
	export := cmd.Command("export", "Write every dashboard's JSON into a folder (for Grafana's file provisioning).")
	export.Arg("dir", "Folder to write into; made if missing.").Required().StringVar(&c.dir)
	return c
}

func (c *dashboardsCmd) export() error {
	written, err := dashboards.Export(c.dir)
	for _, path := range written {
		fmt.Fprintln(c.out, path)
	}
	return err
}
