package bench

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/cnibench/cnibench/internal/cluster/lab"
	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
)

// sweepOf returns the run's curve of scenario along knob, failing the
// test when there is none.
func sweepOf(t *testing.T, run *runrecord.Run, knob, scenario string) runrecord.Sweep {
	t.Helper()
	for _, sw := range run.Sweeps {
		if sw.Knob == knob && sw.Scenario == scenario && sw.Protocol == stats.TCP {
			return sw
		}
	}
	t.Fatalf("no %s curve of %s in %d sweeps", knob, scenario, len(run.Sweeps))
	return runrecord.Sweep{}
}

// TestLabSweepPolicyRules: a --policy-rules sweep (0, 5000, 20000
// non-matching nftables rules in every node's forward path) gives a curve
// along which pod-pod-cross's idle connect RTT rises with the rule count
// (each forwarded SYN walks them), while node-node, never forwarded, stays
// where it was. Measured on the 2-core VM: pod-pod-cross about +150 µs at
// 5000 and +600 µs at 20000. 3 values × 2 scenarios × 3 repeats of 1 s.
func TestLabSweepPolicyRules(t *testing.T) {
	m := lab.Matrix{PolicyRules: []int{0, 5000, 20000}, LinkRates: []uint64{1e9}}
	run, err := labRun(t, context.Background(), m, Plan{Repeats: 3, Scenarios: []string{"node-node", "pod-pod-cross"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pod, node := sweepOf(t, run, "policy-rules", "pod-pod-cross"), sweepOf(t, run, "policy-rules", "node-node")
	if len(pod.Points) != 3 || len(node.Points) != 3 {
		t.Fatalf("%d and %d points, want 3 each", len(pod.Points), len(node.Points))
	}
	for i, p := range pod.Points {
		if p.RTTUs == nil || node.Points[i].RTTUs == nil {
			t.Fatalf("%s rules: no RTT (pod-pod-cross %v, node-node %v)", p.Label, p.RTTUs, node.Points[i].RTTUs)
		}
		t.Logf("%5s rules: pod-pod-cross RTT %.0f µs, node-node %.0f µs", p.Label, *p.RTTUs, *node.Points[i].RTTUs)
	}
	for i := 1; i < len(pod.Points); i++ {
		prev, cur := *pod.Points[i-1].RTTUs, *pod.Points[i].RTTUs
		if cur < prev+50 {
			t.Errorf("pod-pod-cross RTT %.0f µs at %s rules, want at least 50 µs above %.0f µs at %s", cur, pod.Points[i].Label, prev, pod.Points[i-1].Label)
		}
	}
	first := *node.Points[0].RTTUs
	for _, p := range node.Points[1:] {
		if d := *p.RTTUs - first; d > 100 || d < -100 {
			t.Errorf("node-node RTT moved %+.0f µs at %s rules: it is never forwarded, want it unchanged (±100 µs)", d, p.Label)
		}
	}
}

// TestLabSweepStreams: on a link shaped to 1 Gbit/s, a --streams 1,2,4,8
// sweep's aggregate goodput never falls below one stream's: more streams
// share the link, they do not lose it. Each median may lie at most 2%
// under the one-stream median (1 s tests on the quiet lab vary by under
// 1%). 4 values × 2 scenarios × 3 repeats of 1 s, about 30 s. When other
// work shares the cores, a test can lose 3% with nothing wrong in the
// datapath (measured: node-node ×4 at 928.8 against ×1 at 954.1 Mbit/s
// beside other jobs' builds), so a failing attempt is measured again, up to
// three attempts, and the test fails only when every attempt does.
func TestLabSweepStreams(t *testing.T) {
	m := lab.Matrix{LinkRates: []uint64{1e9}}
	var failures []string
	for attempt := 1; attempt <= 3; attempt++ {
		run, err := labRun(t, context.Background(), m, Plan{Repeats: 3, Streams: []int{1, 2, 4, 8}, Scenarios: []string{"node-node", "pod-pod-cross"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if failures = streamsBelowOne(t, run); len(failures) == 0 {
			return
		}
		t.Logf("attempt %d: %s", attempt, strings.Join(failures, "; "))
	}
	t.Errorf("in every attempt more streams fell below one stream's goodput: %s", strings.Join(failures, "; "))
}

// streamsBelowOne lists the points of the run's streams curves whose
// median lies more than 2% under the one-stream median.
func streamsBelowOne(t *testing.T, run *runrecord.Run) []string {
	t.Helper()
	var failures []string
	for _, sc := range []string{"node-node", "pod-pod-cross"} {
		sw := sweepOf(t, run, runrecord.StreamsKnob, sc)
		if len(sw.Points) != 4 || sw.Points[0].Value != 1 || sw.Points[0].Goodput == nil {
			t.Fatalf("%s: points %+v, want 1, 2, 4, 8 streams", sc, sw.Points)
		}
		one := *sw.Points[0].Goodput
		for _, p := range sw.Points {
			if p.Goodput == nil {
				t.Fatalf("%s ×%s: no goodput", sc, p.Label)
			}
			t.Logf("%s ×%s: %.1f Mbit/s", sc, p.Label, *p.Goodput/1e6)
			if *p.Goodput < 0.98*one {
				failures = append(failures, fmt.Sprintf("%s ×%s: %.1f Mbit/s, below one stream's %.1f Mbit/s", sc, p.Label, *p.Goodput/1e6, one/1e6))
			}
		}
		if sw.Knee != nil {
			t.Errorf("%s: knee %+v on a shaped link", sc, sw.Knee)
		}
	}
	return failures
}
