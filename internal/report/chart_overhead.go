package report

import (
	"fmt"
	"html/template"
	"math"
	"slices"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
)

// outlierMinPct: an overhead within ±outlierFactor·outlierMinPct (100%)
// is never cut. A path more than twice as fast as its baseline is measured
// against a baseline it does not share (two pods on one node against two
// nodes).
const outlierMinPct = 25.0

// overheadChart: overhead against the baseline with 95% CI whiskers and the
// physical floor of each path marked, on an axis that shows the overheads
// and floors of the ordinary rows; an outlier is cut at the axis's end, its
// value written.
func overheadChart(run *runrecord.Run, proto stats.Protocol) template.HTML {
	rows, h := chartRows(run, proto, func(s stats.Summary) bool { return !s.Baseline })
	summaries := make([]stats.Summary, len(rows))
	for i, r := range rows {
		summaries[i] = r.s
	}
	lo, hi := overheadAxis(summaries)
	ticks := niceTicks(lo, hi, 6)
	x := scale{ticks[0], ticks[len(ticks)-1], labelW, chartW - rightPad}
	s := newSVG(chartW, h, fmt.Sprintf("Overhead against the baseline (%s), %%, with 95%% confidence intervals and the physical floor", proto))
	keys := variantLegend(run)
	if slices.ContainsFunc(rows, func(r chartRow) bool { return r.s.Floor != nil }) {
		keys = append(keys, legendKey{class: "floor", label: "floor (header tax or MTU)", shape: "line"})
	}
	keys = append(keys, legendKey{class: "bar ns nskey", label: "pale: not significant; * significant (Holm)"})
	if slices.ContainsFunc(rows, func(r chartRow) bool { return offScale(r.s, x) }) {
		keys = append(keys, cutKey)
	}
	s.legend(labelW, 16, keys)
	s.xAxis(x, ticks, topPad-4, h-bottomPad+4, "%", "overhead = 1 − median / baseline median, % (whiskers: 95% CI)")
	rowLabels(s, rows, len(run.Variants()))
	for _, r := range rows {
		if o := r.s.Overhead; o != nil {
			overheadBar(s, x, r, o)
		} else {
			why := "no overhead: " + lastWarning(r.s)
			if r.s.Status == stats.StatusFailed {
				why = "failed: " + firstError(r.s)
			}
			s.text(labelW+6, r.y+4, "start", "fail", why)
		}
		if f := r.s.Floor; f != nil {
			s.rect(x.clamp(f.Ratio*100)-1.5, r.y-10, 3, 20, "floor", floorTitle(f))
		}
	}
	return s.html()
}

// overheadBar draws one row's overhead, its interval and its value.
func overheadBar(s *svg, x scale, r chartRow, o *stats.Overhead) {
	class, value := "bar "+variantClass(r.variant), pct(o.Ratio)
	if o.Significant {
		value += "*"
	} else {
		class += " ns"
	}
	var ci *[2]float64
	if o.CI != nil {
		ci = &[2]float64{o.CI.Low * 100, o.CI.High * 100}
	}
	intervalBar(s, x, r.y, o.Ratio*100, ci, class,
		fmt.Sprintf("%s: overhead %s, 95%% CI %s, p=%s", r.s.Key, pct(o.Ratio), pctRange(o.CI), pvalue(o.TestP())), value)
}

// offScale says whether a row's overhead lies beyond the axis.
func offScale(s stats.Summary, x scale) bool {
	return s.Overhead != nil && x.outside(s.Overhead.Ratio*100)
}

// overheadAxis is the overhead chart's range in %: 0, every floor, and
// every row's overhead and interval except the outliers'.
func overheadAxis(rows []stats.Summary) (lo, hi float64) {
	type span struct{ lo, hi float64 }
	var spans []span
	var reaches []float64
	for _, s := range rows {
		if f := s.Floor; f != nil {
			hi = max(hi, f.Ratio*100)
		}
		o := s.Overhead
		if o == nil {
			continue
		}
		sp := span{o.Ratio * 100, o.Ratio * 100}
		if o.CI != nil {
			sp = span{min(sp.lo, o.CI.Low*100), max(sp.hi, o.CI.High*100)}
		}
		spans = append(spans, sp)
		reaches = append(reaches, max(math.Abs(sp.lo), math.Abs(sp.hi)))
	}
	limit := inlierReach(reaches, outlierMinPct)
	for i, sp := range spans {
		if reaches[i] <= limit {
			lo, hi = min(lo, sp.lo), max(hi, sp.hi)
		}
	}
	return lo, hi
}
