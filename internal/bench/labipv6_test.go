package bench

import (
	"context"
	"math"
	"testing"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/cluster/lab"
	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
	"github.com/cnibench/cnibench/internal/testenv"
)

// TestLabGroundTruthIPv6: over IPv6 on a dual-stack vxlan lab shaped to
// 500 Mbit/s, node-node and pod-pod-cross measure rate × (MTU − tax − 72)
// / (MTU + 14): IPv6's 40-byte header (72 with TCP and its timestamps)
// where IPv4 has 20 (52), and vxlan's outer header over the lab's IPv4
// underlay (50), within the reported 95% CI or 3% (short of it under load:
// measured again, testenv.UnlessStarved); and the floor charges the same
// bytes. About 15 s.
func TestLabGroundTruthIPv6(t *testing.T) {
	const rate = 500e6
	const variant = "datapath=vxlan,ip-family=IPv6"
	m := lab.Matrix{Base: lab.Config{DualStack: true}, Datapaths: []lab.Datapath{lab.VXLAN}, LinkRates: []uint64{rate}}
	var run *runrecord.Run
	testenv.UnlessStarved(t, func() (over, short []string) {
		var err error
		run, err = labRun(t, context.Background(), m, Plan{Repeats: 5, Scenarios: []string{"node-node", "pod-pod-cross"}}, nil, cluster.IPv6)
		if err != nil {
			t.Fatal(err)
		}
		for _, sc := range []string{"node-node", "pod-pod-cross"} {
			s := summary(t, run, variant, sc)
			p := run.Path(variant, sc)
			if p == nil || p.IPFamily != 6 || p.UnderlayFamily == 0 {
				t.Fatalf("%s: path %+v, want ip_family 6 and an underlay family", sc, p)
			}
			over, short = groundTruthMiss(t, sc, s.Goodput, rate*float64(p.UnderlayMTU-p.HeaderTax-72)/float64(p.UnderlayMTU+14), over, short)
		}
		return over, short
	})
	if t.Skipped() {
		return
	}
	if run.Plan.IPFamilies[variant] != 6 {
		t.Errorf("plan's ip_families %v, want %s: 6", run.Plan.IPFamilies, variant)
	}
	for _, sm := range run.Samples {
		if sm.Result != nil && sm.Result.Remote != "" && sm.Result.Remote[0] != '[' {
			t.Errorf("%s #%d connected to %s, not an IPv6 address", sm.Scenario, sm.Repeat, sm.Result.Remote)
		}
	}
	pp := summary(t, run, variant, "pod-pod-cross")
	p := run.Path(variant, "pod-pod-cross")
	if f := pp.Floor; f == nil || f.Kind != stats.FloorHeaderTax || f.HeaderBytes != 72 || f.HeaderTax != 50 || p.UnderlayFamily != 4 {
		t.Errorf("pod-pod-cross floor %+v over underlay family %d, want header-tax 50 (IPv4 outer) on 72 header bytes (IPv6 + TCP + timestamps)", f, p.UnderlayFamily)
	} else if want := 1 - float64(p.MTU-72)/float64(p.UnderlayMTU-72); math.Abs(f.Ratio-want) > 1e-9 {
		t.Errorf("floor %.4f, want %.4f", f.Ratio, want)
	}
}
