// Package servetest builds the commandcenter binary and runs `serve` as a
// real child process for end-to-end tests, in one place for every package
// that needs it.
package servetest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Build compiles commandcenter into dir and returns the binary's path.
func Build(dir string) (string, error) {
	_, here, _, _ := runtime.Caller(0)
	bin := filepath.Join(dir, "commandcenter")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = filepath.Dir(filepath.Dir(here)) // cmd/commandcenter
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building commandcenter: %v\n%s", err, out)
	}
	return bin, nil
}

// Server is a running `commandcenter serve`.
type Server struct {
	Cmd *exec.Cmd
	// Base is the API's base URL, http://127.0.0.1:<port>.
	Base string
	// Done receives the process's exit.
	Done chan error
	mu   sync.Mutex
	log  strings.Builder
}

// Logs is everything serve wrote to stderr so far.
func (s *Server) Logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

var servingLine = regexp.MustCompile(`msg="commandcenter serving" api=(https?://[0-9.:]+)/api/v1`)

// Start runs `bin serve --web.listen-address 127.0.0.1:0 args...` (args
// may name their own --web.listen-address) in a temporary directory and waits until it listens. The process is killed when the
// test ends; its log is shown if the test failed.
func Start(t testing.TB, bin string, args ...string) *Server {
	t.Helper()
	if !slices.Contains(args, "--web.listen-address") {
		args = append([]string{"--web.listen-address", "127.0.0.1:0"}, args...)
	}
	cmd := exec.Command(bin, append([]string{"serve"}, args...)...)
	cmd.Dir = t.TempDir()
	// Its own process group, like a shell job, so tests can signal the
	// group as a terminal's Ctrl-C does.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &Server{Cmd: cmd, Done: make(chan error, 1)}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.log.WriteString(line + "\n")
			s.mu.Unlock()
			if m := servingLine.FindStringSubmatch(line); m != nil {
				found <- m[1]
			}
		}
		s.Done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		if t.Failed() {
			t.Logf("serve log:\n%s", s.Logs())
		}
	})
	select {
	case s.Base = <-found:
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not start within 60s:\n%s", s.Logs())
	}
	return s
}

// WaitExit waits up to within for serve to exit, failing the test unless it
// exits cleanly (status 0).
func (s *Server) WaitExit(t testing.TB, within time.Duration) {
	t.Helper()
	select {
	case err := <-s.Done:
		if err != nil {
			t.Fatalf("serve exited with %v", err)
		}
	case <-time.After(within):
		t.Fatalf("serve did not stop within %s", within)
	}
}

// Get fetches path with an optional bearer token.
func (s *Server) Get(t testing.TB, path, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", s.Base+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// Poll checks cond every interval until it holds, failing the test after
// timeout.
func Poll(t testing.TB, what string, timeout, interval time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(interval)
	}
}

// LogBuffer collects what a process or a logger writes while a test reads
// it: a bytes.Buffer that is safe to write and read at once.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String is everything written so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
