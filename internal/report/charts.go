package report

import (
	"fmt"
	"html/template"
	"math"
	"slices"
	"strings"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
)

// Geometry of the row charts (one row per scenario group of a protocol).
const (
	chartW    = 1160.0
	labelW    = 200.0 // scenario and variant labels
	rightPad  = 80.0  // value labels
	rowH      = 22.0
	blockGap  = 10.0 // between scenarios
	topPad    = 34.0 // legend
	bottomPad = 46.0 // axis
)

// chartRow is one summary's place in a row chart.
type chartRow struct {
	s       stats.Summary
	variant int     // index in the run's variants: the colour
	first   bool    // first row of its scenario
	y       float64 // centre line
}

// chartRows lays out the summaries of proto that keep accepts, grouped by
// scenario (so a scenario's variants sit side by side), and returns them
// with the chart's height.
func chartRows(run *runrecord.Run, proto stats.Protocol, keep func(stats.Summary) bool) ([]chartRow, float64) {
	variants := run.Variants()
	var scenarios []string
	for _, s := range run.Summaries {
		if !slices.Contains(scenarios, s.Scenario) {
			scenarios = append(scenarios, s.Scenario)
		}
	}
	var rows []chartRow
	y := topPad
	for _, sc := range scenarios {
		first := true
		for _, s := range run.Summaries {
			if s.Scenario != sc || s.Protocol != proto || !keep(s) {
				continue
			}
			if first && len(rows) > 0 {
				y += blockGap
			}
			rows = append(rows, chartRow{s: s, variant: max(0, slices.Index(variants, s.Variant)), first: first, y: y + rowH/2})
			first = false
			y += rowH
		}
	}
	return rows, y + bottomPad
}

func all(stats.Summary) bool { return true }

// variantClass is the colour class of variant i.
func variantClass(i int) string { return fmt.Sprintf("v%d", i%8) }

// shortVariant is a variant's values: "datapath=vxlan" → "vxlan".
func shortVariant(v string) string {
	var vals []string
	for _, kv := range strings.Split(v, ",") {
		_, val, ok := strings.Cut(kv, "=")
		if !ok {
			val = kv
		}
		vals = append(vals, val)
	}
	return strings.Join(vals, ",")
}

// rowLabels draws the scenario (first row of each block) and variant labels
// and a separator above each block.
func rowLabels(s *svg, rows []chartRow, variants int) {
	for _, r := range rows {
		if r.first {
			s.text(8, r.y+4, "start", "label", fmt.Sprintf("%s ×%d", r.s.Scenario, r.s.Streams))
			s.line(0, r.y-rowH/2-blockGap/2, chartW, r.y-rowH/2-blockGap/2, "sep")
		}
		if variants > 1 {
			s.text(labelW-8, r.y+4, "end", "vlabel", shortVariant(r.s.Variant))
		}
	}
}

func variantLegend(run *runrecord.Run) []legendKey {
	var keys []legendKey
	for i, v := range run.Variants() {
		if v == "" {
			v = "measured"
		}
		keys = append(keys, legendKey{class: "bar " + variantClass(i), label: v})
	}
	return keys
}

// goodputChart: median goodput per scenario group with 95% CI whiskers.
func goodputChart(run *runrecord.Run, proto stats.Protocol) template.HTML {
	return medianChart(run, proto, medianFigure{
		what: "goodput", estimate: func(s stats.Summary) *stats.Estimate { return s.Goodput },
		unit: rateUnit, format: rate, formatRange: rateRange,
	})
}

// rttChart: median idle connect RTT per scenario group with 95% CI
// whiskers; "" when the run measured none for proto.
func rttChart(run *runrecord.Run, proto stats.Protocol) template.HTML {
	measured := false
	for _, s := range run.Summaries {
		measured = measured || (s.Protocol == proto && s.ConnectRTT != nil)
	}
	if !measured {
		return ""
	}
	return medianChart(run, proto, medianFigure{
		what: "connect RTT", estimate: func(s stats.Summary) *stats.Estimate { return s.ConnectRTT },
		unit: func(float64) (float64, string) { return 1, "µs" }, format: micros,
		formatRange: func(ci *stats.Interval, _ float64) string {
			if ci == nil {
				return none
			}
			return micros(ci.Low) + "–" + micros(ci.High)
		},
	})
}

// medianFigure says which median a medianChart draws and how to print it.
type medianFigure struct {
	what        string // "goodput"
	estimate    func(stats.Summary) *stats.Estimate
	unit        func(top float64) (div float64, unit string)
	format      func(float64) string
	formatRange func(*stats.Interval, float64) string
}

