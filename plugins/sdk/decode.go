package sdk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
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
	if p := DecodeStrict(raw, cfg); p != nil {
		if p.Path == "" {
			p.Path = "config"
		}
		return ConfigErrors{p.Path + ": " + p.Message}
	}
	return nil
}

// DecodeStrict decodes one JSON value into v, rejecting unknown fields, and
// says which field a problem is at ("amount.minor"; an empty Path for the
// document itself) in words a person can act on.
func DecodeStrict(data []byte, v any) *Problem {
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
		return &Problem{Path: strings.Trim(msg, `"`), Message: "unknown field"}
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
