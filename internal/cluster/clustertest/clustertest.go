// Package clustertest is the conformance suite every cluster.Cluster
// runs from its tests: it checks the rules written on cluster.Cluster's
// methods, so bench can rely on them whatever the backend.
//
// What each backend's run covers:
//   - the lab: everything, with real namespaces, servers and clients
//     (root, under the test lock);
//   - kube: with client-go's fake clientset and a fake exec, so Endpoints,
//     Expose and Close run the backend's own code against a fake API
//     server, while RunClient checks only how the backend reads what the
//     exec'd client writes and how it stops on cancellation — no real pod
//     or Service carries traffic there (test/e2e/kube does that);
//   - bench's in-memory fake: the contract of the fake bench's own tests
//     rely on.
package clustertest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/engine"
)

// Options describe the cluster under test.
type Options struct {
	// Services is whether the cluster has Services: Expose returns
	// ClusterIP and NodePort targets, else none.
	Services bool
	// Port the suite's server listens on; 0 = the cluster's default.
	Port int
	// Spec is a short test with at least one interval, for RunClient;
	// zero = 2 s of TCP at 100 Mbit/s.
	Spec engine.Spec
	// CancelAfter is when the cancellation check cancels if no interval
	// has arrived first (a fake that reports intervals only at its end);
	// zero = 1 s.
	CancelAfter time.Duration
}

// Prompt bounds how long RunClient may take to return once its context
// is cancelled: generous for a loaded machine, far shorter than the
// minute-long test it interrupts.
const Prompt = 15 * time.Second

