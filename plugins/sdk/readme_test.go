package sdk

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

var goBlock = regexp.MustCompile("(?s)## Writing a plugin.*?```go\n(.*?)```")

// TestReadmePluginExampleBuilds compiles the example plugin in the
// top-level README, so the docs cannot drift from the SDK. The file is laid
// into the module with an overlay, never written into the tree.
func TestReadmePluginExampleBuilds(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := goBlock.FindSubmatch(readme)
	if m == nil {
		t.Fatal("README has no Go example under \"Writing a plugin\"")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, m[1], 0o644); err != nil {
		t.Fatal(err)
	}
	pkg := filepath.Join(root, "plugins", "sdk", "readmeexample")
	overlay, _ := json.Marshal(map[string]any{"Replace": map[string]string{filepath.Join(pkg, "main.go"): src}})
	overlayFile := filepath.Join(dir, "overlay.json")
	os.WriteFile(overlayFile, overlay, 0o644)
	cmd := exec.Command("go", "build", "-overlay", overlayFile, "-o", filepath.Join(dir, "example"), "./plugins/sdk/readmeexample")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the README's plugin example does not build: %v\n%s", err, out)
	}
}
