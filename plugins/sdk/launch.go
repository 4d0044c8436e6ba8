package sdk

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// receiveWindow is how much of a plugin's stream the host takes in before
// the plugin must wait for it: a few 1,000-event batches. gRPC's own window
// starts at 64 KiB and, over a local socket, hardly grows: a plugin then
// stopped four times in every such batch, and the ping-pong of the two
// processes cost a tenth of ingest throughput on two cores. Larger windows
// measured no faster, and the host holds what it has taken in: 8 MiB put
// 15-20 MB on serve's resident memory.
const receiveWindow = 1 << 20

// LaunchConfig says how to start one plugin process.
type LaunchConfig struct {
	// Cmd is the plugin executable and its arguments; Launch starts it in
	// its own process group, killed by the kernel if the host dies.
	Cmd *exec.Cmd
	// SHA256, when set, pins the executable: a file with another digest is
	// refused before it runs.
	SHA256 []byte
	// Config is handed to the plugin's Configure, as JSON; nil sends {}.
	Config []byte
	// Logger receives the plugin's log lines and go-plugin's own; nil
	// discards them.
	Logger hclog.Logger
	// Timeout bounds the start and handshake, and then Describe, Configure
	// and Check together. Default 30s.
	Timeout time.Duration
}

// Plugin is a running plugin process that has been described, configured
// and checked: call Collect on it, and Kill it when done.
type Plugin struct {
	*Client
	Description Description
	// Healthy and HealthMessage are what Check answered. An unhealthy
	// source still runs: its API may come back.
	Healthy       bool
	HealthMessage string
	PID           int
	process       *plugin.Client
}

// Kill stops the plugin process (gracefully first, as go-plugin does).
func (p *Plugin) Kill() { p.process.Kill() }

// Exited reports whether the plugin process has exited.
func (p *Plugin) Exited() bool { return p.process.Exited() }

// Launch starts a plugin exactly as commandcenter's host does: exec (with
// the SHA-256 pin), go-plugin's handshake over gRPC, then Describe, the
// config checked against the schema Describe returned, Configure and Check.
// A config the schema or the plugin rejects comes back as ConfigErrors. On
// any error the process is stopped.
func Launch(ctx context.Context, cfg LaunchConfig) (*Plugin, error) {
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	logger := cfg.Logger
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	isolate(cfg.Cmd)
	cc := &plugin.ClientConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: VersionedPlugins(nil),
		Cmd:              cfg.Cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Logger:           logger,
		StartTimeout:     timeout,
		GRPCDialOptions: []grpc.DialOption{
			grpc.WithInitialWindowSize(receiveWindow), grpc.WithInitialConnWindowSize(receiveWindow),
		},
	}
	if cfg.SHA256 != nil {
		cc.SecureConfig = &plugin.SecureConfig{Checksum: cfg.SHA256, Hash: sha256.New()}
	}
	p := &Plugin{process: plugin.NewClient(cc)}
	if err := p.start(ctx, cfg.Cmd.Path, cfg.Config, timeout); err != nil {
		p.process.Kill()
		return nil, err
	}
	return p, nil
}

func (p *Plugin) start(ctx context.Context, path string, config []byte, timeout time.Duration) error {
	rpc, err := p.process.Client()
	if err != nil && strings.Contains(err.Error(), "Unrecognized remote plugin message") {
		// go-plugin's own text runs to a dozen lines of guesses.
		return fmt.Errorf("starting plugin: %s did not answer the plugin handshake (it exited, or printed something else first): is it a commandcenter plugin built for this machine?", path)
	}
	if err != nil {
		return fmt.Errorf("starting plugin: %w", err)
	}
	raw, err := rpc.Dispense(PluginName)
	if err != nil {
		return fmt.Errorf("dispensing plugin: %w", err)
	}
	p.Client = raw.(*Client)
	if rc := p.process.ReattachConfig(); rc != nil {
		p.PID = rc.Pid
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if p.Description, err = p.Describe(ctx); err != nil {
		return fmt.Errorf("describe: %w", err)
	}
	if config == nil {
		config = []byte("{}")
	}
	schema, err := CompileConfigSchema(p.Description.ConfigSchema)
	if err != nil {
		return fmt.Errorf("describe: %w", err)
	}
	if err := schema.Validate(config); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if err := p.Configure(ctx, config); err != nil {
		return fmt.Errorf("configure: %w", err)
	}
	if p.Healthy, p.HealthMessage, err = p.Check(ctx); err != nil {
		// The plugin's side can give up on the propagated deadline and reset
		// the stream a moment before our own timer fires, so the status code
		// counts as much as ctx.Err.
		if ctx.Err() != nil || status.Code(err) == codes.DeadlineExceeded {
			return fmt.Errorf("check: no answer within %s (start, Describe, Configure and Check share that deadline)", timeout)
		}
		return fmt.Errorf("check: %w", err)
	}
	return nil
}
