package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/cnibench/cnibench/internal/agent"
	"github.com/cnibench/cnibench/internal/cluster"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// CNI is the pod network detected, and where it was read.
type CNI struct {
	Name     string           `json:"name"`    // "flannel", "calico", "cilium", ... or "unknown"
	Backend  string           `json:"backend"` // as the CNI names it: "vxlan", "host-gw", ...
	Datapath cluster.Datapath `json:"datapath"`
	// HeaderTax is the encapsulation's bytes per packet over an IPv4
	// underlay (Datapath.HeaderTax); Path charges the underlay's own.
	HeaderTax int    `json:"header_tax,omitempty"`
	Source    string `json:"source,omitempty"` // e.g. "ConfigMap kube-flannel/kube-flannel-cfg"
	Note      string `json:"note,omitempty"`   // why detection could not tell
}

// flannelBackends maps flannel's backend types to a datapath; its header
// tax is the datapath's (cluster.Datapath.HeaderTax: over IPv4, VXLAN's
// outer IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14 = 50, IPIP's 20,
// WireGuard's 60).
var flannelBackends = map[string]cluster.Datapath{
	"vxlan":     cluster.VXLAN,
	"host-gw":   cluster.Routed,
	"ipip":      cluster.IPIP,
	"wireguard": cluster.WireGuard,
}

// Where kube-flannel.yml puts flannel's configuration.
var flannelConfigMaps = []string{"kube-flannel", "kube-system"}

const (
	flannelConfigMap         = "kube-flannel-cfg"
	flannelBackendAnnotation = "flannel.alpha.coreos.com/backend-type"
)

// detectCNI finds the pod network once: flannel from its ConfigMap's
// net-conf.json (Backend.Type), else from its node annotation; then
// Calico, Cilium and, by DaemonSet name only, others (detectCalicoCilium).
func (c *Cluster) detectCNI(ctx context.Context) CNI {
	c.mu.Lock()
	if c.cni != nil {
		defer c.mu.Unlock()
		return *c.cni
	}
	c.mu.Unlock()
	cni := CNI{Name: "unknown", Datapath: cluster.Unknown}
	var notes []string
	for _, ns := range flannelConfigMaps {
		cm, err := c.cfg.Client.CoreV1().ConfigMaps(ns).Get(ctx, flannelConfigMap, metav1.GetOptions{})
		if err != nil {
			if !apierrors.IsNotFound(err) {
				notes = append(notes, fmt.Sprintf("ConfigMap %s/%s: %v", ns, flannelConfigMap, err))
			}
			continue
		}
		var conf struct {
			Backend struct{ Type string } `json:"Backend"`
		}
		if err := json.Unmarshal([]byte(cm.Data["net-conf.json"]), &conf); err != nil {
			notes = append(notes, fmt.Sprintf("ConfigMap %s/%s: net-conf.json: %v", ns, flannelConfigMap, err))
			continue
		}
		cni = flannelCNI(conf.Backend.Type, "ConfigMap "+ns+"/"+flannelConfigMap)
		break
	}
	if cni.Name == "unknown" {
		for _, name := range c.choice.Nodes {
			if n := c.nodes[name]; n != nil && n.Annotations[flannelBackendAnnotation] != "" {
				cni = flannelCNI(n.Annotations[flannelBackendAnnotation], "node "+name+" annotation "+flannelBackendAnnotation)
				break
			}
		}
	}
	if cni.Name == "unknown" {
		var more []string
		cni, more = c.detectCalicoCilium(ctx)
		notes = append(notes, more...)
	}
	if cni.Name == "unknown" || !cni.Datapath.Known() {
		if cni.Name == "unknown" {
			notes = append(notes, "no known CNI found (flannel, Calico, Cilium or a CNI DaemonSet in "+strings.Join(daemonSetNamespaces, ", ")+")")
		}
		if cni.Note != "" {
			notes = append([]string{cni.Note}, notes...)
		}
		cni.Note = strings.Join(notes, "; ")
	}
	c.mu.Lock()
	c.cni = &cni
	c.mu.Unlock()
	return cni
}

