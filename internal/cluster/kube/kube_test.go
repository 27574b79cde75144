package kube

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/cnibench/cnibench/internal/agent"
	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/engine"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8stesting "k8s.io/client-go/testing"
)

func twoNodes() []runtime.Object {
	return []runtime.Object{node("node-1", "198.18.0.1"), node("node-2", "198.18.0.2")}
}

func newCluster(t *testing.T, f *fakeCluster) *Cluster {
	t.Helper()
	c, err := New(context.Background(), f.config())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

func TestNewCreatesNamespaceAndPinnedPods(t *testing.T) {
	f := newFake(t, twoNodes()...)
	c := newCluster(t, f)
	ctx := context.Background()
	ns, err := f.cs.CoreV1().Namespaces().Get(ctx, "cnibench-"+testID, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{LabelManagedBy: "cnibench", LabelRun: testID, LabelPodSecurity: "privileged"} {
		if ns.Labels[k] != v {
			t.Errorf("namespace label %s = %q, want %q", k, ns.Labels[k], v)
		}
	}
	pods, err := f.cs.CoreV1().Pods(c.Namespace()).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		node string
		host bool
	}{"host-1": {"node-1", true}, "host-2": {"node-2", true}, "pod-1a": {"node-1", false}, "pod-1b": {"node-1", false}, "pod-2a": {"node-2", false}, "pod-2b": {"node-2", false}}
	if len(pods.Items) != len(want) {
		t.Fatalf("%d pods, want %d", len(pods.Items), len(want))
	}
	for _, p := range pods.Items {
		w, ok := want[p.Name]
		if !ok {
			t.Errorf("unexpected pod %s", p.Name)
			continue
		}
		if p.Spec.HostNetwork != w.host {
			t.Errorf("%s: hostNetwork %v", p.Name, p.Spec.HostNetwork)
		}
		terms := p.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
		if len(terms) != 1 || terms[0].MatchExpressions[0].Key != "kubernetes.io/hostname" || !slices.Equal(terms[0].MatchExpressions[0].Values, []string{w.node}) {
			t.Errorf("%s: affinity %+v, want kubernetes.io/hostname in [%s]", p.Name, terms, w.node)
		}
		if p.Labels[LabelRun] != testID || p.Labels[LabelManagedBy] != "cnibench" || p.Labels[LabelEndpoint] != p.Name {
			t.Errorf("%s: labels %v", p.Name, p.Labels)
		}
		checkLeastPrivilege(t, &p)
		ctr := p.Spec.Containers[0]
		if !slices.Equal(ctr.Command, []string{"/cnibench", "server", "-p", "5201"}) || ctr.Image != "cnibench.invalid/cnibench:test" || ctr.ImagePullPolicy != corev1.PullIfNotPresent {
			t.Errorf("%s: container %v %s %s", p.Name, ctr.Command, ctr.Image, ctr.ImagePullPolicy)
		}
		if ctr.StartupProbe == nil || ctr.StartupProbe.TCPSocket == nil || ctr.ReadinessProbe != nil || ctr.LivenessProbe != nil {
			t.Errorf("%s: want only a TCP startup probe", p.Name)
		}
	}
	eps, _ := c.Endpoints(ctx)
	var names []string
	for _, e := range eps {
		names = append(names, e.Name+"@"+e.Node+"/"+string(e.Kind))
	}
	if w := []string{"node-1@node-1/node", "node-2@node-2/node", "pod-1a@node-1/pod", "pod-1b@node-1/pod", "pod-2a@node-2/pod", "pod-2b@node-2/pod"}; !slices.Equal(names, w) {
		t.Errorf("endpoints %v, want %v", names, w)
	}
	if eps[0].Addrs[0] != netip.MustParseAddr("198.18.0.1") {
		t.Errorf("node-1's address %v", eps[0].Addrs)
	}
}

func checkLeastPrivilege(t *testing.T, p *corev1.Pod) {
	t.Helper()
	psc := p.Spec.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 ||
		psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: pod securityContext %+v", p.Name, psc)
	}
	for _, ctr := range p.Spec.Containers {
		checkContainerLeastPrivilege(t, p.Name, ctr.SecurityContext)
	}
	if p.Spec.AutomountServiceAccountToken == nil || *p.Spec.AutomountServiceAccountToken {
		t.Errorf("%s: mounts a service account token", p.Name)
	}
}

func checkContainerLeastPrivilege(t *testing.T, pod string, sc *corev1.SecurityContext) {
	t.Helper()
	if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.Privileged == nil || *sc.Privileged ||
		sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) != 0 ||
		sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Errorf("%s: container securityContext %+v", pod, sc)
	}
}

