package main

import (
	"math"
	"strings"
	"testing"
)

// rounds makes n rounds where sockperf runs 20 000/s at a 50 µs p50 and
// cnibench runs ratio[i] of that (its p50 shorter by the same factor).
func rounds(ratio ...float64) (ours, theirs []sample) {
	for _, r := range ratio {
		ours = append(ours, sample{tps: 20000 * r, p50: 50 / r})
		theirs = append(theirs, sample{tps: 20000, p50: 50})
	}
	return ours, theirs
}

func TestCompare(t *testing.T) {
	for _, tc := range []struct {
		name          string
		ratios        []float64
		wantTPS       float64
		wantCI        bool    // an interval is expected
		wantLow, high float64 // its ends, when expected
		verdict       string  // a part of the verdict
	}{
		{"ahead, nine rounds", []float64{1.02, 1.04, 0.99, 1.03, 1.01, 1.05, 1.00, 1.02, 1.03}, 1.02, true, 1.00, 1.04, "met"}, // the 2nd and 8th of 9,
		{"behind everywhere", []float64{0.95, 0.96, 0.97, 0.94, 0.96, 0.95}, 0.955, true, 0.94, 0.97, "whole interval is below 1"},
		{"behind at the median only", []float64{0.97, 0.99, 1.03, 0.98, 1.01, 0.96, 0.99}, 0.99, true, 0.96, 1.03, "within this machine's spread"},
		{"too few rounds", []float64{0.98, 0.99, 0.97}, 0.98, false, 0, 0, "too few rounds"},
		{"one round, ahead", []float64{1.1}, 1.1, false, 0, 0, "met"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := compare(rounds(tc.ratios...))
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(c.tps-tc.wantTPS) > 1e-9 {
				t.Errorf("tps ratio %v, want %v", c.tps, tc.wantTPS)
			}
			if math.Abs(c.p50-c.tps) > 1e-9 {
				t.Errorf("p50 ratio %v, want %v (the rounds' p50s move with their transactions/s)", c.p50, c.tps)
			}
			switch {
			case tc.wantCI && c.tpsCI == nil:
				t.Fatalf("no interval from %d rounds", len(tc.ratios))
			case tc.wantCI && (math.Abs(c.tpsCI.Low-tc.wantLow) > 1e-9 || math.Abs(c.tpsCI.High-tc.high) > 1e-9 || c.tpsCI.Level < ratioLevel):
				t.Errorf("interval %+v, want %v–%v at ≥ %v", *c.tpsCI, tc.wantLow, tc.high, ratioLevel)
			case !tc.wantCI && c.tpsCI != nil:
				t.Errorf("interval %+v from %d rounds, want none", *c.tpsCI, len(tc.ratios))
			}
			if v := c.verdict(); !strings.Contains(v, tc.verdict) {
				t.Errorf("verdict %q, want it to say %q", v, tc.verdict)
			}
		})
	}
}

func TestCompareRefuses(t *testing.T) {
	ok := []sample{{20000, 50}, {20000, 50}}
	for _, tc := range []struct {
		name         string
		ours, theirs []sample
	}{
		{"no rounds", nil, nil},
		{"unequal", ok, ok[:1]},
		{"a zero figure", []sample{{20000, 50}, {0, 50}}, ok},
		{"a zero p50", ok, []sample{{20000, 0}, {20000, 50}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if c, err := compare(tc.ours, tc.theirs); err == nil {
				t.Errorf("compare accepted it: %+v", c)
			}
		})
	}
}

func TestMediansOfEachTool(t *testing.T) {
	got := medians([]sample{{3, 30}, {1, 10}, {2, 40}, {4, 20}})
	if got != (sample{2.5, 25}) {
		t.Errorf("medians %+v, want {2.5 25}", got)
	}
}
