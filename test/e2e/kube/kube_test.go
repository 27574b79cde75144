//go:build e2e

// Package kube runs cnibench's Kubernetes backend on the harness's real
// cluster (or the one KUBECONFIG names): a small plan through bench, pods
// on the intended nodes, Service scenarios through the Service, detection
// of what the harness configured, and no namespace left behind, after a
// finished run or an interrupted one. Run with `go test -tags e2e ./test/e2e/...`.
package kube

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cnibench/cnibench/internal/bench"
	"github.com/cnibench/cnibench/internal/cluster"
	"github.com/cnibench/cnibench/internal/cluster/kube"
	"github.com/cnibench/cnibench/internal/engine"
	"github.com/cnibench/cnibench/internal/image"
	"github.com/cnibench/cnibench/internal/runid"
	"github.com/cnibench/cnibench/internal/runrecord"
	"github.com/cnibench/cnibench/internal/stats"
	e2e "github.com/cnibench/cnibench/test/e2e/cluster"
	"github.com/cnibench/cnibench/test/e2e/clustertest"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// EnvImage names a cnibench image on a KUBECONFIG cluster (pulled
// IfNotPresent); the harness's clusters get one built and imported.
const EnvImage = "CNIBENCH_E2E_CNIBENCH_IMAGE"

// imageRef is the image the test builds; .invalid can never be pulled.
const imageRef = "cnibench.invalid/cnibench:e2e"

var (
	buildOnce sync.Once
	imageTar  string
	buildErr  error
)

// buildImage writes cnibench's image once per test binary.
func buildImage(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "cnibench-e2e-image-")
		if err != nil {
			buildErr = err
			return
		}
		imageTar = filepath.Join(dir, "cnibench.tar")
		start := time.Now()
		_, buildErr = image.Build(context.Background(), imageTar, image.Options{Ref: imageRef, Source: "../../.."})
		t.Logf("built %s in %v", imageRef, time.Since(start).Round(time.Millisecond))
	})
	if buildErr != nil {
		t.Fatalf("build cnibench's image: %v", buildErr)
	}
	return imageTar
}

func modes() []e2e.CNI {
	if os.Getenv("KUBECONFIG") != "" {
		return []e2e.CNI{""}
	}
	if m := os.Getenv("CNIBENCH_E2E_CNI"); m != "" {
		var out []e2e.CNI
		for _, s := range strings.Split(m, ",") {
			out = append(out, e2e.CNI(strings.TrimSpace(s)))
		}
		return out
	}
	return e2e.CNIs
}

func TestKube(t *testing.T) {
	for _, mode := range modes() {
		name := string(mode)
		if name == "" {
			name = "kubeconfig"
		}
		t.Run(name, func(t *testing.T) { testKube(t, mode) })
	}
}

// setup gives a ready cluster with cnibench's image on every node.
func setup(t *testing.T, mode e2e.CNI) (*clustertest.Cluster, kube.Config) {
	return setupNodes(t, mode, 0)
}

// setupNodes is setup on a harness cluster of nodes nodes (0: its default).
func setupNodes(t *testing.T, mode e2e.CNI, nodes int) (*clustertest.Cluster, kube.Config) {
	c := clustertest.GetNodes(t, mode, nodes)
	img, policy := imageRef, corev1.PullNever
	if c.External {
		img, policy = os.Getenv(EnvImage), corev1.PullIfNotPresent
		if img == "" {
			t.Fatalf("set %s to a cnibench image the cluster can pull (cnibench image build; docs/kube.md)", EnvImage)
		}
	} else {
		tar := buildImage(t)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		start := time.Now()
		if err := e2e.ImportImage(ctx, c.State, tar); err != nil {
			t.Fatal(err)
		}
		t.Logf("imported the image into every node in %v", time.Since(start).Round(time.Millisecond))
	}
	cfg := kube.Config{
		Client: c.Client, REST: c.Config, Name: "e2e-" + string(mode), ID: runid.New(), Image: img, PullPolicy: policy,
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil)),
	}
	return c, cfg
}

