package stats

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// withNodeCPU gives rounds' samples node CPU: per Gbit on each side
// (softirq half of it) and the nodes' busy share.
func withNodeCPU(s []Sample, perGbit []float64, busy float64) []Sample {
	for i := range s {
		f := &NodeCPUFigures{Busy: busy, PerGbit: perGbit[i], SoftIRQPerGbit: perGbit[i] / 2, Moved: true}
		s[i].SenderNode, s[i].ReceiverNode = f, f
	}
	return s
}

func TestNodeCPU(t *testing.T) {
	key := Key{Scenario: "pod-pod-cross", Protocol: TCP, Streams: 1}
	baseKey := Key{Scenario: "node-node", Protocol: TCP, Streams: 1}
	vxlan := &PathFacts{Datapath: "vxlan", Encapsulated: true, HeaderTax: 50, MTU: 1450, UnderlayMTU: 1500}
	baseCPU := []float64{0.20, 0.21, 0.19, 0.20, 0.22, 0.20}
	up := make([]float64, len(baseCPU)) // 41% more CPU per Gbit, ±1%
	for i, b := range baseCPU {
		up[i] = b * (1.41 + 0.01*float64(i%3-1))
	}
	failedRead := rounds(6, 6.1, 5.9, 6, 6.2, 6)
	withNodeCPU(failedRead, up, 0.5)
	failedRead[0].SenderNode, failedRead[0].NodeCPUFailed = nil, "node-1: exec: cpustat: not found"
	tests := []struct {
		name      string
		x         []Sample
		baseBusy  float64
		wantTax   float64 // receiver's, 0 = none expected
		wantCodes []string
		wantMsg   string
	}{
		{"CPU-bound datapath", withNodeCPU(rounds(6, 6.1, 5.9, 6, 6.2, 6), up, 0.5), 0.5, 0.41,
			[]string{WarnCPUDatapath}, "CPU-bound datapath: +41% CPU per Gbit on the sender"},
		{"no goodput cost: no note", withNodeCPU(rounds(9.5, 9.6, 9.4, 9.5, 9.7, 9.5), up, 0.5), 0.5, 0.41, nil, ""},
		{"same CPU: no note", withNodeCPU(rounds(6, 6.1, 5.9, 6, 6.2, 6), baseCPU, 0.5), 0.5, 0, nil, ""},
		{"busy node", withNodeCPU(rounds(6, 6.1, 5.9, 6, 6.2, 6), baseCPU, 0.95), 0.5, 0,
			[]string{WarnCPUBound}, "the sender's node was 95% busy"},
		{"failed reading", failedRead, 0.5, 0.41, []string{WarnCPUDatapath, WarnNodeCPUFailed}, "1 of 6 tests the node CPU could not be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := Group{Key: baseKey, Samples: withNodeCPU(rounds(9.5, 9.6, 9.4, 9.5, 9.7, 9.5), baseCPU, tt.baseBusy)}
			s := Config{}.Summarize(Group{Key: key, Samples: tt.x, Path: vxlan}, &base)
			var got []string
			for _, c := range codes(s) {
				if slices.Contains([]string{WarnCPUDatapath, WarnCPUBound, WarnNodeCPUFailed}, c) {
					got = append(got, c)
				}
			}
			if !slices.Equal(got, tt.wantCodes) {
				t.Errorf("warnings %v, want %v: %+v", got, tt.wantCodes, s.Warnings)
			}
			if tt.wantMsg != "" && !slices.ContainsFunc(s.Warnings, func(w Warning) bool { return strings.Contains(w.Message, tt.wantMsg) }) {
				t.Errorf("no warning says %q: %+v", tt.wantMsg, s.Warnings)
			}
			n := s.NodeCPU
			if n == nil || n.Receiver == nil || n.Receiver.Tax == nil {
				t.Fatalf("node CPU %+v", n)
			}
			tax := n.Receiver.Tax
			if math.Abs(tax.Ratio-tt.wantTax) > 0.01 || tax.Method != MethodPairedLogRatio || tax.CI == nil || !tax.CI.Contains(tax.Ratio) {
				t.Errorf("receiver tax %+v, want %.2f paired", tax, tt.wantTax)
			}
			if tt.wantTax > 0 != tax.Rose() {
				t.Errorf("rose = %v for a tax of %+v", tax.Rose(), tax)
			}
			if n.Receiver.PerGbit == nil || n.Receiver.PerGbit.MedianCI == nil || n.Receiver.SoftIRQPerGbit == nil {
				t.Errorf("receiver per Gbit %+v", n.Receiver)
			}
		})
	}
}

func TestNodeCPUAbsent(t *testing.T) {
	key := Key{Scenario: "node-node", Protocol: TCP, Streams: 1}
	g := Group{Key: key, Samples: rounds(9, 9, 9)}
	if s := (Config{}).Summarize(g, &g); s.NodeCPU != nil {
		t.Errorf("node CPU from samples without any: %+v", s.NodeCPU)
	}
	// A baseline has figures but no tax against itself.
	g.Samples = withNodeCPU(g.Samples, []float64{0.2, 0.2, 0.2}, 0.3)
	s := Config{}.Summarize(g, &g)
	if s.NodeCPU == nil || s.NodeCPU.Sender == nil || s.NodeCPU.Sender.Tax != nil || s.NodeCPU.Sender.PerGbit.Median != 0.2 {
		t.Errorf("baseline node CPU %+v", s.NodeCPU)
	}
	// Nothing moved: busy share, no per Gbit, no tax.
	g.Samples[0].SenderNode = &NodeCPUFigures{Busy: 0.3}
	s = Config{}.Summarize(g, &g)
	if s.NodeCPU.Sender.N != 3 || s.NodeCPU.Sender.PerGbit.N != 2 {
		t.Errorf("a test that moved nothing gave a per Gbit: %+v", s.NodeCPU.Sender.PerGbit)
	}
}

// TestNodeCPUBoundOnce: a row whose process and node were both CPU-bound
// has one cpu-bound warning that names both.
func TestNodeCPUBoundOnce(t *testing.T) {
	key := Key{Scenario: "node-node", Protocol: TCP, Streams: 1}
	g := Group{Key: key, Samples: withNodeCPU(rounds(9, 9, 9), []float64{0.2, 0.2, 0.2}, 0.97)}
	for i := range g.Samples {
		g.Samples[i].SenderCPU = 99
	}
	s := Config{}.Summarize(g, &g)
	var msgs []string
	for _, w := range s.Warnings {
		if w.Code == WarnCPUBound {
			msgs = append(msgs, w.Message)
		}
	}
	if len(msgs) != 1 || !strings.Contains(msgs[0], "sender used 99%") || !strings.Contains(msgs[0], "node was 97% busy") {
		t.Errorf("cpu-bound warnings %q, want one naming the process and the node", msgs)
	}
}
