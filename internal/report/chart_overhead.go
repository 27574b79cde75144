package report

import (
	"cmp"
	"fmt"
	"html/template"
	"math"
	"slices"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
)

// Outliers of the overhead chart: a row is cut at the axis's end when it
// reaches more than outlierFactor times as far from 0 as the rows nearer 0,
// and beyond outlierFactor·outlierMinPct (100%) — a path more than twice as
// fast as its baseline is measured against a baseline it does not share
// (two pods on one node against two nodes), and drawn to scale it would
// squash every real overhead into a sliver next to 0.
const (
	outlierFactor = 4.0
	outlierMinPct = 25.0
)

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
	keys = append(keys, legendKey{class: "bar ns nskey", label: "~ not significant (p ≥ 0.05)"})
	if slices.ContainsFunc(rows, func(r chartRow) bool { return offScale(r.s, x) }) {
		keys = append(keys, legendKey{class: "cut", label: "off scale: cut, value written", shape: "cut"})
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

// overheadBar draws one row's overhead, its interval and its value; a bar
// or whisker beyond the axis stops at its end, the bar with a cut mark.
func overheadBar(s *svg, x scale, r chartRow, o *stats.Overhead) {
	class, value := "bar "+variantClass(r.variant), pct(o.Ratio)
	if !o.Significant {
		class, value = class+" ns", "~"+value
	}
	v := o.Ratio * 100
	s.rect(x.at(0), r.y-7, x.clamp(v)-x.at(0), 14, class,
		fmt.Sprintf("%s: overhead %s, 95%% CI %s, Mann-Whitney p=%s", r.s.Key, pct(o.Ratio), pctRange(o.CI), pvalue(o.Test.P)))
	if x.outside(v) {
		s.cut(x.clamp(v)-math.Copysign(12, v), r.y, 7) // inside the bar, near its cut end
		value += " off scale"
	}
	end := max(x.at(0), x.clamp(v))
	if ci := o.CI; ci != nil {
		lo, hi := ci.Low*100, ci.High*100
		if x.clamp(lo) < x.clamp(hi) {
			s.line(x.clamp(lo), r.y, x.clamp(hi), r.y, "whisker")
		}
		for _, e := range []float64{lo, hi} {
			if !x.outside(e) {
				s.line(x.at(e), r.y-5, x.at(e), r.y+5, "whisker")
			}
		}
		end = max(end, x.clamp(hi))
	}
	s.text(end+6, r.y+4, "start", "value", value)
}

// offScale says whether a row's overhead lies beyond the axis.
func offScale(s stats.Summary, x scale) bool {
	return s.Overhead != nil && x.outside(s.Overhead.Ratio*100)
}

// overheadAxis is the overhead chart's range in %: 0, every floor, and
// every row's overhead and interval except the outliers' (see
// outlierFactor).
func overheadAxis(rows []stats.Summary) (lo, hi float64) {
	type row struct{ lo, hi, reach float64 }
	var rs []row
	for _, s := range rows {
		if f := s.Floor; f != nil {
			hi = max(hi, f.Ratio*100)
		}
		o := s.Overhead
		if o == nil {
			continue
		}
		r := row{lo: o.Ratio * 100, hi: o.Ratio * 100}
		if o.CI != nil {
			r.lo, r.hi = min(r.lo, o.CI.Low*100), max(r.hi, o.CI.High*100)
		}
		r.reach = max(math.Abs(r.lo), math.Abs(r.hi))
		rs = append(rs, r)
	}
	slices.SortFunc(rs, func(a, b row) int { return cmp.Compare(a.reach, b.reach) })
	reach := 0.0
	for i, r := range rs {
		if i > 0 && r.reach > outlierFactor*max(reach, outlierMinPct) {
			break // this row and every one beyond it are outliers
		}
		lo, hi, reach = min(lo, r.lo), max(hi, r.hi), r.reach
	}
	return lo, hi
}