// medianChart: a median per scenario group, as bars with 95% CI whiskers.
func medianChart(run *runrecord.Run, proto stats.Protocol, f medianFigure) template.HTML {
	rows, h := chartRows(run, proto, all)
	top := 0.0
	for _, r := range rows {
		if g := f.estimate(r.s); g != nil {
			top = max(top, g.Median, g.Max)
			if g.MedianCI != nil {
				top = max(top, g.MedianCI.High)
			}
		}
	}
	div, unit := f.unit(top)
	ticks := niceTicks(0, top/div, 6)
	x := scale{0, ticks[len(ticks)-1], labelW, chartW - rightPad}
	s := newSVG(chartW, h, fmt.Sprintf("Median %s per scenario (%s), %s, with 95%% confidence intervals", f.what, proto, unit))
	s.legend(labelW, 16, variantLegend(run))
	s.xAxis(x, ticks, topPad-4, h-bottomPad+4, "", fmt.Sprintf("median %s, %s (whiskers: 95%% CI of the median)", f.what, unit))
	rowLabels(s, rows, len(run.Variants()))
	for _, r := range rows {
		g := f.estimate(r.s)
		if g == nil {
			msg := "not measured"
			if r.s.Status == stats.StatusFailed {
				msg = "failed: " + firstError(r.s)
			}
			s.text(labelW+6, r.y+4, "start", "fail", msg)
			continue
		}
		class := "bar " + variantClass(r.variant)
		if r.s.Baseline {
			class += " base"
		}
		tipText := fmt.Sprintf("%s: median %s, 95%% CI %s, n=%d", r.s.Key, f.format(g.Median), f.formatRange(g.MedianCI, g.Median), g.N)
		s.rect(x.at(0), r.y-7, x.at(g.Median/div)-x.at(0), 14, class, tipText)
		end := x.at(g.Median / div)
		if ci := g.MedianCI; ci != nil {
			s.whisker(x.at(ci.Low/div), x.at(ci.High/div), r.y, 5)
			end = max(end, x.at(ci.High/div))
		}
		s.text(end+6, r.y+4, "start", "value", num(g.Median/div))
	}
	return s.html()
}

// overheadChart: overhead against the baseline with 95% CI whiskers and the
// physical floor of each path marked.
func overheadChart(run *runrecord.Run, proto stats.Protocol) template.HTML {
	rows, h := chartRows(run, proto, func(s stats.Summary) bool { return !s.Baseline })
	lo, hi := 0.0, 0.0
	for _, r := range rows {
		if o := r.s.Overhead; o != nil {
			lo, hi = min(lo, o.Ratio*100), max(hi, o.Ratio*100)
			if o.CI != nil {
				lo, hi = min(lo, o.CI.Low*100), max(hi, o.CI.High*100)
			}
		}
		if f := r.s.Floor; f != nil {
			hi = max(hi, f.Ratio*100)
		}
	}
	ticks := niceTicks(lo, hi, 6)
	x := scale{ticks[0], ticks[len(ticks)-1], labelW, chartW - rightPad}
	s := newSVG(chartW, h, fmt.Sprintf("Overhead against the baseline: node-node, node-node-same for same-node paths (%s), %%, with 95%% confidence intervals and the physical floor", proto))
	keys := variantLegend(run)
	if slices.ContainsFunc(rows, func(r chartRow) bool { return r.s.Floor != nil }) {
		keys = append(keys, legendKey{class: "floor", label: "floor (header tax or MTU)", shape: "line"})
	}
	s.legend(labelW, 16, append(keys, legendKey{class: "bar ns nskey", label: "~ not significant (p ≥ 0.05)"}))
	s.xAxis(x, ticks, topPad-4, h-bottomPad+4, "%", "overhead = 1 − median / baseline median, % (whiskers: 95% CI)")
	rowLabels(s, rows, len(run.Variants()))
	for _, r := range rows {
		o := r.s.Overhead
		if o == nil {
			why := "no overhead: " + lastWarning(r.s)
			if r.s.Status == stats.StatusFailed {
				why = "failed: " + firstError(r.s)
			}
			s.text(labelW+6, r.y+4, "start", "fail", why)
		} else {
			class, value := "bar "+variantClass(r.variant), pct(o.Ratio)
			if !o.Significant {
				class, value = class+" ns", "~"+value
			}
			s.rect(x.at(0), r.y-7, x.at(o.Ratio*100)-x.at(0), 14, class,
				fmt.Sprintf("%s: overhead %s, 95%% CI %s, Mann-Whitney p=%s", r.s.Key, pct(o.Ratio), pctRange(o.CI), pvalue(o.Test.P)))
			end := max(x.at(0), x.at(o.Ratio*100))
			if ci := o.CI; ci != nil {
				s.whisker(x.at(ci.Low*100), x.at(ci.High*100), r.y, 5)
				end = max(end, x.at(ci.High*100))
			}
			s.text(end+6, r.y+4, "start", "value", value)
		}
		if f := r.s.Floor; f != nil {
			s.rect(x.at(f.Ratio*100)-1.5, r.y-10, 3, 20, "floor", floorTitle(f))
		}
	}
	return s.html()
}

