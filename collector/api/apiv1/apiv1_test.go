package apiv1

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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
