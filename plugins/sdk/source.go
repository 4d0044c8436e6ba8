// Package sdk is what a commandcenter source plugin is written with, and the
// data contract between sources and commandcenter: the model (Batch, Event,
// Entity, DailyMetric, Counts, Money, kinds and statuses) and Validate, which
// the host runs on every batch and a plugin's tests can run too. An author
// implements Source and calls Serve from main; the SDK speaks the gRPC
// protocol (plugins/proto) through hashicorp/go-plugin, so the author never
// sees it. Launch starts a plugin process the one way the host does. The
// package is pure Go: it builds without cgo.
package sdk

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// Description is what a plugin says about itself.
type Description struct {
	Name        string
	Version     string
	Kinds       []string
	EntityTypes []string
	// ConfigSchema is a JSON Schema of the plugin's configuration.
	ConfigSchema json.RawMessage
}

// Emit hands one batch to the host. It returns once the host has received
// the batch; an error means the host is gone and Collect should return.
type Emit func(Batch) error

// Source is the interface a plugin author implements.
type Source interface {
	// Describe says what the plugin is and what it emits.
	Describe() Description
	// Configure validates and applies the plugin's config (JSON). It makes no
	// network calls. Bad fields are reported as ConfigErrors.
	Configure(ctx context.Context, config json.RawMessage) error
	// Collect emits everything new since cursor, in batches, each carrying
	// the cursor to resume after it.
	Collect(ctx context.Context, cursor string, emit Emit) error
	// Check says whether the source is reachable and accepts its credentials.
	Check(ctx context.Context) error
}

// ConfigErrors lists every bad field of a configuration, each message
// starting with the field's path ("api_url: must be an absolute URL").
type ConfigErrors []string

func (e ConfigErrors) Error() string {
	return "invalid plugin config: " + strings.Join(e, "; ")
}

// Fieldf builds one ConfigErrors entry.
func Fieldf(field, format string, args ...any) string {
	return field + ": " + fmt.Sprintf(format, args...)
}
