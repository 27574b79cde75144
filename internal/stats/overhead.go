package stats

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
)

// TestP is the p-value of the overhead's test before Holm's correction: the
// paired t-test's when the rounds were paired, else Mann-Whitney's (also in
// every older record).
func (o Overhead) TestP() float64 {
	if o.PairedTest != nil {
		return o.PairedTest.P
	}
	return o.Test.P
}

// overhead compares a group's samples with the baseline's: paired by round
// when every sample carries one and at least Config.MinSamples rounds have
// both, else unpaired, with the reason in Overhead.Unpaired; warn says the
// reader must be told, because the run had rounds and some could not be
// used (a sequential order or an older record has none to lose). nil when
// the baseline's median is not positive or a goodput is 0 (a ratio needs
// positive rates).
func (c Config) overhead(xs, bases []Sample) (o *Overhead, warn bool) {
	x, base := Group{Samples: xs}.Goodputs(), Group{Samples: bases}.Goodputs()
	bm := median(base)
	lx, lb := logs(x), logs(base)
	if !(bm > 0) || lx == nil || lb == nil {
		return nil, false
	}
	o = &Overhead{BaselineMedian: bm, BaselineN: len(base)}
	o.Test, _ = MannWhitneyU(x, base) // both groups are non-empty
	d, ok, unpaired := roundRatios(xs, bases)
	if ok && len(d) < c.MinSamples {
		unpaired = fmt.Sprintf("only %d rounds have both this group and its baseline", len(d))
	}
	if unpaired != "" {
		c.unpairedOverhead(o, lx, lb)
		o.Unpaired = unpaired
		warn = slices.ContainsFunc(xs, hasRound) || slices.ContainsFunc(bases, hasRound)
	} else {
		c.pairedOverhead(o, d)
	}
	o.AdjustedP, o.FamilySize = o.TestP(), 1
	o.Significant = o.AdjustedP < c.Alpha
	return o, warn
}

func hasRound(s Sample) bool { return s.Round > 0 }

// unpairedOverhead fills o from the Hodges–Lehmann family on log goodputs.
func (c Config) unpairedOverhead(o *Overhead, lx, lb []float64) {
	sh := HodgesLehmann(lx, lb, c.Confidence)
	o.Ratio, o.Method = -math.Expm1(sh.Estimate), MethodHodgesLehmann
	if sh.CI != nil {
		o.CI = overheadInterval(*sh.CI)
	}
	o.Equivalence = c.equivalence(HodgesLehmann(lx, lb, 1-2*c.Alpha).CI)
	o.MinDetectable = minDetectable(lx, lb, c.Alpha)
}

// pairedOverhead fills o from the per-round log ratios d.
func (c Config) pairedOverhead(o *Overhead, d []float64) {
	sh, t := pairedShift(d, c.Confidence)
	o.Ratio, o.Method, o.Rounds, o.PairedTest = -math.Expm1(sh.Estimate), MethodPairedLogRatio, len(d), &t
	o.CI = overheadInterval(*sh.CI)
	tost, _ := pairedShift(d, 1-2*c.Alpha)
	o.Equivalence = c.equivalence(tost.CI)
	o.MinDetectable = pairedMinDetectable(stat.StdDev(d, nil), len(d), c.Alpha)
}
