package report

import (
	"math"
	"slices"
)

// outlierFactor: a row whose reach (how far from 0 its value and interval
// go) is more than outlierFactor times the typical row's is an outlier:
// drawn to scale, it would squash the other rows into slivers, so the axis
// leaves it out and its bar is cut at the axis's end with its value
// written. On the lab, pod-pod-same never crosses the shaped link and can
// run several times as fast as every other path.
const outlierFactor = 4.0

// inlierReach is the largest of reaches that is no outlier: at most
// outlierFactor times the typical reach (the lower median, so that one
// outlier per variant cannot pass for typical), or times floor when that
// is larger, so that small values do not make outliers of ordinary ones.
func inlierReach(reaches []float64, floor float64) float64 {
	if len(reaches) == 0 {
		return 0
	}
	sorted := slices.Clone(reaches)
	slices.Sort(sorted)
	limit, typical := 0.0, sorted[(len(sorted)-1)/2]
	for _, r := range sorted {
		if r <= outlierFactor*max(typical, floor) {
			limit = r
		}
	}
	return limit
}

// intervalBar draws a bar from 0 to v, labelled with value, and unless ci
// is nil a whisker from ci[0] to ci[1]. What lies beyond the axis stops at
// its end: a bar cut so has a cut mark inside it and "off scale" after its
// value, written inside the bar when the cut is at the right end, where
// there is no room beyond it.
func intervalBar(s *svg, x scale, y, v float64, ci *[2]float64, class, tooltip, value string) {
	s.rect(x.at(0), y-7, x.clamp(v)-x.at(0), 14, class, tooltip)
	end := max(x.at(0), x.clamp(v))
	if ci != nil {
		lo, hi := x.clamp(ci[0]), x.clamp(ci[1])
		if lo < hi {
			s.line(lo, y, hi, y, "whisker")
		}
		for _, e := range ci {
			if !x.outside(e) {
				s.line(x.at(e), y-5, x.at(e), y+5, "whisker")
			}
		}
		end = max(end, hi)
	}
	if !x.outside(v) {
		s.text(end+6, y+4, "start", "value", value)
		return
	}
	s.cut(x.clamp(v)-math.Copysign(12, v), y, 7) // inside the bar, near its cut end
	if v > 0 {
		s.text(x.clamp(v)-24, y+4, "end", "value inbar", value+" off scale")
	} else {
		s.text(end+6, y+4, "start", "value", value+" off scale")
	}
}

// cutKey is the legend's key for a cut bar.
var cutKey = legendKey{class: "cut", label: "off scale: cut, value written", shape: "cut"}
