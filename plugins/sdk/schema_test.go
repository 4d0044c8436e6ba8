package sdk

import (
	"strings"
	"testing"
)

func TestConfigSchemaNamesEveryBadField(t *testing.T) {
	schema, err := CompileConfigSchema([]byte(`{
		"type": "object", "additionalProperties": false, "required": ["api_url"],
		"properties": {
			"api_url": {"type": "string", "format": "uri"},
			"rate_limit": {"type": "number", "minimum": 0},
			"targets": {"type": "array", "items": {"type": "object", "properties": {"url": {"type": "string", "minLength": 1}}}}
		}}`))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		config string
		want   []string // each a prefix of one error, in order
	}{
		{`{"api_url":"https://api.example.com"}`, nil},
		{`{}`, []string{"api_url: required"}},
		{`{"api_url":"https://x","rate_limit":-1}`, []string{"rate_limit: minimum"}},
		{`{"api_url":"https://x","rate_limit":"fast"}`, []string{"rate_limit: got string, want number"}},
		{`{"api_url":"not a uri"}`, []string{"api_url: 'not a uri' is not valid uri"}},
		{`{"api_url":"https://x","colour":1,"Api_Url":2}`, []string{"Api_Url: unknown field", "colour: unknown field"}},
		{`{"api_url":"https://x","targets":[{"url":"a"},{"url":""}]}`, []string{"targets[1].url: minLength"}},
		{`[1]`, []string{"config: got array, want object"}},
		{`{"api_url":`, []string{"config: not valid JSON"}},
	}
	for _, tc := range cases {
		err := schema.Validate([]byte(tc.config))
		if tc.want == nil {
			if err != nil {
				t.Errorf("%s: %v", tc.config, err)
			}
			continue
		}
		errs, ok := err.(ConfigErrors)
		if !ok || len(errs) != len(tc.want) {
			t.Errorf("%s: got %#v, want %q", tc.config, err, tc.want)
			continue
		}
		for i, w := range tc.want {
			if !strings.HasPrefix(errs[i], w) {
				t.Errorf("%s: error %d is %q, want it to start %q", tc.config, i, errs[i], w)
			}
		}
	}
}

func TestConfigSchemaThatDoesNotCompileIsRefused(t *testing.T) {
	for _, bad := range []string{``, `{`, `{"type": "nonsense"}`, `{"properties": {"a": {"minimum": "zero"}}}`} {
		if _, err := CompileConfigSchema([]byte(bad)); err == nil {
			t.Errorf("%q compiled", bad)
		}
	}
}
