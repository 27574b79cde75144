//go:build e2e

package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/cluster/kube"
	"github.com/cnibench/cnibench/internal/runrecord"
	e2e "github.com/cnibench/cnibench/test/e2e/cluster"
	"github.com/cnibench/cnibench/test/e2e/clustertest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestKubePolicies runs the real `cnibench run --cluster kube --policies
// 0,100` on the harness's flannel-vxlan cluster: without a NetworkPolicy
// enforcer the sweep is refused, saying why, before any test and with
// nothing left behind; with kube-router as the firewall it runs and the
// record holds a curve along policies. The cluster keeps kube-router
// after it (with CNIBENCH_E2E_REUSE=1 too, recorded in its state).
func TestKubePolicies(t *testing.T) {
	c, cfg := setup(t, e2e.FlannelVXLAN)
	if c.External {
		t.Skip("switches the harness cluster's enforcer; KUBECONFIG names another cluster")
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := e2e.SetPolicy(ctx, c.State, e2e.PolicyNone, log); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "cnibench")
	if out, err := exec.Command("go", "build", "-o", bin, "../../../cmd/cnibench").CombinedOutput(); err != nil {
		t.Fatalf("build cnibench: %v\n%s", err, out)
	}
	run := func() ([]byte, string, error) {
		cmd := exec.CommandContext(ctx, bin, "run", "--cluster", "kube", "--kubeconfig", c.Kubeconfig, "--image", cfg.Image,
			"--image-pull-policy", string(cfg.PullPolicy), "--policies", "0,100", "--scenarios", "node-node,pod-pod-cross",
			"--duration", "2s", "--omit", "0s", "--repeats", "1", "-o", "json")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.Bytes(), stderr.String(), err
	}

	start := time.Now()
	_, stderr, err := run()
	t.Logf("without an enforcer, in %v: %v; stderr:\n%s", time.Since(start).Round(time.Millisecond), err, stderr)
	if err == nil {
		t.Fatal("the sweep ran on a cluster that enforces no NetworkPolicy")
	}
	for _, want := range []string{"does not enforce NetworkPolicy", "a deny policy did not block a probe", "kube-router"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("the refusal does not say %q", want)
		}
	}
	if strings.Contains(stderr, "policies=0") {
		t.Error("a test ran before the refusal")
	}
	checkNoRunLeft(ctx, t, c)

	if err := e2e.SetPolicy(ctx, c.State, e2e.PolicyKubeRouter, log); err != nil {
		t.Fatal(err)
	}
	// kube-router stays until the cluster goes down (its rules with the
	// nodes): v2.1.0's --cleanup-config leaves its chains (docs/e2e.md).
	start = time.Now()
	stdout, stderr, err := run()
	if err != nil {
		t.Fatalf("with kube-router: %v\nstderr:\n%s", err, stderr)
	}
	t.Logf("with kube-router, in %v; stderr:\n%s", time.Since(start).Round(time.Millisecond), stderr)
	var rec runrecord.Run
	if err := json.Unmarshal(stdout, &rec); err != nil {
		t.Fatalf("stdout is not a run record: %v\n%s", err, stdout)
	}
	if want := []string{"policies=0", "policies=100"}; !slices.Equal(rec.Plan.Variants, want) {
		t.Errorf("variants %v, want %v", rec.Plan.Variants, want)
	}
	for _, s := range rec.Samples {
		if s.Result == nil {
			t.Errorf("%s %s: %s", s.Variant, s.Scenario, s.Error)
		}
	}
	var knobs []string
	for _, sw := range rec.Sweeps {
		knobs = append(knobs, sw.Knob+" "+sw.Scenario)
		for _, p := range sw.Points {
			if p.Goodput != nil {
				t.Logf("%s %s=%s: %.2f Gbit/s", sw.Scenario, sw.Knob, p.Label, *p.Goodput/1e9)
			}
		}
	}
	if !slices.Contains(knobs, "policies pod-pod-cross") {
		t.Errorf("no policies sweep of pod-pod-cross in the record: %v", knobs)
	}
	checkNoRunLeft(ctx, t, c)
}

// checkNoRunLeft fails when a run's namespace is still there, not being deleted.
func checkNoRunLeft(ctx context.Context, t *testing.T, c *clustertest.Cluster) {
	t.Helper()
	list, err := c.Client.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: kube.LabelManagedBy + "=" + kube.ManagedBy})
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range list.Items {
		if ns.DeletionTimestamp == nil {
			t.Errorf("namespace %s is still there after the run", ns.Name)
		}
	}
}
