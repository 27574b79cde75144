//go:build e2e

package kube

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/bench"
	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/cluster/kube"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/runid"
	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/testenv"
	e2e "github.com/cnibench/cnibench/test/e2e/cluster"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// TestKubePaths runs issue 14's paths on each of the harness's clusters,
// TCP and UDP, with the harness's external host as --external-server, and
// checks where they land: the hairpin's backend is the client's own pod,
// the external server sees node A's address (its SNAT), the remote
// NodePort reaches the backend from node B's address (it crossed B), and
// pod-external leaves the node unencapsulated (no header tax, even under
// VXLAN). With externalTrafficPolicy Local, node B's NodePort drops what
// it gets (no backend there) while node A's answers.
func TestKubePaths(t *testing.T) {
	for _, mode := range modes() {
		t.Run(string(mode), func(t *testing.T) { testPaths(t, mode) })
	}
}

func testPaths(t *testing.T, mode e2e.CNI) {
	c, cfg := setup(t, mode)
	if c.External {
		testenv.SkipOrFail(t, "needs the harness's external host on its switch")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	ext, err := e2e.StartExternal(ctx, c.State, 5201, slog.New(slog.NewTextHandler(testWriter{t}, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := ext.Close(); err != nil {
			t.Errorf("external host: %v", err)
		}
	}()
	cfg.ExternalServer = ext.Addr.String()
	kc, err := kube.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			kc.Close(context.Background())
		}
	}()
	eps, _ := kc.Endpoints(ctx)
	ep := map[string]cluster.Endpoint{}
	for _, e := range eps {
		ep[e.Name] = e
	}
	nodeA, nodeB := ep[kc.NodeChoice().Nodes[0]], ep[kc.NodeChoice().Nodes[1]]

	plan := bench.Plan{Scenarios: []string{"pod-hairpin", "pod-nodeport-remote", "pod-external"}, Protocols: []engine.Protocol{engine.TCP, engine.UDP},
		Duration: time.Second, Repeats: 1, UDPRate: 100_000_000}
	start := time.Now()
	run, err := bench.Run(ctx, kc, plan, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d tests in %v; service proxy %q", len(run.Samples), time.Since(start).Round(time.Millisecond), run.Cluster.ServiceProxy)
	checkPathSamples(t, run, "IPv4")
	if want := "kube-proxy iptables"; run.Cluster.ServiceProxy != want {
		t.Errorf("service proxy %q, want %q", run.Cluster.ServiceProxy, want)
	}
	// SNAT from the server's side: every test came from node A's address.
	remotes := ext.Remotes()
	if len(remotes) == 0 {
		t.Error("the external server saw no test")
	}
	for _, r := range remotes {
		if r != nodeA.Addrs[0] {
			t.Errorf("the external server saw a test from %s, want node A's %s (its SNAT), never a pod's", r, nodeA.Addrs[0])
		}
	}
	for _, p := range run.Paths {
		t.Logf("path %s: %+v", p.Scenario, p.Path)
		if p.Scenario == "pod-external" && (p.Path.Encapsulated || p.Path.HeaderTax != 0) {
			t.Errorf("pod-external path %+v: it leaves the node unencapsulated, want no header tax", p.Path)
		}
	}

	// Where the packets land, from the server's own log: `cnibench server`
	// prints "Accepted connection from ADDR:PORT" for each test.
	serverSees := func(from cluster.Endpoint, srvName string, pick func([]cluster.Target) cluster.Target) []string {
		t.Helper()
		srv, err := kc.StartServer(ctx, ep[srvName], 0)
		if err != nil {
			t.Fatal(err)
		}
		ts, err := kc.Expose(ctx, srv)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := kc.RunClient(ctx, from, pick(ts), engine.Spec{Duration: time.Second}); err != nil {
			t.Fatal(err)
		}
		b, err := c.Client.CoreV1().Pods(kc.Namespace()).GetLogs(srvName, &corev1.PodLogOptions{Container: "cnibench"}).DoRaw(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var accepted []string
		for _, l := range strings.Split(string(b), "\n") {
			if a, ok := strings.CutPrefix(l, "Accepted connection from "); ok {
				accepted = append(accepted, a)
			}
		}
		t.Logf("%s → %s: %s saw tests from %v", from.Name, srvName, srvName, accepted)
		return accepted
	}
	// On node B: the bench run above exposed node A's pods already, and
	// no test has reached node B's pods yet.
	pod2a, pod2b := podOn(t, eps, nodeB.Name, 0), podOn(t, eps, nodeB.Name, 1)
	if got := serverSees(pod2a, pod2a.Name, func(ts []cluster.Target) cluster.Target { return ts[0] }); len(got) != 1 { // its ClusterIP
		t.Errorf("hairpin: %s's own server saw %d tests, want the one its client ran through its ClusterIP", pod2a.Name, len(got))
	}
	nodePortOn := func(node cluster.Endpoint) func([]cluster.Target) cluster.Target {
		return func(ts []cluster.Target) cluster.Target {
			for _, tg := range ts {
				if tg.Kind == cluster.NodePortTarget && tg.Addr.Addr() == node.Addrs[0] {
					return tg
				}
			}
			t.Fatalf("no NodePort on %s among %v", node.Name, ts)
			return cluster.Target{}
		}
	}
	// Node A masquerades to the address of its interface towards the
	// backend: its node address when routed, its tunnel's (flannel.1, in
	// its pod subnet) under VXLAN. Either is node A's, never the client's.
	got := serverSees(pod2a, pod2b.Name, nodePortOn(nodeA))
	ofA := func(s string) bool {
		ap, err := netip.ParseAddrPort(s)
		if err != nil {
			return false
		}
		cidr, err := netip.ParsePrefix(c.State.PodCIDRs[nodeA.Name])
		return ap.Addr() == nodeA.Addrs[0] || (err == nil && cidr.Contains(ap.Addr()) && ap.Addr() != pod2a.Addrs[0])
	}
	if len(got) != 1 || !ofA(got[0]) {
		t.Errorf("remote NodePort: the backend on %s saw tests from %v, want one from an address of %s (%s or its pod subnet %s: SNAT there, it crossed that node)",
			nodeB.Name, got, nodeA.Name, nodeA.Addrs[0], c.State.PodCIDRs[nodeA.Name])
	}

	checkLocalPolicy(ctx, t, cfg, kc.Namespace(), podOn(t, eps, nodeA.Name, 1), nodeA, nodeB)
	if !ext.Addr6.IsValid() {
		testenv.SkipOrFail(t, "the harness cluster is single-stack: the new paths were measured over IPv4 only")
	}
	// The IPv6 run's host pods take the same host ports: this run's go first.
	closed = true
	if err := kc.Close(ctx); err != nil {
		t.Fatal(err)
	}
	ctx6, cancel6 := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel6()
	pathsIPv6(ctx6, t, cfg, ext, nodeA.Name)
}

// pathsIPv6 runs the new paths again over IPv6 on the dual-stack harness,
// as `cnibench run --ip-family 6 --external-server [v6]:port` would: every
// test in the family variant measured, and the external host sees node
// A's IPv6 address (its SNAT), never a pod's.
func pathsIPv6(ctx context.Context, t *testing.T, cfg kube.Config, ext *e2e.External, nodeA string) {
	cfg.ID, cfg.ExternalServer, cfg.IPFamilies = runid.New(), ext.Addr6.String(), []cluster.Family{cluster.IPv6}
	kc, err := kube.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close(context.Background())
	plan := bench.Plan{Scenarios: []string{"pod-hairpin", "pod-nodeport-remote", "pod-external"}, Protocols: []engine.Protocol{engine.TCP, engine.UDP},
		Duration: time.Second, Repeats: 1, UDPRate: 100_000_000}
	vs := bench.SweepFamilies([]bench.Variant{{Cluster: kc}}, []cluster.Family{cluster.IPv6})
	before := len(ext.Remotes())
	run, err := bench.RunVariants(ctx, vs, plan, bench.Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkPathSamples(t, run, "IPv6")
	var a6 netip.Addr
	for _, e := range mustEndpoints(ctx, t, kc) {
		if e.Name == nodeA {
			for _, a := range e.Addrs {
				if a.Is6() {
					a6 = a
				}
			}
		}
	}
	remotes := ext.Remotes()[before:]
	if len(remotes) == 0 {
		t.Error("the external server saw no IPv6 test")
	}
	for _, r := range remotes {
		if r != a6 {
			t.Errorf("the external server saw an IPv6 test from %s, want node A's %s (its SNAT), never a pod's", r, a6)
		}
	}
}

// checkPathSamples: every test of the three paths and of their baselines
// (node-node-same, node-node, node-external) measured over TCP and UDP,
// and pod-hairpin's server was the client's own pod.
func checkPathSamples(t *testing.T, run *runrecord.Run, family string) {
	t.Helper()
	count := map[string]int{}
	for _, s := range run.Samples {
		count[s.Scenario]++
		if s.Error != "" || s.Result == nil || s.Result.Goodput() <= 0 {
			t.Errorf("%s %s %s: %s", family, s.Scenario, s.Protocol, s.Error)
			continue
		}
		t.Logf("%s %s %s %s → %s (%s): %.2f Gbit/s", family, s.Scenario, s.Protocol, s.From, s.To, s.TargetKind, s.Result.Goodput()/1e9)
		if s.Scenario == "pod-hairpin" && s.From != s.To {
			t.Errorf("%s pod-hairpin from %s to %s, want the client's own pod", family, s.From, s.To)
		}
	}
	for _, name := range []string{"pod-hairpin", "pod-nodeport-remote", "pod-external", "node-node-same", "node-node", "node-external"} {
		if count[name] != 2 {
			t.Errorf("%s %s: %d samples, want TCP and UDP", family, name, count[name])
		}
	}
}

// mustEndpoints is kc's endpoints, or the test's end.
func mustEndpoints(ctx context.Context, t *testing.T, kc *kube.Cluster) []cluster.Endpoint {
	t.Helper()
	eps, err := kc.Endpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return eps
}

// podOn is the i-th pod endpoint on node.
func podOn(t *testing.T, eps []cluster.Endpoint, node string, i int) cluster.Endpoint {
	t.Helper()
	for _, e := range eps {
		if e.Kind == cluster.PodEndpoint && e.Node == node {
			if i == 0 {
				return e
			}
			i--
		}
	}
	t.Fatalf("no pod %d on %s", i, node)
	return cluster.Endpoint{}
}

// checkLocalPolicy puts a NodePort Service with externalTrafficPolicy Local
// in front of a pod on A and checks, from the control plane's host, that
// node A's NodePort answers and node B's (no backend there) does not: the
// cluster refuses what the run refuses at once.
func checkLocalPolicy(ctx context.Context, t *testing.T, cfg kube.Config, ns string, backend, nodeA, nodeB cluster.Endpoint) {
	t.Helper()
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "local-np", Namespace: ns, Labels: map[string]string{kube.LabelRun: cfg.ID}},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal,
			Selector: map[string]string{kube.LabelRun: cfg.ID, kube.LabelEndpoint: backend.Name},
			Ports:    []corev1.ServicePort{{Protocol: corev1.ProtocolTCP, Port: 5201, TargetPort: intstr.FromInt32(5201)}}},
	}
	client := cfg.Client
	created, err := client.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	port := uint16(created.Spec.Ports[0].NodePort)
	dial := func(a netip.Addr, timeout time.Duration) error {
		conn, err := net.DialTimeout("tcp", netip.AddrPortFrom(a, port).String(), timeout)
		if err == nil {
			conn.Close()
		}
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for dial(nodeA.Addrs[0], time.Second) != nil {
		if time.Now().After(deadline) {
			t.Fatalf("externalTrafficPolicy Local: node A's NodePort %d never answered", port)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := dial(nodeB.Addrs[0], 3*time.Second); err == nil {
		t.Errorf("externalTrafficPolicy Local: node B's NodePort %d answered without a backend on B", port)
	} else {
		t.Logf("externalTrafficPolicy Local: node B's NodePort refused, as it should: %v", err)
	}
}

// TestKubeProxyModes switches the harness's kube-proxy to each mode it
// runs and measures pod-clusterip on each: the record says which.
func TestKubeProxyModes(t *testing.T) {
	c, cfg := setup(t, modes()[0])
	if c.External {
		testenv.SkipOrFail(t, "switches the harness's kube-proxy")
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, nil))
	t.Cleanup(func() {
		if err := e2e.SetProxyMode(context.Background(), c.State, e2e.ProxyIPTables, log); err != nil {
			t.Errorf("back to iptables: %v", err)
		}
	})
	if err := e2e.ProxyIPVS.Supported(); err == nil {
		t.Error("ipvs: the harness should refuse it")
	} else {
		t.Logf("ipvs: %v", err)
	}
	for _, mode := range []e2e.ProxyMode{e2e.ProxyNFTables, e2e.ProxyIPTables} {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		start := time.Now()
		if err := e2e.SetProxyMode(ctx, c.State, mode, log); err != nil {
			cancel()
			t.Fatal(err)
		}
		t.Logf("kube-proxy in %s mode after %v", mode, time.Since(start).Round(time.Millisecond))
		v := bench.Variant{Open: func(ctx context.Context) (cluster.Cluster, error) {
			cfg.ID = cfg.ID[:len(cfg.ID)-1] + string(mode[0]) // a namespace per mode
			return kube.New(ctx, cfg)
		}}
		run, err := bench.RunVariants(ctx, []bench.Variant{v}, bench.Plan{Scenarios: []string{"pod-clusterip"}, Duration: time.Second, Repeats: 1}, bench.Options{})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if want := "kube-proxy " + string(mode); run.Cluster.ServiceProxy != want {
			t.Errorf("record says %q, want %q", run.Cluster.ServiceProxy, want)
		}
		for _, s := range run.Samples {
			if s.Scenario != "pod-clusterip" {
				continue
			}
			if s.Error != "" || s.Result == nil {
				t.Errorf("pod-clusterip under %s: %s", mode, s.Error)
				continue
			}
			t.Logf("pod-clusterip under kube-proxy %s: %.2f Gbit/s (%s)", mode, s.Result.Goodput()/1e9, runrecord.ClusterIPTarget)
		}
	}
}
