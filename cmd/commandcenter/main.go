// Command commandcenter gathers an influencer-marketing agency's data from
// source plugins into SQLite and serves it to Prometheus (/metrics) and
// Grafana (the HTTP API).
package main

import (
	"fmt"
	"os"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/version"
)

func main() {
	app := kingpin.New("commandcenter", "Influencer-marketing metrics server: source plugins → SQLite → Prometheus and Grafana.")
	app.Version(version.Print("commandcenter"))
	app.HelpFlag.Short('h')
	serve := registerServe(app)
	tokens := registerTokens(app)
	plugin := registerPlugin(app)
	app.Command("version", "Print version information.")

	cmd := kingpin.MustParse(app.Parse(os.Args[1:]))
	var err error
	switch cmd {
	case "serve":
		err = serve.run()
	case "plugin":
		err = plugin.run()
	case "version":
		fmt.Println(version.Print("commandcenter"))
	default:
		err = tokens.run(cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "commandcenter:", err)
		os.Exit(1)
	}
}
