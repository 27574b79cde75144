package bench

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/runrecord"
)

func TestScenarioTable(t *testing.T) {
	if Scenarios[0].Name != runrecord.BaselineScenario || Baseline().Name != "node-node" {
		t.Fatalf("the first row must be the baseline, got %s", Scenarios[0].Name)
	}
	want := []string{"node-node", "pod-node", "node-pod", "pod-pod-cross", "node-node-same", "pod-pod-same", "pod-clusterip", "pod-nodeport",
		"pod-hairpin", "pod-nodeport-remote", "node-external", "pod-external"}
	if got := ScenarioNames(); !slices.Equal(got, want) {
		t.Errorf("scenarios %v, want %v", got, want)
	}
	if got, want := OnRequestNames(), []string{"pod-nodeport-remote", "node-external", "pod-external"}; !slices.Equal(got, want) {
		t.Errorf("on request %v, want %v", got, want)
	}
	// Each row's baseline: the bare path over the same resources.
	baselines := map[string]string{"node-node": "node-node", "pod-node": "node-node", "node-pod": "node-node", "pod-pod-cross": "node-node",
		"node-node-same": "node-node-same", "pod-pod-same": "node-node-same", "pod-clusterip": "node-node", "pod-nodeport": "node-node",
		"pod-hairpin": "node-node-same", "pod-nodeport-remote": "node-node", "node-external": "node-external", "pod-external": "node-external"}
	for _, s := range Scenarios {
		if got := s.BaselineName(); got != baselines[s.Name] {
			t.Errorf("%s is compared with %s, want %s", s.Name, got, baselines[s.Name])
		}
		if s.IsBaseline() != (s.Name == s.BaselineName()) {
			t.Errorf("%s: IsBaseline %v, but its baseline is %s", s.Name, s.IsBaseline(), s.BaselineName())
		}
		b, err := LookupScenario(s.BaselineName())
		if err != nil || b.staysOnNode() != s.staysOnNode() || b.To == cluster.ExternalEndpoint != (s.To == cluster.ExternalEndpoint) || !b.IsBaseline() {
			t.Errorf("%s: baseline %s (%v) is not a baseline over the same resources", s.Name, s.BaselineName(), err)
		}
		if !s.OnRequest && b.OnRequest {
			t.Errorf("%s is in the default set, its baseline %s is not", s.Name, b.Name)
		}
	}
	for _, s := range Scenarios {
		if !slices.Contains([]cluster.EndpointKind{cluster.NodeEndpoint, cluster.PodEndpoint}, s.From) ||
			!slices.Contains([]cluster.EndpointKind{cluster.NodeEndpoint, cluster.PodEndpoint, cluster.ExternalEndpoint}, s.To) {
			t.Errorf("%s: bad kinds %s → %s", s.Name, s.From, s.To)
		}
		if !slices.Contains([]Placement{CrossNode, SameNode, Self}, s.Placement) || (s.Placement == Self && s.From != s.To) {
			t.Errorf("%s: bad placement %q", s.Name, s.Placement)
		}
		if s.Target != cluster.DirectTarget && s.To != cluster.PodEndpoint {
			t.Errorf("%s: a Service's backend must be a pod", s.Name)
		}
		if s.Via != ViaBackendNode && s.Target != cluster.NodePortTarget {
			t.Errorf("%s: a NodePort's node on a %s row", s.Name, s.Target)
		}
		if s.About == "" {
			t.Errorf("%s: no description", s.Name)
		}
	}
}

func TestLookupScenario(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"pod-pod-cross", ""},
		{"pod-pod", `did you mean pod-node or node-pod or pod-pod-cross or pod-pod-same?`},
		{"pod-clusterp", "did you mean pod-clusterip?"},
		{"service", `unknown scenario "service": use one of node-node, pod-node,`},
	} {
		_, err := LookupScenario(tc.name)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want it to contain %q", tc.name, err, tc.want)
		}
	}
}

