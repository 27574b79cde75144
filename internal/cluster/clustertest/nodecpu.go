package clustertest

import (
	"context"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/cluster"
)

// checkNodeCPU checks the optional cluster.CPUSampler: every node of the
// endpoints reads CPU times with at least one CPU, a second reading is
// the same node's later counters (Since accepts it), and an unknown node
// is an error.
func checkNodeCPU(t *testing.T, ctx context.Context, c cluster.Cluster, eps []cluster.Endpoint) {
	s, ok := c.(cluster.CPUSampler)
	if !ok {
		t.Skip("the cluster reads no node CPU (cluster.CPUSampler is optional)")
	}
	for _, ep := range eps {
		if ep.Kind != cluster.NodeEndpoint {
			continue
		}
		a, err := s.NodeCPU(ctx, ep.Node)
		if err != nil {
			t.Fatalf("NodeCPU(%s): %v", ep.Node, err)
		}
		b, err := s.NodeCPU(ctx, ep.Node)
		if err != nil {
			t.Fatalf("NodeCPU(%s) again: %v", ep.Node, err)
		}
		if a.CPUs < 1 {
			t.Errorf("NodeCPU(%s) = %+v: no CPU", ep.Node, a)
		}
		if _, err := b.Since(a, time.Second); err != nil {
			t.Errorf("NodeCPU(%s) twice: %v", ep.Node, err)
		}
	}
	if _, err := s.NodeCPU(ctx, "no-such-node"); err == nil {
		t.Error("NodeCPU of an unknown node: no error")
	}
}
