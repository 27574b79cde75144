package stats

import (
	"errors"
	"fmt"
)

// Delta is one scenario group measured in two runs, benchstat style: the
// change is significant only when the Mann-Whitney test says so.
type Delta struct {
	OldMedian   float64     `json:"old_median"` // bits/s (goodput) or µs (connect RTT)
	NewMedian   float64     `json:"new_median"`
	OldN        int         `json:"old_n"`
	NewN        int         `json:"new_n"`
	Change      float64     `json:"change"`       // new median / old median − 1
	CI          *Interval   `json:"ci,omitempty"` // bootstrap of both groups
	Test        MannWhitney `json:"test"`
	Significant bool        `json:"significant"` // Test.P < Config.Alpha
}

// Regression reports whether goodput fell significantly by more than pct
// percent (pct 0: any significant fall).
func (d Delta) Regression(pct float64) bool {
	return d.Significant && -d.Change*100 > pct
}

// Compare measures the change from old to new values of key: goodputs
// (bits/s) or connect RTTs (µs).
func (c Config) Compare(key Key, old, new []float64) (*Delta, error) {
	c = c.withDefaults()
	if len(old) == 0 || len(new) == 0 {
		return nil, errors.New("compare: both runs need a successful sample")
	}
	om := median(old)
	if !(om > 0) {
		return nil, fmt.Errorf("compare: the old median is %g bit/s: no relative change", om)
	}
	d := &Delta{OldMedian: om, NewMedian: median(new), OldN: len(old), NewN: len(new)}
	d.Change = d.NewMedian/om - 1
	var err error
	if d.Test, err = MannWhitneyU(new, old); err != nil {
		return nil, err
	}
	d.Significant = d.Test.P < c.Alpha
	if len(old) >= c.MinSamples && len(new) >= c.MinSamples {
		d.CI = c.bootstrapRatio(key, "compare", new, old, func(mn, mo float64) float64 { return mn/mo - 1 })
	}
	return d, nil
}
