package lab

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"sync"

	"github.com/cnibench/cnibench/internal/units"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/netns"
	"golang.org/x/sys/unix"
)

var (
	_ cluster.Cluster = (*Lab)(nil)
	_ engine.Network  = netns.Network{}
)

// Info describes the lab for a run's record.
func (l *Lab) Info(ctx context.Context) (cluster.Info, error) {
	info := cluster.Info{Kind: "lab", Name: "lab-" + l.cfg.ID, CPUs: runtime.NumCPU(), Details: l.cfg, Warnings: l.cfg.mtuWarnings(), Facts: append(l.cfg.facts(), cpuFact),
		ServiceProxy: "kube-proxy " + string(l.cfg.ServiceProxy)}
	for _, n := range l.nodes {
		info.Nodes = append(info.Nodes, NodeName(n.idx))
	}
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		info.Kernel = unix.ByteSliceToString(u.Release[:])
	}
	return info, nil
}

// Endpoints lists the nodes (host network), the pods, node by node, then
// the external host.
func (l *Lab) Endpoints(ctx context.Context) ([]cluster.Endpoint, error) {
	var eps []cluster.Endpoint
	for _, n := range l.nodes {
		eps = append(eps, l.nodeEndpoint(n.idx))
	}
	for _, n := range l.nodes {
		for _, p := range n.pods {
			eps = append(eps, l.podEndpoint(n.idx, p.idx))
		}
	}
	return append(eps, l.externalEndpoint()), nil
}

func (l *Lab) externalEndpoint() cluster.Endpoint {
	ep := cluster.Endpoint{Name: cluster.ExternalName, Kind: cluster.ExternalEndpoint, Addrs: []netip.Addr{ExternalIP()}}
	if l.cfg.DualStack {
		ep.Addrs = append(ep.Addrs, ExternalIP6())
	}
	return ep
}

func (l *Lab) nodeEndpoint(i int) cluster.Endpoint {
	ep := cluster.Endpoint{Name: NodeName(i), Node: NodeName(i), Kind: cluster.NodeEndpoint, Addrs: []netip.Addr{NodeIP(i)}}
	if l.cfg.DualStack {
		ep.Addrs = append(ep.Addrs, NodeIP6(i))
	}
	return ep
}

func (l *Lab) podEndpoint(i, j int) cluster.Endpoint {
	ep := cluster.Endpoint{Name: PodName(i, j), Node: NodeName(i), Kind: cluster.PodEndpoint, Addrs: []netip.Addr{PodIP(i, j)}}
	if l.cfg.DualStack {
		ep.Addrs = append(ep.Addrs, PodIP6(i, j))
	}
	return ep
}

// Network is the endpoint's namespace as the engine (or a test) sees it.
func (l *Lab) Network(ep cluster.Endpoint) (netns.Network, error) {
	if ep.Kind == cluster.ExternalEndpoint && ep.Name == cluster.ExternalName {
		return netns.Network{NS: l.ext}, nil
	}
	for _, n := range l.nodes {
		if ep.Kind == cluster.NodeEndpoint && ep.Name == NodeName(n.idx) {
			return netns.Network{NS: n.ns}, nil
		}
		for _, p := range n.pods {
			if ep.Kind == cluster.PodEndpoint && ep.Name == PodName(n.idx, p.idx) {
				return netns.Network{NS: p.ns}, nil
			}
		}
	}
	return netns.Network{}, fmt.Errorf("lab %s has no %s endpoint %q", l.cfg.ID, ep.Kind, ep.Name)
}

// server is an engine server running inside an endpoint's namespace.
type server struct {
	lab    *Lab
	ep     cluster.Endpoint
	port   int
	ln     net.Listener
	cancel context.CancelFunc
	done   chan struct{}
	err    error
	once   sync.Once
}

func (s *server) Endpoint() cluster.Endpoint { return s.ep }

func (s *server) Target() cluster.Target {
	return cluster.Target{Kind: cluster.DirectTarget, Addr: netip.AddrPortFrom(s.ep.Addrs[0], uint16(s.port)), Backend: s.ep}
}

