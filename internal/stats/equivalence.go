package stats

import (
	"math"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// DefaultEquivalenceMargin is the overhead within which a path counts as
// costing nothing (Config.EquivalenceMargin): ±2% of the baseline's goodput.
const DefaultEquivalenceMargin = 0.02

// DefaultPower is the power at which the minimum detectable effect is given.
const DefaultPower = 0.8

// Equivalence is the two one-sided tests (TOST, Schuirmann 1987) of whether
// an overhead lies within ±Margin: it does, at significance Alpha, exactly
// when the (1 − 2·Alpha) interval of the same estimator lies inside the
// margin. "Not significant" only says the data cannot tell a difference;
// this says the difference is small, which is what "no cost" means.
type Equivalence struct {
	Margin     float64   `json:"margin"`     // ± share of the baseline's goodput
	CI         *Interval `json:"ci"`         // the overhead's (1 − 2α) interval, by its method
	Equivalent bool      `json:"equivalent"` // CI within [−Margin, +Margin]
}

// equivalence is the TOST of an overhead from the (1 − 2α) interval of its
// log-goodput shift (the estimator's own); nil when there is none.
func (c Config) equivalence(logCI *Interval) *Equivalence {
	if logCI == nil {
		return nil
	}
	ci := overheadInterval(*logCI)
	return &Equivalence{Margin: c.EquivalenceMargin, CI: ci,
		Equivalent: ci.Low >= -c.EquivalenceMargin && ci.High <= c.EquivalenceMargin}
}

// overheadInterval turns an interval of log(goodput/baseline) into one of
// the overhead 1 − goodput/baseline (which reverses the ends).
func overheadInterval(log Interval) *Interval {
	return &Interval{Low: -math.Expm1(log.High), High: -math.Expm1(log.Low), Level: log.Level}
}

// minDetectable is the smallest overhead the Mann-Whitney test at alpha
// would detect with DefaultPower between groups of these sizes and the
// spread they show, as a share of the baseline's goodput: the normal
// approximation (z(1−α/2) + z(power)) · s · √(1/n + 1/m) on log goodput,
// with s the pooled standard deviation, times √(π/3) because the rank test
// needs π/3 as many samples as a t test on normal data (its asymptotic
// relative efficiency, Lehmann 1975). nil when the test can never reject at
// these sizes (MinPValue ≥ alpha) or the spread is unknown.
func minDetectable(logX, logBase []float64, alpha float64) *float64 {
	n, m := len(logX), len(logBase)
	if n < 2 || m < 2 || MinPValue(n, m) >= alpha {
		return nil
	}
	vx, vy := stat.Variance(logX, nil), stat.Variance(logBase, nil)
	pooled := math.Sqrt((float64(n-1)*vx + float64(m-1)*vy) / float64(n+m-2))
	z := distuv.UnitNormal.Quantile(1-alpha/2) + distuv.UnitNormal.Quantile(DefaultPower)
	d := -math.Expm1(-z * pooled * math.Sqrt(1/float64(n)+1/float64(m)) * math.Sqrt(math.Pi/3))
	return &d
}

// logs returns the natural logarithms of x, or nil when a value is not
// positive (a rate of 0 has no ratio).
func logs(x []float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		if !(v > 0) {
			return nil
		}
		out[i] = math.Log(v)
	}
	return out
}
