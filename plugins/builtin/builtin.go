// Package builtin lists the source plugins compiled into commandcenter.
// Each runs as its own child process: `commandcenter plugin <name>`.
package builtin

import (
	"maps"
	"slices"

	"github.com/commandcenter/commandcenter/plugins/demo"
	"github.com/commandcenter/commandcenter/plugins/platform"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// Sources maps a built-in plugin's name to its constructor.
var Sources = map[string]func() sdk.Source{
	demo.Name:     func() sdk.Source { return demo.New(nil) },
	platform.Name: func() sdk.Source { return platform.New() },
}

// Names lists the built-in plugins, sorted.
func Names() []string { return slices.Sorted(maps.Keys(Sources)) }
