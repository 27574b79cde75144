package stats

import (
	"math"
	"testing"
)

func latencyGroup(scenario string, p50s ...float64) LatencyGroup {
	g := LatencyGroup{Key: LatencyKey{Scenario: scenario, Test: "rr"}}
	for _, v := range p50s {
		g.Samples = append(g.Samples, LatencySample{P50Us: v, P99Us: 2 * v, PerSecond: 1e6 / v})
	}
	return g
}

func TestSummarizeLatency(t *testing.T) {
	base := latencyGroup("node-node", 40, 41, 42, 40, 41, 42)
	for _, tc := range []struct {
		name        string
		g           LatencyGroup
		baseline    *LatencyGroup
		delta       float64 // p50 µs; NaN = no delta
		factor      float64
		significant bool
		warn        string
	}{
		{"baseline", base, &base, math.NaN(), 0, false, ""},
		{"slower by 10 µs", latencyGroup("pod-clusterip", 50, 51, 52, 50, 51, 52), &base, 10, 51.0 / 41, true, ""},
		{"the same", latencyGroup("pod-pod-cross", 41, 40, 42, 42, 40, 41), &base, 0, 1, false, ""},
		{"no baseline", latencyGroup("pod-node", 50, 51, 52, 50, 51, 52), nil, math.NaN(), 0, false, WarnNoBaseline},
		{"few samples", latencyGroup("pod-node", 50, 51, 52), &base, 10, 51.0 / 41, true, WarnFewSamples}, // 3 against 6: p = 0.012
		{"all failed", LatencyGroup{Key: LatencyKey{Scenario: "pod-node", Test: "rr"}, Errors: []string{"refused"}}, &base, math.NaN(), 0, false, WarnFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Config{}.SummarizeLatency(tc.g, tc.baseline)
			if tc.warn != "" {
				found := false
				for _, w := range s.Warnings {
					found = found || w.Code == tc.warn
				}
				if !found {
					t.Errorf("warnings %+v, want %s", s.Warnings, tc.warn)
				}
			}
			if tc.warn == WarnFailed {
				if s.Status != StatusFailed || s.P50Us != nil || s.P50Delta != nil {
					t.Errorf("a failed group has figures: %+v", s)
				}
				return
			}
			if s.P50Us == nil || s.P99Us == nil || s.PerSecond == nil {
				t.Fatalf("no figures: %+v", s)
			}
			if math.IsNaN(tc.delta) {
				if s.P50Delta != nil {
					t.Errorf("delta %+v, want none", s.P50Delta)
				}
				return
			}
			d := s.P50Delta
			if d == nil || math.Abs(d.DeltaUs-tc.delta) > 0.5 || math.Abs(d.Factor-tc.factor) > 0.02 || d.Significant != tc.significant {
				t.Fatalf("p50 delta %+v, want %v µs ×%.3f significant %v", d, tc.delta, tc.factor, tc.significant)
			}
			if d.CI != nil && !d.CI.Contains(d.DeltaUs) || d.FactorCI != nil && !d.FactorCI.Contains(d.Factor) {
				t.Errorf("an interval misses its estimate: %+v %+v", d.CI, d.FactorCI)
			}
			if s.P99Delta == nil || math.Abs(s.P99Delta.DeltaUs-2*tc.delta) > 1 {
				t.Errorf("p99 delta %+v, want %v µs", s.P99Delta, 2*tc.delta)
			}
		})
	}
}

func TestAdjustLatencyFamily(t *testing.T) {
	base := latencyGroup("node-node", 40, 41, 42, 40, 41, 42)
	c := Config{}
	sums := []LatencySummary{
		c.SummarizeLatency(base, &base),
		c.SummarizeLatency(latencyGroup("a", 50, 51, 52, 50, 51, 52), &base),
		c.SummarizeLatency(latencyGroup("b", 41, 40, 42, 42, 40, 41), &base),
	}
	if n := c.AdjustLatencyFamily(sums); n != 4 {
		t.Fatalf("family of %d tests, want 4 (p50 and p99 of two scenarios)", n)
	}
	if d := sums[1].P50Delta; d.FamilySize != 4 || d.AdjustedP < d.Test.P || !d.Significant {
		t.Errorf("a: %+v", d)
	}
}
