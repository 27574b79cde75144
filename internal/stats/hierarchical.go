package stats

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
)

// Change is one scenario group measured in several runs on each side of a
// comparison (Kalibera & Jones 2013): each run contributes its repeats, and
// run-to-run variation is part of the interval, which a comparison of one
// run against one run cannot know.
//
// The values of a run are logarithms: of goodput normalised by the baseline
// of the same round (log(goodput / baseline goodput), so host drift that
// moves every row cancels), or of a raw figure (the baseline row itself, the
// connect RTT). Each side's level is the mean over runs of each run's mean,
// every run weighing the same.
type Change struct {
	OldRuns int `json:"old_runs"`
	NewRuns int `json:"new_runs"`
	OldN    int `json:"old_n"` // repeats over all runs
	NewN    int `json:"new_n"`
	// OldLevel and NewLevel are exp(side's level): a ratio to the baseline
	// for normalised goodput, the figure itself (bits/s, µs) for raw ones.
	OldLevel float64 `json:"old_level"`
	NewLevel float64 `json:"new_level"`
	// Change is NewLevel / OldLevel − 1, CI its hierarchical percentile
	// bootstrap interval (runs, then repeats within each run, resampled).
	Change float64   `json:"change"`
	CI     *Interval `json:"ci,omitempty"`
	// Normalised: the levels are goodput over the same round's baseline.
	Normalised bool `json:"normalised,omitempty"`
	// P is the one-sided bootstrap p-value of "the change is not below
	// −threshold": small p means a fall beyond the threshold. AdjustedP is
	// after Holm's correction over the comparison's gated rows.
	P          float64 `json:"p"`
	AdjustedP  float64 `json:"adjusted_p,omitempty"`
	FamilySize int     `json:"family_size,omitempty"`
	// RunToRun is false when a side has a single run: the interval then
	// holds only the repeats' variation, and a change cannot be told from
	// the variation between runs.
	RunToRun bool `json:"run_to_run"`
}

// CompareRuns measures the change of key from old to new: each slice is one
// run's log values. threshold is the fall (0.05 = 5%) beyond which P counts
// a regression. Every run needs a value; at least 2 values per side in all.
func (c Config) CompareRuns(key Key, old, new [][]float64, threshold float64) (*Change, error) {
	c = c.withDefaults()
	for _, side := range [][][]float64{old, new} {
		if len(side) == 0 || slices.ContainsFunc(side, func(r []float64) bool { return len(r) == 0 }) {
			return nil, errors.New("compare: every run needs a successful sample of the group")
		}
	}
	ch := &Change{OldRuns: len(old), NewRuns: len(new), OldN: count(old), NewN: count(new),
		RunToRun: len(old) > 1 && len(new) > 1}
	lo, ln := level(old), level(new)
	ch.OldLevel, ch.NewLevel, ch.Change = math.Exp(lo), math.Exp(ln), math.Expm1(ln-lo)
	rng := c.rng(key, "compare")
	draws := make([]float64, c.Resamples)
	limit := math.Log1p(-threshold)
	below := 0
	for i := range draws {
		d := resampleLevel(rng, new) - resampleLevel(rng, old)
		draws[i] = math.Expm1(d)
		if d >= limit {
			below++
		}
	}
	ch.P = float64(below+1) / float64(len(draws)+1)
	ch.AdjustedP, ch.FamilySize = ch.P, 1
	if ch.OldN >= c.MinSamples && ch.NewN >= c.MinSamples {
		ch.CI = percentileInterval(draws, c.Confidence)
	}
	return ch, nil
}

// Regression reports whether the change is a fall beyond the threshold
// given to CompareRuns: the one-sided (1 − alpha) bound of the change, after
// Holm's correction, lies below −threshold (a non-inferiority test), so a
// fall inside the noise is never called one.
func (ch Change) Regression(alpha float64) bool { return ch.AdjustedP < alpha }

func count(runs [][]float64) int {
	n := 0
	for _, r := range runs {
		n += len(r)
	}
	return n
}

// level is the mean over runs of each run's mean.
func level(runs [][]float64) float64 {
	var s float64
	for _, r := range runs {
		var m float64
		for _, v := range r {
			m += v
		}
		s += m / float64(len(r))
	}
	return s / float64(len(runs))
}

// resampleLevel is level of a two-stage resample (Davison & Hinkley 1997,
// §3.8): runs with replacement, then each drawn run's values with
// replacement. Each stage draws one fewer than it has (at least one): the
// variance of a mean of n − 1 draws from n values is the unbiased s²/n,
// where n draws give (n − 1)/n of it, too narrow with the 2 to 5 runs a
// comparison has.
func resampleLevel(rng *rand.Rand, runs [][]float64) float64 {
	k := max(len(runs)-1, 1)
	var s float64
	for range k {
		r := runs[rng.IntN(len(runs))]
		m := max(len(r)-1, 1)
		var sum float64
		for range m {
			sum += r[rng.IntN(len(r))]
		}
		s += sum / float64(m)
	}
	return s / float64(k)
}

// AdjustChanges applies Holm's correction to the regression tests of a
// comparison's gated rows (nil entries are skipped).
func AdjustChanges(changes []*Change) {
	var p []float64
	var live []*Change
	for _, ch := range changes {
		if ch != nil {
			p, live = append(p, ch.P), append(live, ch)
		}
	}
	for i, a := range Holm(p) {
		live[i].AdjustedP, live[i].FamilySize = a, len(live)
	}
}
