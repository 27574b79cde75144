package stats

import (
	"errors"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/combin"
	"gonum.org/v1/gonum/stat/distuv"
)

// MannWhitney is the outcome of a two-sided Mann-Whitney U (Wilcoxon rank
// sum) test of whether two groups come from the same distribution.
type MannWhitney struct {
	U     float64 `json:"u"`     // pairs (x, y) with x > y, ties counting ½
	P     float64 `json:"p"`     // two-sided p-value
	Exact bool    `json:"exact"` // the p-value is from the exact permutation distribution
}

// ExactMaxN is the largest combined sample size for which MannWhitneyU
// computes the exact permutation distribution; above it, the normal
// approximation with tie and continuity correction is used.
const ExactMaxN = 50

// MannWhitneyU tests x against y (two-sided). Ties get mid-ranks; the exact
// distribution is of the rank sum under all C(n, len(x)) assignments of the
// observed ranks (ties included), so it is exact with ties too.
func MannWhitneyU(x, y []float64) (MannWhitney, error) {
	return mannWhitney(x, y, ExactMaxN)
}

func mannWhitney(x, y []float64, exactMaxN int) (MannWhitney, error) {
	n1, n2 := len(x), len(y)
	if n1 == 0 || n2 == 0 {
		return MannWhitney{}, errors.New("mann-whitney: both groups need at least one value")
	}
	if slices.ContainsFunc(x, math.IsNaN) || slices.ContainsFunc(y, math.IsNaN) {
		return MannWhitney{}, errors.New("mann-whitney: NaN in the data")
	}
	ranks2, ties := doubledRanks(x, y)
	var w2 int // doubled rank sum of x
	for _, r := range ranks2[:n1] {
		w2 += r
	}
	n := n1 + n2
	u := float64(w2)/2 - float64(n1*(n1+1))/2
	if n <= exactMaxN {
		return MannWhitney{U: u, P: exactP(ranks2, n1, w2), Exact: true}, nil
	}
	mean := float64(n1*n2) / 2
	variance := float64(n1*n2) / 12 * (float64(n+1) - ties/float64(n*(n-1)))
	if variance <= 0 {
		return MannWhitney{U: u, P: 1}, nil
	}
	z := math.Max(math.Abs(u-mean)-0.5, 0) / math.Sqrt(variance)
	return MannWhitney{U: u, P: math.Min(1, 2*distuv.UnitNormal.Survival(z))}, nil
}

// doubledRanks returns twice the mid-rank of every value (x's first, then
// y's), which keeps tied ranks integral, and the tie term Σ(t³−t) over the
// groups of t tied values.
func doubledRanks(x, y []float64) ([]int, float64) {
	n := len(x) + len(y)
	idx := make([]int, n)
	val := func(i int) float64 {
		if i < len(x) {
			return x[i]
		}
		return y[i-len(x)]
	}
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		va, vb := val(a), val(b)
		switch {
		case va < vb:
			return -1
		case va > vb:
			return 1
		}
		return 0
	})
	ranks2 := make([]int, n)
	var ties float64
	for i := 0; i < n; {
		j := i
		for j+1 < n && val(idx[j+1]) == val(idx[i]) {
			j++
		}
		// positions i..j (0-based) share the mid-rank ((i+1)+(j+1))/2
		for k := i; k <= j; k++ {
			ranks2[idx[k]] = i + j + 2
		}
		t := float64(j - i + 1)
		ties += t*t*t - t
		i = j + 1
	}
	return ranks2, ties
}

// exactP is the two-sided p-value of the observed doubled rank sum w2 of the
// first n1 of ranks2: the share of all ways to pick n1 of the ranks whose sum
// lies at least as far from its mean as w2 does. Counts are float64, exact
// below 2^53 (C(50, 25) ≈ 1.3e14).
func exactP(ranks2 []int, n1, w2 int) float64 {
	n := len(ranks2)
	if n1 > n-n1 { // the smaller side has the same two-sided p-value
		w2 = 0
		for _, r := range ranks2[n1:] {
			w2 += r
		}
		n1 = n - n1
	}
	maxSum := 2 * n * n1
	counts := make([][]float64, n1+1)
	for k := range counts {
		counts[k] = make([]float64, maxSum+1)
	}
	counts[0][0] = 1
	for i, r := range ranks2 {
		for k := min(i+1, n1); k >= 1; k-- {
			prev, cur := counts[k-1], counts[k]
			for s := maxSum; s >= r; s-- {
				cur[s] += prev[s-r]
			}
		}
	}
	center := n1 * (n + 1) // doubled mean of the rank sum
	d := abs(w2 - center)
	var total, extreme float64
	for s, c := range counts[n1] {
		total += c
		if abs(s-center) >= d {
			extreme += c
		}
	}
	return extreme / total
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// MinPValue is the smallest two-sided p-value the Mann-Whitney test can give
// with n and m samples, 2 / C(n+m, n): when it is not below alpha, no
// difference can be called significant however large it is.
func MinPValue(n, m int) float64 {
	if n < 1 || m < 1 {
		return 1
	}
	return math.Min(1, 2/combin.GeneralizedBinomial(float64(n+m), float64(n)))
}
