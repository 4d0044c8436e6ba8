// Package sdk is what a commandcenter source plugin is written with. An author
// implements Source and calls Serve from main; the SDK speaks the gRPC
// protocol (plugins/proto) through hashicorp/go-plugin, so the author never
// sees it. The host uses the same package's Client to talk to a plugin.
package sdk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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

// DecodeConfig decodes a plugin's JSON config into cfg (which holds the
// defaults), rejecting unknown fields and wrong types as ConfigErrors that
// name the field. An empty config leaves cfg as it is.
func DecodeConfig(raw json.RawMessage, cfg any) error {
	if len(bytes.TrimSpace(raw)) == 0 || string(raw) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(cfg)
	if err == nil {
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return ConfigErrors{Fieldf(typeErr.Field, "must be a %s, got %s", typeErr.Type, typeErr.Value)}
	}
	if msg, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return ConfigErrors{Fieldf(strings.Trim(msg, `"`), "unknown field")}
	}
	return ConfigErrors{Fieldf("config", "not valid JSON: %v", err)}
}
