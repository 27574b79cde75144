package kube

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cnibench/cnibench/internal/agent"
	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/engine"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

var _ cluster.Cluster = (*Cluster)(nil)

// serviceProbeTimeout bounds how long Expose waits for a Service to answer
// once its EndpointSlices list the pod Ready: kube-proxy (or the CNI's
// replacement) programs it asynchronously, by default within ~1 s.
const serviceProbeTimeout = 30 * time.Second

// Cluster is one run's place on a Kubernetes cluster: its namespace, node
// pair and endpoint pods. Build it with New; Close removes it.
type Cluster struct {
	cfg    Config
	ns     string
	choice NodeChoice
	mesh   *MeshChoice // a mesh's nodes; nil for a pair
	nodes  map[string]*corev1.Node
	pods   []podSpec
	eps    []cluster.Endpoint
	byName map[string]podSpec // endpoint name → its pod

	external     *cluster.Endpoint // Config.ExternalServer, resolved; nil = none
	externalPort int

	mu      sync.Mutex // guards the fields below, and eps's addresses (Recover changes them)
	closed  bool
	netinfo map[string][]agent.NetInterface // by pod name
	cni     *CNI
	uids    map[string]types.UID // by pod name: a pod of another UID replaced ours
	// restarts are each pod's container restart counts when it became
	// Ready: a count above it is a restart.
	restarts map[string]map[string]int32
	watch    *podWatch // the run's pods, watched from their start to Close (watch.go)
	onLoss   func(cluster.Loss)
	told     map[string]toldLoss         // by pod name: the loss the watch last told of
	exposed  map[string][]cluster.Target // by pod name: the Services in front of it
	// streamBroke is an exec that failed without its command's exit
	// status since the last Recover: the API server may have gone away.
	streamBroke error
	proxy       *ServiceProxy
	families    Families // read when the pods run, ClusterIPs added by the first Expose
}

// New prepares a run on the cluster: it chooses the node pair, creates
// the namespace cnibench-<ID>, starts the endpoint pods and waits until
// they are Ready. On any error it removes what it created.
func New(ctx context.Context, cfg Config) (*Cluster, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("kube: %w", err)
	}
	if cfg.Exec == nil {
		cfg.Exec = remoteExecutor{client: cfg.Client, config: cfg.REST}
	}
	c := &Cluster{cfg: cfg, ns: cfg.namespace(), netinfo: map[string][]agent.NetInterface{}, nodes: map[string]*corev1.Node{}, byName: map[string]podSpec{},
		uids: map[string]types.UID{}, exposed: map[string][]cluster.Target{}, restarts: map[string]map[string]int32{}, told: map[string]toldLoss{}}
	list, choice, err := listAndChooseNodes(ctx, cfg)
	if err != nil {
		return nil, err
	}
	c.choice = choice
	if cfg.Mesh != nil {
		mc, err := ChooseMeshNodes(list.Items, *cfg.Mesh, cfg.tolerations())
		if err != nil {
			return nil, err
		}
		c.mesh = &mc
		c.choice = NodeChoice{Nodes: [2]string{mc.Nodes[0].Name, mc.Nodes[1].Name}, Reason: fmt.Sprintf("mesh of %d nodes", len(mc.Nodes)), taints: mc.taints}
	}
	if cfg.ExternalServer != "" {
		ep, port, err := resolveExternal(ctx, cfg.ExternalServer)
		if err != nil {
			return nil, err
		}
		c.external, c.externalPort = &ep, port
	}
	for i := range list.Items {
		c.nodes[list.Items[i].Name] = &list.Items[i]
	}
	c.families = nodeFamilies(c.pairNodes())
	if err := c.families.checkWanted(cfg.IPFamilies, false); err != nil {
		return nil, err // before any pod: nothing to remove
	}
	cfg.Logger.Info("node pair", "nodes", c.choice.Nodes, "reason", c.choice.Reason)
	if err := c.prepareNamespace(ctx); err != nil {
		return nil, err
	}
	if err := c.start(ctx); err != nil {
		if cerr := c.Close(ctx); cerr != nil {
			err = errors.Join(err, cerr)
		}
		return nil, err
	}
	return c, nil
}

