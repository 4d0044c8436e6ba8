// Package dsplugin is the backend of the commandcenter Grafana datasource:
// one instance per configured datasource, answering Grafana's health
// checks, queries (one query type per panel need), resource calls (lists
// for editors and template variables) and live streams, all through
// commandcenter's HTTP API (collector/api/apiv1). It builds without cgo.
package dsplugin

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/commandcenter/commandcenter/collector/api/apiv1"
	"github.com/commandcenter/commandcenter/grafana/pkg/querymodel"
)

// PluginID is the plugin's id, as in plugin.json.
const PluginID = querymodel.PluginID

// Datasource is one configured commandcenter datasource.
type Datasource struct {
	// calls and stream are nil when the settings are unusable; settingsErr
	// then says why, on every request, instead of failing the instance.
	calls, stream *apiv1.Client
	httpClients   []*http.Client // behind calls and stream
	settingsErr   error
	logger        log.Logger
	// handed is, per activity stream path, the newest event id the last
	// subscriber was handed before the channel's RunStream started.
	handedMu sync.Mutex
	handed   map[string]int64
}

var (
	_ backend.QueryDataHandler      = (*Datasource)(nil)
	_ backend.CheckHealthHandler    = (*Datasource)(nil)
	_ backend.CallResourceHandler   = (*Datasource)(nil)
	_ backend.StreamHandler         = (*Datasource)(nil)
	_ instancemgmt.InstanceDisposer = (*Datasource)(nil)
)

// NewDatasource is the instance factory for datasource.Manage. Bad settings
// do not fail it: Grafana would only show a generic error, while the health
// check and each query can say exactly what to fix.
func NewDatasource(ctx context.Context, s backend.DataSourceInstanceSettings) (instancemgmt.Instance, error) {
	ds := &Datasource{logger: log.DefaultLogger.With("datasource", s.UID)}
	ds.calls, ds.stream, ds.httpClients, ds.settingsErr = newClients(ctx, s)
	return ds, nil
}

// Dispose is called when the settings change: the old instance's idle
// connections are closed (streams end with their contexts).
func (d *Datasource) Dispose() {
	for _, hc := range d.httpClients {
		hc.CloseIdleConnections()
	}
}

// client is the API client for calls, or the settings' problem.
func (d *Datasource) client() (*apiv1.Client, error) {
	if d.settingsErr != nil {
		return nil, d.settingsErr
	}
	return d.calls, nil
}

// CheckHealth reaches the server with the token and says which tenant and
// scope it has, or exactly what failed.
func (d *Datasource) CheckHealth(ctx context.Context, _ *backend.CheckHealthRequest) (*backend.CheckHealthResult, error) {
	c, err := d.client()
	if err != nil {
		return healthError(err), nil
	}
	me, err := c.WhoAmI(ctx)
	if err != nil {
		return healthError(err), nil
	}
	if err := c.Ready(ctx); err != nil {
		return healthError(err), nil
	}
	details, _ := json.Marshal(me)
	msg := fmt.Sprintf("Connected to commandcenter: tenant %q, %s scope", me.Tenant, me.Scope)
	if me.ExpiresAt != nil {
		msg += ", token expires " + me.ExpiresAt.UTC().Format("2006-01-02 15:04 MST")
	}
	return &backend.CheckHealthResult{Status: backend.HealthStatusOk, Message: msg, JSONDetails: details}, nil
}

func healthError(err error) *backend.CheckHealthResult {
	return &backend.CheckHealthResult{Status: backend.HealthStatusError, Message: explain(err)}
}

// explain turns an error of the API client into what a Grafana user can
// act on: the settings, the network, TLS, the token or the server.
func explain(err error) string {
	var ae *apiv1.Error
	var certErr *tls.CertificateVerificationError
	var unknownAuthority x509.UnknownAuthorityError
	var hostnameErr x509.HostnameError
	var recordErr tls.RecordHeaderError
	var opErr *net.OpError
	var urlErr *url.Error
	switch {
	case errors.Is(err, errSettings):
		return "Settings: " + strings.TrimPrefix(err.Error(), errSettings.Error()+": ")
	case errors.As(err, &ae):
		switch {
		case ae.StatusCode == 401:
			return "The API token was refused (401 " + ae.Code + "): it is unknown, revoked or expired. Create a new one with `commandcenter tokens create`."
		case ae.StatusCode == 403:
			return "The API token may not do this (403 " + ae.Code + "): " + ae.Message
		case ae.Code == apiv1.CodeNotReady:
			return "commandcenter is running but not ready: " + ae.Message
		case ae.StatusCode == 404:
			return "No commandcenter API at this URL (404): check the URL points at commandcenter itself, not a path below it."
		}
		return fmt.Sprintf("commandcenter answered %d %s: %s", ae.StatusCode, ae.Code, ae.Message)
	case errors.As(err, &certErr), errors.As(err, &unknownAuthority), errors.As(err, &hostnameErr):
		return "TLS: the server's certificate was not accepted: " + rootCause(err) +
			". Add its CA certificate (With CA Cert), set the server name, or (testing only) skip verification."
	case errors.As(err, &recordErr), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return "TLS: the server does not speak HTTPS at this address: use http:// or the TLS port."
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return "Cannot connect to commandcenter: " + rootCause(err) + ". Is it running, and is the URL right?"
	case errors.Is(err, context.DeadlineExceeded):
		return "commandcenter did not answer in time (the timeout setting): " + rootCause(err)
	case errors.As(err, &urlErr):
		return "Cannot reach commandcenter: " + rootCause(err)
	}
	return err.Error()
}

// rootCause is the innermost error's message, without the URL wrapping.
func rootCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}
