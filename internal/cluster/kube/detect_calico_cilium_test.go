package kube

import (
	"context"
	"testing"

	"github.com/cnibench/cnibench/internal/cluster"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
)

func ipPool(name, cidr, ipip, vxlan string, disabled bool) *unstructured.Unstructured {
	spec := map[string]any{"cidr": cidr, "ipipMode": ipip, "vxlanMode": vxlan, "disabled": disabled}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "crd.projectcalico.org/v1", "kind": "IPPool",
		"metadata": map[string]any{"name": name}, "spec": spec,
	}}
}

func daemonSet(ns, name string, env ...corev1.EnvVar) *appsv1.DaemonSet {
	return &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: appsv1.DaemonSetSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: name, Env: env}}}}}}
}

func ciliumConfig(data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: ciliumConfigMap, Namespace: "kube-system"}, Data: data}
}

func TestDetectCalicoCilium(t *testing.T) {
	for _, tc := range []struct {
		name      string
		objs      []runtime.Object
		pools     []runtime.Object
		cni, back string
		datapath  cluster.Datapath
		tax       int
		source    string
	}{
		{name: "calico pool vxlan", pools: []runtime.Object{
			ipPool("v6", "fd00::/48", "", "Always", false),
			ipPool("old", "198.19.0.0/16", "Always", "Never", true),
			ipPool("default-ipv4-ippool", "198.19.0.0/16", "Never", "Always", false),
		}, objs: []runtime.Object{daemonSet("kube-system", calicoNode)},
			cni: "calico", datapath: "vxlan", back: "vxlan", tax: 50, source: "IPPool default-ipv4-ippool (198.19.0.0/16)"},
		{name: "calico pool ipip crosssubnet", pools: []runtime.Object{ipPool("p", "198.19.0.0/16", "CrossSubnet", "Never", false)},
			cni: "calico", datapath: "ipip", back: "ipip-crosssubnet", tax: 20, source: "IPPool p (198.19.0.0/16)"},
		{name: "calico pool routed", pools: []runtime.Object{ipPool("p", "198.19.0.0/16", "Never", "Never", false)},
			cni: "calico", datapath: "routed", back: "bgp", source: "IPPool p (198.19.0.0/16)"},
		{name: "calico env ipip", objs: []runtime.Object{daemonSet("kube-system", calicoNode, corev1.EnvVar{Name: "CALICO_IPV4POOL_IPIP", Value: "Always"})},
			cni: "calico", datapath: "ipip", back: "ipip", tax: 20, source: "DaemonSet kube-system/calico-node env"},
		{name: "calico env vxlan (operator)", objs: []runtime.Object{daemonSet("calico-system", calicoNode, corev1.EnvVar{Name: "CALICO_IPV4POOL_VXLAN", Value: "Always"}, corev1.EnvVar{Name: "CALICO_IPV4POOL_IPIP", Value: "Never"})},
			cni: "calico", datapath: "vxlan", back: "vxlan", tax: 50, source: "DaemonSet calico-system/calico-node env"},
		{name: "calico env default", objs: []runtime.Object{daemonSet("kube-system", calicoNode)},
			cni: "calico", datapath: "routed", back: "bgp", source: "DaemonSet kube-system/calico-node env"},
		{name: "cilium old tunnel", objs: []runtime.Object{ciliumConfig(map[string]string{"tunnel": "geneve"}), daemonSet("kube-system", "cilium")},
			cni: "cilium", datapath: "geneve", back: "geneve", tax: 50, source: "ConfigMap kube-system/cilium-config"},
		{name: "cilium old disabled", objs: []runtime.Object{ciliumConfig(map[string]string{"tunnel": "disabled"})},
			cni: "cilium", datapath: "routed", back: "native", source: "ConfigMap kube-system/cilium-config"},
		{name: "cilium new tunnel", objs: []runtime.Object{ciliumConfig(map[string]string{"routing-mode": "tunnel", "tunnel-protocol": "vxlan"})},
			cni: "cilium", datapath: "vxlan", back: "vxlan", tax: 50, source: "ConfigMap kube-system/cilium-config"},
		{name: "cilium new native", objs: []runtime.Object{ciliumConfig(map[string]string{"routing-mode": "native", "tunnel-protocol": "vxlan"})},
			cni: "cilium", datapath: "routed", back: "native", source: "ConfigMap kube-system/cilium-config"},
		{name: "cilium default", objs: []runtime.Object{ciliumConfig(map[string]string{})},
			cni: "cilium", datapath: "vxlan", back: "vxlan", tax: 50, source: "ConfigMap kube-system/cilium-config"},
		{name: "weave by name", objs: []runtime.Object{daemonSet("kube-system", "kube-proxy"), daemonSet("kube-system", "weave-net")},
			cni: "weave", datapath: "unknown", source: "DaemonSet kube-system/weave-net"},
		{name: "antrea by name", objs: []runtime.Object{daemonSet("kube-system", "antrea-agent")},
			cni: "antrea", datapath: "unknown", source: "DaemonSet kube-system/antrea-agent"},
		{name: "nothing", objs: []runtime.Object{daemonSet("kube-system", "kube-proxy")}, cni: "unknown", datapath: "unknown"},
	} {
		f := newFake(t, append(twoNodes(), tc.objs...)...)
		cfg := f.config()
		cfg.Dynamic = dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
			map[schema.GroupVersionResource]string{CalicoIPPools: "IPPoolList"}, tc.pools...)
		c, err := New(context.Background(), cfg)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		cni := c.detectCNI(context.Background())
		if cni.Name != tc.cni || cni.Datapath != tc.datapath || cni.Backend != tc.back || cni.HeaderTax != tc.tax || cni.Source != tc.source {
			t.Errorf("%s: %+v", tc.name, cni)
		}
		if cni.Datapath == "unknown" && cni.Note == "" {
			t.Errorf("%s: note %q", tc.name, cni.Note)
		}
		if tc.datapath == "vxlan" || tc.datapath == "geneve" {
			eps, _ := c.Endpoints(context.Background())
			p, err := c.Path(context.Background(), eps[2], (&server{ep: eps[4], port: 5201}).Target())
			if err != nil || !p.Encapsulated || p.HeaderTax != tc.tax || p.Datapath != tc.datapath {
				t.Errorf("%s: path %+v, %v", tc.name, p, err)
			}
		}
		info, _ := c.Info(context.Background())
		if d := info.Details.(Details); d.CNI != cni {
			t.Errorf("%s: info CNI %+v", tc.name, d.CNI)
		}
		_ = c.Close(context.Background())
	}
}
