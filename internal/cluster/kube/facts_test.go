package kube

import (
	"context"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/version"
	fakediscovery "k8s.io/client-go/discovery/fake"
)

// TestInfoFacts: Info says, in lines a report prints as they are, the
// Kubernetes version, the CNI and whether it encapsulates pod→pod traffic
// across nodes, and each node's OS, kernel, runtime, addresses and MTUs.
func TestInfoFacts(t *testing.T) {
	withInfo := func(n *corev1.Node) {
		n.Status.NodeInfo = corev1.NodeSystemInfo{KernelVersion: "6.1.0", OSImage: "Debian GNU/Linux 12 (bookworm)", Architecture: "amd64",
			ContainerRuntimeVersion: "containerd://1.6", KubeletVersion: "v1.34.4"}
		n.Status.Addresses = append(n.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeHostName, Address: n.Name})
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "kube-flannel-cfg", Namespace: "kube-flannel"},
		Data: map[string]string{"net-conf.json": `{"Network": "198.19.0.0/16", "Backend": {"Type": "vxlan"}}`}}
	f := newFake(t, node("node-1", "198.18.0.1", withInfo), node("node-2", "198.18.0.2", withInfo), cm)
	f.cs.Discovery().(*fakediscovery.FakeDiscovery).FakedServerVersion = &version.Info{GitVersion: "v1.34.4"}
	f.exec.proxyMode = func(string) (string, error) { return "nftables", nil }
	c := newCluster(t, f)
	info, err := c.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Kubernetes v1.34.4",
		"CNI flannel, datapath vxlan: pod→pod across nodes encapsulated (50 B header)",
		"Service proxy kube-proxy nftables (kube-proxy's /proxyMode on node-1)",
		"IP families: single-stack (pods IPv4, nodes' InternalIPs IPv4)",
		"node-1: Debian GNU/Linux 12 (bookworm), kernel 6.1.0, amd64, containerd://1.6, InternalIP 198.18.0.1, MTU 1500, pod MTU 1450",
		"node-2: Debian GNU/Linux 12 (bookworm), kernel 6.1.0, amd64, containerd://1.6, InternalIP 198.18.0.2, MTU 1500, pod MTU 1450",
		"pods in cnibench-" + testID + ": user 65532, no capabilities, no privilege escalation, read-only root; hostNetwork only for host-1 and host-2 (the node endpoints measure the node's own network)",
	}
	if !slices.Equal(info.Facts, want) {
		t.Errorf("facts:\n%s\nwant:\n%s", strings.Join(info.Facts, "\n"), strings.Join(want, "\n"))
	}
	if info.ServiceProxy != "kube-proxy nftables" {
		t.Errorf("service proxy %q, want kube-proxy nftables", info.ServiceProxy)
	}
	if d := info.Details.(Details); d.Nodes[0].PodMTU != 1450 || d.Nodes[1].MTU != 1500 {
		t.Errorf("node facts %+v", d.Nodes)
	}
}

func TestCNIFact(t *testing.T) {
	for cni, want := range map[CNI]string{
		flannelCNI("host-gw", ""):   "CNI flannel (backend host-gw), datapath routed: pod→pod across nodes not encapsulated",
		flannelCNI("wireguard", ""): "CNI flannel, datapath wireguard: pod→pod across nodes encapsulated (60 B header)",
		flannelCNI("", ""):          "CNI flannel (backend udp), datapath unknown",
		{Name: "cilium", Datapath: "unknown", Note: "tunnel-protocol \"x\" unknown"}: `CNI cilium, datapath unknown: tunnel-protocol "x" unknown`,
		{}: "CNI unknown, datapath unknown",
	} {
		if got := cni.fact(); got != want {
			t.Errorf("%+v: %q, want %q", cni, got, want)
		}
	}
}

// TestNodeFact: a node's line leaves out what is unknown, shows the
// kubelet only when it is not the server's version, and only IP addresses.
func TestNodeFact(t *testing.T) {
	n := NodeFacts{Name: "w1", Kernel: "6.8.0", Kubelet: "v1.33.1", Addresses: []string{"InternalIP=10.0.0.5", "InternalIP=fd00::5", "ExternalIP=203.0.113.5", "Hostname=w1", "InternalDNS=w1.local"}}
	if got, want := n.fact("v1.34.4"), "w1: kernel 6.8.0, kubelet v1.33.1, InternalIP 10.0.0.5, InternalIP fd00::5, ExternalIP 203.0.113.5"; got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if got, want := (NodeFacts{Name: "w2"}).fact(""), "w2"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
