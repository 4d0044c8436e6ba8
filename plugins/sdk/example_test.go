package sdk_test

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// Validate is what the host checks every batch with; a plugin's tests can
// run it too. Every problem is named by its path in the batch.
func ExampleValidate() {
	b := sdk.Batch{Events: []sdk.Event{{
		Key: "pay-1/paid", Tenant: "acme", Kind: "payment.teleported",
		Entity: sdk.EntityRef{Type: sdk.EntityPayment, ID: "pay-1"}, OccurredAt: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC),
	}}}
	fmt.Println(sdk.Validate(&b))
	// Output: batch rejected, 1 problem(s): events[0].kind: unknown kind "payment.teleported" (custom kinds must be namespaced "x.<plugin>.<kind>")
}

// DecodeConfig fills a config struct holding the defaults, and names each
// field it cannot take.
func ExampleDecodeConfig() {
	type config struct {
		APIURL   string `json:"api_url"`
		PageSize int    `json:"page_size"`
	}
	cfg := config{PageSize: 100}
	fmt.Println(sdk.DecodeConfig(json.RawMessage(`{"api_url": "https://api.example", "page_size": "many"}`), &cfg))
	fmt.Println(sdk.DecodeConfig(json.RawMessage(`{"api_url": "https://api.example", "colour": 1, "size": 2}`), &cfg))
	err := sdk.DecodeConfig(json.RawMessage(`{"api_url": "https://api.example"}`), &cfg)
	fmt.Println(err, cfg.APIURL, cfg.PageSize)
	// Output:
	// invalid plugin config: page_size: must be an integer, got string
	// invalid plugin config: colour: unknown field; size: unknown field
	// <nil> https://api.example 100
}

// The host checks a config against the schema a plugin describes before
// its Configure runs, and names every bad field at once.
func ExampleCompileConfigSchema() {
	schema, err := sdk.CompileConfigSchema([]byte(`{
		"type": "object", "additionalProperties": false, "required": ["api_url"],
		"properties": {"api_url": {"type": "string"}, "page_size": {"type": "integer", "minimum": 1, "maximum": 1000}}}`))
	if err != nil {
		panic(err)
	}
	fmt.Println(schema.Validate([]byte(`{"page_size": 5000, "colour": "red"}`)))
	// Output: invalid plugin config: api_url: required; colour: unknown field; page_size: maximum: got 5,000, want 1,000
}
