package report

import (
	"fmt"
	"html/template"
	"math"

	"github.com/cnibench/cnibench/internal/runrecord"
)

// percentilePoints are the percentiles a latency result records, placed on
// a "nines" axis: x = log10(1 / (1 − q)), so 50, 90, 99 and 99.9 are spread
// evenly where the tail is.
func percentilePoints(r *runrecord.LatencyResult) [][2]float64 {
	nines := func(pct float64) float64 { return math.Log10(100 / (100 - pct)) }
	return [][2]float64{{0, r.MinUs}, {nines(50), r.P50Us}, {nines(90), r.P90Us}, {nines(99), r.P99Us}, {nines(99.9), r.P999Us}}
}

// logTicks are 1-2-5 ticks covering [lo, hi] (both > 0), decades only
// over more than two decades, the first at or below lo and the last at or
// above hi.
func logTicks(lo, hi float64) []float64 {
	steps := []float64{1, 2, 5}
	if hi/lo > 100 {
		steps = []float64{1}
	}
	var ticks []float64
	for e := math.Floor(math.Log10(lo)); ; e++ {
		for _, m := range steps {
			v := m * math.Pow(10, e)
			if v <= lo {
				ticks = ticks[:0] // the last tick at or below lo starts the axis
			}
			ticks = append(ticks, v)
			if v >= hi {
				return ticks
			}
		}
	}
}

// percentileChart is one latency group's percentile curves: one line per
// repeat from min through p50, p90, p99 to p99.9, latency on a log axis.
// Empty when no test of the group succeeded.
func percentileChart(g runrecord.LatencyGroup, variant int) template.HTML {
	const w, h, left, right, top, bottom = 288.0, 170.0, 48.0, 18.0, 24.0, 34.0
	lo, hi := math.Inf(1), 0.0
	for _, sm := range g.Samples {
		if sm.Failed() {
			continue
		}
		for _, p := range percentilePoints(sm.Result) {
			if p[1] > 0 {
				lo, hi = min(lo, p[1]), max(hi, p[1])
			}
		}
	}
	if hi == 0 {
		return ""
	}
	yt := logTicks(lo, hi)
	y := scale{math.Log10(yt[0]), math.Log10(yt[len(yt)-1]), h - bottom, top}
	x := scale{0, 3, left, w - right}
	title := latencyLabel(g.Key)
	if g.Key.Variant != "" {
		title = g.Key.Variant + " " + title
	}
	s := newSVG(w, h, "Latency percentiles of "+title)
	s.text(4, 14, "start", "stitle", title)
	for _, t := range yt {
		s.line(left, y.at(math.Log10(t)), w-right, y.at(math.Log10(t)), "grid")
		s.text(left-4, y.at(math.Log10(t))+4, "end", "tick", tickLabel(t))
	}
	for i, label := range []string{"0", "90", "99", "99.9"} {
		s.text(x.at(float64(i)), h-bottom+14, "middle", "tick", label)
	}
	s.text((left+w-right)/2, h-4, "middle", "axis", "percentile; µs (log)")
	for _, sm := range g.Samples {
		if sm.Failed() {
			continue
		}
		var pts [][2]float64
		for _, p := range percentilePoints(sm.Result) {
			if p[1] > 0 {
				pts = append(pts, [2]float64{x.at(p[0]), y.at(math.Log10(p[1]))})
			}
		}
		s.polyline(pts, "series "+variantClass(variant),
			fmt.Sprintf("repeat %d: p50 %s, p99 %s, p99.9 %s", sm.Repeat, micros(sm.Result.P50Us), micros(sm.Result.P99Us), micros(sm.Result.P999Us)))
	}
	return s.html()
}

// percentileCharts are the charts of every latency group, in table order.
func percentileCharts(run *runrecord.Run) []template.HTML {
	variants := run.Variants()
	var out []template.HTML
	for _, g := range run.LatencyGroups() {
		v := 0
		for i, name := range variants {
			if name == g.Key.Variant {
				v = i
			}
		}
		if c := percentileChart(g, v); c != "" {
			out = append(out, c)
		}
	}
	return out
}
