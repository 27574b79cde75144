package stats

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestPairedShift(t *testing.T) {
	tests := []struct {
		name     string
		d        []float64
		mean     float64
		low, hi  float64
		tStat, p float64
	}{
		// mean 2, sd 1, se 1/√3; t(0.975, 2) = 4.3027; P(|T2| ≥ 2√3) = 0.07418
		{"spread", []float64{1, 2, 3}, 2, 2 - 4.302653/math.Sqrt(3), 2 + 4.302653/math.Sqrt(3), 2 * math.Sqrt(3), 0.074180},
		{"no spread, shift", []float64{0.1, 0.1, 0.1}, 0.1, 0.1, 0.1, math.Inf(1), 0},
		{"no spread, none", []float64{0, 0, 0}, 0, 0, 0, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sh, pt := pairedShift(tt.d, 0.95)
			near := func(a, b float64) bool { return a == b || math.Abs(a-b) < 1e-5 }
			if !near(sh.Estimate, tt.mean) || !near(sh.CI.Low, tt.low) || !near(sh.CI.High, tt.hi) || sh.CI.Level != 0.95 {
				t.Errorf("shift %v %+v, want %v [%v, %v]", sh.Estimate, sh.CI, tt.mean, tt.low, tt.hi)
			}
			if !near(pt.T, tt.tStat) || !near(pt.P, tt.p) || pt.DF != len(tt.d)-1 {
				t.Errorf("test %+v, want t %v p %v", pt, tt.tStat, tt.p)
			}
		})
	}
}

func TestPairedDifference(t *testing.T) {
	tests := []struct {
		name    string
		x, y    []float64
		mean, p float64
		err     bool
	}{
		// differences 1, 2, 3 as in TestPairedShift's "spread"
		{"pairs", []float64{11, 22, 33}, []float64{10, 20, 30}, 2, 0.074180, false},
		{"lengths differ", []float64{1, 2}, []float64{1}, 0, 0, true},
		{"one pair", []float64{1}, []float64{1}, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sh, pt, err := PairedDifference(tt.x, tt.y, 0.95)
			if (err != nil) != tt.err {
				t.Fatalf("err %v, want error %v", err, tt.err)
			}
			if err == nil && (math.Abs(sh.Estimate-tt.mean) > 1e-9 || math.Abs(pt.P-tt.p) > 1e-5) {
				t.Errorf("shift %v p %v, want %v p %v", sh.Estimate, pt.P, tt.mean, tt.p)
			}
		})
	}
}

// rounds builds successful TCP samples (Gbit/s) carrying rounds 1, 2, ….
func rounds(gbps ...float64) []Sample {
	s := tcps(gbps...)
	for i := range s {
		s[i].Round = i + 1
	}
	return s
}

func TestOverheadPairing(t *testing.T) {
	key := Key{Scenario: "pod-pod-cross", Protocol: TCP, Streams: 1}
	// the rounds drift together by up to 10%; the scenario is 2% below its
	// round's baseline in every round, ±0.1%
	base := []float64{9.0, 9.9, 9.3, 9.6, 9.1, 9.8}
	scn := make([]float64, len(base))
	for i, b := range base {
		scn[i] = b * (0.98 + 0.001*float64(i%3-1))
	}
	noRound := rounds(scn...)
	noRound[2].Round = 0 // its round ran in two attempts of a resumed run
	twice := rounds(scn...)
	twice[1].Round = 1
	tests := []struct {
		name     string
		x, base  []Sample
		method   string
		rounds   int
		unpaired string // part of Overhead.Unpaired
		warn     bool   // an unpaired warning
	}{
		{"paired", rounds(scn...), rounds(base...), MethodPairedLogRatio, 6, "", false},
		{"a failed baseline round is left out", rounds(scn...), slices.Delete(rounds(base...), 2, 3), MethodPairedLogRatio, 5, "", false},
		{"no rounds at all", tcps(scn...), tcps(base...), MethodHodgesLehmann, 0, "carry no round", false},
		{"a sample without its round is left out", noRound, rounds(base...), MethodPairedLogRatio, 5, "", false},
		{"a round twice", twice, rounds(base...), MethodHodgesLehmann, 0, "two samples", true},
		{"too few rounds in common", rounds(scn[:2]...), rounds(base...), MethodHodgesLehmann, 0, "only 2 rounds", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Config{}.Summarize(Group{Key: key, Samples: tt.x}, &Group{Key: Key{Scenario: "node-node", Protocol: TCP, Streams: 1}, Samples: tt.base})
			o := s.Overhead
			if o.Method != tt.method || o.Rounds != tt.rounds || !strings.Contains(o.Unpaired, tt.unpaired) || (tt.unpaired == "") != (o.Unpaired == "") {
				t.Fatalf("method %s rounds %d unpaired %q", o.Method, o.Rounds, o.Unpaired)
			}
			if got := slices.Contains(codes(s), WarnUnpaired); got != tt.warn {
				t.Errorf("unpaired warning %v, want %v: %v", got, tt.warn, s.Warnings)
			}
			if tt.method != MethodPairedLogRatio {
				if o.PairedTest != nil || o.TestP() != o.Test.P {
					t.Errorf("unpaired with a paired test: %+v", o)
				}
				return
			}
			// pairing removes the drift: 2% ± 0.1% with a narrow interval, significant
			if math.Abs(o.Ratio-0.02) > 0.001 || o.CI == nil || o.CI.Low < 0.018 || o.CI.High > 0.022 || !o.Significant || o.TestP() != o.PairedTest.P || o.PairedTest.DF != tt.rounds-1 {
				t.Errorf("paired overhead %+v ci %+v test %+v", o, o.CI, o.PairedTest)
			}
			if o.Equivalence == nil || o.Equivalence.Equivalent || o.MinDetectable == nil || *o.MinDetectable > 0.01 {
				t.Errorf("equivalence %+v, min detectable %v", o.Equivalence, o.MinDetectable)
			}
		})
	}
	// the same data unpaired: the drift hides the 2%
	s := Config{}.Summarize(Group{Key: key, Samples: tcps(scn...)}, &Group{Key: Key{Scenario: "node-node", Protocol: TCP, Streams: 1}, Samples: tcps(base...)})
	if s.Overhead.Significant {
		t.Errorf("unpaired saw through the drift: %+v", s.Overhead)
	}
}
