package bench

import (
	"fmt"
	"strings"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/runrecord"
)

// Placement says where a scenario's server endpoint lives relative to its
// client's.
type Placement string

const (
	CrossNode Placement = "cross-node" // the server is on the pair's other node (or outside the cluster)
	SameNode  Placement = "same-node"  // the server is on the client's node
	Self      Placement = "self"       // the server runs on the client's own endpoint (hairpin)
)

// NodePortVia says which node's NodePort a nodeport scenario reaches.
type NodePortVia string

const (
	ViaBackendNode NodePortVia = ""           // the node that runs the backend
	ViaOtherNode   NodePortVia = "other-node" // the pair's other node: the packet crosses to it and comes back
)

// Scenario is one row of the matrix: a client of one kind reaching a server
// of another, on the same or the other node of the pair, directly or
// through a Service. The client always runs on the pair's first node (A);
// a cross-node server runs on the second (B), an external one outside the
// cluster.
type Scenario struct {
	Name      string
	From      cluster.EndpointKind // the client: a node's host network or a pod
	To        cluster.EndpointKind // the server endpoint (a Service's backend)
	Placement Placement
	Target    cluster.TargetKind // direct, clusterip or nodeport
	Via       NodePortVia        // nodeport: whose NodePort
	// OnRequest rows run only when named (or with their scenario named):
	// the default set stays short.
	OnRequest bool
	About     string // one line for --help, --dry-run and docs
}

// Scenarios is the matrix, in table order. A baseline is a row from a
// node's host network to a host's network: nothing of the pod network on
// the way. Every row is compared with the baseline over the same
// resources (BaselineName): node-node for cross-node rows, node-node-same,
// listed just above the same-node rows, for those, node-external for the
// rows that leave the cluster. Add a row to add a scenario; nothing else
// needs to change.
var Scenarios = []Scenario{
	{Name: runrecord.BaselineScenario, From: cluster.NodeEndpoint, To: cluster.NodeEndpoint, Placement: CrossNode, Target: cluster.DirectTarget,
		About: "baseline of the cross-node paths: node A's host network → node B's host network, no pod network at all"},
	{Name: "pod-node", From: cluster.PodEndpoint, To: cluster.NodeEndpoint, Placement: CrossNode, Target: cluster.DirectTarget,
		About: "pod on A → node B's host network (pod egress, masqueraded)"},
	{Name: "node-pod", From: cluster.NodeEndpoint, To: cluster.PodEndpoint, Placement: CrossNode, Target: cluster.DirectTarget,
		About: "node A's host network → pod on B (pod ingress)"},
	{Name: "pod-pod-cross", From: cluster.PodEndpoint, To: cluster.PodEndpoint, Placement: CrossNode, Target: cluster.DirectTarget,
		About: "pod on A → pod on B: the pod network's datapath between nodes"},
	{Name: runrecord.LocalBaselineScenario, From: cluster.NodeEndpoint, To: cluster.NodeEndpoint, Placement: SameNode, Target: cluster.DirectTarget,
		About: "baseline of the same-node paths: node A's host network → node A's own address (two host processes on A)"},
	{Name: "pod-pod-same", From: cluster.PodEndpoint, To: cluster.PodEndpoint, Placement: SameNode, Target: cluster.DirectTarget,
		About: "pod on A → another pod on A: never leaves the node"},
	{Name: "pod-clusterip", From: cluster.PodEndpoint, To: cluster.PodEndpoint, Placement: CrossNode, Target: cluster.ClusterIPTarget,
		About: "pod on A → a ClusterIP Service whose backend is a pod on B (DNAT on A)"},
	{Name: "pod-nodeport", From: cluster.PodEndpoint, To: cluster.PodEndpoint, Placement: CrossNode, Target: cluster.NodePortTarget,
		About: "pod on A → node B's NodePort, backend a pod on B (DNAT on B)"},
	{Name: "pod-hairpin", From: cluster.PodEndpoint, To: cluster.PodEndpoint, Placement: Self, Target: cluster.ClusterIPTarget,
		About: "pod on A → a ClusterIP Service whose only backend is that same pod (DNAT and hairpin masquerade on A)"},
	{Name: "pod-nodeport-remote", From: cluster.PodEndpoint, To: cluster.PodEndpoint, Placement: SameNode, Target: cluster.NodePortTarget, Via: ViaOtherNode, OnRequest: true,
		About: "pod on A → node B's NodePort, backend another pod on A (externalTrafficPolicy Cluster: to B, SNAT to B, back to A)"},
	{Name: runrecord.ExternalBaselineScenario, From: cluster.NodeEndpoint, To: cluster.ExternalEndpoint, Placement: CrossNode, Target: cluster.DirectTarget, OnRequest: true,
		About: "baseline of the paths out of the cluster: node A's host network → a server outside the cluster"},
	{Name: "pod-external", From: cluster.PodEndpoint, To: cluster.ExternalEndpoint, Placement: CrossNode, Target: cluster.DirectTarget, OnRequest: true,
		About: "pod on A → a server outside the cluster, through node A's SNAT (egress)"},
}

