//go:build e2e

package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/meshrecord"
)

// TestKubeMesh runs the real command, `cnibench mesh --cluster kube`, on
// a three-node harness cluster (two nodes would make one pair, no schedule
// at all; three make three rounds with a node idle in each): every node
// pair in both directions, node-node and pod-pod-cross, each round's tests
// at once. It must complete with every
// test measured, record every node, and leave no namespace of its own
// behind.
func TestKubeMesh(t *testing.T) {
	c, cfg := setupNodes(t, modes()[0], 3)
	bin := filepath.Join(t.TempDir(), "cnibench")
	if out, err := exec.Command("go", "build", "-o", bin, "../../../cmd/cnibench").CombinedOutput(); err != nil {
		t.Fatalf("build cnibench: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "mesh", "--cluster", "kube", "--kubeconfig", c.Kubeconfig, "--image", cfg.Image,
		"--image-pull-policy", string(cfg.PullPolicy), "--duration", "2s", "--omit", "0s", "--repeats", "1", "-o", "json")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("cnibench mesh: %v\nstderr:\n%s", err, stderr.String())
	}
	t.Logf("mesh in %v; stderr:\n%s", time.Since(start).Round(time.Millisecond), stderr.String())
	var m meshrecord.Mesh
	if err := json.Unmarshal(stdout.Bytes(), &m); err != nil {
		t.Fatalf("stdout is not a mesh record: %v\n%s", err, stdout.String())
	}
	if !m.Complete || m.Cluster.Kind != "kube" || len(m.Nodes) != 3 {
		t.Errorf("record: complete %v, cluster %q, %d nodes; want complete, kube, every node", m.Complete, m.Cluster.Kind, len(m.Nodes))
	}
	if len(m.Plan.Rounds) != 3 {
		t.Errorf("%d rounds, want 3 (a round-robin of 3 nodes: each round one pair, one node idle)", len(m.Plan.Rounds))
	}
	want := len(m.Nodes) * (len(m.Nodes) - 1) * len(m.Plan.Scenarios) // every directed pair, each scenario, 1 repeat
	measured := 0
	for _, tc := range m.Tests {
		if tc.Error != "" || tc.Goodput == nil || *tc.Goodput <= 0 {
			t.Errorf("test %s %d→%d: %q", tc.Scenario, tc.From, tc.To, tc.Error)
			continue
		}
		measured++
		t.Logf("%s %s → %s: %.2f Gbit/s", tc.Scenario, m.Nodes[tc.From].Name, m.Nodes[tc.To].Name, *tc.Goodput/1e9)
	}
	if measured != want {
		t.Errorf("%d tests measured, want %d (every directed pair of %d nodes, scenarios %v)", measured, want, len(m.Nodes), m.Plan.Scenarios)
	}
	checkNoRunLeft(ctx, t, c)
}
