package runrecord_test

import (
	"testing"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
)

// TestSummarizePairsRounds: an interleaved run's overhead pairs each round's
// sample with the baseline of the same round; a round a resumed run
// measured in two attempts is not paired, and a sequential run (no rounds)
// falls back to the unpaired method.
func TestSummarizePairsRounds(t *testing.T) {
	build := func(round func(rep int) int, attempt func(rep int) int) *runrecord.Run {
		r := &runrecord.Run{Plan: runrecord.Plan{Scenarios: []string{"node-node", "pod-pod-cross"}, Protocols: []stats.Protocol{stats.TCP}, Streams: []int{1}}}
		for rep := 1; rep <= 6; rep++ {
			drift := 1 + 0.05*float64(rep%3) // shared by the round
			for _, sc := range []struct {
				name string
				gbps float64
			}{{"node-node", 9.4}, {"pod-pod-cross", 9.0}} {
				r.Samples = append(r.Samples, runrecord.Sample{Scenario: sc.name, Protocol: stats.TCP, Streams: 1, Repeat: rep,
					Round: round(rep), Attempt: attempt(rep),
					Result: &runrecord.Result{SumReceived: runrecord.Totals{BitsPerSecond: sc.gbps * 1e9 * drift}}})
			}
		}
		return r
	}
	same := func(rep int) int { return rep }
	none := func(int) int { return 0 }
	one := func(int) int { return 1 }
	tests := []struct {
		name   string
		run    *runrecord.Run
		method string
		rounds int
	}{
		{"interleaved", build(same, none), stats.MethodPairedLogRatio, 6},
		{"sequential", build(none, none), stats.MethodHodgesLehmann, 0},
		{"resumed, rounds whole", build(same, func(rep int) int { return 1 + rep/4 }), stats.MethodPairedLogRatio, 6},
		{"resumed, two rounds split", build(same, one), stats.MethodPairedLogRatio, 4},
	}
	// split rounds 2 and 5: the baseline's sample ran in attempt 2
	split := tests[3].run
	for i, s := range split.Samples {
		if s.Scenario == "node-node" && (s.Repeat == 2 || s.Repeat == 5) {
			split.Samples[i].Attempt = 2
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run.Summarize(stats.Config{})
			o := tt.run.Summary(stats.Key{Scenario: "pod-pod-cross", Protocol: stats.TCP, Streams: 1}).Overhead
			if o == nil || o.Method != tt.method || o.Rounds != tt.rounds {
				t.Fatalf("overhead %+v, want %s over %d rounds", o, tt.method, tt.rounds)
			}
		})
	}
}
