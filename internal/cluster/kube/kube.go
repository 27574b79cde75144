package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/engine"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
	nodes  map[string]*corev1.Node
	pods   []podSpec
	eps    []cluster.Endpoint
	byName map[string]podSpec // endpoint name → its pod

	mu      sync.Mutex
	closed  bool
	netinfo map[string][]NetInterface // by pod name
	cni     *CNI
}

// Details is what a run records about the Kubernetes cluster.
type Details struct {
	Namespace         string      `json:"namespace"`
	KubernetesVersion string      `json:"kubernetes_version,omitempty"`
	Image             string      `json:"image"`
	ServerImage       string      `json:"server_image,omitempty"` // a stock iperf3 served instead of cnibench
	NodeChoice        NodeChoice  `json:"node_choice"`
	Nodes             []NodeFacts `json:"nodes"`
	CNI               CNI         `json:"cni"`
}

// NodeFacts are one measured node's facts.
type NodeFacts struct {
	Name             string   `json:"name"`
	Kernel           string   `json:"kernel,omitempty"`
	OSImage          string   `json:"os_image,omitempty"`
	Arch             string   `json:"arch,omitempty"`
	ContainerRuntime string   `json:"container_runtime,omitempty"`
	Kubelet          string   `json:"kubelet,omitempty"`
	Addresses        []string `json:"addresses,omitempty"`
	MTU              int      `json:"mtu,omitempty"`     // of the interface holding its InternalIP
	PodMTU           int      `json:"pod_mtu,omitempty"` // of its first measured pod's interface
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
	c := &Cluster{cfg: cfg, ns: Namespace(cfg.ID), netinfo: map[string][]NetInterface{}, nodes: map[string]*corev1.Node{}, byName: map[string]podSpec{}}
	list, err := c.chooseNodes(ctx)
	if err != nil {
		return nil, err
	}
	for i := range list.Items {
		c.nodes[list.Items[i].Name] = &list.Items[i]
	}
	cfg.Logger.Info("node pair", "nodes", c.choice.Nodes, "reason", c.choice.Reason)
	if _, err := cfg.Client.CoreV1().Namespaces().Create(ctx, namespaceObject(cfg.ID), metav1.CreateOptions{}); err != nil {
		return nil, fmt.Errorf("create namespace %s: %w", c.ns, explainNamespace(err))
	}
	if err := c.start(ctx); err != nil {
		if cerr := c.Close(ctx); cerr != nil {
			err = errors.Join(err, cerr)
		}
		return nil, err
	}
	return c, nil
}

// nodeSettle is how long New waits for nodes whose only fault is a taint
// the node controller removes by itself (a node that just became Ready
// keeps node.kubernetes.io/not-ready for a moment).
var nodeSettle = 30 * time.Second

