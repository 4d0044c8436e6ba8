package main

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServePushesToVictoriaMetrics runs Debian's victoria-metrics on
// 127.0.0.1, points serve --push-url at it and queries the pushed series
// back through its /api/v1/query.
func TestServePushesToVictoriaMetrics(t *testing.T) {
	vm, err := exec.LookPath("victoria-metrics")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("victoria-metrics not installed: make test installs Debian's victoria-metrics")
		}
		t.Skip("victoria-metrics not installed; run make test")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	vmAddr := l.Addr().String()
	l.Close()
	cmd := exec.Command(vm, "-httpListenAddr="+vmAddr, "-storageDataPath="+filepath.Join(t.TempDir(), "vm"), "-search.latencyOffset=1s")
	var vmLog strings.Builder
	cmd.Stdout, cmd.Stderr = &vmLog, &vmLog
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("victoria-metrics log:\n%s", vmLog.String())
		}
	}()
	eventually(t, "victoria-metrics up", 30*time.Second, func() bool {
		resp, err := http.Get("http://" + vmAddr + "/health")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})

	cfg := filepath.Join(t.TempDir(), "cc.yml")
	os.WriteFile(cfg, []byte("exporter:\n  push_interval: 1s\n"), 0o644)
	startServe(t, "--demo", "--config", cfg, "--push-url", "http://"+vmAddr+"/api/v1/import/prometheus")

	query := func(q string) []map[string]string {
		resp, err := http.Get("http://" + vmAddr + "/api/v1/query?query=" + url.QueryEscape(q))
		if err != nil {
			return nil
		}
		defer resp.Body.Close()
		var body struct {
			Data struct {
				Result []struct {
					Metric map[string]string `json:"metric"`
				} `json:"result"`
			} `json:"data"`
		}
		json.NewDecoder(resp.Body).Decode(&body)
		var out []map[string]string
		for _, r := range body.Data.Result {
			out = append(out, r.Metric)
		}
		return out
	}
	var got []map[string]string
	eventually(t, "pushed business series queryable in VictoriaMetrics", 60*time.Second, func() bool {
		got = query(`commandcenter_payments_open{tenant="acme-cosmetics"}`)
		return len(got) > 0
	})
	if got[0]["job"] != "commandcenter" || got[0]["instance"] == "" || got[0]["currency"] == "" {
		t.Fatalf("pushed series lacks job/instance/currency labels: %v", got[0])
	}
	if ops := query(`commandcenter_build_info{job="commandcenter"}`); len(ops) != 1 {
		t.Fatalf("operational metrics not pushed: %v", ops)
	}
}
