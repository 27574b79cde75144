package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
)

func TestRunRecordsEveryTest(t *testing.T) {
	f := &fakeCluster{nodes: 3, podsPerNode: 2}
	ev := &recorder{}
	p := Plan{Repeats: 3, Protocols: []engine.Protocol{"tcp", "udp"}}
	run, err := Run(context.Background(), f, p, ev)
	if err != nil {
		t.Fatal(err)
	}
	want := p.WithDefaults().Tests()
	if len(run.Samples) != len(want) || len(want) != 9*2*3 {
		t.Fatalf("%d samples, want %d", len(run.Samples), len(want))
	}
	for i, s := range run.Samples {
		w := want[i]
		if s.Scenario != w.Scenario.Name || string(s.Protocol) != string(w.Protocol) || s.Repeat != w.Repeat || s.Streams != w.Streams || s.Round != w.Repeat {
			t.Fatalf("sample %d is %s %s #%d, plan says %v", i, s.Scenario, s.Protocol, s.Repeat, w)
		}
		if s.Failed() || s.End.Before(s.Start) || string(s.TargetKind) != string(w.Scenario.Target) {
			t.Errorf("sample %d: %+v", i, s)
		}
	}
	if !run.Complete || run.End.IsZero() || len(run.Summaries) != 18 || f.overlap.Load() {
		t.Errorf("complete %v, end %v, %d summaries, overlap %v", run.Complete, run.End, len(run.Summaries), f.overlap.Load())
	}
	if got := run.Plan.Nodes; !slices.Equal(got, []string{"node-1", "node-2"}) {
		t.Errorf("nodes %v", got)
	}
	// Endpoints per scenario.
	route := map[string]string{}
	for _, s := range run.Samples {
		route[s.Scenario] = s.From + ">" + s.To + " " + string(s.TargetKind)
	}
	for sc, r := range map[string]string{
		"node-node": "node-1>node-2 direct", "pod-node": "pod-1a>node-2 direct", "node-pod": "node-1>pod-2a direct",
		"pod-pod-cross": "pod-1a>pod-2a direct", "node-node-same": "node-1>node-1 direct", "pod-pod-same": "pod-1a>pod-1b direct",
		"pod-clusterip": "pod-1a>pod-2a clusterip", "pod-nodeport": "pod-1a>pod-2a nodeport", "pod-hairpin": "pod-1a>pod-1a clusterip",
	} {
		if route[sc] != r {
			t.Errorf("%s ran %s, want %s", sc, route[sc], r)
		}
	}
	// One server per server endpoint, one Service, the IPv4 ClusterIP and
	// the NodePort of the server's node; everything stopped, nothing closed
	// (the caller owns the cluster).
	calls := strings.Join(f.Calls(), "\n")
	for _, c := range []string{"start node-2:5201", "start node-1:5201", "start pod-2a:5201", "start pod-1b:5201", "start pod-1a:5201", "expose pod-2a", "expose pod-1a",
		"client pod-1a clusterip 198.18.128.10:5201", "client pod-1a nodeport 198.18.0.2:30000", "stop node-2", "stop pod-2a", "stop pod-1b"} {
		if !strings.Contains(calls, c) {
			t.Errorf("no call %q in:\n%s", c, calls)
		}
	}
	for _, c := range []string{"start node-2", "start pod-2a", "expose pod-2a"} {
		if n := strings.Count(calls, c); n != 1 {
			t.Errorf("%q %d times", c, n)
		}
	}
	if strings.Contains(calls, "close") {
		t.Error("Run closed a cluster it does not own")
	}
	if len(run.Paths) != 9 || run.Path("", "node-node").Datapath != "host" || run.Path("", "node-node-same").UnderlayMTU != 0 {
		t.Errorf("paths %+v", run.Paths)
	}
	// Progress: every test started and finished, in order, with counts.
	if len(ev.started) != len(want) || len(ev.finished) != len(want) {
		t.Fatalf("%d started, %d finished", len(ev.started), len(ev.finished))
	}
	for i, pr := range ev.finished {
		if pr.Index != i+1 || pr.Total != len(want) || pr.Sample == nil || pr.Rate() <= 0 || pr.Run == nil {
			t.Errorf("progress %d: %+v", i, pr)
		}
	}
	if last := ev.finished[len(ev.finished)-1]; last.Remaining != 0 {
		t.Errorf("remaining after the last test: %v", last.Remaining)
	}
	// Overhead against the same run's baseline of the same protocol.
	s := run.Summary(runrecord.Sample{Scenario: "pod-pod-cross", Protocol: "udp", Streams: 1}.Key())
	if s == nil || s.Overhead == nil || s.Overhead.Ratio < 0.049 || s.Overhead.Ratio > 0.051 || s.Overhead.Method != stats.MethodPairedLogRatio || s.Overhead.Rounds != 3 {
		t.Errorf("pod-pod-cross udp summary %+v", s)
	}
	checkBaselines(t, run)
}

