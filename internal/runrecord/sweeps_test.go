package runrecord_test

import (
	"testing"

	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/runrecord/runrecordtest"
	"github.com/cnibench/cnibench/internal/stats"
)

func TestComputeSweeps(t *testing.T) {
	run := runrecordtest.Sweep()
	if len(run.Sweeps) != 2 {
		t.Fatalf("%d sweeps, want 2 (node-node, pod-pod-cross along policy-rules): %+v", len(run.Sweeps), run.Sweeps)
	}
	for _, sw := range run.Sweeps {
		if sw.Knob != "policy-rules" || sw.Fixed != "datapath=routed,streams=1" || len(sw.Points) != 4 {
			t.Errorf("%s: knob %q fixed %q, %d points", sw.Scenario, sw.Knob, sw.Fixed, len(sw.Points))
		}
		for i, p := range sw.Points {
			if want := []float64{0, 10, 1000, 10000}[i]; p.Value != want || p.Goodput == nil || p.CI == nil {
				t.Errorf("%s point %d: value %v (want %v), goodput %v, CI %v", sw.Scenario, i, p.Value, want, p.Goodput, p.CI)
			}
			if p.SenderCPUPerGbit == nil || p.ReceiverCPUPerGbit == nil || *p.SenderCPUPerGbit <= 0 {
				t.Errorf("%s point %d: node CPU per Gbit %v %v, want each side's", sw.Scenario, i, p.SenderCPUPerGbit, p.ReceiverCPUPerGbit)
			}
		}
		switch sw.Scenario {
		case "node-node":
			if sw.Knee != nil {
				t.Errorf("node-node: knee %+v, want none", sw.Knee)
			}
		case "pod-pod-cross":
			k := sw.Knee
			if k == nil || k.From != 1000 || k.To != 10000 || k.Drop < 0.35 || k.Drop > 0.45 || k.Note != "goodput falls 40% past 1000 policy-rules" {
				t.Errorf("pod-pod-cross knee %+v, want 40%% past 1000", k)
			}
			if p := sw.Points[3]; p.Overhead == nil || *p.Overhead < 0.35 || !p.Significant {
				t.Errorf("overhead at 10000 %+v, want about 40%%, significant", p)
			}
		}
	}
}

func TestKnobValue(t *testing.T) {
	run := &runrecord.Run{}
	for _, label := range []string{"msg-size=64", "msg-size=64K", "msg-size=1M"} {
		run.Summaries = append(run.Summaries, stats.Summary{Key: stats.Key{Variant: "datapath=vxlan," + label, Scenario: "node-node", Protocol: stats.TCP, Streams: 1}})
	}
	for _, label := range []string{"link-rate=500mbit", "link-rate=1gbit", "link-rate=unshaped"} {
		run.Summaries = append(run.Summaries, stats.Summary{Key: stats.Key{Variant: label, Scenario: "node-node", Protocol: stats.TCP, Streams: 4}})
	}
	run.ComputeSweeps(0)
	var got [][]float64
	for _, sw := range run.Sweeps {
		var vs []float64
		for _, p := range sw.Points {
			vs = append(vs, p.Value)
		}
		got = append(got, vs)
	}
	want := [][]float64{{64, 64 << 10, 1 << 20}, {500e6, 1e9}}
	if len(got) != 2 || len(got[0]) != 3 || got[0][1] != want[0][1] || got[0][2] != want[0][2] || len(got[1]) != 2 || got[1][1] != 1e9 {
		t.Errorf("values %v, want %v (unshaped is no number)", got, want)
	}
}
