package kube

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cnibench/cnibench/internal/cluster"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// dualStackNode is a node with an IPv6 InternalIP and podCIDR beside its IPv4 ones.
func dualStackNode(i int) *corev1.Node {
	return node(fmt.Sprintf("node-%d", i), fmt.Sprintf("198.18.0.%d", i), func(n *corev1.Node) {
		n.Status.Addresses = append(n.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: fmt.Sprintf("fd00:198:18::%d", i)})
		n.Spec.PodCIDRs = []string{fmt.Sprintf("198.19.%d.0/24", i), fmt.Sprintf("fd00:198:19:%d::/64", i)}
	})
}

// dualStack makes the fake give pods an IPv6 address beside their IPv4
// one, and PreferDualStack Services an IPv6 ClusterIP too.
func dualStack(f *fakeCluster) {
	n := 0
	f.podState = func(p *corev1.Pod) {
		n++
		ip := fmt.Sprintf("fd00:198:19::%x", n)
		if p.Spec.HostNetwork {
			ip = "fd00:198:18::" + strings.TrimPrefix(p.Spec.NodeName, "node-")
		}
		p.Status.PodIPs = append(p.Status.PodIPs, corev1.PodIP{IP: ip})
	}
	f.svcState = func(s *corev1.Service) {
		if p := s.Spec.IPFamilyPolicy; p != nil && *p == corev1.IPFamilyPolicyPreferDualStack {
			s.Spec.ClusterIPs = append(s.Spec.ClusterIPs, "fd00:198:18:128::"+strings.TrimPrefix(s.Spec.ClusterIP, "198.18.128."))
		}
	}
}

// newFamiliesCluster is newCluster measuring over families.
func newFamiliesCluster(t *testing.T, f *fakeCluster, families ...cluster.Family) *Cluster {
	t.Helper()
	cfg := f.config()
	cfg.IPFamilies = families
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// TestIPv6Refused: --ip-family 6 on a cluster without IPv6 is refused
// with the reason, before any test, leaving nothing behind.
func TestIPv6Refused(t *testing.T) {
	withCIDR := func(cidr string) func(*corev1.Node) {
		return func(n *corev1.Node) { n.Spec.PodCIDRs = []string{cidr} }
	}
	for _, tc := range []struct {
		name  string
		nodes []runtime.Object
		pods  bool // the refusal comes after the pods ran
		want  string
	}{
		{"IPv4 podCIDRs", []runtime.Object{node("node-1", "198.18.0.1", withCIDR("198.19.1.0/24")), node("node-2", "198.18.0.2", withCIDR("198.19.2.0/24"))}, false,
			"the cluster has no IPv6 pod addresses: nodes' podCIDRs are 198.19.1.0/24, 198.19.2.0/24: measure --ip-family 4"},
		{"no podCIDRs, IPv4 pods", twoNodes(), true,
			"the cluster has no IPv6 pod addresses: nodes' podCIDRs are unset and the pods got IPv4 only: measure --ip-family 4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, tc.nodes...)
			cfg := f.config()
			cfg.IPFamilies = []cluster.Family{cluster.IPv6}
			_, err := New(context.Background(), cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want %q", err, tc.want)
			}
			nss, _ := f.cs.CoreV1().Namespaces().List(context.Background(), metav1.ListOptions{})
			if len(nss.Items) != 0 {
				t.Errorf("namespace %s left behind", nss.Items[0].Name)
			}
			if pods := len(f.exec.calls) > 0 || f.nextIP > 0; pods != tc.pods {
				t.Errorf("pods created: %v, want %v", pods, tc.pods)
			}
		})
	}
}

// TestIPv6NodesWithoutIPv6: dual-stack pods but IPv4-only nodes: node-node
// cannot run over IPv6, and the error says which addresses the nodes have.
func TestIPv6NodesWithoutIPv6(t *testing.T) {
	f := newFake(t, twoNodes()...)
	dualStack(f)
	cfg := f.config()
	cfg.IPFamilies = []cluster.Family{cluster.IPv4, cluster.IPv6}
	_, err := New(context.Background(), cfg)
	if want := "the nodes have no IPv6 InternalIP (198.18.0.1, 198.18.0.2)"; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("New: %v, want %q", err, want)
	}
}

// TestDualStack: on a dual-stack cluster the pods and node endpoints have
// both families, Services ask for PreferDualStack and give an IPv6
// ClusterIP, and the facts say dual-stack.
func TestDualStack(t *testing.T) {
	f := newFake(t, dualStackNode(1), dualStackNode(2))
	dualStack(f)
	c := newFamiliesCluster(t, f, cluster.IPv4, cluster.IPv6)
	ctx := context.Background()
	eps, _ := c.Endpoints(ctx)
	for _, ep := range eps {
		if len(ep.Addrs) != 2 || !ep.Addrs[0].Is4() || !ep.Addrs[1].Is6() {
			t.Errorf("%s: addresses %v, want IPv4 then IPv6", ep.Name, ep.Addrs)
		}
	}
	srv, err := c.StartServer(ctx, eps[4], 0) // pod-2a
	if err != nil {
		t.Fatal(err)
	}
	ts, err := c.Expose(ctx, srv)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tg := range ts {
		got = append(got, fmt.Sprintf("%s %s", tg.Kind, tg.Addr.Addr()))
	}
	for _, want := range []string{"clusterip fd00:198:18:128::", "nodeport fd00:198:18::2"} {
		if !slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, want) }) {
			t.Errorf("targets %v: none %q", got, want)
		}
	}
	svcs, _ := f.cs.CoreV1().Services(c.Namespace()).List(ctx, metav1.ListOptions{})
	for _, s := range svcs.Items {
		if p := s.Spec.IPFamilyPolicy; p == nil || *p != corev1.IPFamilyPolicyPreferDualStack {
			t.Errorf("Service %s: ipFamilyPolicy %v, want PreferDualStack", s.Name, p)
		}
	}
	info, _ := c.Info(ctx)
	want := "IP families: dual-stack (pods IPv4 and IPv6, nodes' InternalIPs IPv4 and IPv6, ClusterIPs IPv4 and IPv6)"
	if !slices.Contains(info.Facts, want) {
		t.Errorf("facts %q: no %q", info.Facts, want)
	}
}

// TestServiceWithoutIPv6: a cluster whose Service CIDR is IPv4 only gives
// no IPv6 ClusterIP: Expose says so and names the apiserver's flag.
func TestServiceWithoutIPv6(t *testing.T) {
	f := newFake(t, dualStackNode(1), dualStackNode(2))
	dualStack(f)
	f.svcState = nil
	c := newFamiliesCluster(t, f, cluster.IPv6)
	ctx := context.Background()
	eps, _ := c.Endpoints(ctx)
	srv, err := c.StartServer(ctx, eps[4], 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Expose(ctx, srv)
	if want := "no IPv6 ClusterIP"; err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "--service-cluster-ip-range") {
		t.Errorf("Expose: %v, want %q", err, want)
	}
}