// defaultScenarios is how many scenarios a plan that names none runs.
func defaultScenarios() int { return len(Plan{}.ScenarioList()) }

// checkBaselines checks that each summary of run is compared with the
// bare path over the same resources: same-node paths (20× faster in the
// fake, as on the shaped lab) with node-node-same, the others with
// node-node, so every pod path costs the fake's 5% (not −1800%); that the
// summary and the plan name it; and that a same-node path's floor is 0.
func checkBaselines(t *testing.T, run *runrecord.Run) {
	t.Helper()
	for _, s := range run.Summaries {
		sc, err := LookupScenario(s.Scenario)
		if err != nil {
			t.Fatal(err)
		}
		want := sc.BaselineName()
		if s.BaselineScenario != want || run.Plan.BaselineOf(s.Scenario) != want {
			t.Errorf("%s: summary compares with %q, plan with %q, want %s", s.Key, s.BaselineScenario, run.Plan.BaselineOf(s.Scenario), want)
		}
		switch {
		case sc.IsBaseline():
			if !s.Baseline || s.Overhead != nil {
				t.Errorf("%s: a baseline, summary %+v", s.Key, s)
			}
		case s.Overhead == nil:
			t.Errorf("%s: no overhead: %v", s.Key, s.Warnings)
		case sc.From == cluster.PodEndpoint && (s.Overhead.Ratio < 0.049 || s.Overhead.Ratio > 0.051):
			t.Errorf("%s: overhead %.4f, want the fake's 0.05", s.Key, s.Overhead.Ratio)
		}
		if sc.staysOnNode() && !sc.IsBaseline() && (s.Floor == nil || s.Floor.Ratio != 0 || s.Floor.Kind != "none") {
			t.Errorf("%s: floor %+v, want 0 (nothing crosses a link)", s.Key, s.Floor)
		}
	}
}

