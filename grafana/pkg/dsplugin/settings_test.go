package dsplugin

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"gopkg.in/yaml.v3"
)

// TestReadsEverySettingTheConfigEditorSaves reads the settings the config
// editor saves with every field filled (the browser test checks the editor
// saves exactly that file) and checks each key takes effect: a key the
// frontend writes under a name the backend does not read fails here.
func TestReadsEverySettingTheConfigEditorSaves(t *testing.T) {
	raw, err := os.ReadFile("../../tests/fixtures/settings.json")
	if err != nil {
		t.Fatal(err)
	}
	var saved struct {
		JSONData       map[string]any    `json:"jsonData"`
		SecureJSONData map[string]string `json:"secureJsonData"`
	}
	if err := json.Unmarshal(raw, &saved); err != nil {
		t.Fatal(err)
	}
	jsonData, _ := json.Marshal(saved.JSONData)
	conn, err := readSettings(context.Background(), backend.DataSourceInstanceSettings{
		UID: "cc", JSONData: jsonData, DecryptedSecureJSONData: saved.SecureJSONData,
	})
	if err != nil {
		t.Fatal(err)
	}
	tls := conn.http.TLS
	if tls == nil {
		t.Fatal("no TLS options")
	}
	// What each key must change, given the saved value.
	readBack := map[string]func(v any) bool{
		"url":               func(v any) bool { return conn.settings.URL == v },
		"timeout":           func(v any) bool { return conn.timeout == time.Duration(v.(float64))*time.Second },
		"tlsSkipVerify":     func(v any) bool { return tls.InsecureSkipVerify == v },
		"serverName":        func(v any) bool { return tls.ServerName == v },
		"tlsAuthWithCACert": func(any) bool { return tls.CACertificate == saved.SecureJSONData["tlsCACert"] },
		"tlsAuth": func(any) bool {
			return tls.ClientCertificate == saved.SecureJSONData["tlsClientCert"] && tls.ClientKey == saved.SecureJSONData["tlsClientKey"]
		},
	}
	for key, v := range saved.JSONData {
		check, ok := readBack[key]
		switch {
		case !ok:
			t.Errorf("jsonData.%s is saved by the config editor but read by nothing in the backend", key)
		case !check(v):
			t.Errorf("jsonData.%s = %v did not take effect", key, v)
		}
	}
	for key, v := range saved.SecureJSONData {
		if key == secureTokenKey && conn.token != v {
			t.Errorf("secureJsonData.%s was not read as the token", key)
		}
		// The TLS secrets are checked with their switches above.
		if !slices.Contains([]string{secureTokenKey, "tlsCACert", "tlsClientCert", "tlsClientKey"}, key) {
			t.Errorf("secureJsonData.%s is read by nothing in the backend", key)
		}
	}
}

func TestTokenIsTrimmedAndCheckedForControlCharacters(t *testing.T) {
	for token, ok := range map[string]bool{"cc_abc\n": true, " cc_abc ": true, "cc_a\x00bc": false, "cc a": false, "\n": false} {
		conn, err := readSettings(context.Background(), backend.DataSourceInstanceSettings{
			JSONData: []byte(`{"url": "http://a:1"}`), DecryptedSecureJSONData: map[string]string{secureTokenKey: token},
		})
		if ok && (err != nil || conn.token != strings.TrimSpace(token)) {
			t.Errorf("%q: token %q, %v", token, conn.token, err)
		}
		if !ok && (err == nil || !strings.HasPrefix(explain(err), "Settings:") || strings.Contains(explain(err), token)) {
			t.Errorf("%q: %v", token, err)
		}
	}
}

func TestSettingsOfTheWrongTypeAreAnErrorNotACrash(t *testing.T) {
	for _, jsonData := range []string{
		`{"url": "http://a:1", "serverName": 5, "tlsAuthWithCACert": true}`,
		`{"url": "http://a:1", "serverName": null, "tlsAuthWithCACert": true}`,
		`{"url": "http://a:1", "access": null}`,
		`{"url": "http://a:1", "access": 1}`,
		`{"url": "http://a:1", "sigV4Auth": true, "sigV4Region": 7}`,
		`{"url": "http://a:1", "timeout": "20"}`,
		`{"url": ["http://a:1"]}`,
		`[]`,
	} {
		_, err := readSettings(context.Background(), backend.DataSourceInstanceSettings{
			JSONData: []byte(jsonData), DecryptedSecureJSONData: map[string]string{secureTokenKey: "t"},
		})
		if err == nil || !strings.HasPrefix(explain(err), "Settings:") {
			t.Errorf("%s: %v", jsonData, err)
		}
	}
}

// TestProvisioningExample reads grafana/provisioning/datasources as Grafana
// would (${VAR} expanded from the environment) and checks each datasource is
// this plugin's and its settings are usable.
func TestProvisioningExample(t *testing.T) {
	raw, err := os.ReadFile("../../provisioning/datasources/commandcenter.yaml")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("COMMANDCENTER_API_TOKEN", "cc_read_provisioned")
	var file struct {
		APIVersion  int `yaml:"apiVersion"`
		Datasources []struct {
			Name           string            `yaml:"name"`
			Type           string            `yaml:"type"`
			UID            string            `yaml:"uid"`
			Access         string            `yaml:"access"`
			JSONData       map[string]any    `yaml:"jsonData"`
			SecureJSONData map[string]string `yaml:"secureJsonData"`
		} `yaml:"datasources"`
	}
	if err := yaml.Unmarshal([]byte(os.ExpandEnv(string(raw))), &file); err != nil {
		t.Fatal(err)
	}
	if file.APIVersion != 1 || len(file.Datasources) == 0 {
		t.Fatalf("apiVersion %d, %d datasources", file.APIVersion, len(file.Datasources))
	}
	for _, ds := range file.Datasources {
		if ds.Type != PluginID || ds.Access != "proxy" || ds.Name == "" || ds.UID == "" {
			t.Errorf("datasource %+v", ds)
		}
		jsonData, _ := json.Marshal(ds.JSONData)
		conn, err := readSettings(context.Background(), backend.DataSourceInstanceSettings{
			UID: ds.UID, JSONData: jsonData, DecryptedSecureJSONData: ds.SecureJSONData,
		})
		if err != nil {
			t.Errorf("%s: %s", ds.Name, explain(err))
			continue
		}
		if conn.token != "cc_read_provisioned" {
			t.Errorf("%s: token %q, want it from $COMMANDCENTER_API_TOKEN", ds.Name, conn.token)
		}
	}
}
