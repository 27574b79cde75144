package lab

import (
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strconv"

	"github.com/cnibench/cnibench/internal/units"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/runid"
)

// Datapath is how pod traffic crosses nodes: cluster's vocabulary (its
// names, header taxes and parsing); the lab builds the four below.
type Datapath = cluster.Datapath

const (
	// Routed is Calico BGP without encapsulation: per-pod /32 routes and
	// node routes to other nodes' pod CIDRs via the underlay.
	Routed = cluster.Routed
	// VXLAN is flannel's vxlan backend: one VTEP per node (VNI 1, UDP 8472)
	// with static FDB and neighbour entries.
	VXLAN = cluster.VXLAN
	// IPIP is Calico's IPIP mode: IPv4-in-IPv4 for pod traffic between nodes.
	IPIP = cluster.IPIP
	// WireGuard is Calico's WireGuard mode: encrypted UDP between nodes.
	WireGuard = cluster.WireGuard
)

// Datapaths lists every datapath the lab builds, in documentation order.
var Datapaths = []Datapath{Routed, VXLAN, IPIP, WireGuard}

// headerTax is d's header tax on the lab's underlay, which is IPv4 (IPv6
// pod traffic rides it too).
func headerTax(d Datapath) int { return d.HeaderTax(cluster.IPv4) }

// Config describes a lab. The zero value plus Defaults is the seed's
// cluster shape: 3 nodes with 2 pods each, routed, MTU 1500, unshaped.
type Config struct {
	ID          string   `json:"id"`            // [a-z0-9]{1,8}; random when empty
	Nodes       int      `json:"nodes"`         // default 3
	PodsPerNode int      `json:"pods_per_node"` // default 2
	Datapath    Datapath `json:"datapath"`      // default routed
	UnderlayMTU int      `json:"underlay_mtu"`  // default 1500
	// PodMTU defaults to UnderlayMTU minus the datapath's header tax; set
	// it higher to reproduce an MTU mismatch.
	PodMTU int `json:"pod_mtu"`
	// LinkRate shapes each node's uplink with a tbf qdisc (bits/s, 0 = unshaped).
	LinkRate uint64 `json:"link_rate,omitempty"`
	// SlowNode (an index from 1; 0 = none) has its uplink shaped to
	// SlowNodeRate both ways (the node's egress and its switch port's)
	// instead of LinkRate: a slow node, for a mesh to find.
	SlowNode     int    `json:"slow_node,omitempty"`
	SlowNodeRate uint64 `json:"slow_node_rate,omitempty"`
	// DualStack adds IPv6 (ULA fd00:198:18::/48) beside IPv4.
	DualStack bool `json:"dual_stack,omitempty"`
	// PolicyRules is the number of non-matching filter rules every packet
	// forwarded by a node walks before it is accepted.
	PolicyRules int `json:"policy_rules,omitempty"`
	// ServiceProxy is how nodes implement Services, after kube-proxy's
	// modes: nftables (verdict maps, the default) or iptables (a linear
	// KUBE-SERVICES chain).
	ServiceProxy ServiceProxy `json:"service_proxy,omitempty"`
	// Services is how many dummy Services (a ClusterIP, one TCP port, one
	// endpoint) sit in every node's tables, as a cluster's do.
	Services int `json:"services,omitempty"`
	// Named bind-mounts the namespaces under /run/netns (for `lab up`), so
	// they outlive the process; otherwise only this process holds them and
	// the kernel removes everything when it ends.
	Named bool `json:"named,omitempty"`

	Logger *slog.Logger `json:"-"` // nil = discard
}

// Limits of a lab's shape, from the addressing plan (one /24 per node).
const (
	MaxNodes       = 64
	MaxPodsPerNode = 26 // pods are named pod-1a … pod-1z
	MinMTU         = 1280
	MaxMTU         = 9000
	MaxPolicyRules = 100000
)

var idRE = regexp.MustCompile(`^[a-z0-9]{1,8}$`)

// WithDefaults fills the zero fields. It does not validate.
func (c Config) WithDefaults() Config {
	if c.Nodes == 0 {
		c.Nodes = 3
	}
	if c.PodsPerNode == 0 {
		c.PodsPerNode = 2
	}
	if c.Datapath == "" {
		c.Datapath = Routed
	}
	if c.UnderlayMTU == 0 {
		c.UnderlayMTU = 1500
	}
	if c.ServiceProxy == "" {
		c.ServiceProxy = ServiceProxies[0]
	}
	if c.PodMTU == 0 {
		c.PodMTU = c.UnderlayMTU - headerTax(c.Datapath)
	}
	if c.ID == "" {
		c.ID = runid.New()
	}
	return c
}

// uplinkRate is node i's uplink rate (0 = unshaped) and whether it is
// shaped both ways.
func (c Config) uplinkRate(i int) (rate uint64, bothWays bool) {
	if c.SlowNode != 0 && i == c.SlowNode {
		return c.SlowNodeRate, true
	}
	return c.LinkRate, false
}

