package sdk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode"
)

// DecodeConfig decodes a plugin's JSON config into cfg (which holds the
// defaults), rejecting unknown fields and wrong types as ConfigErrors that
// name the field. An empty config leaves cfg as it is.
func DecodeConfig(raw json.RawMessage, cfg any) error {
	if len(bytes.TrimSpace(raw)) == 0 || string(raw) == "null" {
		return nil
	}
	var errs ConfigErrors
	for _, p := range DecodeStrict(raw, cfg) {
		if p.Path == "" {
			p.Path = "config"
		}
		errs = append(errs, p.Path+": "+p.Message)
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// DecodeStrict decodes one JSON value into v, rejecting unknown fields, and
// says which field a problem is at ("amount.minor"; an empty Path for the
// document itself) in words a person can act on. Unknown fields are all
// named at once; otherwise it stops at the first problem. Nil means v holds
// the value.
func DecodeStrict(data []byte, v any) []Problem {
	p := decodeStrict(data, v)
	if p == nil {
		return nil
	}
	if p.Message == unknownField {
		if all := unknownFields(data, v); len(all) > 1 {
			return all
		}
	}
	return []Problem{*p}
}

const unknownField = "unknown field"

// unknownFields names every top-level field of the JSON object data that
// no field of *v takes (encoding/json matches names regardless of case).
func unknownFields(data []byte, v any) []Problem {
	var obj map[string]json.RawMessage
	if json.Unmarshal(data, &obj) != nil {
		return nil
	}
	known := map[string]bool{}
	jsonFieldNames(reflect.TypeOf(v), known)
	var out []Problem
	for key := range obj {
		if !known[strings.ToLower(key)] {
			out = append(out, Problem{Path: key, Message: unknownField})
		}
	}
	slices.SortFunc(out, func(a, b Problem) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// jsonFieldNames adds the lower-cased JSON names of t's fields, embedded
// structs' included.
func jsonFieldNames(t reflect.Type, names map[string]bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-":
		case f.Anonymous && name == "":
			jsonFieldNames(f.Type, names)
		case name != "":
			names[strings.ToLower(name)] = true
		case f.IsExported():
			names[strings.ToLower(f.Name)] = true
		}
	}
}

func decodeStrict(data []byte, v any) *Problem {
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
		path := jsonPath(typeErr.Field)
		msg := fmt.Sprintf("must be %s, got %s", jsonTypeName(typeErr.Type.Kind()), typeErr.Value)
		switch {
		case typeErr.Type.Kind() == reflect.Int64 && strings.HasPrefix(typeErr.Value, "number") && strings.HasSuffix(path, "minor"):
			msg = "must be a whole number (money is in integer minor units), got " + typeErr.Value
		case typeErr.Type.Kind() == reflect.Int64 && strings.HasPrefix(typeErr.Value, "number"):
			msg = "must be a whole number, got " + typeErr.Value
		}
		return &Problem{Path: path, Message: msg}
	case errors.As(err, &timeErr):
		return &Problem{Message: fmt.Sprintf("times must be RFC 3339 like 2026-11-20T09:00:00Z, got %s", timeErr.Value)}
	}
	if msg, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return &Problem{Path: jsonPath(strings.Trim(msg, `"`)), Message: unknownField}
	}
	return &Problem{Message: "not valid JSON: " + err.Error()}
}

// jsonPath is encoding/json's field path as the document spells it: the Go
// names of embedded structs (DailyMetric's Counts) are not in the JSON.
func jsonPath(field string) string {
	parts := strings.Split(field, ".")
	kept := parts[:0]
	for _, p := range parts {
		if p != "" && !unicode.IsUpper(rune(p[0])) {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, ".")
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
