package main

import (
	"fmt"
	"slices"

	"github.com/cnibench/cnibench/internal/stats"
)

// sample is one run's outcome.
type sample struct{ tps, p50 float64 }

// ratioLevel is the confidence the ratios' intervals aim for.
const ratioLevel = 0.95

// comparison is what the runs say of cnibench against sockperf. Each round
// ran both tools back to back, so each round gives one ratio and a drift
// between rounds (another tenant, a frequency change) moves both of its
// runs alike; the medians of those per-round ratios are the figures, each
// with the distribution-free interval of a median (stats.MedianInterval:
// nil below six rounds, where no interval from the values can claim 95 %).
type comparison struct {
	ours, theirs sample          // medians of each tool's runs
	tps          float64         // median of the rounds' cnibench / sockperf transactions/s
	tpsCI        *stats.Interval // its interval, or nil
	p50          float64         // median of the rounds' sockperf p50 / cnibench p50: above 1 when cnibench's round trip is the shorter
	p50CI        *stats.Interval
}

// compare pairs ours[i] with theirs[i], the runs of round i.
func compare(ours, theirs []sample) (comparison, error) {
	if len(ours) != len(theirs) || len(ours) == 0 {
		return comparison{}, fmt.Errorf("compare: %d cnibench and %d sockperf runs; want the same number, at least one", len(ours), len(theirs))
	}
	tps := make([]float64, len(ours))
	p50 := make([]float64, len(ours))
	for i := range ours {
		if ours[i].tps <= 0 || theirs[i].tps <= 0 || ours[i].p50 <= 0 || theirs[i].p50 <= 0 {
			return comparison{}, fmt.Errorf("compare: round %d has a figure that is not positive (cnibench %+v, sockperf %+v)", i+1, ours[i], theirs[i])
		}
		tps[i] = ours[i].tps / theirs[i].tps
		p50[i] = theirs[i].p50 / ours[i].p50
	}
	c := comparison{ours: medians(ours), theirs: medians(theirs)}
	c.tps, c.tpsCI = medianWithInterval(tps)
	c.p50, c.p50CI = medianWithInterval(p50)
	return c, nil
}

// verdict reads the transactions/s ratio against the goal of at least 1.0.
// A median below 1 whose interval still reaches 1 is not called a miss of
// cnibench's making: the machine's run-to-run spread covers it.
func (c comparison) verdict() string {
	switch {
	case c.tps >= 1:
		return "goal ≥ 1.0: met"
	case c.tpsCI == nil:
		return "goal ≥ 1.0: not met at the median (too few rounds for an interval: -repeats 6 or more)"
	case c.tpsCI.High < 1:
		return "goal ≥ 1.0: not met (the whole interval is below 1)"
	default:
		return "goal ≥ 1.0: not met at the median, within this machine's spread (the interval reaches 1)"
	}
}

// interval prints an interval or says why there is none.
func interval(i *stats.Interval) string {
	if i == nil {
		return "no interval below 6 rounds"
	}
	return fmt.Sprintf("%.0f%% CI %.3f–%.3f", 100*i.Level, i.Low, i.High)
}

func medianWithInterval(v []float64) (float64, *stats.Interval) {
	s := slices.Sorted(slices.Values(v))
	return stats.MedianSorted(s), stats.MedianInterval(s, ratioLevel)
}

func medians(s []sample) sample {
	tps := make([]float64, len(s))
	p50 := make([]float64, len(s))
	for i := range s {
		tps[i], p50[i] = s[i].tps, s[i].p50
	}
	slices.Sort(tps)
	slices.Sort(p50)
	return sample{stats.MedianSorted(tps), stats.MedianSorted(p50)}
}
