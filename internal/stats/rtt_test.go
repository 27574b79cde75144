package stats

import (
	"math"
	"slices"
	"testing"
)

// withRTT gives each sample a connect RTT of 3 probes with the median µs
// given (none for a negative value, as when no probe was asked for).
func withRTT(rs []Sample, medians ...float64) []Sample {
	for i, m := range medians {
		if m >= 0 {
			rs[i].RTTProbes, rs[i].RTTSamples, rs[i].RTTMedianUs = 3, 3, m
		}
	}
	return rs
}

func TestSummarizeRTT(t *testing.T) {
	base := Group{Key: Key{Scenario: "node-node", Protocol: TCP, Streams: 1}, Samples: withRTT(tcps(1, 1, 1, 1, 1), 40, 41, 39, 40, 42)}
	tests := []struct {
		name        string
		rtts        []float64
		wantMedian  float64 // 0 = no ConnectRTT
		wantDelta   float64
		significant bool
	}{
		{"slower path", []float64{50, 52, 51, 49, 50}, 50, 10, true},
		{"same latency", []float64{40, 41, 39, 40, 42}, 40, 0, false},
		{"not measured", []float64{-1, -1, -1, -1, -1}, 0, 0, false},
		{"partly measured", []float64{60, -1, 60, 61, 59}, 60, 20, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := Group{Key: Key{Scenario: "pod-pod-cross", Protocol: TCP, Streams: 1}, Samples: withRTT(tcps(1, 1, 1, 1, 1), tt.rtts...)}
			s := Config{}.Summarize(g, &base)
			if tt.wantMedian == 0 {
				if s.ConnectRTT != nil || s.RTTDelta != nil {
					t.Errorf("unmeasured: ConnectRTT %+v, RTTDelta %+v", s.ConnectRTT, s.RTTDelta)
				}
				return
			}
			if s.ConnectRTT == nil || s.ConnectRTT.Median != tt.wantMedian {
				t.Fatalf("ConnectRTT %+v, want median %v", s.ConnectRTT, tt.wantMedian)
			}
			d := s.RTTDelta
			if d == nil || math.Abs(d.DeltaUs-tt.wantDelta) > 1e-9 || d.Significant != tt.significant || d.BaselineMedianUs != 40 {
				t.Fatalf("RTTDelta %+v, want delta %v significant %v", d, tt.wantDelta, tt.significant)
			}
			if d.CI != nil && (d.CI.Low > tt.wantDelta || d.CI.High < tt.wantDelta) {
				t.Errorf("CI %+v does not hold the delta %v", d.CI, tt.wantDelta)
			}
		})
	}
	// Probes that all failed leave no RTT, and say so.
	failed := tcps(1, 1, 1, 1, 1)
	for i := range failed[:2] {
		failed[i].RTTProbes = 3
	}
	g := Group{Key: Key{Scenario: "pod-pod-cross", Protocol: TCP, Streams: 1}, Samples: withRTT(failed, -1, -1, 50, 51, 49)}
	if s := (Config{}).Summarize(g, &base); s.ConnectRTT == nil || s.ConnectRTT.N != 3 || !slices.Contains(codes(s), WarnRTTFailed) {
		t.Errorf("two samples' probes failed: ConnectRTT %+v, warnings %v", s.ConnectRTT, s.Warnings)
	}
	if s := (Config{}).Summarize(base, &base); s.ConnectRTT == nil || s.RTTDelta != nil {
		t.Errorf("baseline: ConnectRTT %+v, RTTDelta %+v (want an estimate and no delta)", s.ConnectRTT, s.RTTDelta)
	}
}
