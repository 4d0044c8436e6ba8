package main

import (
	"archive/zip"
	"bytes"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/json"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"testing"
)

// pluginID is the folder the zip holds, as Grafana's plugin installer
// expects it.
const pluginID = "commandcenter-commandcenter-datasource"

// platforms are the backends the zip must carry, each built for its own
// OS and architecture.
var platforms = []struct {
	goos, goarch string
	// matches tells whether an executable is for this platform.
	matches func(body []byte) bool
}{
	{"linux", "amd64", elfFor(elf.EM_X86_64)},
	{"linux", "arm64", elfFor(elf.EM_AARCH64)},
	{"darwin", "arm64", func(b []byte) bool {
		f, err := macho.NewFile(bytes.NewReader(b))
		return err == nil && f.Cpu == macho.CpuArm64 && f.Type == macho.TypeExec
	}},
	{"windows", "amd64", func(b []byte) bool {
		f, err := pe.NewFile(bytes.NewReader(b))
		return err == nil && f.Machine == pe.IMAGE_FILE_MACHINE_AMD64
	}},
}

func elfFor(machine elf.Machine) func([]byte) bool {
	return func(b []byte) bool {
		f, err := elf.NewFile(bytes.NewReader(b))
		return err == nil && f.Machine == machine && f.Type == elf.ET_EXEC && f.OSABI == elf.ELFOSABI_NONE
	}
}

// TestPluginZip checks the zip `make grafana-plugin` builds (its path in
// CC_GRAFANA_PLUGIN_ZIP; `make test` sets it): one folder named after the
// plugin id, with what Grafana loads, and a backend for every platform
// named after plugin.json's executable.
func TestPluginZip(t *testing.T) {
	zipPath := os.Getenv("CC_GRAFANA_PLUGIN_ZIP")
	if zipPath == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CC_GRAFANA_PLUGIN_ZIP is not set: run the tests with make test, which builds the zip first")
		}
		t.Skip("CC_GRAFANA_PLUGIN_ZIP is not set: make grafana-plugin builds the zip; make test sets it")
	}
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		if top, _, _ := strings.Cut(f.Name, "/"); top != pluginID {
			t.Errorf("%s lies outside the folder %s/", f.Name, pluginID)
		}
		files[strings.TrimPrefix(f.Name, pluginID+"/")] = f
	}
	for _, want := range []string{"plugin.json", "module.js", "img/logo.svg", "README.md", "CHANGELOG.md", "LICENSE"} {
		if files[want] == nil {
			t.Errorf("the zip has no %s/%s", pluginID, want)
		}
	}
	if files["plugin.json"] == nil {
		t.FailNow()
	}
	var meta struct {
		ID         string `json:"id"`
		Type       string `json:"type"`
		Backend    bool   `json:"backend"`
		Executable string `json:"executable"`
		Alerting   bool   `json:"alerting"`
		Info       struct {
			Version string `json:"version"`
			Logos   struct {
				Small, Large string
			} `json:"logos"`
		} `json:"info"`
	}
	if err := json.Unmarshal(read(t, files["plugin.json"]), &meta); err != nil {
		t.Fatalf("plugin.json: %v", err)
	}
	if meta.ID != pluginID || meta.Type != "datasource" || !meta.Backend || !meta.Alerting {
		t.Errorf("plugin.json: id %q type %q backend %v alerting %v", meta.ID, meta.Type, meta.Backend, meta.Alerting)
	}
	if meta.Info.Version == "" || strings.Contains(meta.Info.Version, "%") {
		t.Errorf("plugin.json: version %q was not filled in by the build", meta.Info.Version)
	}
	for _, logo := range []string{meta.Info.Logos.Small, meta.Info.Logos.Large} {
		if files[logo] == nil {
			t.Errorf("plugin.json names the logo %q, which the zip lacks", logo)
		}
	}
	if meta.Executable == "" || path.Base(meta.Executable) != meta.Executable {
		t.Fatalf("plugin.json: executable %q", meta.Executable)
	}
	// Grafana starts <executable>_<os>_<arch>[.exe] from the plugin's folder.
	var backends []string
	for _, p := range platforms {
		name := meta.Executable + "_" + p.goos + "_" + p.goarch
		if p.goos == "windows" {
			name += ".exe"
		}
		backends = append(backends, name)
		f := files[name]
		if f == nil {
			t.Errorf("no backend %s for %s/%s", name, p.goos, p.goarch)
			continue
		}
		if f.Mode()&0o111 == 0 {
			t.Errorf("%s is not executable (mode %v)", name, f.Mode())
		}
		if !p.matches(read(t, f)) {
			t.Errorf("%s is not an executable for %s/%s", name, p.goos, p.goarch)
		}
	}
	for name := range files {
		if strings.HasPrefix(name, "gpx_") && !slices.Contains(backends, name) {
			t.Errorf("%s does not match plugin.json's executable %q", name, meta.Executable)
		}
	}
}

func read(t *testing.T, f *zip.File) []byte {
	t.Helper()
	r, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
