package sdk

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestDecodeStrictNamesTheField(t *testing.T) {
	type cfg struct {
		Count int       `json:"count"`
		Money Money     `json:"money"`
		When  time.Time `json:"when"`
		Tags  []string  `json:"tags"`
		// Embedded fields are promoted: their Go name is no part of a path.
		Metric DailyMetric `json:"metric"`
	}
	cases := []struct{ in, field, msg string }{
		{`{"count":"x"}`, "count", "must be an integer, got string"},
		{`{"money":{"minor":1.5,"currency":"EUR"}}`, "money.minor", "must be a whole number (money is in integer minor units)"},
		{`{"metric":{"views":1.5}}`, "metric.views", "must be a whole number, got number 1.5"},
		{`{"metric":{"shares":"many"}}`, "metric.shares", "must be an integer, got string"},
		{`{"colour":1}`, "colour", "unknown field"},
		{`{"tags":{}}`, "tags", "must be an array"},
		{`{"when":"tuesday"}`, "", "times must be RFC 3339"},
		{`{"count":`, "", "not valid JSON"},
	}
	for _, tc := range cases {
		var c cfg
		ps := DecodeStrict([]byte(tc.in), &c)
		if len(ps) != 1 || ps[0].Path != tc.field || !strings.Contains(ps[0].Message, tc.msg) {
			t.Errorf("%s: got %+v, want path %q message containing %q", tc.in, ps, tc.field, tc.msg)
		}
	}
	var ok cfg
	if ps := DecodeStrict([]byte(`{"count":3,"money":{"minor":5,"currency":"EUR"}}`), &ok); ps != nil || ok.Count != 3 {
		t.Fatalf("%+v %+v", ps, ok)
	}
	// Every unknown field at once, not only the first; known ones in any
	// case are no problem (encoding/json takes them).
	ps := DecodeStrict([]byte(`{"colour":1,"COUNT":2,"size":3,"metric":{"views":1}}`), &ok)
	if len(ps) != 2 || ps[0].Path != "colour" || ps[1].Path != "size" || ps[0].Message != "unknown field" {
		t.Fatalf("unknown fields: %+v", ps)
	}
}

// The host (go-plugin) parses plugin log lines only in hclog's JSON shape,
// with this exact timestamp layout; anything else lands as debug noise.
func TestLoggerWritesLinesTheHostParses(t *testing.T) {
	var buf bytes.Buffer
	old := logOutput
	defer func() { logOutput = old }()
	logOutput = &buf
	Logger().Warn("quota low", "remaining", 3)
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	if line["@message"] != "quota low" || line["@level"] != "warn" || line["remaining"] != 3.0 {
		t.Fatalf("%s", buf.String())
	}
	if _, err := time.Parse("2006-01-02T15:04:05.000000Z07:00", line["@timestamp"].(string)); err != nil {
		t.Fatalf("timestamp: %v", err)
	}
}
