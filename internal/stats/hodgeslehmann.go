package stats

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// Shift is the Hodges–Lehmann estimate of how far x lies above y, with the
// Moses interval, which is the Mann-Whitney test inverted: the interval
// holds exactly the shifts the test at 1 − Level would not reject, so the
// estimate, the interval and the test always agree (Hollander & Wolfe 1999,
// §4.3; Lehmann 1975). Figures are in the units of the input (cnibench
// passes log goodput, so a shift is a log ratio).
type Shift struct {
	Estimate float64   // median of the n·m differences x_i − y_j
	CI       *Interval // nil when no interval reaches the level (2/C(n+m, n) > 1 − level)
}

// HodgesLehmann estimates the shift of x against y and its interval at level.
// Both must be non-empty.
func HodgesLehmann(x, y []float64, level float64) Shift {
	d := make([]float64, 0, len(x)*len(y))
	for _, a := range x {
		for _, b := range y {
			d = append(d, a-b)
		}
	}
	slices.Sort(d)
	s := Shift{Estimate: MedianSorted(d)}
	if k, coverage := mosesRank(len(x), len(y), level); k > 0 {
		s.CI = &Interval{Low: d[k-1], High: d[len(d)-k], Level: coverage}
	}
	return s
}

// mosesRank is the largest k such that [D(k), D(nm+1−k)] of the sorted
// pairwise differences covers the true shift with probability ≥ level, and
// that probability, 1 − 2·P(U ≤ k−1) under the null distribution of U
// (continuous data). k = 0 when none does.
func mosesRank(n, m int, level float64) (int, float64) {
	tail := (1 - level) / 2
	cdf := uCDF(n, m)
	k := 0
	for k < len(cdf)/2 && cdf[k] <= tail { // cdf[k] = P(U ≤ k)
		k++
	}
	if k == 0 {
		return 0, 0
	}
	return k, 1 - 2*cdf[k-1]
}

// uCDF is P(U ≤ u) for u = 0..n·m under the null hypothesis without ties:
// exact by counting (U of n against m has the same distribution as the number
// of inversions of a random interleaving) up to ExactMaxN values, the normal
// approximation with continuity correction above.
func uCDF(n, m int) []float64 {
	nm := n * m
	cdf := make([]float64, nm+1)
	if n+m > ExactMaxN {
		sd := math.Sqrt(float64(nm) * float64(n+m+1) / 12)
		for u := range cdf {
			cdf[u] = distuv.UnitNormal.CDF((float64(u) + 0.5 - float64(nm)/2) / sd)
		}
		return cdf
	}
	// counts[j][u]: interleavings of i values of x with j of y with U = u,
	// built up over i; adding an x value larger than j of the y values adds j.
	counts := make([][]float64, m+1)
	for j := range counts {
		counts[j] = make([]float64, nm+1)
		counts[j][0] = 1 // i = 0
	}
	for i := 1; i <= n; i++ {
		next := make([][]float64, m+1)
		for j := 0; j <= m; j++ {
			next[j] = make([]float64, nm+1)
			for u := 0; u <= nm; u++ {
				v := 0.0
				if u >= j { // the last value is x, above all j values of y
					v += counts[j][u-j]
				}
				if j > 0 { // the last value is y
					v += next[j-1][u]
				}
				next[j][u] = v
			}
		}
		counts = next
	}
	var total float64
	for _, c := range counts[m] {
		total += c
	}
	var acc float64
	for u, c := range counts[m] {
		acc += c
		cdf[u] = acc / total
	}
	return cdf
}