// Stop ends the server and waits for it.
func (s *server) Stop(ctx context.Context) error {
	s.once.Do(func() {
		s.cancel()
		s.ln.Close()
		s.lab.mu.Lock()
		delete(s.lab.servers, s)
		s.lab.mu.Unlock()
	})
	select {
	case <-s.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if s.err != nil && !errors.Is(s.err, context.Canceled) && !errors.Is(s.err, net.ErrClosed) {
		return fmt.Errorf("server on %s: %w", s.ep.Name, s.err)
	}
	return nil
}

// StartServer runs an engine server inside ep's namespace, listening on
// port (0 = engine.DefaultPort) on all its addresses, TCP and UDP.
func (l *Lab) StartServer(ctx context.Context, ep cluster.Endpoint, port int) (cluster.Server, error) {
	if port == 0 {
		port = engine.DefaultPort
	}
	nw, err := l.Network(ep)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, fmt.Errorf("lab %s is closed", l.cfg.ID)
	}
	ln, err := nw.Listen(ctx, "tcp", fmt.Sprintf(":%d", port))
	if err != nil {
		return nil, fmt.Errorf("start server on %s: %w", ep.Name, err)
	}
	sctx, cancel := context.WithCancel(context.Background())
	s := &server{lab: l, ep: l.canonical(ep), port: port, ln: ln, cancel: cancel, done: make(chan struct{})}
	srv := &engine.Server{Network: nw, Logger: l.log}
	go func() {
		defer close(s.done)
		s.err = srv.Serve(sctx, ln)
	}()
	l.servers[s] = struct{}{}
	return s, nil
}

// canonical returns the lab's own record of ep (with its addresses).
func (l *Lab) canonical(ep cluster.Endpoint) cluster.Endpoint {
	eps, _ := l.Endpoints(context.Background())
	for _, e := range eps {
		if e.Name == ep.Name && e.Kind == ep.Kind {
			return e
		}
	}
	return ep
}

// Expose puts a Service in front of srv: a ClusterIP (and an IPv6 one when
// dual-stack) and a NodePort on every node, for TCP and UDP, programmed
// into every node's nftables like kube-proxy. Targets come ClusterIPs
// first, then the NodePort through each node (IPv4, then IPv6).
func (l *Lab) Expose(ctx context.Context, srv cluster.Server) ([]cluster.Target, error) {
	s, ok := srv.(*server)
	if !ok || s.lab != l {
		return nil, fmt.Errorf("expose: server was not started by lab %s", l.cfg.ID)
	}
	return l.expose(s.ep, s.port)
}

// expose programs a Service for the server listening on ep's port.
func (l *Lab) expose(ep cluster.Endpoint, port int) ([]cluster.Target, error) {
	ep = l.canonical(ep)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, fmt.Errorf("lab %s is closed", l.cfg.ID)
	}
	n := len(l.services)
	if NodePortBase+n > 32767 {
		return nil, fmt.Errorf("expose %s: no NodePort left", ep.Name)
	}
	svc := service{n: n, name: ep.Name, backend4: ep.Addrs[0], port: uint16(port), nodePort: uint16(NodePortBase + n)}
	if len(ep.Addrs) > 1 {
		svc.backend6 = ep.Addrs[1]
	}
	if err := l.addService(svc); err != nil {
		return nil, fmt.Errorf("expose %s: %w", ep.Name, err)
	}
	l.services = append(l.services, svc)
	targets := []cluster.Target{{Kind: cluster.ClusterIPTarget, Addr: netip.AddrPortFrom(ClusterIP(n), svc.port), Backend: ep}}
	if svc.backend6.IsValid() {
		targets = append(targets, cluster.Target{Kind: cluster.ClusterIPTarget, Addr: netip.AddrPortFrom(ClusterIP6(n), svc.port), Backend: ep})
	}
	for _, nd := range l.nodes {
		targets = append(targets, cluster.Target{Kind: cluster.NodePortTarget, Addr: netip.AddrPortFrom(NodeIP(nd.idx), svc.nodePort), Backend: ep})
	}
	if svc.backend6.IsValid() {
		for _, nd := range l.nodes {
			targets = append(targets, cluster.Target{Kind: cluster.NodePortTarget, Addr: netip.AddrPortFrom(NodeIP6(nd.idx), svc.nodePort), Backend: ep})
		}
	}
	return targets, nil
}

// RunClient runs one engine test from inside from's namespace against to.
func (l *Lab) RunClient(ctx context.Context, from cluster.Endpoint, to cluster.Target, spec engine.Spec) (*engine.Result, error) {
	nw, err := l.Network(from)
	if err != nil {
		return nil, err
	}
	c := &engine.Client{Network: nw}
	res, err := c.Run(ctx, to.Addr.String(), spec)
	if err != nil {
		return nil, fmt.Errorf("run client on %s against %s %s: %w", from.Name, to.Kind, to.Addr, err)
	}
	return res, nil
}