// Baseline is the cross-node baseline scenario, node-node.
func Baseline() Scenario { return Scenarios[0] }

// IsBaseline reports whether s is a baseline: host network to a host's
// network, directly, so it measures the hosts without the pod network.
func (s Scenario) IsBaseline() bool {
	return s.From == cluster.NodeEndpoint && s.To != cluster.PodEndpoint && s.Target == cluster.DirectTarget
}

// BaselineName names the scenario s is compared with: the bare path that
// crosses the same resources. A path that stays inside one node never
// meets the link between nodes, so it is compared with two host processes
// on its node (node-node-same); a path out of the cluster with node A's
// host network to the same external server (node-external); every other
// path, remote NodePort included (it crosses the link twice), with
// node-node.
func (s Scenario) BaselineName() string {
	switch {
	case s.To == cluster.ExternalEndpoint:
		return runrecord.ExternalBaselineScenario
	case s.staysOnNode():
		return runrecord.LocalBaselineScenario
	}
	return runrecord.BaselineScenario
}

// staysOnNode reports whether s's packets never leave node A.
func (s Scenario) staysOnNode() bool {
	return (s.Placement == SameNode || s.Placement == Self) && s.Via != ViaOtherNode
}

// OnRequestNames lists the scenarios outside the default set.
func OnRequestNames() []string {
	var names []string
	for _, s := range Scenarios {
		if s.OnRequest {
			names = append(names, s.Name)
		}
	}
	return names
}

// ScenarioNames lists every scenario's name, in table order.
func ScenarioNames() []string {
	names := make([]string, len(Scenarios))
	for i, s := range Scenarios {
		names[i] = s.Name
	}
	return names
}

// LookupScenario finds a scenario by name, or explains which names exist.
func LookupScenario(name string) (Scenario, error) {
	for _, s := range Scenarios {
		if s.Name == name {
			return s, nil
		}
	}
	msg := fmt.Sprintf("unknown scenario %q: use one of %s", name, strings.Join(ScenarioNames(), ", "))
	if near := nearScenarios(name); len(near) > 0 {
		msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(near, " or "))
	}
	return Scenario{}, fmt.Errorf("%s", msg)
}

// nearScenarios are the names a mistyped one probably meant: those that
// contain it or that it contains, or within two edits of it.
func nearScenarios(name string) []string {
	var near []string
	if name == "" {
		return nil
	}
	for _, s := range Scenarios {
		if strings.Contains(s.Name, name) || strings.Contains(name, s.Name) || editDistance(name, s.Name) <= 2 {
			near = append(near, s.Name)
		}
	}
	return near
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Route says in words where a scenario's test runs: "pod on node-1 →
// ClusterIP → pod on node-2". a and b name the node pair ("A", "B" when
// unknown).
func (s Scenario) Route(a, b string) string {
	src := "pod on " + a
	if s.From == cluster.NodeEndpoint {
		src = a
	}
	on := b
	if s.Placement != CrossNode {
		on = a
	}
	dst := fmt.Sprintf("%s on %s", s.To, on)
	switch {
	case s.Placement == Self:
		dst = "itself"
	case s.To == cluster.NodeEndpoint:
		dst = on
	case s.To == cluster.ExternalEndpoint:
		dst = "a server outside the cluster"
	}
	switch s.Target {
	case cluster.ClusterIPTarget:
		dst = "ClusterIP → " + dst
	case cluster.NodePortTarget:
		via := on
		if s.Via == ViaOtherNode && on == a {
			via = b
		} else if s.Via == ViaOtherNode {
			via = a
		}
		dst = "NodePort of " + via + " → " + dst
	}
	return src + " → " + dst
}