// TestServerImage: with a stock iperf3 image, each pod runs `iperf3 -s`
// (its temporary file on an emptyDir /tmp) beside an idle cnibench that
// the client is exec'd in, both least privilege.
func TestServerImage(t *testing.T) {
	f := newFake(t, twoNodes()...)
	cfg := f.config()
	cfg.ServerImage = "networkstatic/iperf3:latest"
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	ctx := context.Background()
	pods, err := f.cs.CoreV1().Pods(c.Namespace()).List(ctx, metav1.ListOptions{})
	if err != nil || len(pods.Items) != 6 {
		t.Fatalf("%v pods: %v", len(pods.Items), err)
	}
	for _, p := range pods.Items {
		checkLeastPrivilege(t, &p)
		if len(p.Spec.Containers) != 2 {
			t.Fatalf("%s: %d containers, want iperf3 and cnibench", p.Name, len(p.Spec.Containers))
		}
		srv, idle := p.Spec.Containers[0], p.Spec.Containers[1]
		if srv.Image != cfg.ServerImage || !slices.Equal(srv.Command, []string{"iperf3", "-s", "-p", "5201"}) || srv.StartupProbe == nil || len(srv.Ports) != 2 {
			t.Errorf("%s: server container %s %v probe %v ports %v", p.Name, srv.Image, srv.Command, srv.StartupProbe, srv.Ports)
		}
		if len(srv.VolumeMounts) != 1 || srv.VolumeMounts[0].MountPath != "/tmp" || len(p.Spec.Volumes) != 1 || p.Spec.Volumes[0].EmptyDir == nil {
			t.Errorf("%s: iperf3 needs a writable /tmp: mounts %v volumes %v", p.Name, srv.VolumeMounts, p.Spec.Volumes)
		}
		if idle.Name != containerName || idle.Image != cfg.Image || !slices.Equal(idle.Command, []string{"/cnibench", "idle"}) || idle.StartupProbe != nil || len(idle.Ports) != 0 {
			t.Errorf("%s: cnibench container %s %s %v", p.Name, idle.Name, idle.Image, idle.Command)
		}
	}
	eps, _ := c.Endpoints(ctx)
	if _, err := c.RunClient(ctx, eps[2], cluster.Target{Addr: netip.AddrPortFrom(eps[4].Addrs[0], 5201)}, engine.Spec{}); err != nil {
		t.Fatal(err)
	}
	if got := f.exec.lastContainer(); got != containerName {
		t.Errorf("client exec'd in container %q, want %q", got, containerName)
	}
}

func TestExposeServices(t *testing.T) {
	f := newFake(t, twoNodes()...)
	c := newCluster(t, f)
	ctx := context.Background()
	eps, _ := c.Endpoints(ctx)
	srv, err := c.StartServer(ctx, eps[4], 0) // pod-2a
	if err != nil {
		t.Fatal(err)
	}
	if got := srv.Target(); got.Kind != cluster.DirectTarget || got.Addr.Port() != 5201 || got.Backend.Name != "pod-2a" {
		t.Errorf("direct target %+v", got)
	}
	ts, err := c.Expose(ctx, srv)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, tg := range ts {
		kinds = append(kinds, string(tg.Kind)+" "+tg.Addr.String())
	}
	if len(ts) != 3 || ts[0].Kind != cluster.ClusterIPTarget || ts[1].Kind != cluster.NodePortTarget || ts[1].Addr.Addr().String() != "198.18.0.1" || ts[2].Addr.Addr().String() != "198.18.0.2" {
		t.Errorf("targets %v", kinds)
	}
	svcs, _ := f.cs.CoreV1().Services(c.Namespace()).List(ctx, metav1.ListOptions{})
	if len(svcs.Items) != 2 {
		t.Fatalf("%d Services, want a ClusterIP and a NodePort", len(svcs.Items))
	}
	for _, s := range svcs.Items {
		if s.Spec.Selector[LabelEndpoint] != "pod-2a" || s.Spec.Selector[LabelRun] != testID || s.Labels[LabelManagedBy] != "cnibench" {
			t.Errorf("Service %s: selector %v labels %v", s.Name, s.Spec.Selector, s.Labels)
		}
		if len(s.Spec.Ports) != 2 || s.Spec.Ports[0].Protocol != corev1.ProtocolTCP || s.Spec.Ports[1].Protocol != corev1.ProtocolUDP {
			t.Errorf("Service %s: ports %+v, want TCP and UDP", s.Name, s.Spec.Ports)
		}
		if s.Spec.Type == corev1.ServiceTypeNodePort && s.Spec.Ports[0].NodePort != s.Spec.Ports[1].NodePort {
			t.Errorf("NodePort Service: TCP node port %d, UDP %d: an iperf3 UDP test needs the same", s.Spec.Ports[0].NodePort, s.Spec.Ports[1].NodePort)
		}
	}
	if _, err := c.StartServer(ctx, eps[4], 5202); err == nil {
		t.Error("StartServer on another port than the pods serve: no error")
	}
	// Expose waited until every target answered from a pod on each node.
	var probed []string
	for i, cmd := range f.exec.calls {
		if cmd[1] == "probe" {
			probed = append(probed, f.exec.pods[i])
			if want := append([]string{"/cnibench", "probe", "--timeout", "30s"}, targetAddrs(ts)...); !slices.Equal(cmd, want) {
				t.Errorf("probe %v, want %v", cmd, want)
			}
		}
	}
	if !slices.Equal(probed, []string{"pod-1a", "pod-2a"}) {
		t.Errorf("probed from %v, want a pod on each node", probed)
	}
}