func TestFailedTestsDoNotStopTheRun(t *testing.T) {
	f := &fakeCluster{nodes: 2, podsPerNode: 2, failTarget: cluster.NodePortTarget}
	run, err := Run(context.Background(), f, Plan{Repeats: 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Samples) != 2*defaultScenarios() || run.FailedSamples() != 2 || !run.Complete {
		t.Fatalf("%d samples, %d failed, complete %v", len(run.Samples), run.FailedSamples(), run.Complete)
	}
	for _, s := range run.Samples {
		if s.Scenario == "pod-nodeport" && (s.Result != nil || !strings.Contains(s.Error, "connection refused")) {
			t.Errorf("failed sample %+v", s)
		}
	}
}

func TestServerThatCannotStartFailsItsTests(t *testing.T) {
	f := &fakeCluster{nodes: 2, podsPerNode: 2}
	f.servers = map[string]bool{"pod-2a": true} // port taken
	run, err := Run(context.Background(), f, Plan{Repeats: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	failed := map[string]string{}
	for _, s := range run.Samples {
		if s.Failed() {
			failed[s.Scenario] = s.Error
		}
	}
	want := []string{"node-pod", "pod-pod-cross", "pod-clusterip", "pod-nodeport"}
	if len(failed) != len(want) {
		t.Fatalf("failed %v", failed)
	}
	for _, w := range want {
		if !strings.Contains(failed[w], "start server on pod-2a: address in use") {
			t.Errorf("%s: %q", w, failed[w])
		}
	}
}

func TestUnsupportedScenarios(t *testing.T) {
	for _, tc := range []struct {
		name     string
		f        *fakeCluster
		plan     Plan
		skipped  []string
		errorHas string
	}{
		{"one pod per node skips pod-pod-same", &fakeCluster{nodes: 2, podsPerNode: 1}, Plan{}, []string{"pod-pod-same"}, ""},
		{"one pod per node and no Services skip pod-pod-same and its baseline", &fakeCluster{nodes: 2, podsPerNode: 1, noServices: true}, Plan{},
			[]string{"node-node-same", "pod-pod-same", "pod-clusterip", "pod-nodeport", "pod-hairpin"}, ""},
		{"no Services skips them", &fakeCluster{nodes: 2, podsPerNode: 2, noServices: true}, Plan{}, []string{"pod-clusterip", "pod-nodeport", "pod-hairpin"}, ""},
		{"no pods at all", &fakeCluster{nodes: 2}, Plan{}, []string{"pod-node", "node-pod", "pod-pod-cross", "node-node-same", "pod-pod-same", "pod-clusterip", "pod-nodeport", "pod-hairpin"}, ""},
		{"no external server", &fakeCluster{nodes: 2, podsPerNode: 2}, Plan{Scenarios: []string{"pod-external"}}, nil,
			"scenario node-external cannot run here: node-external needs a server outside the cluster, and the cluster has none"},
		{"asked for but impossible", &fakeCluster{nodes: 2, podsPerNode: 1}, Plan{Scenarios: []string{"pod-pod-same"}}, nil,
			"scenario pod-pod-same cannot run here: pod-pod-same needs 2 pod(s) on node-1, the cluster has 1"},
		{"asked for a Service", &fakeCluster{nodes: 2, podsPerNode: 1, noServices: true}, Plan{Scenarios: []string{"pod-nodeport"}}, nil,
			"scenario pod-nodeport cannot run here: the cluster offers no nodeport Service"},
		{"one node", &fakeCluster{nodes: 1, podsPerNode: 2}, Plan{}, nil, "the baseline needs two nodes, the cluster has node-1"},
		{"unknown node", &fakeCluster{nodes: 3}, Plan{Nodes: []string{"node-1", "node-9"}}, nil, `no node "node-9": the cluster has node-1, node-2, node-3`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev := &recorder{}
			p := tc.plan
			p.Repeats = 2
			run, err := Run(context.Background(), tc.f, p, ev)
			if tc.errorHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errorHas) {
					t.Fatalf("error %v, want %q", err, tc.errorHas)
				}
				if run == nil || run.Complete {
					t.Errorf("run %v: want a record marked incomplete", run)
				}
				if n := len(tc.f.servers); n != 0 {
					t.Errorf("%d servers left running", n)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ran := map[string]bool{}
			for _, s := range run.Samples {
				ran[s.Scenario] = true
			}
			notes := strings.Join(ev.notes, "\n")
			for _, sk := range tc.skipped {
				if ran[sk] || !strings.Contains(notes, "skipping "+sk+": ") {
					t.Errorf("%s: ran %v, notes %q", sk, ran[sk], notes)
				}
			}
			if want := defaultScenarios() - len(tc.skipped); len(ran) != want {
				t.Errorf("ran %d scenarios, want %d", len(ran), want)
			}
			if last := ev.finished[len(ev.finished)-1]; last.Index != last.Total || last.Total != len(run.Samples) {
				t.Errorf("progress ends at %d/%d with %d samples", last.Index, last.Total, len(run.Samples))
			}
		})
	}
}

// TestSameNodeBaseline: node-node-same runs with the same-node scenarios
// (in the plan's interleaved rounds, one repeat per round like every
// group), from node A's host network to A's own address, and is the
// baseline pod-pod-same is compared with; named alone it is measured even
// when nothing is compared with it.
func TestSameNodeBaseline(t *testing.T) {
	f := &fakeCluster{nodes: 2, podsPerNode: 2}
	run, err := Run(context.Background(), f, Plan{Repeats: 4, Scenarios: []string{"pod-pod-same", "pod-pod-cross"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"node-node", "pod-pod-cross", "node-node-same", "pod-pod-same"}; !slices.Equal(run.Plan.Scenarios, want) {
		t.Errorf("plan %v, want %v", run.Plan.Scenarios, want)
	}
	rounds := map[int][]string{}
	for _, s := range run.Samples {
		rounds[s.Repeat] = append(rounds[s.Repeat], s.Scenario)
		if s.Scenario == "node-node-same" && (s.From != "node-1" || s.To != "node-1" || s.Failed()) {
			t.Errorf("node-node-same sample %+v", s)
		}
	}
	for r := 1; r <= 4; r++ {
		if got := rounds[r]; len(got) != 4 || !slices.Contains(got, "node-node-same") {
			t.Errorf("round %d ran %v, want every scenario once", r, got)
		}
	}
	checkBaselines(t, run)

	f = &fakeCluster{nodes: 2, podsPerNode: 1}
	run, err = Run(context.Background(), f, Plan{Repeats: 1, Scenarios: []string{"node-node-same"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Samples) != 2 || run.Samples[0].Failed() || run.Samples[1].Failed() {
		t.Errorf("samples %+v", run.Samples)
	}
}

func TestChosenNodes(t *testing.T) {
	f := &fakeCluster{nodes: 3, podsPerNode: 2}
	run, err := Run(context.Background(), f, Plan{Repeats: 1, Nodes: []string{"node-3", "node-1"}, Scenarios: []string{"pod-pod-cross", "pod-pod-same"}, Order: Sequential}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range run.Samples {
		got = append(got, s.From+">"+s.To)
	}
	if want := []string{"node-3>node-1", "pod-3a>pod-1a", "node-3>node-3", "pod-3a>pod-3b"}; !slices.Equal(got, want) {
		t.Errorf("routes %v, want %v", got, want)
	}
}

// TestCancel: cancelling mid-test stops it, stops the servers, closes the
// cluster the runner opened, and returns the finished tests marked
// incomplete.
func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := &fakeCluster{nodes: 2, podsPerNode: 2, duration: 20 * time.Millisecond}
	ev := &recorder{}
	ev.onFinish = func(p Progress) {
		if p.Index == 5 {
			go func() { time.Sleep(5 * time.Millisecond); cancel() }()
		}
	}
	v := Variant{Label: "x", Open: func(context.Context) (cluster.Cluster, error) { return f, nil }}
	w := v
	w.Label = "y"
	start := time.Now()
	run, err := RunVariants(ctx, []Variant{v, w}, Plan{Repeats: 5}, Options{Events: ev})
	if !errors.Is(err, ErrInterrupted) || !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want ErrInterrupted wrapping context.Canceled", err)
	}
	if time.Since(start) > time.Second {
		t.Errorf("took %v to stop", time.Since(start))
	}
	if run == nil || run.Complete || len(run.Samples) != 5 || run.FailedSamples() != 0 || run.End.IsZero() {
		t.Fatalf("partial run: %+v", run)
	}
	if len(run.Summaries) == 0 {
		t.Error("partial run not summarised")
	}
	calls := f.Calls()
	if calls[len(calls)-1] != "close" || len(f.servers) != 0 {
		t.Errorf("calls end %v, servers left %v", calls[len(calls)-4:], f.servers)
	}
	var buf bytes.Buffer
	if err := runrecord.Write(&buf, run); err != nil {
		t.Fatal(err)
	}
	back, err := runrecord.Read(&buf)
	if err != nil || back.Complete || len(back.Samples) != 5 {
		t.Fatalf("partial JSON: %v %+v", err, back)
	}
}

// TestCancelDuringSetup: a setup step that fails because of the
// interruption fails no test: the run just stops.
func TestCancelDuringSetup(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	f := &fakeCluster{nodes: 2, podsPerNode: 2, expose: func(context.Context) error { cancel(); return context.Canceled }}
	run, err := Run(ctx, f, Plan{}, nil)
	if !errors.Is(err, ErrInterrupted) || run.Complete || len(run.Samples) != 0 || len(f.servers) != 0 {
		t.Fatalf("err %v, %d samples, servers left %v", err, len(run.Samples), f.servers)
	}
}

func TestCancelBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	opened := false
	v := Variant{Open: func(context.Context) (cluster.Cluster, error) { opened = true; return &fakeCluster{nodes: 2}, nil }}
	run, err := RunVariants(ctx, []Variant{v}, Plan{}, Options{})
	if !errors.Is(err, ErrInterrupted) || opened || run.Complete || len(run.Samples) != 0 {
		t.Fatalf("err %v, opened %v, run %+v", err, opened, run)
	}
}

// TestVariantsOneAtATime: each variant's cluster is opened when its turn
// comes and closed before the next one opens; a variant that cannot be
// opened fails its tests and the run goes on.
func TestVariantsOneAtATime(t *testing.T) {
	var log []string
	open := 0
	mk := func(name string, fail bool) Variant {
		return Variant{Label: "datapath=" + name, Open: func(context.Context) (cluster.Cluster, error) {
			if fail {
				return nil, errors.New("kernel says no")
			}
			if open != 0 {
				t.Errorf("%s opened while another cluster is open", name)
			}
			open++
			log = append(log, "open "+name)
			return &closeHook{fakeCluster: &fakeCluster{nodes: 2, podsPerNode: 2}, close: func() { open--; log = append(log, "close "+name) }}, nil
		}}
	}
	ev := &recorder{}
	run, err := RunVariants(context.Background(), []Variant{mk("routed", false), mk("ipip", true), mk("vxlan", false)},
		Plan{Repeats: 1, Scenarios: []string{"pod-pod-cross"}}, Options{Events: ev, ID: "abc", CommandLine: []string{"cnibench", "run"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"open routed", "close routed", "open vxlan", "close vxlan"}; !slices.Equal(log, want) {
		t.Errorf("log %v, want %v", log, want)
	}
	if got := run.Variants(); !slices.Equal(got, []string{"datapath=routed", "datapath=ipip", "datapath=vxlan"}) {
		t.Errorf("variants %v", got)
	}
	if run.FailedSamples() != 2 || !run.Complete || run.ID != "abc" || run.CommandLine[1] != "run" {
		t.Errorf("failed %d, complete %v, id %q", run.FailedSamples(), run.Complete, run.ID)
	}
	if !slices.Equal(run.Plan.Variants, []string{"datapath=routed", "datapath=ipip", "datapath=vxlan"}) {
		t.Errorf("plan variants %v", run.Plan.Variants)
	}
	infos, ok := run.Cluster.Details.([]variantInfo)
	if !ok || len(infos) != 2 || infos[1].Variant != "datapath=vxlan" {
		t.Errorf("cluster details %#v", run.Cluster.Details)
	}
	if !strings.Contains(strings.Join(ev.notes, "\n"), "datapath=ipip: every test fails: open cluster: kernel says no") {
		t.Errorf("notes %q", ev.notes)
	}
}

type closeHook struct {
	*fakeCluster
	close func()
}

func (c *closeHook) Close(ctx context.Context) error { c.close(); return c.fakeCluster.Close(ctx) }

func TestRunRejectsBadPlans(t *testing.T) {
	if _, err := Run(context.Background(), &fakeCluster{nodes: 2}, Plan{Repeats: -1}, nil); err == nil || !strings.Contains(err.Error(), "plan: repeats -1") {
		t.Errorf("error %v", err)
	}
	if _, err := Run(context.Background(), &fakeCluster{nodes: 2}, Plan{Variants: []string{"a", "b"}}, nil); err == nil {
		t.Error("Run accepted two variants for one cluster")
	}
}

// TestIntervalsReachEvents: the intervals the cluster's client reports
// reach Events between the test's TestStarted and TestFinished.
func TestIntervalsReachEvents(t *testing.T) {
	ev := &recorder{}
	_, err := Run(context.Background(), &fakeCluster{nodes: 2, podsPerNode: 1}, Plan{Repeats: 2, Scenarios: []string{"pod-node"}, Order: Sequential}, ev)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := 1; i <= 4; i++ {
		want = append(want, fmt.Sprintf("start %d", i), fmt.Sprintf("interval %d", i), fmt.Sprintf("interval %d", i), fmt.Sprintf("finish %d", i))
	}
	if !slices.Equal(ev.order, want) {
		t.Errorf("events %v, want %v", ev.order, want)
	}
	if !slices.Equal(ev.intervals, []float64{0.5e9, 1e9, 0.5e9, 1e9, 0.475e9, 0.95e9, 0.475e9, 0.95e9}) {
		t.Errorf("interval rates %v", ev.intervals)
	}
}

// TestClusterWarnings: the cluster's warnings are announced as notes and
// kept in the record once each; with several variants, each variant's are
// kept and name it.
func TestClusterWarnings(t *testing.T) {
	mtu := "MTU mismatch on node-1: pod MTU 1500 > 1450; set --pod-mtu to 1450"
	other := "something else worth knowing"
	plan := Plan{Repeats: 1, Scenarios: []string{"pod-pod-cross"}}

	ev := &recorder{}
	run, err := Run(context.Background(), &fakeCluster{nodes: 2, podsPerNode: 1, warnings: []string{mtu, other, mtu}}, plan, ev)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{mtu, other}; !slices.Equal(run.Cluster.Warnings, want) {
		t.Errorf("warnings %q, want %q", run.Cluster.Warnings, want)
	}
	notes := strings.Join(ev.notes, "\n")
	if strings.Count(notes, "warning: "+mtu) != 1 || strings.Count(notes, "warning: "+other) != 1 {
		t.Errorf("notes %q", ev.notes)
	}

	mk := func(label string, warnings ...string) Variant {
		return Variant{Label: label, Cluster: &fakeCluster{nodes: 2, podsPerNode: 1, warnings: warnings}}
	}
	ev = &recorder{}
	run, err = RunVariants(context.Background(), []Variant{mk("pod-mtu=1500", mtu, mtu), mk("pod-mtu=1450"), mk("pod-mtu=1600", mtu, other)}, plan, Options{Events: ev})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"pod-mtu=1500: " + mtu, "pod-mtu=1600: " + mtu, "pod-mtu=1600: " + other}
	if !slices.Equal(run.Cluster.Warnings, want) {
		t.Errorf("warnings %q, want %q", run.Cluster.Warnings, want)
	}
	notes = strings.Join(ev.notes, "\n")
	for _, w := range want {
		if strings.Count(notes, "warning: "+w) != 1 {
			t.Errorf("notes %q lack %q once", ev.notes, w)
		}
	}
}

// TestClusterFacts: a single cluster's facts are kept as they are; with
// several variants every variant's are kept, each naming its variant.
func TestClusterFacts(t *testing.T) {
	plan := Plan{Repeats: 1, Scenarios: []string{"pod-pod-cross"}}
	run, err := Run(context.Background(), &fakeCluster{nodes: 2, podsPerNode: 1, facts: []string{"Kubernetes v1.34.4", "CNI flannel"}}, plan, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Kubernetes v1.34.4", "CNI flannel"}; !slices.Equal(run.Cluster.Facts, want) {
		t.Errorf("facts %q, want %q", run.Cluster.Facts, want)
	}
	mk := func(label string, facts ...string) Variant {
		return Variant{Label: label, Cluster: &fakeCluster{nodes: 2, podsPerNode: 1, facts: facts}}
	}
	run, err = RunVariants(context.Background(), []Variant{mk("datapath=routed", "datapath routed"), mk("datapath=vxlan", "datapath vxlan")}, plan, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"datapath=routed: datapath routed", "datapath=vxlan: datapath vxlan"}; !slices.Equal(run.Cluster.Facts, want) {
		t.Errorf("facts %q, want %q", run.Cluster.Facts, want)
	}
}

// TestNewPaths places and binds issue 14's paths: the hairpin's server is
// its client, exposed; the remote NodePort's backend is the second pod on
// A and its NodePort B's; the external rows reach the cluster's external
// endpoint, compared with node-external.
func TestNewPaths(t *testing.T) {
	f := &fakeCluster{nodes: 3, podsPerNode: 2, external: true}
	run, err := Run(context.Background(), f, Plan{Repeats: 4, Scenarios: []string{"pod-hairpin", "pod-nodeport-remote", "pod-external"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"node-node", "node-node-same", "pod-hairpin", "pod-nodeport-remote", "node-external", "pod-external"}; !slices.Equal(run.Plan.Scenarios, want) {
		t.Errorf("plan %v, want %v", run.Plan.Scenarios, want)
	}
	route := map[string]string{}
	for _, s := range run.Samples {
		if s.Failed() {
			t.Errorf("%s failed: %s", s.Scenario, s.Error)
		}
		route[s.Scenario] = s.From + ">" + s.To + " " + string(s.TargetKind)
	}
	for sc, r := range map[string]string{
		"pod-hairpin": "pod-1a>pod-1a clusterip", "pod-nodeport-remote": "pod-1a>pod-1b nodeport",
		"node-external": "node-1>external direct", "pod-external": "pod-1a>external direct",
	} {
		if route[sc] != r {
			t.Errorf("%s ran %s, want %s", sc, route[sc], r)
		}
	}
	calls := strings.Join(f.Calls(), "\n")
	for _, c := range []string{"start pod-1a:5201", "expose pod-1a", "client pod-1a clusterip 198.18.128.10:5201",
		"start pod-1b:5201", "expose pod-1b", "client pod-1a nodeport 198.18.0.2:30000", "start external:5201",
		"client node-1 direct 198.18.0.254:5201", "client pod-1a direct 198.18.0.254:5201", "stop external"} {
		if !strings.Contains(calls, c) {
			t.Errorf("no call %q in:\n%s", c, calls)
		}
	}
	checkBaselines(t, run)
	if p := run.Path("", "pod-nodeport-remote"); p.UnderlayMTU == 0 {
		t.Errorf("pod-nodeport-remote path %+v: it crosses the link", p)
	}
	for _, s := range run.Summaries {
		hop := len(s.Warnings) > 0 && s.Warnings[0].Code == stats.NoteExtraHop
		if hop != (s.Scenario == "pod-nodeport-remote") {
			t.Errorf("%s: warnings %+v, want the extra-hop note first on pod-nodeport-remote only", s.Key, s.Warnings)
		}
	}
}

func TestNodePortNode(t *testing.T) {
	pr := pair{a: cluster.Endpoint{Name: "node-1"}, b: cluster.Endpoint{Name: "node-2"}}
	for _, tc := range []struct {
		placement Placement
		via       NodePortVia
		want      string
	}{
		{CrossNode, ViaBackendNode, "node-2"},
		{CrossNode, ViaOtherNode, "node-1"},
		{SameNode, ViaBackendNode, "node-1"},
		{SameNode, ViaOtherNode, "node-2"},
		{Self, ViaOtherNode, "node-2"},
	} {
		if got := pr.nodePortNode(Scenario{Placement: tc.placement, Via: tc.via}).Name; got != tc.want {
			t.Errorf("%s via %q: %s, want %s", tc.placement, tc.via, got, tc.want)
		}
	}
	for _, tc := range []struct {
		s    string
		want string
	}{
		{"pod-hairpin", "pod on A → ClusterIP → itself"},
		{"pod-nodeport-remote", "pod on A → NodePort of B → pod on A"},
		{"pod-nodeport", "pod on A → NodePort of B → pod on B"},
		{"pod-external", "pod on A → a server outside the cluster"},
		{"node-external", "A → a server outside the cluster"},
	} {
		sc, _ := LookupScenario(tc.s)
		if got := sc.Route("A", "B"); got != tc.want {
			t.Errorf("%s: route %q, want %q", tc.s, got, tc.want)
		}
	}
}
