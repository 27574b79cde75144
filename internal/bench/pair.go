package bench

import (
	"fmt"
	"strings"

	"github.com/cnibench/cnibench/internal/cluster"
)

// pair is the two nodes a run measures between, with their pods, and the
// cluster's external endpoint.
type pair struct {
	a, b         cluster.Endpoint
	podsA, podsB []cluster.Endpoint
	external     *cluster.Endpoint // nil: the cluster has no server outside it
	nodes        []string          // every node of the cluster, for messages
}

// choosePair finds the plan's node pair, or the first two nodes.
func choosePair(eps []cluster.Endpoint, want []string) (pair, error) {
	var p pair
	var nodes []cluster.Endpoint
	for _, e := range eps {
		if e.Kind == cluster.NodeEndpoint {
			nodes = append(nodes, e)
			p.nodes = append(p.nodes, e.Name)
		}
	}
	find := func(name string) (cluster.Endpoint, error) {
		for _, n := range nodes {
			if n.Name == name {
				return n, nil
			}
		}
		return cluster.Endpoint{}, fmt.Errorf("no node %q: the cluster has %s", name, listOrNone(p.nodes))
	}
	switch {
	case len(want) == 2:
		var err error
		if p.a, err = find(want[0]); err != nil {
			return p, err
		}
		if p.b, err = find(want[1]); err != nil {
			return p, err
		}
	case len(nodes) < 2:
		return p, fmt.Errorf("the baseline needs two nodes, the cluster has %s", listOrNone(p.nodes))
	default:
		p.a, p.b = nodes[0], nodes[1]
	}
	for _, e := range eps {
		if e.Kind == cluster.ExternalEndpoint && p.external == nil {
			p.external = &e
		}
		if e.Kind != cluster.PodEndpoint {
			continue
		}
		switch e.Node {
		case p.a.Name:
			p.podsA = append(p.podsA, e)
		case p.b.Name:
			p.podsB = append(p.podsB, e)
		}
	}
	return p, nil
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// endpoints picks a scenario's client and server endpoints: the first pod
// of a node is the client pod, a same-node server pod is the second, a
// hairpin's server is its client, an external one the cluster's external
// endpoint.
func (p pair) endpoints(s Scenario) (from, to cluster.Endpoint, err error) {
	pick := func(kind cluster.EndpointKind, node cluster.Endpoint, pods []cluster.Endpoint, i int) (cluster.Endpoint, error) {
		if kind == cluster.NodeEndpoint {
			return node, nil
		}
		if len(pods) <= i {
			return cluster.Endpoint{}, fmt.Errorf("%s needs %d pod(s) on %s, the cluster has %d", s.Name, i+1, node.Name, len(pods))
		}
		return pods[i], nil
	}
	if from, err = pick(s.From, p.a, p.podsA, 0); err != nil {
		return
	}
	switch {
	case s.To == cluster.ExternalEndpoint:
		if p.external == nil {
			return from, to, fmt.Errorf("%s needs a server outside the cluster, and the cluster has none", s.Name)
		}
		return from, *p.external, nil
	case s.Placement == Self:
		return from, from, nil
	case s.Placement == SameNode:
		i := 0
		if s.From == s.To {
			i = 1 // another pod on the same node (a node has one host network)
		}
		to, err = pick(s.To, p.a, p.podsA, i)
		return
	}
	to, err = pick(s.To, p.b, p.podsB, 0)
	return
}

// nodePortNode is the node whose NodePort a nodeport scenario reaches: the
// backend's (B for a cross-node row, A otherwise), or the other one.
func (p pair) nodePortNode(s Scenario) cluster.Endpoint {
	backendOnA := s.Placement != CrossNode
	if backendOnA != (s.Via == ViaOtherNode) {
		return p.a
	}
	return p.b
}
