//go:build e2e

package kube

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/bench"
	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/cluster/kube"
	"github.com/cnibench/cnibench/internal/cluster/lab"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/runid"
	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
	"github.com/cnibench/cnibench/internal/testenv"
	e2e "github.com/cnibench/cnibench/test/e2e/cluster"
)

// shapedRate is the uplink rate both the real cluster and the lab get:
// low enough that neither measures this machine's CPU.
const shapedRate = 500_000_000

// overheadTolerance is how far, in percentage points, the real cluster's
// pod-pod-cross overhead may be from the lab's on the same datapath and
// link (the lab's own ground-truth tests hold it to ~0.1 point).
const overheadTolerance = 1.5

// TestKubeOverheadMatchesLab is the lab's prediction checked on the real
// cluster: with the nodes' uplinks shaped like the lab's, pod→pod across
// nodes costs what the lab measures for the same datapath (flannel's
// vxlan: the 50-byte header tax, ~3.4 %; host-gw: nothing), and the vxlan overhead sits at its header-tax floor.
func TestKubeOverheadMatchesLab(t *testing.T) {
	// The bridge mode's routes are host-gw's datapath: no third cluster.
	predict := map[e2e.CNI]lab.Datapath{e2e.FlannelVXLAN: lab.VXLAN, e2e.FlannelHostGW: lab.Routed}
	for _, mode := range modes() {
		if mode == e2e.Bridge {
			continue
		}
		t.Run(string(mode), func(t *testing.T) {
			dp, ok := predict[mode]
			if !ok {
				testenv.SkipOrFail(t, "uplinks can only be shaped on the harness's own clusters")
			}
			c, cfg := setup(t, mode)
			if err := e2e.ShapeUplinks(c.State, shapedRate); err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := e2e.ShapeUplinks(c.State, 0); err != nil {
					t.Error(err)
				}
			}()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			plan := bench.Plan{Scenarios: []string{"node-node", "pod-pod-cross"}, Protocols: []engine.Protocol{engine.TCP},
				Duration: 2 * time.Second, Omit: time.Second, Repeats: 3}
			real, err := bench.RunVariants(ctx, []bench.Variant{{Open: func(ctx context.Context) (cluster.Cluster, error) { return kube.New(ctx, cfg) }}}, plan, bench.Options{})
			if err != nil {
				t.Fatal(err)
			}
			vs, err := lab.Matrix{Datapaths: []lab.Datapath{dp}, LinkRates: []uint64{shapedRate}}.Variants(runid.New()[:5])
			if err != nil {
				t.Fatal(err)
			}
			predicted, err := bench.RunVariants(ctx, []bench.Variant{{Label: vs[0].Label, Open: vs[0].Open}}, plan, bench.Options{})
			if err != nil {
				t.Fatal(err)
			}
			k, l := crossSummary(t, real), crossSummary(t, predicted)
			kr, lr := k.Overhead.Ratio*100, l.Overhead.Ratio*100
			t.Logf("pod-pod-cross overhead at %d Mbit/s: %s cluster %.2f %% (%.1f Mbit/s), lab %s %.2f %% (%.1f Mbit/s), floor %s", shapedRate/1_000_000,
				mode, kr, k.Goodput.Median/1e6, dp, lr, l.Goodput.Median/1e6, floorOf(k))
			if k.RTTDelta != nil && l.RTTDelta != nil {
				t.Logf("pod-pod-cross RTT +: %s cluster %+.0f µs (p=%.3f), lab %s %+.0f µs (p=%.3f)", mode, k.RTTDelta.DeltaUs, k.RTTDelta.Test.P, dp, l.RTTDelta.DeltaUs, l.RTTDelta.Test.P)
			}
			if math.Abs(kr-lr) > overheadTolerance {
				t.Errorf("%s cluster's pod-pod-cross overhead %.2f %% is not the lab's %.2f %% for %s (±%.1f points)", mode, kr, lr, dp, overheadTolerance)
			}
			if k.Floor != nil && math.Abs(kr-k.Floor.Ratio*100) > overheadTolerance {
				t.Errorf("%s cluster's pod-pod-cross overhead %.2f %% is off its floor %s", mode, kr, floorOf(k))
			}
			if mode == e2e.FlannelVXLAN && (k.Floor == nil || k.Floor.Kind != stats.FloorHeaderTax) {
				t.Errorf("vxlan's floor %s, want the header tax", floorOf(k))
			}
		})
	}
}

// crossSummary is a run's pod-pod-cross TCP summary, with its overhead.
func crossSummary(t *testing.T, run *runrecord.Run) *stats.Summary {
	t.Helper()
	for i := range run.Summaries {
		s := &run.Summaries[i]
		if s.Key.Scenario == "pod-pod-cross" && s.Overhead != nil && s.Goodput != nil {
			return s
		}
	}
	t.Fatalf("no pod-pod-cross overhead in the run (%d samples)", len(run.Samples))
	return nil
}

func floorOf(s *stats.Summary) string {
	if s.Floor == nil {
		return "unknown"
	}
	return fmt.Sprintf("%s %.2f %%", s.Floor.Kind, s.Floor.Ratio*100)
}
