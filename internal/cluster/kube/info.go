package kube

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/cnibench/cnibench/internal/agent"
	"github.com/cnibench/cnibench/internal/cluster"
	corev1 "k8s.io/api/core/v1"
)

// Details is what a run records about the Kubernetes cluster.
type Details struct {
	Namespace         string      `json:"namespace"`
	KubernetesVersion string      `json:"kubernetes_version,omitempty"`
	Image             string      `json:"image"`
	ServerImage       string      `json:"server_image,omitempty"` // a stock iperf3 served instead of cnibench
	NodeChoice        NodeChoice  `json:"node_choice"`
	Nodes             []NodeFacts `json:"nodes"`
	CNI               CNI         `json:"cni"`
	// ServiceProxy is who implements Services: kube-proxy and its mode,
	// or a CNI's replacement.
	ServiceProxy ServiceProxy `json:"service_proxy"`
	// Families is what the cluster offers of IPv4 and IPv6 (families.go).
	Families *Families `json:"ip_families,omitempty"`
}

// NodeFacts are one measured node's facts.
type NodeFacts struct {
	Name             string   `json:"name"`
	Kernel           string   `json:"kernel,omitempty"`
	OSImage          string   `json:"os_image,omitempty"`
	Arch             string   `json:"arch,omitempty"`
	ContainerRuntime string   `json:"container_runtime,omitempty"`
	Kubelet          string   `json:"kubelet,omitempty"`
	Addresses        []string `json:"addresses,omitempty"`
	MTU              int      `json:"mtu,omitempty"`     // of the interface holding its InternalIP
	PodMTU           int      `json:"pod_mtu,omitempty"` // of its first measured pod's interface
}

// Info records the cluster: version, the node pair and why, the nodes'
// kernels, OS and addresses, the CNI detected.
func (c *Cluster) Info(ctx context.Context) (cluster.Info, error) {
	d := Details{Namespace: c.ns, Image: c.cfg.Image, ServerImage: c.cfg.ServerImage, NodeChoice: c.choice}
	info := cluster.Info{Kind: "kube", Name: c.cfg.Name, Nodes: c.choice.Nodes[:]}
	if c.mesh != nil { // the facts below stay the first two nodes': a mesh's record keeps every node's topology
		info.Nodes = c.mesh.names()
	}
	var errs []error
	if v, err := c.cfg.Client.Discovery().ServerVersion(); err == nil {
		d.KubernetesVersion = v.GitVersion
	} else {
		errs = append(errs, fmt.Errorf("server version: %w", err))
	}
	for _, name := range c.choice.Nodes {
		n := c.nodes[name]
		if n == nil {
			continue
		}
		f := NodeFacts{Name: name, Kernel: n.Status.NodeInfo.KernelVersion, OSImage: n.Status.NodeInfo.OSImage,
			Arch: n.Status.NodeInfo.Architecture, ContainerRuntime: n.Status.NodeInfo.ContainerRuntimeVersion, Kubelet: n.Status.NodeInfo.KubeletVersion}
		for _, a := range n.Status.Addresses {
			f.Addresses = append(f.Addresses, string(a.Type)+"="+a.Address)
		}
		if ep, ok := c.endpoint(name); ok {
			if ifs, err := c.netInfo(ctx, ep); err == nil {
				f.MTU = agent.MTUOf(ifs, ep.Addrs[0])
			} else {
				errs = append(errs, err)
			}
		}
		if ep, ok := c.firstPod(name); ok {
			if ifs, err := c.netInfo(ctx, ep); err == nil {
				f.PodMTU = agent.MTUOf(ifs, ep.Addrs[0])
			} else {
				errs = append(errs, err)
			}
		}
		d.Nodes = append(d.Nodes, f)
		if info.Kernel == "" {
			info.Kernel = f.Kernel
		}
		if info.CPUs == 0 {
			if q, ok := n.Status.Capacity[corev1.ResourceCPU]; ok {
				info.CPUs = int(q.Value())
			}
		}
	}
	d.CNI = c.detectCNI(ctx)
	d.ServiceProxy = c.detectServiceProxy(ctx)
	if d.ServiceProxy.Name != "unknown" {
		info.ServiceProxy = d.ServiceProxy.String()
	}
	c.mu.Lock()
	if fam := c.families; len(fam.Pods) > 0 {
		d.Families = &fam
	}
	c.mu.Unlock()
	info.Warnings = mtuWarnings(d.CNI, d.Nodes)
	info.Details = d
	info.Facts = d.facts()
	return info, errors.Join(errs...)
}

