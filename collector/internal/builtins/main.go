// Command builtins serves the built-in plugins the way `commandcenter
// plugin NAME` does, so the host's tests and benchmarks run them through
// the host's own built-in path without building the whole server.
package main

import (
	"fmt"
	"os"

	"github.com/commandcenter/commandcenter/plugins/builtin"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

func main() {
	if len(os.Args) != 3 || os.Args[1] != "plugin" {
		fmt.Fprintln(os.Stderr, "usage: builtins plugin NAME")
		os.Exit(2)
	}
	p, ok := builtin.Plugins[os.Args[2]]
	if !ok {
		fmt.Fprintf(os.Stderr, "no built-in plugin %q\n", os.Args[2])
		os.Exit(2)
	}
	sdk.Serve(p.New())
}
