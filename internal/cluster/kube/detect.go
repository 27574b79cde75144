package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/cnibench/cnibench/internal/cluster"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// CNI is the pod network detected, and where it was read.
type CNI struct {
	Name     string `json:"name"`     // "flannel", "calico", "cilium", ... or "unknown"
	Backend  string `json:"backend"`  // as the CNI names it: "vxlan", "host-gw", ...
	Datapath string `json:"datapath"` // cluster.Path's vocabulary: "vxlan", "geneve", "routed", "ipip", "wireguard", "unknown"
	// HeaderTax is the encapsulation's bytes per packet (IPv4 underlay).
	HeaderTax int    `json:"header_tax,omitempty"`
	Source    string `json:"source,omitempty"` // e.g. "ConfigMap kube-flannel/kube-flannel-cfg"
	Note      string `json:"note,omitempty"`   // why detection could not tell
}

// flannelBackends maps flannel's backend types to a datapath and its
// per-packet header (outer IPv4 + UDP + VXLAN = 50, IPv4 = 20, WireGuard
// over IPv4 = 60).
var flannelBackends = map[string]struct {
	datapath string
	tax      int
}{
	"vxlan":     {"vxlan", 50},
	"host-gw":   {"routed", 0},
	"ipip":      {"ipip", 20},
	"wireguard": {"wireguard", 60},
}

// Where kube-flannel.yml puts flannel's configuration.
var flannelConfigMaps = []string{"kube-flannel", "kube-system"}

const (
	flannelConfigMap         = "kube-flannel-cfg"
	flannelBackendAnnotation = "flannel.alpha.coreos.com/backend-type"
)

// detectCNI finds the pod network once: flannel from its ConfigMap's
// net-conf.json (Backend.Type), else from its node annotation; then
// Calico, Cilium and, by DaemonSet name only, others (detectOther).
func (c *Cluster) detectCNI(ctx context.Context) CNI {
	c.mu.Lock()
	if c.cni != nil {
		defer c.mu.Unlock()
		return *c.cni
	}
	c.mu.Unlock()
	cni := CNI{Name: "unknown", Datapath: "unknown"}
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
		cni, more = c.detectOther(ctx)
		notes = append(notes, more...)
	}
	if cni.Name == "unknown" || cni.Datapath == "unknown" {
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
	cni := CNI{Name: "flannel", Backend: backend, Datapath: "unknown", Source: source}
	if b, ok := flannelBackends[strings.ToLower(backend)]; ok {
		cni.Datapath, cni.HeaderTax = b.datapath, b.tax
	}
	return cni
}

// Path says what carries traffic from from to to: the detected datapath,
// whether it is encapsulated (a pod backend on another node than where the
// packet enters the pod network), and the MTUs read inside the pods.
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
	encapDP := cni.HeaderTax > 0
	p := cluster.Path{Datapath: cni.Datapath, Encapsulated: encapDP && backendPod && entry != to.Backend.Node}
	if from.Kind == cluster.NodeEndpoint && !backendPod {
		p.Datapath = "host"
	}
	if p.Encapsulated {
		p.HeaderTax = cni.HeaderTax
	}
	var err error
	if nodeEp, ok := c.endpoint(from.Node); ok {
		if ifs, e := c.netInfo(ctx, nodeEp); e == nil {
			p.UnderlayMTU = mtuOf(ifs, nodeEp.Addrs[0])
		} else {
			err = e
		}
	}
	switch {
	case from.Kind == cluster.PodEndpoint:
		fromEp, _ := c.endpoint(from.Name)
		if ifs, e := c.netInfo(ctx, fromEp); e == nil {
			p.MTU = mtuOf(ifs, fromEp.Addrs[0])
		} else {
			err = e
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
