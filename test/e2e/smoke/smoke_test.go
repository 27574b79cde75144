//go:build e2e

// Package smoke proves the end-to-end cluster: two nodes Ready, a pod on
// each, pod→pod across nodes and pod→ClusterIP, for each CNI mode, and a
// teardown that leaves nothing. Run with `go test -tags e2e ./test/e2e/...`.
package smoke

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cnibench/cnibench/test/e2e/cluster"
	"github.com/cnibench/cnibench/test/e2e/clustertest"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
)

// EnvImage names the agent image on a KUBECONFIG cluster (pulled
// IfNotPresent); the harness's own clusters have it imported.
const EnvImage = "CNIBENCH_E2E_IMAGE"

// EnvModes limits the CNI modes, comma-separated (default: all).
const EnvModes = "CNIBENCH_E2E_CNI"

// modes are the CNI modes to test: EnvModes's, or all.
func modes() []cluster.CNI {
	m := os.Getenv(EnvModes)
	if m == "" {
		return cluster.CNIs
	}
	var out []cluster.CNI
	for _, s := range strings.Split(m, ",") {
		out = append(out, cluster.CNI(strings.TrimSpace(s)))
	}
	return out
}

func TestSmoke(t *testing.T) {
	modes := modes()
	if os.Getenv("KUBECONFIG") != "" {
		modes = []cluster.CNI{""}
	}
	for _, mode := range modes {
		name := string(mode)
		if name == "" {
			name = "kubeconfig"
		}
		t.Run(name, func(t *testing.T) { smoke(t, mode) })
	}
}

func smoke(t *testing.T, mode cluster.CNI) {
	checkTeardown(t, mode)
	c := clustertest.Get(t, mode)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	nodes := readyNodes(ctx, t, c.Client)
	if len(nodes) < 2 {
		t.Fatalf("want at least 2 Ready nodes, have %v", nodes)
	}
	if c.CNI().Flannel() {
		checkFlannelBackend(ctx, t, c.Client, c.CNI())
	}
	image, policy := cluster.AgentImage, corev1.PullNever
	if c.External {
		image, policy = os.Getenv(EnvImage), corev1.PullIfNotPresent
		if image == "" {
			t.Fatalf("set %s to an image holding the test agent (see docs/e2e.md)", EnvImage)
		}
	}

	ns := newNamespace(ctx, t, c.Client)

	server := agentPod("echo", nodes[1], image, policy, "serve", "-port", "8080")
	server.Labels = map[string]string{"app": "echo"}
	server.Spec.Containers[0].ReadinessProbe = &corev1.Probe{
		ProbeHandler:  corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(8080)}},
		PeriodSeconds: 1,
	}
	start := time.Now()
	if _, err := c.Client.CoreV1().Pods(ns).Create(ctx, server, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "echo"},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": "echo"},
			Ports:    []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}},
		},
	}
	svc, err := c.Client.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv := waitPod(ctx, t, c.Client, ns, "echo", func(p *corev1.Pod) bool { return podReady(p) })
	t.Logf("server pod on %s Ready in %v, IP %s", srv.Spec.NodeName, time.Since(start).Round(time.Millisecond), srv.Status.PodIP)
	if srv.Spec.NodeName != nodes[1] {
		t.Errorf("server pod runs on %s, want %s", srv.Spec.NodeName, nodes[1])
	}
	if !c.External {
		ip := netip.MustParseAddr(srv.Status.PodIP)
		cip := netip.MustParseAddr(svc.Spec.ClusterIP)
		if !cluster.PodNet.Contains(ip) || !cluster.ServiceNet.Contains(cip) {
			t.Errorf("pod IP %s or ClusterIP %s outside %s / %s", ip, cip, cluster.PodNet, cluster.ServiceNet)
		}
	}

	targets := []string{
		fmt.Sprintf("%s:8080", srv.Status.PodIP), // pod→pod across nodes
		fmt.Sprintf("%s:80", svc.Spec.ClusterIP), // pod→ClusterIP (backend on the other node)
	}
	client := agentPod("client", nodes[0], image, policy, append([]string{"client", "-timeout", "60s"}, targets...)...)
	start = time.Now()
	if _, err := c.Client.CoreV1().Pods(ns).Create(ctx, client, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	done := waitPod(ctx, t, c.Client, ns, "client", func(p *corev1.Pod) bool {
		return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
	})
	logs, _ := c.Client.CoreV1().Pods(ns).GetLogs("client", &corev1.PodLogOptions{}).DoRaw(ctx)
	t.Logf("client pod on %s finished in %v (%s):\n%s", done.Spec.NodeName, time.Since(start).Round(time.Millisecond), done.Status.Phase, logs)
	if done.Status.Phase != corev1.PodSucceeded {
		t.Fatalf("client pod %s: pod→pod or pod→ClusterIP failed:\n%s", done.Status.Phase, logs)
	}
	for _, tgt := range targets {
		if !strings.Contains(string(logs), "OK "+tgt) {
			t.Errorf("no echo from %s in the client's log", tgt)
		}
	}
}

