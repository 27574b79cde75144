package kube

import (
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	k8slabels "k8s.io/apimachinery/pkg/labels"
)

// labelInstanceType is the node label a mesh records as instance type.
const labelInstanceType = "node.kubernetes.io/instance-type"

// MeshSelection asks New for a mesh's nodes instead of a pair: every
// usable node that matches Selector (a label selector, "" = every node),
// at most MaxNodes of them by name (0 = all).
type MeshSelection struct {
	Selector string
	MaxNodes int
}

// MeshNode is a node of a mesh with its topology labels.
type MeshNode struct {
	Name         string
	Zone         string
	InstanceType string
}

// SkippedNode is a node a mesh leaves out, and why.
type SkippedNode struct {
	Name   string
	Reason string
}

// MeshChoice is a mesh's nodes and the ones left out.
type MeshChoice struct {
	Nodes   []MeshNode
	Skipped []SkippedNode
	taints  map[string][]corev1.Taint
}

// ParseSelector checks a mesh's label selector, with the fix in the error.
func ParseSelector(s string) (k8slabels.Selector, error) {
	sel, err := k8slabels.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("node selector %q: %w (use kubectl's -l syntax, like zone=a,role!=gpu)", s, err)
	}
	return sel, nil
}

// ChooseMeshNodes takes the nodes of a mesh: those matching sel (already
// listed by it, so this checks only usability) that are Ready,
// schedulable and untainted (or tolerated by tols), sorted by name, at
// most sel.MaxNodes. Every other node listed is skipped with its reason.
func ChooseMeshNodes(nodes []corev1.Node, sel MeshSelection, tols []corev1.Toleration) (MeshChoice, error) {
	ch := MeshChoice{taints: map[string][]corev1.Taint{}}
	for _, n := range sortedByName(nodes) {
		if why := unusable(n, tols); why != "" {
			ch.Skipped = append(ch.Skipped, SkippedNode{Name: n.Name, Reason: why})
			continue
		}
		if sel.MaxNodes > 0 && len(ch.Nodes) >= sel.MaxNodes {
			ch.Skipped = append(ch.Skipped, SkippedNode{Name: n.Name, Reason: fmt.Sprintf("beyond the first %d usable nodes by name (max nodes)", sel.MaxNodes)})
			continue
		}
		for _, t := range n.Spec.Taints {
			if tolerated(t, tols) {
				ch.taints[n.Name] = append(ch.taints[n.Name], t)
			}
		}
		ch.Nodes = append(ch.Nodes, MeshNode{Name: n.Name, Zone: n.Labels[labelZone], InstanceType: n.Labels[labelInstanceType]})
	}
	if len(ch.Nodes) < 2 {
		var why []string
		for _, s := range ch.Skipped {
			why = append(why, s.Name+": "+s.Reason)
		}
		matched := "nodes"
		if sel.Selector != "" {
			matched = fmt.Sprintf("nodes matching %q", sel.Selector)
		}
		msg := fmt.Sprintf("a mesh needs 2 usable nodes; %d of %d %s are usable", len(ch.Nodes), len(nodes), matched)
		if len(why) > 0 {
			msg += " (" + strings.Join(why, "; ") + ")"
		}
		return ch, errors.New(msg)
	}
	return ch, nil
}

// names are the mesh's node names, in order.
func (ch MeshChoice) names() []string {
	out := make([]string, len(ch.Nodes))
	for i, n := range ch.Nodes {
		out[i] = n.Name
	}
	return out
}

// Mesh is the mesh's node choice, or nil when the cluster was built for a
// node pair.
func (c *Cluster) Mesh() *MeshChoice { return c.mesh }
