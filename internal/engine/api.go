package engine

import (
	"context"
	"log/slog"
	"time"
)

// Limits protect a Server that runs many tests at once.
type Limits struct {
	MaxTests         int           // concurrent tests; 0 = DefaultMaxTests
	MaxStreams       int           // streams per test (both directions); 0 = MaxStreams*2
	MaxDuration      time.Duration // longest test (duration+omit) accepted; 0 = 1 hour
	HandshakeTimeout time.Duration // cookie, params and stream setup; 0 = 10 s
	IdleTimeout      time.Duration // no byte on any data stream of a running test for this long drops it; 0 = 2 min
	// MaxSetupsPerSource bounds the tests one client address may have in
	// setup (cookie sent, not yet running) at once, so that a client that
	// stalls its handshakes cannot take every test slot for
	// HandshakeTimeout; 0 = max(2, MaxTests/4).
	MaxSetupsPerSource int
	// MaxLatencyPerSource bounds the latency test connections (rr, crr,
	// udp-rr) one client address may hold at once; 0 = 64.
	MaxLatencyPerSource int
}

// DefaultMaxTests is how many tests a Server runs at once unless told.
const DefaultMaxTests = 16

// Server serves iperf3-protocol tests. Unlike iperf3 it runs several at once.
type Server struct {
	Network Network // nil = HostNetwork
	Limits  Limits
	Logger  *slog.Logger // nil = discard
	// OneOff stops Serve after the first test, like iperf3 -1.
	OneOff bool
	// OnTest, when set, receives the server-side report of each finished test.
	OnTest func(*ServerTest)
	// OnLatency, when set, is called as each latency test connection (rr,
	// crr, udp-rr) ends: they take no test slot and never reach OnTest.
	OnLatency func(remote string, mode LatencyMode, err error)
	// JSONOutput makes --get-server-output return iperf3's JSON document
	// (server_output_json) instead of text, like iperf3 -s -J.
	JSONOutput bool
}

// ServerTest is what the server saw of one test.
type ServerTest struct {
	Remote string
	Result *Result // server's point of view: local = server
	Err    error
}

// Client runs tests against an iperf3-protocol server.
type Client struct {
	Network Network // nil = HostNetwork
	// OnInterval, when set, receives each interval as it ends (for progress).
	// Run also calls the hooks of its context (WithIntervalHook).
	OnInterval func(Interval)
	// OnConnectRTT, when set, receives Result.ConnectRTT as soon as the
	// probes (Spec.RTTProbes) end, before the test connects; it is called
	// even when every probe failed, and not at all without probes.
	OnConnectRTT func(*RTT)
	// HandshakeTimeout bounds each setup step (connect unless
	// Spec.ConnectTimeout is set, every answer before the test runs, each
	// data connection) and the results exchange: a server that accepts but
	// does not answer fails the test after this long. 0 = 30 s.
	HandshakeTimeout time.Duration
}

// WithIntervalHook returns a context under which Client.Run calls hook with
// each interval as it ends, after Client.OnInterval. Hooks added to a
// context that already has one are called after it. A nil hook changes
// nothing.
//
// It is a context value, not a Client field, because whoever wants the
// intervals (bench's progress line) does not create the Client: it calls
// cluster.Cluster.RunClient, whose implementation creates one wherever the
// client runs. The context is the one thing that reaches that place: the
// lab runs the client in-process and so honours the hook; a backend whose
// client runs elsewhere (the kube backend, in a pod) may forward what it
// learns of the intervals through IntervalHook, or ignore it.
//
// Hooks run on the engine's sampling goroutine, with its state locked: they
// must return quickly, must not call into the test, and must not modify the
// Interval (it is the one the Result keeps).
func WithIntervalHook(ctx context.Context, hook func(Interval)) context.Context {
	if hook == nil {
		return ctx
	}
	if prev := IntervalHook(ctx); prev != nil {
		next := hook
		hook = func(iv Interval) { prev(iv); next(iv) }
	}
	return context.WithValue(ctx, intervalHookKey{}, hook)
}

// IntervalHook returns the hooks WithIntervalHook put in ctx, as one
// function, or nil.
func IntervalHook(ctx context.Context) func(Interval) {
	h, _ := ctx.Value(intervalHookKey{}).(func(Interval))
	return h
}

type intervalHookKey struct{}
