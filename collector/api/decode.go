package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// checkJSON walks the whole document once: it must be valid JSON, and no
// object may repeat a key (encoding/json would silently keep the last).
func checkJSON(body []byte) *sdk.Problem {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if p := walkValue(dec, "$"); p != nil {
		return p
	}
	if _, err := dec.Token(); err != io.EOF {
		return &sdk.Problem{Path: "$", Message: "unexpected data after the JSON document"}
	}
	return nil
}

func walkValue(dec *json.Decoder, path string) *sdk.Problem {
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
				return &sdk.Problem{Path: path + "." + key, Message: "duplicate key in object"}
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

func syntaxProblem(dec *json.Decoder, path string, err error) *sdk.Problem {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return &sdk.Problem{Path: path, Message: fmt.Sprintf("malformed JSON at byte %d: %v", dec.InputOffset(), err)}
}

// decodeBatch decodes a push body into a batch, item by item, so every
// problem names its item: events[3].occurred_at.
func decodeBatch(body []byte) (*sdk.Batch, []sdk.Problem) {
	// The fields of apiv1.PushRequest, each item kept raw to decode alone.
	var top struct {
		Events       []json.RawMessage `json:"events"`
		Entities     []json.RawMessage `json:"entities"`
		DailyMetrics []json.RawMessage `json:"daily_metrics"`
	}
	if p := strictDecode(body, &top, "$"); p != nil {
		return nil, []sdk.Problem{*p}
	}
	if len(top.Events)+len(top.Entities)+len(top.DailyMetrics) == 0 {
		return nil, []sdk.Problem{{Path: "$", Message: `no items: send {"events":[...], "entities":[...], "daily_metrics":[...]}`}}
	}
	var b sdk.Batch
	var problems []sdk.Problem
	b.Events = decodeItems[sdk.Event](top.Events, "events", &problems)
	b.Entities = decodeItems[sdk.Entity](top.Entities, "entities", &problems)
	b.DailyMetrics = decodeItems[sdk.DailyMetric](top.DailyMetrics, "daily_metrics", &problems)
	return &b, problems
}

func decodeItems[T any](raws []json.RawMessage, name string, problems *[]sdk.Problem) []T {
	out := make([]T, len(raws))
	for i, raw := range raws {
		if p := strictDecode(raw, &out[i], fmt.Sprintf("%s[%d]", name, i)); p != nil {
			*problems = append(*problems, *p)
		}
	}
	return out
}

func strictDecode(data []byte, v any, path string) *sdk.Problem {
	p := sdk.DecodeStrict(data, v)
	if p == nil {
		return nil
	}
	if p.Path != "" {
		p.Path = path + "." + p.Path
	} else {
		p.Path = path
	}
	return p
}
