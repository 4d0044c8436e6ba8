package apiv1

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestContractAndClientBuildWithoutCgo: what the Grafana backend and plugin
// authors import must not link SQLite (cgo) nor reach into the server.
func TestContractAndClientBuildWithoutCgo(t *testing.T) {
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	pkgs := []string{"./plugins/sdk/...", "./collector/api/apiv1/..."}
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("go", args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run(append([]string{"build"}, pkgs...)...)
	for _, dep := range strings.Fields(run(append([]string{"list", "-deps"}, pkgs...)...)) {
		switch {
		case strings.Contains(dep, "go-sqlite3"):
			t.Errorf("%v depend on %s", pkgs, dep)
		case strings.HasPrefix(dep, "github.com/commandcenter/commandcenter/collector/") && dep != "github.com/commandcenter/commandcenter/collector/api/apiv1":
			t.Errorf("%v depend on the server package %s", pkgs, dep)
		}
	}
}

func TestQueriesEncodeOnlyWhatIsSet(t *testing.T) {
	cpm := 12.5
	cases := []struct {
		name string
		got  string
		want string
	}{
		{"empty activity", ActivityQuery{}.Values().Encode(), ""},
		{"activity", ActivityQuery{Kinds: []string{"payment.paid", "video.approved"}, Limit: 20, Cursor: "99"}.Values().Encode(),
			"cursor=99&kind=payment.paid%2Cvideo.approved&limit=20"},
		{"empty performance", PerformanceQuery{}.Values().Encode(), ""},
		{"performance", PerformanceQuery{From: "2026-11-01", To: "2026-11-20", Platform: "tiktok", MaxCPM: &cpm, GroupBy: GroupByCampaign}.Values().Encode(),
			"from=2026-11-01&group_by=campaign&max_cpm=12.5&platform=tiktok&to=2026-11-20"},
		{"entities", EntitiesQuery{Statuses: []string{"open"}, Limit: 5}.Values().Encode(), "limit=5&status=open"},
	}
	for _, tc := range cases {
		if tc.got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}

// serve answers every request with handler on 127.0.0.1 and returns a
// client of it with small limits.
func serve(t *testing.T, handler http.HandlerFunc) *Client {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	c, err := New(Config{URL: srv.URL, Token: "cc_x", MaxResponseBytes: 1 << 20, StreamIdleTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A broken or hostile server cannot make the client hold unbounded memory
// or hang forever.
func TestClientBoundsWhatAServerSends(t *testing.T) {
	ctx := context.Background()
	huge := serve(t, func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, `{"plugins":[`+strings.Repeat(`{"name":"x"},`, 200_000)+`{}]}`)
	})
	if _, err := huge.Plugins(ctx); err == nil || !strings.Contains(err.Error(), "larger than 1048576 bytes") {
		t.Fatalf("a 2.6 MB answer: %v", err)
	}

	silent := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, ": connected\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	start := time.Now()
	err := silent.Stream(ctx, func(Change) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "nothing received for 300ms") || time.Since(start) > 5*time.Second {
		t.Fatalf("a silent stream: %v after %s", err, time.Since(start))
	}

	endless := serve(t, func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "event: change\n")
		for range 3000 {
			io.WriteString(w, "data: "+strings.Repeat("x", 1000)+"\n")
		}
	})
	if err := endless.Stream(ctx, func(Change) error { return nil }); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("an endless event: %v", err)
	}
}

func TestStreamJoinsDataLinesAndEnds(t *testing.T) {
	c := serve(t, func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, ": connected\n\nid: 1\nevent: change\ndata: {\"source\":\"demo\",\ndata: \"events\":{\"payment.paid\":2}}\n\n: keep-alive\n\n")
	})
	var got []Change
	err := c.Stream(context.Background(), func(ch Change) error { got = append(got, ch); return nil })
	if err != ErrStreamClosed || len(got) != 1 || got[0].Source != "demo" || got[0].Events["payment.paid"] != 2 {
		t.Fatalf("%v %+v", err, got)
	}
}
