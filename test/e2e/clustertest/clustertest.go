// Package clustertest gives an end-to-end test a ready Kubernetes cluster:
// the one KUBECONFIG names, or the harness's own (test/e2e/cluster), built
// for the test and torn down after it, or reused when CNIBENCH_E2E_REUSE=1
// so a developer iterates in seconds.
package clustertest

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/testenv"
	"github.com/cnibench/cnibench/test/e2e/cluster"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Environment variables that steer Get.
const (
	// EnvReuse=1 reuses a cluster already up in the run directory (any CNI
	// mode unless the test asks for one) and leaves the cluster it builds
	// up after the test.
	EnvReuse = "CNIBENCH_E2E_REUSE"
	// EnvRunDir overrides the harness's run directory.
	EnvRunDir = "CNIBENCH_E2E_RUN_DIR"
)

// Cluster is a ready cluster for a test.
type Cluster struct {
	Kubeconfig string
	Config     *rest.Config
	Client     *kubernetes.Clientset
	// State is the harness's record; nil for a KUBECONFIG cluster.
	State *cluster.State
	// External is true when the cluster came from KUBECONFIG.
	External bool
}

// CNI is the harness's CNI mode, or "" for an external cluster.
func (c *Cluster) CNI() cluster.CNI {
	if c.State == nil {
		return ""
	}
	return c.State.Config.CNI
}

// Get returns a ready cluster. With KUBECONFIG set it uses that cluster
// whatever cni asks (an empty cni means any). Otherwise it uses the
// harness: it reuses a running cluster when CNIBENCH_E2E_REUSE=1 and its
// mode fits, else builds one with cni (Bridge when empty) and removes it in
// t.Cleanup (kept when reusing). When the harness cannot run here (not
// root) the test skips, or fails under CNIBENCH_REQUIRE_PRIVILEGED=1.
func Get(t testing.TB, cni cluster.CNI) *Cluster {
	t.Helper()
	return GetNodes(t, cni, 0)
}

// GetNodes is Get with nodes nodes (0: the harness's default). A running
// cluster is reused only when it has that many.
func GetNodes(t testing.TB, cni cluster.CNI, nodes int) *Cluster {
	t.Helper()
	if kc := os.Getenv("KUBECONFIG"); kc != "" {
		return fromKubeconfig(t, kc, nil, true)
	}
	testenv.MustBeRoot(t)
	dir := RunDir()
	reuse := os.Getenv(EnvReuse) == "1"
	st, err := cluster.ReadState(dir)
	switch {
	case err == nil && reuse && (cni == "" || st.Config.CNI == cni) && (nodes == 0 || st.Config.Nodes == nodes):
		if rerr := st.Running(); rerr != nil {
			t.Fatalf("reuse the e2e cluster in %s: %v (run the harness's down)", dir, rerr)
		}
		t.Logf("reusing the %s cluster in %s", st.Config.CNI, dir)
		return fromKubeconfig(t, st.Kubeconfig, st, false)
	case err == nil:
		// Another mode, or not reusing: replace it.
		t.Logf("removing the %s cluster in %s", st.Config.CNI, dir)
		if err := cluster.Down(dir, nil); err != nil {
			t.Fatalf("remove the previous e2e cluster: %v", err)
		}
	case !errors.Is(err, os.ErrNotExist):
		t.Fatalf("e2e cluster state: %v", err)
	}
	if cni == "" {
		cni = cluster.Bridge
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	start := time.Now()
	log := slog.New(slog.NewTextHandler(testWriter{t}, nil))
	st, err = cluster.Up(ctx, cluster.Config{RunDir: dir, CNI: cni, Nodes: nodes, Logger: log})
	if !reuse || err != nil {
		t.Cleanup(func() {
			if err := cluster.Down(dir, log); err != nil {
				t.Errorf("e2e cluster down: %v", err)
			}
		})
	}
	if err != nil {
		t.Fatalf("e2e cluster up (%s): %v", cni, err)
	}
	t.Logf("%s cluster up in %v: %v", cni, time.Since(start).Round(time.Millisecond), st.Timings)
	return fromKubeconfig(t, st.Kubeconfig, st, false)
}

// RunDir is the harness's run directory for tests.
func RunDir() string {
	if d := os.Getenv(EnvRunDir); d != "" {
		return d
	}
	return cluster.DefaultRunDir
}

func fromKubeconfig(t testing.TB, path string, st *cluster.State, external bool) *Cluster {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatalf("kubeconfig %s: %v", path, err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatalf("client for %s: %v", path, err)
	}
	return &Cluster{Kubeconfig: path, Config: cfg, Client: cs, State: st, External: external}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}
