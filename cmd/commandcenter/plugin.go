package main

import (
	"fmt"
	"strings"

	"github.com/alecthomas/kingpin/v2"

	"github.com/commandcenter/commandcenter/plugins/builtin"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

type pluginCmd struct{ name string }

func registerPlugin(app *kingpin.Application) *pluginCmd {
	c := &pluginCmd{}
	cmd := app.Command("plugin", "Run a built-in source plugin (started by serve as a child process, not by hand).")
	cmd.Arg("name", "Built-in plugin: "+strings.Join(builtin.Names(), ", ")).Required().EnumVar(&c.name, builtin.Names()...)
	return c
}

func (c *pluginCmd) run() error {
	newSource, ok := builtin.Sources[c.name]
	if !ok {
		return fmt.Errorf("no built-in plugin %q", c.name)
	}
	sdk.Serve(newSource())
	return nil
}
