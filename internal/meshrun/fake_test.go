package meshrun

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/mesh"
	"github.com/cnibench/cnibench/internal/meshrecord"
)

// fakeMesh is a cluster of n nodes with two pods each whose tests measure
// the slower of the two nodes' rates; it fails the test when a node is in
// two tests at once, and counts how many ran at once.
type fakeMesh struct {
	t     *testing.T
	rates []float64
	fail  map[[2]string]bool // from node, to node: the test fails

	// atOnce is how many tests each step should run at once: each test
	// waits (up to a second) for the others of its step to start, so a
	// mesh that ran them one by one shows as most = 1.
	atOnce int

	mu      sync.Mutex
	busy    map[string]bool
	running int
	most    int
}

func (f *fakeMesh) Info(context.Context) (cluster.Info, error) {
	return cluster.Info{Kind: "fake", Name: "fake"}, nil
}

func (f *fakeMesh) Endpoints(context.Context) ([]cluster.Endpoint, error) {
	var eps []cluster.Endpoint
	for i := range f.rates {
		n := fmt.Sprintf("node-%d", i+1)
		eps = append(eps, cluster.Endpoint{Name: n, Node: n, Kind: cluster.NodeEndpoint, Addrs: []netip.Addr{netip.AddrFrom4([4]byte{198, 18, 0, byte(i + 1)})}})
	}
	for i := range f.rates {
		n := fmt.Sprintf("node-%d", i+1)
		for j, l := range "ab" {
			eps = append(eps, cluster.Endpoint{Name: fmt.Sprintf("pod-%d%c", i+1, l), Node: n, Kind: cluster.PodEndpoint,
				Addrs: []netip.Addr{netip.AddrFrom4([4]byte{198, 19, byte(i + 1), byte(10 + j)})}})
		}
	}
	return eps, nil
}

type fakeServer struct{ ep cluster.Endpoint }

func (s fakeServer) Endpoint() cluster.Endpoint { return s.ep }
func (s fakeServer) Target() cluster.Target {
	return cluster.Target{Kind: cluster.DirectTarget, Addr: netip.AddrPortFrom(s.ep.Addrs[0], 5201), Backend: s.ep}
}
func (s fakeServer) Stop(context.Context) error { return nil }

func (f *fakeMesh) StartServer(_ context.Context, ep cluster.Endpoint, _ int) (cluster.Server, error) {
	return fakeServer{ep}, nil
}

func (f *fakeMesh) Expose(context.Context, cluster.Server) ([]cluster.Target, error) { return nil, nil }

func (f *fakeMesh) rate(node string) float64 {
	var i int
	fmt.Sscanf(node, "node-%d", &i)
	return f.rates[i-1]
}

func (f *fakeMesh) RunClient(ctx context.Context, from cluster.Endpoint, to cluster.Target, spec engine.Spec) (*engine.Result, error) {
	a, b := from.Node, to.Backend.Node
	f.mu.Lock()
	if f.busy[a] || f.busy[b] {
		f.t.Errorf("%s→%s while a node is in another test", a, b)
	}
	if from.Kind == cluster.PodEndpoint && (from.Name[len(from.Name)-1] != 'b' || to.Backend.Name[len(to.Backend.Name)-1] != 'a') {
		f.t.Errorf("pod test %s→%s: want client pod b, server pod a", from.Name, to.Backend.Name)
	}
	f.busy[a], f.busy[b] = true, true
	f.running++
	f.most = max(f.most, f.running)
	f.mu.Unlock()
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		f.mu.Lock()
		all := f.most >= f.atOnce
		f.mu.Unlock()
		if all {
			break
		}
	}
	defer func() {
		f.mu.Lock()
		f.busy[a], f.busy[b] = false, false
		f.running--
		f.mu.Unlock()
	}()
	if f.fail[[2]string{a, b}] {
		return nil, fmt.Errorf("connect %s: refused", to.Addr)
	}
	r := &engine.Result{}
	r.SumReceived.BitsPerSecond = math.Min(f.rate(a), f.rate(b))
	return r, nil
}

func (f *fakeMesh) RunLatency(context.Context, cluster.Endpoint, cluster.Target, engine.LatencySpec) (*engine.LatencyResult, error) {
	return nil, fmt.Errorf("not in the fake")
}

