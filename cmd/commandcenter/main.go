// Command commandcenter gathers an influencer-marketing agency's data from
// source plugins into SQLite and serves it to Prometheus (/metrics) and
// Grafana (the HTTP API). Each command lives in its own file.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/version"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run parses args and runs the command they name: help on stdout when
// there is none, exit code 2 for a command or flag it does not know, 1
// when the command fails.
func run(args []string, stdout, stderr io.Writer) int {
	app := kingpin.New("commandcenter", "Influencer-marketing metrics server: source plugins → SQLite → Prometheus and Grafana.")
	app.Version(version.Print("commandcenter"))
	app.HelpFlag.Short('h')
	app.UsageWriter(stdout)
	app.ErrorWriter(stderr)
	logs := registerLogging(app)
	serve := registerServe(app, logs)
	tokens := registerTokens(app)
	plugin := registerPlugin(app, stdout)
	dashboardsCommand := registerDashboards(app, stdout)
	layouts := registerLayouts(app, stdout)
	plugins := registerPlugins(app, stdout, stderr)
	checkConfig := registerCheckConfig(app, stdout, stderr)
	backup := registerBackup(app, logs, stdout)
	app.Command("version", "Print version information.")
	commands := map[string]func() error{
		"serve":             serve.run,
		"tokens create":     tokens.create,
		"tokens list":       tokens.list,
		"tokens revoke":     tokens.revoke,
		"plugin":            plugin.run,
		"plugins check":     plugins.check,
		"plugins run":       plugins.run,
		"plugins list":      plugins.list,
		"plugins collect":   plugins.collect,
		"check-config":      checkConfig.run,
		"dashboards export": dashboardsCommand.export,
		"layouts sync":      layouts.sync,
		"backup":            backup.run,
		"version":           func() error { return printVersion(stdout) },
	}
	if len(args) == 0 {
		app.Usage(nil)
		return 0
	}
	cmd, err := app.Parse(args)
	if err != nil {
		fmt.Fprintf(stderr, "commandcenter: %v (try commandcenter --help)\n", err)
		return 2
	}
	runCommand, ok := commands[cmd]
	if !ok {
		fmt.Fprintf(stderr, "commandcenter: unknown command %q (try commandcenter --help)\n", cmd)
		return 2
	}
	if err := runCommand(); err != nil {
		fmt.Fprintln(stderr, "commandcenter:", err)
		return 1
	}
	return 0
}
