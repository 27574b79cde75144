package mesh

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// simulate measures every directed pair of a cluster whose node i sends at
// most send[i] and receives at most recv[i], with ±noise relative jitter.
func simulate(send, recv []float64, noise float64, seed uint64) []Measurement {
	rng := rand.New(rand.NewPCG(seed, 7))
	var ms []Measurement
	for a := range send {
		for b := range recv {
			if a == b {
				continue
			}
			v := math.Min(send[a], recv[b]) * (1 + noise*(2*rng.Float64()-1))
			ms = append(ms, Measurement{From: a, To: b, Value: v})
		}
	}
	return ms
}

func uniform(n int, v float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = v
	}
	return s
}

func TestJudge(t *testing.T) {
	slowBoth := uniform(8, 1000)
	slowBoth[5] = 200
	for _, tc := range []struct {
		name       string
		send, recv []float64
		noise      float64
		want       []int // outliers
		evidence   string
	}{
		{"healthy cluster", uniform(8, 1000), uniform(8, 1000), 0.03, nil, ""},
		{"one node at a fifth", slowBoth, slowBoth, 0.03, []int{5}, "node-6: 80% below the cluster median in 14 of 14 tests, both directions"},
		{"slow receiver only", uniform(8, 1000), func() []float64 { r := uniform(8, 1000); r[2] = 500; return r }(), 0.02,
			[]int{2}, "as receiver only"},
		{"large healthy cluster", uniform(40, 1000), uniform(40, 1000), 0.05, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for seed := uint64(1); seed <= 20; seed++ {
				scores, med, err := Judge(len(tc.send), simulate(tc.send, tc.recv, tc.noise, seed), Judging{})
				if err != nil {
					t.Fatal(err)
				}
				var got []int
				for _, s := range scores {
					if s.Outlier {
						got = append(got, s.Node)
						if ev := s.Evidence(NodeName(s.Node)); !strings.Contains(ev, tc.evidence) {
							t.Errorf("seed %d: evidence %q, want %q", seed, ev, tc.evidence)
						}
					}
				}
				if !slicesEqual(got, tc.want) {
					t.Fatalf("seed %d: outliers %v, want %v (cluster median %.1f, scores %+v)", seed, got, tc.want, med, scores)
				}
			}
		})
	}
}

// NodeName is the lab's name of node i (0-based), for readable evidence.
func NodeName(i int) string { return fmt.Sprintf("node-%d", i+1) }

func slicesEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestJudgeErrors(t *testing.T) {
	for _, tc := range []struct {
		n  int
		ms []Measurement
	}{
		{1, []Measurement{{0, 0, 1}}},
		{3, nil},
		{3, []Measurement{{0, 3, 1}}},
		{3, []Measurement{{1, 1, 1}}},
		{3, []Measurement{{0, 1, math.NaN()}}},
	} {
		if _, _, err := Judge(tc.n, tc.ms, Judging{}); err == nil {
			t.Errorf("Judge(%d, %v): no error", tc.n, tc.ms)
		}
	}
}