// checkTeardown snapshots the host before the harness builds a cluster
// for this test, and checks after its Down (registered by Get, so run
// before this cleanup) that nothing is left.
func checkTeardown(t *testing.T, mode cluster.CNI) {
	if os.Getenv("KUBECONFIG") != "" || os.Getenv(clustertest.EnvReuse) == "1" || os.Geteuid() != 0 {
		return
	}
	dir := clustertest.RunDir()
	// A cluster left from an earlier run is not ours to judge: Get removes it first.
	if st, err := cluster.ReadState(dir); err == nil {
		if err := cluster.Down(st.Config.RunDir, nil); err != nil {
			t.Fatalf("remove the previous e2e cluster: %v", err)
		}
	}
	before, err := cluster.Snapshot(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		after, err := cluster.Snapshot(dir)
		if err != nil {
			t.Fatal(err)
		}
		if d := cluster.Diff(before, after); len(d) > 0 {
			t.Errorf("%s: teardown left the host changed:\n%s", mode, strings.Join(d, "\n"))
		}
	})
}

// checkFlannelBackend checks that kube-flannel's DaemonSet runs on every
// node with the mode's backend (flannel records it in a node annotation).
func checkFlannelBackend(ctx context.Context, t *testing.T, cs *kubernetes.Clientset, mode cluster.CNI) {
	t.Helper()
	want := map[cluster.CNI]string{cluster.FlannelVXLAN: "vxlan", cluster.FlannelHostGW: "host-gw"}[mode]
	list, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range list.Items {
		if got := n.Annotations["flannel.alpha.coreos.com/backend-type"]; got != want {
			t.Errorf("node %s: flannel backend %q, want %q", n.Name, got, want)
		}
	}
	ds, err := cs.AppsV1().DaemonSets(cluster.FlannelNamespace).Get(ctx, cluster.FlannelDaemonSet, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("flannel's DaemonSet: %v", err)
	}
	if ds.Status.NumberReady != int32(len(list.Items)) {
		t.Errorf("flannel's DaemonSet has %d pods ready on %d nodes", ds.Status.NumberReady, len(list.Items))
	}
}

func agentPod(name, node, image string, policy corev1.PullPolicy, args ...string) *corev1.Pod {
	zero := int64(0)
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{
			NodeName:                      node,
			RestartPolicy:                 corev1.RestartPolicyNever,
			TerminationGracePeriodSeconds: &zero,
			AutomountServiceAccountToken:  new(bool),
			Containers: []corev1.Container{{
				Name: name, Image: image, ImagePullPolicy: policy, Args: args,
			}},
		},
	}
}

func readyNodes(ctx context.Context, t *testing.T, cs *kubernetes.Clientset) []string {
	t.Helper()
	list, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range list.Items {
		if n.Spec.Unschedulable {
			continue
		}
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				out = append(out, n.Name)
			}
		}
	}
	return out
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

func waitPod(ctx context.Context, t *testing.T, cs *kubernetes.Clientset, ns, name string, ok func(*corev1.Pod) bool) *corev1.Pod {
	t.Helper()
	var last *corev1.Pod
	for ctx.Err() == nil {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			last = p
			if ok(p) {
				return p
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("pod %s/%s not there in time: %+v", ns, name, last.Status)
	return nil
}

// newNamespace creates a namespace for the test, deleted after it, and
// waits until pods can be created in it.
func newNamespace(ctx context.Context, t *testing.T, cs *kubernetes.Clientset) string {
	t.Helper()
	ns := fmt.Sprintf("cnibench-e2e-%d", time.Now().UnixNano()%1_000_000)
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
	})
	waitServiceAccount(ctx, t, cs, ns)
	return ns
}

// waitServiceAccount waits for the namespace's default service account:
// the ServiceAccount admission refuses pods until it exists.
func waitServiceAccount(ctx context.Context, t *testing.T, cs *kubernetes.Clientset, ns string) {
	t.Helper()
	for ctx.Err() == nil {
		if _, err := cs.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{}); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no default service account in %s", ns)
}
