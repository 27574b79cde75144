package stats

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

var testKey = Key{Variant: "datapath=vxlan", Scenario: "pod-pod-cross", Protocol: "tcp", Streams: 1}

func TestEstimate(t *testing.T) {
	tests := []struct {
		name             string
		values           []float64
		median, mean, sd float64 // sd NaN: none
		wantCI, medianCI bool
	}{
		{"one", []float64{5}, 5, 5, math.NaN(), false, false},
		{"two", []float64{4, 6}, 5, 5, math.Sqrt2, false, false},
		{"five: a mean interval, none for the median", []float64{5, 1, 4, 2, 3}, 3, 3, math.Sqrt(2.5), true, false},
		{"four", []float64{4, 1, 3, 2}, 2.5, 2.5, math.Sqrt(5.0 / 3), true, false},
		{"six: [min, max] at 96.9%", []float64{4, 1, 3, 2, 6, 5}, 3.5, 3.5, math.Sqrt(3.5), true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Config{}.Estimate(testKey, tt.values)
			if e.N != len(tt.values) || e.Median != tt.median || math.Abs(e.Mean-tt.mean) > 1e-12 {
				t.Fatalf("got %+v", e)
			}
			if math.IsNaN(tt.sd) != (e.Stdev == nil) || (e.Stdev != nil && math.Abs(*e.Stdev-tt.sd) > 1e-12) {
				t.Errorf("stdev %v, want %v", e.Stdev, tt.sd)
			}
			if e.Stdev != nil && math.Abs(*e.CV-tt.sd/tt.mean) > 1e-12 {
				t.Errorf("cv %v", *e.CV)
			}
			if (e.MedianCI != nil) != tt.medianCI || (e.MeanCI != nil) != tt.wantCI {
				t.Fatalf("intervals %+v %+v, want median %v mean %v", e.MedianCI, e.MeanCI, tt.medianCI, tt.wantCI)
			}
			if tt.medianCI && (e.MedianCI.Low != e.Min || e.MedianCI.High != e.Max || math.Abs(e.MedianCI.Level-(1-2.0/64)) > 1e-12) {
				t.Errorf("median interval %+v", e.MedianCI)
			}
			if tt.wantCI {
				// mean ± t(0.975, n−1)·s/√n
				tq := map[int]float64{6: 2.5705818366, 5: 2.7764451052, 4: 3.1824463053}[e.N]
				half := tq * tt.sd / math.Sqrt(float64(e.N))
				if math.Abs(e.MeanCI.Low-(tt.mean-half)) > 1e-8 || math.Abs(e.MeanCI.High-(tt.mean+half)) > 1e-8 {
					t.Errorf("mean interval %+v, want %v ± %v", e.MeanCI, tt.mean, half)
				}
			}
		})
	}
	if (Config{}).Estimate(testKey, nil) != nil {
		t.Error("estimate of nothing is not nil")
	}
}

func TestEstimateReproducible(t *testing.T) {
	v := []float64{9.1e9, 9.3e9, 8.8e9, 9.4e9, 9.0e9, 9.2e9}
	a, b := Config{}.Estimate(testKey, v), Config{}.Estimate(testKey, v)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("two estimates differ: %+v %+v", a.MedianCI, b.MedianCI)
	}
	if c := (Config{Seed: 99}).Estimate(testKey, v); reflect.DeepEqual(a.MedianCI, c.MedianCI) && reflect.DeepEqual(a, c) {
		t.Log("a different seed gave the same interval (possible with few values)")
	}
}

// TestIntervalCoverage checks that the 95% intervals cover the true median
// and mean of normal data about 95% of the time.
func TestIntervalCoverage(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	const trials, n = 300, 15
	rng := rand.New(rand.NewPCG(7, 8))
	cfg := Config{}
	var medianHits, meanHits int
	for i := 0; i < trials; i++ {
		v := make([]float64, n)
		for j := range v {
			v[j] = 10 + rng.NormFloat64()
		}
		e := cfg.Estimate(Key{Scenario: "coverage", Streams: i}, v)
		if e.MedianCI.Contains(10) {
			medianHits++
		}
		if e.MeanCI.Contains(10) {
			meanHits++
		}
	}
	for name, hits := range map[string]int{"median": medianHits, "mean": meanHits} {
		if c := float64(hits) / trials; c < 0.88 || c > 0.995 {
			t.Errorf("%s interval covered the truth in %.1f%% of trials, want about 95%%", name, c*100)
		}
	}
}
