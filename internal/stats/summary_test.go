package stats

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// tcp builds a successful TCP sample: goodput in Gbit/s, retransmits, and
// the sender's and receiver's CPU in percent of a core.
func tcp(gbps float64, retr int64, snd, rcv float64) Sample {
	return Sample{Goodput: gbps * 1e9, Retransmits: retr, SenderCPU: snd, ReceiverCPU: rcv}
}

func tcps(gbps ...float64) []Sample {
	var r []Sample
	for _, g := range gbps {
		r = append(r, tcp(g, 10, 40, 30))
	}
	return r
}

func codes(s Summary) []string {
	var c []string
	for _, w := range s.Warnings {
		c = append(c, w.Code)
	}
	return c
}

func TestSummarize(t *testing.T) {
	base := Group{Key: Key{Scenario: "node-node", Protocol: TCP, Streams: 1}, Samples: tcps(9.40, 9.42, 9.38, 9.41, 9.39, 9.40)}
	key := Key{Scenario: "pod-pod-cross", Protocol: TCP, Streams: 1}
	vxlan := &PathFacts{Datapath: "vxlan", Encapsulated: true, HeaderTax: 50, MTU: 1450, UnderlayMTU: 1500}
	tests := []struct {
		name      string
		g         Group
		baseline  *Group
		status    Status
		n, failed int
		warnings  []string
		check     func(t *testing.T, s Summary)
	}{
		{
			name: "baseline itself", g: base, baseline: &base, status: StatusOK, n: 6,
			check: func(t *testing.T, s Summary) {
				if !s.Baseline || s.Overhead != nil || s.Goodput.Median != 9.40e9 || s.Retransmits.Total != 60 || s.Retransmits.Median != 10 {
					t.Errorf("got %+v", s)
				}
			},
		},
		{
			name: "overhead", g: Group{Key: key, Samples: tcps(8.9, 8.95, 8.85, 8.92, 8.88, 8.9), Path: vxlan}, baseline: &base, status: StatusOK, n: 6,
			check: func(t *testing.T, s Summary) {
				o := s.Overhead
				if s.Baseline || o == nil || math.Abs(o.Ratio-(1-8.9/9.40)) > 1e-3 || !o.Significant || o.Test.P != 2.0/924 || o.CI == nil || !o.CI.Contains(o.Ratio) ||
					o.Method != MethodHodgesLehmann || o.Equivalence == nil || o.Equivalence.Equivalent || o.MinDetectable == nil {
					t.Errorf("overhead %+v", o)
				}
				if s.Floor == nil || math.Abs(s.Floor.Ratio-50.0/1448) > 1e-12 {
					t.Errorf("floor %+v", s.Floor)
				}
				if a := s.AboveFloor; a == nil || a.Ratio != o.Ratio-s.Floor.Ratio || a.CI == nil ||
					a.CI.Low != o.CI.Low-s.Floor.Ratio || a.CI.High != o.CI.High-s.Floor.Ratio || a.CI.Level != o.CI.Level {
					t.Errorf("above floor %+v", a)
				}
			},
		},
		{
			name: "not significant", g: Group{Key: key, Samples: tcps(9.40, 9.43, 9.37, 9.41, 9.39, 9.40)}, baseline: &base, status: StatusOK, n: 6,
			check: func(t *testing.T, s Summary) {
				if s.Overhead.Significant || s.Overhead.Test.P < 0.5 || !s.Overhead.CI.Contains(0) || !s.Overhead.Equivalence.Equivalent {
					t.Errorf("overhead %+v", s.Overhead)
				}
			},
		},
		{
			name: "all failed", g: Group{Key: key, Errors: []string{"connection refused", "connection refused", "timeout"}, Path: vxlan}, baseline: &base,
			status: StatusFailed, failed: 3, warnings: []string{WarnFailed},
			check: func(t *testing.T, s Summary) {
				if s.Goodput != nil || s.Overhead != nil || s.CPU != nil || s.Retransmits != nil || !slices.Equal(s.Errors, []string{"connection refused", "timeout"}) {
					t.Errorf("got %+v", s)
				}
				if s.Floor == nil || !strings.Contains(s.Warnings[0].Message, "all 3 samples failed: connection refused") {
					t.Errorf("got %+v %+v", s.Floor, s.Warnings)
				}
			},
		},
		{
			name: "some failed", g: Group{Key: key, Samples: tcps(8.9, 8.95, 8.85), Errors: []string{"reset"}}, baseline: &base,
			status: StatusOK, n: 3, failed: 1, warnings: []string{WarnFailedSamples, WarnFewSamples},
			check: func(t *testing.T, s Summary) {
				if s.Goodput.N != 3 || s.Goodput.Median != 8.9e9 {
					t.Errorf("goodput %+v", s.Goodput)
				}
			},
		},
		{
			name: "few samples", g: Group{Key: key, Samples: tcps(8.9, 8.95)}, baseline: &base,
			status: StatusOK, n: 2, warnings: []string{WarnFewSamples},
			check: func(t *testing.T, s Summary) {
				if s.Goodput.MedianCI != nil || s.Goodput.MeanCI != nil || s.Overhead.CI != nil || s.Goodput.Stdev == nil {
					t.Errorf("got %+v %+v", s.Goodput, s.Overhead)
				}
			},
		},
		{
			name: "too few for significance", g: Group{Key: key, Samples: tcps(8.9, 8.95, 8.85)}, baseline: &Group{Key: base.Key, Samples: tcps(9.4, 9.41, 9.39)},
			status: StatusOK, n: 3, warnings: []string{WarnFewSamples},
			check: func(t *testing.T, s Summary) {
				o := s.Overhead
				if o.CI != nil || o.Significant || o.Test.P != 0.1 || !strings.Contains(s.Warnings[0].Message, "no 95% interval for the median exists below 6") {
					t.Errorf("overhead %+v, warnings %v", o, s.Warnings)
				}
			},
		},
		{
			name: "noisy", g: Group{Key: key, Samples: tcps(8, 9, 10, 7, 9.5, 8.5)}, baseline: &base,
			status: StatusOK, n: 6, warnings: []string{WarnNoisy},
		},
		{
			name: "cpu-bound receiver", g: Group{Key: key, Samples: []Sample{tcp(8.9, 0, 50, 95), tcp(8.9, 0, 50, 97), tcp(8.9, 0, 50, 99)}}, baseline: &base,
			status: StatusOK, n: 3, warnings: []string{WarnFewSamples, WarnCPUBound},
			check: func(t *testing.T, s Summary) {
				if !s.CPU.Bound || s.CPU.Receiver != 97 || s.CPU.Sender != 50 || !strings.Contains(s.Warnings[1].Message, "receiver used 97%") {
					t.Errorf("cpu %+v %v", s.CPU, s.Warnings)
				}
			},
		},
		{
			name: "no baseline", g: Group{Key: key, Samples: tcps(8.9, 8.95, 8.85)},
			status: StatusOK, n: 3, warnings: []string{WarnFewSamples, WarnNoBaseline},
		},
		{
			name: "baseline failed", g: Group{Key: key, Samples: tcps(8.9, 8.95, 8.85)}, baseline: &Group{Key: base.Key, Errors: []string{"x"}},
			status: StatusOK, n: 3, warnings: []string{WarnFewSamples, WarnBaselineFailed},
		},
		{
			name: "udp", g: Group{Key: Key{Scenario: "pod-pod-cross", Protocol: UDP, Streams: 1}, Path: vxlan, Samples: []Sample{
				{Goodput: 1e6, Retransmits: -1, LostPercent: 0.5, JitterMs: 0.02},
				{Goodput: 1e6, Retransmits: -1, LostPercent: 0.1, JitterMs: 0.01},
				{Goodput: 1e6, Retransmits: -1, LostPercent: 0.2, JitterMs: 0.03},
			}},
			status: StatusOK, n: 3, warnings: []string{WarnFewSamples, WarnNoBaseline},
			check: func(t *testing.T, s Summary) {
				if s.Loss == nil || s.Loss.Median != 0.2 || s.Jitter == nil || s.Jitter.Median != 0.02 || s.Delivered != nil {
					t.Errorf("udp estimates %+v %+v %+v", s.Loss, s.Jitter, s.Delivered)
				}
				if s.Retransmits != nil || *s.LossPercent != 0.2 || *s.JitterMs != 0.02 || s.Floor != nil || s.CPU != nil || s.Goodput.CV != nil && *s.Goodput.CV != 0 {
					t.Errorf("got %+v", s)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Config{}.Summarize(tt.g, tt.baseline)
			if s.Key != tt.g.Key || s.Status != tt.status || s.N != tt.n || s.Failed != tt.failed || !slices.Equal(codes(s), tt.warnings) {
				t.Fatalf("got status %s n %d failed %d warnings %v, want %s %d %d %v", s.Status, s.N, s.Failed, s.Warnings, tt.status, tt.n, tt.failed, tt.warnings)
			}
			if tt.check != nil {
				tt.check(t, s)
			}
		})
	}
}
