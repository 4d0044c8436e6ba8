package proto

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// requireTool finds a code generator; under CI its absence fails the test
// (make test installs it), elsewhere it skips with how to get it.
func requireTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not found on PATH: make test installs it", name)
		}
		t.Skipf("%s not found on PATH; run make test (or make tools)", name)
	}
}

// TestGeneratedIsCurrent regenerates the Go code from source.proto into a
// temporary directory and fails if it differs from what is committed.
func TestGeneratedIsCurrent(t *testing.T) {
	for _, tool := range []string{"protoc", "protoc-gen-go", "protoc-gen-go-grpc"} {
		requireTool(t, tool)
	}
	out := t.TempDir()
	cmd := exec.Command("protoc", "--proto_path=.", "--go_out="+out, "--go_opt=paths=source_relative",
		"--go-grpc_out="+out, "--go-grpc_opt=paths=source_relative", "source.proto")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("protoc: %v\n%s", err, msg)
	}
	for _, name := range []string{"source.pb.go", "source_grpc.pb.go"} {
		fresh, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		committed, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(fresh, committed) {
			t.Errorf("%s is stale: run make proto and commit the result", name)
		}
	}
}