func testKube(t *testing.T, mode e2e.CNI) {
	c, cfg := setup(t, mode)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	start := time.Now()
	kc, err := kube.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("namespace %s with its pods Ready in %v; nodes %v (%s)", kc.Namespace(), time.Since(start).Round(time.Millisecond), kc.NodeChoice().Nodes, kc.NodeChoice().Reason)
	closed := false
	defer func() {
		if !closed {
			_ = kc.Close(context.Background())
		}
	}()
	checkPlacement(ctx, t, c.Client, kc.Namespace())

	plan := bench.Plan{
		Scenarios: []string{"node-node", "pod-pod-cross", "pod-pod-same", "pod-clusterip"}, Protocols: []engine.Protocol{engine.TCP},
		Duration: time.Second, Repeats: 2,
	}
	start = time.Now()
	run, err := bench.Run(ctx, kc, plan, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("run of %d tests in %v", len(run.Samples), time.Since(start).Round(time.Millisecond))
	if len(run.Samples) != 10 {
		t.Errorf("%d samples, want 5 scenarios (with node-node-same, pod-pod-same's baseline) × 2 repeats", len(run.Samples))
	}
	if s := run.Summary(stats.Key{Scenario: "pod-pod-same", Protocol: stats.TCP, Streams: 1}); s == nil || s.BaselineScenario != runrecord.LocalBaselineScenario {
		t.Errorf("pod-pod-same summary %+v, want it compared with %s", s, runrecord.LocalBaselineScenario)
	}
	eps, _ := kc.Endpoints(ctx)
	addrOf := map[string]netip.Addr{}
	for _, e := range eps {
		addrOf[e.Name] = e.Addrs[0]
	}
	for _, s := range run.Samples {
		if s.Error != "" || s.Result == nil {
			t.Errorf("%s #%d: %s", s.Scenario, s.Repeat, s.Error)
			continue
		}
		rtt := s.Result.ConnectRTT
		if rtt == nil || len(rtt.SamplesUs) == 0 || rtt.Failed != 0 {
			t.Errorf("%s: connect RTT %+v, want %d probes, none failed", s.Scenario, rtt, bench.DefaultRTTProbes)
			continue
		}
		t.Logf("%s #%d %s → %s: %.2f Gbit/s, connect RTT %.0f µs (remote %s)", s.Scenario, s.Repeat, s.From, s.To, s.Result.Goodput()/1e9, rtt.MedianUs, s.Result.Remote)
		if s.Result.Goodput() <= 0 {
			t.Errorf("%s: no goodput", s.Scenario)
		}
		remote, err := netip.ParseAddrPort(s.Result.Remote)
		if err != nil {
			t.Errorf("%s: remote %q: %v", s.Scenario, s.Result.Remote, err)
			continue
		}
		switch s.TargetKind {
		case runrecord.ClusterIPTarget:
			// Through the Service: the client talked to the virtual IP, not the pod.
			if remote.Addr() == addrOf[s.To] || (!c.External && !e2e.ServiceNet.Contains(remote.Addr())) {
				t.Errorf("%s: connected to %s, want a ClusterIP (in %s), not the pod's %s", s.Scenario, remote, e2e.ServiceNet, addrOf[s.To])
			}
		case runrecord.DirectTarget:
			if remote.Addr() != addrOf[s.To] {
				t.Errorf("%s: connected to %s, want %s's %s", s.Scenario, remote, s.To, addrOf[s.To])
			}
		}
	}
	checkPaths(t, mode, run.Paths)
	checkLatency(ctx, t, mode, kc)

	closed = true
	start = time.Now()
	if err := kc.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Logf("namespace deleted in %v", time.Since(start).Round(time.Millisecond))
	checkGone(t, c.Client, kc.Namespace())
}

// checkPlacement checks that every pod runs on the node it was pinned to.
func checkPlacement(ctx context.Context, t *testing.T, cs kubernetes.Interface, ns string) {
	t.Helper()
	pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pods.Items) != 6 {
		t.Errorf("%d pods, want 6", len(pods.Items))
	}
	for _, p := range pods.Items {
		if p.Spec.NodeName != p.Labels[kube.LabelNode] {
			t.Errorf("pod %s runs on %s, pinned to %s", p.Name, p.Spec.NodeName, p.Labels[kube.LabelNode])
		}
	}
}

