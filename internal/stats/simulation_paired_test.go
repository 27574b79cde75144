package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestSimulationPairedOverhead is the evidence for pairing each scenario
// with the baseline of its own round (docs/statistics.md, "Pairing by
// round"). Log goodput of round r is drift_r + noise for the baseline and
// log(1 − overhead) + drift_r + noise for the scenario: the drift (the
// machine's other work, a neighbour's burst) is shared by the two tests of a
// round and differs between rounds. Three analyses of the same data:
//
//   - unpaired: Hodges–Lehmann, Moses interval, Mann-Whitney (the method for
//     samples without rounds);
//   - paired t: mean of the per-round log ratios, Student t interval, t-test;
//   - signed rank: the exact Wilcoxon signed-rank test of the log ratios,
//     standing for every exact within-round permutation test (aligned ranks
//     too): its 2^n sign patterns put its smallest p at 2/2^n, 1/32 at n = 6.
//
// Each cell: coverage of the 95% interval and the rate of p < 0.05 with no
// overhead (false alarms), and the rate of p < 0.05 and of p < 0.05/12 (what
// Holm's first step asks of the smallest p in a default run's 12 tests) with
// a true 2% overhead. Noise σ = 1% of goodput; drift σ 0 or 2%.
func TestSimulationPairedOverhead(t *testing.T) {
	const reps = 1000
	rng := rand.New(rand.NewPCG(5, 5))
	type rates struct{ cover, alarm, power, powerHolm float64 }
	var table strings.Builder
	table.WriteString("| drift σ | n | noise | method | coverage | false alarms | power 5% | power 5%/12 |\n|---|---|---|---|---|---|---|---|\n")
	for _, drift := range []float64{0, 0.02} {
		for _, n := range []int{6, 10} {
			for _, dist := range draws {
				var unp, pt, sr rates
				for _, effect := range []float64{0, 0.02} {
					shift := math.Log1p(-effect)
					lx, lb, d := make([]float64, n), make([]float64, n), make([]float64, n)
					for range reps {
						for r := range n {
							dr := drift * rng.NormFloat64()
							lb[r] = dr + 0.01*dist.draw(rng)
							lx[r] = shift + dr + 0.01*dist.draw(rng)
							d[r] = lx[r] - lb[r]
						}
						sh := HodgesLehmann(lx, lb, 0.95)
						mw, _ := MannWhitneyU(lx, lb)
						psh, ptt := pairedShift(d, 0.95)
						srp := signedRankP(d)
						if effect == 0 {
							unp.cover += b2f(sh.CI != nil && sh.CI.Contains(shift))
							pt.cover += b2f(psh.CI.Contains(shift))
							unp.alarm += b2f(mw.P < 0.05)
							pt.alarm += b2f(ptt.P < 0.05)
							sr.alarm += b2f(srp < 0.05)
							continue
						}
						unp.power, unp.powerHolm = unp.power+b2f(mw.P < 0.05), unp.powerHolm+b2f(mw.P < 0.05/12)
						pt.power, pt.powerHolm = pt.power+b2f(ptt.P < 0.05), pt.powerHolm+b2f(ptt.P < 0.05/12)
						sr.power, sr.powerHolm = sr.power+b2f(srp < 0.05), sr.powerHolm+b2f(srp < 0.05/12)
					}
				}
				for _, m := range []struct {
					name string
					r    *rates
				}{{"unpaired", &unp}, {"paired t", &pt}, {"signed rank", &sr}} {
					r := m.r
					r.cover, r.alarm, r.power, r.powerHolm = r.cover/reps, r.alarm/reps, r.power/reps, r.powerHolm/reps
					cover := fmt.Sprintf("%.3f", r.cover)
					if m.name == "signed rank" {
						cover = "—"
					}
					fmt.Fprintf(&table, "| %g%% | %d | %s | %s | %s | %.3f | %.3f | %.3f |\n", drift*100, n, dist.name, m.name, cover, r.alarm, r.power, r.powerHolm)
				}
				name := fmt.Sprintf("drift %g n=%d %s", drift, n, dist.name)
				// every method holds its level
				if pt.alarm > 0.05+0.02 || unp.alarm > 0.05+0.02 {
					t.Errorf("%s: false alarms paired %.3f, unpaired %.3f", name, pt.alarm, unp.alarm)
				}
				if pt.cover < 0.93 || unp.cover < 0.93 {
					t.Errorf("%s: coverage paired %.3f, unpaired %.3f", name, pt.cover, unp.cover)
				}
				// an exact within-round permutation test cannot pass Holm's first step at n = 6
				if n == 6 && sr.powerHolm != 0 {
					t.Errorf("%s: signed rank below 0.05/12 in %.3f", name, sr.powerHolm)
				}
				// under drift, pairing is what finds the overhead
				if drift > 0 && (pt.power < unp.power+0.2 || pt.powerHolm < unp.powerHolm+0.05) {
					t.Errorf("%s: paired power %.3f (%.3f at 5%%/12) not above unpaired %.3f (%.3f) under drift", name, pt.power, pt.powerHolm, unp.power, unp.powerHolm)
				}
			}
		}
	}
	t.Log("overhead analyses, 2% overhead for power, noise σ 1%, " + fmt.Sprint(reps) + " experiments per cell\n" + table.String())
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// signedRankP is the exact two-sided Wilcoxon signed-rank p of d (no
// zeros, no ties: continuous simulated data), by enumerating the 2^n sign
// patterns.
func signedRankP(d []float64) float64 {
	n := len(d)
	rank := make([]int, n) // 1-based rank of |d_i|
	for i := range d {
		rank[i] = 1
		for j := range d {
			if math.Abs(d[j]) < math.Abs(d[i]) {
				rank[i]++
			}
		}
	}
	stat := func(signs uint) int { // W+ − n(n+1)/4, doubled
		w := 0
		for i, r := range rank {
			if signs&(1<<i) != 0 {
				w += 2 * r
			}
		}
		return w - n*(n+1)/2
	}
	var obs uint
	for i, v := range d {
		if v > 0 {
			obs |= 1 << i
		}
	}
	o := abs(stat(obs))
	extreme := 0
	for s := uint(0); s < 1<<n; s++ {
		if abs(stat(s)) >= o {
			extreme++
		}
	}
	return float64(extreme) / float64(uint(1)<<n)
}
