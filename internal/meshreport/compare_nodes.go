package meshreport

import (
	"math"
	"slices"

	"github.com/cnibench/cnibench/internal/meshrecord"
	"github.com/cnibench/cnibench/internal/stats"
)

// nodes compares each node scenario by scenario through its pairs' medians
// (either end): the Hodges–Lehmann shift of the new ones against the old
// ones, with its Moses interval. A rank statistic, so a node is judged by
// its typical pair, as the mesh's score judges it: one slow peer moves
// one or two of a healthy node's pairs, not its shift.
func (cm *comparer) nodes(oldM, newM *meshrecord.Mesh, oldA, newA *meshrecord.Analysis) []NodeChange {
	var out []NodeChange
	scenarios := slices.Clone(oldM.Plan.Scenarios)
	for _, sc := range newM.Plan.Scenarios {
		if !slices.Contains(scenarios, sc) {
			scenarios = append(scenarios, sc)
		}
	}
	var names []string
	for _, m := range []*meshrecord.Mesh{oldM, newM} {
		for _, n := range m.Nodes {
			if !slices.Contains(names, n.Name) {
				names = append(names, n.Name)
			}
		}
	}
	for _, sc := range scenarios {
		for _, name := range names {
			old, oIn := nodeSide(oldM, oldA, sc, name)
			new, nIn := nodeSide(newM, newA, sc, name)
			if !oIn && !nIn {
				continue
			}
			nc := NodeChange{Scenario: sc, Node: name, OldOutlier: old.outlier, NewOutlier: new.outlier}
			nc.Figures = cm.nodeFigures(old, new, oIn, nIn)
			switch {
			case nc.NewOutlier && !nc.OldOutlier && oIn:
				nc.OutlierChange = OutlierAppeared
			case nc.OldOutlier && !nc.NewOutlier && nIn:
				nc.OutlierChange = OutlierVanished
			case nc.OldOutlier && nc.NewOutlier:
				nc.OutlierChange = OutlierBoth
			}
			out = append(out, nc)
		}
	}
	return out
}

// nodeSample is one mesh's view of a node in one scenario.
type nodeSample struct {
	logs    []float64 // log of each measured pair's median
	tests   int       // successful tests behind them
	median  *float64  // the node's median (its score's), bits/s
	outlier bool
}

// nodeSide is node's pairs in scenario sc of m, and whether m tested the
// node there at all.
func nodeSide(m *meshrecord.Mesh, a *meshrecord.Analysis, sc, node string) (nodeSample, bool) {
	var s nodeSample
	sa := a.Scenario(sc)
	if sa == nil {
		return s, false
	}
	in := false
	for _, p := range sa.Pairs {
		if m.NodeName(p.From) != node && m.NodeName(p.To) != node {
			continue
		}
		in = true
		if p.Median != nil && *p.Median > 0 {
			s.logs = append(s.logs, math.Log(*p.Median))
			s.tests += p.N
		}
	}
	for _, n := range sa.Nodes {
		if n.Name == node {
			s.median, s.outlier = n.Median, n.Outlier
		}
	}
	return s, in
}

// nodeFigures compares a node's two samples; the gate's p is the
// one-sided Mann–Whitney test of "the new pairs, raised by the threshold,
// are not below the old ones".
func (cm *comparer) nodeFigures(old, new nodeSample, oIn, nIn bool) Figures {
	f := Figures{Old: old.median, New: new.median, OldN: old.tests, NewN: new.tests}
	switch {
	case !oIn:
		f.Verdict = VerdictOnlyNew
	case !nIn:
		f.Verdict = VerdictOnlyOld
	case len(old.logs) == 0 && len(new.logs) == 0:
		f.Verdict = VerdictBothFailed
	case len(old.logs) == 0:
		f.Verdict = VerdictOldFailed
	case len(new.logs) == 0:
		f.Verdict = VerdictNewFailed
	default:
		level := cm.cfg.Confidence
		if level <= 0 || level >= 1 {
			level = stats.DefaultConfidence
		}
		sh := stats.HodgesLehmann(new.logs, old.logs, level)
		change := math.Expm1(sh.Estimate)
		f.Change = &change
		if sh.CI != nil {
			f.CI = &stats.Interval{Low: math.Expm1(sh.CI.Low), High: math.Expm1(sh.CI.High), Level: sh.CI.Level}
		}
		f.Verdict = changeVerdict(f.CI)
		if p, ok := fallP(new.logs, old.logs, cm.threshold); ok && f.CI != nil {
			f.p, f.gated = p, true
		}
	}
	return f
}

// fallP is the one-sided p of "new, raised by threshold, is not below
// old" from the Mann–Whitney test: small when new fell beyond threshold.
func fallP(new, old []float64, threshold float64) (float64, bool) {
	raised := make([]float64, len(new))
	for i, v := range new {
		raised[i] = v - math.Log1p(-threshold)
	}
	mw, err := stats.MannWhitneyU(raised, old)
	if err != nil {
		return 0, false
	}
	if mw.U < float64(len(new)*len(old))/2 {
		return mw.P / 2, true
	}
	return 1 - mw.P/2, true
}
