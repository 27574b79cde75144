package kube

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Node labels the choice reads.
const (
	labelControlPlane = "node-role.kubernetes.io/control-plane"
	labelZone         = "topology.kubernetes.io/zone"
	labelOS           = "kubernetes.io/os"
	labelArch         = "kubernetes.io/arch"
)

// NodeChoice is the node pair a run measures between, and why.
type NodeChoice struct {
	Nodes  [2]string `json:"nodes"`  // client side, server side
	Reason string    `json:"reason"` // how they were chosen, for people and the record
	// Excluded says why each other node was not a candidate.
	Excluded map[string]string `json:"excluded,omitempty"`
	taints   map[string][]corev1.Taint
}

// Control-plane taints --tolerate-control-plane tolerates (master: before
// Kubernetes 1.24).
var controlPlaneTaints = []string{labelControlPlane, "node-role.kubernetes.io/master"}

// ControlPlaneTolerations tolerate the control-plane NoSchedule taints:
// what --tolerate-control-plane adds to the node choice's tolerations.
func ControlPlaneTolerations() []corev1.Toleration {
	var out []corev1.Toleration
	for _, k := range controlPlaneTaints {
		out = append(out, corev1.Toleration{Key: k, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule})
	}
	return out
}

// tolerated reports whether one of tols tolerates t.
func tolerated(t corev1.Taint, tols []corev1.Toleration) bool {
	return slices.ContainsFunc(tols, func(tol corev1.Toleration) bool { return tol.ToleratesTaint(&t) })
}

// unusable says why a node cannot host the run's pods ("" = it can);
// taints that tols tolerate do not count.
func unusable(n *corev1.Node, tols []corev1.Toleration) string {
	ready := false
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			ready = c.Status == corev1.ConditionTrue
		}
	}
	var why []string
	if !ready {
		why = append(why, "not Ready")
	}
	if n.Spec.Unschedulable {
		why = append(why, "cordoned (unschedulable)")
	}
	for _, t := range n.Spec.Taints {
		if tolerated(t, tols) {
			continue
		}
		if t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute {
			why = append(why, fmt.Sprintf("tainted %s:%s", t.Key, t.Effect))
		}
	}
	return strings.Join(why, ", ")
}

