package stats

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat/combin"
)

func TestMannWhitneyUKnownValues(t *testing.T) {
	seq := func(from, to float64) []float64 {
		var v []float64
		for x := from; x <= to; x++ {
			v = append(v, x)
		}
		return v
	}
	tests := []struct {
		name  string
		x, y  []float64
		u, p  float64
		exact bool
	}{
		// Exact values: the most extreme of C(n1+n2, n1) assignments, both tails.
		{"3v3 separated", seq(1, 3), seq(4, 6), 0, 2.0 / 20, true},
		{"4v4 separated", seq(5, 8), seq(1, 4), 16, 2.0 / 70, true},
		{"5v5 separated", seq(1, 5), seq(6, 10), 0, 2.0 / 252, true},
		{"all tied", []float64{7, 7, 7}, []float64{7, 7, 7}, 4.5, 1, true},
		{"identical sets", []float64{1, 2, 3}, []float64{1, 2, 3}, 4.5, 1, true},
		// Normal approximation with continuity correction, as R's
		// wilcox.test(1:30, 31:60, exact=FALSE): z = (450 − 0.5)/√4575.
		{"30v30 normal", seq(1, 30), seq(31, 60), 0, 2 * 0.5 * math.Erfc(449.5/math.Sqrt(4575)/math.Sqrt2), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MannWhitneyU(tt.x, tt.y)
			if err != nil {
				t.Fatal(err)
			}
			if got.U != tt.u || got.Exact != tt.exact || math.Abs(got.P-tt.p) > 1e-12*math.Max(1, tt.p) {
				t.Errorf("got %+v, want U=%v p=%v exact=%v", got, tt.u, tt.p, tt.exact)
			}
		})
	}
}

func TestMannWhitneyUErrors(t *testing.T) {
	for _, tt := range []struct{ x, y []float64 }{{nil, []float64{1}}, {[]float64{1}, nil}, {[]float64{math.NaN()}, []float64{1}}} {
		if _, err := MannWhitneyU(tt.x, tt.y); err == nil {
			t.Errorf("MannWhitneyU(%v, %v): no error", tt.x, tt.y)
		}
	}
}

// TestMannWhitneyExactAgainstEnumeration checks the rank-sum recursion
// against brute force over every assignment, with many ties.
func TestMannWhitneyExactAgainstEnumeration(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 40; trial++ {
		n1, n2 := 1+rng.IntN(6), 1+rng.IntN(6)
		x, y := make([]float64, n1), make([]float64, n2)
		for i := range x {
			x[i] = float64(rng.IntN(5))
		}
		for i := range y {
			y[i] = float64(rng.IntN(5))
		}
		got, err := MannWhitneyU(x, y)
		if err != nil {
			t.Fatal(err)
		}
		if want := bruteForceP(x, y); math.Abs(got.P-want) > 1e-12 {
			t.Errorf("x=%v y=%v: p=%v, brute force %v", x, y, got.P, want)
		}
	}
}

// bruteForceP computes the two-sided p-value of U by enumerating every way
// to split the pooled values, counting U directly from pairs.
func bruteForceP(x, y []float64) float64 {
	pooled := append(append([]float64{}, x...), y...)
	uOf := func(a, b []float64) float64 {
		var u float64
		for _, va := range a {
			for _, vb := range b {
				switch {
				case va > vb:
					u++
				case va == vb:
					u += 0.5
				}
			}
		}
		return u
	}
	mean := float64(len(x)*len(y)) / 2
	d := math.Abs(uOf(x, y) - mean)
	var hits, total float64
	for _, c := range combin.Combinations(len(pooled), len(x)) {
		in := make([]bool, len(pooled))
		for _, i := range c {
			in[i] = true
		}
		var a, b []float64
		for i, v := range pooled {
			if in[i] {
				a = append(a, v)
			} else {
				b = append(b, v)
			}
		}
		total++
		if math.Abs(uOf(a, b)-mean) >= d-1e-9 {
			hits++
		}
	}
	return hits / total
}

func TestMannWhitneyNormalCloseToExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := 0; trial < 10; trial++ {
		x, y := make([]float64, 20), make([]float64, 20)
		for i := range x {
			x[i] = rng.NormFloat64()
			y[i] = rng.NormFloat64() + 0.5
		}
		exact, _ := mannWhitney(x, y, 100)
		normal, _ := mannWhitney(x, y, 0)
		if !exact.Exact || normal.Exact || math.Abs(exact.P-normal.P) > 0.01 {
			t.Errorf("exact %+v and normal %+v disagree", exact, normal)
		}
	}
}

func TestMinPValue(t *testing.T) {
	tests := []struct {
		n, m int
		want float64
	}{
		{0, 5, 1}, {1, 1, 1}, {2, 2, 1.0 / 3}, {3, 3, 0.1}, {4, 4, 2.0 / 70}, {5, 5, 2.0 / 252}, {3, 5, 2.0 / 56},
	}
	for _, tt := range tests {
		if got := MinPValue(tt.n, tt.m); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("MinPValue(%d, %d) = %v, want %v", tt.n, tt.m, got, tt.want)
		}
		if tt.n >= 1 && tt.m >= 1 { // the most extreme data reach it
			x, y := make([]float64, tt.n), make([]float64, tt.m)
			for i := range y {
				y[i] = float64(tt.n + i)
			}
			for i := range x {
				x[i] = float64(i)
			}
			if got, _ := MannWhitneyU(x, y); math.Abs(got.P-tt.want) > 1e-12 {
				t.Errorf("separated %d v %d: p = %v, want %v", tt.n, tt.m, got.P, tt.want)
			}
		}
	}
}
