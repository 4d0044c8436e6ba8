// Package grafanatest drives a datasource plugin binary exactly as Grafana
// does: it starts the executable with hashicorp/go-plugin using Grafana's
// handshake and plugin set (protocol 2: diagnostics, resource, data,
// stream), and makes the same gRPC calls with requests converted by the
// SDK. It stands in for a Grafana server, which cannot be run here; it is
// the one place that knows how Grafana talks to a backend plugin.
package grafanatest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/grpcplugin"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/commandcenter/commandcenter/cmd/commandcenter/servetest"
	"github.com/commandcenter/commandcenter/grafana/pkg/querymodel"
)

// Build compiles the commandcenter datasource's backend into dir, pure Go
// as it ships, named as Grafana starts it on this machine, and returns its
// path.
func Build(dir string) (string, error) {
	_, here, _, _ := runtime.Caller(0)
	bin := filepath.Join(dir, "gpx_commandcenter_"+runtime.GOOS+"_"+runtime.GOARCH)
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = filepath.Dir(filepath.Dir(here)) // grafana/pkg
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the datasource plugin: %v\n%s", err, out)
	}
	return bin, nil
}

// BuildAll builds what an end-to-end test of the plugin runs into dir:
// commandcenter (the server) and the plugin's backend.
func BuildAll(dir string) (server, plugin string, err error) {
	if server, err = servetest.Build(dir); err != nil {
		return "", "", err
	}
	plugin, err = Build(dir)
	return server, plugin, err
}

// Host is one running plugin process and its gRPC clients.
type Host struct {
	client      *plugin.Client
	data        grpcplugin.DataClient
	diagnostics grpcplugin.DiagnosticsClient
	resource    grpcplugin.ResourceClient
	stream      grpcplugin.StreamClient
}

// Launch starts the plugin executable at bin; logs go to logger (nil: none).
func Launch(bin string, logger hclog.Logger) (*Host, error) {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	c := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig: plugin.HandshakeConfig{
			ProtocolVersion:  grpcplugin.ProtocolVersion,
			MagicCookieKey:   grpcplugin.MagicCookieKey,
			MagicCookieValue: grpcplugin.MagicCookieValue,
		},
		VersionedPlugins: map[int]plugin.PluginSet{grpcplugin.ProtocolVersion: {
			"diagnostics": &grpcplugin.DiagnosticsGRPCPlugin{},
			"resource":    &grpcplugin.ResourceGRPCPlugin{},
			"data":        &grpcplugin.DataGRPCPlugin{},
			"stream":      &grpcplugin.StreamGRPCPlugin{},
		}},
		Cmd:              exec.Command(bin),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           logger,
		StartTimeout:     30 * time.Second,
	})
	h := &Host{client: c}
	rpc, err := c.Client()
	if err != nil {
		c.Kill()
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	for name, dst := range map[string]any{"data": &h.data, "diagnostics": &h.diagnostics, "resource": &h.resource, "stream": &h.stream} {
		raw, err := rpc.Dispense(name)
		if err != nil {
			c.Kill()
			return nil, fmt.Errorf("dispensing %s: %w", name, err)
		}
		if err := assign(dst, raw); err != nil {
			c.Kill()
			return nil, fmt.Errorf("dispensing %s: %w", name, err)
		}
	}
	return h, nil
}

func assign(dst, raw any) error {
	var ok bool
	switch d := dst.(type) {
	case *grpcplugin.DataClient:
		*d, ok = raw.(grpcplugin.DataClient)
	case *grpcplugin.DiagnosticsClient:
		*d, ok = raw.(grpcplugin.DiagnosticsClient)
	case *grpcplugin.ResourceClient:
		*d, ok = raw.(grpcplugin.ResourceClient)
	case *grpcplugin.StreamClient:
		*d, ok = raw.(grpcplugin.StreamClient)
	}
	if !ok {
		return fmt.Errorf("unexpected client type %T", raw)
	}
	return nil
}

// Kill stops the plugin process.
func (h *Host) Kill() { h.client.Kill() }

// Exited reports whether the plugin process has exited.
func (h *Host) Exited() bool { return h.client.Exited() }

// Datasource is a configured datasource, as Grafana passes it with every
// request.
type Datasource struct {
	ID       int64
	UID      string
	JSONData map[string]any
	Secure   map[string]string
	// Updated distinguishes versions of the settings: the SDK caches one
	// instance per datasource and version.
	Updated time.Time
	// Role is the calling Grafana user's organization role (Viewer,
	// Editor, Admin); "" is Admin.
	Role string
}