// firstPod is the first pod endpoint on node.
func (c *Cluster) firstPod(node string) (cluster.Endpoint, bool) {
	for _, ep := range c.eps {
		if ep.Kind == cluster.PodEndpoint && ep.Node == node {
			return ep, true
		}
	}
	return cluster.Endpoint{}, false
}

// facts are the lines a report prints about the cluster: its version,
// the CNI and whether it encapsulates pod traffic between nodes, and each
// node's OS, kernel, runtime, addresses and MTUs.
func (d Details) facts() []string {
	var out []string
	if d.KubernetesVersion != "" {
		out = append(out, "Kubernetes "+d.KubernetesVersion)
	}
	out = append(out, d.CNI.fact())
	if d.ServiceProxy.Name != "" {
		out = append(out, d.ServiceProxy.fact())
	}
	if d.Families != nil {
		out = append(out, d.Families.fact())
	}
	for _, n := range d.Nodes {
		out = append(out, n.fact(d.KubernetesVersion))
	}
	out = append(out, privilegesFact(d))
	return out
}

// privilegesFact says what the run's pods were allowed, so a reviewer
// sees the one exception to least privilege and why.
func privilegesFact(d Details) string {
	s := fmt.Sprintf("pods in %s: user %d, no capabilities, no privilege escalation, read-only root; "+
		"hostNetwork only for host-1 and host-2 (the node endpoints measure the node's own network)", d.Namespace, RunAsUser)
	if d.ServerImage != "" {
		s += "; servers: iperf3 from " + d.ServerImage
	}
	return s
}

// fact says, in one line, which CNI carries pod traffic and whether pod→pod
// traffic across nodes is encapsulated: "CNI flannel, datapath vxlan:
// pod→pod across nodes encapsulated (50 B header)".
func (cni CNI) fact() string {
	name := cni.Name
	if name == "" {
		name = "unknown"
	}
	s := "CNI " + name
	if cni.Backend != "" && !strings.EqualFold(cni.Backend, string(cni.Datapath)) {
		s += " (backend " + cni.Backend + ")"
	}
	switch {
	case !cni.Datapath.Known():
		s += ", datapath unknown"
		if cni.Note != "" {
			s += ": " + cni.Note
		}
	case cni.HeaderTax > 0:
		s += fmt.Sprintf(", datapath %s: pod→pod across nodes encapsulated (%d B header)", cni.Datapath, cni.HeaderTax)
	default:
		s += ", datapath " + string(cni.Datapath) + ": pod→pod across nodes not encapsulated"
	}
	return s
}

// fact is the node in one line: "node-1: Debian GNU/Linux 12 (bookworm),
// kernel 6.1.0, amd64, containerd://1.7.24, InternalIP 10.0.0.1, MTU 1500,
// pod MTU 1450"; its kubelet only when it differs from the server's version.
func (n NodeFacts) fact(serverVersion string) string {
	var parts []string
	add := func(prefix, v string) {
		if v != "" {
			parts = append(parts, prefix+v)
		}
	}
	add("", n.OSImage)
	add("kernel ", n.Kernel)
	add("", n.Arch)
	add("", n.ContainerRuntime)
	if n.Kubelet != serverVersion {
		add("kubelet ", n.Kubelet)
	}
	for _, a := range n.Addresses {
		if typ, addr, ok := strings.Cut(a, "="); ok && strings.HasSuffix(typ, "IP") {
			parts = append(parts, typ+" "+addr)
		}
	}
	if n.MTU > 0 {
		parts = append(parts, fmt.Sprintf("MTU %d", n.MTU))
	}
	if n.PodMTU > 0 {
		parts = append(parts, fmt.Sprintf("pod MTU %d", n.PodMTU))
	}
	if len(parts) == 0 {
		return n.Name
	}
	return n.Name + ": " + strings.Join(parts, ", ")
}
