package stats

import (
	"gonum.org/v1/gonum/stat/distuv"
)

// MedianInterval is the exact distribution-free confidence interval of the
// median from the order statistics of sorted x (Le Boudec 2010, §2.4.1):
// [x(j), x(n+1−j)] covers the true median with probability
// P(j ≤ B ≤ n−j), B ~ Binomial(n, ½), whatever the distribution. It picks the
// narrowest symmetric pair whose coverage is at least level and returns it
// with the coverage it achieves (e.g. 0.969 for [min, max] at n = 6); nil when
// even [min, max] falls short (n ≤ 5 at 0.95), because no interval from n
// values can honestly claim the level.
func MedianInterval(sorted []float64, level float64) *Interval {
	n := len(sorted)
	if n == 0 {
		return nil
	}
	b := distuv.Binomial{N: float64(n), P: 0.5}
	var best *Interval
	for j := 1; 2*j <= n+1; j++ { // 1-based rank of the lower end
		// P(j ≤ B ≤ n−j) = F(n−j) − F(j−1)
		coverage := b.CDF(float64(n-j)) - b.CDF(float64(j-1))
		if coverage < level {
			break
		}
		best = &Interval{Low: sorted[j-1], High: sorted[n-j], Level: coverage}
	}
	return best
}

// MinRepeatsForMedianCI is the fewest values from which MedianInterval can
// reach level: the smallest n with 1 − 2^(1−n) ≥ level.
func MinRepeatsForMedianCI(level float64) int {
	n := 1
	for 1-2/float64(uint64(1)<<n) < level && n < 62 {
		n++
	}
	return n
}
