package kube

import (
	"context"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// TestDetectServiceProxy: kube-proxy's own answer on the nodes wins; then
// Cilium's replacement, kube-proxy's ConfigMap, its DaemonSet's flags; and
// a cluster that says none of them is "unknown" with the reason.
func TestDetectServiceProxy(t *testing.T) {
	cm := func(name string, data map[string]string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "kube-system"}, Data: data}
	}
	ds := func(args ...string) *appsv1.DaemonSet {
		d := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "kube-proxy", Namespace: "kube-system"}}
		d.Spec.Template.Spec.Containers = []corev1.Container{{Name: "kube-proxy", Command: []string{"/usr/local/bin/kube-proxy"}, Args: args}}
		return d
	}
	modes := func(m map[string]string) func(string) (string, error) {
		return func(pod string) (string, error) {
			for suffix, mode := range m {
				if strings.HasSuffix(pod, suffix) {
					return mode, nil
				}
			}
			return "iptables", nil
		}
	}
	tests := []struct {
		name     string
		objs     []runtime.Object
		answer   func(string) (string, error)
		want     string // ServiceProxy.String()
		wantFact string
	}{
		{"kube-proxy answers", []runtime.Object{ds("--proxy-mode=ipvs")}, modes(nil), "kube-proxy iptables",
			"Service proxy kube-proxy iptables (kube-proxy's /proxyMode on node-1)"},
		{"nodes differ", nil, modes(map[string]string{"host-2": "nftables"}), "kube-proxy iptables",
			"Service proxy kube-proxy iptables (kube-proxy's /proxyMode on node-1): node-2 runs kube-proxy in nftables mode"},
		{"cilium replaces it", []runtime.Object{cm("cilium-config", map[string]string{"kube-proxy-replacement": "true"}), ds()}, nil, "cilium kube-proxy-replacement",
			"Service proxy cilium kube-proxy-replacement (ConfigMap kube-system/cilium-config kube-proxy-replacement=true)"},
		{"kubeadm's ConfigMap", []runtime.Object{cm("cilium-config", map[string]string{"kube-proxy-replacement": "false"}),
			cm("kube-proxy", map[string]string{"config.conf": "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: nftables\n"})},
			nil, "kube-proxy nftables", "Service proxy kube-proxy nftables (ConfigMap kube-system/kube-proxy)"},
		{"ConfigMap without a mode", []runtime.Object{cm("kube-proxy", map[string]string{"config.conf": "kind: KubeProxyConfiguration\nmode: \"\"\n"})},
			nil, "kube-proxy iptables", "Service proxy kube-proxy iptables (ConfigMap kube-system/kube-proxy): mode unset: kube-proxy's default on Linux"},
		{"DaemonSet flags", []runtime.Object{ds("--proxy-mode", "ipvs")}, nil, "kube-proxy ipvs",
			"Service proxy kube-proxy ipvs (DaemonSet kube-system/kube-proxy --proxy-mode)"},
		{"DaemonSet without the flag", []runtime.Object{ds("--v=2")}, nil, "kube-proxy",
			"Service proxy kube-proxy (DaemonSet kube-system/kube-proxy): its mode is in neither its flags nor a ConfigMap cnibench reads"},
		{"nothing", nil, nil, "unknown",
			"Service proxy unknown: kube-proxy's /proxyMode did not answer on node-1, node-2 (no kube-proxy at http://127.0.0.1:10249/proxyMode: connection refused); " +
				"kube-system holds neither kube-proxy's configuration nor a Cilium kube-proxy replacement"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, append(twoNodes(), tt.objs...)...)
			f.exec.proxyMode = tt.answer
			c := newCluster(t, f)
			p := c.detectServiceProxy(context.Background())
			if p.String() != tt.want || p.fact() != tt.wantFact {
				t.Errorf("got %q, fact\n  %q\nwant %q, fact\n  %q", p.String(), p.fact(), tt.want, tt.wantFact)
			}
		})
	}
}

func TestProxyModeFlag(t *testing.T) {
	for args, want := range map[string]string{
		"--proxy-mode=nftables":   "nftables",
		"--proxy-mode nftables":   "nftables",
		"--proxy-mode=":           "",
		"--proxy-mode":            "",
		"--config=/var/lib/x.yml": "",
	} {
		d := &appsv1.DaemonSet{}
		d.Spec.Template.Spec.Containers = []corev1.Container{{Args: strings.Fields(args)}}
		if got, ok := proxyModeFlag(d); got != want || ok != (want != "") {
			t.Errorf("%q: %q %v, want %q", args, got, ok, want)
		}
	}
}
