package meshrun

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/cluster/lab"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/mesh"
	"github.com/cnibench/cnibench/internal/meshrecord"
	"github.com/cnibench/cnibench/internal/meshreport"
	"github.com/cnibench/cnibench/internal/report"
	"github.com/cnibench/cnibench/internal/runid"
	"github.com/cnibench/cnibench/internal/testenv"
)

// TestLabMeshNamesTheSlowNode is the mesh's ground truth: an 8-node lab
// whose node-5 has its uplink shaped to a fifth of the others' rate, both
// ways. The mesh must name node-5, and only it, with evidence in both
// directions. 1 s tests, 1 repeat, node-node: 7 rounds × 2 directions of
// 4 parallel tests, about 15 s after the lab is built. It logs the wall
// time against steps × the median test's time (no assert: a loaded
// machine stretches it).
func TestLabMeshNamesTheSlowNode(t *testing.T) {
	testenv.MustBeRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const nodes, rate, slow = 8, 250e6, 50e6 // low rates: 4 tests at once stay far from this machine's CPU limit
	cfg := lab.Config{ID: runid.New()[:6], Nodes: nodes, PodsPerNode: 2, LinkRate: rate, SlowNode: 5, SlowNodeRate: slow}
	l, err := lab.Build(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(context.Background())
	eps, err := Nodes(ctx, l)
	if err != nil {
		t.Fatal(err)
	}
	m := meshrecord.New(cfg.ID, nil)
	for i := range nodes {
		m.Nodes = append(m.Nodes, meshrecord.Node{Name: lab.NodeName(i + 1)})
	}
	rounds, err := mesh.Rounds(nodes)
	if err != nil {
		t.Fatal(err)
	}
	m.Plan = meshrecord.Plan{Scenarios: []string{meshrecord.NodeNode}, Protocol: "tcp", Streams: 1, Duration: 1, Repeats: 1}
	for _, r := range rounds {
		var pairs [][2]int
		for _, p := range r {
			pairs = append(pairs, [2]int{p.A, p.B})
		}
		m.Plan.Rounds = append(m.Plan.Rounds, pairs)
	}
	spec := engine.Spec{Protocol: engine.TCP, Streams: 1, Duration: time.Second, Interval: -1, ConnectTimeout: 5 * time.Second}
	start := time.Now()
	if err := Run(ctx, l, eps, m, spec, 0, nil); err != nil {
		t.Fatal(err)
	}
	wall := time.Since(start)
	var b strings.Builder
	if _, err := meshreport.Write(m, report.Table, &b, ""); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", b.String())

	steps := len(m.Plan.Steps())
	var walls []float64
	for _, tc := range m.Tests {
		walls = append(walls, float64(tc.Wall))
		if tc.Error != "" {
			t.Errorf("%s→%s: %s", m.NodeName(tc.From), m.NodeName(tc.To), tc.Error)
		}
	}
	slices.Sort(walls)
	perTest := walls[len(walls)/2]
	t.Logf("wall time %.2fs for %d steps of %.2fs tests (median): %.3f × steps × per-test time (the target is ≤ 1.15)",
		wall.Seconds(), steps, perTest, wall.Seconds()/(float64(steps)*perTest))

	a := m.Analyze(mesh.Judging{}).Scenario(meshrecord.NodeNode)
	var named []string
	for _, n := range a.Nodes {
		if n.Outlier {
			named = append(named, n.Name)
		}
	}
	if !slices.Equal(named, []string{"node-5"}) {
		t.Fatalf("outliers %v, want [node-5]", named)
	}
	if ev := a.Outliers[0]; !strings.Contains(ev, "both directions") || !strings.Contains(ev, "below") {
		t.Errorf("evidence %q: want node-5 below the median in both directions", ev)
	}
}
