package sdktest_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/commandcenter/commandcenter/plugins/sdk"
	"github.com/commandcenter/commandcenter/plugins/sdk/sdktest"
)

// skipper resumes one batch past its cursor: it loses data.
type skipper struct{ counter }

func (skipper) Collect(ctx context.Context, cursor string, emit sdk.Emit) error {
	if n, _ := strconv.Atoi(cursor); n > 0 {
		cursor = strconv.Itoa(n + 1)
	}
	return counter{}.Collect(ctx, cursor, emit)
}

// repeater resumes one batch before its cursor: it sends data twice.
type repeater struct{ counter }

func (repeater) Collect(ctx context.Context, cursor string, emit sdk.Emit) error {
	if n, _ := strconv.Atoi(cursor); n > 0 {
		cursor = strconv.Itoa(n - 1)
	}
	return counter{}.Collect(ctx, cursor, emit)
}

func TestResumeAtEveryCut(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  sdktest.Collector
		want string
	}{
		{"resumes where it stopped", counter{}, ""},
		{"skips a batch", skipper{}, "cut after batch 1 and resumed"},
		{"repeats a batch", repeater{}, "cut after batch 1 and resumed"},
	} {
		cuts, err := sdktest.ResumeAtEveryCut(context.Background(), tc.src)
		if tc.want == "" && (err != nil || cuts != 2) || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %d cuts, %v; want %q", tc.name, cuts, err, tc.want)
		}
	}
}