// Validate explains the first thing wrong with a defaulted config.
func (c Config) Validate() error {
	var errs []error
	if !idRE.MatchString(c.ID) {
		errs = append(errs, fmt.Errorf("lab ID %q: use 1 to 8 lowercase letters or digits", c.ID))
	}
	if c.Nodes < 1 || c.Nodes > MaxNodes {
		errs = append(errs, fmt.Errorf("nodes %d: use 1..%d", c.Nodes, MaxNodes))
	}
	if c.PodsPerNode < 0 || c.PodsPerNode > MaxPodsPerNode {
		errs = append(errs, fmt.Errorf("pods per node %d: use 0..%d", c.PodsPerNode, MaxPodsPerNode))
	}
	known := false
	for _, d := range Datapaths {
		known = known || d == c.Datapath
	}
	if !known {
		errs = append(errs, fmt.Errorf("datapath %q: use one of %s", c.Datapath, cluster.JoinDatapaths(Datapaths)))
	}
	if c.UnderlayMTU < MinMTU || c.UnderlayMTU > MaxMTU {
		errs = append(errs, fmt.Errorf("underlay MTU %d: use %d..%d", c.UnderlayMTU, MinMTU, MaxMTU))
	}
	if c.PodMTU < 576 || c.PodMTU > MaxMTU {
		errs = append(errs, fmt.Errorf("pod MTU %d: use 576..%d", c.PodMTU, MaxMTU))
	}
	if c.DualStack && c.PodMTU < MinMTU {
		errs = append(errs, fmt.Errorf("pod MTU %d: IPv6 needs at least %d", c.PodMTU, MinMTU))
	}
	if c.LinkRate != 0 && c.LinkRate < 1000*8 {
		errs = append(errs, fmt.Errorf("link rate %s: use at least 8kbit, or 0 for unshaped", units.FormatRate(float64(c.LinkRate))))
	}
	if c.SlowNode != 0 {
		if c.SlowNode < 1 || c.SlowNode > c.Nodes {
			errs = append(errs, fmt.Errorf("slow node %s: the lab has %s", NodeName(c.SlowNode), count(c.Nodes, "node")))
		}
		if c.SlowNodeRate < 1000*8 {
			errs = append(errs, fmt.Errorf("%s's link rate %s: use at least 8kbit", NodeName(c.SlowNode), units.FormatRate(float64(c.SlowNodeRate))))
		}
	}
	if c.PolicyRules < 0 || c.PolicyRules > MaxPolicyRules {
		errs = append(errs, fmt.Errorf("policy rules %d: use 0..%d", c.PolicyRules, MaxPolicyRules))
	}
	if !slices.Contains(ServiceProxies, c.ServiceProxy) {
		errs = append(errs, fmt.Errorf("service proxy %q: use %s or %s (kube-proxy's modes)", c.ServiceProxy, NFTablesProxy, IPTablesProxy))
	}
	if c.Services < 0 || c.Services > MaxServices {
		errs = append(errs, fmt.Errorf("services %d: use 0..%d", c.Services, MaxServices))
	}
	return errors.Join(errs...)
}

// mtuWarnings says, for a defaulted config, whether the pod MTU does not
// fit the underlay under the datapath (cluster.MTUWarning): a --pod-mtu
// above the underlay MTU less the header tax, or far below it. A lab of
// one node has none: its pod traffic never meets the underlay.
func (c Config) mtuWarnings() []string {
	if c.Nodes < 2 {
		return nil
	}
	if w := cluster.MTUWarning("every node", c.PodMTU, c.UnderlayMTU, c.Datapath, headerTax(c.Datapath), "--pod-mtu"); w != "" {
		return []string{w}
	}
	return nil
}

// facts are the lines a report prints about a defaulted config: the lab's
// shape, then its datapath, MTUs, link rate and policy rules (a run of
// several variants keeps each variant's, labelled).
func (c Config) facts() []string {
	s := "emulated on one host: " + count(c.Nodes, "node") + " × " + count(c.PodsPerNode, "pod") + ", network namespaces joined by veths"
	if c.DualStack {
		s += ", dual-stack (" + c.dualStackFact() + ")"
	}
	dp := fmt.Sprintf("datapath %s, MTU %d (pods) / %d (underlay), ", c.Datapath, c.PodMTU, c.UnderlayMTU)
	if c.LinkRate > 0 {
		dp += "uplinks shaped to " + units.FormatRate(float64(c.LinkRate))
	} else {
		dp += "uplinks unshaped (the figures measure this host's CPU)"
	}
	if c.PolicyRules > 0 {
		dp += fmt.Sprintf(", %d policy rules", c.PolicyRules)
	}
	if c.SlowNode != 0 {
		dp += fmt.Sprintf(", %s's uplink shaped to %s both ways", NodeName(c.SlowNode), units.FormatRate(float64(c.SlowNodeRate)))
	}
	return []string{s, dp, c.proxyFact()}
}

// dualStackFact says how IPv6 crosses the datapath: tunnels keep their
// IPv4 outer header (the header tax an IPv6 test pays is IPv4's), and
// ipip routes IPv6 without encapsulation, as Calico does.
func (c Config) dualStackFact() string {
	switch c.Datapath {
	case IPIP:
		return "IPv6 pods routed without encapsulation, as Calico's IPv6 pools"
	case VXLAN, WireGuard:
		return "IPv6 pods ride the IPv4 underlay's tunnel: outer header IPv4"
	}
	return "IPv6 pods routed like IPv4"
}

// proxyFact says who implements Services and how many sit in the tables.
func (c Config) proxyFact() string {
	s := "Services: kube-proxy's " + string(c.ServiceProxy) + " mode (emulated)"
	if c.Services > 0 {
		s += fmt.Sprintf(", %d other Services in the tables", c.Services)
	}
	return s
}

// count is "1 node", "3 nodes".
func count(n int, noun string) string {
	if n != 1 {
		noun += "s"
	}
	return strconv.Itoa(n) + " " + noun
}
