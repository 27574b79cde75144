package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// The simulations below are the evidence for the claims in
// docs/statistics.md: seeded (the same numbers every run), fast, in CI. Run
// `go test ./internal/stats -run Simulation -v` to print the tables the page
// quotes.

// simReps is the number of simulated experiments per cell: the standard
// error of a rate near 0.95 is about 0.5 points.
const simReps = 2000

// draws are the distributions of repeats the methods must survive:
// symmetric, skewed (log-normal) and heavy-tailed (Student t, 3 df).
var draws = []struct {
	name string
	draw func(r *rand.Rand) float64 // true median 0
}{
	{"normal", func(r *rand.Rand) float64 { return r.NormFloat64() }},
	{"lognormal", func(r *rand.Rand) float64 { return math.Exp(r.NormFloat64()) - 1 }},
	{"t3", func(r *rand.Rand) float64 {
		chi := 0.0
		for range 3 {
			z := r.NormFloat64()
			chi += z * z
		}
		return r.NormFloat64() / math.Sqrt(chi/3)
	}},
}

func TestSimulationMedianCoverage(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	var table strings.Builder
	table.WriteString("| n | level achieved | normal | lognormal | t3 |\n|---|---|---|---|---|\n")
	for n := 3; n <= 15; n++ {
		want := MinRepeatsForMedianCI(0.95)
		x := make([]float64, n)
		row := fmt.Sprintf("| %d |", n)
		var level float64
		for di, d := range draws {
			covered, given := 0, 0
			for range simReps {
				for i := range x {
					x[i] = d.draw(rng)
				}
				slices.Sort(x)
				ci := MedianInterval(x, 0.95)
				if ci == nil {
					continue
				}
				given++
				level = ci.Level
				if ci.Contains(0) {
					covered++
				}
			}
			if n < want {
				if given != 0 {
					t.Fatalf("n=%d: an interval below %d values", n, want)
				}
				if di == 0 {
					row += " n/a |"
				}
				row += " n/a |"
				continue
			}
			rate := float64(covered) / float64(given)
			if di == 0 {
				row += fmt.Sprintf(" %.3f |", level)
			}
			row += fmt.Sprintf(" %.3f |", rate)
			// the interval is exact: coverage is its level up to simulation error
			if rate < level-0.02 {
				t.Errorf("n=%d %s: coverage %.3f below the claimed %.3f", n, d.name, rate, level)
			}
		}
		table.WriteString(row + "\n")
	}
	t.Log("median interval coverage (95% asked, " + fmt.Sprint(simReps) + " experiments per cell)\n" + table.String())
}

func TestSimulationOverheadCoverage(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	var table strings.Builder
	table.WriteString("| repeats per group | normal | lognormal | t3 |\n|---|---|---|---|\n")
	for _, n := range []int{5, 6, 8, 10} {
		row := fmt.Sprintf("| %d |", n)
		for _, d := range draws {
			covered, given := 0, 0
			x, y := make([]float64, n), make([]float64, n)
			for range simReps {
				// log goodput: the scenario 5% below the baseline, noise 1%
				for i := range x {
					x[i] = math.Log(0.95) + 0.01*d.draw(rng)
					y[i] = 0.01 * d.draw(rng)
				}
				sh := HodgesLehmann(x, y, 0.95)
				if sh.CI == nil {
					continue
				}
				given++
				if sh.CI.Contains(math.Log(0.95)) {
					covered++
				}
			}
			rate := float64(covered) / float64(given)
			row += fmt.Sprintf(" %.3f |", rate)
			if rate < 0.93 {
				t.Errorf("n=%d %s: overhead interval coverage %.3f", n, d.name, rate)
			}
		}
		table.WriteString(row + "\n")
	}
	t.Log("overhead (Moses) interval coverage at 95%\n" + table.String())
}

func TestSimulationHolmFamilyError(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	const tests, n = 12, 6
	anyRaw, anyHolm := 0, 0
	x, y := make([]float64, n), make([]float64, n)
	for range simReps {
		p := make([]float64, tests)
		for i := range p {
			for j := range x {
				x[j], y[j] = rng.NormFloat64(), rng.NormFloat64()
			}
			mw, _ := MannWhitneyU(x, y)
			p[i] = mw.P
		}
		if slices.Min(p) < 0.05 {
			anyRaw++
		}
		if slices.Min(Holm(p)) < 0.05 {
			anyHolm++
		}
	}
	raw, holm := float64(anyRaw)/simReps, float64(anyHolm)/simReps
	t.Logf("family of %d null tests, %d repeats each: P(any significant) %.3f uncorrected, %.3f with Holm", tests, n, raw, holm)
	if holm > 0.05+0.015 {
		t.Errorf("Holm family error %.3f > 0.05", holm)
	}
	if raw < 0.3 {
		t.Errorf("uncorrected family error %.3f: the simulation does not show the problem", raw)
	}
}

// TestSimulationRegressionGate: no true change; every run adds its own effect
// (σ_run = 0.5 σ of a repeat) to the scenario's normalised goodput. The gate
// at threshold 0 must not call more than 5% of such comparisons regressions
// once both sides have several runs.
func TestSimulationRegressionGate(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	c := Config{Resamples: 500}
	var table strings.Builder
	table.WriteString("| runs per side | repeats per run | false alarms |\n|---|---|---|\n")
	const reps = 1000
	for _, runs := range []int{1, 3, 5} {
		for _, n := range []int{6, 10} {
			alarms := 0
			for range reps {
				side := func() [][]float64 {
					out := make([][]float64, runs)
					for r := range out {
						eff := 0.5 * rng.NormFloat64()
						out[r] = make([]float64, n)
						for i := range out[r] {
							out[r][i] = 0.01 * (eff + rng.NormFloat64())
						}
					}
					return out
				}
				ch, err := c.CompareRuns(testKey, side(), side(), 0)
				if err != nil {
					t.Fatal(err)
				}
				if ch.Regression(0.05) {
					alarms++
				}
			}
			rate := float64(alarms) / reps
			table.WriteString(fmt.Sprintf("| %d | %d | %.3f |\n", runs, n, rate))
			if runs > 1 && rate > 0.05+0.015 {
				t.Errorf("%d runs of %d: false-alarm rate %.3f > 0.05", runs, n, rate)
			}
		}
	}
	t.Log("regression gate, no true change, run-level effect 0.5σ, threshold 0\n" + table.String())
	// and it still sees a real fall: 3% with repeats of σ = 1%, 3 runs a side
	caught := 0
	for range 200 {
		side := func(shift float64) [][]float64 {
			out := make([][]float64, 3)
			for r := range out {
				eff := 0.005 * rng.NormFloat64()
				for range 6 {
					out[r] = append(out[r], shift+eff+0.01*rng.NormFloat64())
				}
			}
			return out
		}
		if ch, _ := c.CompareRuns(testKey, side(0), side(math.Log(0.97)), 0); ch.Regression(0.05) {
			caught++
		}
	}
	t.Logf("a real 3%% fall (σ 1%%, run effect 0.5σ), 3 runs of 6 a side: caught in %d of 200", caught)
	if caught < 160 {
		t.Errorf("the gate caught a real 3%% fall in only %d of 200 comparisons", caught)
	}
}
