package bench

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/stats"
)

// TestRecordMapsLatency: the engine's latency result, every field set,
// comes out of the mapping with the same JSON.
func TestRecordMapsLatency(t *testing.T) {
	res := filled[engine.LatencyResult](t)
	sameJSON(t, "engine.LatencyResult", &res, recordLatency(&res))
}

// TestRunLatencyInterleaved: latency groups take their place in every
// round beside the throughput groups, each test is recorded once, the
// figures come from the cluster's results, and each scenario is compared
// with node-node's test of the same kind.
func TestRunLatencyInterleaved(t *testing.T) {
	f := &fakeCluster{nodes: 3, podsPerNode: 2}
	ev := &recorder{}
	p := Plan{Repeats: 6, Kinds: []string{Throughput, RR, CRR}, Scenarios: []string{"pod-pod-cross", "pod-clusterip"}}
	run, err := Run(context.Background(), f, p, ev)
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Samples) != 3*6 || len(run.LatencySamples) != 3*2*6 || len(ev.finished) != 3*3*6 {
		t.Fatalf("%d throughput and %d latency samples, %d finished events; want 18, 36, 54", len(run.Samples), len(run.LatencySamples), len(ev.finished))
	}
	for _, rounds := range [][]Test{p.WithDefaults().Tests()[:9], p.WithDefaults().Tests()[9:18]} {
		kinds := map[string]int{}
		for _, tt := range rounds {
			kinds[string(tt.Latency)]++
		}
		if kinds[""] != 3 || kinds["rr"] != 3 || kinds["crr"] != 3 {
			t.Errorf("a round runs %v, want 3 of each kind", kinds)
		}
	}
	for _, s := range run.LatencySamples {
		if s.Failed() || s.Result.P50Us <= 0 || s.Result.Histogram == "" || s.Result.Spec.Duration != DefaultLatencyDuration {
			t.Errorf("latency sample %+v", s)
		}
	}
	if len(run.LatencySummaries) != 6 {
		t.Fatalf("%d latency summaries, want 6", len(run.LatencySummaries))
	}
	byKey := map[stats.LatencyKey]stats.LatencySummary{}
	for _, s := range run.LatencySummaries {
		byKey[s.LatencyKey] = s
	}
	base := byKey[stats.LatencyKey{Scenario: "node-node", Test: "crr"}]
	svc := byKey[stats.LatencyKey{Scenario: "pod-clusterip", Test: "crr"}]
	if !base.Baseline || base.P50Delta != nil || svc.P50Delta == nil {
		t.Fatalf("baseline %+v, pod-clusterip %+v", base, svc)
	}
	// The fake: node-node crr 3×50 µs; pod-clusterip 3×(50+5+10) µs.
	if d := svc.P50Delta; d.DeltaUs < 44.5 || d.DeltaUs > 45.5 || !d.Significant || d.Factor < 1.29 || d.Factor > 1.31 {
		t.Errorf("pod-clusterip crr p50 delta %+v, want +45 µs, ×1.3, significant", d)
	}
}

