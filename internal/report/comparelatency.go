package report

import (
	"fmt"
	"math"
	"slices"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
)

// LatencyChange is one latency figure (p50 or p99 of a scenario's latency
// test) compared between two sides of runs: the geometric mean level of
// each side, the rise from old to new with its interval, and whether the
// rise is beyond the gate's threshold (one-sided bootstrap test, Holm over
// every latency figure compared): the goodput gate's method on −log latency.
type LatencyChange struct {
	Variant   string          `json:"variant,omitempty"`
	Scenario  string          `json:"scenario"`
	Test      string          `json:"test"`
	Figure    string          `json:"figure"` // p50 or p99
	OldUs     float64         `json:"old_us"`
	NewUs     float64         `json:"new_us"`
	Rise      float64         `json:"rise"` // new/old − 1: 0.1 = 10% slower
	CI        *stats.Interval `json:"ci,omitempty"`
	P         float64         `json:"p"`
	AdjustedP float64         `json:"adjusted_p"`
	OldRuns   int             `json:"old_runs,omitempty"`
	NewRuns   int             `json:"new_runs,omitempty"`
	OldN      int             `json:"old_n,omitempty"` // successful tests over all runs
	NewN      int             `json:"new_n,omitempty"`
	// Regression: the rise is beyond the threshold, significantly, or
	// the new runs have no successful test of a group the old ones had
	// (NewFailed).
	Regression bool `json:"regression"`
	NewFailed  bool `json:"new_failed,omitempty"`
}

// Label names the figure like "pod-pod-cross rr p99".
func (c LatencyChange) Label() string {
	l := c.Scenario + " " + c.Test + " " + c.Figure
	if c.Variant != "" {
		l = c.Variant + " " + l
	}
	return l
}

// CompareLatency compares every latency group both sides measured, p50
// and p99, and marks a rise of more than pct percent as a regression when
// the test says it is one.
func CompareLatency(old, new []*runrecord.Run, pct float64, cfg stats.Config) []LatencyChange {
	alpha := cfg.Alpha
	if alpha <= 0 || alpha >= 1 {
		alpha = stats.DefaultAlpha
	}
	ignoreVariant := singleVariant(old) && singleVariant(new)
	key := func(k stats.LatencyKey) stats.LatencyKey {
		if ignoreVariant {
			k.Variant = ""
		}
		return k
	}
	var keys []stats.LatencyKey
	for _, r := range old {
		for _, g := range r.LatencyGroups() {
			if k := key(g.Key); !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	threshold := pct / (100 + pct) // a fall of −log latency by log(1 + pct/100)
	var out []LatencyChange
	var changes []*stats.Change
	for _, k := range keys {
		for _, fig := range []struct {
			name string
			of   func(*runrecord.LatencyResult) float64
		}{{"p50", func(r *runrecord.LatencyResult) float64 { return r.P50Us }}, {"p99", func(r *runrecord.LatencyResult) float64 { return r.P99Us }}} {
			ov, nv := negLogLatencies(old, k, key, fig.of), negLogLatencies(new, k, key, fig.of)
			ch, err := cfg.CompareRuns(stats.Key{Variant: k.Variant, Scenario: k.Scenario, Protocol: stats.Protocol(k.Test + " " + fig.name)}, ov, nv, threshold)
			if err != nil {
				if measured(ov) && !measured(nv) && ran(new, k, key) {
					out = append(out, LatencyChange{Variant: k.Variant, Scenario: k.Scenario, Test: k.Test, Figure: fig.name, NewFailed: true})
					changes = append(changes, nil)
				}
				continue // else a side without the group, or an old run without it: nothing to gate
			}
			lc := LatencyChange{Variant: k.Variant, Scenario: k.Scenario, Test: k.Test, Figure: fig.name,
				OldUs: 1 / ch.OldLevel, NewUs: 1 / ch.NewLevel, Rise: 1/(1+ch.Change) - 1, P: ch.P,
				OldRuns: ch.OldRuns, NewRuns: ch.NewRuns, OldN: ch.OldN, NewN: ch.NewN}
			if ch.CI != nil {
				lc.CI = &stats.Interval{Low: 1/(1+ch.CI.High) - 1, High: 1/(1+ch.CI.Low) - 1, Level: ch.CI.Level}
			}
			out = append(out, lc)
			changes = append(changes, ch)
		}
	}
	stats.AdjustChanges(changes)
	for i, ch := range changes {
		if ch == nil {
			out[i].Regression = true
			continue
		}
		out[i].AdjustedP = ch.AdjustedP
		out[i].Regression = ch.Regression(alpha)
	}
	return out
}

// ran says whether a run of runs has a latency sample of k, failed or
// not: a side that never ran a test has not failed it.
func ran(runs []*runrecord.Run, k stats.LatencyKey, key func(stats.LatencyKey) stats.LatencyKey) bool {
	return slices.ContainsFunc(runs, func(r *runrecord.Run) bool {
		return slices.ContainsFunc(r.LatencySamples, func(s runrecord.LatencySample) bool { return key(s.Key()) == k })
	})
}

// measured says whether every run has a value.
func measured(runs [][]float64) bool {
	return len(runs) > 0 && !slices.ContainsFunc(runs, func(v []float64) bool { return len(v) == 0 })
}

// negLogLatencies are each run's −log figures of a latency group's
// successful tests; nil when a run has none.
func negLogLatencies(runs []*runrecord.Run, k stats.LatencyKey, key func(stats.LatencyKey) stats.LatencyKey, of func(*runrecord.LatencyResult) float64) [][]float64 {
	var out [][]float64
	for _, r := range runs {
		var v []float64
		for _, s := range r.LatencySamples {
			if key(s.Key()) == k && !s.Failed() && of(s.Result) > 0 {
				v = append(v, -math.Log(of(s.Result)))
			}
		}
		out = append(out, v)
	}
	return out
}

// LatencyRegressions are the changes marked as regressions.
func LatencyRegressions(cs []LatencyChange) []LatencyChange {
	var out []LatencyChange
	for _, c := range cs {
		if c.Regression {
			out = append(out, c)
		}
	}
	return out
}

// FormatLatencyChange is a change as the gate's message says it: "+12.0%
// (p50 41 µs → 46 µs)".
func FormatLatencyChange(c LatencyChange) string {
	if c.NewFailed {
		return c.Label() + " failed in the new runs"
	}
	return fmt.Sprintf("%s %+.1f%% (%s → %s)", c.Label(), c.Rise*100, micros(c.OldUs), micros(c.NewUs))
}
