package stats

import (
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/stat/combin"
)

func TestMedianInterval(t *testing.T) {
	seq := func(n int) []float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = float64(i + 1)
		}
		return x
	}
	tests := []struct {
		n         int
		level     float64
		low, high float64 // 0: no interval
		coverage  float64
	}{
		{5, 0.95, 0, 0, 0},
		{6, 0.95, 1, 6, 1 - 2.0/64},
		{9, 0.95, 2, 8, 1 - 2*(1.0+9)/512},
		{10, 0.95, 2, 9, 1 - 2*(1.0+10)/1024},
		{5, 0.9, 1, 5, 1 - 2.0/32},
		{1, 0.5, 1, 1, 1}, // P(1 ≤ B ≤ 0)? n = 1: j = 1 gives [x1, x1] with coverage F(0) − F(0) = 0 — none
	}
	for _, tt := range tests {
		ci := MedianInterval(seq(tt.n), tt.level)
		if tt.n == 1 {
			if ci != nil {
				t.Errorf("n=1: %+v", ci)
			}
			continue
		}
		if tt.low == 0 {
			if ci != nil {
				t.Errorf("n=%d level %v: %+v, want none", tt.n, tt.level, ci)
			}
			continue
		}
		if ci == nil || ci.Low != tt.low || ci.High != tt.high || math.Abs(ci.Level-tt.coverage) > 1e-12 {
			t.Errorf("n=%d level %v: %+v, want [%v, %v] at %v", tt.n, tt.level, ci, tt.low, tt.high, tt.coverage)
		}
	}
	if got := MinRepeatsForMedianCI(0.95); got != 6 {
		t.Errorf("MinRepeatsForMedianCI(0.95) = %d", got)
	}
}

// TestUCDF checks the null distribution of U against enumeration of every
// assignment of ranks to x.
func TestUCDF(t *testing.T) {
	for _, nm := range [][2]int{{1, 1}, {2, 3}, {3, 3}, {4, 6}, {6, 6}} {
		n, m := nm[0], nm[1]
		counts := make([]float64, n*m+1)
		total := 0.0
		gen := combin.NewCombinationGenerator(n+m, n)
		c := make([]int, n)
		for gen.Next() {
			gen.Combination(c) // ranks (0-based) of x
			u := 0
			for i, r := range c {
				u += r - i // y values below this x
			}
			counts[u]++
			total++
		}
		cdf, acc := uCDF(n, m), 0.0
		for u, k := range counts {
			acc += k
			if math.Abs(cdf[u]-acc/total) > 1e-12 {
				t.Fatalf("n=%d m=%d: P(U ≤ %d) = %v, want %v", n, m, u, cdf[u], acc/total)
			}
		}
	}
}

func TestHodgesLehmann(t *testing.T) {
	x := []float64{11, 12, 13, 14, 15, 16}
	y := []float64{1, 2, 3, 4, 5, 6}
	sh := HodgesLehmann(x, y, 0.95)
	if sh.Estimate != 10 || sh.CI == nil || !sh.CI.Contains(10) {
		t.Fatalf("got %+v", sh)
	}
	// The Moses interval is the Mann-Whitney test inverted: shifting x by
	// a value outside the interval makes the test reject at 5%, inside not.
	for _, shift := range []float64{sh.CI.Low - 0.01, sh.CI.Low + 0.01, 10, sh.CI.High - 0.01, sh.CI.High + 0.01} {
		xs := slices.Clone(x)
		for i := range xs {
			xs[i] -= shift
		}
		mw, _ := MannWhitneyU(xs, y)
		if inside := sh.CI.Contains(shift); inside != (mw.P >= 0.05) {
			t.Errorf("shift %v: inside %v but p = %v", shift, inside, mw.P)
		}
	}
	if sh := HodgesLehmann([]float64{1, 2, 3}, []float64{4, 5, 6}, 0.95); sh.CI != nil || sh.Estimate != -3 {
		t.Errorf("3 against 3: %+v, want no interval", sh)
	}
}

func TestHolm(t *testing.T) {
	got := Holm([]float64{0.01, 0.04, 0.03, 0.005})
	want := []float64{0.03, 0.06, 0.06, 0.02}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("Holm = %v, want %v", got, want)
		}
	}
	if len(Holm(nil)) != 0 {
		t.Error("Holm of nothing")
	}
}

func TestAdjustFamily(t *testing.T) {
	sums := []Summary{
		{Overhead: &Overhead{Test: MannWhitney{P: 0.002}}, RTTDelta: &RTTDelta{Test: MannWhitney{P: 0.03}}},
		{Overhead: &Overhead{Test: MannWhitney{P: 0.02}}},
		{LossDelta: &Difference{Test: MannWhitney{P: 0.5}}},
	}
	if n := (Config{}).AdjustFamily(sums); n != 4 {
		t.Fatalf("family %d", n)
	}
	o, r := sums[0].Overhead, sums[0].RTTDelta
	if o.AdjustedP != 0.008 || !o.Significant || o.FamilySize != 4 || r.Significant || sums[1].Overhead.Significant || sums[2].LossDelta.FamilySize != 4 {
		t.Errorf("got %+v %+v %+v", o, r, sums[1].Overhead)
	}
}

func TestCompareRuns(t *testing.T) {
	c := Config{Resamples: 2000}
	old := [][]float64{{0, 0.01, -0.01, 0.005, -0.005, 0}, {0.002, 0.012, -0.008, 0.007, -0.003, 0.002}}
	fell := [][]float64{{-0.10, -0.11, -0.09, -0.105, -0.095, -0.1}, {-0.098, -0.108, -0.088, -0.103, -0.093, -0.098}}
	ch, err := c.CompareRuns(testKey, old, fell, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(ch.Change-math.Expm1(-0.099-0.001)) > 1e-9 || !ch.CI.Contains(ch.Change) || !ch.Regression(0.05) || !ch.RunToRun || ch.OldN != 12 || ch.OldRuns != 2 {
		t.Errorf("a 10%% fall: %+v", ch)
	}
	if ch, _ := c.CompareRuns(testKey, old, fell, 0.15); ch.Regression(0.05) {
		t.Errorf("a 10%% fall against a 15%% threshold: %+v", ch)
	}
	if ch, _ := c.CompareRuns(testKey, old[:1], old[1:], 0); ch.Regression(0.05) || ch.RunToRun {
		t.Errorf("no change, one run a side: %+v", ch)
	}
	if _, err := c.CompareRuns(testKey, [][]float64{{}}, old, 0); err == nil {
		t.Error("a run without a value compared")
	}
}
