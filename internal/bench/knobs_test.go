package bench

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/engine"
)

// TestSweepVariantsShareCluster: a --msg-size and --mss sweep crosses each
// cluster variant with every value; the values of one cluster variant run
// on one cluster, opened once and closed once after its last value, and
// every test's spec carries its variant's size and MSS.
func TestSweepVariantsShareCluster(t *testing.T) {
	fakes := map[string]*fakeCluster{}
	opens := 0
	mk := func(label string) Variant {
		return Variant{Label: label, Open: func(context.Context) (cluster.Cluster, error) {
			opens++
			fakes[label] = &fakeCluster{nodes: 2, podsPerNode: 1}
			return fakes[label], nil
		}}
	}
	vs := SweepVariants([]Variant{mk("datapath=a"), mk("datapath=b")}, []int{64, 1 << 20}, []int{536, 1400})
	var labels []string
	for _, v := range vs {
		labels = append(labels, v.Label)
	}
	want := []string{
		"datapath=a,msg-size=64,mss=536", "datapath=a,msg-size=64,mss=1400", "datapath=a,msg-size=1M,mss=536", "datapath=a,msg-size=1M,mss=1400",
		"datapath=b,msg-size=64,mss=536", "datapath=b,msg-size=64,mss=1400", "datapath=b,msg-size=1M,mss=536", "datapath=b,msg-size=1M,mss=1400",
	}
	if !slices.Equal(labels, want) {
		t.Fatalf("labels %v, want %v", labels, want)
	}
	run, err := RunVariants(context.Background(), vs, Plan{Repeats: 1, Scenarios: []string{"pod-node"}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if opens != 2 {
		t.Errorf("%d clusters built, want 2 (one per cluster variant)", opens)
	}
	for label, f := range fakes {
		calls := f.Calls()
		if n := strings.Count(strings.Join(calls, "\n"), "close"); n != 1 || calls[len(calls)-1] != "close" {
			t.Errorf("%s: closed %d times, last call %q; want once, at the end", label, n, calls[len(calls)-1])
		}
	}
	if len(run.Samples) != 8*2 || run.FailedSamples() != 0 {
		t.Fatalf("%d samples, %d failed", len(run.Samples), run.FailedSamples())
	}
	for _, s := range run.Samples {
		wantLen, wantMSS := 64, 536
		if strings.Contains(s.Variant, "msg-size=1M") {
			wantLen = 1 << 20
		}
		if strings.Contains(s.Variant, "mss=1400") {
			wantMSS = 1400
		}
		if s.Result.Spec.Length != wantLen || s.Result.Spec.MSS != wantMSS {
			t.Errorf("%s: spec length %d MSS %d, want %d %d", s.Variant, s.Result.Spec.Length, s.Result.Spec.MSS, wantLen, wantMSS)
		}
	}
	if run.Plan.TCPWrite != 0 {
		t.Errorf("plan.tcp_write %d with a message-size sweep: no one size is the run's", run.Plan.TCPWrite)
	}
}

func TestSweepVariantsNoSweep(t *testing.T) {
	vs := []Variant{{Label: "datapath=a"}}
	if got := SweepVariants(vs, []int{64}, nil); len(got) != 1 || got[0].Label != "datapath=a" || got[0].Share != "" {
		t.Errorf("one value is not a sweep: %+v", got)
	}
	p := Plan{Protocols: []engine.Protocol{engine.UDP}}
	for _, k := range []Knobs{{MsgSize: 8}, {MSS: 1400}, {MSS: 40}} {
		if err := p.CheckKnobs(k); err == nil {
			t.Errorf("%+v on UDP: no error", k)
		}
	}
}
