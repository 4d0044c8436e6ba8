package api

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/plugins/sdk"
)

// slowBatch is what postEvents did before fastBatch: walk, then decode
// item by item; ok when both accept body.
func slowBatch(body []byte) (*sdk.Batch, bool) {
	if checkJSON(body) != nil {
		return nil, false
	}
	b, problems := decodeBatch(body)
	return b, len(problems) == 0
}

// checkFast fails when fastBatch accepts body and checkJSON or decodeBatch
// would not, or would decode another batch.
func checkFast(t *testing.T, body []byte) (fastOK bool) {
	t.Helper()
	fast, ok := fastBatch(body)
	if !ok {
		return false
	}
	slow, slowOK := slowBatch(body)
	if !slowOK {
		t.Fatalf("fastBatch accepts what checkJSON/decodeBatch refuse: %q", body)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("%q decodes differently:\nfast %+v\nslow %+v", body, fast, slow)
	}
	return true
}

var fastCorpus = []string{
	`{"events":[{"key":"a","tenant":"acme","kind":"payment.paid","occurred_at":"2026-11-20T09:00:00Z"}]}`,
	`{"events":[{"key":"a","tenant":"acme","kind":"payment.paid","occurred_at":"2026-11-20T09:00:00.123+02:00","attrs":{"x":[1,-2.5e3,true,null,"s\u00e9"]}}]}`,
	` {"EVENTS" : [ null , {"KEY":"a","Tenant":null,"attrs":null,"entity":{"TYPE":"payment","id":"p1"}} ] } `,
	`{"events":[{"key":"a","entity":null,"occurred_at":null}],"entities":null,"daily_metrics":[]}`,
	`{"entities":[{"tenant":"acme","type":"payment","id":"p1","status":"open","amount":{"minor":100,"currency":"EUR"}}]}`,
	`{"daily_metrics":[{"tenant":"acme","campaign":"c","platform":"tiktok","day":"2026-11-20","views":10,"cost":{"minor":5,"currency":"EUR"}}]}`,
	`{"events":[{"key":"é","tenant":"acme","kind":"x.a.b","occurred_at":"2026-11-20T09:00:00Z","attrs":{"a":1,"A":2}}]}`,
	// Each of these leaves the answer to checkJSON and decodeBatch.
	`{"events":[{"key":"a","key":"b"}]}`,
	`{"events":[{"key":"a","KEY":"b"}]}`,
	`{"events":[{"key":"a","attrs":{"x":1,"x":2}}]}`,
	`{"events":[{"key":"a","Attrs":{"x":1,"X":2}}]}`,
	`{"events":[{"key":"a","attrs":{"é":1,"É":2}}]}`,
	`{"events":[{"kéy":"a"}]}`,
	`{"eventſ":[{"key":"a"}]}`,
	`{"events":[{"key":"a\u0062"}]}`,
	`{"events":[{"k\u0065y":"a"}]}`,
	`{"events":[{"key":"\ud800"}]}`,
	`{"events":[{"key":"a","attrs":{"s":"\udc00"}}]}`,
	`{"events":[{"key":1}]}`,
	`{"events":[{"key":"a","entity":{"type":"payment","extra":1}}]}`,
	`{"events":[{"key":"a","occurred_at":"yesterday"}]}`,
	`{"events":[{"key":"a","occurred_at":1}]}`,
	`{"events":[{"key":"a","unknown":1}]}`,
	`{"events":[{"key":"a"}],"extra":[]}`,
	`{"events":[{"key":"a"}]} x`,
	`{"events":[{"key":"a"}]}{}`,
	`{"events":[{"key":"a"},]}`,
	`{"events":[,{"key":"a"}]}`,
	`{"events":[{"key":"a",}]}`,
	`{"events":[{"key":"a","attrs":{"n":01}}]}`,
	`{"events":[{"key":"a","attrs":{"n":1.}}]}`,
	`{"events":[{"key":"a","attrs":{"n":-}}]}`,
	`{"events":[{"key":"a","attrs":{"t":tru}}]}`,
	`{"events":[{"key":"a\tb"}]}`,
	`{"events":"a"}`,
	`{"events":["a"]}`,
	`{"events":[]}`,
	`{}`,
	`null`,
	`[]`,
	`{"events":[{"key":"a","attrs":` + strings.Repeat(`{"a":`, 40) + `1` + strings.Repeat(`}`, 40) + `}]}`,
	`{"events":[{"key":"a","attrs":` + strings.Repeat(`[`, 28) + strings.Repeat(`]`, 28) + `}]}`,
	`{"events":[{"key":"a","attrs":` + strings.Repeat(`[`, 29) + strings.Repeat(`]`, 29) + `}]}`,
	`{"events":[{"key":"a","attrs":` + strings.Repeat(`[`, 30) + strings.Repeat(`]`, 30) + `}]}`,
	`{"entities":[{"tenant":"acme","type":"payment","id":"p1","status":"open","amount":{"minor":1.5,"currency":"EUR"}}]}`,
	`{"entities":[{"tenant":"acme","type":"payment","id":"p1","amount":{"minor":1,"MINOR":2}}]}`,
	`{"entities":[{"tenant":"acme","nope":1}]}`,
	"{\"events\":[{\"key\":\"a\xff\"}]}",
	"\xef\xbb\xbf{\"events\":[{\"key\":\"a\"}]}",
}

