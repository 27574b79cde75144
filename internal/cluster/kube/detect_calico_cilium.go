package kube

import (
	"context"
	"fmt"
	"strings"

	"github.com/cnibench/cnibench/internal/cluster"
	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// CalicoIPPools is Calico's IPPool resource (the CRD of manifest and
// operator installs).
var CalicoIPPools = schema.GroupVersionResource{Group: "crd.projectcalico.org", Version: "v1", Resource: "ippools"}

// Where CNIs put their DaemonSets (calico-system: the Tigera operator).
var daemonSetNamespaces = []string{"kube-system", "calico-system"}

// knownDaemonSets names a CNI by its DaemonSet's name prefix.
var knownDaemonSets = []struct{ prefix, name string }{
	{"calico-node", "calico"},
	{"cilium", "cilium"},
	{"kube-flannel", "flannel"},
	{"weave-net", "weave"},
	{"antrea-agent", "antrea"},
	{"kube-router", "kube-router"},
	{"canal", "canal"},
	{"kube-ovn-cni", "kube-ovn"},
	{"ovnkube-node", "ovn-kubernetes"},
	{"aws-node", "aws-vpc-cni"},
	{"azure-cns", "azure-cni"},
	{"kindnet", "kindnet"},
}

const (
	ciliumConfigMap = "cilium-config"
	calicoNode      = "calico-node"
)

// detectCalicoCilium detects Calico (IPPools, else calico-node's env), Cilium
// (its ConfigMap), else a CNI by its DaemonSet's name (datapath unknown).
// The notes say what could not be read.
func (c *Cluster) detectCalicoCilium(ctx context.Context) (CNI, []string) {
	var notes []string
	var daemonSets []appsv1.DaemonSet
	for _, ns := range daemonSetNamespaces {
		list, err := c.cfg.Client.AppsV1().DaemonSets(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			if !apierrors.IsNotFound(err) {
				notes = append(notes, fmt.Sprintf("DaemonSets in %s: %v", ns, err))
			}
			continue
		}
		daemonSets = append(daemonSets, list.Items...)
	}
	if cni, ok, note := c.detectCalicoPools(ctx); ok {
		return cni, notes
	} else if note != "" {
		notes = append(notes, note)
	}
	for _, ds := range daemonSets {
		if ds.Name == calicoNode {
			return calicoFromEnv(&ds), notes
		}
	}
	cm, err := c.cfg.Client.CoreV1().ConfigMaps("kube-system").Get(ctx, ciliumConfigMap, metav1.GetOptions{})
	switch {
	case err == nil:
		return ciliumCNI(cm.Data, "ConfigMap kube-system/"+ciliumConfigMap), notes
	case !apierrors.IsNotFound(err):
		notes = append(notes, fmt.Sprintf("ConfigMap kube-system/%s: %v", ciliumConfigMap, err))
	}
	for _, ds := range daemonSets {
		for _, k := range knownDaemonSets {
			if strings.HasPrefix(ds.Name, k.prefix) {
				return CNI{Name: k.name, Datapath: cluster.Unknown, Source: "DaemonSet " + ds.Namespace + "/" + ds.Name,
					Note: "recognised by its DaemonSet only; its datapath is not detected"}, notes
			}
		}
	}
	return CNI{Name: "unknown", Datapath: cluster.Unknown}, notes
}

// detectCalicoPools reads Calico's IPPools: the first enabled IPv4 pool
// says the encapsulation (vxlanMode, then ipipMode).
func (c *Cluster) detectCalicoPools(ctx context.Context) (CNI, bool, string) {
	if c.cfg.Dynamic == nil {
		return CNI{}, false, ""
	}
	list, err := c.cfg.Dynamic.Resource(CalicoIPPools).List(ctx, metav1.ListOptions{})
	if err != nil {
		if apierrors.IsNotFound(err) {
			return CNI{}, false, ""
		}
		return CNI{}, false, fmt.Sprintf("Calico IPPools: %v", err)
	}
	for _, pool := range list.Items {
		cidr, _, _ := unstructured.NestedString(pool.Object, "spec", "cidr")
		disabled, _, _ := unstructured.NestedBool(pool.Object, "spec", "disabled")
		if disabled || strings.Contains(cidr, ":") {
			continue
		}
		ipip, _, _ := unstructured.NestedString(pool.Object, "spec", "ipipMode")
		vxlan, _, _ := unstructured.NestedString(pool.Object, "spec", "vxlanMode")
		return calicoCNI(ipip, vxlan, "IPPool "+pool.GetName()+" ("+cidr+")"), true, ""
	}
	return CNI{}, false, ""
}

// calicoFromEnv reads the pool modes calico-node creates its default
// pool with (CALICO_IPV4POOL_IPIP / _VXLAN; unset = Never).
func calicoFromEnv(ds *appsv1.DaemonSet) CNI {
	var ipip, vxlan string
	for _, ctr := range ds.Spec.Template.Spec.Containers {
		for _, e := range ctr.Env {
			switch e.Name {
			case "CALICO_IPV4POOL_IPIP":
				ipip = e.Value
			case "CALICO_IPV4POOL_VXLAN":
				vxlan = e.Value
			}
		}
	}
	return calicoCNI(ipip, vxlan, "DaemonSet "+ds.Namespace+"/"+ds.Name+" env")
}

func calicoCNI(ipip, vxlan, source string) CNI {
	on := func(mode string) bool {
		return strings.EqualFold(mode, "Always") || strings.EqualFold(mode, "CrossSubnet")
	}
	cni := CNI{Name: "calico", Backend: "bgp", Datapath: cluster.Routed, Source: source}
	mode := ""
	switch {
	case on(vxlan):
		cni, mode = cni.with(cluster.VXLAN), vxlan
		cni.Backend = "vxlan"
	case on(ipip):
		cni, mode = cni.with(cluster.IPIP), ipip
		cni.Backend = "ipip"
	}
	if strings.EqualFold(mode, "CrossSubnet") {
		cni.Backend += "-crosssubnet"
		cni.Note = "CrossSubnet: encapsulated only between nodes in different subnets"
	}
	return cni
}

// ciliumCNI reads cilium-config: routing-mode (native|tunnel) and
// tunnel-protocol (vxlan|geneve) since Cilium 1.14, tunnel
// (vxlan|geneve|disabled) before; both default to a VXLAN tunnel.
func ciliumCNI(data map[string]string, source string) CNI {
	cni := CNI{Name: "cilium", Source: source}
	proto := "vxlan"
	switch mode, tunnel := data["routing-mode"], data["tunnel"]; {
	case mode == "native" || (mode == "" && tunnel == "disabled"):
		cni.Backend, cni.Datapath = "native", cluster.Routed
		return cni
	case mode == "" && tunnel != "":
		proto = tunnel
	case data["tunnel-protocol"] != "":
		proto = data["tunnel-protocol"]
	}
	cni.Backend = proto
	switch proto {
	case "vxlan":
		return cni.with(cluster.VXLAN)
	case "geneve":
		return cni.with(cluster.Geneve)
	}
	cni.Datapath = cluster.Unknown
	return cni
}
