package meshrecord

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/cnibench/cnibench/internal/mesh"
	"github.com/cnibench/cnibench/internal/stats"
)

// CILevel is the confidence level of each pair's median interval.
const CILevel = 0.95

// Analysis is what a report prints of a mesh: per scenario the pairs'
// medians, each node's score and the outliers named with their evidence,
// and with both scenarios what the pod network costs per pair.
type Analysis struct {
	Scenarios []ScenarioAnalysis `json:"scenarios"`
	// Cost is the pod network's cost per directed pair: 1 − pod-pod-cross
	// / node-node goodput, when both were measured.
	Cost []PairCost `json:"cost,omitempty"`
}

// ScenarioAnalysis is one scenario's analysis.
type ScenarioAnalysis struct {
	Scenario string `json:"scenario"`
	// Median is the cluster's median of the directed pairs' medians
	// (bits/s); absent when nothing was measured.
	Median *float64      `json:"median,omitempty"`
	Pairs  []PairSummary `json:"pairs"`
	Nodes  []NodeSummary `json:"nodes"`
	Zones  []ZoneSummary `json:"zones,omitempty"`
	// Outliers are the nodes named, one sentence of evidence each.
	Outliers []string `json:"outliers"`
	// Error says why the nodes could not be judged (no measurement).
	Error string `json:"error,omitempty"`
}

// PairSummary is one directed pair's figures over its repeats.
type PairSummary struct {
	From   int      `json:"from"`
	To     int      `json:"to"`
	N      int      `json:"n"`      // tests that measured
	Failed int      `json:"failed"` // tests that did not
	Median *float64 `json:"median,omitempty"`
	// CI is the exact 95% interval of the median; absent with fewer
	// repeats than stats.MinRepeatsForMedianCI (6).
	CI *stats.Interval `json:"ci,omitempty"`
}

// NodeSummary is a node's robust score (mesh.Judge).
type NodeSummary struct {
	Node      int      `json:"node"`
	Name      string   `json:"name"`
	Pairs     int      `json:"pairs"`            // directed pairs with a median, either end
	Median    *float64 `json:"median,omitempty"` // of those pairs' medians
	Deviation float64  `json:"deviation"`        // from the cluster median, relative
	Z         float64  `json:"z"`                // modified z-score among the nodes
	Outlier   bool     `json:"outlier"`
	Evidence  string   `json:"evidence,omitempty"` // for an outlier
}

// ZoneSummary is the median of the pairs from one zone to another.
type ZoneSummary struct {
	From   string  `json:"from"`
	To     string  `json:"to"`
	Pairs  int     `json:"pairs"`
	Median float64 `json:"median"`
}

// PairCost is the pod network's cost on one directed pair.
type PairCost struct {
	From     int     `json:"from"`
	To       int     `json:"to"`
	Node     float64 `json:"node"`     // node-node median, bits/s
	Pod      float64 `json:"pod"`      // pod-pod-cross median, bits/s
	Overhead float64 `json:"overhead"` // 1 − Pod/Node
}

// Analyze computes the analysis from the record's tests, with judging j.
func (m *Mesh) Analyze(j mesh.Judging) *Analysis {
	a := &Analysis{}
	for _, sc := range m.Plan.Scenarios {
		a.Scenarios = append(a.Scenarios, m.analyzeScenario(sc, j))
	}
	a.Cost = m.costs(a)
	return a
}

// Scenario is the analysis of scenario sc, nil when it was not measured.
func (a *Analysis) Scenario(sc string) *ScenarioAnalysis {
	for i := range a.Scenarios {
		if a.Scenarios[i].Scenario == sc {
			return &a.Scenarios[i]
		}
	}
	return nil
}

// Pair is the summary of from→to, nil when the plan has no such test.
func (s *ScenarioAnalysis) Pair(from, to int) *PairSummary {
	for i := range s.Pairs {
		if s.Pairs[i].From == from && s.Pairs[i].To == to {
			return &s.Pairs[i]
		}
	}
	return nil
}

