package report

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cnibench/cnibench/internal/runrecord/runrecordtest"
	"github.com/cnibench/cnibench/internal/stats"
)

// overheadRow is a summary with an overhead (ratio, interval, in %) and a floor.
func overheadRow(pct, ciLow, ciHigh, floor float64) stats.Summary {
	s := stats.Summary{Overhead: &stats.Overhead{Ratio: pct / 100, CI: &stats.Interval{Low: ciLow / 100, High: ciHigh / 100}}}
	if floor > 0 {
		s.Floor = &stats.Floor{Ratio: floor / 100}
	}
	return s
}

func TestOverheadAxis(t *testing.T) {
	tests := []struct {
		name   string
		rows   []stats.Summary
		lo, hi float64
	}{
		{"no rows", nil, 0, 0},
		{"small overheads and a floor", []stats.Summary{overheadRow(2, 1, 3, 0), overheadRow(7, 6, 8, 3.5)}, 0, 8},
		{"a negative interval", []stats.Summary{overheadRow(1, -4, 5, 0), overheadRow(7, 6, 8, 0)}, -4, 8},
		// pod-pod-same against a cross-node baseline on the shaped lab
		{"a same-node outlier is left out", []stats.Summary{overheadRow(2, -25, 34, 0), overheadRow(-1609, -1700, -1500, 0), overheadRow(7, -18, 35, 0)}, -25, 35},
		{"two outliers are left out", []stats.Summary{overheadRow(3, 2, 4, 0), overheadRow(1, 0.5, 2, 0), overheadRow(-900, -950, -850, 0), overheadRow(-1609, -1700, -1500, 0)}, 0, 4},
		{"within ±100% nothing is left out", []stats.Summary{overheadRow(1, 0.5, 2, 0), overheadRow(-60, -70, -50, 0)}, -70, 2},
		{"all far from 0 alike: nothing is left out", []stats.Summary{overheadRow(-1500, -1600, -1400, 0), overheadRow(-1609, -1700, -1500, 0)}, -1700, 0},
		{"a floor beyond every overhead", []stats.Summary{overheadRow(1, 0.5, 2, 3.3)}, 0, 3.3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi := overheadAxis(tt.rows)
			if !near1(lo, tt.lo) || !near1(hi, tt.hi) {
				t.Errorf("overheadAxis = %v, %v; want %v, %v", lo, hi, tt.lo, tt.hi)
			}
		})
	}
}

func near1(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

// TestChartsCutOutlier draws a run whose same-node path is 17 times as
// fast as its baseline: the goodput and overhead axes keep the other rows'
// scale, and the outlier's bar is cut inside the plot with its value written.
func TestChartsCutOutlier(t *testing.T) {
	run := runrecordtest.Run()
	for i, s := range run.Summaries {
		if s.Scenario == "pod-pod-same" && s.Protocol == stats.TCP {
			run.Summaries[i].Goodput.Median = 160e9
			run.Summaries[i].Goodput.MedianCI = &stats.Interval{Low: 150e9, High: 170e9}
			run.Summaries[i].Overhead.Ratio = -16.091
			run.Summaries[i].Overhead.CI = &stats.Interval{Low: -17, High: -15}
		}
	}
	tests := []struct {
		chart    string
		svg      string
		want     string   // the outlier's value
		badTicks []string // ticks an axis stretched to the outlier would have
	}{
		{"overhead", string(overheadChart(run, stats.TCP)), "-1609.10%* off scale", []string{">-1600%<", ">-1000%<", ">-100%<"}},
		{"goodput", string(goodputChart(run, stats.TCP)), "160.0 off scale", []string{">100<", ">160<", ">50<"}},
	}
	for _, tt := range tests {
		t.Run(tt.chart, func(t *testing.T) {
			for _, want := range []string{tt.want, `class="cut"`, "off scale: cut, value written"} {
				if !strings.Contains(tt.svg, want) {
					t.Errorf("the chart lacks %q", want)
				}
			}
			cut := regexp.MustCompile(`<line x1="([0-9.]+)"[^>]*class="cut"/>`).FindAllStringSubmatch(tt.svg, -1)
			if len(cut) != 6 {
				t.Fatalf("%d cut lines, want 2 in the legend and 2 on each variant's bar", len(cut))
			}
			for _, m := range cut[2:] {
				if x, _ := strconv.ParseFloat(m[1], 64); x < labelW || x > chartW-rightPad {
					t.Errorf("a cut mark at x=%s lies outside the plot (%v–%v)", m[1], labelW, chartW-rightPad)
				}
			}
			for _, tick := range tt.badTicks {
				if strings.Contains(tt.svg, tick) {
					t.Errorf("the axis reaches %s: the outlier squashes the other rows", tick)
				}
			}
		})
	}
}

func TestInlierReach(t *testing.T) {
	tests := []struct {
		reaches []float64
		floor   float64
		want    float64
	}{
		{nil, 0, 0},
		{[]float64{0.95}, 0, 0.95},
		{[]float64{0.92, 0.95, 3.6}, 0, 3.6},      // the lab's pod-pod-same goodput, Gbit/s: within 4×
		{[]float64{0.92, 0.95, 6.4}, 0, 0.95},     // with the wide interval of a loaded machine
		{[]float64{0.92, 0.95, 3.8, 6.4}, 0, 3.8}, // both variants' same-node rows
		{[]float64{0.9, 0.92, 0.95, 9, 12}, 0, 0.95},
		{[]float64{0.92, 0.95, 3.5, 12, 40}, 0, 12}, // the typical row is 3.5
		{[]float64{2, 3, 90}, 25, 90},               // within the floor's 4×
		{[]float64{2, 3, 101}, 25, 3},
		{[]float64{5, 300}, 25, 5},
	}
	for _, tt := range tests {
		if got := inlierReach(tt.reaches, tt.floor); got != tt.want {
			t.Errorf("inlierReach(%v, %v) = %v, want %v", tt.reaches, tt.floor, got, tt.want)
		}
	}
}