func (f *fakeMesh) Path(context.Context, cluster.Endpoint, cluster.Target) (cluster.Path, error) {
	return cluster.Path{}, nil
}

func (f *fakeMesh) Close(context.Context) error { return nil }

// newRecord is a record of n nodes with the full tournament, or k sampled peers.
func newRecord(t *testing.T, n, k int, scenarios ...string) *meshrecord.Mesh {
	m := meshrecord.New("test", nil)
	for i := range n {
		m.Nodes = append(m.Nodes, meshrecord.Node{Name: fmt.Sprintf("node-%d", i+1)})
	}
	rounds, err := mesh.Rounds(n)
	if k > 0 {
		rounds, err = mesh.Sample(n, k, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	m.Plan = meshrecord.Plan{Scenarios: scenarios, Protocol: "tcp", Streams: 1, Duration: 1, Repeats: 2}
	for _, r := range rounds {
		var pairs [][2]int
		for _, p := range r {
			pairs = append(pairs, [2]int{p.A, p.B})
		}
		m.Plan.Rounds = append(m.Plan.Rounds, pairs)
	}
	return m
}

func TestRunSchedulesAndRecords(t *testing.T) {
	for _, tc := range []struct {
		name      string
		n         int
		scenarios []string
	}{
		{"even, both scenarios", 6, meshrecord.Scenarios},
		{"odd, node-node", 7, []string{meshrecord.NodeNode}},
		{"two nodes, pods", 2, []string{meshrecord.PodPodCross}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeMesh{t: t, rates: make([]float64, tc.n), busy: map[string]bool{}, atOnce: tc.n / 2, fail: map[[2]string]bool{{"node-1", "node-2"}: true}}
			for i := range f.rates {
				f.rates[i] = 1e9
			}
			f.rates[1] = 2e8 // node-2
			eps, err := Nodes(context.Background(), f)
			if err != nil {
				t.Fatal(err)
			}
			m := newRecord(t, tc.n, 0, tc.scenarios...)
			var saved []int
			if err := Run(context.Background(), f, eps, m, engine.Spec{}, 0, &recordEvents{saved: &saved}); err != nil {
				t.Fatal(err)
			}
			if !m.Complete || m.Cluster.Kind != "fake" {
				t.Errorf("complete %v, cluster %+v", m.Complete, m.Cluster)
			}
			want := tc.n * (tc.n - 1) * len(tc.scenarios) * m.Plan.Repeats
			if len(m.Tests) != want {
				t.Errorf("%d tests, want %d", len(m.Tests), want)
			}
			if len(saved) != len(m.Plan.Steps()) || !slices.IsSorted(saved) {
				t.Errorf("saved after steps %v, want each of %d", saved, len(m.Plan.Steps()))
			}
			if f.most != tc.n/2 {
				t.Errorf("at most %d tests at once, want %d", f.most, tc.n/2)
			}
			failed := 0
			for _, tt := range m.Tests {
				if tt.Goodput == nil {
					failed++
					if tt.From != 0 || tt.To != 1 || tt.Error == "" {
						t.Errorf("failed test %+v", tt)
					}
				}
			}
			if failed != len(tc.scenarios)*m.Plan.Repeats {
				t.Errorf("%d failed tests, want node-1→node-2 in each scenario and repeat", failed)
			}
		})
	}
}

type recordEvents struct{ saved *[]int }

func (recordEvents) StepStarted(int, int, meshrecord.Step, int) {}
func (e *recordEvents) StepFinished(i, _ int, m *meshrecord.Mesh) {
	*e.saved = append(*e.saved, len(m.Tests))
}

func TestRunInterrupted(t *testing.T) {
	f := &fakeMesh{t: t, rates: []float64{1e9, 1e9, 1e9, 1e9}, busy: map[string]bool{}}
	eps, _ := Nodes(context.Background(), f)
	m := newRecord(t, 4, 0, meshrecord.NodeNode)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Run(ctx, f, eps, m, engine.Spec{}, 0, nil)
	if !errors.Is(err, ErrInterrupted) || m.Complete || m.Error == "" {
		t.Errorf("cancelled: %v, complete %v, error %q", err, m.Complete, m.Error)
	}
}