// fastBatch never accepts what the walk and the item-by-item decoding
// refuse, and decodes what it accepts to the very same batch.
func TestFastBatchAgreesWithTheWalkAndTheDecoding(t *testing.T) {
	for _, body := range fastCorpus {
		checkFast(t, []byte(body))
	}
	// Attrs nested one level short of the limit and at it.
	for depth, want := range map[int]bool{28: true, 29: true, 30: false} {
		body := `{"events":[{"key":"a","attrs":` + strings.Repeat(`[`, depth) + strings.Repeat(`]`, depth) + `}]}`
		_, slowOK := slowBatch([]byte(body))
		if slowOK != want {
			t.Fatalf("attrs %d deep: checkJSON accepts: %v, want %v", depth, slowOK, want)
		}
		if _, ok := fastBatch([]byte(body)); ok != want {
			t.Fatalf("attrs %d deep: fastBatch accepts: %v, want %v", depth, ok, want)
		}
	}
}

// What clients send takes the fast path: a batch the API's own client
// encodes, and the events of a webhook relayed with odd spacing.
func TestUsualBodiesTakeTheFastPath(t *testing.T) {
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	req := apiv1.PushRequest{
		Events: []sdk.Event{
			{Key: "e1", Tenant: "acme", Kind: sdk.KindPaymentPaid, Entity: sdk.EntityRef{Type: "payment", ID: "p1"}, OccurredAt: at, Attrs: json.RawMessage(`{"amount":{"minor":100,"currency":"EUR"}}`)},
			{Key: "e2", Kind: sdk.KindMetricsUpdated, OccurredAt: at.Add(time.Second)},
		},
		Entities:     []sdk.Entity{{Tenant: "acme", Type: "payment", ID: "p1", Status: "paid", Amount: &sdk.Money{Minor: 100, Currency: "EUR"}, DueAt: at}},
		DailyMetrics: []sdk.DailyMetric{{Tenant: "acme", Campaign: "c", Platform: "tiktok", Day: "2026-11-20", Counts: sdk.Counts{Views: 10}}},
	}
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range [][]byte{body, []byte("{\n  \"events\": [\n    {\"key\": \"k\", \"kind\": \"payment.paid\",\n     \"occurred_at\": \"2026-11-20T09:00:00Z\", \"attrs\": {\"a\": [1, 2]}}\n  ]\n}\n")} {
		if !checkFast(t, body) {
			t.Fatalf("%s left the fast path", body)
		}
	}
}

func FuzzFastBatch(f *testing.F) {
	for _, body := range fastCorpus {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkFast(t, body)
	})
}