// checkPaths checks detection against what the harness configured (the
// tests connect over IPv4: the run's default family).
func checkPaths(t *testing.T, mode e2e.CNI, paths []runrecord.PathRecord) {
	t.Helper()
	want := map[e2e.CNI]runrecord.Path{
		e2e.Bridge:        {Datapath: "unknown", MTU: 1500, UnderlayMTU: 1500, IPFamily: 4},
		e2e.FlannelVXLAN:  {Datapath: "vxlan", Encapsulated: true, HeaderTax: 50, MTU: 1450, UnderlayMTU: 1500, IPFamily: 4},
		e2e.FlannelHostGW: {Datapath: "routed", MTU: 1500, UnderlayMTU: 1500, IPFamily: 4},
	}
	w, ok := want[mode]
	for _, p := range paths {
		t.Logf("path %s: %+v", p.Scenario, p.Path)
		if ok && p.Scenario == "pod-pod-cross" && p.Path != w {
			t.Errorf("%s path of pod-pod-cross: %+v, want %+v", mode, p.Path, w)
		}
		if p.Scenario == "node-node" && p.Path.Datapath != "host" {
			t.Errorf("node-node path %+v, want host", p.Path)
		}
		// node A to its own address: through lo (MTU 65536 by default), no underlay
		if p.Scenario == runrecord.LocalBaselineScenario && (p.Path.Datapath != "host" || p.Path.UnderlayMTU != 0 || p.Path.MTU <= 1500 || p.From != p.To) {
			t.Errorf("%s path %+v from %s to %s, want host through lo on one node", p.Scenario, p.Path, p.From, p.To)
		}
	}
}

func checkGone(t *testing.T, cs kubernetes.Interface, ns string) {
	t.Helper()
	if _, err := cs.CoreV1().Namespaces().Get(context.Background(), ns, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("namespace %s still there: %v", ns, err)
	}
}

// cancelOnStart cancels the run when its first test starts.
type cancelOnStart struct {
	bench.NoEvents
	cancel context.CancelFunc
	once   sync.Once
}

func (c *cancelOnStart) TestStarted(bench.Progress) { c.once.Do(c.cancel) }

// TestKubeInterrupted interrupts a run in its first test, as Ctrl-C does,
// and checks that its namespace is gone afterwards.
func TestKubeInterrupted(t *testing.T) {
	mode := modes()[0]
	c, cfg := setup(t, mode)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ev := &cancelOnStart{cancel: cancel}
	var ns string
	v := bench.Variant{Open: func(ctx context.Context) (cluster.Cluster, error) {
		kc, err := kube.New(ctx, cfg)
		if err == nil {
			ns = kc.Namespace()
		}
		return kc, err
	}}
	plan := bench.Plan{Scenarios: []string{"node-node"}, Duration: 5 * time.Second, Repeats: 1}
	start := time.Now()
	_, err := bench.RunVariants(ctx, []bench.Variant{v}, plan, bench.Options{Events: ev})
	if !errors.Is(err, bench.ErrInterrupted) {
		t.Fatalf("run: %v, want interrupted", err)
	}
	t.Logf("interrupted run and its cleanup took %v", time.Since(start).Round(time.Millisecond))
	if ns == "" {
		t.Fatal("the cluster was never opened")
	}
	checkGone(t, c.Client, ns)
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// TestKubeDefaultMatrix runs every scenario of the default matrix once,
// TCP and UDP: each must complete through the backend.
func TestKubeDefaultMatrix(t *testing.T) {
	_, cfg := setup(t, modes()[0])
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	v := bench.Variant{Open: func(ctx context.Context) (cluster.Cluster, error) { return kube.New(ctx, cfg) }}
	plan := bench.Plan{Protocols: []engine.Protocol{engine.TCP, engine.UDP}, Duration: time.Second, Repeats: 1, UDPRate: 100_000_000}
	start := time.Now()
	run, err := bench.RunVariants(ctx, []bench.Variant{v}, plan, bench.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d tests in %v", len(run.Samples), time.Since(start).Round(time.Millisecond))
	scenarios := map[string]bool{}
	for _, s := range run.Samples {
		scenarios[s.Scenario] = true
		if s.Error != "" || s.Result == nil || s.Result.Goodput() <= 0 {
			t.Errorf("%s %s: %s", s.Scenario, s.Protocol, s.Error)
		}
	}
	want := len(bench.ScenarioNames()) - len(bench.OnRequestNames())
	if len(scenarios) != want || len(run.Samples) != 2*want {
		t.Errorf("%d scenarios, %d samples; want every one of the default %d, TCP and UDP", len(scenarios), len(run.Samples), want)
	}
}

// TestMain removes the image tarball the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if imageTar != "" {
		os.RemoveAll(filepath.Dir(imageTar))
	}
	os.Exit(code)
}
