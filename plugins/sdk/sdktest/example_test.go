package sdktest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/commandcenter/commandcenter/plugins/sdk"
	"github.com/commandcenter/commandcenter/plugins/sdk/sdktest"
)

// counter emits three events, one a batch; its cursor is how many it sent.
type counter struct{}

func (counter) Describe() sdk.Description                        { return sdk.Description{Name: "counter"} }
func (counter) Configure(context.Context, json.RawMessage) error { return nil }
func (counter) Check(context.Context) error                      { return nil }
func (counter) Collect(ctx context.Context, cursor string, emit sdk.Emit) error {
	done, _ := strconv.Atoi(cursor)
	for i := done; i < 3; i++ {
		err := emit(sdk.Batch{Cursor: strconv.Itoa(i + 1), Events: []sdk.Event{{
			Key: "n" + strconv.Itoa(i), Tenant: "acme", Kind: sdk.KindMetricsUpdated, OccurredAt: time.Date(2026, 11, 1, 0, 0, i, 0, time.UTC)}}})
		if err != nil {
			return err
		}
	}
	return nil
}

// Collect drives a source in the test's own process, as the host would:
// here the host goes away after the first batch, and the next Collect
// resumes from the cursor stored with it.
func ExampleCollect() {
	ctx := context.Background()
	first, err := sdktest.Collect(ctx, counter{}, "", 1)
	fmt.Println(len(first), err)
	rest, err := sdktest.Collect(ctx, counter{}, sdktest.LastCursor(first, ""), 0)
	fmt.Println(len(rest), err, sdktest.LastCursor(rest, ""))
	// Output:
	// 1 sdktest: the host went away
	// 2 <nil> 3
}
