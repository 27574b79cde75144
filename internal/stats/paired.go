package stats

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// MethodPairedLogRatio names the paired overhead in the record: each round's
// log(goodput / baseline goodput of the same round), their mean, its Student
// t interval and the paired t-test, one statistic for all three.
const MethodPairedLogRatio = "paired-t-log-ratio"

// PairedT is the two-sided one-sample t-test of whether the mean of the
// per-round log ratios is 0.
type PairedT struct {
	T  float64 `json:"t"`
	DF int     `json:"df"`
	P  float64 `json:"p"`
}

// pairedShift is the paired analysis of per-round differences d: their
// mean, its Student t interval at level and the t-test of mean 0. The
// interval holds exactly the means the test at 1 − level would not reject.
// It needs two differences; with no spread at all the interval is the point
// and the test rejects unless the mean is 0.
func pairedShift(d []float64, level float64) (Shift, PairedT) {
	n := len(d)
	mean := stat.Mean(d, nil)
	sd := stat.StdDev(d, nil)
	t := PairedT{DF: n - 1}
	se := sd / math.Sqrt(float64(n))
	switch {
	case se > 0:
		t.T = mean / se
		t.P = 2 * studentT(n-1).Survival(math.Abs(t.T))
	case mean == 0:
		t.P = 1
	default:
		t.T = math.Copysign(math.Inf(1), mean)
	}
	return Shift{Estimate: mean, CI: studentInterval(mean, sd, n, level)}, t
}

// PairedDifference compares two groups measured in the same rounds: x[i]
// and y[i] come from round i. It returns the mean of the differences
// x[i] − y[i] with its Student t interval at level and the paired t-test of
// mean 0 (pairedShift); a drift between rounds that moves both alike drops
// out. It needs two pairs of the same length.
func PairedDifference(x, y []float64, level float64) (Shift, PairedT, error) {
	if len(x) != len(y) || len(x) < 2 {
		return Shift{}, PairedT{}, fmt.Errorf("paired difference: %d and %d values; want two or more pairs", len(x), len(y))
	}
	d := make([]float64, len(x))
	for i := range x {
		d[i] = x[i] - y[i]
	}
	sh, t := pairedShift(d, level)
	return sh, t, nil
}

func studentT(df int) distuv.StudentsT {
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(df)}
}

// roundRatios pairs the samples of a group with the baseline's by round:
// log(goodput / baseline goodput) of every round in which both succeeded
// with a positive goodput, in round order (roundRatiosOf for any figure). Samples without a round (a round
// a resumed run measured in two attempts) are left out. ok is false, with
// the reason, when nothing can be paired: no sample carries a round (a
// sequential order, an older record), or a round holds a group twice.
func roundRatios(x, base []Sample) (d []float64, ok bool, why string) {
	return roundRatiosOf(x, base, func(s Sample) (float64, bool) { return s.Goodput, true })
}

// roundRatiosOf is roundRatios of the figure value gives, leaving out the
// samples for which it gives none.
func roundRatiosOf(x, base []Sample, value func(Sample) (float64, bool)) (d []float64, ok bool, why string) {
	byRound := func(samples []Sample) (map[int]float64, string) {
		m := make(map[int]float64, len(samples))
		for _, s := range samples {
			v, has := value(s)
			if s.Round <= 0 || !has {
				continue
			}
			if _, dup := m[s.Round]; dup {
				return nil, "a round holds two samples of one group"
			}
			m[s.Round] = v
		}
		return m, ""
	}
	xs, why := byRound(x)
	if why != "" {
		return nil, false, why
	}
	bs, why := byRound(base)
	if why != "" {
		return nil, false, why
	}
	if len(xs) == 0 || len(bs) == 0 {
		return nil, false, "the samples carry no round (a sequential order or an older record)"
	}
	rounds := make([]int, 0, len(xs))
	for r := range xs {
		rounds = append(rounds, r)
	}
	slices.Sort(rounds)
	for _, r := range rounds {
		if b, both := bs[r]; both && b > 0 && xs[r] > 0 {
			d = append(d, math.Log(xs[r]/b))
		}
	}
	return d, true, ""
}

// pairedMinDetectable is the smallest overhead the paired t-test at alpha
// detects with DefaultPower from k rounds whose log ratios spread sd:
// (t(1−α/2, k−1) + t(power, k−1)) · sd / √k, as a share of the baseline.
func pairedMinDetectable(sd float64, k int, alpha float64) *float64 {
	if k < 2 || !(sd > 0) {
		return nil
	}
	st := studentT(k - 1)
	d := -math.Expm1(-(st.Quantile(1-alpha/2) + st.Quantile(DefaultPower)) * sd / math.Sqrt(float64(k)))
	return &d
}