// RunLatency runs one engine latency test from inside from's namespace
// against to.
func (l *Lab) RunLatency(ctx context.Context, from cluster.Endpoint, to cluster.Target, spec engine.LatencySpec) (*engine.LatencyResult, error) {
	nw, err := l.Network(from)
	if err != nil {
		return nil, err
	}
	c := &engine.Client{Network: nw}
	res, err := c.RunLatency(ctx, to.Addr.String(), spec)
	if err != nil {
		return nil, fmt.Errorf("run %s client on %s against %s %s: %w", spec.Mode, from.Name, to.Kind, to.Addr, err)
	}
	return res, nil
}

// Path says what the lab built between from and to.
func (l *Lab) Path(ctx context.Context, from cluster.Endpoint, to cluster.Target) (cluster.Path, error) {
	if _, err := l.Network(from); err != nil {
		return cluster.Path{}, err
	}
	if _, err := l.Network(to.Backend); err != nil {
		return cluster.Path{}, err
	}
	v6 := to.Addr.Addr().Is6()
	dp := l.cfg.Datapath
	if v6 && dp == IPIP {
		dp = Routed // Calico routes IPv6 pools without IPIP
	}
	backendPod := to.Backend.Kind == cluster.PodEndpoint
	// The node where the packet enters the pod network towards the backend.
	entry := from.Node
	if to.Kind == cluster.NodePortTarget {
		entry = l.nodeOfIP(to.Addr.Addr())
	}
	encap := dp.Encapsulates() && backendPod && entry != to.Backend.Node
	crosses := from.Node != to.Backend.Node || entry != from.Node
	p := cluster.Path{Datapath: dp, Encapsulated: encap}
	if crosses { // a path inside one node never meets the underlay
		p.UnderlayMTU = l.cfg.UnderlayMTU
	}
	if from.Kind == cluster.NodeEndpoint && !backendPod {
		p.Datapath = cluster.Host
	}
	if encap {
		p.HeaderTax = headerTax(dp)
	}
	switch {
	case from.Kind == cluster.PodEndpoint:
		p.MTU = l.cfg.PodMTU
	case !backendPod && !crosses:
		p.MTU = LoopbackMTU // the node's own address is routed through its lo
	case encap && to.Kind != cluster.NodePortTarget:
		p.MTU = l.cfg.UnderlayMTU - headerTax(dp) // the node sends through its tunnel
	default:
		p.MTU = l.cfg.UnderlayMTU
	}
	if crosses {
		p.LinkRate = l.pathRate(from.Node, to.Backend.Node)
		p.UnderlayFamily = cluster.FamilyOf(to.Addr.Addr())
		if encap {
			p.UnderlayFamily = cluster.IPv4 // tunnels run over IPv4 even for IPv6 pods (headerTax)
		}
	}
	return p, nil
}

// pathRate is the slowest shaping between two nodes' uplinks (0 = unshaped).
func (l *Lab) pathRate(a, b string) uint64 {
	var rate uint64
	for _, n := range l.nodes {
		if NodeName(n.idx) != a && NodeName(n.idx) != b {
			continue
		}
		if r, _ := l.cfg.uplinkRate(n.idx); r > 0 && (rate == 0 || r < rate) {
			rate = r
		}
	}
	return rate
}

// LoopbackMTU is the MTU of a node's lo, the kernel's default (the lab
// leaves it): what a node's traffic to its own address is sent with.
const LoopbackMTU = 65536

// nodeOfIP names the node owning an underlay address ("" if none).
func (l *Lab) nodeOfIP(a netip.Addr) string {
	for _, n := range l.nodes {
		if a == NodeIP(n.idx) || a == NodeIP6(n.idx) {
			return NodeName(n.idx)
		}
	}
	return ""
}

// Close stops the lab's servers and removes everything it built. Closing
// twice is fine.
func (l *Lab) Close(ctx context.Context) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	servers := make([]*server, 0, len(l.servers))
	for s := range l.servers {
		servers = append(servers, s)
	}
	l.mu.Unlock()
	var errs []error
	for _, s := range servers {
		if err := s.Stop(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.teardown(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("close lab %s: %w", l.cfg.ID, errors.Join(errs...))
	}
	l.log.Info("lab removed", "id", l.cfg.ID)
	return nil
}

// String is a one-line description.
func (l *Lab) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "lab %s: %d nodes × %d pods, %s, MTU %d/%d", l.cfg.ID, l.cfg.Nodes, l.cfg.PodsPerNode,
		l.cfg.Datapath, l.cfg.UnderlayMTU, l.cfg.PodMTU)
	if l.cfg.LinkRate > 0 {
		fmt.Fprintf(&b, ", %s", units.FormatRate(float64(l.cfg.LinkRate)))
	}
	return b.String()
}