// prepareNamespace creates the run's namespace, or checks the one it was
// given.
func (c *Cluster) prepareNamespace(ctx context.Context) error {
	if c.cfg.Namespace != "" {
		return c.useNamespace(ctx)
	}
	if _, err := c.cfg.Client.CoreV1().Namespaces().Create(ctx, namespaceObject(c.cfg.ID), metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create namespace %s: %w", c.ns, explainNamespace(err))
	}
	return nil
}

// listAndChooseNodes lists the nodes and chooses the pair, waiting out
// transient not-ready/unreachable taints for up to cfg.NodeSettle.
func listAndChooseNodes(ctx context.Context, cfg Config) (*corev1.NodeList, NodeChoice, error) {
	deadline := time.Now().Add(cfg.NodeSettle)
	for {
		opts := metav1.ListOptions{}
		if cfg.Mesh != nil {
			opts.LabelSelector = cfg.Mesh.Selector
		}
		list, err := cfg.Client.CoreV1().Nodes().List(ctx, opts)
		if err != nil {
			return nil, NodeChoice{}, fmt.Errorf("list nodes: %w", explain(err))
		}
		if cfg.Mesh != nil { // a mesh takes every usable node, whatever the others' taints
			return list, NodeChoice{}, nil
		}
		choice, err := ChooseNodes(list.Items, cfg.Nodes, cfg.tolerations())
		if err == nil || !choice.transient() || time.Now().After(deadline) {
			return list, choice, err
		}
		cfg.Logger.Info("waiting for node taints to clear", "excluded", choice.Excluded)
		select {
		case <-ctx.Done():
			return nil, NodeChoice{}, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// start creates the endpoint pods and waits for them.
func (c *Cluster) start(ctx context.Context) error {
	if c.cfg.Namespace == "" { // a given namespace has had its ServiceAccount for long
		if err := c.waitServiceAccount(ctx); err != nil {
			return err
		}
	}
	nodes := c.choice.Nodes[:]
	if c.mesh != nil {
		nodes = c.mesh.names()
	}
	c.pods = podNames(nodes, c.cfg.PodsPerNode, c.cfg.objectPrefix())
	names := make([]string, len(c.pods))
	for i := range c.pods {
		c.pods[i].taint = c.choice.taints[c.pods[i].node]
		p := c.pods[i]
		names[i] = p.name
		if _, err := c.cfg.Client.CoreV1().Pods(c.ns).Create(ctx, podObject(c.cfg, p), metav1.CreateOptions{}); err != nil {
			if c.cfg.Namespace != "" {
				return fmt.Errorf("create pod %s on %s: %w", p.name, p.node, explainPodIn(err, c.ns))
			}
			return fmt.Errorf("create pod %s on %s: %w", p.name, p.node, explainPod(err, c.ns))
		}
	}
	start := time.Now()
	pods, err := c.waitReady(ctx, names, c.cfg.ReadyTimeout)
	if err != nil {
		return err
	}
	c.cfg.Logger.Info("pods ready", "namespace", c.ns, "after", time.Since(start).Round(time.Millisecond))
	for _, p := range c.pods {
		pod := pods[p.name]
		if pod.Spec.NodeName != p.node {
			return fmt.Errorf("pod %s runs on %s, not on %s as pinned", p.name, pod.Spec.NodeName, p.node)
		}
		ep := cluster.Endpoint{Name: p.endpointName(), Node: p.node, Kind: p.kind, Addrs: podAddrs(pod)}
		if len(ep.Addrs) == 0 {
			return fmt.Errorf("pod %s is Ready without an IP", p.name)
		}
		c.eps = append(c.eps, ep)
		c.byName[ep.Name] = p
		c.uids[p.name], c.restarts[p.name] = pod.UID, restartsOf(pod)
	}
	c.watch = c.watchPods()
	var addrs []netip.Addr
	for _, ep := range c.eps {
		if ep.Kind == cluster.PodEndpoint {
			addrs = append(addrs, ep.Addrs...)
		}
	}
	c.families.Pods = familiesOf(addrs)
	if err := c.families.checkWanted(c.cfg.IPFamilies, true); err != nil {
		return err
	}
	if c.external != nil {
		c.eps = append(c.eps, *c.external)
		return c.checkExternal(ctx)
	}
	return nil
}

// pairNodes are the measured nodes' objects (a mesh's every node).
func (c *Cluster) pairNodes() []*corev1.Node {
	names := c.choice.Nodes[:]
	if c.mesh != nil {
		names = c.mesh.names()
	}
	var ns []*corev1.Node
	for _, n := range names {
		ns = append(ns, c.nodes[n])
	}
	return ns
}

// waitServiceAccount waits for the namespace's default ServiceAccount:
// admission refuses pods until the controller has created it.
func (c *Cluster) waitServiceAccount(ctx context.Context) error {
	deadline := time.Now().Add(time.Minute)
	for {
		_, err := c.cfg.Client.CoreV1().ServiceAccounts(c.ns).Get(ctx, "default", metav1.GetOptions{})
		switch {
		case err == nil:
			return nil
		case !apierrors.IsNotFound(err):
			return fmt.Errorf("service account %s/default: %w", c.ns, explain(err))
		case time.Now().After(deadline):
			return fmt.Errorf("namespace %s has no default ServiceAccount after 1m: is kube-controller-manager's serviceaccount controller running?", c.ns)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// podAddrs are a pod's IPs, IPv4 first.
func podAddrs(p *corev1.Pod) []netip.Addr {
	var out []netip.Addr
	for _, ip := range p.Status.PodIPs {
		if a, err := netip.ParseAddr(ip.IP); err == nil {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		if a, err := netip.ParseAddr(p.Status.PodIP); err == nil {
			out = append(out, a)
		}
	}
	slices.SortStableFunc(out, func(a, b netip.Addr) int { return boolCmp(a.Is6(), b.Is6()) })
	return out
}

// Namespace is the run's namespace.
func (c *Cluster) Namespace() string { return c.ns }

// NodeChoice is the node pair and why.
func (c *Cluster) NodeChoice() NodeChoice { return c.choice }

// Endpoints are the node endpoints (hostNetwork pods, named after their
// node) then the pods, node by node.
func (c *Cluster) Endpoints(ctx context.Context) ([]cluster.Endpoint, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.eps), nil
}

func (c *Cluster) endpoint(name string) (cluster.Endpoint, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.eps {
		if e.Name == name {
			return e, true
		}
	}
	return cluster.Endpoint{}, false
}

// server is the `cnibench server` that each endpoint pod runs from its
// start to the namespace's deletion.
type server struct {
	c    *Cluster
	ep   cluster.Endpoint
	pod  string
	port int
}

func (s *server) Endpoint() cluster.Endpoint { return s.ep }

func (s *server) Target() cluster.Target {
	return cluster.Target{Kind: cluster.DirectTarget, Addr: netip.AddrPortFrom(s.ep.Addrs[0], uint16(s.port)), Backend: s.ep}
}

// Stop does nothing: the server lives as long as its pod, which Close
// removes with the namespace.
func (s *server) Stop(ctx context.Context) error { return nil }

// StartServer returns the server that ep's pod already runs, or the
// external server the user runs.
func (c *Cluster) StartServer(ctx context.Context, ep cluster.Endpoint, port int) (cluster.Server, error) {
	if port != 0 && port != c.cfg.Port && ep.Kind != cluster.ExternalEndpoint {
		return nil, fmt.Errorf("the pods serve on port %d, not %d", c.cfg.Port, port)
	}
	e, ok := c.endpoint(ep.Name)
	if !ok {
		return nil, fmt.Errorf("namespace %s has no endpoint %q", c.ns, ep.Name)
	}
	if e.Kind == cluster.ExternalEndpoint {
		return &externalServer{ep: e, port: c.externalPort}, nil // the user runs it
	}
	return &server{c: c, ep: e, pod: c.byName[e.Name].name, port: c.cfg.Port}, nil
}

// RunClient runs `cnibench client` by exec in from's pod against to and
// reads back the engine's whole Result; intervals reach the context's
// interval hook as they end.
func (c *Cluster) RunClient(ctx context.Context, from cluster.Endpoint, to cluster.Target, spec engine.Spec) (*engine.Result, error) {
	to = c.current(to)
	cmd, err := agent.ClientArgs(binaryPath, to.Addr, spec)
	if err != nil {
		return nil, err
	}
	var res *engine.Result
	err = c.execClient(ctx, from, to, cmd, func(r io.Reader) (err error) {
		res, err = agent.ReadLines(r, engine.IntervalHook(ctx))
		return err
	})
	return res, err
}

// RunLatency runs `cnibench client --latency-spec-json` by exec in from's
// pod against to (which must be a cnibench server, not --server-image's
// stock iperf3) and reads back the engine's LatencyResult.
func (c *Cluster) RunLatency(ctx context.Context, from cluster.Endpoint, to cluster.Target, spec engine.LatencySpec) (*engine.LatencyResult, error) {
	to = c.current(to)
	cmd, err := agent.LatencyArgs(binaryPath, to.Addr, spec)
	if err != nil {
		return nil, err
	}
	var res *engine.LatencyResult
	err = c.execClient(ctx, from, to, cmd, func(r io.Reader) (err error) {
		res, err = agent.ReadLatencyLines(r)
		return err
	})
	return res, err
}

// execClient execs cmd in from's pod and hands its stdout to read, which
// must read it to the end; the error says what failed, the exec or the
// client, with the client's stderr when it printed no result.
func (c *Cluster) execClient(ctx context.Context, from cluster.Endpoint, to cluster.Target, cmd []string, read func(io.Reader) error) error {
	p, ok := c.byName[from.Name]
	if !ok {
		return fmt.Errorf("namespace %s has no endpoint %q to run a client in", c.ns, from.Name)
	}
	if err := c.refusedNodePort(to); err != nil {
		return err
	}
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan error, 1)
	go func() {
		err := read(pr)
		_, _ = io.Copy(io.Discard, pr)
		done <- err
	}()
	execErr := c.cfg.Exec.Exec(ctx, c.ns, p.name, containerName, cmd, pw, &stderr)
	c.noteExecErr(ctx, execErr)
	pw.Close()
	err := <-done
	if err == nil {
		return nil
	}
	if execErr != nil && errors.Is(err, agent.ErrNoResult) {
		err = fmt.Errorf("exec: %w", explain(execErr))
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			err = fmt.Errorf("%w: %s", err, agent.Truncate(msg, 500))
		}
	}
	return fmt.Errorf("run client in %s/%s against %s %s: %w", c.ns, p.name, to.Kind, to.Addr, err)
}

// netInfo is ep's pod's interfaces, read once by exec of `cnibench netinfo`.
func (c *Cluster) netInfo(ctx context.Context, ep cluster.Endpoint) ([]agent.NetInterface, error) {
	p, ok := c.byName[ep.Name]
	if !ok {
		return nil, fmt.Errorf("no endpoint %q", ep.Name)
	}
	c.mu.Lock()
	ifs, ok := c.netinfo[p.name]
	c.mu.Unlock()
	if ok {
		return ifs, nil
	}
	var out, stderr bytes.Buffer
	if err := c.cfg.Exec.Exec(ctx, c.ns, p.name, containerName, agent.NetinfoArgs(binaryPath), &out, &stderr); err != nil {
		return nil, fmt.Errorf("read interfaces in %s: %w: %s", p.name, explain(err), agent.Truncate(strings.TrimSpace(stderr.String()), 300))
	}
	ifs, err := agent.ReadInterfaces(out.Bytes())
	if err != nil {
		return nil, fmt.Errorf("read interfaces in %s: %w", p.name, err)
	}
	c.mu.Lock()
	c.netinfo[p.name] = ifs
	c.mu.Unlock()
	return ifs, nil
}

// Close deletes the run's namespace, and so everything in it, and waits
// until it is gone; in a namespace it was given, only the run's objects
// (deleteRunObjects). When ctx has already ended (Ctrl-C) it uses a fresh
// context of its own. Closing twice is fine.
func (c *Cluster) Close(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	c.watch.stop() // before the pods go: their deletion is no loss
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
	}
	_, err := c.callAPI(ctx, "remove the run's objects", func(ctx context.Context) error {
		if c.cfg.Namespace != "" {
			return deleteRunObjects(ctx, c.cfg.Client, c.ns, c.cfg.ID)
		}
		return DeleteNamespace(ctx, c.cfg.Client, c.ns)
	})
	return err
}