// Run builds one cluster with newCluster and checks it, in subtests.
func Run(t *testing.T, newCluster func(t *testing.T) cluster.Cluster, opts Options) {
	if opts.Spec == (engine.Spec{}) {
		opts.Spec = engine.Spec{Protocol: engine.TCP, Duration: 2 * time.Second, Rate: 100e6}
	}
	if opts.CancelAfter == 0 {
		opts.CancelAfter = time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c := newCluster(t)
	t.Cleanup(func() { _ = c.Close(context.Background()) })

	eps, err := c.Endpoints(ctx)
	if err != nil {
		t.Fatalf("Endpoints: %v", err)
	}
	t.Run("Endpoints", func(t *testing.T) { checkEndpoints(t, ctx, c, eps) })
	from, to, ok := podsOnTwoNodes(eps)
	if !ok {
		t.Fatalf("need a pod endpoint on each of two nodes, got %v", names(eps))
	}
	srv, err := c.StartServer(ctx, to, opts.Port)
	if err != nil {
		t.Fatalf("StartServer on %s: %v", to.Name, err)
	}
	t.Run("Server", func(t *testing.T) { checkServer(t, srv, to) })
	t.Run("Expose", func(t *testing.T) { checkExpose(t, ctx, c, srv, opts.Services) })
	t.Run("IntervalHook", func(t *testing.T) { checkIntervalHook(t, ctx, c, from, srv.Target(), opts.Spec) })
	t.Run("Cancel", func(t *testing.T) { checkCancel(t, ctx, c, from, srv.Target(), opts) })
	t.Run("NodeToItself", func(t *testing.T) { checkNodeToItself(t, ctx, c, eps, opts) })
	t.Run("Latency", func(t *testing.T) { checkLatency(t, ctx, c, from, srv.Target()) })
	t.Run("LatencyCancel", func(t *testing.T) { checkLatencyCancel(t, ctx, c, from, srv.Target(), opts.CancelAfter) })
	t.Run("LatencyUnderLoad", func(t *testing.T) { checkLatencyUnderLoad(t, ctx, c, from, srv.Target(), opts.Spec) })
	t.Run("NodeCPU", func(t *testing.T) { checkNodeCPU(t, ctx, c, eps) })
	t.Run("CloseTwice", func(t *testing.T) {
		if err := srv.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
		for i := range 2 {
			if err := c.Close(ctx); err != nil {
				t.Errorf("Close #%d: %v", i+1, err)
			}
		}
	})
}

func names(eps []cluster.Endpoint) []string {
	out := make([]string, len(eps))
	for i, e := range eps {
		out[i] = e.Name
	}
	return out
}

// checkEndpoints checks the order and naming cluster.Cluster.Endpoints
// documents, and that a second call returns the same.
func checkEndpoints(t *testing.T, ctx context.Context, c cluster.Cluster, eps []cluster.Endpoint) {
	var nodes []string
	podsOn := map[string]int{}
	seen := map[string]bool{}
	podsStarted, externals := false, 0
	prevNode := 0 // the node index of the last pod seen
	for _, e := range eps {
		if seen[e.Name] {
			t.Errorf("endpoint name %s twice", e.Name)
		}
		seen[e.Name] = true
		if len(e.Addrs) == 0 {
			t.Errorf("%s has no address", e.Name)
		} else if !e.Addrs[0].Is4() && slices.ContainsFunc(e.Addrs, netip.Addr.Is4) {
			t.Errorf("%s: addresses %v, want IPv4 first", e.Name, e.Addrs)
		}
		switch e.Kind {
		case cluster.NodeEndpoint:
			if podsStarted || externals > 0 {
				t.Errorf("node endpoint %s after pod or external endpoints: %v", e.Name, names(eps))
			}
			if e.Node != e.Name {
				t.Errorf("node endpoint %s has Node %q, want itself", e.Name, e.Node)
			}
			nodes = append(nodes, e.Name)
		case cluster.ExternalEndpoint:
			externals++
			if externals == 1 && e.Name != cluster.ExternalName {
				t.Errorf("the first external endpoint is named %s, want %s", e.Name, cluster.ExternalName)
			}
			if e.Node != "" {
				t.Errorf("external endpoint %s on node %q, want none", e.Name, e.Node)
			}
		case cluster.PodEndpoint:
			if externals > 0 {
				t.Errorf("pod endpoint %s after external endpoints: %v", e.Name, names(eps))
			}
			podsStarted = true
			i := slices.Index(nodes, e.Node)
			if i < 0 {
				t.Errorf("pod %s on %q, which is no node endpoint %v", e.Name, e.Node, nodes)
				continue
			}
			if i < prevNode {
				t.Errorf("pod %s on %s comes after pods of a later node: %v", e.Name, e.Node, names(eps))
			}
			prevNode = i
			podsOn[e.Node]++
			if want := fmt.Sprintf("pod-%d%c", i+1, 'a'+podsOn[e.Node]-1); e.Name != want {
				t.Errorf("pod %d on node %d (%s) is named %s, want %s", podsOn[e.Node], i+1, e.Node, e.Name, want)
			}
		default:
			t.Errorf("%s has kind %q", e.Name, e.Kind)
		}
	}
	if len(nodes) < 2 {
		t.Errorf("%d node endpoints, want at least two: %v", len(nodes), names(eps))
	}
	again, err := c.Endpoints(ctx)
	if err != nil || !reflect.DeepEqual(again, eps) {
		t.Errorf("a second Endpoints call differs: %v, %v\nfirst: %v", names(again), err, names(eps))
	}
}

// podsOnTwoNodes is the first pod of the first node and of the last.
func podsOnTwoNodes(eps []cluster.Endpoint) (from, to cluster.Endpoint, ok bool) {
	var pods []cluster.Endpoint
	for _, e := range eps {
		if e.Kind == cluster.PodEndpoint {
			pods = append(pods, e)
		}
	}
	if len(pods) == 0 {
		return from, to, false
	}
	from, to = pods[0], pods[len(pods)-1]
	for _, p := range pods {
		if p.Node == to.Node {
			to = p
			break
		}
	}
	return from, to, from.Node != to.Node
}

func checkServer(t *testing.T, srv cluster.Server, ep cluster.Endpoint) {
	if got := srv.Endpoint(); got.Name != ep.Name || got.Kind != ep.Kind {
		t.Errorf("server's endpoint %+v, want %+v", got, ep)
	}
	tg := srv.Target()
	if tg.Kind != cluster.DirectTarget || tg.Backend.Name != ep.Name || !slices.Contains(ep.Addrs, tg.Addr.Addr()) || tg.Addr.Port() == 0 {
		t.Errorf("server's target %+v: want kind %s to an address of %s (%v) with a port", tg, cluster.DirectTarget, ep.Name, ep.Addrs)
	}
}

func checkExpose(t *testing.T, ctx context.Context, c cluster.Cluster, srv cluster.Server, services bool) {
	ts, err := c.Expose(ctx, srv)
	if err != nil {
		t.Fatalf("Expose: %v", err)
	}
	if !services {
		if len(ts) != 0 {
			t.Errorf("a cluster without Services exposed %+v", ts)
		}
		return
	}
	kinds := map[cluster.TargetKind]int{}
	for _, tg := range ts {
		kinds[tg.Kind]++
		if tg.Kind != cluster.ClusterIPTarget && tg.Kind != cluster.NodePortTarget {
			t.Errorf("target %s %s: want kind %s or %s", tg.Kind, tg.Addr, cluster.ClusterIPTarget, cluster.NodePortTarget)
		}
		if tg.Backend.Name != srv.Endpoint().Name || !tg.Addr.IsValid() {
			t.Errorf("target %s %s: backend %s, want the server's %s", tg.Kind, tg.Addr, tg.Backend.Name, srv.Endpoint().Name)
		}
	}
	if kinds[cluster.ClusterIPTarget] == 0 || kinds[cluster.NodePortTarget] == 0 {
		t.Errorf("targets by kind %v: want a ClusterIP and a NodePort", kinds)
	}
}

// checkNodeToItself: a node endpoint serves a client on that same node
// endpoint (bench's node-node-same, the baseline of the same-node paths),
// at one of the node's own addresses, and the path says it never leaves
// the node: no underlay MTU, not encapsulated.
func checkNodeToItself(t *testing.T, ctx context.Context, c cluster.Cluster, eps []cluster.Endpoint, opts Options) {
	i := slices.IndexFunc(eps, func(e cluster.Endpoint) bool { return e.Kind == cluster.NodeEndpoint })
	if i < 0 {
		t.Fatalf("no node endpoint in %v", names(eps))
	}
	node := eps[i]
	srv, err := c.StartServer(ctx, node, opts.Port)
	if err != nil {
		t.Fatalf("StartServer on %s: %v", node.Name, err)
	}
	defer func() {
		if err := srv.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	}()
	to := srv.Target()
	if !slices.Contains(node.Addrs, to.Addr.Addr()) {
		t.Errorf("target %s is not an address of %s (%v)", to.Addr, node.Name, node.Addrs)
	}
	if res, err := c.RunClient(ctx, node, to, opts.Spec); err != nil || res == nil {
		t.Fatalf("RunClient %s → itself at %s: %v, %v", node.Name, to.Addr, res, err)
	}
	p, err := c.Path(ctx, node, to)
	if err != nil {
		t.Fatalf("Path %s → itself: %v", node.Name, err)
	}
	if p.UnderlayMTU != 0 || p.Encapsulated || p.Datapath != cluster.Host {
		t.Errorf("path %s → itself %+v: want %s, no underlay MTU, not encapsulated", node.Name, p, cluster.Host)
	}
}

// checkIntervalHook: RunClient calls the context's hook with each
// interval, and not after it has returned.
func checkIntervalHook(t *testing.T, ctx context.Context, c cluster.Cluster, from cluster.Endpoint, to cluster.Target, spec engine.Spec) {
	var calls atomic.Int32
	var returned atomic.Bool
	hook := func(engine.Interval) {
		calls.Add(1)
		if returned.Load() {
			t.Error("the interval hook was called after RunClient returned")
		}
	}
	res, err := c.RunClient(engine.WithIntervalHook(ctx, hook), from, to, spec)
	returned.Store(true)
	if err != nil || res == nil {
		t.Fatalf("RunClient %s → %s %s: %v, %v", from.Name, to.Kind, to.Addr, res, err)
	}
	if calls.Load() == 0 {
		t.Errorf("RunClient of a %v test called the interval hook 0 times", spec.Duration)
	}
}

// checkCancel: a long test whose context is cancelled (at its first
// interval, or after CancelAfter) ends promptly with ctx's error.
func checkCancel(t *testing.T, ctx context.Context, c cluster.Cluster, from cluster.Endpoint, to cluster.Target, opts Options) {
	spec := opts.Spec
	spec.Duration, spec.Bytes, spec.Blocks = time.Minute, 0, 0
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var once sync.Once
	var cancelled time.Time
	cancelNow := func() {
		once.Do(func() {
			cancelled = time.Now()
			cancel()
		})
	}
	timer := time.AfterFunc(opts.CancelAfter, cancelNow)
	defer timer.Stop()
	res, err := c.RunClient(engine.WithIntervalHook(cctx, func(engine.Interval) { cancelNow() }), from, to, spec)
	cancelNow() // a no-op unless RunClient returned before cancelling
	took := time.Since(cancelled)
	switch {
	case err == nil:
		t.Fatalf("a cancelled RunClient returned a result and no error: %+v", res)
	case !errors.Is(err, context.Canceled):
		t.Errorf("a cancelled RunClient returned %v, which does not wrap %v", err, context.Canceled)
	}
	if took > Prompt {
		t.Errorf("RunClient returned %v after its context was cancelled, want within %v", took.Round(time.Millisecond), Prompt)
	}
}
