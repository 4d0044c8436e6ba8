// Command gpx_commandcenter is the backend of the commandcenter Grafana
// datasource plugin. Grafana starts it as a child process and talks to it
// over gRPC (hashicorp/go-plugin); it is not meant to be run by hand.
package main

import (
	"os"

	"github.com/grafana/grafana-plugin-sdk-go/backend/datasource"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/commandcenter/commandcenter/grafana/pkg/dsplugin"
)

func main() {
	if err := datasource.Manage(dsplugin.PluginID, dsplugin.NewDatasource, datasource.ManageOpts{}); err != nil {
		log.DefaultLogger.Error("serving the datasource", "err", err.Error())
		os.Exit(1)
	}
}
