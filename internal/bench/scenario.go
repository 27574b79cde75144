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
	CrossNode Placement = "cross-node" // the server is on the pair's other node
	SameNode  Placement = "same-node"  // the server is on the client's node
)

// Scenario is one row of the matrix: a client of one kind reaching a server
// of another, on the same or the other node of the pair, directly or
// through a Service. The client always runs on the pair's first node (A);
// a cross-node server runs on the second (B).
type Scenario struct {
	Name      string
	From      cluster.EndpointKind // the client: a node's host network or a pod
	To        cluster.EndpointKind // the server endpoint (a Service's backend)
	Placement Placement
	Target    cluster.TargetKind // direct, clusterip or nodeport
	About     string             // one line for --help, --dry-run and docs
}

// Scenarios is the matrix, in table order. A baseline is a row from a
// node's host network to a node's host network: nothing of the pod
// network on the way. Every row is compared with the baseline of its
// placement (Baseline): node-node for cross-node rows, node-node-same,
// listed just above the same-node rows, for those. Add a row to add a
// scenario; nothing else needs to change.
var Scenarios = []Scenario{
	{runrecord.BaselineScenario, cluster.NodeEndpoint, cluster.NodeEndpoint, CrossNode, cluster.DirectTarget,
		"baseline of the cross-node paths: node A's host network → node B's host network, no pod network at all"},
	{"pod-node", cluster.PodEndpoint, cluster.NodeEndpoint, CrossNode, cluster.DirectTarget,
		"pod on A → node B's host network (pod egress, masqueraded)"},
	{"node-pod", cluster.NodeEndpoint, cluster.PodEndpoint, CrossNode, cluster.DirectTarget,
		"node A's host network → pod on B (pod ingress)"},
	{"pod-pod-cross", cluster.PodEndpoint, cluster.PodEndpoint, CrossNode, cluster.DirectTarget,
		"pod on A → pod on B: the pod network's datapath between nodes"},
	{runrecord.LocalBaselineScenario, cluster.NodeEndpoint, cluster.NodeEndpoint, SameNode, cluster.DirectTarget,
		"baseline of the same-node paths: node A's host network → node A's own address (two host processes on A)"},
	{"pod-pod-same", cluster.PodEndpoint, cluster.PodEndpoint, SameNode, cluster.DirectTarget,
		"pod on A → another pod on A: never leaves the node"},
	{"pod-clusterip", cluster.PodEndpoint, cluster.PodEndpoint, CrossNode, cluster.ClusterIPTarget,
		"pod on A → a ClusterIP Service whose backend is a pod on B (DNAT on A)"},
	{"pod-nodeport", cluster.PodEndpoint, cluster.PodEndpoint, CrossNode, cluster.NodePortTarget,
		"pod on A → node B's NodePort, backend a pod on B (DNAT on B)"},
}

// Baseline is the cross-node baseline scenario, node-node.
func Baseline() Scenario { return Scenarios[0] }

// IsBaseline reports whether s is a baseline: host network to host
// network, directly, so it measures the nodes without the pod network.
func (s Scenario) IsBaseline() bool {
	return s.From == cluster.NodeEndpoint && s.To == cluster.NodeEndpoint && s.Target == cluster.DirectTarget
}

// BaselineName names the scenario s is compared with: the bare path that
// crosses the same resources. A same-node path never meets the link
// between nodes, so it is compared with two host processes on its node
// (node-node-same); every other path with node-node.
func (s Scenario) BaselineName() string {
	if s.Placement == SameNode {
		return runrecord.LocalBaselineScenario
	}
	return runrecord.BaselineScenario
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
// ClusterIP of a pod on node-2". a and b name the node pair ("A", "B" when
// unknown).
func (s Scenario) Route(a, b string) string {
	to := b
	if s.Placement == SameNode {
		to = a
	}
	dst := fmt.Sprintf("%s on %s", s.To, to)
	if s.To == cluster.NodeEndpoint {
		dst = to
	}
	switch s.Target {
	case cluster.ClusterIPTarget:
		dst = "ClusterIP → " + dst
	case cluster.NodePortTarget:
		dst = "NodePort of " + to + " → " + dst
	}
	src := "pod on " + a
	if s.From == cluster.NodeEndpoint {
		src = a
	}
	return src + " → " + dst
}