// stripChart: every sample's deviation from its group's median, so the
// spread of each group can be seen and compared.
func stripChart(run *runrecord.Run, proto stats.Protocol, groups map[stats.Key]runrecord.Group) template.HTML {
	rows, h := chartRows(run, proto, all)
	m := 0.5
	for _, r := range rows {
		if g := r.s.Goodput; g != nil {
			m = max(m, math.Abs(g.Min/g.Median-1)*100, math.Abs(g.Max/g.Median-1)*100)
		}
	}
	ticks := niceTicks(-m, m, 6)
	x := scale{ticks[0], ticks[len(ticks)-1], labelW, chartW - rightPad}
	s := newSVG(chartW, h, fmt.Sprintf("Every sample (%s): deviation from its group's median goodput, %%", proto))
	s.legend(labelW, 16, variantLegend(run))
	s.xAxis(x, ticks, topPad-4, h-bottomPad+4, "%", "sample goodput − group median, % of the median (0 = median)")
	rowLabels(s, rows, len(run.Variants()))
	offsets := []float64{0, -5, 5, -2.5, 2.5}
	for _, r := range rows {
		g := r.s.Goodput
		if g == nil {
			s.text(labelW+6, r.y+4, "start", "fail", "failed: "+firstError(r.s))
			continue
		}
		for i, sm := range groups[r.s.Key].Samples {
			if sm.Failed() {
				continue
			}
			v := sm.Result.Goodput()
			s.circle(x.at((v/g.Median-1)*100), r.y+offsets[i%len(offsets)], 3.5, "dot "+variantClass(r.variant),
				fmt.Sprintf("%s repeat %d: %s", r.s.Key, sm.Repeat, rate(v)))
		}
		if r.s.Failed > 0 {
			s.text(chartW-rightPad+6, r.y+4, "start", "fail", fmt.Sprintf("%d failed", r.s.Failed))
		}
	}
	return s.html()
}

// seriesChart: the interval rates of every test of one group, one line per
// repeat, with the omitted warm-up shaded.
func seriesChart(run *runrecord.Run, g runrecord.Group, variant int) template.HTML {
	const w, h, left, right, top, bottom = 288.0, 160.0, 44.0, 10.0, 24.0, 34.0
	var tMax, omitEnd, vMax float64
	for _, sm := range g.Samples {
		if sm.Result == nil {
			continue
		}
		for _, iv := range sm.Result.Intervals {
			tMax, vMax = max(tMax, iv.Sum.End), max(vMax, iv.Sum.BitsPerSecond)
			if iv.Sum.Omitted {
				omitEnd = max(omitEnd, iv.Sum.End)
			}
		}
	}
	div, unit := rateUnit(vMax)
	yt := niceTicks(0, vMax/div, 3)
	xt := niceTicks(0, max(tMax, 1), 5)
	x := scale{0, xt[len(xt)-1], left, w - right}
	y := scale{0, yt[len(yt)-1], h - bottom, top}
	title := g.Key.String()
	s := newSVG(w, h, "Intervals of "+title)
	s.text(4, 14, "start", "stitle", title)
	if omitEnd > 0 {
		s.rect(x.at(0), top, x.at(omitEnd)-x.at(0), h-bottom-top, "omit", "warm-up, omitted from the results")
	}
	for _, t := range yt {
		s.line(left, y.at(t), w-right, y.at(t), "grid")
		s.text(left-4, y.at(t)+4, "end", "tick", tickLabel(t))
	}
	for _, t := range xt {
		s.text(x.at(t), h-bottom+14, "middle", "tick", tickLabel(t))
	}
	s.text((left+w-right)/2, h-4, "middle", "axis", "seconds; "+unit)
	for _, sm := range g.Samples {
		if sm.Result == nil || len(sm.Result.Intervals) == 0 {
			continue
		}
		var pts [][2]float64
		for _, iv := range sm.Result.Intervals {
			pts = append(pts, [2]float64{x.at((iv.Sum.Start + iv.Sum.End) / 2), y.at(iv.Sum.BitsPerSecond / div)})
		}
		s.polyline(pts, "series "+variantClass(variant), fmt.Sprintf("repeat %d: %s", sm.Repeat, rate(sm.Result.Goodput())))
	}
	return s.html()
}

func firstError(s stats.Summary) string {
	if len(s.Errors) > 0 {
		return s.Errors[0]
	}
	return "no samples"
}

// lastWarning is the summary's last warning: the one that explains a missing overhead.
func lastWarning(s stats.Summary) string {
	if len(s.Warnings) > 0 {
		return s.Warnings[len(s.Warnings)-1].Message
	}
	return "unknown"
}

// floorTitle says what a path's floor charges for.
func floorTitle(f *stats.Floor) string {
	switch f.Kind {
	case stats.FloorHeaderTax:
		return fmt.Sprintf("header-tax floor %s: %s, %d B/packet, MTU %d on a %d underlay", pct(f.Ratio), f.Datapath, f.HeaderTax, f.MTU, f.UnderlayMTU)
	case stats.FloorMTU:
		return fmt.Sprintf("MTU floor %s: %s, not encapsulated, MTU %d on a %d underlay", pct(f.Ratio), f.Datapath, f.MTU, f.UnderlayMTU)
	}
	return fmt.Sprintf("floor %s: %s, MTU %d on a %d underlay", pct(f.Ratio), f.Datapath, f.MTU, f.UnderlayMTU)
}
