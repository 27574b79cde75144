package report

import (
	"strings"
	"testing"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/runrecord/runrecordtest"
	"github.com/cnibench/cnibench/internal/stats"
)

// halved is a copy of run with every goodput halved, the baseline's too.
func halved(run *runrecord.Run) *runrecord.Run {
	out := *run
	out.Samples = nil
	for _, s := range run.Samples {
		if s.Result != nil {
			r := *s.Result
			r.SumReceived.BitsPerSecond /= 2
			r.SumSent.BitsPerSecond /= 2
			s.Result = &r
		}
		out.Samples = append(out.Samples, s)
	}
	return &out
}

func TestCompareGateCannotJudge(t *testing.T) {
	run := func(seed uint64, repeats int, scenarios ...string) *runrecord.Run {
		return runrecordtest.Build(runrecordtest.Options{Variants: []string{"datapath=routed"}, Seed: seed, Repeats: repeats,
			Scenarios: scenarios, Protocols: []stats.Protocol{stats.TCP}})
	}
	base := run(1, 0, "node-node", "pod-pod-cross")
	tests := []struct {
		name     string
		old, new *runrecord.Run
		pct      float64
		want     []string // substrings of the reasons, in order; none = the gate decides
	}{
		{"a rerun: decided", base, run(3, 0, "node-node", "pod-pod-cross"), 5, nil},
		{"every goodput halved: the baseline moved", base, halved(base), 5, []string{"node-node tcp ×1 (the baseline) changed -50.00%, beyond ±5%"}},
		{"halved, with a threshold above the fall", base, halved(base), 60, nil},
		{"no scenario in common", run(1, 0, "node-node", "pod-node"), run(1, 0, "node-node", "pod-pod-cross"), 5,
			[]string{"pod-node tcp ×1: not in the new runs", "no scenario besides the baseline was measured on both sides"}},
		{"only baselines", run(1, 0, "node-node"), run(2, 0, "node-node"), 5, []string{"no scenario besides the baseline"}},
		{"too few samples", run(1, 2, "node-node", "pod-pod-cross"), run(3, 2, "node-node", "pod-pod-cross"), 5,
			[]string{"node-node tcp ×1: too few samples for an interval (2 old, 2 new; the gate needs 3 a side", "pod-pod-cross tcp ×1: too few samples"}},
		{"failed on both sides needs no decision", run(1, 0, "node-node", "pod-pod-cross", "pod-nodeport"), run(3, 0, "node-node", "pod-pod-cross", "pod-nodeport"), 5, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pct := tt.pct
			c := Compare([]*runrecord.Run{tt.old}, []*runrecord.Run{tt.new}, CompareOptions{RegressionPct: &pct})
			if len(c.CannotJudge) != len(tt.want) {
				t.Fatalf("cannot judge: %q, want %d reasons like %q", c.CannotJudge, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(c.CannotJudge[i], w) {
					t.Errorf("reason %d %q lacks %q", i, c.CannotJudge[i], w)
				}
			}
			if noGate := Compare([]*runrecord.Run{tt.old}, []*runrecord.Run{tt.new}, CompareOptions{}); noGate.CannotJudge != nil {
				t.Errorf("without a gate: cannot judge %q, want none", noGate.CannotJudge)
			}
		})
	}
}
