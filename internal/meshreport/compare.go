package meshreport

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/cnibench/cnibench/internal/mesh"
	"github.com/cnibench/cnibench/internal/meshrecord"
	"github.com/cnibench/cnibench/internal/stats"
)

// Figures is one goodput figure (a directed pair's, or a node's over its
// pairs) in two meshes, and what changed.
type Figures struct {
	// Old and New are bits/s, the geometric mean of the tests: a pair's
	// repeats, or a node's pairs (each the mean of its repeats). Absent
	// when that mesh did not measure it.
	Old  *float64 `json:"old,omitempty"`
	New  *float64 `json:"new,omitempty"`
	OldN int      `json:"old_n"` // tests that measured
	NewN int      `json:"new_n"`
	// Change is New/Old − 1, CI its 95% bootstrap interval (a node's:
	// pairs, then repeats within each pair, resampled), absent with fewer
	// than 3 tests a side.
	Change *float64        `json:"change,omitempty"`
	CI     *stats.Interval `json:"ci,omitempty"`
	// AdjustedP is the one-sided p of "it did not fall beyond the gate's
	// threshold" after Holm over every pair and node; only with the gate.
	AdjustedP  *float64 `json:"adjusted_p,omitempty"`
	Regression bool     `json:"regression"`
	Verdict    string   `json:"verdict"`

	// p is the one-sided p of "no fall beyond the gate's threshold", for
	// Holm; gated says the figure has one.
	p     float64
	gated bool
}

// PairChange is one directed pair in two meshes, matched by node names (a
// node's index may differ between them).
type PairChange struct {
	Scenario string `json:"scenario"`
	From     string `json:"from"`
	To       string `json:"to"`
	Figures
}

// NodeChange is one node's pairs in two meshes, and whether each named it
// an outlier.
type NodeChange struct {
	Scenario   string `json:"scenario"`
	Node       string `json:"node"`
	OldOutlier bool   `json:"old_outlier"`
	NewOutlier bool   `json:"new_outlier"`
	// OutlierChange is one of the Outlier* sentences, or empty.
	OutlierChange string `json:"outlier_change,omitempty"`
	Figures
}

// A node's outlier status between two meshes that tested it.
const (
	OutlierAppeared = "became an outlier"
	OutlierVanished = "no longer an outlier"
	OutlierBoth     = "an outlier in both"
)

// MeshRef names one side of a comparison.
type MeshRef struct {
	ID       string `json:"id"`
	Cluster  string `json:"cluster"`
	Started  string `json:"started"`
	Nodes    int    `json:"nodes"`
	Complete bool   `json:"complete"`
}

// Comparison is two meshes pair by pair and node by node, largest change
// first, with the outliers each named.
type Comparison struct {
	Old MeshRef `json:"old"`
	New MeshRef `json:"new"`
	// RegressionPct is the gate's threshold (--fail-on-regression), when
	// given; FamilySize the number of changes Holm corrected over.
	RegressionPct *float64     `json:"regression_pct,omitempty"`
	FamilySize    int          `json:"family_size,omitempty"`
	Nodes         []NodeChange `json:"nodes"`
	Pairs         []PairChange `json:"pairs"`
	// OldOut and NewOut are each mesh's outliers, "scenario: evidence".
	OldOut  []string `json:"old_outliers"`
	NewOut  []string `json:"new_outliers"`
	OnlyOld []string `json:"only_old,omitempty"` // nodes in one mesh only
	OnlyNew []string `json:"only_new,omitempty"`
	// CannotJudge says why the gate cannot decide (only with the gate).
	CannotJudge []string `json:"cannot_judge,omitempty"`
}

// Verdicts of a pair or node, stable for scripts (the CSV's verdict).
const (
	VerdictRegression = "REGRESSION"
	VerdictSlower     = "slower"
	VerdictFaster     = "faster"
	VerdictNoChange   = "no clear change"
	VerdictFewTests   = "too few tests for an interval"
	VerdictNewFailed  = "failed in the new mesh"
	VerdictOldFailed  = "failed in the old mesh"
	VerdictBothFailed = "failed in both"
	VerdictOnlyOld    = "only in the old mesh"
	VerdictOnlyNew    = "only in the new mesh"
)

// sample is what one mesh measured of a pair: the log goodputs of its
// successful tests, and how many failed.
type sample struct {
	logs   []float64
	failed int
}

type pairKey struct{ scenario, from, to string }

// samples are m's tests by scenario and node names.
func samples(m *meshrecord.Mesh) map[pairKey]*sample {
	out := map[pairKey]*sample{}
	for _, t := range m.Tests {
		k := pairKey{t.Scenario, m.NodeName(t.From), m.NodeName(t.To)}
		s := out[k]
		if s == nil {
			s = &sample{}
			out[k] = s
		}
		if t.Goodput == nil || *t.Goodput <= 0 {
			s.failed++
			continue
		}
		s.logs = append(s.logs, math.Log(*t.Goodput))
	}
	return out
}