func TestPlanValidate(t *testing.T) {
	ok := Plan{}.WithDefaults()
	for _, tc := range []struct {
		name string
		edit func(p *Plan)
		want []string // substrings of the error; none = valid
	}{
		{"defaults", func(p *Plan) {}, nil},
		{"everything listed", func(p *Plan) {
			p.Scenarios, p.Protocols, p.Streams = ScenarioNames(), []engine.Protocol{"tcp", "udp"}, []int{1, 4}
			p.Nodes, p.Omit, p.Order = []string{"node-2", "node-1"}, time.Second, Sequential
		}, nil},
		{"unknown scenario", func(p *Plan) { p.Scenarios = []string{"pod-pod"} }, []string{`unknown scenario "pod-pod"`, "did you mean"}},
		{"scenario twice", func(p *Plan) { p.Scenarios = []string{"pod-node", "pod-node"} }, []string{`scenario "pod-node" is listed twice`}},
		{"empty scenario list", func(p *Plan) { p.Scenarios = []string{} }, []string{"no scenarios"}},
		{"protocol", func(p *Plan) { p.Protocols = []engine.Protocol{"sctp"} }, []string{`unknown protocol "sctp": use tcp, udp or tcp,udp`}},
		{"no protocol", func(p *Plan) { p.Protocols = nil }, []string{"no protocol"}},
		{"streams", func(p *Plan) { p.Streams = []int{0, 129} }, []string{"streams 0: use 1..128", "streams 129"}},
		{"fractional duration", func(p *Plan) { p.Duration = 1500 * time.Millisecond }, []string{"duration 1.5s: iperf3's protocol carries whole seconds; use e.g. 2s"}},
		{"short duration", func(p *Plan) { p.Duration = 500 * time.Millisecond }, []string{"duration 500ms: use at least 1s"}},
		{"omit", func(p *Plan) { p.Omit = 300 * time.Millisecond }, []string{"omit 300ms: iperf3's protocol carries whole seconds"}},
		{"negative omit", func(p *Plan) { p.Omit = -time.Second }, []string{"omit -1s"}},
		{"too long", func(p *Plan) { p.Duration = 2 * time.Hour }, []string{"at most 1h0m0s"}},
		{"repeats", func(p *Plan) { p.Repeats = 0 }, []string{"repeats 0: use at least 1 (4 or more for a significance test, 6 by default)"}},
		{"one node", func(p *Plan) { p.Nodes = []string{"node-1"} }, []string{"name exactly two nodes"}},
		{"same node twice", func(p *Plan) { p.Nodes = []string{"node-1", "node-1"} }, []string{"name two different nodes"}},
		{"tcp message", func(p *Plan) { p.MsgSize = 2 << 20 }, []string{"TCP writes at most 1048576 bytes"}},
		{"udp message", func(p *Plan) { p.Protocols, p.MsgSize = []engine.Protocol{"udp"}, 8 }, []string{"UDP datagrams carry 16..65507 bytes"}},
		{"order", func(p *Plan) { p.Order = "random" }, []string{`order "random": use interleaved or sequential`}},
		{"all at once", func(p *Plan) { p.Repeats, p.Order = -1, "x" }, []string{"repeats -1", `order "x"`}},
		{"discard with tcp and udp", func(p *Plan) { p.Discard, p.Protocols = true, []engine.Protocol{"tcp", "udp"} }, nil},
		{"discard without tcp", func(p *Plan) { p.Discard, p.Protocols = true, []engine.Protocol{"udp"} }, []string{"discard drops what TCP throughput tests receive", "drop --discard"}},
		{"discard without throughput", func(p *Plan) { p.Discard, p.Kinds = true, []string{RR} }, []string{"discard drops what TCP throughput tests receive"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := ok
			p.Protocols, p.Streams = slices.Clone(ok.Protocols), slices.Clone(ok.Streams)
			tc.edit(&p)
			err := p.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestScenarioSelection(t *testing.T) {
	for _, tc := range []struct {
		name     string
		asked    []string
		want     []string
		warnings []string
	}{
		{"the default set by default", nil, []string{"node-node", "pod-node", "node-pod", "pod-pod-cross", "node-node-same", "pod-pod-same", "pod-clusterip", "pod-nodeport", "pod-hairpin"}, nil},
		{"every one named", ScenarioNames(), ScenarioNames(), nil},
		{"external baseline added", []string{"pod-external"}, []string{"node-node", "node-external", "pod-external"},
			[]string{"added node-node:", "added node-external: scenarios out of the cluster are compared with node A's host network"}},
		{"remote NodePort compared with node-node", []string{"pod-nodeport-remote"}, []string{"node-node", "pod-nodeport-remote"}, []string{"added node-node:"}},
		{"hairpin compared with node-node-same", []string{"pod-hairpin"}, []string{"node-node", "node-node-same", "pod-hairpin"}, []string{"added node-node:", "added node-node-same:"}},
		{"baseline added", []string{"pod-pod-cross"}, []string{"node-node", "pod-pod-cross"}, []string{"added node-node"}},
		{"table order", []string{"pod-nodeport", "node-node", "pod-node"}, []string{"node-node", "pod-node", "pod-nodeport"}, nil},
		{"same-node baseline added", []string{"pod-pod-same"}, []string{"node-node", "node-node-same", "pod-pod-same"},
			[]string{"added node-node:", "added node-node-same: same-node scenarios are compared with two host processes on their node"}},
		{"same-node baseline named", []string{"node-node", "pod-pod-same", "node-node-same"}, []string{"node-node", "node-node-same", "pod-pod-same"}, nil},
		{"no same-node scenario, no same-node baseline", []string{"node-node", "pod-pod-cross", "pod-clusterip"}, []string{"node-node", "pod-pod-cross", "pod-clusterip"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := Plan{Scenarios: tc.asked}.WithDefaults()
			var got []string
			for _, s := range p.ScenarioList() {
				got = append(got, s.Name)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("scenarios %v, want %v", got, tc.want)
			}
			ws := strings.Join(p.Warnings(), "\n")
			for _, w := range tc.warnings {
				if !strings.Contains(ws, w) {
					t.Errorf("warnings %q lack %q", ws, w)
				}
			}
			if len(tc.warnings) == 0 && ws != "" {
				t.Errorf("unexpected warnings %q", ws)
			}
		})
	}
	if w := (Plan{RealCluster: true}).WithDefaults().Warnings(); len(w) != 1 || !strings.Contains(w[0], "--omit 0 on a real cluster") {
		t.Errorf("kube without omit: %v", w)
	}
	if w := (Plan{RealCluster: true, Omit: time.Second}).WithDefaults().Warnings(); len(w) != 0 {
		t.Errorf("kube with omit: %v", w)
	}
	if w := (Plan{Repeats: 3}).WithDefaults().Warnings(); len(w) != 1 || !strings.Contains(w[0], "significance test can never") {
		t.Errorf("3 repeats: warnings %q", w)
	}
}

// names renders tests compactly: "node-node/tcp/1#1".
func names(tests []Test) []string {
	var s []string
	for _, t := range tests {
		n := fmt.Sprintf("%s/%s/%d#%d", t.Scenario.Name, t.Protocol, t.Streams, t.Repeat)
		if t.Variant != "" {
			n = t.Variant + ":" + n
		}
		s = append(s, n)
	}
	return s
}

func TestTestsOrder(t *testing.T) {
	three := []string{"node-node", "pod-node", "pod-pod-cross"}
	for _, tc := range []struct {
		name string
		plan Plan
		want []string
	}{
		{"sequential", Plan{Scenarios: three[:2], Repeats: 2, Order: Sequential}, []string{
			"node-node/tcp/1#1", "node-node/tcp/1#2", "pod-node/tcp/1#1", "pod-node/tcp/1#2",
		}},
		{"variants one after the other", Plan{Scenarios: three[:1], Repeats: 2, Variants: []string{"a", "b"}}, []string{
			"a:node-node/tcp/1#1", "a:node-node/tcp/1#2", "b:node-node/tcp/1#1", "b:node-node/tcp/1#2",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.plan.WithDefaults()
			if err := p.Validate(); err != nil {
				t.Fatal(err)
			}
			if got := names(p.Tests()); !slices.Equal(got, tc.want) {
				t.Errorf("order:\n got %v\nwant %v", got, tc.want)
			}
			// only an interleaved order has rounds, one per repeat
			for _, tt := range p.Tests() {
				if want := map[bool]int{true: tt.Repeat, false: 0}[p.Order == Interleaved]; tt.Round != want {
					t.Errorf("%v: round %d, want %d", tt, tt.Round, want)
				}
			}
		})
	}
}

// TestInterleavingResistsDrift: every group runs once per round, every
// group's mean position over the rounds is the same (exactly for an odd
// number of groups or an even number of rounds, within 1/rounds otherwise),
// so a steady drift biases no scenario against the baseline; the order is
// random within rounds, reproducible from the seed, and changes with it.
func TestInterleavingResistsDrift(t *testing.T) {
	for _, tc := range []struct {
		groups, rounds int
	}{{7, 5}, {7, 6}, {7, 1}, {7, 3}, {14, 6}, {14, 5}, {2, 3}, {3, 7}, {1, 4}} {
		orders := roundOrders(tc.groups, tc.rounds, 42, "v")
		if len(orders) != tc.rounds {
			t.Fatalf("%+v: %d rounds", tc, len(orders))
		}
		sum := make([]int, tc.groups)
		for _, o := range orders {
			if got := slices.Sorted(slices.Values(o)); len(o) != tc.groups || got[0] != 0 || got[len(got)-1] != tc.groups-1 || len(slices.Compact(got)) != tc.groups {
				t.Fatalf("%+v: round %v is not an order of every group", tc, o)
			}
			for pos, g := range o {
				sum[g] += pos
			}
		}
		want := float64(tc.groups-1) / 2
		tol := 1e-9
		switch {
		case tc.rounds == 1:
			tol = want
		case tc.groups%2 == 0 && tc.rounds%2 == 1:
			tol = 1/float64(tc.rounds) + 1e-9
		}
		for g, s := range sum {
			if mean := float64(s) / float64(tc.rounds); math.Abs(mean-want) > tol {
				t.Errorf("%+v: group %d's mean position %.2f, want %.2f ± %.2f", tc, g, mean, want, tol)
			}
		}
	}
	a, b := roundOrders(7, 6, 1, ""), roundOrders(7, 6, 2, "")
	if !slices.EqualFunc(a, roundOrders(7, 6, 1, ""), slices.Equal) || slices.EqualFunc(a, b, slices.Equal) {
		t.Error("the order is not reproducible from the seed, or does not change with it")
	}
	// the default plan: repeat r runs in round r
	p := Plan{Protocols: []engine.Protocol{"tcp", "udp"}}.WithDefaults()
	groups := p.Groups("")
	for i, tt := range p.Tests() {
		if tt.Repeat != i/len(groups)+1 {
			t.Fatalf("test %d (%v) is repeat %d in round %d", i, tt, tt.Repeat, i/len(groups)+1)
		}
	}
}

func TestWriteTests(t *testing.T) {
	p := Plan{Variants: []string{"datapath=routed", "datapath=vxlan"}, Protocols: []engine.Protocol{"tcp", "udp"}, Repeats: 2,
		Nodes: []string{"node-1", "node-2"}}.WithDefaults()
	var b bytes.Buffer
	if err := WriteTests(&b, p); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	n := len(p.Tests())
	if n != 2*9*2*2 {
		t.Fatalf("%d tests", n)
	}
	for _, want := range []string{
		"72 tests, one at a time: 2 variant(s) × 9 scenarios × tcp,udp × 1 stream(s) × 2 repeats, interleaved order",
		"UDP at 500 Mbit/s per stream",
		"note: 2 repeats: with fewer than 4 the significance test can never call a difference real",
		"#   VARIANT          SCENARIO        PROTO  STREAMS  REPEAT  ROUTE",
		"1   datapath=routed  node-node-same  udp    1        1/2     node-1 → node-1", // seed 1's order
		"4   datapath=routed  node-node       tcp    1        1/2     node-1 → node-2",
		"pod on node-1 → ClusterIP → itself",
		"not in the default set, run only when named: pod-nodeport-remote, node-external, pod-external",
		"datapath=vxlan   node-node-same  tcp    1        2/2     node-1 → node-1",
		"pod on node-1 → NodePort of node-2 → pod on node-2",
		"pod on node-1 → ClusterIP → pod on node-2",
		"pod on node-1 → pod on node-1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("listing lacks %q:\n%s", want, out)
		}
	}
	rows := 0
	for _, l := range lines {
		if l != "" && l[0] >= '1' && l[0] <= '9' && strings.Contains(l, "datapath=") {
			rows++
		}
	}
	if rows != n {
		t.Errorf("%d rows for %d tests:\n%s", rows, n, out)
	}
	// One unlabelled variant: no variant column.
	b.Reset()
	if err := WriteTests(&b, Plan{Scenarios: []string{"node-node"}, Repeats: 1}.WithDefaults()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "1  node-node  tcp    1        1/1     A → B") {
		t.Errorf("unlabelled listing:\n%s", b.String())
	}
}

func TestSpec(t *testing.T) {
	p := Plan{Duration: 3 * time.Second, Omit: time.Second, MsgSize: 1400, Protocols: []engine.Protocol{"tcp", "udp"}}.WithDefaults()
	tcp := p.Spec(Group{Protocol: engine.TCP, Streams: 4})
	udp := p.Spec(Group{Protocol: engine.UDP, Streams: 1})
	if tcp.Rate != 0 || tcp.Streams != 4 || tcp.Duration != 3*time.Second || tcp.Omit != time.Second || tcp.Length != 1400 {
		t.Errorf("tcp spec %+v", tcp)
	}
	if udp.Rate != DefaultUDPRate {
		t.Errorf("udp rate %d", udp.Rate)
	}
	if tcp.Discard || udp.Discard {
		t.Errorf("discard without --discard: tcp %v, udp %v", tcp.Discard, udp.Discard)
	}
	d := p
	d.Discard = true
	if !d.Spec(Group{Protocol: engine.TCP, Streams: 1}).Discard || d.Spec(Group{Protocol: engine.UDP, Streams: 1}).Discard || !d.Record().Discard {
		t.Errorf("--discard: tcp %+v, udp %+v, record %v, want TCP alone to discard, and the record to say so",
			d.Spec(Group{Protocol: engine.TCP, Streams: 1}), d.Spec(Group{Protocol: engine.UDP, Streams: 1}), d.Record().Discard)
	}
	if tcp.Interval != 750*time.Millisecond || interval(10*time.Second) != time.Second || interval(time.Second) != 250*time.Millisecond {
		t.Errorf("intervals %v %v %v", tcp.Interval, interval(10*time.Second), interval(time.Second))
	}
	for _, sp := range []engine.Spec{tcp, udp} {
		if _, err := sp.Normalize(); err != nil {
			t.Errorf("engine rejects %+v: %v", sp, err)
		}
	}
	rec := p.Record()
	if rec.UDPRate != DefaultUDPRate || rec.Variants != nil || rec.Order != "interleaved" || len(rec.Scenarios) != 9 {
		t.Errorf("record %+v", rec)
	}
	for _, sc := range p.ScenarioList() {
		if rec.Baselines[sc.Name] != sc.BaselineName() || rec.BaselineOf(sc.Name) != sc.BaselineName() {
			t.Errorf("record: %s compared with %q, want %s", sc.Name, rec.Baselines[sc.Name], sc.BaselineName())
		}
	}
}
