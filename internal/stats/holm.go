package stats

import (
	"cmp"
	"slices"
)

// Holm adjusts p-values for a family of tests (Holm 1979): the i-th smallest
// of m is multiplied by m − i + 1 and the results made monotone. Rejecting
// where the adjusted p is below alpha keeps the chance of any false
// "significant" in the family at most alpha, under any dependence between the
// tests, and is never less powerful than Bonferroni.
func Holm(p []float64) []float64 {
	m := len(p)
	order := make([]int, m)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(p[a], p[b]) })
	adj := make([]float64, m)
	running := 0.0
	for rank, i := range order {
		running = max(running, min(1, float64(m-rank)*p[i]))
		adj[i] = running
	}
	return adj
}

// AdjustFamily applies Holm's correction to every test of a run's table: each
// group's overhead, RTT, and (UDP) loss and jitter tests against its baseline. It sets their
// AdjustedP, FamilySize and Significant and returns the family's size. Call
// it once over all of a run's summaries (Summarize alone treats each test as
// a family of one).
func (c Config) AdjustFamily(sums []Summary) int {
	c = c.withDefaults()
	type test struct {
		p           float64
		adjusted    *float64
		size        *int
		significant *bool
	}
	var tests []test
	for i := range sums {
		if o := sums[i].Overhead; o != nil {
			tests = append(tests, test{o.TestP(), &o.AdjustedP, &o.FamilySize, &o.Significant})
		}
		if d := sums[i].RTTDelta; d != nil {
			tests = append(tests, test{d.Test.P, &d.AdjustedP, &d.FamilySize, &d.Significant})
		}
		for _, d := range []*Difference{sums[i].LossDelta, sums[i].JitterDelta} {
			if d != nil {
				tests = append(tests, test{d.Test.P, &d.AdjustedP, &d.FamilySize, &d.Significant})
			}
		}
	}
	p := make([]float64, len(tests))
	for i, t := range tests {
		p[i] = t.p
	}
	for i, a := range Holm(p) {
		*tests[i].adjusted, *tests[i].size, *tests[i].significant = a, len(tests), a < c.Alpha
	}
	return len(tests)
}