// CompareOptions tune Compare.
type CompareOptions struct {
	// RegressionPct turns the gate on: a fall beyond it at the interval's
	// bound (Holm-corrected) is a regression.
	RegressionPct *float64
	Stats         stats.Config
}

// Compare matches two meshes' pairs and nodes by scenario and node names.
func Compare(oldM, newM *meshrecord.Mesh, o CompareOptions) *Comparison {
	c := &Comparison{Old: ref(oldM), New: ref(newM), RegressionPct: o.RegressionPct, OldOut: []string{}, NewOut: []string{}}
	threshold := 0.0
	if o.RegressionPct != nil {
		threshold = *o.RegressionPct / 100
	}
	cmpr := &comparer{cfg: o.Stats, threshold: threshold}
	oldS, newS := samples(oldM), samples(newM)
	oldA, newA := oldM.Analyze(mesh.Judging{}), newM.Analyze(mesh.Judging{})
	for k := range union(oldS, newS) {
		pc := PairChange{Scenario: k.scenario, From: k.from, To: k.to}
		pc.Figures = cmpr.figures(stats.Key{Scenario: k.scenario + " " + k.from + "→" + k.to}, logsOf(oldS[k]), logsOf(newS[k]), oldS[k] != nil, newS[k] != nil)
		c.Pairs = append(c.Pairs, pc)
	}
	c.Nodes = cmpr.nodes(oldM, newM, oldA, newA)
	for _, side := range []struct {
		a   *meshrecord.Analysis
		out *[]string
	}{{oldA, &c.OldOut}, {newA, &c.NewOut}} {
		for _, sa := range side.a.Scenarios {
			for _, e := range sa.Outliers {
				*side.out = append(*side.out, sa.Scenario+": "+e)
			}
		}
	}
	if o.RegressionPct != nil {
		c.FamilySize = judge(c.figures(), o.Stats)
	}
	sortByChange(c.Pairs, func(p PairChange) (*float64, string) { return p.Change, p.Scenario + "\x00" + p.From + "\x00" + p.To })
	sortByChange(c.Nodes, func(n NodeChange) (*float64, string) { return n.Change, n.Scenario + "\x00" + n.Node })
	c.OnlyOld, c.OnlyNew = onlyIn(oldM, newM), onlyIn(newM, oldM)
	if o.RegressionPct != nil {
		c.CannotJudge = c.undecided()
	}
	return c
}

func ref(m *meshrecord.Mesh) MeshRef {
	return MeshRef{ID: m.ID, Cluster: m.Cluster.Kind + " " + m.Cluster.Name, Started: m.Started.UTC().Format("2006-01-02 15:04 UTC"),
		Nodes: len(m.Nodes), Complete: m.Complete}
}