func targetAddrs(ts []cluster.Target) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Addr.String())
	}
	return out
}

// TestExposeUnreachable: a Service that never answers from a node fails
// Expose with an error naming the pod, the node and the likely cause.
func TestExposeUnreachable(t *testing.T) {
	f := newFake(t, twoNodes()...)
	c := newCluster(t, f)
	f.exec.probe = func(cmd []string, stderr io.Writer) error {
		io.WriteString(stderr, cmd[4]+": not reachable after 30s: connection refused")
		return errors.New("command terminated with exit code 1")
	}
	ctx := context.Background()
	eps, _ := c.Endpoints(ctx)
	srv, err := c.StartServer(ctx, eps[4], 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Expose(ctx, srv)
	if err == nil || !strings.Contains(err.Error(), "from pod pod-1a on node-1") || !strings.Contains(err.Error(), "kube-proxy") || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("Expose: %v", err)
	}
}

func TestRunClientExecsAndReadsResult(t *testing.T) {
	f := newFake(t, twoNodes()...)
	c := newCluster(t, f)
	ctx := context.Background()
	eps, _ := c.Endpoints(ctx)
	target := cluster.Target{Kind: cluster.DirectTarget, Addr: netip.MustParseAddrPort("198.19.0.3:5201"), Backend: eps[4]}
	var got []engine.Interval
	hctx := engine.WithIntervalHook(ctx, func(iv engine.Interval) { got = append(got, iv) })
	spec := engine.Spec{Protocol: engine.UDP, Duration: 2e9, Streams: 2, Rate: 500e6}
	res, err := c.RunClient(hctx, eps[2], target, spec)
	if err != nil {
		t.Fatal(err)
	}
	if res.Goodput() != 9e8 || len(got) != 1 {
		t.Errorf("goodput %v, %d intervals", res.Goodput(), len(got))
	}
	last := f.exec.calls[len(f.exec.calls)-1]
	if f.exec.pods[len(f.exec.pods)-1] != "pod-1a" || !slices.Equal(last[:5], []string{"/cnibench", "client", "198.19.0.3", "-p", "5201"}) || last[len(last)-1] != "--result-json" {
		t.Errorf("exec in %s: %v", f.exec.pods[len(f.exec.pods)-1], last)
	}
	var sent engine.Spec
	if err := json.Unmarshal([]byte(last[6]), &sent); err != nil || sent.Protocol != engine.UDP || sent.Streams != 2 || sent.Rate != 500e6 {
		t.Errorf("--spec-json %s: %+v %v", last[6], sent, err)
	}

	// The client's own error reaches the caller as is.
	f.exec.client = func(_ context.Context, cmd []string, out io.Writer) error {
		_ = json.NewEncoder(out).Encode(agent.Line{Error: "connect: connection refused"})
		return errors.New("command terminated with exit code 1")
	}
	if _, err := c.RunClient(ctx, eps[2], target, spec); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("client error: %v", err)
	}
	// An exec that fails before the client prints: the exec error and stderr.
	f.exec.client = func(_ context.Context, cmd []string, out io.Writer) error { return errors.New("container not found") }
	if _, err := c.RunClient(ctx, eps[2], target, spec); err == nil || !strings.Contains(err.Error(), "container not found") {
		t.Errorf("exec error: %v", err)
	}
	// An image whose client does not speak --result-json.
	f.exec.client = func(_ context.Context, cmd []string, out io.Writer) error {
		_, err := io.WriteString(out, "Connecting to host\n")
		return err
	}
	if _, err := c.RunClient(ctx, eps[2], target, spec); err == nil || !strings.Contains(err.Error(), "this version") {
		t.Errorf("foreign output: %v", err)
	}
}

