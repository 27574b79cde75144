package mesh

import (
	"fmt"
	"math"
	"slices"
)

// Measurement is one directed test's figure (a median goodput, say) from
// node From to node To.
type Measurement struct {
	From, To int
	Value    float64
}

// Judging defaults: Iglewicz and Hoaglin's modified z-score cut-off, and a
// node must also be this far from the cluster's median to be named, so a
// cluster of near-identical nodes (MAD ≈ 0) does not name a 1% difference.
const (
	DefaultZ            = 3.5
	DefaultMinDeviation = 0.10
)

// Judging is how far out a node must be to be named.
type Judging struct {
	Z            float64 // 0 = DefaultZ
	MinDeviation float64 // relative to the cluster median; 0 = DefaultMinDeviation
}

// NodeScore is one node's standing in the mesh.
type NodeScore struct {
	Node      int     `json:"node"`
	Tests     int     `json:"tests"`     // measurements it took part in, either end
	Median    float64 `json:"median"`    // of those measurements
	Deviation float64 `json:"deviation"` // Median over the cluster median, minus 1
	// Z is the modified z-score of Median among the nodes' medians:
	// 0.6745 × (Median − their median) / their MAD (MAD floored at 1% of
	// the median, so identical nodes do not divide by zero).
	Z float64 `json:"z"`
	// Off counts the node's tests beyond MinDeviation from the cluster
	// median on the node's side, as sender and as receiver.
	OffAsSender, OffAsReceiver     int  `json:"-"`
	TestsAsSender, TestsAsReceiver int  `json:"-"`
	Outlier                        bool `json:"outlier"`
}

// Evidence says, for a named node, what the numbers show.
func (s NodeScore) Evidence(name string) string {
	side := "below"
	if s.Deviation > 0 {
		side = "above"
	}
	dirs := "both directions"
	switch {
	case s.OffAsSender > 0 && s.OffAsReceiver == 0:
		dirs = "as sender only"
	case s.OffAsReceiver > 0 && s.OffAsSender == 0:
		dirs = "as receiver only"
	}
	return fmt.Sprintf("%s: %.0f%% %s the cluster median in %d of %d tests, %s", name, math.Abs(s.Deviation)*100, side,
		s.OffAsSender+s.OffAsReceiver, s.Tests, dirs)
}

// Judge scores every node of n from the measurements and marks the
// outliers. It returns the cluster median (of all measurements) too.
func Judge(n int, ms []Measurement, j Judging) ([]NodeScore, float64, error) {
	if j.Z == 0 {
		j.Z = DefaultZ
	}
	if j.MinDeviation == 0 {
		j.MinDeviation = DefaultMinDeviation
	}
	if n < 2 {
		return nil, 0, fmt.Errorf("judging a mesh of %d nodes: need 2 or more", n)
	}
	per := make([][]float64, n)
	all := make([]float64, 0, len(ms))
	for _, m := range ms {
		if m.From < 0 || m.From >= n || m.To < 0 || m.To >= n || m.From == m.To {
			return nil, 0, fmt.Errorf("measurement %d→%d: not a pair of %d nodes", m.From, m.To, n)
		}
		if math.IsNaN(m.Value) || math.IsInf(m.Value, 0) {
			return nil, 0, fmt.Errorf("measurement %d→%d: value %v", m.From, m.To, m.Value)
		}
		per[m.From] = append(per[m.From], m.Value)
		per[m.To] = append(per[m.To], m.Value)
		all = append(all, m.Value)
	}
	if len(all) == 0 {
		return nil, 0, fmt.Errorf("judging a mesh with no measurement")
	}
	clusterMedian := median(all)
	scores := make([]NodeScore, n)
	var medians []float64
	for i := range n {
		scores[i] = NodeScore{Node: i, Tests: len(per[i]), Median: math.NaN()}
		if len(per[i]) > 0 {
			scores[i].Median = median(per[i])
			medians = append(medians, scores[i].Median)
		}
	}
	mid := median(medians)
	dev := make([]float64, len(medians))
	for i, m := range medians {
		dev[i] = math.Abs(m - mid)
	}
	mad := math.Max(median(dev), 0.01*math.Abs(mid))
	for _, m := range ms {
		off := clusterMedian != 0 && math.Abs(m.Value/clusterMedian-1) > j.MinDeviation
		scores[m.From].TestsAsSender++
		scores[m.To].TestsAsReceiver++
		if off {
			scores[m.From].OffAsSender++
			scores[m.To].OffAsReceiver++
		}
	}
	for i := range scores {
		s := &scores[i]
		if s.Tests == 0 || clusterMedian == 0 || mad == 0 {
			continue
		}
		s.Deviation = s.Median/clusterMedian - 1
		s.Z = 0.6745 * (s.Median - mid) / mad
		s.Outlier = math.Abs(s.Z) > j.Z && math.Abs(s.Deviation) > j.MinDeviation
	}
	return scores, clusterMedian, nil
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
