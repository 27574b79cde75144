package bench

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/engine"
)

// fakeCluster is a cluster.Cluster in memory: nodes with pods, servers that
// only record themselves, and clients that return a made-up Result whose
// goodput depends on the kinds of the endpoints and, like the shaped lab,
// on whether they share a node: a path inside one node is not limited by
// the link between nodes, so it is sameNodeSpeedup times as fast. Like the lab, it honours
// the engine's interval hook: two intervals per test, at half the goodput
// and at the goodput, from a goroutine of their own.
type fakeCluster struct {
	nodes, podsPerNode int
	noServices         bool
	external           bool                                                   // an external endpoint after the pods, like the lab's
	failTarget         cluster.TargetKind                                     // RunClient fails against targets of this kind
	run                func(ctx context.Context, from cluster.Endpoint) error // called by RunClient when set
	expose             func(ctx context.Context) error                        // called by Expose when set
	warnings           []string                                               // Info's
	facts              []string                                               // Info's

	mu       sync.Mutex
	calls    []string // "start pod-2a", "expose pod-2a", "client pod-1a clusterip", "stop pod-2a", "close"
	servers  map[string]bool
	running  atomic.Int32
	overlap  atomic.Bool // two clients ran at once
	closed   bool
	rate     float64 // base goodput; 0 = 1e9
	duration time.Duration
}

func (f *fakeCluster) log(format string, a ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf(format, a...))
}

func (f *fakeCluster) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func nodeName(i int) string   { return fmt.Sprintf("node-%d", i) }
func podName(i, j int) string { return fmt.Sprintf("pod-%d%c", i, 'a'+j-1) }

func (f *fakeCluster) Info(ctx context.Context) (cluster.Info, error) {
	info := cluster.Info{Kind: "fake", Name: "fake", CPUs: 2, Warnings: f.warnings, Facts: f.facts}
	for i := 1; i <= f.nodes; i++ {
		info.Nodes = append(info.Nodes, nodeName(i))
	}
	return info, nil
}

func (f *fakeCluster) Endpoints(ctx context.Context) ([]cluster.Endpoint, error) {
	var eps []cluster.Endpoint
	for i := 1; i <= f.nodes; i++ {
		eps = append(eps, cluster.Endpoint{Name: nodeName(i), Node: nodeName(i), Kind: cluster.NodeEndpoint,
			Addrs: []netip.Addr{netip.AddrFrom4([4]byte{198, 18, 0, byte(i)})}})
	}
	for i := 1; i <= f.nodes; i++ {
		for j := 1; j <= f.podsPerNode; j++ {
			eps = append(eps, cluster.Endpoint{Name: podName(i, j), Node: nodeName(i), Kind: cluster.PodEndpoint,
				Addrs: []netip.Addr{netip.AddrFrom4([4]byte{198, 19, byte(i), byte(10 + j)})}})
		}
	}
	if f.external {
		eps = append(eps, cluster.Endpoint{Name: cluster.ExternalName, Kind: cluster.ExternalEndpoint, Addrs: []netip.Addr{fakeExternalIP}})
	}
	return eps, nil
}

type fakeServer struct {
	f    *fakeCluster
	ep   cluster.Endpoint
	port int
}

func (s *fakeServer) Endpoint() cluster.Endpoint { return s.ep }
func (s *fakeServer) Target() cluster.Target {
	return cluster.Target{Kind: cluster.DirectTarget, Addr: netip.AddrPortFrom(s.ep.Addrs[0], uint16(s.port)), Backend: s.ep}
}
func (s *fakeServer) Stop(ctx context.Context) error {
	s.f.log("stop %s", s.ep.Name)
	s.f.mu.Lock()
	delete(s.f.servers, s.ep.Name)
	s.f.mu.Unlock()
	return nil
}

func (f *fakeCluster) StartServer(ctx context.Context, ep cluster.Endpoint, port int) (cluster.Server, error) {
	f.log("start %s:%d", ep.Name, port)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, errors.New("closed")
	}
	if f.servers == nil {
		f.servers = map[string]bool{}
	}
	if f.servers[ep.Name] {
		return nil, fmt.Errorf("address in use on %s", ep.Name)
	}
	f.servers[ep.Name] = true
	if port == 0 {
		port = engine.DefaultPort
	}
	return &fakeServer{f: f, ep: ep, port: port}, nil
}

func (f *fakeCluster) Expose(ctx context.Context, srv cluster.Server) ([]cluster.Target, error) {
	f.log("expose %s", srv.Endpoint().Name)
	if f.expose != nil {
		if err := f.expose(ctx); err != nil {
			return nil, err
		}
	}
	if f.noServices {
		return nil, nil
	}
	ep := srv.Endpoint()
	ts := []cluster.Target{
		{Kind: cluster.ClusterIPTarget, Addr: netip.MustParseAddrPort("[fd00::10]:5201"), Backend: ep},
		{Kind: cluster.ClusterIPTarget, Addr: netip.MustParseAddrPort("198.18.128.10:5201"), Backend: ep},
	}
	for i := 1; i <= f.nodes; i++ {
		ts = append(ts, cluster.Target{Kind: cluster.NodePortTarget, Addr: netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 18, 0, byte(i)}), 30000), Backend: ep})
	}
	return ts, nil
}

