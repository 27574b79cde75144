package kube

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/mesh"
	"github.com/cnibench/cnibench/internal/meshrecord"
	"github.com/cnibench/cnibench/internal/meshrun"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func notReady(n *corev1.Node) { n.Status.Conditions[0].Status = corev1.ConditionFalse }
func cordon(n *corev1.Node)   { n.Spec.Unschedulable = true }
func tainted(n *corev1.Node) {
	n.Spec.Taints = append(n.Spec.Taints, corev1.Taint{Key: "dedicated", Value: "gpu", Effect: corev1.TaintEffectNoSchedule})
}

func TestChooseMeshNodes(t *testing.T) {
	nodes := []corev1.Node{*node("c", "3"), *node("a", "1"), *node("b", "2", notReady), *node("d", "4", cordon), *node("e", "5", tainted), *node("f", "6")}
	for _, tc := range []struct {
		name    string
		sel     MeshSelection
		tols    []corev1.Toleration
		want    string
		skipped string
		err     string
	}{
		{name: "usable nodes by name", want: "a,c,f", skipped: "b: not Ready; d: cordoned (unschedulable); e: tainted dedicated:NoSchedule"},
		{name: "max nodes", sel: MeshSelection{MaxNodes: 2}, want: "a,c",
			skipped: "b: not Ready; d: cordoned (unschedulable); e: tainted dedicated:NoSchedule; f: beyond the first 2 usable nodes by name (max nodes)"},
		{name: "tolerated taint", tols: []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpExists}}, want: "a,c,e,f",
			skipped: "b: not Ready; d: cordoned (unschedulable)"},
		{name: "too few", sel: MeshSelection{MaxNodes: 1}, err: "a mesh needs 2 usable nodes; 1 of 6 nodes are usable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch, err := ChooseMeshNodes(nodes, tc.sel, tc.tols)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var skipped []string
			for _, s := range ch.Skipped {
				skipped = append(skipped, s.Name+": "+s.Reason)
			}
			if got := strings.Join(ch.names(), ","); got != tc.want {
				t.Errorf("nodes %s, want %s", got, tc.want)
			}
			if got := strings.Join(skipped, "; "); got != tc.skipped {
				t.Errorf("skipped %q, want %q", got, tc.skipped)
			}
		})
	}
	if _, err := ParseSelector("zone in (a"); err == nil || !strings.Contains(err.Error(), "kubectl's -l syntax") {
		t.Errorf("bad selector: %v", err)
	}
}

// TestMesh200Nodes plans a mesh of a 200-node cluster on the fake API
// server: the nodes chosen and skipped, a host, server and client pod per
// node with the zone labels recorded, every round's tests on distinct
// nodes' endpoints, a sampled mesh run through the fake exec, and
// everything deleted by Close.
func TestMesh200Nodes(t *testing.T) {
	const n = 200
	var objs []runtime.Object
	zones := []string{"eu-1a", "eu-1b", "eu-1c"}
	for i := range n + 3 {
		var mods []func(*corev1.Node)
		switch i {
		case n:
			mods = append(mods, notReady)
		case n + 1:
			mods = append(mods, cordon)
		}
		nd := node(fmt.Sprintf("node-%03d", i), fmt.Sprintf("10.0.%d.%d", i/250, i%250+1), mods...)
		nd.Labels[labelZone] = zones[i%3]
		nd.Labels[labelInstanceType] = "m5.large"
		nd.Labels["pool"] = "bench"
		if i == n+2 {
			nd.Labels["pool"] = "other" // not selected
		}
		objs = append(objs, nd)
	}
	f := newFake(t, objs...)
	cfg := f.config()
	cfg.Mesh = &MeshSelection{Selector: "pool=bench"}
	ctx := context.Background()
	c, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	mc := c.Mesh()
	if len(mc.Nodes) != n || len(mc.Skipped) != 2 || mc.Nodes[7].Zone != "eu-1b" || mc.Nodes[7].InstanceType != "m5.large" {
		t.Fatalf("%d nodes, skipped %+v, node 7 %+v", len(mc.Nodes), mc.Skipped, mc.Nodes[7])
	}
	pods, err := f.cs.CoreV1().Pods(c.Namespace()).List(ctx, metav1.ListOptions{})
	if err != nil || len(pods.Items) != 3*n {
		t.Fatalf("%d pods (%v), want %d: a host, a server and a client pod per node", len(pods.Items), err, 3*n)
	}
	nodes, err := meshrun.Nodes(ctx, c)
	if err != nil || len(nodes) != n {
		t.Fatalf("%d mesh nodes: %v", len(nodes), err)
	}
	for i, nd := range nodes {
		if nd.Host.Node != mc.Nodes[i].Name || nd.Server.Node != nd.Host.Node || nd.Client.Node != nd.Host.Node || nd.Server.Name == nd.Client.Name {
			t.Fatalf("node %d: %+v", i, nd)
		}
	}
	rounds, err := mesh.Rounds(n)
	if err != nil || len(rounds) != n-1 {
		t.Fatalf("%d rounds: %v", len(rounds), err)
	}
	for r, round := range rounds {
		busy := map[string]bool{}
		for _, p := range round {
			for _, ep := range []string{nodes[p.A].Host.Node, nodes[p.B].Host.Node} {
				if busy[ep] {
					t.Fatalf("round %d: node %s in two tests", r+1, ep)
				}
				busy[ep] = true
			}
		}
		if len(busy) != n {
			t.Fatalf("round %d: %d nodes busy, want all %d", r+1, len(busy), n)
		}
	}
	// a sampled mesh through the fake exec: 2 rounds × 2 directions × 2 scenarios of 100 tests
	m := meshrecord.New("t", nil)
	for _, nd := range mc.Nodes {
		m.Nodes = append(m.Nodes, meshrecord.Node{Name: nd.Name, Zone: nd.Zone})
	}
	sampled, err := mesh.Sample(n, 2, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	m.Plan = meshrecord.Plan{Scenarios: meshrecord.Scenarios, Repeats: 1, SamplePairs: 2}
	for _, r := range sampled {
		var pairs [][2]int
		for _, p := range r {
			pairs = append(pairs, [2]int{p.A, p.B})
		}
		m.Plan.Rounds = append(m.Plan.Rounds, pairs)
	}
	if err := meshrun.Run(ctx, c, nodes, m, engine.Spec{Protocol: engine.TCP, Duration: 1e9}, 0, nil); err != nil {
		t.Fatal(err)
	}
	if len(m.Tests) != 800 || m.Tests[0].Goodput == nil {
		t.Fatalf("%d tests, first %+v", len(m.Tests), m.Tests[0])
	}
	if a := m.Analyze(mesh.Judging{}).Scenario(meshrecord.NodeNode); len(a.Zones) != 9 || len(a.Outliers) != 0 {
		t.Errorf("zones %d, outliers %v", len(a.Zones), a.Outliers)
	}
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cs.CoreV1().Namespaces().Get(ctx, c.Namespace(), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("namespace after Close: %v", err)
	}
}