// ChooseNodes picks the node pair. Given two names (--nodes), it checks
// that they exist and are Ready, and tolerates their taints. Otherwise it
// takes Ready, schedulable, untainted nodes of the same OS and
// architecture, workers before control-plane nodes and, when zones are
// labelled, a pair in different zones; ties go by name. Nodes whose
// NoSchedule/NoExecute taints tols all tolerate are candidates too (a
// control plane still after workers: ControlPlaneTolerations), and their
// pods tolerate those taints.
func ChooseNodes(nodes []corev1.Node, want []string, tols []corev1.Toleration) (NodeChoice, error) {
	ch := NodeChoice{Excluded: map[string]string{}, taints: map[string][]corev1.Taint{}}
	byName := map[string]*corev1.Node{}
	for i := range nodes {
		byName[nodes[i].Name] = &nodes[i]
	}
	names := make([]string, 0, len(nodes))
	for _, n := range nodes {
		names = append(names, n.Name)
	}
	slices.Sort(names)
	if len(want) == 2 {
		if want[0] == want[1] {
			return ch, fmt.Errorf("--nodes %s,%s: give two different nodes", want[0], want[1])
		}
		for i, w := range want {
			n, ok := byName[w]
			if !ok {
				return ch, fmt.Errorf("--nodes: no node %q: the cluster has %s", w, strings.Join(names, ", "))
			}
			if !ready(n) {
				return ch, fmt.Errorf("--nodes: node %s is not Ready", w)
			}
			ch.Nodes[i] = w
			ch.taints[w] = n.Spec.Taints
		}
		ch.Reason = "given with --nodes"
		if why := []string{unusable(byName[want[0]], nil), unusable(byName[want[1]], nil)}; why[0] != "" || why[1] != "" {
			ch.Reason += " (their taints are tolerated: " + strings.Trim(strings.Join(why, "; "), "; ") + ")"
		}
		return ch, nil
	}
	if len(want) != 0 {
		return ch, fmt.Errorf("--nodes %v: give two nodes, A,B", want)
	}
	var cands []*corev1.Node
	for _, name := range names {
		n := byName[name]
		if why := unusable(n, tols); why != "" {
			ch.Excluded[name] = why
			continue
		}
		cands = append(cands, n)
	}
	// Workers first, then by name (names is sorted, the sort is stable).
	slices.SortStableFunc(cands, func(a, b *corev1.Node) int {
		return boolCmp(isControlPlane(a), isControlPlane(b))
	})
	platform := func(n *corev1.Node) string { return n.Labels[labelOS] + "/" + n.Labels[labelArch] }
	var best [2]*corev1.Node
	score := -1
	for i, a := range cands {
		for _, b := range cands[i+1:] {
			if platform(a) != platform(b) {
				continue
			}
			s := 0
			if !isControlPlane(a) {
				s += 2
			}
			if !isControlPlane(b) {
				s += 2
			}
			za, zb := a.Labels[labelZone], b.Labels[labelZone]
			if za != "" && zb != "" && za != zb {
				s++
			}
			if s > score {
				best, score = [2]*corev1.Node{a, b}, s
			}
		}
	}
	if best[0] == nil {
		var why []string
		for _, name := range names {
			if r, ok := ch.Excluded[name]; ok {
				why = append(why, name+": "+r)
			}
		}
		hint := "name two with --nodes A,B to use tainted ones, or tolerate their taints with --toleration KEY[=VALUE]:EFFECT"
		if !tolerated(corev1.Taint{Key: labelControlPlane, Effect: corev1.TaintEffectNoSchedule}, tols) {
			hint += ", or allow control-plane nodes with --tolerate-control-plane"
		}
		msg := fmt.Sprintf("need two Ready, schedulable, untainted nodes of the same OS/arch; %d of %d qualify", len(cands), len(nodes))
		if len(why) > 0 {
			msg += " (" + strings.Join(why, "; ") + ")"
		}
		return ch, fmt.Errorf("choose nodes: %s: %s", msg, hint)
	}
	ch.Nodes = [2]string{best[0].Name, best[1].Name}
	var toleratedOn []string
	for _, n := range best {
		for _, t := range n.Spec.Taints {
			if tolerated(t, tols) {
				ch.taints[n.Name] = append(ch.taints[n.Name], t)
				toleratedOn = append(toleratedOn, fmt.Sprintf("%s:%s on %s", t.Key, t.Effect, n.Name))
			}
		}
	}
	var parts []string
	fit := "untainted"
	if len(tols) > 0 {
		fit = "untainted or tolerated"
	}
	parts = append(parts, fmt.Sprintf("%d of %d nodes Ready, schedulable and %s", len(cands), len(nodes), fit))
	if !isControlPlane(best[0]) && !isControlPlane(best[1]) {
		parts = append(parts, "workers")
	}
	if za, zb := best[0].Labels[labelZone], best[1].Labels[labelZone]; za != "" && zb != "" && za != zb {
		parts = append(parts, "different zones ("+za+", "+zb+")")
	}
	parts = append(parts, "first by name")
	if len(toleratedOn) > 0 {
		parts = append(parts, "taints tolerated: "+strings.Join(toleratedOn, ", "))
	}
	ch.Reason = "chosen: " + strings.Join(parts, "; ")
	return ch, nil
}

// transient reports whether a node was excluded only for taints the node
// controller adds and removes by itself.
func (ch NodeChoice) transient() bool {
	for _, why := range ch.Excluded {
		if strings.Contains(why, "node.kubernetes.io/not-ready") || strings.Contains(why, "node.kubernetes.io/unreachable") {
			return true
		}
	}
	return false
}

func ready(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func isControlPlane(n *corev1.Node) bool {
	_, ok := n.Labels[labelControlPlane]
	return ok
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
