package sdktest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sdktest")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "flawed")
	if out, err := exec.Command("go", "build", "-o", bin, "./testdata/flawed").CombinedOutput(); err != nil {
		panic(string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Each flaw fails its check and only the checks it breaks; a correct
// plugin passes every check.
func TestEachFlawFailsItsCheck(t *testing.T) {
	cases := []struct {
		flaw   string
		failed []string
		says   string
	}{
		{"", nil, ""},
		{"accepts_anything", []string{"bad config refused"}, "sdktest_no_such_field: accepted"},
		{"ignores_cursor", []string{"cursor resumes"}, "emitted twice"},
		{"skips_on_resume", []string{"cursor resumes"}, "lost"},
		{"invalid_kind", []string{"collect valid batches", "cursor resumes"}, `unknown kind "payment.teleported"`},
		{"no_cursor", []string{"collect valid batches", "cursor resumes"}, "carries no cursor"},
		{"slow_check", []string{"handshake", "describe", "bad config refused", "check answers", "collect valid batches", "cursor resumes", "exits with its host"}, "check: no answer within 2s"},
	}
	for _, tc := range cases {
		t.Run("flaw="+tc.flaw, func(t *testing.T) {
			r := Run(context.Background(), Plugin{Command: []string{bin}, Env: []string{"FLAW=" + tc.flaw}, Timeout: 2 * time.Second})
			var text strings.Builder
			r.WriteText(&text)
			var failed []string
			for _, x := range r.Results {
				if x.Err != nil {
					failed = append(failed, x.Name)
				}
			}
			if strings.Join(failed, ",") != strings.Join(tc.failed, ",") {
				t.Fatalf("failed checks %v, want %v:\n%s", failed, tc.failed, text.String())
			}
			if r.Passed() != (tc.failed == nil) || !strings.Contains(text.String(), tc.says) {
				t.Fatalf("report does not say %q:\n%s", tc.says, text.String())
			}
		})
	}
}
