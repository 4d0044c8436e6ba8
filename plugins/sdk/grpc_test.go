package sdk

import (
	"context"
	"errors"
	"io"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"

	pb "github.com/commandcenter/commandcenter/plugins/proto"
)

// fakeSource streams batches "1", "2", … n, then fails with err (io.EOF
// ends the stream), or blocks until the call's context ends when block.
type fakeSource struct {
	pb.SourceClient
	n     int
	err   error
	block bool
	// sent counts batches handed out; inRecv the Recv calls under way;
	// ended is closed once Recv returned for the last time.
	sent   atomic.Int32
	inRecv atomic.Int32
	ended  chan struct{}
}

func (f *fakeSource) Collect(ctx context.Context, _ *pb.CollectRequest, _ ...grpc.CallOption) (grpc.ServerStreamingClient[pb.Batch], error) {
	f.ended = make(chan struct{})
	return &fakeStream{f: f, ctx: ctx}, nil
}

type fakeStream struct {
	grpc.ClientStream
	f   *fakeSource
	ctx context.Context
}

func (s *fakeStream) Recv() (*pb.Batch, error) {
	s.f.inRecv.Add(1)
	defer s.f.inRecv.Add(-1)
	if i := int(s.f.sent.Load()); i < s.f.n {
		s.f.sent.Add(1)
		return &pb.Batch{Cursor: strconv.Itoa(i + 1)}, nil
	}
	defer close(s.f.ended)
	if s.f.block {
		<-s.ctx.Done()
		return nil, s.ctx.Err()
	}
	return nil, s.f.err
}

// Batches reach handle in order, prepared at most one batch ahead of the
// one handle holds.
func TestCollectAheadKeepsOrderAndBoundsWhatWaits(t *testing.T) {
	src := &fakeSource{n: 20, err: io.EOF}
	c := &Client{rpc: src}
	var prepared atomic.Int32
	var got []string
	err := CollectAhead(context.Background(), c, "", func(b Batch) string {
		prepared.Add(1)
		return b.Cursor
	}, func(cursor string) error {
		got = append(got, cursor)
		time.Sleep(time.Millisecond) // storing takes a while
		// This one, one waiting in the channel, one being prepared.
		if ahead := int(prepared.Load()) - len(got); ahead > 2 {
			t.Errorf("%d batches prepared ahead of the one handled", ahead)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, cursor := range got {
		if cursor != strconv.Itoa(i+1) {
			t.Fatalf("batches in the order %v", got)
		}
	}
	if len(got) != 20 {
		t.Fatalf("%d batches handled, want 20", len(got))
	}
}

// An error from handle ends the stream at once, and nothing outlives the
// call: the receiving goroutine has returned when CollectAhead does.
func TestCollectAheadStopsAtHandleErrorWithoutLeaking(t *testing.T) {
	src := &fakeSource{n: 3, block: true}
	c := &Client{rpc: src}
	stop := errors.New("refused")
	handled := 0
	err := c.Collect(context.Background(), "", func(b Batch) error {
		handled++
		if b.Cursor == "2" {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || handled != 2 {
		t.Fatalf("err %v after %d batches, want %v after 2", err, handled, stop)
	}
	if n := src.inRecv.Load(); n != 0 {
		t.Fatalf("%d Recv calls still under way after CollectAhead returned", n)
	}
}

// A stream that fails after some batches: those are handled, in order,
// then the stream's error is returned.
func TestCollectAheadReturnsTheStreamError(t *testing.T) {
	broken := errors.New("plugin went away")
	src := &fakeSource{n: 2, err: broken}
	c := &Client{rpc: src}
	var got []string
	err := c.Collect(context.Background(), "", func(b Batch) error {
		got = append(got, b.Cursor)
		return nil
	})
	if !errors.Is(err, broken) || len(got) != 2 || got[0] != "1" || got[1] != "2" {
		t.Fatalf("err %v after %v", err, got)
	}
	<-src.ended
}

// Canceling the call ends a stream that blocks, and the call returns.
func TestCollectAheadEndsWithItsContext(t *testing.T) {
	src := &fakeSource{n: 1, block: true}
	c := &Client{rpc: src}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- c.Collect(ctx, "", func(Batch) error { return nil })
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Collect did not return after its context ended")
	}
	<-src.ended
}