// TestRunLatencyFailureRecorded: a failed latency test is recorded with
// its error and no figure, and its group has none either.
func TestRunLatencyFailureRecorded(t *testing.T) {
	f := &fakeCluster{nodes: 2, podsPerNode: 2, failTarget: cluster.ClusterIPTarget}
	run, err := Run(context.Background(), f, Plan{Repeats: 2, Kinds: []string{RR}, Scenarios: []string{"pod-clusterip"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Samples) != 0 || len(run.LatencySamples) != 4 {
		t.Fatalf("%d throughput, %d latency samples", len(run.Samples), len(run.LatencySamples))
	}
	failed := 0
	for _, s := range run.LatencySamples {
		if s.Failed() {
			failed++
			if s.Result != nil || !strings.Contains(s.Error, "connection refused") {
				t.Errorf("failed sample %+v", s)
			}
		}
	}
	if failed != 2 || run.FailedLatencySamples() != 2 {
		t.Errorf("%d failed samples, want 2", failed)
	}
	for _, s := range run.LatencySummaries {
		if s.Scenario == "pod-clusterip" && (s.Status != stats.StatusFailed || s.P50Us != nil || s.P50Delta != nil) {
			t.Errorf("summary of a failed group %+v", s)
		}
	}
}

// TestPlanKinds: the kinds of test are validated and recorded.
func TestPlanKinds(t *testing.T) {
	for _, tc := range []struct {
		kinds []string
		d     time.Duration
		err   string
	}{
		{[]string{"throughput", "rr", "crr", "udp-rr"}, 0, ""},
		{[]string{"rr"}, time.Second, ""},
		{[]string{"tcp_rr"}, 0, `unknown test "tcp_rr": use throughput, rr, crr, udp-rr, rr-load or udp-max`},
		{[]string{"rr", "rr"}, 0, `test "rr" is listed twice`},
		{[]string{}, 0, "no tests"},
		{[]string{"rr"}, time.Millisecond, "latency duration 1ms: use 10ms..1m0s"},
	} {
		p := Plan{Kinds: tc.kinds, LatencyDuration: tc.d}.WithDefaults()
		err := p.Validate()
		if (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%v %v: %v, want %q", tc.kinds, tc.d, err, tc.err)
		}
	}
	rp := Plan{Kinds: []string{RR}}.WithDefaults().Record()
	if len(rp.Tests) != 1 || rp.LatencyDuration.String() != "500ms" {
		t.Errorf("recorded %v %v", rp.Tests, rp.LatencyDuration)
	}
	if rp := (Plan{}).WithDefaults().Record(); rp.Tests != nil || rp.LatencyDuration != 0 {
		t.Errorf("a throughput plan records %v %v", rp.Tests, rp.LatencyDuration)
	}
}

// TestResumeLatency: a resumed run measures the latency tests the killed
// one lacks, and only those.
func TestResumeLatency(t *testing.T) {
	plan := Plan{Repeats: 2, Kinds: []string{Throughput, RR}, Scenarios: []string{"pod-pod-cross"}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ev := &recorder{onFinish: func(p Progress) {
		if p.Index == 3 {
			cancel()
		}
	}}
	first, err := Run(ctx, &fakeCluster{nodes: 2, podsPerNode: 2}, plan, ev)
	if err == nil || len(first.Samples)+len(first.LatencySamples) != 3 {
		t.Fatalf("first attempt: %v, %d+%d samples", err, len(first.Samples), len(first.LatencySamples))
	}
	res, err := RunVariants(context.Background(), []Variant{{Cluster: &fakeCluster{nodes: 2, podsPerNode: 2}}}, plan,
		Options{Resume: first, Events: &recorder{}})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[testID]int{}
	for _, s := range res.LatencySamples {
		seen[idOfLatency(s.Variant, s.Scenario, s.Test, s.Repeat)]++
	}
	if !res.Complete || len(res.Samples) != 4 || len(res.LatencySamples) != 4 || len(seen) != 4 {
		t.Errorf("complete %v, %d throughput and %d latency samples (%d distinct), want 4 and 4", res.Complete, len(res.Samples), len(res.LatencySamples), len(seen))
	}
}

// TestRunLatencyUnderLoad: rr-load runs rr while the cluster runs a bulk
// stream between the same endpoints (the fake doubles latency then), and
// its row says what the load adds to the scenario's idle rr. (The fake's
// streams last 2 s, as the shortest load stream does: 8 of them.)
func TestRunLatencyUnderLoad(t *testing.T) {
	f := &fakeCluster{nodes: 2, podsPerNode: 2, duration: 2 * time.Second}
	p := Plan{Repeats: 4, Kinds: []string{RR, RRLoad}, Scenarios: []string{"pod-pod-cross"}, LatencyDuration: 20 * time.Millisecond}
	run, err := Run(context.Background(), f, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if run.FailedLatencySamples() != 0 || len(run.LatencySamples) != 2*2*4 {
		t.Fatalf("%d latency samples, %d failed", len(run.LatencySamples), run.FailedLatencySamples())
	}
	loads := 0
	for _, c := range f.Calls() {
		if strings.HasPrefix(c, "client pod-1a direct") {
			loads++
		}
	}
	if loads != 4 {
		t.Errorf("%d load streams from pod-1a, want one per rr-load test (4)", loads)
	}
	// idle rr: node-node 30+20 = 50 µs, pod-pod-cross 30+5+20 = 55 µs; under load twice that
	adds := map[string]float64{"node-node": 50, "pod-pod-cross": 55}
	for _, s := range run.LatencySummaries {
		if s.Test != RRLoad {
			if s.LoadP50Delta != nil {
				t.Errorf("%s %s has a load delta", s.Scenario, s.Test)
			}
			continue
		}
		if d, want := s.LoadP50Delta, adds[s.Scenario]; d == nil || d.DeltaUs < want-1 || d.DeltaUs > want+1 || d.Test.P > 0.03 {
			t.Errorf("%s: load adds %+v, want +%v µs with the smallest p of 4 against 4", s.Scenario, d, want)
		}
	}
}