func (f *fakeCluster) RunClient(ctx context.Context, from cluster.Endpoint, to cluster.Target, spec engine.Spec) (*engine.Result, error) {
	if f.running.Add(1) > 1 {
		f.overlap.Store(true)
	}
	defer f.running.Add(-1)
	f.log("client %s %s %s %s", from.Name, to.Kind, to.Addr, spec.Protocol)
	if f.run != nil {
		if err := f.run(ctx, from); err != nil {
			return nil, err
		}
	}
	if f.duration > 0 {
		select {
		case <-time.After(f.duration):
		case <-ctx.Done():
			return nil, fmt.Errorf("test interrupted: %w", ctx.Err())
		}
	}
	if to.Kind == f.failTarget {
		return nil, fmt.Errorf("connect to %s: connection refused", to.Addr)
	}
	if _, err := spec.Normalize(); err != nil {
		return nil, err
	}
	rate := f.rate
	if rate == 0 {
		rate = 1e9
	}
	if from.Kind == cluster.PodEndpoint {
		rate *= 0.95
	}
	if staysOnNode(from, to) {
		rate *= sameNodeSpeedup
	}
	if hook := engine.IntervalHook(ctx); hook != nil {
		done := make(chan struct{})
		go func() {
			defer close(done)
			for i, share := range []float64{0.5, 1} {
				hook(engine.Interval{Sum: engine.IntervalStream{Start: float64(i), End: float64(i + 1), Seconds: 1,
					BitsPerSecond: share * rate * float64(spec.Streams), Sender: true}})
			}
		}()
		<-done
	}
	res := &engine.Result{Spec: spec}
	res.SumReceived = engine.Totals{Seconds: spec.Duration.Seconds(), BitsPerSecond: rate * float64(spec.Streams), Bytes: uint64(rate / 8)}
	res.SumSent = res.SumReceived
	return res, nil
}

func (f *fakeCluster) Path(ctx context.Context, from cluster.Endpoint, to cluster.Target) (cluster.Path, error) {
	p := cluster.Path{Datapath: "fake", MTU: 1500, UnderlayMTU: 1500}
	if from.Kind == cluster.NodeEndpoint && to.Backend.Kind == cluster.NodeEndpoint {
		p.Datapath = "host"
	}
	if staysOnNode(from, to) {
		p.UnderlayMTU = 0 // never meets the underlay
	}
	return p, nil
}

var fakeExternalIP = netip.MustParseAddr("198.18.0.254")

// staysOnNode: the fake's packets never leave from's node: the backend is
// there, and so is the NodePort's node.
func staysOnNode(from cluster.Endpoint, to cluster.Target) bool {
	if from.Node != to.Backend.Node {
		return false
	}
	if to.Kind == cluster.NodePortTarget {
		return to.Addr.Addr() == netip.AddrFrom4([4]byte{198, 18, 0, from.Node[len(from.Node)-1] - '0'})
	}
	return true
}

// sameNodeSpeedup is how much faster the fake's same-node paths are than
// its cross-node ones (the shaped lab's are ~20×).
const sameNodeSpeedup = 20

func (f *fakeCluster) Close(ctx context.Context) error {
	f.log("close")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}

// recorder records events.
type recorder struct {
	mu        sync.Mutex
	notes     []string
	started   []Progress
	finished  []Progress
	intervals []float64 // bits/s
	order     []string  // "start 1", "interval 1", "finish 1"
	onFinish  func(Progress)
}

func (r *recorder) Note(m string) { r.mu.Lock(); r.notes = append(r.notes, m); r.mu.Unlock() }
func (r *recorder) TestStarted(p Progress) {
	r.mu.Lock()
	r.started = append(r.started, p)
	r.order = append(r.order, fmt.Sprintf("start %d", p.Index))
	r.mu.Unlock()
}
func (r *recorder) TestInterval(p Progress, iv engine.Interval) {
	r.mu.Lock()
	r.intervals = append(r.intervals, iv.Sum.BitsPerSecond)
	r.order = append(r.order, fmt.Sprintf("interval %d", p.Index))
	r.mu.Unlock()
}
func (r *recorder) TestFinished(p Progress) {
	r.mu.Lock()
	r.finished = append(r.finished, p)
	r.order = append(r.order, fmt.Sprintf("finish %d", p.Index))
	r.mu.Unlock()
	if r.onFinish != nil {
		r.onFinish(p)
	}
}