// PluginContext is what Grafana sends with each call for ds.
func (ds Datasource) PluginContext() backend.PluginContext {
	raw, _ := json.Marshal(ds.JSONData)
	role := ds.Role
	if role == "" {
		role = "Admin"
	}
	return backend.PluginContext{
		OrgID:    1,
		PluginID: querymodel.PluginID,
		User:     &backend.User{Login: strings.ToLower(role), Name: strings.ToLower(role), Role: role},
		DataSourceInstanceSettings: &backend.DataSourceInstanceSettings{
			ID: ds.ID, UID: ds.UID, Type: querymodel.PluginID, Name: ds.UID,
			JSONData: raw, DecryptedSecureJSONData: ds.Secure, Updated: ds.Updated,
		},
		GrafanaConfig: backend.NewGrafanaCfg(map[string]string{}),
	}
}

// Query is one panel query: its type, JSON and time range.
type Query struct {
	RefID, QueryType string
	JSON             string
	From, To         time.Time
}

// QueryData sends the queries in one request, as a dashboard refresh does.
func (h *Host) QueryData(ctx context.Context, ds Datasource, queries ...Query) (*backend.QueryDataResponse, error) {
	req := &backend.QueryDataRequest{PluginContext: ds.PluginContext()}
	for _, q := range queries {
		req.Queries = append(req.Queries, backend.DataQuery{RefID: q.RefID, QueryType: q.QueryType, JSON: json.RawMessage(q.JSON),
			TimeRange: backend.TimeRange{From: q.From, To: q.To}, MaxDataPoints: 1000, Interval: time.Minute})
	}
	resp, err := h.data.QueryData(ctx, backend.ToProto().QueryDataRequest(req))
	if err != nil {
		return nil, err
	}
	return backend.FromProto().QueryDataResponse(resp)
}

// CheckHealth is the datasource settings page's "Save & test".
func (h *Host) CheckHealth(ctx context.Context, ds Datasource) (*backend.CheckHealthResult, error) {
	resp, err := h.diagnostics.CheckHealth(ctx, &pluginv2.CheckHealthRequest{PluginContext: backend.ToProto().PluginContext(ds.PluginContext())})
	if err != nil {
		return nil, err
	}
	return backend.FromProto().CheckHealthResponse(resp), nil
}

// CallResource is <method> /api/datasources/uid/<uid>/resources/<path>;
// path may carry a query. Grafana forwards the path below resources/ as
// Path and the whole request URL, query included, as URL.
func (h *Host) CallResource(ctx context.Context, ds Datasource, method, path string) (*backend.CallResourceResponse, error) {
	sub, _, _ := strings.Cut(path, "?")
	req := &backend.CallResourceRequest{PluginContext: ds.PluginContext(), Method: method, Path: sub,
		URL: "/api/datasources/uid/" + ds.UID + "/resources/" + path, Headers: map[string][]string{}}
	stream, err := h.resource.CallResource(ctx, backend.ToProto().CallResourceRequest(req))
	if err != nil {
		return nil, err
	}
	var out *backend.CallResourceResponse
	for {
		pkt, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		r := backend.FromProto().CallResourceResponse(pkt)
		if out == nil {
			out = r
		} else {
			out.Body = append(out.Body, r.Body...)
		}
	}
	if out == nil {
		return nil, errors.New("the plugin sent no resource response")
	}
	return out, nil
}

// SubscribeStream asks whether a user may join channel ds/<uid>/<path>.
func (h *Host) SubscribeStream(ctx context.Context, ds Datasource, path string) (*backend.SubscribeStreamResponse, error) {
	resp, err := h.stream.SubscribeStream(ctx, &pluginv2.SubscribeStreamRequest{PluginContext: backend.ToProto().PluginContext(ds.PluginContext()), Path: path})
	if err != nil {
		return nil, err
	}
	return backend.FromProto().SubscribeStreamResponse(resp), nil
}

// RunStream runs the channel's stream, calling fn with every frame the
// plugin sends, until ctx ends (nil), the plugin ends the stream or fn
// returns an error.
func (h *Host) RunStream(ctx context.Context, ds Datasource, path string, fn func(*data.Frame) error) error {
	stream, err := h.stream.RunStream(ctx, &pluginv2.RunStreamRequest{PluginContext: backend.ToProto().PluginContext(ds.PluginContext()), Path: path})
	if err != nil {
		return err
	}
	for {
		pkt, err := stream.Recv()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		var f data.Frame
		if err := json.Unmarshal(pkt.Data, &f); err != nil {
			return fmt.Errorf("decoding a streamed frame: %w", err)
		}
		if err := fn(&f); err != nil {
			return err
		}
	}
}
