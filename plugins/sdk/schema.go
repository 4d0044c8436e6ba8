package sdk

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// ConfigSchema is a plugin's compiled config schema (Description's
// ConfigSchema): the host checks a config against it before Configure, so
// a config that breaks it never reaches the plugin.
type ConfigSchema struct {
	schema *jsonschema.Schema
}

// schemaURL names the schema in compile errors.
const schemaURL = "plugin-config.schema.json"

// CompileConfigSchema compiles a JSON Schema (draft 2020-12 unless its
// $schema says otherwise). "format" is asserted, so "date-time" or "uri"
// are checked, not just documented.
func CompileConfigSchema(schema []byte) (*ConfigSchema, error) {
	if len(bytes.TrimSpace(schema)) == 0 {
		return nil, errors.New("the plugin describes no config schema")
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, fmt.Errorf("config schema is not JSON: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, fmt.Errorf("config schema: %w", err)
	}
	s, err := c.Compile(schemaURL)
	if err != nil {
		return nil, fmt.Errorf("config schema does not compile: %w", err)
	}
	return &ConfigSchema{schema: s}, nil
}

var english = message.NewPrinter(language.English)

// Validate checks a JSON config against the schema. Every problem comes
// back at once as ConfigErrors, each naming its field ("rate_limit: must be
// >= 0 but found -1").
func (s *ConfigSchema) Validate(config []byte) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(config))
	if err != nil {
		return ConfigErrors{"config: not valid JSON: " + err.Error()}
	}
	err = s.schema.Validate(doc)
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		return err
	}
	var errs ConfigErrors
	for _, leaf := range leaves(verr) {
		errs = append(errs, describeLeaf(leaf)...)
	}
	slices.Sort(errs)
	return slices.Compact(errs)
}

// leaves are the innermost errors: the ones that say what is wrong.
func leaves(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 {
		return []*jsonschema.ValidationError{e}
	}
	var out []*jsonschema.ValidationError
	for _, c := range e.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

func describeLeaf(e *jsonschema.ValidationError) []string {
	at := fieldPath(e.InstanceLocation)
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		var out []string
		for _, p := range k.Properties {
			out = append(out, fieldPath(append(slices.Clone(e.InstanceLocation), p))+": unknown field")
		}
		return out
	case *kind.Required:
		var out []string
		for _, p := range k.Missing {
			out = append(out, fieldPath(append(slices.Clone(e.InstanceLocation), p))+": required")
		}
		return out
	}
	return []string{at + ": " + e.ErrorKind.LocalizedString(english)}
}

// fieldPath spells an instance location the way config errors do:
// "targets[2].url", or "config" for the whole document.
func fieldPath(loc []string) string {
	if len(loc) == 0 {
		return "config"
	}
	var b strings.Builder
	for _, p := range loc {
		if _, err := strconv.Atoi(p); err == nil && b.Len() > 0 {
			b.WriteString("[" + p + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p)
	}
	return b.String()
}
