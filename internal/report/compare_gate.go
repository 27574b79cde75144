package report

import (
	"fmt"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
)

// undecided says why the regression gate cannot decide a comparison (nil
// when it can): a gate that cannot tell must not pass. It looks at every
// row the gate would judge and at the baseline, which the shares of every
// other row are taken of.
func undecided(c *Comparison, threshold float64, minSamples int) []string {
	var why []string
	judged := 0
	for _, r := range c.Rows {
		baseline := r.Scenario == runrecord.BaselineScenario
		switch r.Status {
		case RowOnlyOld:
			why = append(why, r.Label()+": not in the new runs, so it cannot be judged (run the same --scenarios, --protocol and --streams on both sides)")
		case RowNoChange:
			why = append(why, r.Label()+": "+r.Note)
		case RowOK:
			if !baseline {
				judged++
			}
			if r.Delta.CI == nil && !r.Regression {
				why = append(why, fmt.Sprintf("%s: too few samples for an interval (%d old, %d new; the gate needs %d a side: raise --repeats)",
					r.Label(), r.Delta.OldN, r.Delta.NewN, minSamples))
			}
			if baseline && r.Delta.CI != nil && (r.Delta.CI.High < -threshold || r.Delta.CI.Low > threshold) {
				why = append(why, fmt.Sprintf("%s (the baseline) changed %+.2f%%, beyond ±%g%%: the runs' hosts differ, and a share of a baseline "+
					"that moved cannot tell the pod network's change from the hosts' (compare runs made on the same hosts)",
					r.Label(), r.Delta.Change*100, threshold*100))
			}
		}
	}
	if judged == 0 {
		why = append(why, "no scenario besides the baseline was measured on both sides: nothing to judge (the runs must share scenarios, protocols and streams)")
	}
	return why
}

// minSamples is the fewest samples a side needs for a change's interval.
func minSamples(cfg stats.Config) int {
	if cfg.MinSamples < 2 {
		return stats.DefaultMinSamples
	}
	return cfg.MinSamples
}