func (m *Mesh) analyzeScenario(sc string, j mesh.Judging) ScenarioAnalysis {
	out := ScenarioAnalysis{Scenario: sc, Outliers: []string{}}
	type key [2]int
	values := map[key][]float64{}
	failed := map[key]int{}
	seen := map[key]bool{}
	var order []key
	for _, t := range m.Tests {
		if t.Scenario != sc {
			continue
		}
		k := key{t.From, t.To}
		if !seen[k] {
			seen[k] = true
			order = append(order, k)
		}
		if t.Goodput == nil {
			failed[k]++
			continue
		}
		values[k] = append(values[k], *t.Goodput)
	}
	slices.SortFunc(order, func(a, b key) int {
		if a[0] != b[0] {
			return a[0] - b[0]
		}
		return a[1] - b[1]
	})
	var ms []mesh.Measurement
	for _, k := range order {
		v := slices.Clone(values[k])
		slices.Sort(v)
		ps := PairSummary{From: k[0], To: k[1], N: len(v), Failed: failed[k]}
		if len(v) > 0 {
			med := stats.MedianSorted(v)
			ps.Median = &med
			ps.CI = stats.MedianInterval(v, CILevel)
			ms = append(ms, mesh.Measurement{From: k[0], To: k[1], Value: med})
		}
		out.Pairs = append(out.Pairs, ps)
	}
	if len(ms) == 0 {
		out.Error = "no test of " + sc + " measured: nothing to judge"
		return out
	}
	scores, clusterMedian, err := mesh.Judge(len(m.Nodes), ms, j)
	if err != nil {
		out.Error = err.Error()
		return out
	}
	out.Median = &clusterMedian
	for _, s := range scores {
		ns := NodeSummary{Node: s.Node, Name: m.NodeName(s.Node), Pairs: s.Tests, Deviation: s.Deviation, Z: s.Z, Outlier: s.Outlier}
		if s.Tests > 0 && !math.IsNaN(s.Median) {
			med := s.Median
			ns.Median = &med
		}
		if s.Outlier {
			ns.Evidence = strings.Replace(s.Evidence(ns.Name), " tests, ", " pairs, ", 1)
			out.Outliers = append(out.Outliers, ns.Evidence)
		}
		out.Nodes = append(out.Nodes, ns)
	}
	out.Zones = m.zones(ms)
	return out
}

// zones groups the pair medians by the zones of their nodes, when at
// least two zones are labelled.
func (m *Mesh) zones(ms []mesh.Measurement) []ZoneSummary {
	seen := map[string]bool{}
	for _, n := range m.Nodes {
		if n.Zone != "" {
			seen[n.Zone] = true
		}
	}
	if len(seen) < 2 {
		return nil
	}
	zone := func(i int) string {
		if z := m.Nodes[i].Zone; z != "" {
			return z
		}
		return "(none)"
	}
	by := map[[2]string][]float64{}
	for _, x := range ms {
		k := [2]string{zone(x.From), zone(x.To)}
		by[k] = append(by[k], x.Value)
	}
	var out []ZoneSummary
	for k, v := range by {
		slices.Sort(v)
		out = append(out, ZoneSummary{From: k[0], To: k[1], Pairs: len(v), Median: stats.MedianSorted(v)})
	}
	slices.SortFunc(out, func(a, b ZoneSummary) int {
		if c := strings.Compare(a.From, b.From); c != 0 {
			return c
		}
		return strings.Compare(a.To, b.To)
	})
	return out
}

// costs pairs the pod and node medians of each directed pair.
func (m *Mesh) costs(a *Analysis) []PairCost {
	node, pod := a.Scenario(NodeNode), a.Scenario(PodPodCross)
	if node == nil || pod == nil {
		return nil
	}
	var out []PairCost
	for _, np := range node.Pairs {
		pp := pod.Pair(np.From, np.To)
		if pp == nil || np.Median == nil || pp.Median == nil || *np.Median <= 0 {
			continue
		}
		out = append(out, PairCost{From: np.From, To: np.To, Node: *np.Median, Pod: *pp.Median, Overhead: 1 - *pp.Median / *np.Median})
	}
	return out
}

// Describe is the plan in one line: "8 nodes, 7 rounds × 2 directions ×
// 2 scenarios × 1 repeat = 28 steps of ≤ 4 parallel tests, 112 tests".
func (m *Mesh) Describe() string {
	tests := 0
	most := 0
	for _, r := range m.Plan.Rounds {
		tests += len(r)
		most = max(most, len(r))
	}
	steps := len(m.Plan.Steps())
	return fmt.Sprintf("%s, %s × 2 directions × %s × %s = %d steps of ≤ %d parallel tests, %d tests",
		count(len(m.Nodes), "node"), count(len(m.Plan.Rounds), "round"), count(len(m.Plan.Scenarios), "scenario"),
		count(m.Plan.Repeats, "repeat"), steps, most, tests*2*len(m.Plan.Scenarios)*m.Plan.Repeats)
}

// count is "1 node", "3 nodes".
func count(n int, noun string) string {
	if n != 1 {
		noun += "s"
	}
	return fmt.Sprintf("%d %s", n, noun)
}
