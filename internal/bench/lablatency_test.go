package bench

import (
	"context"
	"testing"

	"github.com/cnibench/cnibench/internal/cluster/lab"
	"github.com/cnibench/cnibench/internal/stats"
)

// TestLabLatencyServiceCostsCRR: `run --tests rr,crr` on the lab gives a
// latency row for every scenario and test, and crr through the Service
// (a DNAT and a new conntrack entry per connection) costs significantly
// more than crr between the same pods directly (pod-pod-cross).
func TestLabLatencyServiceCostsCRR(t *testing.T) {
	m := lab.Matrix{LinkRates: []uint64{1e9}}
	p := Plan{Repeats: 10, Kinds: []string{RR, CRR}, Scenarios: []string{"pod-pod-cross", "pod-clusterip"}}
	run, err := labRun(t, context.Background(), m, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !run.Complete || len(run.Samples) != 0 || len(run.LatencySamples) != 3*2*10 || run.FailedLatencySamples() != 0 {
		t.Fatalf("complete %v, %d throughput and %d latency samples, %d failed", run.Complete, len(run.Samples), len(run.LatencySamples), run.FailedLatencySamples())
	}
	if len(run.LatencySummaries) != 6 {
		t.Fatalf("%d latency rows, want 6", len(run.LatencySummaries))
	}
	p50s := func(scenario string) []float64 {
		var v []float64
		for _, g := range run.LatencyGroups() {
			if g.Key.Scenario != scenario || g.Key.Test != CRR {
				continue
			}
			for _, s := range g.Samples {
				v = append(v, s.Result.P50Us)
			}
		}
		return v
	}
	svc, direct := p50s("pod-clusterip"), p50s("pod-pod-cross")
	shift := stats.HodgesLehmann(svc, direct, 0.95)
	mw, err := stats.MannWhitneyU(svc, direct)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("crr p50: pod-clusterip %v µs, pod-pod-cross %v µs; Service adds %.1f µs (CI %+v), p = %.4f",
		medianOf(svc), medianOf(direct), shift.Estimate, shift.CI, mw.P)
	if shift.Estimate <= 0 || mw.P >= 0.05 {
		t.Errorf("crr through the Service adds %.1f µs to pod-pod-cross's (p = %.4f), want significantly more", shift.Estimate, mw.P)
	}
}

func medianOf(x []float64) float64 {
	e := stats.Config{}.Estimate(stats.Key{}, x)
	if e == nil {
		return 0
	}
	return e.Median
}