func TestCloseDeletesNamespace(t *testing.T) {
	f := newFake(t, twoNodes()...)
	c, err := New(context.Background(), f.config())
	if err != nil {
		t.Fatal(err)
	}
	// Close works with an already cancelled context (Ctrl-C).
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cs.CoreV1().Namespaces().Get(context.Background(), c.Namespace(), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("namespace after Close: %v", err)
	}
	if err := c.Close(context.Background()); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestPathFlannelVXLAN(t *testing.T) {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "kube-flannel-cfg", Namespace: "kube-flannel"},
		Data: map[string]string{"net-conf.json": `{"Network": "198.19.0.0/16", "Backend": {"Type": "vxlan"}}`}}
	f := newFake(t, append(twoNodes(), cm)...)
	c := newCluster(t, f)
	ctx := context.Background()
	eps, _ := c.Endpoints(ctx)
	n1, n2, p1a, p2a := eps[0], eps[1], eps[2], eps[4]
	direct := func(to cluster.Endpoint) cluster.Target {
		return cluster.Target{Kind: cluster.DirectTarget, Addr: netip.AddrPortFrom(to.Addrs[0], 5201), Backend: to}
	}
	for _, tc := range []struct {
		name     string
		from     cluster.Endpoint
		to       cluster.Target
		want     cluster.Path
		wantKind string
	}{
		{"node-node", n1, direct(n2), cluster.Path{Datapath: "host", MTU: 1500, UnderlayMTU: 1500}, ""},
		// node-node-same: host-1 to node-1's own address, which the kernel routes through lo
		{"node-node-same", n1, direct(n1), cluster.Path{Datapath: "host", MTU: 65536}, ""},
		{"pod-pod-cross", p1a, direct(p2a), cluster.Path{Datapath: "vxlan", Encapsulated: true, HeaderTax: 50, MTU: 1450, UnderlayMTU: 1500}, ""},
		{"pod-pod-same", p1a, direct(eps[3]), cluster.Path{Datapath: "vxlan", MTU: 1450}, ""},
		{"pod-nodeport via its own node", p1a, cluster.Target{Kind: cluster.NodePortTarget, Addr: netip.AddrPortFrom(n1.Addrs[0], 30001), Backend: eps[3]},
			cluster.Path{Datapath: "vxlan", MTU: 1450}, ""},
		{"node-pod", n1, direct(p2a), cluster.Path{Datapath: "vxlan", Encapsulated: true, HeaderTax: 50, MTU: 1450, UnderlayMTU: 1500}, ""},
		{"pod-nodeport via B", p1a, cluster.Target{Kind: cluster.NodePortTarget, Addr: netip.AddrPortFrom(n2.Addrs[0], 30001), Backend: p2a},
			cluster.Path{Datapath: "vxlan", MTU: 1450, UnderlayMTU: 1500}, ""},
	} {
		got, err := c.Path(ctx, tc.from, tc.to)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got != tc.want {
			t.Errorf("%s: path %+v, want %+v", tc.name, got, tc.want)
		}
	}
	info, err := c.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d := info.Details.(Details)
	if info.Kind != "kube" || d.CNI.Name != "flannel" || d.CNI.Backend != "vxlan" || d.CNI.Source != "ConfigMap kube-flannel/kube-flannel-cfg" ||
		len(d.Nodes) != 2 || d.Nodes[0].MTU != 1500 || d.Nodes[0].Kernel != "6.1.0-test" || !slices.Equal(info.Nodes, []string{"node-1", "node-2"}) {
		t.Errorf("info %+v details %+v", info, d)
	}
}

func TestDetectFlannelFromAnnotationAndUnknown(t *testing.T) {
	ann := func(n *corev1.Node) { n.Annotations = map[string]string{flannelBackendAnnotation: "host-gw"} }
	f := newFake(t, node("node-1", "198.18.0.1", ann), node("node-2", "198.18.0.2", ann))
	c := newCluster(t, f)
	if cni := c.detectCNI(context.Background()); cni.Name != "flannel" || cni.Datapath != "routed" || cni.HeaderTax != 0 {
		t.Errorf("host-gw from annotation: %+v", cni)
	}
	f2 := newFake(t, twoNodes()...)
	f2.exec = &fakeExec{}
	cfg := f2.config()
	cfg.ID = testID
	c2, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close(context.Background())
	if cni := c2.detectCNI(context.Background()); cni.Name != "unknown" || cni.Datapath != "unknown" || cni.Note == "" {
		t.Errorf("no CNI: %+v", cni)
	}
}