func union[K comparable, V any](a, b map[K]V) map[K]bool {
	out := map[K]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// logsOf is a pair's measured tests, nil when none.
func logsOf(s *sample) []float64 {
	if s == nil {
		return nil
	}
	return s.logs
}

// onlyIn are the nodes of a not in b.
func onlyIn(a, b *meshrecord.Mesh) []string {
	var out []string
	for _, n := range a.Nodes {
		if !slices.ContainsFunc(b.Nodes, func(m meshrecord.Node) bool { return m.Name == n.Name }) {
			out = append(out, n.Name)
		}
	}
	return out
}

// comparer computes Figures.
type comparer struct {
	cfg       stats.Config
	threshold float64
}

// figures compares a pair's log goodputs (nil: none measured) on each
// side; oIn and nIn say whether each mesh tested it at all.
func (cm *comparer) figures(key stats.Key, old, new []float64, oIn, nIn bool) Figures {
	var f Figures
	f.OldN, f.NewN = len(old), len(new)
	f.Old, f.New = geomean(old), geomean(new)
	switch {
	case !oIn:
		f.Verdict = VerdictOnlyNew
	case !nIn:
		f.Verdict = VerdictOnlyOld
	case old == nil && new == nil:
		f.Verdict = VerdictBothFailed
	case old == nil:
		f.Verdict = VerdictOldFailed
	case new == nil:
		f.Verdict = VerdictNewFailed
	case min(len(old), len(new)) < cm.minSamples():
		// no interval: the change alone, without resampling for nothing
		// (a large mesh of one repeat has tens of thousands of pairs)
		change := *f.New / *f.Old - 1
		f.Change, f.Verdict = &change, VerdictFewTests
	default:
		ch, err := cm.cfg.CompareRuns(key, [][]float64{old}, [][]float64{new}, cm.threshold) // one run a side: its repeats
		if err != nil {                                                                      // cannot happen: both sides have a value
			f.Verdict = err.Error()
			break
		}
		f.Old, f.New, f.Change, f.CI = &ch.OldLevel, &ch.NewLevel, &ch.Change, ch.CI
		f.p, f.gated = ch.P, ch.CI != nil
		f.Verdict = changeVerdict(ch.CI)
	}
	return f
}

// changeVerdict says what a change's interval shows.
func changeVerdict(ci *stats.Interval) string {
	switch {
	case ci == nil:
		return VerdictFewTests
	case ci.High < 0:
		return VerdictSlower
	case ci.Low > 0:
		return VerdictFaster
	}
	return VerdictNoChange
}

// minSamples is the fewest tests a side needs for a pair's interval, as
// stats.CompareRuns counts them.
func (cm *comparer) minSamples() int {
	if cm.cfg.MinSamples < 2 {
		return stats.DefaultMinSamples
	}
	return cm.cfg.MinSamples
}

// judge applies the gate to every figure: Holm's correction over the
// changes with an interval, a regression where the corrected one-sided
// test says the fall is beyond the threshold, or where the new mesh failed
// what the old one measured. It returns the family's size.
func judge(figs []*Figures, cfg stats.Config) int {
	alpha := cfg.Alpha
	if alpha <= 0 || alpha >= 1 {
		alpha = stats.DefaultAlpha
	}
	var p []float64
	var of []*Figures
	for _, f := range figs {
		if f.gated {
			p, of = append(p, f.p), append(of, f)
		}
	}
	for i, a := range stats.Holm(p) {
		of[i].AdjustedP = &a
		if a < alpha {
			of[i].Regression = true
			of[i].Verdict = VerdictRegression
		}
	}
	for _, f := range figs {
		if strings.HasPrefix(f.Verdict, VerdictNewFailed) {
			f.Regression = true
			f.Verdict = VerdictRegression + ": " + f.Verdict
		}
	}
	return len(p)
}

// geomean is the geometric mean of the values whose logs are given, nil
// for none: one side's figure when the other has none to compare with.
func geomean(logs []float64) *float64 {
	if len(logs) == 0 {
		return nil
	}
	var s float64
	for _, v := range logs {
		s += v
	}
	g := math.Exp(s / float64(len(logs)))
	return &g
}

// sortByChange puts the largest change first, then what could not be
// compared, each by name.
func sortByChange[T any](s []T, of func(T) (*float64, string)) {
	slices.SortFunc(s, func(a, b T) int {
		ca, na := of(a)
		cb, nb := of(b)
		xa, xb := -1.0, -1.0
		if ca != nil {
			xa = math.Abs(*ca)
		}
		if cb != nil {
			xb = math.Abs(*cb)
		}
		return cmp.Or(cmp.Compare(xb, xa), cmp.Compare(na, nb))
	})
}

// undecided says why the gate cannot decide: a gate that cannot tell
// must not pass.
func (c *Comparison) undecided() []string {
	var why []string
	both, few, onlyOld := 0, 0, 0
	for _, f := range c.figures() {
		switch f.Verdict {
		case VerdictFewTests:
			few++
		case VerdictOnlyOld:
			onlyOld++
		}
		if f.Change != nil {
			both++
		}
	}
	if few > 0 {
		why = append(why, fmt.Sprintf("%d pairs or nodes have too few tests for an interval (the gate needs %d a side: run both meshes with --repeats %d or more)",
			few, stats.DefaultMinSamples, stats.DefaultMinSamples))
	}
	if onlyOld > 0 {
		why = append(why, fmt.Sprintf("%d pairs or nodes of the old mesh are not in the new one, so they cannot be judged (measure the same nodes and --scenarios on both sides)", onlyOld))
	}
	if both == 0 {
		why = append(why, "no pair was measured in both meshes: nothing to judge (the meshes must share nodes and scenarios)")
	}
	return why
}

// figures are every pair's and node's figures.
func (c *Comparison) figures() []*Figures {
	var figs []*Figures
	for i := range c.Pairs {
		figs = append(figs, &c.Pairs[i].Figures)
	}
	for i := range c.Nodes {
		figs = append(figs, &c.Nodes[i].Figures)
	}
	return figs
}

// Regressions are the pairs and nodes the gate marked, "scenario from→to
// -35.2%" or "scenario node …", for the command's error.
func (c *Comparison) Regressions() []string {
	var out []string
	say := func(label string, f Figures) {
		if !f.Regression {
			return
		}
		if f.Change != nil {
			out = append(out, fmt.Sprintf("%s %+.1f%%", label, *f.Change*100))
		} else {
			out = append(out, label+" failed")
		}
	}
	for _, n := range c.Nodes {
		say(n.Scenario+" node "+n.Node, n.Figures)
	}
	for _, p := range c.Pairs {
		say(p.Scenario+" "+p.From+"→"+p.To, p.Figures)
	}
	return out
}