func flannelCNI(backend, source string) CNI {
	if backend == "" {
		backend = "udp" // flannel's default when Backend is absent
	}
	cni := CNI{Name: "flannel", Backend: backend, Datapath: cluster.Unknown, Source: source}
	if dp, ok := flannelBackends[strings.ToLower(backend)]; ok {
		cni = cni.with(dp)
	}
	return cni
}

// with sets the CNI's datapath and its header tax over IPv4.
func (cni CNI) with(dp cluster.Datapath) CNI {
	cni.Datapath, cni.HeaderTax = dp, dp.HeaderTax(cluster.IPv4)
	return cni
}

// Path says what carries traffic from from to to: the detected datapath,
// whether it is encapsulated (a pod backend on another node than where the
// packet enters the pod network), its header tax over the underlay's family
// (that of the node's first address, whose interface gives the underlay
// MTU), and the MTUs read inside the pods.
func (c *Cluster) Path(ctx context.Context, from cluster.Endpoint, to cluster.Target) (cluster.Path, error) {
	if _, ok := c.endpoint(from.Name); !ok {
		return cluster.Path{}, fmt.Errorf("namespace %s has no endpoint %q", c.ns, from.Name)
	}
	cni := c.detectCNI(ctx)
	backendPod := to.Backend.Kind == cluster.PodEndpoint
	entry := from.Node
	if to.Kind == cluster.NodePortTarget {
		entry = c.nodeOfAddr(to.Addr.Addr())
	}
	p := cluster.Path{Datapath: cni.Datapath, Encapsulated: cni.Datapath.Encapsulates() && backendPod && entry != to.Backend.Node}
	if from.Kind == cluster.NodeEndpoint && !backendPod {
		p.Datapath = cluster.Host
	}
	nodeEp, nodeOK := c.endpoint(from.Node)
	if p.Encapsulated {
		underlay := cluster.IPv4
		if nodeOK && len(nodeEp.Addrs) > 0 {
			underlay = cluster.FamilyOf(nodeEp.Addrs[0])
		}
		p.HeaderTax = cni.Datapath.HeaderTax(underlay)
	}
	var err error
	if nodeOK {
		if ifs, e := c.netInfo(ctx, nodeEp); e == nil {
			p.UnderlayMTU = agent.MTUOf(ifs, nodeEp.Addrs[0])
		} else {
			err = e
		}
	}
	switch {
	case from.Kind == cluster.PodEndpoint:
		fromEp, _ := c.endpoint(from.Name)
		if ifs, e := c.netInfo(ctx, fromEp); e == nil {
			p.MTU = agent.MTUOf(ifs, fromEp.Addrs[0])
		} else {
			err = e
		}
	case !backendPod && from.Node == to.Backend.Node && entry == from.Node && nodeOK:
		// the node's own address: the kernel routes it through lo
		if ifs, e := c.netInfo(ctx, nodeEp); e == nil {
			p.MTU = agent.LoopbackMTU(ifs)
		}
	case p.Encapsulated && to.Kind != cluster.NodePortTarget && p.UnderlayMTU > 0:
		p.MTU = p.UnderlayMTU - p.HeaderTax // the node sends through its tunnel
	default:
		p.MTU = p.UnderlayMTU
	}
	if from.Node == to.Backend.Node && entry == from.Node {
		p.UnderlayMTU = 0 // the path stays inside the node: no underlay, no MTU floor (as the lab)
	}
	return p, err
}

// nodeOfAddr names the node endpoint owning a (node) address, "" if none.
func (c *Cluster) nodeOfAddr(a interface{ String() string }) string {
	for _, e := range c.eps {
		if e.Kind != cluster.NodeEndpoint {
			continue
		}
		for _, x := range e.Addrs {
			if x.String() == a.String() {
				return e.Name
			}
		}
	}
	return ""
}
