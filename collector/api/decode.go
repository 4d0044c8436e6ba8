package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/commandcenter/commandcenter/collector/store"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// checkJSON walks the whole document once: it must be valid JSON, and no
// object may repeat a key (encoding/json would silently keep the last).
func checkJSON(body []byte) *store.Problem {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if p := walkValue(dec, "$"); p != nil {
		return p
	}
	if _, err := dec.Token(); err != io.EOF {
		return &store.Problem{Path: "$", Message: "unexpected data after the JSON document"}
	}
	return nil
}

func walkValue(dec *json.Decoder, path string) *store.Problem {
	tok, err := dec.Token()
	if err != nil {
		return syntaxProblem(dec, path, err)
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]bool{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return syntaxProblem(dec, path, err)
			}
			key := kt.(string)
			if seen[key] {
				return &store.Problem{Path: path + "." + key, Message: "duplicate key in object"}
			}
			seen[key] = true
			if p := walkValue(dec, path+"."+key); p != nil {
				return p
			}
		}
		if _, err := dec.Token(); err != nil {
			return syntaxProblem(dec, path, err)
		}
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if p := walkValue(dec, fmt.Sprintf("%s[%d]", path, i)); p != nil {
				return p
			}
		}
		if _, err := dec.Token(); err != nil {
			return syntaxProblem(dec, path, err)
		}
	}
	return nil
}

func syntaxProblem(dec *json.Decoder, path string, err error) *store.Problem {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return &store.Problem{Path: path, Message: fmt.Sprintf("malformed JSON at byte %d: %v", dec.InputOffset(), err)}
}

// decodeBatch decodes a push body into a batch, item by item, so every
// problem names its item: events[3].occurred_at.
func decodeBatch(body []byte) (*sdk.Batch, []store.Problem) {
	var top struct {
		Events       []json.RawMessage `json:"events"`
		Entities     []json.RawMessage `json:"entities"`
		DailyMetrics []json.RawMessage `json:"daily_metrics"`
	}
	if p := strictDecode(body, &top, "$"); p != nil {
		return nil, []store.Problem{*p}
	}
	if len(top.Events)+len(top.Entities)+len(top.DailyMetrics) == 0 {
		return nil, []store.Problem{{Path: "$", Message: `no items: send {"events":[...], "entities":[...], "daily_metrics":[...]}`}}
	}
	var b sdk.Batch
	var problems []store.Problem
	b.Events = decodeItems[sdk.Event](top.Events, "events", &problems)
	b.Entities = decodeItems[sdk.Entity](top.Entities, "entities", &problems)
	b.DailyMetrics = decodeItems[sdk.DailyMetric](top.DailyMetrics, "daily_metrics", &problems)
	return &b, problems
}

func decodeItems[T any](raws []json.RawMessage, name string, problems *[]store.Problem) []T {
	out := make([]T, len(raws))
	for i, raw := range raws {
		if p := strictDecode(raw, &out[i], fmt.Sprintf("%s[%d]", name, i)); p != nil {
			*problems = append(*problems, *p)
		}
	}
	return out
}

func strictDecode(data []byte, v any, path string) *store.Problem {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field := path
		if typeErr.Field != "" {
			field += "." + typeErr.Field
		}
		msg := fmt.Sprintf("must be %s, got %s", jsonTypeName(typeErr.Type.String()), typeErr.Value)
		if typeErr.Type.String() == "int64" && strings.HasPrefix(typeErr.Value, "number") {
			msg = "must be a whole number (money is in integer minor units), got " + typeErr.Value
		}
		return &store.Problem{Path: field, Message: msg}
	}
	if msg, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return &store.Problem{Path: path + "." + strings.Trim(msg, `"`), Message: "unknown field"}
	}
	var timeErr *time.ParseError
	if errors.As(err, &timeErr) {
		return &store.Problem{Path: path, Message: fmt.Sprintf("times must be RFC 3339 like 2026-11-20T09:00:00Z, got %s", timeErr.Value)}
	}
	return &store.Problem{Path: path, Message: err.Error()}
}

func jsonTypeName(goType string) string {
	switch goType {
	case "int64", "int":
		return "an integer"
	case "string":
		return "a string"
	case "time.Time":
		return "an RFC 3339 time"
	case "[]api.json.RawMessage", "[]json.RawMessage":
		return "an array"
	}
	if strings.HasPrefix(goType, "sdk.") || strings.HasPrefix(goType, "struct") {
		return "an object"
	}
	return goType
}