func TestNewErrors(t *testing.T) {
	forbidden := func(resource string, msg string) func(a k8stesting.Action) (bool, runtime.Object, error) {
		return func(a k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Resource: resource}, "x", errors.New(msg))
		}
	}
	for _, tc := range []struct {
		name    string
		nodes   []runtime.Object
		setup   func(f *fakeCluster)
		cfg     func(*Config)
		want    []string
		nsGone  bool // the namespace was created and must be removed again
		nsNever bool
	}{
		{name: "one node", nodes: []runtime.Object{node("node-1", "198.18.0.1")}, want: []string{"need two Ready, schedulable, untainted nodes", "1 of 1 qualify"}, nsNever: true},
		{name: "unknown --nodes", nodes: twoNodes(), cfg: func(c *Config) { c.Nodes = []string{"node-1", "node-9"} }, want: []string{`no node "node-9"`, "node-1, node-2"}, nsNever: true},
		{name: "bad pull policy", nodes: twoNodes(), cfg: func(c *Config) { c.PullPolicy = "Sometimes" }, want: []string{"pull policy"}, nsNever: true},
		{name: "namespace forbidden", nodes: twoNodes(), setup: func(f *fakeCluster) {
			f.cs.PrependReactor("create", "namespaces", forbidden("namespaces", `User "bob" cannot create resource "namespaces"`))
		}, want: []string{`cannot create resource "namespaces"`, "pod-security.kubernetes.io/enforce=privileged", "deploy/rbac.yaml"}, nsNever: true},
		{name: "pod security", nodes: twoNodes(), setup: func(f *fakeCluster) {
			f.cs.PrependReactor("create", "pods", forbidden("pods", `violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true)`))
		}, want: []string{"violates PodSecurity", "hostNetwork pods", "exempt namespaces cnibench-*"}, nsGone: true},
		{name: "image never pulled", nodes: twoNodes(), setup: func(f *fakeCluster) {
			f.podState = func(p *corev1.Pod) {
				p.Status.Phase = corev1.PodPending
				p.Status.Conditions = nil
				p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: containerName, State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{
					Reason: "ErrImageNeverPull", Message: `Container image "cnibench.invalid/cnibench:test" is not present with pull policy of Never`}}}}
			}
		}, want: []string{"no image: pod host-1 on node-1 cannot use cnibench.invalid/cnibench:test: ErrImageNeverPull", "not present"}, nsGone: true},
		{name: "image not found", nodes: twoNodes(), setup: func(f *fakeCluster) {
			f.podState = func(p *corev1.Pod) {
				p.Status.Phase = corev1.PodPending
				p.Status.Conditions = nil
				p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: containerName, Image: "cnibench.invalid/cnibench:test", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{
					Reason: "ImagePullBackOff", Message: `Back-off pulling image "cnibench.invalid/cnibench:test"`}}}}
			}
		}, want: []string{"no image: pod host-1 on node-1 cannot use cnibench.invalid/cnibench:test: ImagePullBackOff: Back-off pulling image"}, nsGone: true},
		{name: "timeout names what pods wait on", nodes: twoNodes(), cfg: func(c *Config) { c.ReadyTimeout = 300e6 }, setup: func(f *fakeCluster) {
			f.podState = func(p *corev1.Pod) {
				p.Status = corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}}}
				if p.Name == "pod-2b" {
					p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: containerName, State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}}}
				}
			}
			_ = f.cs.Tracker().Add(&corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "e1", Namespace: Namespace(testID)}, Type: corev1.EventTypeWarning,
				InvolvedObject: corev1.ObjectReference{Name: "pod-2b"}, Reason: "FailedCreatePodSandBox", Message: "plugin type=\"flannel\" failed (add): no subnet file"})
		}, want: []string{"not Ready after", "pod-2b (node-2): Pending", "ContainerCreating", "FailedCreatePodSandBox", "no subnet file"}, nsGone: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, tc.nodes...)
			if tc.setup != nil {
				tc.setup(f)
			}
			cfg := f.config()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			_, err := New(context.Background(), cfg)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			_, nerr := f.cs.CoreV1().Namespaces().Get(context.Background(), Namespace(testID), metav1.GetOptions{})
			if !apierrors.IsNotFound(nerr) {
				t.Errorf("namespace left behind after the error (%v)", nerr)
			}
			created := slices.ContainsFunc(f.cs.Actions(), func(a k8stesting.Action) bool {
				return a.GetVerb() == "create" && a.GetResource().Resource == "namespaces"
			})
			if tc.nsNever && created && tc.name != "namespace forbidden" {
				t.Error("namespace created before the error was known")
			}
		})
	}
}
