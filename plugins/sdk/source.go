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
	"reflect"
	"strings"
	"time"
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
	if fe := DecodeStrict(raw, cfg); fe != nil {
		if fe.Field == "" {
			fe.Field = "config"
		}
		return ConfigErrors{fe.Field + ": " + fe.Message}
	}
	return nil
}

// FieldError is a JSON decoding problem at a field path ("amount.minor";
// empty for the document itself).
type FieldError struct {
	Field, Message string
}

// DecodeStrict decodes one JSON value into v, rejecting unknown fields, and
// says which field a problem is at in words a person can act on.
func DecodeStrict(data []byte, v any) *FieldError {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	var timeErr *time.ParseError
	switch {
	case errors.As(err, &typeErr):
		msg := fmt.Sprintf("must be %s, got %s", jsonTypeName(typeErr.Type.Kind()), typeErr.Value)
		if typeErr.Type.Kind() == reflect.Int64 && strings.HasPrefix(typeErr.Value, "number") {
			msg = "must be a whole number (money is in integer minor units), got " + typeErr.Value
		}
		return &FieldError{Field: typeErr.Field, Message: msg}
	case errors.As(err, &timeErr):
		return &FieldError{Message: fmt.Sprintf("times must be RFC 3339 like 2026-11-20T09:00:00Z, got %s", timeErr.Value)}
	}
	if msg, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return &FieldError{Field: strings.Trim(msg, `"`), Message: "unknown field"}
	}
	return &FieldError{Message: "not valid JSON: " + err.Error()}
}

func jsonTypeName(k reflect.Kind) string {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map, reflect.Pointer:
		return "an object"
	}
	return k.String()
}