// chooseNodes lists the nodes and chooses the pair, waiting out
// transient not-ready/unreachable taints.
func (c *Cluster) chooseNodes(ctx context.Context) (*corev1.NodeList, error) {
	deadline := time.Now().Add(nodeSettle)
	for {
		list, err := c.cfg.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, fmt.Errorf("list nodes: %w", explain(err))
		}
		c.choice, err = ChooseNodes(list.Items, c.cfg.Nodes, c.cfg.TolerateControlPlane)
		if err == nil || !c.choice.transient() || time.Now().After(deadline) {
			return list, err
		}
		c.cfg.Logger.Info("waiting for node taints to clear", "excluded", c.choice.Excluded)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// start creates the endpoint pods and waits for them.
func (c *Cluster) start(ctx context.Context) error {
	if err := c.waitServiceAccount(ctx); err != nil {
		return err
	}
	c.pods = podNames(c.choice.Nodes, c.cfg.PodsPerNode)
	names := make([]string, len(c.pods))
	for i := range c.pods {
		c.pods[i].taint = c.choice.taints[c.pods[i].node]
		p := c.pods[i]
		names[i] = p.name
		if _, err := c.cfg.Client.CoreV1().Pods(c.ns).Create(ctx, podObject(c.cfg, p), metav1.CreateOptions{}); err != nil {
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
	}
	return nil
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

// Info records the cluster: version, the node pair and why, the nodes'
// kernels, OS and addresses, the CNI detected.
func (c *Cluster) Info(ctx context.Context) (cluster.Info, error) {
	d := Details{Namespace: c.ns, Image: c.cfg.Image, ServerImage: c.cfg.ServerImage, NodeChoice: c.choice}
	info := cluster.Info{Kind: "kube", Name: c.cfg.Name, Nodes: c.choice.Nodes[:]}
	var errs []error
	nodeMTU := map[string]int{}
	if v, err := c.cfg.Client.Discovery().ServerVersion(); err == nil {
		d.KubernetesVersion = v.GitVersion
	} else {
		errs = append(errs, fmt.Errorf("server version: %w", err))
	}
	for _, name := range c.choice.Nodes {
		n := c.nodes[name]
		if n == nil {
			continue
		}
		f := NodeFacts{Name: name, Kernel: n.Status.NodeInfo.KernelVersion, OSImage: n.Status.NodeInfo.OSImage,
			Arch: n.Status.NodeInfo.Architecture, ContainerRuntime: n.Status.NodeInfo.ContainerRuntimeVersion, Kubelet: n.Status.NodeInfo.KubeletVersion}
		for _, a := range n.Status.Addresses {
			f.Addresses = append(f.Addresses, string(a.Type)+"="+a.Address)
		}
		if ep, ok := c.endpoint(name); ok {
			if ifs, err := c.netInfo(ctx, ep); err == nil {
				f.MTU = mtuOf(ifs, ep.Addrs[0])
			} else {
				errs = append(errs, err)
			}
		}
		if ep, ok := c.firstPod(name); ok {
			if ifs, err := c.netInfo(ctx, ep); err == nil {
				f.PodMTU = mtuOf(ifs, ep.Addrs[0])
			} else {
				errs = append(errs, err)
			}
		}
		nodeMTU[name] = f.MTU
		d.Nodes = append(d.Nodes, f)
		if info.Kernel == "" {
			info.Kernel = f.Kernel
		}
		if info.CPUs == 0 {
			if q, ok := n.Status.Capacity[corev1.ResourceCPU]; ok {
				info.CPUs = int(q.Value())
			}
		}
	}
	d.CNI = c.detectCNI(ctx)
	info.Warnings = c.mtuWarnings(ctx, d.CNI, nodeMTU)
	info.Details = d
	info.Facts = d.facts()
	return info, errors.Join(errs...)
}

// firstPod is the first pod endpoint on node.
func (c *Cluster) firstPod(node string) (cluster.Endpoint, bool) {
	for _, ep := range c.eps {
		if ep.Kind == cluster.PodEndpoint && ep.Node == node {
			return ep, true
		}
	}
	return cluster.Endpoint{}, false
}

// facts are the lines a report prints about the cluster: its version,
// the CNI and whether it encapsulates pod traffic between nodes, and each
// node's OS, kernel, runtime, addresses and MTUs.
func (d Details) facts() []string {
	var out []string
	if d.KubernetesVersion != "" {
		out = append(out, "Kubernetes "+d.KubernetesVersion)
	}
	out = append(out, d.CNI.fact())
	for _, n := range d.Nodes {
		out = append(out, n.fact(d.KubernetesVersion))
	}
	return out
}

// fact says, in one line, which CNI carries pod traffic and whether pod→pod
// traffic across nodes is encapsulated: "CNI flannel, datapath vxlan:
// pod→pod across nodes encapsulated (50 B header)".
func (cni CNI) fact() string {
	name := cni.Name
	if name == "" {
		name = "unknown"
	}
	s := "CNI " + name
	if cni.Backend != "" && !strings.EqualFold(cni.Backend, cni.Datapath) {
		s += " (backend " + cni.Backend + ")"
	}
	switch {
	case cni.Datapath == "" || cni.Datapath == "unknown":
		s += ", datapath unknown"
		if cni.Note != "" {
			s += ": " + cni.Note
		}
	case cni.HeaderTax > 0:
		s += fmt.Sprintf(", datapath %s: pod→pod across nodes encapsulated (%d B header)", cni.Datapath, cni.HeaderTax)
	default:
		s += ", datapath " + cni.Datapath + ": pod→pod across nodes not encapsulated"
	}
	return s
}

// fact is the node in one line: "node-1: Debian GNU/Linux 12 (bookworm),
// kernel 6.1.0, amd64, containerd://1.7.24, InternalIP 10.0.0.1, MTU 1500,
// pod MTU 1450"; its kubelet only when it differs from the server's version.
func (n NodeFacts) fact(serverVersion string) string {
	var parts []string
	add := func(prefix, v string) {
		if v != "" {
			parts = append(parts, prefix+v)
		}
	}
	add("", n.OSImage)
	add("kernel ", n.Kernel)
	add("", n.Arch)
	add("", n.ContainerRuntime)
	if n.Kubelet != serverVersion {
		add("kubelet ", n.Kubelet)
	}
	for _, a := range n.Addresses {
		if typ, addr, ok := strings.Cut(a, "="); ok && strings.HasSuffix(typ, "IP") {
			parts = append(parts, typ+" "+addr)
		}
	}
	if n.MTU > 0 {
		parts = append(parts, fmt.Sprintf("MTU %d", n.MTU))
	}
	if n.PodMTU > 0 {
		parts = append(parts, fmt.Sprintf("pod MTU %d", n.PodMTU))
	}
	if len(parts) == 0 {
		return n.Name
	}
	return n.Name + ": " + strings.Join(parts, ", ")
}

// Endpoints are the node endpoints (hostNetwork pods, named after their
// node) then the pods, node by node.
func (c *Cluster) Endpoints(ctx context.Context) ([]cluster.Endpoint, error) {
	return slices.Clone(c.eps), nil
}

func (c *Cluster) endpoint(name string) (cluster.Endpoint, bool) {
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

// StartServer returns the server that ep's pod already runs.
func (c *Cluster) StartServer(ctx context.Context, ep cluster.Endpoint, port int) (cluster.Server, error) {
	if port != 0 && port != c.cfg.Port {
		return nil, fmt.Errorf("the pods serve on port %d, not %d", c.cfg.Port, port)
	}
	e, ok := c.endpoint(ep.Name)
	if !ok {
		return nil, fmt.Errorf("namespace %s has no endpoint %q", c.ns, ep.Name)
	}
	return &server{c: c, ep: e, pod: c.byName[e.Name].name, port: c.cfg.Port}, nil
}

// Expose creates a ClusterIP Service and a NodePort Service selecting the
// server's pod (TCP and UDP on the server's port; the NodePort is the same
// number for both, as an iperf3 UDP test needs) and waits until their
// EndpointSlices list the pod Ready. Targets: the ClusterIP(s), then the
// NodePort on each node of the pair.
func (c *Cluster) Expose(ctx context.Context, srv cluster.Server) ([]cluster.Target, error) {
	s, ok := srv.(*server)
	if !ok || s.c != c {
		return nil, errors.New("expose: the server was not started by this cluster")
	}
	api := c.cfg.Client.CoreV1().Services(c.ns)
	cip, err := api.Create(ctx, serviceObject(c.cfg, s.pod, s.pod, corev1.ServiceTypeClusterIP), metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("create Service %s: %w", s.pod, explain(err))
	}
	npObj := serviceObject(c.cfg, s.pod+"-np", s.pod, corev1.ServiceTypeNodePort)
	npObj.Spec.Ports = npObj.Spec.Ports[:1] // TCP first, to learn its node port
	np, err := api.Create(ctx, npObj, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("create Service %s: %w", npObj.Name, explain(err))
	}
	nodePort := np.Spec.Ports[0].NodePort
	udp := serviceObject(c.cfg, "", s.pod, corev1.ServiceTypeNodePort).Spec.Ports[1]
	udp.NodePort = nodePort
	np.Spec.Ports = append(np.Spec.Ports, udp)
	if np, err = api.Update(ctx, np, metav1.UpdateOptions{}); err != nil {
		return nil, fmt.Errorf("add UDP port %d to Service %s: %w", nodePort, npObj.Name, explain(err))
	}
	for _, name := range []string{cip.Name, np.Name} {
		if err := c.waitEndpointSlice(ctx, name, s.pod); err != nil {
			return nil, err
		}
	}
	var ts []cluster.Target
	ips := cip.Spec.ClusterIPs
	if len(ips) == 0 {
		ips = []string{cip.Spec.ClusterIP}
	}
	for _, ip := range ips {
		if a, err := netip.ParseAddr(ip); err == nil {
			ts = append(ts, cluster.Target{Kind: cluster.ClusterIPTarget, Addr: netip.AddrPortFrom(a, uint16(c.cfg.Port)), Backend: s.ep})
		}
	}
	for _, e := range c.eps {
		if e.Kind != cluster.NodeEndpoint {
			continue
		}
		for _, a := range e.Addrs {
			ts = append(ts, cluster.Target{Kind: cluster.NodePortTarget, Addr: netip.AddrPortFrom(a, uint16(nodePort)), Backend: s.ep})
		}
	}
	if err := c.probeTargets(ctx, ts); err != nil {
		return nil, err
	}
	return ts, nil
}

// probeTargets waits until every target answers a TCP connection from a
// pod on each node of the pair, by exec of `cnibench probe`: a Service
// listed Ready in its EndpointSlices may not be programmed on a node yet,
// and each node's proxy programs it on its own.
func (c *Cluster) probeTargets(ctx context.Context, ts []cluster.Target) error {
	cmd := []string{binaryPath, "probe", "--timeout", serviceProbeTimeout.String()}
	for _, t := range ts {
		cmd = append(cmd, t.Addr.String())
	}
	for _, node := range c.choice.Nodes {
		for _, ep := range c.eps {
			if ep.Kind != cluster.PodEndpoint || ep.Node != node {
				continue
			}
			pod := c.byName[ep.Name].name
			start := time.Now()
			var out, stderr bytes.Buffer
			if err := c.cfg.Exec.Exec(ctx, c.ns, pod, containerName, cmd, &out, &stderr); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return fmt.Errorf("the Services of %s do not answer from pod %s on %s (is kube-proxy, or the CNI's Service proxy, running there?): %w: %s",
					ts[0].Backend.Name, pod, node, explain(err), truncate(strings.TrimSpace(stderr.String()), 500))
			}
			c.cfg.Logger.Info("services answer", "from", pod, "after", time.Since(start).Round(time.Millisecond))
			break
		}
	}
	return nil
}

// waitEndpointSlice waits until the Service's EndpointSlices list pod Ready.
func (c *Cluster) waitEndpointSlice(ctx context.Context, svc, pod string) error {
	deadline := time.Now().Add(time.Minute)
	for {
		list, err := c.cfg.Client.DiscoveryV1().EndpointSlices(c.ns).List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + svc})
		if err != nil {
			return fmt.Errorf("EndpointSlices of Service %s: %w", svc, explain(err))
		}
		for _, sl := range list.Items {
			for _, e := range sl.Endpoints {
				if e.TargetRef != nil && e.TargetRef.Name == pod && (e.Conditions.Ready == nil || *e.Conditions.Ready) {
					return nil
				}
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the Service %s has no Ready endpoint for pod %s after 1m: is kube-controller-manager's endpointslice controller running?", svc, pod)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// RunClient runs `cnibench client` by exec in from's pod against to and
// reads back the engine's whole Result; intervals reach the context's
// interval hook as they end.
func (c *Cluster) RunClient(ctx context.Context, from cluster.Endpoint, to cluster.Target, spec engine.Spec) (*engine.Result, error) {
	p, ok := c.byName[from.Name]
	if !ok {
		return nil, fmt.Errorf("namespace %s has no endpoint %q", c.ns, from.Name)
	}
	sj, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	cmd := []string{binaryPath, "client", to.Addr.Addr().String(), "-p", strconv.Itoa(int(to.Addr.Port())), "--spec-json", string(sj), "--result-json"}
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	type out struct {
		res *engine.Result
		err error
	}
	done := make(chan out, 1)
	go func() {
		res, err := readClientLines(pr, engine.IntervalHook(ctx))
		_, _ = io.Copy(io.Discard, pr)
		done <- out{res, err}
	}()
	execErr := c.cfg.Exec.Exec(ctx, c.ns, p.name, containerName, cmd, pw, &stderr)
	pw.Close()
	o := <-done
	if o.res != nil {
		return o.res, nil
	}
	err = o.err
	if execErr != nil && errors.Is(o.err, errNoResult) {
		err = fmt.Errorf("exec: %w", explain(execErr))
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			err = fmt.Errorf("%w: %s", err, truncate(msg, 500))
		}
	}
	return nil, fmt.Errorf("run client in %s/%s against %s %s: %w", c.ns, p.name, to.Kind, to.Addr, err)
}

// netInfo is ep's pod's interfaces, read once by exec of `cnibench netinfo`.
func (c *Cluster) netInfo(ctx context.Context, ep cluster.Endpoint) ([]NetInterface, error) {
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
	if err := c.cfg.Exec.Exec(ctx, c.ns, p.name, containerName, []string{binaryPath, "netinfo"}, &out, &stderr); err != nil {
		return nil, fmt.Errorf("read interfaces in %s: %w: %s", p.name, explain(err), truncate(strings.TrimSpace(stderr.String()), 300))
	}
	if err := json.Unmarshal(out.Bytes(), &ifs); err != nil {
		return nil, fmt.Errorf("read interfaces in %s: %w", p.name, err)
	}
	c.mu.Lock()
	c.netinfo[p.name] = ifs
	c.mu.Unlock()
	return ifs, nil
}

// Close deletes the run's namespace, and so everything in it, and waits
// until it is gone. When ctx has already ended (Ctrl-C) it uses a fresh
// context of its own. Closing twice is fine.
func (c *Cluster) Close(ctx context.Context) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
	}
	return DeleteNamespace(ctx, c.cfg.Client, c.ns)
}
