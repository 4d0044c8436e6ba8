package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/alecthomas/kingpin/v2"

	"github.com/commandcenter/commandcenter/plugins/builtin"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

type pluginCmd struct {
	name         string
	sampleConfig bool
	stdout       io.Writer
}

func registerPlugin(app *kingpin.Application, stdout io.Writer) *pluginCmd {
	c := &pluginCmd{stdout: stdout}
	cmd := app.Command("plugin", "Run a built-in source plugin (started by serve as a child process, not by hand), or print its sample config.")
	cmd.Arg("name", "Built-in plugin: "+strings.Join(builtin.Names(), ", ")).Required().EnumVar(&c.name, builtin.Names()...)
	cmd.Flag("sample-config", "Print the plugin's documented entry for the config's plugins list, and exit.").BoolVar(&c.sampleConfig)
	return c
}

func (c *pluginCmd) run() error {
	p, ok := builtin.Plugins[c.name]
	if !ok {
		return fmt.Errorf("no built-in plugin %q", c.name)
	}
	if c.sampleConfig {
		_, err := fmt.Fprintf(c.stdout, "plugins:\n%s", p.SampleConfig)
		return err
	}
	sdk.Serve(p.New())
	return nil
}
