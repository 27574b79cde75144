//go:build e2e

package kube

import (
	"context"
	"fmt"
	"testing"

	"github.com/cnibench/cnibench/internal/bench"
	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/stats"
	e2e "github.com/cnibench/cnibench/test/e2e/cluster"
)

// latencyRepeats are the rr tests per scenario: with 6 a side, a
// complete separation gives Mann-Whitney p = 0.002, significant after
// Holm's correction. On flannel-vxlan, where the test asserts, 10 a side:
// a two-core machine's scheduler moves an rr pair between one CPU and two
// (RTTs several µs apart), and a few such flips among 6 could hide the
// few µs vxlan adds on a fast machine; with 10 a side the check still
// holds with a fifth of the pairs out of order.
const (
	latencyRepeats      = 6
	vxlanLatencyRepeats = 10
)

// checkLatency runs rr alone on node-node and pod-pod-cross (12 tests of
// 0.5 s, 20 on vxlan) on a cluster whose pods are up, and on flannel's vxlan checks
// the claim with the run's own statistics: pod→pod across nodes
// (encapsulated, through the vxlan device and the bridge) has a p50
// significantly above the bare nodes'. Other modes only log it: a routed
// path may add too little to tell.
func checkLatency(ctx context.Context, t *testing.T, mode e2e.CNI, c cluster.Cluster) {
	t.Helper()
	repeats := latencyRepeats
	if mode == e2e.FlannelVXLAN {
		repeats = vxlanLatencyRepeats
	}
	plan := bench.Plan{Scenarios: []string{"node-node", "pod-pod-cross"}, Kinds: []string{bench.RR}, Repeats: repeats, RealCluster: true}
	run, err := bench.Run(ctx, c, plan, nil)
	if err != nil {
		t.Fatalf("rr run: %v", err)
	}
	if len(run.Samples) != 0 || len(run.LatencySamples) != 2*repeats {
		t.Errorf("%d throughput and %d latency samples, want 0 and %d", len(run.Samples), len(run.LatencySamples), 2*repeats)
	}
	var cross *stats.LatencySummary
	for i, s := range run.LatencySummaries {
		if s.Test != bench.RR {
			continue
		}
		if s.P50Us == nil {
			t.Errorf("%s rr: no p50 (%d of %d tests failed: %v)", s.Scenario, s.Failed, s.N+s.Failed, s.Errors)
			continue
		}
		t.Logf("%s rr: p50 %.1f µs (%d tests), %.0f transactions/s", s.Scenario, s.P50Us.Median, s.N, s.PerSecond.Median)
		if s.Scenario == "pod-pod-cross" {
			cross = &run.LatencySummaries[i]
		}
	}
	if cross == nil || cross.P50Delta == nil {
		t.Fatalf("pod-pod-cross rr has no p50 against node-node: %+v", run.LatencySummaries)
	}
	d := cross.P50Delta
	ci := "none"
	if d.CI != nil {
		ci = fmt.Sprintf("%.1f to %.1f µs", d.CI.Low, d.CI.High)
	}
	t.Logf("pod-pod-cross rr p50 − node-node's: %+.1f µs (95%% CI %s), ×%.3f, adjusted p %.4f, significant %v", d.DeltaUs, ci, d.Factor, d.AdjustedP, d.Significant)
	if mode == e2e.FlannelVXLAN && (!d.Significant || d.DeltaUs <= 0) {
		t.Errorf("flannel-vxlan: pod-pod-cross rr p50 is not significantly above node-node's (%+.1f µs, adjusted p %.4f)", d.DeltaUs, d.AdjustedP)
	}
}
