package bench

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/nodecpu"
	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
)

// cpuFake is the fake cluster with node CPU: every reading of a node
// advances its counters by one step (0.6 CPU-seconds busy, 0.3 of them
// softirq, 0.4 idle), so a test's window holds exactly one step; failNode's
// readings fail.
type cpuFake struct {
	*fakeCluster
	failNode string
	mu       sync.Mutex
	ticks    map[string]nodecpu.Times
}

var _ cluster.CPUSampler = (*cpuFake)(nil)

func (f *cpuFake) NodeCPU(ctx context.Context, node string) (nodecpu.Times, error) {
	if node == f.failNode {
		return nodecpu.Times{}, errors.New("exec: cpustat: container not running")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ticks == nil {
		f.ticks = map[string]nodecpu.Times{}
	}
	t := f.ticks[node]
	t.User, t.System, t.SoftIRQ, t.Idle, t.CPUs = t.User+10, t.System+20, t.SoftIRQ+30, t.Idle+40, 2
	f.ticks[node] = t
	return t, nil
}

func TestNodeCPUEveryTest(t *testing.T) {
	tests := []struct {
		name     string
		failNode string
	}{
		{"both nodes read", ""},
		{"server's node fails", "node-2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &cpuFake{fakeCluster: &fakeCluster{nodes: 2, podsPerNode: 2}, failNode: tt.failNode}
			run, err := Run(context.Background(), f, Plan{Repeats: 2, Protocols: []engine.Protocol{"tcp", "udp"}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range run.Samples {
				c := s.NodeCPU
				if c == nil || len(c.Nodes) != 2 {
					t.Fatalf("%s: node CPU %+v", s.Scenario, c)
				}
				client, server := c.Nodes[0], c.Nodes[1]
				if client.Role != runrecord.RoleClient || client.Side != runrecord.SideSender || server.Role != runrecord.RoleServer || server.Side != runrecord.SideReceiver {
					t.Errorf("%s: roles %+v", s.Scenario, c.Nodes)
				}
				bits := s.Result.Goodput() // the fake moves its rate's bits in all
				if c.BitsSent != bits || c.BitsReceived != bits || c.WindowSeconds <= 0 {
					t.Errorf("%s: bits %v/%v in %vs, want %v", s.Scenario, c.BitsSent, c.BitsReceived, c.WindowSeconds, bits)
				}
				for _, n := range c.Nodes {
					if n.Node == tt.failNode {
						if n.Error == "" || n.PerGbit != nil || n.Busy != 0 {
							t.Errorf("%s: failed reading of %s recorded as %+v", s.Scenario, n.Node, n)
						}
						continue
					}
					if n.Error != "" || n.PerGbit == nil || math.Abs(*n.PerGbit-0.6/(bits/1e9)) > 1e-9 ||
						math.Abs(*n.SoftIRQPerGbit-0.3/(bits/1e9)) > 1e-9 || math.Abs(n.Busy-0.6) > 1e-9 {
						t.Errorf("%s: %s: %+v, want 0.6 CPU-s over %v bits", s.Scenario, n.Node, n, bits)
					}
				}
			}
			for _, sum := range run.Summaries {
				n := sum.NodeCPU
				if n == nil || n.Sender == nil || n.Sender.PerGbit == nil {
					t.Fatalf("%s: node CPU summary %+v", sum.Key, n)
				}
				failed := hasWarning(sum, stats.WarnNodeCPUFailed)
				sc, _ := LookupScenario(sum.Scenario)
				if wantFail := tt.failNode != "" && !sc.staysOnNode(); failed != wantFail {
					t.Errorf("%s: node-cpu-failed warning %v, want %v: %+v", sum.Key, failed, wantFail, sum.Warnings)
				}
			}
		})
	}
}

// TestNoNodeCPU: a cluster that cannot read node CPU runs as before and
// its record says nothing of it.
func TestNoNodeCPU(t *testing.T) {
	run, err := Run(context.Background(), &fakeCluster{nodes: 2, podsPerNode: 2}, Plan{Repeats: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range run.Samples {
		if s.NodeCPU != nil {
			t.Errorf("%s: node CPU %+v", s.Scenario, s.NodeCPU)
		}
	}
	for _, s := range run.Summaries {
		if s.NodeCPU != nil {
			t.Errorf("%s: node CPU summary %+v", s.Key, s.NodeCPU)
		}
	}
}

func hasWarning(s stats.Summary, code string) bool {
	for _, w := range s.Warnings {
		if w.Code == code {
			return true
		}
	}
	return false
}
