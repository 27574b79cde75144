//go:build e2e

package kube

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/bench"
	"github.com/cnibench/cnibench/internal/cluster/kube"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/testenv"
	e2e "github.com/cnibench/cnibench/test/e2e/cluster"
	corev1 "k8s.io/api/core/v1"
)

// EnvIperf3Image names a stock iperf3 image on a KUBECONFIG cluster (e.g.
// networkstatic/iperf3); the harness's clusters get Debian's iperf3 packed
// and imported.
const EnvIperf3Image = "CNIBENCH_E2E_IPERF3_IMAGE"

// TestKubeServerImage serves with a stock iperf3 (--server-image): node,
// pod and Service scenarios over TCP and UDP complete, and the servers'
// own logs show that iperf3, not cnibench, accepted the tests.
func TestKubeServerImage(t *testing.T) {
	c, cfg := setup(t, modes()[0])
	cfg.ServerImage = os.Getenv(EnvIperf3Image)
	if c.External && cfg.ServerImage == "" {
		testenv.SkipOrFail(t, "set "+EnvIperf3Image+" to a stock iperf3 image the cluster can pull, e.g. networkstatic/iperf3")
	}
	if !c.External {
		tar := filepath.Join(t.TempDir(), "iperf3.tar")
		if err := e2e.WriteIperf3Image(tar); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := e2e.ImportImage(ctx, c.State, tar); err != nil {
			t.Fatal(err)
		}
		cfg.ServerImage = e2e.Iperf3Image
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	kc, err := kube.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close(context.Background())
	plan := bench.Plan{
		Scenarios: []string{"node-node", "pod-pod-cross", "pod-clusterip", "pod-nodeport"},
		Protocols: []engine.Protocol{engine.TCP, engine.UDP}, Duration: time.Second, Repeats: 1, UDPRate: 100_000_000,
	}
	run, err := bench.Run(ctx, kc, plan, nil)
	if err != nil {
		t.Fatal(err)
	}
	servers := map[string]bool{}
	for _, s := range run.Samples {
		if s.Error != "" || s.Result == nil || s.Result.Goodput() <= 0 {
			t.Errorf("%s %s: %s", s.Scenario, s.Protocol, s.Error)
			continue
		}
		t.Logf("%s %s %s → %s (%s): %.2f Gbit/s", s.Scenario, s.Protocol, s.From, s.To, s.TargetKind, s.Result.Goodput()/1e9)
		servers[podOf(kc, s.To)] = true
	}
	if len(run.Samples) != 8 {
		t.Errorf("%d samples, want 4 scenarios × TCP, UDP", len(run.Samples))
	}
	for pod := range servers {
		logs, err := c.Client.CoreV1().Pods(kc.Namespace()).GetLogs(pod, &corev1.PodLogOptions{Container: "iperf3"}).DoRaw(ctx)
		if err != nil {
			t.Errorf("logs of %s's iperf3: %v", pod, err)
			continue
		}
		if n := strings.Count(string(logs), "Accepted connection from"); n == 0 {
			t.Errorf("%s: iperf3 accepted no test; its log:\n%s", pod, logs)
		} else {
			t.Logf("%s: iperf3 accepted %d tests", pod, n)
		}
	}
}

// podOf is the pod serving an endpoint: node endpoints, named after
// their node, are the hostNetwork pods host-1 and host-2.
func podOf(kc *kube.Cluster, endpoint string) string {
	for i, n := range kc.NodeChoice().Nodes {
		if n == endpoint {
			return fmt.Sprintf("host-%d", i+1)
		}
	}
	return endpoint
}
