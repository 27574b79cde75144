package bench

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/runrecord"
)

// RRLoad is rr measured while a bulk TCP stream runs on the same path,
// between the same endpoints: latency under load (queueing in the
// datapath, bufferbloat), reported beside idle rr with what load adds.
const RRLoad = runrecord.TestRRLoad

// loadRamp is how long the bulk stream runs before the rr test starts:
// past TCP's slow start on any lab or cluster path, so the queue is full.
const loadRamp = 300 * time.Millisecond

// underLoad runs the rr test spec while one TCP stream from the same
// endpoint to the same target keeps the path busy. The stream starts
// loadRamp before the test and lasts a second beyond it (whole seconds,
// as iperf3's protocol carries them), and the test waits for it to end:
// a stream cancelled mid-test would leave the server a terminated test to
// log. A stream that ends or fails before the test does fails the test
// (it was not under load).
func underLoad(ctx context.Context, c cluster.Cluster, b bound, spec engine.LatencySpec) (*engine.LatencyResult, error) {
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	load := engine.Spec{Protocol: engine.TCP, Streams: 1, ConnectTimeout: connectTimeout,
		Duration: (loadRamp + spec.Duration + 2*time.Second - 1).Truncate(time.Second)}
	done := make(chan error, 1)
	go func() {
		_, err := c.RunClient(lctx, b.from, b.target, load)
		done <- err
	}()
	select {
	case err := <-done:
		return nil, loadEnded("before the test", err)
	case <-time.After(loadRamp):
	case <-ctx.Done():
		<-done
		return nil, fmt.Errorf("rr under load interrupted: %w", ctx.Err())
	}
	res, err := c.RunLatency(ctx, b.from, b.target, spec)
	select {
	case lerr := <-done:
		if err == nil {
			res, err = nil, loadEnded("during the test", lerr)
		}
	default:
		if err != nil {
			stop()
		}
		<-done // the stream's own end, about a second later
	}
	return res, err
}

// loadEnded is the error of a load stream that stopped too early.
func loadEnded(when string, err error) error {
	if err == nil {
		err = errors.New("it finished")
	}
	return fmt.Errorf("the load stream ended %s: %w", when, err)
}
