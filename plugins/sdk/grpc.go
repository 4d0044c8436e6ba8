package sdk

import (
	"context"
	"errors"
	"io"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/commandcenter/commandcenter/plugins/proto"
)

// Handshake is shared by host and plugins. A binary started without the
// cookie (say, by hand) prints a hint instead of serving.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "COMMANDCENTER_PLUGIN",
	MagicCookieValue: "d6c1f2a4-collect-events-not-dust",
}

// PluginName is the name a source is dispensed under.
const PluginName = "source"

// VersionedPlugins maps each protocol version to its plugin set, so a v2
// protocol can later live beside v1.
func VersionedPlugins(src Source) map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{1: {PluginName: &grpcPlugin{impl: src}}}
}

// grpcPlugin adapts a Source to go-plugin's GRPCPlugin.
type grpcPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	impl Source
}

func (p *grpcPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	pb.RegisterSourceServer(s, &grpcServer{impl: p.impl})
	return nil
}

func (p *grpcPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return &Client{rpc: pb.NewSourceClient(c)}, nil
}

// grpcServer runs inside the plugin process.
type grpcServer struct {
	pb.UnimplementedSourceServer
	impl Source
}

func (s *grpcServer) Describe(context.Context, *pb.DescribeRequest) (*pb.DescribeResponse, error) {
	d := s.impl.Describe()
	return &pb.DescribeResponse{Name: d.Name, Version: d.Version, Kinds: d.Kinds, EntityTypes: d.EntityTypes, ConfigSchema: d.ConfigSchema}, nil
}

func (s *grpcServer) Configure(ctx context.Context, req *pb.ConfigureRequest) (*pb.ConfigureResponse, error) {
	err := s.impl.Configure(ctx, req.GetConfig())
	var cerrs ConfigErrors
	if errors.As(err, &cerrs) {
		return &pb.ConfigureResponse{Errors: cerrs}, nil
	}
	if err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &pb.ConfigureResponse{}, nil
}

func (s *grpcServer) Collect(req *pb.CollectRequest, stream grpc.ServerStreamingServer[pb.Batch]) error {
	err := s.impl.Collect(stream.Context(), req.GetCursor(), func(b Batch) error {
		return stream.Send(batchToPB(&b))
	})
	if err != nil {
		return status.Error(codes.Unknown, err.Error())
	}
	return nil
}

func (s *grpcServer) Check(ctx context.Context, _ *pb.CheckRequest) (*pb.CheckResponse, error) {
	if err := s.impl.Check(ctx); err != nil {
		return &pb.CheckResponse{Healthy: false, Message: err.Error()}, nil
	}
	return &pb.CheckResponse{Healthy: true}, nil
}

// Client is the host's side of a running plugin.
type Client struct {
	rpc pb.SourceClient
}

// Describe asks the plugin what it is.
func (c *Client) Describe(ctx context.Context) (Description, error) {
	r, err := c.rpc.Describe(ctx, &pb.DescribeRequest{})
	if err != nil {
		return Description{}, err
	}
	return Description{Name: r.Name, Version: r.Version, Kinds: r.Kinds, EntityTypes: r.EntityTypes, ConfigSchema: r.ConfigSchema}, nil
}

// Configure sends the plugin its config; a rejected config comes back as
// ConfigErrors.
func (c *Client) Configure(ctx context.Context, config []byte) error {
	r, err := c.rpc.Configure(ctx, &pb.ConfigureRequest{Config: config})
	if err != nil {
		return err
	}
	if len(r.Errors) > 0 {
		return ConfigErrors(r.Errors)
	}
	return nil
}

// Collect streams batches from cursor on, calling handle for each in order.
// It stops at the first error handle returns. The next batch is received
// while handle runs (CollectAhead).
func (c *Client) Collect(ctx context.Context, cursor string, handle Emit) error {
	return CollectAhead(ctx, c, cursor, func(b Batch) Batch { return b }, handle)
}

// CollectAhead is Collect with prepare run on every batch before handle
// takes it, one batch ahead: while handle takes batch N, batch N+1 is
// received, converted and prepared on another goroutine, so decoding and
// checking a batch overlap with storing the one before. handle gets the
// batches in order, one at a time; at most one prepared batch waits for it
// (and one more is being prepared). After handle returns an error it is not
// called again, and CollectAhead returns only once the receiving goroutine
// has ended.
func CollectAhead[T any](ctx context.Context, c *Client, cursor string, prepare func(Batch) T, handle func(T) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.rpc.Collect(ctx, &pb.CollectRequest{Cursor: cursor})
	if err != nil {
		return err
	}
	type next struct {
		v   T
		err error
	}
	ahead := make(chan next, 1)
	stop := make(chan struct{})
	go func() {
		defer close(ahead)
		for {
			b, err := stream.Recv()
			var n next
			switch {
			case err == io.EOF:
				return
			case err != nil:
				n.err = err
			default:
				n.v = prepare(batchFromPB(b))
			}
			select {
			case ahead <- n:
			case <-stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	defer func() {
		// Ends the stream (so a pending Recv returns) and waits for the
		// goroutine: nothing outlives the call.
		close(stop)
		cancel()
		for range ahead {
		}
	}()
	for n := range ahead {
		if n.err != nil {
			return n.err
		}
		if err := handle(n.v); err != nil {
			return err
		}
	}
	return nil
}

// Check asks the plugin whether its source is healthy.
func (c *Client) Check(ctx context.Context) (healthy bool, message string, err error) {
	r, err := c.rpc.Check(ctx, &pb.CheckRequest{})
	if err != nil {
		return false, "", err
	}
	return r.Healthy, r.Message, nil
}
