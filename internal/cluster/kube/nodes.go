package kube

import (
	"errors"
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

// Control-plane taints Config.TolerateControlPlane tolerates (master: before
// Kubernetes 1.24).
var controlPlaneTaints = []string{labelControlPlane, "node-role.kubernetes.io/master"}

// ControlPlaneTolerations tolerate the control-plane NoSchedule taints:
// what Config.TolerateControlPlane adds to the node choice's tolerations.
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

// ChooseNodes picks the node pair. Given two names (Config.Nodes), it
// checks that they exist and are Ready, and tolerates their taints.
// Otherwise it takes Ready, schedulable, untainted nodes of the same OS and
// architecture, workers before control-plane nodes and, when zones are
// labelled, a pair in different zones; ties go by name. Nodes whose
// NoSchedule/NoExecute taints tols all tolerate are candidates too (a
// control plane still after workers: ControlPlaneTolerations), and their
// pods tolerate those taints. When no pair qualifies the error is a
// *NoPairError and the choice still says why each node was excluded.
func ChooseNodes(nodes []corev1.Node, want []string, tols []corev1.Toleration) (NodeChoice, error) {
	sorted := sortedByName(nodes)
	if len(want) != 0 {
		return givenPair(sorted, want)
	}
	cands, excluded := candidates(sorted, tols)
	best, ok := bestPair(cands)
	if !ok {
		return NodeChoice{Excluded: excluded}, noPair(sorted, len(cands), excluded, tols)
	}
	taints, toleratedOn := toleratedTaints(best, tols)
	return NodeChoice{
		Nodes:    [2]string{best[0].Name, best[1].Name},
		Reason:   "chosen: " + choiceReason(best, len(cands), len(nodes), len(tols) > 0, toleratedOn),
		Excluded: excluded,
		taints:   taints,
	}, nil
}

// sortedByName is the nodes by name, as pointers into nodes.
func sortedByName(nodes []corev1.Node) []*corev1.Node {
	out := make([]*corev1.Node, len(nodes))
	for i := range nodes {
		out[i] = &nodes[i]
	}
	slices.SortFunc(out, func(a, b *corev1.Node) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func nodeNames(nodes []*corev1.Node) []string {
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = n.Name
	}
	return out
}

// givenPair checks the pair the user named: two different, existing,
// Ready nodes, whose taints the run then tolerates.
func givenPair(nodes []*corev1.Node, want []string) (NodeChoice, error) {
	if len(want) != 2 {
		return NodeChoice{}, &SettingError{Setting: SettingNodes, Value: strings.Join(want, ","), Err: errors.New("give two nodes, A,B")}
	}
	if want[0] == want[1] {
		return NodeChoice{}, &SettingError{Setting: SettingNodes, Value: strings.Join(want, ","), Err: errors.New("give two different nodes")}
	}
	ch := NodeChoice{Nodes: [2]string{want[0], want[1]}, taints: map[string][]corev1.Taint{}}
	var why []string
	for _, w := range want {
		i := slices.IndexFunc(nodes, func(n *corev1.Node) bool { return n.Name == w })
		if i < 0 {
			return NodeChoice{}, &SettingError{Setting: SettingNodes, Err: fmt.Errorf("no node %q: the cluster has %s", w, strings.Join(nodeNames(nodes), ", "))}
		}
		if !ready(nodes[i]) {
			return NodeChoice{}, &SettingError{Setting: SettingNodes, Err: fmt.Errorf("node %s is not Ready", w)}
		}
		ch.taints[w] = nodes[i].Spec.Taints
		if u := unusable(nodes[i], nil); u != "" {
			why = append(why, u)
		}
	}
	ch.Reason = "given by name"
	if len(why) > 0 {
		ch.Reason += " (their taints are tolerated: " + strings.Join(why, "; ") + ")"
	}
	return ch, nil
}

// candidates are the nodes that can host the run's pods, workers first
// then by name; excluded says why each other node cannot.
func candidates(nodes []*corev1.Node, tols []corev1.Toleration) (cands []*corev1.Node, excluded map[string]string) {
	excluded = map[string]string{}
	for _, n := range nodes {
		if why := unusable(n, tols); why != "" {
			excluded[n.Name] = why
			continue
		}
		cands = append(cands, n)
	}
	// Workers first; nodes is sorted by name and the sort is stable.
	slices.SortStableFunc(cands, func(a, b *corev1.Node) int {
		return boolCmp(isControlPlane(a), isControlPlane(b))
	})
	return cands, excluded
}

// bestPair is the highest-scoring pair of candidates of one OS/arch (the
// first in candidate order among equals), or false when there is none.
func bestPair(cands []*corev1.Node) ([2]*corev1.Node, bool) {
	var best [2]*corev1.Node
	score := -1
	for i, a := range cands {
		for _, b := range cands[i+1:] {
			if platform(a) != platform(b) {
				continue
			}
			if s := pairScore(a, b); s > score {
				best, score = [2]*corev1.Node{a, b}, s
			}
		}
	}
	return best, score >= 0
}

func platform(n *corev1.Node) string { return n.Labels[labelOS] + "/" + n.Labels[labelArch] }

// pairScore prefers workers (2 each) to control-plane nodes, then nodes
// in different zones (1).
func pairScore(a, b *corev1.Node) int {
	s := 0
	for _, n := range []*corev1.Node{a, b} {
		if !isControlPlane(n) {
			s += 2
		}
	}
	if differentZones(a, b) {
		s++
	}
	return s
}

func differentZones(a, b *corev1.Node) bool {
	za, zb := a.Labels[labelZone], b.Labels[labelZone]
	return za != "" && zb != "" && za != zb
}

// toleratedTaints are the taints of the pair that tols tolerate, by node
// (the pods there tolerate them), and the same as "KEY:EFFECT on NODE".
func toleratedTaints(pair [2]*corev1.Node, tols []corev1.Toleration) (map[string][]corev1.Taint, []string) {
	taints := map[string][]corev1.Taint{}
	var on []string
	for _, n := range pair {
		for _, t := range n.Spec.Taints {
			if tolerated(t, tols) {
				taints[n.Name] = append(taints[n.Name], t)
				on = append(on, fmt.Sprintf("%s:%s on %s", t.Key, t.Effect, n.Name))
			}
		}
	}
	return taints, on
}

// choiceReason says why the pair was chosen, for people and the record.
func choiceReason(pair [2]*corev1.Node, cands, total int, tolerating bool, toleratedOn []string) string {
	fit := "untainted"
	if tolerating {
		fit = "untainted or tolerated"
	}
	parts := []string{fmt.Sprintf("%d of %d nodes Ready, schedulable and %s", cands, total, fit)}
	if !isControlPlane(pair[0]) && !isControlPlane(pair[1]) {
		parts = append(parts, "workers")
	}
	if differentZones(pair[0], pair[1]) {
		parts = append(parts, "different zones ("+pair[0].Labels[labelZone]+", "+pair[1].Labels[labelZone]+")")
	}
	parts = append(parts, "first by name")
	if len(toleratedOn) > 0 {
		parts = append(parts, "taints tolerated: "+strings.Join(toleratedOn, ", "))
	}
	return strings.Join(parts, "; ")
}

// noPair is the error for nodes among which no pair qualifies.
func noPair(nodes []*corev1.Node, cands int, excluded map[string]string, tols []corev1.Toleration) *NoPairError {
	e := &NoPairError{Qualified: cands, Total: len(nodes),
		ControlPlaneTolerated: tolerated(corev1.Taint{Key: labelControlPlane, Effect: corev1.TaintEffectNoSchedule}, tols)}
	for _, n := range nodes {
		if why, ok := excluded[n.Name]; ok {
			e.Excluded = append(e.Excluded, n.Name+": "+why)
		}
	}
	return e
}

// NoPairError is a cluster with no two nodes the run can use by itself.
// Its message names no way to set anything; a front end adds how its
// user names two nodes, tolerates taints and allows control-plane nodes
// (Summary, then its own hint).
type NoPairError struct {
	Qualified, Total int
	Excluded         []string // "NODE: why", by name
	// ControlPlaneTolerated: the control-plane taint is tolerated already,
	// so allowing control-plane nodes would not help.
	ControlPlaneTolerated bool
}

// Summary says what is missing and why, without a hint.
func (e *NoPairError) Summary() string {
	msg := fmt.Sprintf("choose nodes: need two Ready, schedulable, untainted nodes of the same OS/arch; %d of %d qualify", e.Qualified, e.Total)
	if len(e.Excluded) > 0 {
		msg += " (" + strings.Join(e.Excluded, "; ") + ")"
	}
	return msg
}

func (e *NoPairError) Error() string {
	hint := "name two nodes (Config.Nodes) to use tainted ones, or tolerate their taints (Config.Tolerations)"
	if !e.ControlPlaneTolerated {
		hint += ", or allow control-plane nodes (Config.TolerateControlPlane)"
	}
	return e.Summary() + ": " + hint
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
