// Package builtin lists the source plugins compiled into commandcenter.
// Each runs as its own child process: `commandcenter plugin <name>`.
package builtin

import (
	"maps"
	"slices"

	"github.com/commandcenter/commandcenter/plugins/demo"
	"github.com/commandcenter/commandcenter/plugins/performance"
	"github.com/commandcenter/commandcenter/plugins/platform"
	"github.com/commandcenter/commandcenter/plugins/scraper"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// Plugin is one built-in source.
type Plugin struct {
	New func() sdk.Source
	// SampleConfig is its documented entry of the config's plugins list.
	SampleConfig string
}

// Plugins maps a built-in plugin's name to it.
var Plugins = map[string]Plugin{
	demo.Name:        {New: func() sdk.Source { return demo.New(nil) }, SampleConfig: demo.SampleConfig},
	performance.Name: {New: func() sdk.Source { return performance.New() }, SampleConfig: performance.SampleConfig},
	platform.Name:    {New: func() sdk.Source { return platform.New() }, SampleConfig: platform.SampleConfig},
	scraper.Name:     {New: func() sdk.Source { return scraper.New() }, SampleConfig: scraper.SampleConfig},
}

// Names lists the built-in plugins, sorted.
func Names() []string { return slices.Sorted(maps.Keys(Plugins)) }
