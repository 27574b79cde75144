//go:build e2e

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
)

// TestDualStack proves the harness's dual-stack clusters on each CNI mode
// without cnibench: nodes have an IPv6 InternalIP, a pod gets an IPv4 and
// an IPv6 address (status.podIPs), a RequireDualStack Service gets a
// ClusterIP of each family, and TCP crosses from a pod on node-1 to a pod
// on node-2 over IPv6 (the server sees the client pod's own IPv6
// address: no NAT on the way), through the IPv6 ClusterIP and through the
// NodePort at node-1's IPv6 address.
func TestDualStack(t *testing.T) {
	if os.Getenv("KUBECONFIG") != "" {
		t.Skip("the harness's addressing plan is checked on its own clusters only")
	}
	for _, mode := range modes() {
		t.Run(string(mode), func(t *testing.T) { dualStack(t, mode) })
	}
}

func dualStack(t *testing.T, mode cluster.CNI) {
	c := clustertest.Get(t, mode)
	if !c.State.Config.IPFamily.Dual() {
		t.Skipf("the cluster in %s is IPv%s only", c.State.Config.RunDir, c.State.Config.IPFamily)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	nodes := readyNodes(ctx, t, c.Client)
	if len(nodes) < 2 {
		t.Fatalf("want at least 2 Ready nodes, have %v", nodes)
	}
	for i, name := range nodes[:2] {
		n, err := c.Client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var internal []string
		for _, a := range n.Status.Addresses {
			if a.Type == corev1.NodeInternalIP {
				internal = append(internal, a.Address)
			}
		}
		want := []string{cluster.NodeIP(i + 1).String(), cluster.NodeIP6(i + 1).String()}
		if strings.Join(internal, ",") != strings.Join(want, ",") {
			t.Errorf("node %s: InternalIPs %v, want %v", name, internal, want)
		}
	}

	ns := newNamespace(ctx, t, c.Client)
	server := agentPod("echo", nodes[1], cluster.AgentImage, corev1.PullNever, "serve", "-port", "8080")
	server.Labels = map[string]string{"app": "echo"}
	server.Spec.Containers[0].ReadinessProbe = &corev1.Probe{
		ProbeHandler:  corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(8080)}},
		PeriodSeconds: 1,
	}
	if _, err := c.Client.CoreV1().Pods(ns).Create(ctx, server, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	policy := corev1.IPFamilyPolicyRequireDualStack
	svc, err := c.Client.CoreV1().Services(ns).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "echo"},
		Spec: corev1.ServiceSpec{
			Type:           corev1.ServiceTypeNodePort,
			Selector:       map[string]string{"app": "echo"},
			IPFamilyPolicy: &policy,
			IPFamilies:     []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol},
			Ports:          []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, clusterIP6 := families(t, "Service echo's clusterIPs", svc.Spec.ClusterIPs, cluster.ServiceNet, cluster.ServiceNet6)
	srv := waitPod(ctx, t, c.Client, ns, "echo", podReady)
	_, srvIP6 := families(t, "server pod's podIPs", podIPs(srv), cluster.PodNet, cluster.PodNet6)

	nodePort := svc.Spec.Ports[0].NodePort
	targets := []string{
		netip.AddrPortFrom(srvIP6, 8080).String(),                         // pod→pod across nodes
		netip.AddrPortFrom(clusterIP6, 80).String(),                       // pod→ClusterIP (backend on the other node)
		netip.AddrPortFrom(cluster.NodeIP6(1), uint16(nodePort)).String(), // pod→NodePort of its own node
	}
	client := agentPod("client", nodes[0], cluster.AgentImage, corev1.PullNever, append([]string{"client", "-timeout", "60s"}, targets...)...)
	if _, err := c.Client.CoreV1().Pods(ns).Create(ctx, client, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	done := waitPod(ctx, t, c.Client, ns, "client", func(p *corev1.Pod) bool {
		return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
	})
	logs, _ := c.Client.CoreV1().Pods(ns).GetLogs("client", &corev1.PodLogOptions{}).DoRaw(ctx)
	t.Logf("client pod on %s (%v), %s:\n%s", done.Spec.NodeName, podIPs(done), done.Status.Phase, logs)
	if done.Status.Phase != corev1.PodSucceeded {
		t.Fatalf("client pod %s: an IPv6 target did not answer:\n%s", done.Status.Phase, logs)
	}
	_, clientIP6 := families(t, "client pod's podIPs", podIPs(done), cluster.PodNet, cluster.PodNet6)
	// The pod→pod line names the address the server saw: the client pod's own.
	seen := fmt.Sprintf("OK %s echo [%s]:", targets[0], clientIP6)
	for i, tgt := range targets {
		want := "OK " + tgt
		if i == 0 {
			want = seen
		}
		if !strings.Contains(string(logs), want) {
			t.Errorf("no %q in the client's log", want)
		}
	}
}

// families checks that addrs are one IPv4 address in v4 and then one IPv6
// address in v6, and returns them.
func families(t *testing.T, what string, addrs []string, v4, v6 netip.Prefix) (netip.Addr, netip.Addr) {
	t.Helper()
	if len(addrs) != 2 {
		t.Fatalf("%s: %v, want an IPv4 and an IPv6 address", what, addrs)
	}
	a4, err4 := netip.ParseAddr(addrs[0])
	a6, err6 := netip.ParseAddr(addrs[1])
	if err4 != nil || err6 != nil || !v4.Contains(a4) || !v6.Contains(a6) {
		t.Fatalf("%s: %v, want one in %s and one in %s", what, addrs, v4, v6)
	}
	return a4, a6
}

func podIPs(p *corev1.Pod) []string {
	var out []string
	for _, ip := range p.Status.PodIPs {
		out = append(out, ip.IP)
	}
	return out
}
