package dsplugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/httpclient"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
)

// Settings are a datasource's own settings from jsonData. TLS (tlsAuth,
// tlsAuthWithCACert, tlsSkipVerify, serverName and the PEM blocks in
// secureJsonData) and the timeout use Grafana's standard keys, read by the
// SDK's HTTP client options, so Grafana's proxy and TLS settings apply too.
type Settings struct {
	URL string `json:"url"`
	// Timeout is the per-call timeout in seconds (Grafana's "timeout").
	Timeout float64 `json:"timeout"`
	// ServerName is read by the SDK; it is declared here so that a value of
	// the wrong type is a settings error (the SDK would panic on it).
	ServerName string `json:"serverName"`
}

// DefaultTimeout bounds each API call unless jsonData.timeout says otherwise.
const DefaultTimeout = 30 * time.Second

// secureTokenKey is where the API token lives in secureJsonData.
const secureTokenKey = "apiToken"

// errSettings marks a problem with the datasource's settings (not with the
// server), so health checks can say "fix the settings".
var errSettings = errors.New("settings")

func settingsError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errSettings}, args...)...)
}

// connection is what a datasource's settings say about reaching the server.
type connection struct {
	settings Settings
	token    string
	// timeout bounds each call; http carries Grafana's TLS, proxy and
	// timeout options.
	timeout time.Duration
	http    httpclient.Options
}

// readSettings checks a datasource's settings and reads them, the TLS
// options through the SDK as Grafana's own datasources do.
func readSettings(ctx context.Context, s backend.DataSourceInstanceSettings) (connection, error) {
	var conn connection
	set := &conn.settings
	if len(s.JSONData) > 0 {
		if err := json.Unmarshal(s.JSONData, set); err != nil {
			return conn, settingsError("jsonData: %v", err)
		}
	}
	if set.URL == "" {
		return conn, settingsError("the commandcenter URL (jsonData.url) is not set, e.g. http://127.0.0.1:9464")
	}
	// A token pasted with its line break still works.
	conn.token = strings.TrimSpace(s.DecryptedSecureJSONData[secureTokenKey])
	if strings.IndexFunc(conn.token, func(r rune) bool { return r < 0x21 || r == 0x7f }) >= 0 {
		return conn, settingsError("the API token (secureJsonData.apiToken) contains spaces or control characters: paste it again as `commandcenter tokens create` printed it")
	}
	if conn.token == "" {
		return conn, settingsError("the API token (secureJsonData.apiToken) is not set: create a read token with `commandcenter tokens create --tenant <tenant> --scope read`")
	}
	conn.timeout = DefaultTimeout
	if set.Timeout < 0 || set.Timeout > 3600 {
		return conn, settingsError("jsonData.timeout must be 0 to 3600 seconds, got %v", set.Timeout)
	}
	if set.Timeout > 0 {
		conn.timeout = time.Duration(set.Timeout * float64(time.Second))
	}
	opts, err := httpClientOptions(ctx, s)
	if err != nil {
		return conn, settingsError("%v", err)
	}
	conn.http = opts
	return conn, nil
}

// httpClientOptions is the SDK's reading of Grafana's HTTP settings, which
// panics on a string setting of another type or null (access, serverName,
// basicAuthUser, httpHeaderName1...): that is an error here.
func httpClientOptions(ctx context.Context, s backend.DataSourceInstanceSettings) (opts httpclient.Options, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("jsonData has a setting of the wrong type (%v)", p)
		}
	}()
	return s.HTTPClientOptions(ctx)
}

// newClients builds the API clients of one datasource instance: one for
// calls (bounded by the timeout) and one for the change stream (no overall
// timeout: it stays open). The token is never logged or put in an error.
func newClients(ctx context.Context, s backend.DataSourceInstanceSettings) (calls, stream *apiv1.Client, https []*http.Client, err error) {
	conn, err := readSettings(ctx, s)
	if err != nil {
		return nil, nil, nil, err
	}
	opts, timeout := conn.http, conn.timeout
	build := func(overall time.Duration) (*apiv1.Client, error) {
		o := opts
		t := httpclient.DefaultTimeoutOptions
		if o.Timeouts != nil {
			t = *o.Timeouts
		}
		t.Timeout = overall
		o.Timeouts = &t
		hc, err := httpclient.New(o)
		if err != nil {
			return nil, settingsError("TLS: %v", err)
		}
		https = append(https, hc)
		c, err := apiv1.New(apiv1.Config{URL: conn.settings.URL, Token: conn.token, Timeout: timeout, HTTPClient: hc, UserAgent: userAgent})
		if err != nil {
			return nil, settingsError("%v", err)
		}
		return c, nil
	}
	if calls, err = build(timeout); err != nil {
		return nil, nil, nil, err
	}
	if stream, err = build(0); err != nil {
		return nil, nil, nil, err
	}
	return calls, stream, https, nil
}

const userAgent = "commandcenter-grafana-datasource"
