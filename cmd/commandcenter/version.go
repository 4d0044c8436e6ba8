package main

import (
	"fmt"
	"io"

	"github.com/prometheus/common/version"
)

// printVersion is the version command: version, revision, branch, Go.
func printVersion(w io.Writer) error {
	_, err := fmt.Fprintln(w, version.Print("commandcenter"))
	return err
}
